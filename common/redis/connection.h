#pragma once

// Internal to clinic::redis: one hiredis connection. Not part of the public API.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/redis/client.h"
#include "common/redis/reply.h"
#include "common/redis/url.h"

struct redisContext;

namespace clinic::redis::internal {

// A lazily made hiredis connection to one endpoint.
//
// Not thread-safe: the pool hands it to one thread at a time. After any I/O error or
// timeout the hiredis context is freed at once (its stream may be out of step with
// the replies still in flight), and the next Prepare() makes a new one.
//
// Error replies are returned as Reply::Error values, not statuses, so that the caller
// can react to particular ones (NOSCRIPT); failures of the connection are statuses.
class Connection {
 public:
  explicit Connection(const Endpoint& endpoint);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return context_ != nullptr; }

  // Makes sure there is a live connection: drops one that Redis closed while it was
  // idle (nothing has been sent on it, so this is safe), then connects when needed
  // (with AUTH and SELECT from the endpoint). UNAVAILABLE when Redis cannot be reached.
  // `connect_timeout` bounds the connect; `io_timeout` the handshake's replies.
  // `*connected_now` is set when a new connection was made.
  absl::Status Prepare(absl::Duration connect_timeout, absl::Duration io_timeout,
                       bool* connected_now);

  // One command. Precondition: connected(), args not empty.
  absl::StatusOr<Reply> Command(absl::Span<const std::string_view> args, absl::Duration timeout);

  // Several commands, written together, then their replies read in order.
  // Precondition: connected(), each command not empty.
  absl::StatusOr<std::vector<Reply>> Pipelined(const Pipeline& pipeline, absl::Duration timeout);

  // Frees the hiredis context (if any).
  void Close();

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };

  bool IdleSocketIsStale() const;
  absl::Status SetTimeout(absl::Duration timeout);
  // The status for the failure the context reports (UNAVAILABLE); closes the
  // connection. `saved_errno` is errno right after the failing hiredis call.
  absl::Status Fail(int saved_errno, std::string_view during, absl::Duration timeout);
  absl::StatusOr<Reply> ReadReply();

  const Endpoint& endpoint_;
  std::unique_ptr<redisContext, ContextDeleter> context_;
  absl::Duration timeout_ = absl::ZeroDuration();  // currently set on the socket
};

}  // namespace clinic::redis::internal
