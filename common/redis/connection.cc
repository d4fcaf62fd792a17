#include "common/redis/connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace clinic::redis::internal {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
// Owns a reply from hiredis from the moment it is returned until it is converted.
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

Reply Convert(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(reply.str, reply.len));
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(reply.str, reply.len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(reply.str, reply.len));
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(reply.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) elements.push_back(Convert(*reply.element[i]));
      return Reply::Array(std::move(elements));
    }
    default:
      return Reply::Nil();
  }
}

// A zero timeval means "no timeout" to the socket layer: never pass one.
absl::Duration AtLeastOneMillisecond(absl::Duration d) { return std::max(d, absl::Milliseconds(1)); }

timeval Timeval(absl::Duration d) { return absl::ToTimeval(AtLeastOneMillisecond(d)); }

// Argument pointers and lengths for hiredis's argv calls.
struct Argv {
  template <typename Strings>
  explicit Argv(const Strings& args) {
    for (const auto& arg : args) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  int argc() const { return static_cast<int>(pointers.size()); }
  absl::InlinedVector<const char*, 8> pointers;
  absl::InlinedVector<size_t, 8> lengths;
};

}  // namespace

void Connection::ContextDeleter::operator()(redisContext* context) const { redisFree(context); }

Connection::Connection(const Endpoint& endpoint) : endpoint_(endpoint) {}

Connection::~Connection() = default;

void Connection::Close() {
  context_.reset();
  timeout_ = absl::ZeroDuration();
}

bool Connection::IdleSocketIsStale() const {
  // Between calls nothing may arrive on a connection: readable means Redis closed it
  // (a restart, its idle timeout) or it was reset.
  pollfd fd{};
  fd.fd = context_->fd;
  fd.events = POLLIN;
  return ::poll(&fd, 1, 0) != 0;
}

absl::Status Connection::Fail(int saved_errno, std::string_view during, absl::Duration timeout) {
  const int err = context_ != nullptr ? context_->err : REDIS_ERR_OTHER;
  const std::string errstr = context_ != nullptr ? std::string(context_->errstr) : "";
  Close();
  std::string what;
  if (err == REDIS_ERR_EOF) {
    what = "connection closed by the server";
  } else if (err == REDIS_ERR_IO) {
    switch (saved_errno) {
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
      case ETIMEDOUT:
        what = absl::StrCat("timed out after ", absl::FormatDuration(AtLeastOneMillisecond(timeout)));
        break;
      case ECONNREFUSED:
        what = "connection refused";
        break;
      case ECONNRESET:
      case EPIPE:
        what = "connection reset";
        break;
      case EHOSTUNREACH:
      case ENETUNREACH:
        what = "host unreachable";
        break;
      default:
        what = absl::StrCat("I/O error: ", errstr);
    }
  } else if (err == REDIS_ERR_PROTOCOL) {
    what = "protocol error";
  } else {
    what = errstr.empty() ? "connection failed" : errstr;
  }
  return absl::UnavailableError(
      absl::StrCat("redis ", endpoint_.Address(), ": ", what, " (", std::string(during), ")"));
}

absl::Status Connection::SetTimeout(absl::Duration timeout) {
  timeout = AtLeastOneMillisecond(timeout);
  if (timeout == timeout_) return absl::OkStatus();
  if (redisSetTimeout(context_.get(), Timeval(timeout)) != REDIS_OK) {
    return Fail(errno, "setting the socket timeout", timeout);
  }
  timeout_ = timeout;
  return absl::OkStatus();
}

absl::Status Connection::Prepare(absl::Duration connect_timeout, absl::Duration io_timeout,
                                 bool* connected_now) {
  *connected_now = false;
  if (context_ != nullptr && IdleSocketIsStale()) Close();
  if (context_ != nullptr) return absl::OkStatus();

  errno = 0;
  redisContext* raw = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                              Timeval(connect_timeout));
  const int saved_errno = errno;
  if (raw == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint_.Address(), ": cannot allocate a connection"));
  }
  context_.reset(raw);
  if (raw->err != 0) return Fail(saved_errno, "connecting", connect_timeout);
  if (redisEnableKeepAlive(raw) != REDIS_OK) return Fail(errno, "enabling keepalive", connect_timeout);
  if (absl::Status s = SetTimeout(io_timeout); !s.ok()) return s;

  // The handshake: AUTH and SELECT as the URL asks.
  auto handshake = [&](absl::Span<const std::string_view> args, const char* what) -> absl::Status {
    absl::StatusOr<Reply> reply = Command(args, io_timeout);
    if (!reply.ok()) return reply.status();
    if (reply->is_error()) {
      const absl::Status mapped = ErrorReplyToStatus(reply->str());
      Close();
      return absl::Status(mapped.code(),
                          absl::StrCat("redis ", endpoint_.Address(), ": ", what, " failed: ",
                                       mapped.message()));
    }
    return absl::OkStatus();
  };
  if (!endpoint_.password.empty()) {
    absl::Status s = endpoint_.username.empty()
                         ? handshake({"AUTH", endpoint_.password}, "AUTH")
                         : handshake({"AUTH", endpoint_.username, endpoint_.password}, "AUTH");
    if (!s.ok()) return s;
  }
  if (endpoint_.db != 0) {
    const std::string db = absl::StrCat(endpoint_.db);
    if (absl::Status s = handshake({"SELECT", db}, "SELECT"); !s.ok()) return s;
  }
  *connected_now = true;
  return absl::OkStatus();
}

absl::StatusOr<Reply> Connection::Command(absl::Span<const std::string_view> args,
                                          absl::Duration timeout) {
  if (absl::Status s = SetTimeout(timeout); !s.ok()) return s;
  Argv argv(args);  // not const: hiredis 0.14 takes a non-const argv
  errno = 0;
  void* raw = redisCommandArgv(context_.get(), argv.argc(), argv.pointers.data(), argv.lengths.data());
  const int saved_errno = errno;
  if (raw == nullptr) return Fail(saved_errno, "waiting for a reply", timeout_);
  const ReplyPtr reply(static_cast<redisReply*>(raw));
  return Convert(*reply);
}

absl::StatusOr<std::vector<Reply>> Connection::Pipelined(const Pipeline& pipeline,
                                                         absl::Duration timeout) {
  if (absl::Status s = SetTimeout(timeout); !s.ok()) return s;
  for (size_t i = 0; i < pipeline.size(); ++i) {
    Argv argv(pipeline.command(i));
    if (redisAppendCommandArgv(context_.get(), argv.argc(), argv.pointers.data(),
                               argv.lengths.data()) != REDIS_OK) {
      return Fail(errno, "buffering a pipeline", timeout_);
    }
  }
  std::vector<Reply> replies;
  replies.reserve(pipeline.size());
  for (size_t i = 0; i < pipeline.size(); ++i) {
    void* raw = nullptr;
    errno = 0;
    const int rc = redisGetReply(context_.get(), &raw);
    const int saved_errno = errno;
    if (rc != REDIS_OK || raw == nullptr) return Fail(saved_errno, "waiting for pipelined replies", timeout_);
    const ReplyPtr reply(static_cast<redisReply*>(raw));
    replies.push_back(Convert(*reply));
  }
  return replies;
}

}  // namespace clinic::redis::internal
