#include "common/redis/client.h"

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace clinic::redis {
namespace {

// Error codes (the first word of an error reply) meaning "try again later".
constexpr std::array<std::string_view, 7> kRetryLater = {
    "LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS"};

// Redis echoes the first arguments of an unknown command ("ERR unknown command 'X',
// with args beginning with: 'patient-42' ..."). Arguments may be personal ids and
// must not reach a status message, so everything from that clause on is cut.
std::string_view WithoutEchoedArguments(std::string_view text) {
  const size_t pos = text.find(", with args beginning with:");
  return pos == std::string_view::npos ? text : text.substr(0, pos);
}

}  // namespace

Pipeline& Pipeline::Add(absl::Span<const std::string_view> args) {
  for (std::string_view arg : args) args_.emplace_back(arg);
  ends_.push_back(args_.size());
  return *this;
}

absl::Span<const std::string> Pipeline::command(size_t i) const {
  const size_t begin = i == 0 ? 0 : ends_[i - 1];
  return absl::MakeConstSpan(args_).subspan(begin, ends_[i] - begin);
}

absl::Status ErrorReplyToStatus(std::string_view error_text) {
  const std::string_view text = WithoutEchoedArguments(error_text);
  const std::string_view code = text.substr(0, text.find(' '));
  std::string message = "redis: ";
  message.append(text);
  if (code == "WRONGTYPE") return absl::FailedPreconditionError(std::move(message));
  if (code == "OOM") return absl::ResourceExhaustedError(std::move(message));
  if (code == "NOSCRIPT") return absl::NotFoundError(std::move(message));
  for (std::string_view retry : kRetryLater) {
    if (code == retry) return absl::UnavailableError(std::move(message));
  }
  return absl::InternalError(std::move(message));
}

}  // namespace clinic::redis
