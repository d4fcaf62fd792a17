#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/auth/token_verifier.h"
#include "common/clock/clock.h"
#include "common/sync/mutex.h"

namespace clinic::auth {

// A TokenVerifier that remembers the Principals another verifier accepted, so that a
// client presenting the same token on every call pays for the signature check once.
//
// A remembered Principal is returned only while Clock::Now() is before its `expiry`
// (checked on every hit); after that the token goes back to the inner verifier, which
// decides (and rejects an expired token). The cache therefore never accepts a token the
// inner verifier would reject on time grounds, nor extends a token's life. Rejections are
// not remembered. At most `capacity` tokens are held: when full, expired entries are
// dropped, then arbitrary ones, down to 7/8 of the capacity (amortised O(1) per insert).
//
// Thread-safe. `clock` must outlive this object.
class CachingTokenVerifier final : public TokenVerifier {
 public:
  CachingTokenVerifier(std::unique_ptr<TokenVerifier> inner, const Clock& clock, size_t capacity);

  absl::StatusOr<Principal> Verify(std::string_view token) const override;

  // Tokens currently held (for metrics).
  size_t size() const;

 private:
  void Insert(const Principal& principal, absl::Time now) const;

  const std::unique_ptr<TokenVerifier> inner_;
  const Clock& clock_;
  const size_t capacity_;
  mutable sync::Mutex mu_;
  // Keyed by the whole token (not a hash of it): a collision can never confuse callers.
  mutable absl::flat_hash_map<std::string, Principal> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clinic::auth
