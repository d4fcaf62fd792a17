#pragma once

// The channels' providers behind one interface: a message goes out by SMS or email
// through a Sender (the file sink for local runs, the webhook sender for a provider
// gateway).

#include <span>
#include <string>
#include <vector>

#include "clinic/type/v1/contact.pb.h"

namespace clinic::notification {

// One message to one address. `address`, `subject` and `body` are personal data once
// together: never logged, never queued.
struct OutgoingMessage {
  type::v1::ContactChannel channel = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  std::string address;
  // Email only; empty for SMS.
  std::string subject;
  std::string body;
  // The same for every attempt to send this message, and different for any other
  // message: a Sender delivers a key at most once (a provider's Idempotency-Key).
  // Printable ASCII without spaces.
  std::string idempotency_key;
  // The reminder it comes from, "reminders/{reminder}" (no personal data).
  std::string reminder;
};

struct SendOutcome {
  enum class Kind {
    kDelivered,  // accepted by the channel (or delivered before under the same key)
    kRetryable,  // not delivered; trying again later may work (timeout, provider 5xx)
    kPermanent,  // not delivered; trying again will fail the same (provider 4xx)
  };
  Kind kind = Kind::kDelivered;
  // For failures, a machine-readable code such as "TIMEOUT" or "HTTP_503" (never an
  // address or message text).
  std::string error_code;
};

// Sends messages. Contract: at most one delivery per idempotency key, even when the
// same message is sent twice (a job delivered twice after a crash); Send blocks until
// the outcome is known (bounded by the implementation's timeouts). Thread-safe.
class Sender {
 public:
  virtual ~Sender() = default;
  virtual SendOutcome Send(const OutgoingMessage& message) = 0;

  // Sends several messages (distinct idempotency keys): one outcome each, in order, each
  // meaning what Send's would. The default sends them one by one; a sender that can
  // share work across messages (the file sink: one write and one flush) overrides it.
  virtual std::vector<SendOutcome> SendBatch(std::span<const OutgoingMessage> messages) {
    std::vector<SendOutcome> outcomes;
    outcomes.reserve(messages.size());
    for (const OutgoingMessage& m : messages) outcomes.push_back(Send(m));
    return outcomes;
  }
};

// The channel as the senders write it: "SMS", "EMAIL" (else "UNSPECIFIED").
inline std::string ChannelName(type::v1::ContactChannel channel) {
  switch (channel) {
    case type::v1::CONTACT_CHANNEL_SMS:
      return "SMS";
    case type::v1::CONTACT_CHANNEL_EMAIL:
      return "EMAIL";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace clinic::notification
