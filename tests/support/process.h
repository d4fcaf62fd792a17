#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace clinic::testing {

// A child process started with fork/exec, its stdout and stderr appended to a log file.
// The destructor sends SIGTERM, waits up to five seconds, then SIGKILLs: a test never
// leaves a server behind.
class Process {
 public:
  // Starts argv[0] (searched on PATH) with the given arguments and extra environment
  // entries ("NAME=value"). Throws std::runtime_error if the program cannot be started.
  Process(std::vector<std::string> argv, const std::string& log_file,
          std::vector<std::string> extra_env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it if it has).
  bool Running();
  // Sends `signal`; returns immediately.
  void Signal(int signal);
  // Waits for the child to exit; returns its exit code, 128+signal if killed, or -1 on
  // timeout (the child is then still running).
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Polls `condition` every 10 ms until it returns true or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Runs a command to completion (argv[0] searched on PATH), output appended to log_file.
// Returns its exit code.
int RunCommand(const std::vector<std::string>& argv, const std::string& log_file);

}  // namespace clinic::testing
