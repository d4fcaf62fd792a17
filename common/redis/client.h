#pragma once

// The Redis client that services depend on. Services take a `redis::Client&`; the
// composition root (main.cc) builds the concrete client (hiredis_client.h) and tests
// pass a fake or a client connected to a private redis-server.
//
//   absl::StatusOr<redis::Reply> r = client.Command({"GET", key});
//   if (!r.ok()) return r.status();            // UNAVAILABLE: fail open
//   if (r->is_nil()) return std::nullopt;      // a miss
//   return r->str();
//
// Arguments are binary-safe byte strings (embedded zero bytes are fine); args[0] is the
// command name.
//
// Threading: every method may be called from any number of threads at once. Calls are
// synchronous and block for up to their timeouts (waiting for a pooled connection,
// connecting, the round trip), so do not call them from a gRPC callback reactor or any
// other thread that must not block.
//
// Errors (absl::Status codes):
//   UNAVAILABLE  Redis could not be reached or did not answer in time: connection
//                refused, reset or closed, host unreachable, connect or command timeout,
//                no pooled connection free in time; also error replies that say "retry
//                later" (LOADING, BUSY, MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN).
//                The message says which. When the command had already been sent, its
//                outcome is unknown: it may have been applied. The client never resends
//                a command by itself.
//   FAILED_PRECONDITION  WRONGTYPE: the key holds another kind of value.
//   RESOURCE_EXHAUSTED   OOM: Redis is at maxmemory under noeviction.
//   NOT_FOUND            NOSCRIPT from a raw EVALSHA (RunScript handles it itself).
//   INTERNAL             any other error reply, e.g. ERR, or a script's
//                        redis.error_reply("SOME_CODE text") with a code of its own.
//                        (Errors raised inside a script keep the code they carry: a
//                        redis.call failing with WRONGTYPE is FAILED_PRECONDITION.)
//   INVALID_ARGUMENT     an empty command.
// An error reply's status message is "redis: " followed by Redis's own error text (for
// a script's error_reply, the text the script gave). Messages never contain command
// arguments: they may be ids of patients.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/redis/reply.h"
#include "common/redis/script.h"

namespace clinic::redis {

// Per-call settings.
struct CallOptions {
  // The time budget of this call as a whole: waiting for a pooled connection,
  // connecting when needed, and the command's round trip (every socket wait is bounded
  // by what is left). When unset, the client's configured limits apply to each phase.
  // Use it to spend only a fraction of an RPC's deadline, or to give a blocking command
  // (BLPOP, WAIT) more time than the default command timeout.
  std::optional<absl::Duration> timeout;
};

// Commands sent together in one round trip (see Client::Execute). The arguments are
// copied, so the pipeline does not refer to the caller's strings.
class Pipeline {
 public:
  // Appends one command; args[0] is the command name and must be present.
  Pipeline& Add(absl::Span<const std::string_view> args);

  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  // The arguments of command i < size().
  absl::Span<const std::string> command(size_t i) const;

 private:
  std::vector<std::string> args_;
  std::vector<size_t> ends_;  // ends_[i]: one past the last argument of command i
};

// The status for an error reply with text `error_text` (e.g. "WRONGTYPE Operation
// against a key holding the wrong kind of value"), mapped as described at the top of
// this file. Implementations and fakes of Client use it so that callers see one mapping.
absl::Status ErrorReplyToStatus(std::string_view error_text);

// See the top of this file for the contract shared by all methods.
class Client {
 public:
  virtual ~Client() = default;

  // Sends one command and returns its reply. An error reply is returned as a status.
  absl::StatusOr<Reply> Command(absl::Span<const std::string_view> args,
                                const CallOptions& options = {}) {
    return DoCommand(args, options);
  }

  // Sends every command of `pipeline` on one connection, then reads their replies: one
  // round trip. The outer status is a failure of the connection as a whole (then no
  // reply is returned, and any of the commands may or may not have been applied); each
  // inner status is that command's reply or its error reply, in the order added. Not a
  // transaction: other clients' commands may run in between (add MULTI/EXEC for that).
  absl::StatusOr<std::vector<absl::StatusOr<Reply>>> Execute(const Pipeline& pipeline,
                                                              const CallOptions& options = {}) {
    return DoExecute(pipeline, options);
  }

  // Runs `script` with EVALSHA; when Redis does not have it (NOSCRIPT: after a restart
  // or SCRIPT FLUSH) sends it with EVAL, which also caches it, and returns that result.
  // `keys` become KEYS[1..n] and `args` ARGV[1..m]; for Redis Cluster every key a script
  // touches must be in `keys` and share one hash tag.
  absl::StatusOr<Reply> RunScript(const Script& script, absl::Span<const std::string_view> keys,
                                  absl::Span<const std::string_view> args,
                                  const CallOptions& options = {}) {
    return DoRunScript(script, keys, args, options);
  }

 private:
  // Implementations; the public methods above are the contract.
  virtual absl::StatusOr<Reply> DoCommand(absl::Span<const std::string_view> args,
                                          const CallOptions& options) = 0;
  virtual absl::StatusOr<std::vector<absl::StatusOr<Reply>>> DoExecute(
      const Pipeline& pipeline, const CallOptions& options) = 0;
  virtual absl::StatusOr<Reply> DoRunScript(const Script& script,
                                            absl::Span<const std::string_view> keys,
                                            absl::Span<const std::string_view> args,
                                            const CallOptions& options) = 0;
};

}  // namespace clinic::redis
