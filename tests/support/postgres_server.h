#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "common/sync/mutex.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace clinic::testing {

// A throwaway PostgreSQL 15 cluster: initdb into a temporary folder, postgres on
// 127.0.0.1 and a free port, removed by the destructor. When the test runs as root the
// cluster is run as the 'postgres' system user (postgres refuses to run as root).
// Throws std::runtime_error if it cannot start.
//
// Starting a cluster takes about a second: a test binary starts one (see Shared()) and
// gives each test its own database (CreateDatabase()).
//
// Thread-safe: CreateDatabase() may be called from several threads; Stop() and Start()
// from one thread at a time.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The cluster of this test process, started on first use, stopped at exit.
  static PostgresServer& Shared();

  int port() const { return port_; }
  // Creates a new empty database with a unique name and returns its libpq connection
  // string ("host=127.0.0.1 port=… dbname=… user=…").
  std::string CreateDatabase();

  // Stops the server at once (immediate shutdown: every connection is dropped) and
  // returns when it has exited.
  void Stop();
  // Starts the stopped server again on the same port (its data kept); returns once it
  // accepts connections.
  void Start();

 private:
  // Starts postgres on port_; false if it exited (e.g. the port was taken).
  bool TryStart();
  bool Ready();

  TempDir dir_;
  int port_ = 0;
  std::string user_ = "postgres";
  sync::Mutex mu_;
  int next_database_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace clinic::testing
