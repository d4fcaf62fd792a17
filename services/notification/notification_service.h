#pragma once

#include "clinic/notification/v1/notification_service.clinic.h"
#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "services/notification/metrics.h"
#include "services/notification/queue_port.h"

namespace clinic::notification {

// The notification service's gRPC layer: reminders, dead letters, templates, staff
// contacts. (Sending is the deliverer's: reminder_deliverer.h.)
//
// Each handler checks the request's fields (validation.h), authorises the caller
// (domain/access.h), and runs the stores (reminder_store.h, template_store.h) in one
// transaction; mutations go through api::RunOnce so that a retry with the same
// request_id returns the first outcome. A reminder is committed first and queued after
// the commit: when the queue is unavailable the call still succeeds (logged, counted in
// notification_queue_port_errors_total) and the reconcile step queues it later.
//
// Thread-safe: handlers run concurrently on gRPC's threads; `db`, `clock`, `queue` and
// `metrics` must be thread-safe and outlive the service.
class NotificationService final : public v1::NotificationServiceBase {
 public:
  NotificationService(const server::CallRunner& calls, sql::Database& db, const Clock& clock, QueuePort& queue,
                      NotificationMetrics& metrics)
      : NotificationServiceBase(calls), db_(db), clock_(clock), queue_(queue), metrics_(metrics) {}

 protected:
  // Reminders (reminder_handlers.cc).
  absl::Status HandleScheduleReminder(const server::Call& call, const v1::ScheduleReminderRequest& request,
                                      v1::Reminder* response) override;
  absl::Status HandleGetReminder(const server::Call& call, const v1::GetReminderRequest& request,
                                 v1::Reminder* response) override;
  absl::Status HandleListReminders(const server::Call& call, const v1::ListRemindersRequest& request,
                                   v1::ListRemindersResponse* response) override;
  absl::Status HandleCancelReminder(const server::Call& call, const v1::CancelReminderRequest& request,
                                    v1::Reminder* response) override;
  absl::Status HandleCancelRemindersForAppointment(const server::Call& call,
                                                   const v1::CancelRemindersForAppointmentRequest& request,
                                                   v1::CancelRemindersForAppointmentResponse* response) override;
  absl::Status HandleRescheduleReminder(const server::Call& call, const v1::RescheduleReminderRequest& request,
                                        v1::Reminder* response) override;
  absl::Status HandleListDeadLetters(const server::Call& call, const v1::ListDeadLettersRequest& request,
                                     v1::ListDeadLettersResponse* response) override;
  absl::Status HandleRetryDeadLetter(const server::Call& call, const v1::RetryDeadLetterRequest& request,
                                     v1::Reminder* response) override;

  // Templates and staff contacts (template_handlers.cc).
  absl::Status HandleCreateTemplate(const server::Call& call, const v1::CreateTemplateRequest& request,
                                    v1::Template* response) override;
  absl::Status HandleGetTemplate(const server::Call& call, const v1::GetTemplateRequest& request,
                                 v1::Template* response) override;
  absl::Status HandleListTemplates(const server::Call& call, const v1::ListTemplatesRequest& request,
                                   v1::ListTemplatesResponse* response) override;
  absl::Status HandleUpdateTemplate(const server::Call& call, const v1::UpdateTemplateRequest& request,
                                    v1::Template* response) override;
  absl::Status HandleDeleteTemplate(const server::Call& call, const v1::DeleteTemplateRequest& request,
                                    google::protobuf::Empty* response) override;
  absl::Status HandleCreateStaffContact(const server::Call& call, const v1::CreateStaffContactRequest& request,
                                        v1::StaffContact* response) override;
  absl::Status HandleGetStaffContact(const server::Call& call, const v1::GetStaffContactRequest& request,
                                     v1::StaffContact* response) override;
  absl::Status HandleListStaffContacts(const server::Call& call, const v1::ListStaffContactsRequest& request,
                                       v1::ListStaffContactsResponse* response) override;
  absl::Status HandleUpdateStaffContact(const server::Call& call, const v1::UpdateStaffContactRequest& request,
                                        v1::StaffContact* response) override;
  absl::Status HandleDeleteStaffContact(const server::Call& call, const v1::DeleteStaffContactRequest& request,
                                        google::protobuf::Empty* response) override;

 private:
  // After a committed change: queue a SCHEDULED reminder at its next attempt time, or
  // take a CANCELLED one off the queue. Failures are logged and counted, not returned.
  void SyncQueue(const v1::Reminder& reminder);
  void RemoveFromQueue(std::string_view reminder_name);

  sql::Database& db_;
  const Clock& clock_;
  QueuePort& queue_;
  NotificationMetrics& metrics_;
};

}  // namespace clinic::notification
