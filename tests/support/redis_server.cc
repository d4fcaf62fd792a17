#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/ports.h"

namespace clinic::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr int kStartAttempts = 5;

// True when a redis-server on 127.0.0.1:port answers PING with +PONG. Uses a raw socket
// so that the test support does not depend on the client under test.
bool Pings(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{};
  tv.tv_sec = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    static constexpr char kPing[] = "PING\r\n";
    if (::send(fd, kPing, sizeof(kPing) - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof(kPing) - 1)) {
      std::string answer;
      char buf[64];
      while (answer.find("\r\n") == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        answer.append(buf, static_cast<size_t>(n));
      }
      ok = answer.rfind("+PONG\r\n", 0) == 0;
    }
  }
  ::close(fd);
  return ok;
}

// Starts redis-server on `port`; returns it once PING answers, or nullptr if the
// process exited first (typically: the port was taken). Throws if it neither exits nor
// answers in time.
std::unique_ptr<Process> TryStart(const TempDir& dir, int port) {
  auto process = std::make_unique<Process>(
      std::vector<std::string>{"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", dir.path(),
                               // DEBUG SLEEP makes a slow command for the timeout tests.
                               "--enable-debug-command", "local"},
      dir.File("redis.log"));
  bool exited = false;
  const bool ready = WaitFor(
      [&] {
        if (!process->Running()) {
          exited = true;
          return true;
        }
        return Pings(port);
      },
      kStartTimeout);
  if (exited) return nullptr;
  if (!ready) {
    throw std::runtime_error("redis-server did not answer PING within 10s; see " + dir.File("redis.log"));
  }
  return process;
}

}  // namespace

RedisServer::RedisServer() {
  for (int attempt = 0; attempt < kStartAttempts && process_ == nullptr; ++attempt) {
    port_ = PickFreePort();
    process_ = TryStart(dir_, port_);
  }
  if (process_ == nullptr) {
    throw std::runtime_error("redis-server could not start; see " + dir_.File("redis.log"));
  }
}

RedisServer::~RedisServer() = default;

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

void RedisServer::Kill() {
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  if (process_->Wait(std::chrono::seconds(10)) == -1) {
    throw std::runtime_error("redis-server did not die after SIGKILL");
  }
  process_.reset();
}

void RedisServer::Start() {
  if (process_ != nullptr && process_->Running()) return;
  process_.reset();
  // The same port: clients are configured with it. It may be briefly unavailable (or
  // taken by another process, then this fails after the retries).
  const bool started = WaitFor(
      [&] {
        process_ = TryStart(dir_, port_);
        return process_ != nullptr;
      },
      kStartTimeout);
  if (!started) {
    throw std::runtime_error("redis-server could not restart on port " + std::to_string(port_) +
                             "; see " + dir_.File("redis.log"));
  }
}

}  // namespace clinic::testing
