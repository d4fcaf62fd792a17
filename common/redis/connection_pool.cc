#include "common/redis/connection_pool.h"

#include <utility>

#if defined(__SANITIZE_THREAD__)
#define CLINIC_REDIS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CLINIC_REDIS_TSAN 1
#endif
#endif
#ifdef CLINIC_REDIS_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace clinic::redis::internal {
namespace {

// Debian's Abseil is not built with TSan, so TSan cannot see that absl::Mutex orders
// the critical sections below. These annotations state that ordering to TSan (and
// compile to nothing otherwise): every critical section starts with Acquired() and
// ends with Releasing(). The Await condition counts as a critical section of its own,
// since absl::Mutex may evaluate it on the thread that unlocks.
inline void Acquired([[maybe_unused]] const absl::Mutex* mu) {
#ifdef CLINIC_REDIS_TSAN
  __tsan_acquire(const_cast<absl::Mutex*>(mu));
#endif
}
inline void Releasing([[maybe_unused]] const absl::Mutex* mu) {
#ifdef CLINIC_REDIS_TSAN
  __tsan_release(const_cast<absl::Mutex*>(mu));
#endif
}

}  // namespace

ConnectionPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

ConnectionPool::ConnectionPool(const Endpoint& endpoint, int size) : size_(size) {
  absl::MutexLock lock(&mu_);
  Acquired(&mu_);
  free_.reserve(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) free_.push_back(std::make_unique<Connection>(endpoint));
  Releasing(&mu_);
}

// Every Lease must have been destroyed by now (the client that owns the pool outlives
// its calls), so free_ holds all the connections.
ConnectionPool::~ConnectionPool() = default;

std::optional<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Duration wait) {
  std::unique_ptr<Connection> connection;
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      Acquired(&mu_);
      const bool any = !free_.empty();
      Releasing(&mu_);
      return any;
    };
    const bool got = mu_.AwaitWithTimeout(absl::Condition(&available), wait);
    Acquired(&mu_);
    if (got) {
      connection = std::move(free_.back());
      free_.pop_back();
    }
    Releasing(&mu_);
    if (!got) return std::nullopt;
  }
  return Lease(this, std::move(connection));
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  absl::MutexLock lock(&mu_);
  Acquired(&mu_);
  if (connection->connected()) {
    free_.push_back(std::move(connection));
  } else {
    free_.insert(free_.begin(), std::move(connection));
  }
  Releasing(&mu_);
}

}  // namespace clinic::redis::internal
