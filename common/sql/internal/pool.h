#pragma once

// Internal: a bounded pool of connections.

#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sql/internal/connection.h"
#include "common/sync/mutex.h"

namespace clinic::sql::internal {

// Opens up to `max_size` connections lazily with `factory` and lends them out one
// caller at a time. Thread-safe. Must outlive every Lease.
class ConnectionPool {
 public:
  // Exclusive use of one connection; gives it back when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (connection_ != nullptr) pool_->Release(std::move(connection_));
    }

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  ConnectionPool(ConnectionFactory factory, int max_size, absl::Duration wait_timeout);

  // A free connection: an idle one, else a new one while fewer than max_size exist, else
  // waits up to wait_timeout for one to come back (then UNAVAILABLE). A failure to open a
  // new connection is returned as is.
  absl::StatusOr<Lease> Acquire();

 private:
  void Release(std::unique_ptr<Connection> connection);

  const ConnectionFactory factory_;
  const int max_size_;
  const absl::Duration wait_timeout_;

  sync::Mutex mu_;
  sync::CondVar returned_;  // signalled when a connection comes back or a slot frees
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + lent out
};

}  // namespace clinic::sql::internal
