#pragma once

// Delivers the inventory's staff alerts (outbox topic store::kStaffAlertTopic) to the
// notification service: one ScheduleReminder call per outbox message, as the inventory
// service itself (a service token), with a deadline, through common/peer.

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "clinic/notification/v1/notification_service.grpc.pb.h"
#include "common/outbox/outbox.h"
#include "common/peer/peer_call.h"
#include "common/peer/token_source.h"

namespace clinic::inventory {

struct StaffAlertSenderOptions {
  // The whole call, retries included. Keep it well under the outbox relay's lease.
  absl::Duration timeout = absl::Seconds(10);
  // Quick retries within one delivery (UNAVAILABLE, e.g. a replica restarting); the
  // outbox retries again later with its own, longer backoff.
  peer::RetryPolicy retry = {.max_attempts = 3};
};

class StaffAlertSender {
 public:
  // `tokens` and `metrics` (may be null) must outlive the sender.
  StaffAlertSender(std::unique_ptr<notification::v1::NotificationService::StubInterface> stub,
                   peer::TokenSource& tokens, peer::ClientMetrics* metrics, StaffAlertSenderOptions options = {});

  // The delivery function for outbox::Relay::Handle. The payload is the
  // ScheduleReminderRequest written with the alert; its request_id (stable per alert)
  // makes a redelivery schedule nothing twice, and is also the call's x-request-id.
  // Returns OK once scheduled, also when the notification service answers ALREADY_EXISTS
  // (a reminder with the alert's dedupe key exists: delivered before); DATA_LOSS for a
  // payload that does not parse (permanent); otherwise the call's status (the relay
  // retries the retryable codes). Thread-safe.
  absl::Status Deliver(const outbox::Message& message);

 private:
  std::unique_ptr<notification::v1::NotificationService::StubInterface> stub_;
  peer::TokenSource& tokens_;
  peer::CallSpec spec_;
};

}  // namespace clinic::inventory
