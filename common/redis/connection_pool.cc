#include "common/redis/connection_pool.h"

#include <utility>

#include "absl/time/clock.h"

namespace clinic::redis::internal {

ConnectionPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

ConnectionPool::ConnectionPool(const Endpoint& endpoint, int size) : size_(size) {
  sync::MutexLock lock(&mu_);
  free_.reserve(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) free_.push_back(std::make_unique<Connection>(endpoint));
}

// Every Lease must have been destroyed by now (the client that owns the pool outlives
// its calls), so free_ holds all the connections.
ConnectionPool::~ConnectionPool() = default;

std::optional<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Duration wait) {
  std::unique_ptr<Connection> connection;
  {
    sync::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + wait;
    while (free_.empty()) {
      if (released_.WaitWithDeadline(&mu_, deadline) && free_.empty()) return std::nullopt;
    }
    connection = std::move(free_.back());
    free_.pop_back();
  }
  return Lease(this, std::move(connection));
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  sync::MutexLock lock(&mu_);
  if (connection->connected()) {
    free_.push_back(std::move(connection));
  } else {
    free_.insert(free_.begin(), std::move(connection));
  }
  released_.Signal();
}

}  // namespace clinic::redis::internal
