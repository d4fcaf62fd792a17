#include "common/sql/internal/pool.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace clinic::sql::internal {

ConnectionPool::ConnectionPool(ConnectionFactory factory, int max_size, absl::Duration wait_timeout)
    : factory_(std::move(factory)), max_size_(max_size < 1 ? 1 : max_size), wait_timeout_(wait_timeout) {}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    sync::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + wait_timeout_;
    while (idle_.empty() && open_ >= max_size_) {
      if (returned_.WaitWithDeadline(&mu_, deadline)) break;  // timed out
    }
    if (idle_.empty() && open_ >= max_size_) {
      return absl::UnavailableError(absl::StrCat("no database connection became free within ",
                                                  absl::FormatDuration(wait_timeout_), " (pool of ",
                                                  max_size_, ")"));
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_;  // reserve the slot; the connection is made outside the lock
  }
  absl::StatusOr<std::unique_ptr<Connection>> connection = factory_();
  if (!connection.ok()) {
    sync::MutexLock lock(&mu_);
    --open_;
    returned_.Signal();
    return connection.status();
  }
  return Lease(this, *std::move(connection));
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  sync::MutexLock lock(&mu_);
  idle_.push_back(std::move(connection));
  returned_.Signal();
}

}  // namespace clinic::sql::internal
