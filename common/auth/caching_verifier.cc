#include "common/auth/caching_verifier.h"

#include <utility>

namespace clinic::auth {

CachingTokenVerifier::CachingTokenVerifier(std::unique_ptr<TokenVerifier> inner, const Clock& clock,
                                           size_t capacity)
    : inner_(std::move(inner)), clock_(clock), capacity_(capacity) {}

absl::StatusOr<Principal> CachingTokenVerifier::Verify(std::string_view token) const {
  const absl::Time now = clock_.Now();
  bool stale = false;
  {
    sync::ReaderMutexLock lock(&mu_);
    auto it = cache_.find(absl::string_view(token.data(), token.size()));
    if (it != cache_.end()) {
      if (now < it->second.expiry) return it->second;
      stale = true;
    }
  }
  absl::StatusOr<Principal> result = inner_->Verify(token);
  if (result.ok() && capacity_ > 0 && now < result->expiry) {
    Insert(*result, now);
  } else if (stale) {
    sync::MutexLock lock(&mu_);
    auto it = cache_.find(absl::string_view(token.data(), token.size()));
    // Another thread may have replaced the entry meanwhile; drop only what has expired.
    if (it != cache_.end() && !(clock_.Now() < it->second.expiry)) cache_.erase(it);
  }
  return result;
}

void CachingTokenVerifier::Insert(const Principal& principal, absl::Time now) const {
  sync::MutexLock lock(&mu_);
  if (cache_.size() >= capacity_ && !cache_.contains(principal.token)) {
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (now < it->second.expiry) {
        ++it;
      } else {
        cache_.erase(it++);
      }
    }
    const size_t target = capacity_ - capacity_ / 8 - 1;  // Leaves room for this insert.
    while (cache_.size() > target) cache_.erase(cache_.begin());
  }
  cache_.insert_or_assign(principal.token, principal);
}

size_t CachingTokenVerifier::size() const {
  sync::ReaderMutexLock lock(&mu_);
  return cache_.size();
}

}  // namespace clinic::auth
