#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/notification/sender.h"

namespace clinic::notification {

// Sends through a provider gateway: POST of a JSON message to a configured URL
//   {"idempotency_key":"…","reminder":"reminders/…","channel":"SMS","to":"+44…",
//    "subject":"","body":"…"}
// with the header "Idempotency-Key: <key>" (the gateway delivers a key at most once) and
// "Content-Type: application/json".
//
// Outcomes: 2xx delivered; 408, 429 and 5xx, timeouts and connection failures retryable
// ("HTTP_503", "TIMEOUT", "CONNECTION"); other statuses permanent ("HTTP_400"). A
// retryable failure is retried here first (`max_attempts` in all, exponential backoff
// from `initial_backoff`), with the same key, and then reported. Each Send uses its own
// connection, so Send is thread-safe.
class WebhookSender final : public Sender {
 public:
  struct Options {
    // http://host[:port][/path] or https://… Required.
    std::string url;
    // Connect, read and write timeouts of each attempt.
    absl::Duration timeout = absl::Seconds(5);
    int max_attempts = 3;
    absl::Duration initial_backoff = absl::Milliseconds(200);
    // Sent as "Authorization: Bearer <token>" when not empty. Secret: never logged.
    std::string bearer_token;
  };

  // INVALID_ARGUMENT for a URL that is not http(s)://host[:port][/path], or for
  // max_attempts < 1.
  static absl::StatusOr<std::unique_ptr<WebhookSender>> Create(Options options);

  SendOutcome Send(const OutgoingMessage& message) override;

 private:
  WebhookSender(Options options, std::string origin, std::string path)
      : options_(std::move(options)), origin_(std::move(origin)), path_(std::move(path)) {}

  SendOutcome SendOnce(const std::string& body, const std::string& key) const;

  const Options options_;
  const std::string origin_;  // scheme://host[:port]
  const std::string path_;
};

}  // namespace clinic::notification
