#pragma once

// The production redis::Client over hiredis 0.14 (synchronous API) with a connection
// pool. Built once by the composition root:
//
//   redis::ClientOptions options;
//   options.url = flags.redis_url;                       // redis://[:password@]host:port[/db]
//   auto client = redis::HiredisClient::Create(options);  // fails only on bad options
//   if (!client.ok()) return client.status();
//   redis::WarnUnlessNoEviction(**client);                // once, at start
//   Service service(**client);                            // takes redis::Client&
//
// Create() does not contact Redis: connections are made on first use and remade after
// failures, so a service starts while Redis is down, answers UNAVAILABLE for Redis
// calls while it stays down (failing open is the caller's choice), and recovers by
// itself when Redis is back, e.g. after a restart.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/redis/client.h"
#include "common/redis/url.h"

namespace clinic::redis {

namespace internal {
class ConnectionPool;
}  // namespace internal

struct ClientOptions {
  // redis://[[user]:password@]host[:port][/db], see ParseUrl().
  std::string url = "redis://127.0.0.1:6379";
  // Connections kept (made lazily); also the number of calls that can run at once.
  int pool_size = 8;
  // Limits of each phase of a call without CallOptions::timeout.
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(500);
  // How long a call waits for a free pooled connection before UNAVAILABLE.
  absl::Duration pool_wait_timeout = absl::Milliseconds(500);
};

// Monotonic counters since the client was made, for the metrics layer. A pipeline
// counts each of its commands; a script run counts one command (two with the NOSCRIPT
// fallback).
struct ClientStats {
  uint64_t commands = 0;          // commands sent
  uint64_t error_replies = 0;     // error replies received (other than NOSCRIPT handled by RunScript)
  uint64_t unavailable = 0;       // calls that failed UNAVAILABLE (connection, timeout,
                                  // pool wait, or a retry-later error reply)
  uint64_t pool_timeouts = 0;     // of which: no pooled connection free in time
  uint64_t connects = 0;          // connections made (the first ones and reconnections)
};

class HiredisClient final : public Client {
 public:
  // INVALID_ARGUMENT for a bad URL (the message never repeats the URL) or a bad
  // option (named in the message). Never fails because Redis is unreachable.
  // Side effect: when SIGPIPE still has its default action (terminate the process),
  // sets it to ignored, since hiredis writes to sockets that Redis may have reset.
  static absl::StatusOr<std::unique_ptr<HiredisClient>> Create(const ClientOptions& options);

  // Precondition: no call is in progress on this client.
  ~HiredisClient() override;

  // Thread-safe; a consistent-enough snapshot (each counter read atomically).
  ClientStats stats() const;
  // "host:port", safe to log.
  std::string address() const { return endpoint_.Address(); }

 private:
  HiredisClient(const ClientOptions& options, Endpoint endpoint);

  absl::StatusOr<Reply> DoCommand(absl::Span<const std::string_view> args,
                                  const CallOptions& options) override;
  absl::StatusOr<std::vector<absl::StatusOr<Reply>>> DoExecute(const Pipeline& pipeline,
                                                               const CallOptions& options) override;
  absl::StatusOr<Reply> DoRunScript(const Script& script, absl::Span<const std::string_view> keys,
                                    absl::Span<const std::string_view> args,
                                    const CallOptions& options) override;

  // Runs `use` with a prepared connection and the command timeout left, within the
  // call's budget; counts connection failures. `Result` is a StatusOr.
  template <typename Result, typename Use>
  Result WithConnection(const CallOptions& options, Use use);
  absl::StatusOr<Reply> ToResult(Reply reply);
  void CountUnavailable(const absl::Status& status);

  const ClientOptions options_;
  const Endpoint endpoint_;
  std::unique_ptr<internal::ConnectionPool> pool_;

  std::atomic<uint64_t> commands_{0};
  std::atomic<uint64_t> error_replies_{0};
  std::atomic<uint64_t> unavailable_{0};
  std::atomic<uint64_t> pool_timeouts_{0};
  std::atomic<uint64_t> connects_{0};
};

}  // namespace clinic::redis
