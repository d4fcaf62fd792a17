#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"

namespace clinic::tools {

// The settings of the clinic_token development tool, one per flag of the same name.
struct MintTokenOptions {
  std::string key_file;                // HS256 secret file (same rules as the services').
  std::string rs256_private_key_file;  // RSA private key PEM; exclusive with key_file.
  std::string subject;
  std::string clinic;  // Empty: no clinic claim.
  std::string role;    // A RoleName(), e.g. "clinician".
  absl::Duration ttl = absl::Hours(12);
  std::string issuer;
  std::string audience;
  std::string kid;  // RS256 `kid` header; empty: none.
};

// Mints a token valid from clock.Now() for options.ttl. INVALID_ARGUMENT naming the
// flag ("--role: ...") for bad settings, exactly one of the two key files required.
absl::StatusOr<std::string> MintToken(const MintTokenOptions& options, const Clock& clock);

}  // namespace clinic::tools
