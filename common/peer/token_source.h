#pragma once

// The service's own identity on peer calls made for no caller (background work such as
// a reminder worker). Calls made for a caller forward the caller's token instead (see
// peer_call.h).

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"

namespace clinic::peer {

// A source of bearer tokens for the service itself.
//
// Contract: Token() returns a token (without "Bearer ") that is valid now and for a
// while yet, or an error (UNAVAILABLE when none can be had at the moment). Never log
// the token. Thread-safe: Token() may be called concurrently from any thread.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual absl::StatusOr<std::string> Token() = 0;
};

struct Hs256TokenOptions {
  // The HS256 secret the peers verify with (their --jwt_hs256_key_file).
  std::string key_file;
  // The token's subject: the service's name, e.g. "scheduling".
  std::string service_name;
  // Optional `clinic` claim (service identities may carry one).
  std::optional<std::string> clinic;
  // Claims the peers may require (their --jwt_issuer / --jwt_audience).
  std::string issuer;
  std::string audience;
  // Lifetime of each token, and how long before its expiry a new one is minted.
  absl::Duration ttl = absl::Hours(1);
  absl::Duration renew_before = absl::Minutes(10);
};

// Mints role-`service` tokens signed with the HS256 key, renewing each one
// `renew_before` its expiry. Reads the key once, here: INVALID_ARGUMENT naming
// jwt_hs256_key_file when it is missing or too short, or for an empty service name or a
// renew_before not shorter than ttl. `clock` must outlive the source.
absl::StatusOr<std::unique_ptr<TokenSource>> NewHs256TokenSource(Hs256TokenOptions options,
                                                                 const Clock& clock);

// Setting name used in NewFileTokenSource errors.
inline constexpr char kTokenFileSetting[] = "peer_token_file";

// Serves the token held in a file (surrounding whitespace trimmed), e.g. one mounted from
// a secret and rotated by the platform: the file is read again whenever its modification
// time or size changes (one stat per Token() call). If a later read fails or finds the
// file empty, the last good token is kept. INVALID_ARGUMENT naming peer_token_file when
// the file cannot be read or is empty at construction.
absl::StatusOr<std::unique_ptr<TokenSource>> NewFileTokenSource(std::string path);

}  // namespace clinic::peer
