#pragma once

// Internal to clinic::redis: a fixed set of lazily connected Connections. Not part of
// the public API.

#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/redis/connection.h"
#include "common/redis/url.h"
#include "common/sync/mutex.h"

namespace clinic::redis::internal {

// Thread-safe. Holds `size` connections; Acquire() hands one to the calling thread
// alone until its Lease is destroyed. Connections are made by their user on first use
// (Connection::Prepare), not here, so a pool exists and works while Redis is down.
class ConnectionPool {
 public:
  // Exclusive use of one connection; returns it to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}

    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // `endpoint` must outlive the pool. Precondition: size >= 1.
  ConnectionPool(const Endpoint& endpoint, int size);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection, preferring one that is already connected; waits up to `wait` for
  // one to be returned. nullopt when none became free in time.
  std::optional<Lease> Acquire(absl::Duration wait);

  int size() const { return size_; }

 private:
  void Release(std::unique_ptr<Connection> connection);

  const int size_;
  sync::Mutex mu_;
  sync::CondVar released_;  // signalled when a connection comes back
  // Free connections: unconnected ones at the front, connected ones at the back (the
  // most recently used last, so a busy pool keeps reusing warm connections).
  std::vector<std::unique_ptr<Connection>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clinic::redis::internal
