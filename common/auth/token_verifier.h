#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"

namespace clinic::auth {

// Turns a bearer token into the Principal it names.
//
// Contract: Verify returns the Principal when the token is authentic, currently valid and
// carries every claim a Principal needs; otherwise UNAUTHENTICATED with a short reason
// that never contains the token or any part of it. It never returns another error code.
//
// Thread-safe: Verify may be called concurrently from any number of threads.
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  // `token` is the compact token without the "Bearer " prefix.
  virtual absl::StatusOr<Principal> Verify(std::string_view token) const = 0;
};

}  // namespace clinic::auth
