#include "services/inventory/alert_sender.h"

#include <utility>

namespace clinic::inventory {

namespace nv1 = ::clinic::notification::v1;

StaffAlertSender::StaffAlertSender(std::unique_ptr<nv1::NotificationService::StubInterface> stub,
                                   peer::TokenSource& tokens, peer::ClientMetrics* metrics,
                                   StaffAlertSenderOptions options)
    : stub_(std::move(stub)), tokens_(tokens) {
  spec_.method = "clinic.notification.v1.NotificationService/ScheduleReminder";
  spec_.idempotent = true;  // by the request_id
  spec_.timeout = options.timeout;
  spec_.retry = options.retry;
  spec_.metrics = metrics;
}

absl::Status StaffAlertSender::Deliver(const outbox::Message& message) {
  nv1::ScheduleReminderRequest request;
  if (!request.ParseFromString(message.payload) || request.request_id().empty()) {
    return absl::DataLossError("staff alert message does not hold a ScheduleReminderRequest");
  }
  const peer::Origin origin = peer::Origin::ForService(tokens_, request.request_id());
  nv1::Reminder reminder;
  absl::Status status = peer::CallPeer(origin, spec_, [&](grpc::ClientContext& context) {
    return stub_->ScheduleReminder(&context, request, &reminder);
  });
  if (status.code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  return status;
}

}  // namespace clinic::inventory
