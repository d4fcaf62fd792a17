#include "common/redis/hiredis_client.h"

#include <signal.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/redis/connection.h"
#include "common/redis/connection_pool.h"

namespace clinic::redis {
namespace {

absl::Status CheckPositive(absl::Duration d, std::string_view name) {
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis client option ", std::string(name), " must be positive and finite"));
  }
  return absl::OkStatus();
}

// The time a call may still spend: the configured limit of a phase, cut to what is left
// of the call's own budget when it has one.
absl::Duration Budget(absl::Duration configured, absl::Time deadline) {
  return std::min(configured, deadline - absl::Now());
}

// hiredis writes with write(2): on a connection Redis has reset, the default SIGPIPE
// would kill the whole service, the opposite of failing open. Only the default
// disposition is replaced; a handler someone installed on purpose is left alone.
void IgnoreSigpipeUnlessHandled() {
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) != 0) return;
  if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<HiredisClient>> HiredisClient::Create(const ClientOptions& options) {
  absl::StatusOr<Endpoint> endpoint = ParseUrl(options.url);
  if (!endpoint.ok()) return endpoint.status();
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError("redis client option pool_size must be at least 1");
  }
  for (const auto& [value, name] : {std::pair(options.connect_timeout, "connect_timeout"),
                                    std::pair(options.command_timeout, "command_timeout"),
                                    std::pair(options.pool_wait_timeout, "pool_wait_timeout")}) {
    if (absl::Status s = CheckPositive(value, name); !s.ok()) return s;
  }
  IgnoreSigpipeUnlessHandled();
  return std::unique_ptr<HiredisClient>(new HiredisClient(options, *std::move(endpoint)));
}

HiredisClient::HiredisClient(const ClientOptions& options, Endpoint endpoint)
    : options_(options),
      endpoint_(std::move(endpoint)),
      pool_(std::make_unique<internal::ConnectionPool>(endpoint_, options.pool_size)) {}

HiredisClient::~HiredisClient() = default;

ClientStats HiredisClient::stats() const {
  ClientStats s;
  s.commands = commands_.load(std::memory_order_relaxed);
  s.error_replies = error_replies_.load(std::memory_order_relaxed);
  s.unavailable = unavailable_.load(std::memory_order_relaxed);
  s.pool_timeouts = pool_timeouts_.load(std::memory_order_relaxed);
  s.connects = connects_.load(std::memory_order_relaxed);
  return s;
}

void HiredisClient::CountUnavailable(const absl::Status& status) {
  if (absl::IsUnavailable(status)) unavailable_.fetch_add(1, std::memory_order_relaxed);
}

template <typename Result, typename Use>
Result HiredisClient::WithConnection(const CallOptions& call, Use use) {
  const absl::Time deadline =
      call.timeout.has_value() ? absl::Now() + *call.timeout : absl::InfiniteFuture();
  const absl::Duration command_timeout =
      call.timeout.has_value() ? *call.timeout : options_.command_timeout;

  std::optional<internal::ConnectionPool::Lease> lease =
      pool_->Acquire(Budget(options_.pool_wait_timeout, deadline));
  if (!lease.has_value()) {
    pool_timeouts_.fetch_add(1, std::memory_order_relaxed);
    unavailable_.fetch_add(1, std::memory_order_relaxed);
    return absl::UnavailableError(absl::StrCat(
        "redis ", endpoint_.Address(), ": no pooled connection free in time (pool of ",
        pool_->size(), ")"));
  }
  bool connected_now = false;
  absl::Status prepared = (*lease)->Prepare(Budget(options_.connect_timeout, deadline),
                                            Budget(command_timeout, deadline), &connected_now);
  if (connected_now) connects_.fetch_add(1, std::memory_order_relaxed);
  if (!prepared.ok()) {
    CountUnavailable(prepared);
    return prepared;
  }
  Result result = use(**lease, Budget(command_timeout, deadline));
  if (!result.ok()) CountUnavailable(result.status());
  return result;
}

absl::StatusOr<Reply> HiredisClient::ToResult(Reply reply) {
  if (!reply.is_error()) return reply;
  error_replies_.fetch_add(1, std::memory_order_relaxed);
  return ErrorReplyToStatus(reply.str());
}

absl::StatusOr<Reply> HiredisClient::DoCommand(absl::Span<const std::string_view> args,
                                               const CallOptions& options) {
  if (args.empty()) return absl::InvalidArgumentError("redis: empty command");
  return WithConnection<absl::StatusOr<Reply>>(
      options, [&](internal::Connection& connection, absl::Duration timeout) -> absl::StatusOr<Reply> {
        commands_.fetch_add(1, std::memory_order_relaxed);
        absl::StatusOr<Reply> reply = connection.Command(args, timeout);
        if (!reply.ok()) return reply.status();
        return ToResult(*std::move(reply));
      });
}

absl::StatusOr<std::vector<absl::StatusOr<Reply>>> HiredisClient::DoExecute(
    const Pipeline& pipeline, const CallOptions& options) {
  using Result = absl::StatusOr<std::vector<absl::StatusOr<Reply>>>;
  if (pipeline.empty()) return std::vector<absl::StatusOr<Reply>>();
  for (size_t i = 0; i < pipeline.size(); ++i) {
    if (pipeline.command(i).empty()) return absl::InvalidArgumentError("redis: empty command in a pipeline");
  }
  return WithConnection<Result>(
      options, [&](internal::Connection& connection, absl::Duration timeout) -> Result {
        commands_.fetch_add(pipeline.size(), std::memory_order_relaxed);
        absl::StatusOr<std::vector<Reply>> replies = connection.Pipelined(pipeline, timeout);
        if (!replies.ok()) return replies.status();
        std::vector<absl::StatusOr<Reply>> results;
        results.reserve(replies->size());
        for (Reply& reply : *replies) results.push_back(ToResult(std::move(reply)));
        return results;
      });
}

absl::StatusOr<Reply> HiredisClient::DoRunScript(const Script& script,
                                                 absl::Span<const std::string_view> keys,
                                                 absl::Span<const std::string_view> args,
                                                 const CallOptions& options) {
  const std::string key_count = absl::StrCat(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(key_count);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return WithConnection<absl::StatusOr<Reply>>(
      options, [&](internal::Connection& connection, absl::Duration timeout) -> absl::StatusOr<Reply> {
        commands_.fetch_add(1, std::memory_order_relaxed);
        absl::StatusOr<Reply> reply = connection.Command(argv, timeout);
        if (!reply.ok()) return reply.status();
        if (reply->is_error() && absl::StartsWith(reply->str(), "NOSCRIPT")) {
          // Redis lost its script cache (restart, SCRIPT FLUSH, failover): the script
          // has not run, so sending it in full is safe. EVAL caches it again.
          argv[0] = "EVAL";
          argv[1] = script.source();
          commands_.fetch_add(1, std::memory_order_relaxed);
          reply = connection.Command(argv, timeout);
          if (!reply.ok()) return reply.status();
        }
        return ToResult(*std::move(reply));
      });
}

}  // namespace clinic::redis
