#include "tests/support/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/ports.h"

namespace clinic::testing {
namespace {

const std::string kBinDir = "/usr/lib/postgresql/15/bin/";
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(30);

bool RunningAsRoot() { return ::geteuid() == 0; }

// postgres refuses to run as root. setpriv switches user and then execs in place (no
// extra process, unlike runuser), so the pid we hold and signal is postgres itself.
std::vector<std::string> AsServerUser(std::vector<std::string> argv) {
  if (!RunningAsRoot()) return argv;
  std::vector<std::string> wrapped = {"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
  for (auto& a : argv) wrapped.push_back(std::move(a));
  return wrapped;
}

}  // namespace

PostgresServer::PostgresServer() {
  if (RunningAsRoot()) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("running as root but there is no 'postgres' user to run PostgreSQL as");
    if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + dir_.path() + " to postgres");
    }
  }
  const int rc = RunCommand(AsServerUser({kBinDir + "initdb", "--pgdata=" + dir_.File("data"), "--username=" + user_,
                                          "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
                                          "--no-instructions"}),
                            dir_.File("initdb.log"));
  if (rc != 0) throw std::runtime_error("initdb failed (exit " + std::to_string(rc) + "), see " + dir_.File("initdb.log"));

  // PickFreePort only says the port was free a moment ago: on a bind failure postgres
  // exits, and we try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = PickFreePort();
    if (TryStart()) return;
  }
  throw std::runtime_error("postgres did not start, see " + dir_.File("postgres.log"));
}

PostgresServer::~PostgresServer() { Stop(); }

PostgresServer& PostgresServer::Shared() {
  static PostgresServer server;
  return server;
}

bool PostgresServer::Ready() {
  return RunCommand({kBinDir + "pg_isready", "--host=127.0.0.1", "--port=" + std::to_string(port_),
                     "--username=" + user_, "--dbname=postgres", "--timeout=2"},
                    dir_.File("pg_isready.log")) == 0;
}

bool PostgresServer::TryStart() {
  process_ = std::make_unique<Process>(
      AsServerUser({kBinDir + "postgres", "-D", dir_.File("data"), "-h", "127.0.0.1", "-p", std::to_string(port_),
                    "-k", dir_.path(),
                    // A throwaway cluster need not survive an OS crash: no fsync. Commits
                    // still reach the WAL before they return (synchronous_commit stays on),
                    // so data survives Stop() (an immediate shutdown) and Start().
                    "-c", "fsync=off", "-c", "full_page_writes=off",
                    "-c", "max_connections=200"}),
      dir_.File("postgres.log"));
  bool exited = false;
  const bool ready = WaitFor(
      [&] {
        if (!process_->Running()) {
          exited = true;
          return true;
        }
        return Ready();
      },
      kStartTimeout);
  if (ready && !exited) return true;
  Stop();
  return false;
}

void PostgresServer::Start() {
  if (process_ != nullptr && process_->Running()) return;
  // Same port: clients hold its address. postgres binds with SO_REUSEADDR, so the old
  // connections' TIME_WAIT does not block it.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (TryStart()) return;
  }
  throw std::runtime_error("postgres did not restart, see " + dir_.File("postgres.log"));
}

void PostgresServer::Stop() {
  if (process_ == nullptr) return;
  if (process_->Running()) {
    process_->Signal(SIGQUIT);  // immediate shutdown
    if (process_->Wait(kStopTimeout) == -1) {
      process_->Signal(SIGKILL);
      process_->Wait(kStopTimeout);
    }
  }
  process_.reset();
}

std::string PostgresServer::CreateDatabase() {
  int n = 0;
  {
    sync::MutexLock lock(&mu_);
    n = ++next_database_;
  }
  const std::string name = "test_" + std::to_string(n);
  const int rc = RunCommand({kBinDir + "createdb", "--host=127.0.0.1", "--port=" + std::to_string(port_),
                             "--username=" + user_, name},
                            dir_.File("createdb.log"));
  if (rc != 0) throw std::runtime_error("createdb failed, see " + dir_.File("createdb.log"));
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + name + " user=" + user_;
}

}  // namespace clinic::testing
