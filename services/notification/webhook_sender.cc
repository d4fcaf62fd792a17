#include "services/notification/webhook_sender.h"

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace clinic::notification {
namespace {

std::chrono::microseconds Micros(absl::Duration d) { return absl::ToChronoMicroseconds(d); }

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookSender>> WebhookSender::Create(Options options) {
  const std::string& url = options.url;
  size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError("the webhook URL must start with http:// or https://");
  }
  const size_t host_start = scheme_end + 3;
  const size_t path_start = url.find('/', host_start);
  const std::string host_port = url.substr(host_start, path_start == std::string::npos ? std::string::npos
                                                                                       : path_start - host_start);
  if (host_port.empty() || host_port.find_first_of(" @?#") != std::string::npos) {
    return absl::InvalidArgumentError("the webhook URL has no valid host");
  }
  if (options.max_attempts < 1) return absl::InvalidArgumentError("webhook max_attempts must be at least 1");
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  std::string origin = scheme + "://" + host_port;
  return std::unique_ptr<WebhookSender>(new WebhookSender(std::move(options), std::move(origin), std::move(path)));
}

SendOutcome WebhookSender::SendOnce(const std::string& body, const std::string& key) const {
  httplib::Client client(origin_);
  client.set_connection_timeout(Micros(options_.timeout));
  client.set_read_timeout(Micros(options_.timeout));
  client.set_write_timeout(Micros(options_.timeout));
  client.set_keep_alive(false);
  httplib::Headers headers = {{"Idempotency-Key", key}};
  if (!options_.bearer_token.empty()) headers.emplace("Authorization", "Bearer " + options_.bearer_token);
  httplib::Result result = client.Post(path_.c_str(), headers, body, "application/json");
  if (!result) {
    const httplib::Error error = result.error();
    if (error == httplib::Error::Read || error == httplib::Error::Write || error == httplib::Error::ConnectionTimeout) {
      return {SendOutcome::Kind::kRetryable, "TIMEOUT"};
    }
    return {SendOutcome::Kind::kRetryable, "CONNECTION"};
  }
  const int code = result->status;
  if (code >= 200 && code < 300) return {SendOutcome::Kind::kDelivered, ""};
  const std::string error_code = absl::StrCat("HTTP_", code);
  if (code == 408 || code == 429 || code >= 500) return {SendOutcome::Kind::kRetryable, error_code};
  return {SendOutcome::Kind::kPermanent, error_code};
}

SendOutcome WebhookSender::Send(const OutgoingMessage& message) {
  nlohmann::json j;
  j["idempotency_key"] = message.idempotency_key;
  j["reminder"] = message.reminder;
  j["channel"] = ChannelName(message.channel);
  j["to"] = message.address;
  j["subject"] = message.subject;
  j["body"] = message.body;
  const std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  absl::Duration backoff = options_.initial_backoff;
  SendOutcome outcome;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    outcome = SendOnce(body, message.idempotency_key);
    if (outcome.kind != SendOutcome::Kind::kRetryable || attempt == options_.max_attempts) break;
    std::this_thread::sleep_for(Micros(backoff));
    backoff *= 2;
  }
  return outcome;
}

}  // namespace clinic::notification
