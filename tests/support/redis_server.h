#pragma once

#include <memory>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace clinic::testing {

// A private redis-server for one test: on 127.0.0.1 and a free port, no persistence,
// its own working directory. Started by the constructor (which returns once PING
// answers) and killed by the destructor. Throws std::runtime_error if it cannot start.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // "redis://127.0.0.1:<port>"
  std::string url() const;

  // Kills the server (SIGKILL: no shutdown save) and returns when it is gone.
  void Kill();
  // Starts it again on the same port, empty (no persistence); returns once PING answers.
  void Start();

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace clinic::testing
