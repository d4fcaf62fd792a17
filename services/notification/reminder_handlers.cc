// The reminder RPCs: schedule, read, list, cancel, reschedule, dead letters.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "common/log/log.h"
#include "common/status/status.h"
#include "services/notification/domain/access.h"
#include "services/notification/domain/templates.h"
#include "services/notification/handler_support.h"
#include "services/notification/notification_service.h"
#include "services/notification/reminder_store.h"
#include "services/notification/template_store.h"
#include "services/notification/validation.h"

namespace clinic::notification {
namespace {

using domain::Action;

constexpr std::string_view kReminderPattern = "reminders/{reminder}";

// What a reminder needs of the templates that may be used to send it.
struct TemplateNeeds {
  v1::ReminderKind kind = v1::REMINDER_KIND_UNSPECIFIED;
  type::v1::ContactChannel channel = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  std::string language_code;  // canonical; empty: any
  const std::map<std::string, std::string>* parameters = nullptr;
  bool has_event_time = false;
};

// INVALID_ARGUMENT naming `parameters_field` (or `event_field`) when an ACTIVE template
// the reminder may be sent with needs a parameter it lacks (or a built-in placeholder
// its event_time would fill). The templates considered: those of the kind, on the
// reminder's channel if it has one, and per channel the one its language picks (every
// language when it has none: the patient's is known only at send time).
absl::Status CheckTemplateNeeds(sql::Transaction& tx, const TemplateNeeds& needs, std::string_view parameters_field,
                                std::string_view event_field) {
  absl::StatusOr<std::vector<v1::Template>> templates = store::ActiveTemplates(tx, needs.kind);
  if (!templates.ok()) return templates.status();
  std::map<int, std::vector<const v1::Template*>> by_channel;
  for (const v1::Template& t : *templates) {
    if (needs.channel != type::v1::CONTACT_CHANNEL_UNSPECIFIED && t.channel() != needs.channel) continue;
    by_channel[t.channel()].push_back(&t);
  }
  status::FieldViolations bad;
  for (auto& [channel, candidates] : by_channel) {
    std::vector<const v1::Template*> used = candidates;
    if (!needs.language_code.empty()) {
      std::vector<std::string> languages;
      for (const v1::Template* t : candidates) languages.push_back(t->language_code());
      std::optional<size_t> best = domain::PickLanguage(languages, needs.language_code);
      used.clear();
      if (best.has_value()) used.push_back(candidates[*best]);
    }
    for (const v1::Template* t : used) {
      for (const std::string& p : t->required_parameters()) {
        if (needs.parameters->count(p) == 0) {
          bad.Add(std::string(parameters_field), absl::StrCat("missing \"", p, "\", required by ", t->name()));
        }
      }
      if (needs.has_event_time) continue;
      for (const std::string* text : {&t->subject(), &t->body()}) {
        absl::StatusOr<std::vector<std::string>> names = domain::Placeholders(*text);
        if (!names.ok()) continue;
        for (const std::string& name : *names) {
          if (domain::IsBuiltinPlaceholder(name) && needs.parameters->count(name) == 0) {
            bad.Add(std::string(event_field), absl::StrCat("required by ", t->name(), " ({{", name, "}})"));
          }
        }
      }
    }
  }
  return bad.ToStatus();
}

// Loads the reminder named `name`, and authorises `action` at its clinic.
absl::StatusOr<store::StoredReminder> LoadAuthorized(sql::Transaction& tx, const server::Call& call,
                                                     const std::string& reminder_id, Action action) {
  absl::StatusOr<store::StoredReminder> s = store::LoadReminder(tx, reminder_id);
  if (!s.ok()) return AboutField("name", s.status());
  status::FieldViolations ignored;  // stored names are well formed
  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", s->reminder.clinic(), "clinic", ignored);
  if (absl::Status a = domain::Authorize(call.principal(), action, clinic_id.value_or("")); !a.ok()) return a;
  return s;
}

std::string IdOf(std::string_view reminder_name) {
  return std::string(reminder_name.substr(std::string_view("reminders/").size()));
}

}  // namespace

void NotificationService::SyncQueue(const v1::Reminder& reminder) {
  const std::string id = IdOf(reminder.name());
  absl::Status s;
  const char* operation = "enqueue";
  if (reminder.state() == v1::REMINDER_STATE_SCHEDULED) {
    s = queue_.Enqueue(id, api::FromTimestamp(reminder.next_attempt_time()));
  } else if (reminder.state() == v1::REMINDER_STATE_CANCELLED) {
    operation = "remove";
    s = queue_.Remove(id);
  }
  if (s.ok()) return;
  metrics_.QueuePortError(operation);
  log::Warn("reminder stored but the queue change failed; the reconcile will repair it",
            {{"reminder_id", id}, {"operation", operation}, {"code", absl::StatusCodeToString(s.code())}});
}

void NotificationService::RemoveFromQueue(std::string_view reminder_name) {
  v1::Reminder r;
  r.set_name(std::string(reminder_name));
  r.set_state(v1::REMINDER_STATE_CANCELLED);
  SyncQueue(r);
}

absl::Status NotificationService::HandleScheduleReminder(const server::Call& call,
                                                         const v1::ScheduleReminderRequest& request,
                                                         v1::Reminder* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  if (!request.has_reminder()) bad.Add("reminder", "required");
  const absl::Time now = clock_.Now();
  std::optional<ReminderInput> in = CheckNewReminder(request.reminder(), now, bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kManageReminders, in->clinic_id); !s.ok()) return s;
  const std::string id = api::NewId();
  absl::Status s = Mutate(db_, "ScheduleReminder", request, now, response, [&](sql::Transaction& tx) -> absl::Status {
    const TemplateNeeds needs{in->kind, in->channel, in->language_code, &in->template_parameters,
                              in->event_time.has_value()};
    if (absl::Status c = CheckTemplateNeeds(tx, needs, "reminder.template_parameters", "reminder.event_time");
        !c.ok()) {
      return c;
    }
    return store::InsertReminder(tx, id, *in, call.principal().subject, now, response);
  }, ScheduleOptions());
  if (!s.ok()) return s;
  SyncQueue(*response);
  return absl::OkStatus();
}

absl::Status NotificationService::HandleGetReminder(const server::Call& call, const v1::GetReminderRequest& request,
                                                    v1::Reminder* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId(kReminderPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<store::StoredReminder> s = LoadAuthorized(tx, call, *id, Action::kManageReminders);
    if (!s.ok()) return s.status();
    absl::StatusOr<v1::Reminder> r = store::GetReminder(tx, *id);
    if (!r.ok()) return AboutField("name", r.status());
    *response = *std::move(r);
    return absl::OkStatus();
  });
}

absl::Status NotificationService::HandleListReminders(const server::Call& call,
                                                      const v1::ListRemindersRequest& request,
                                                      v1::ListRemindersResponse* response) {
  status::FieldViolations bad;
  store::ReminderQuery query;
  if (!request.clinic().empty()) {
    query.clinic_id = api::ParseId("clinics/{clinic}", request.clinic(), "clinic", bad).value_or("");
  } else if (domain::IsClinicBound(call.principal())) {
    bad.Add("clinic", "required for clinic staff: filter on your clinic");
  }
  if (!request.patient().empty() && api::ParseId("patients/{patient}", request.patient(), "patient", bad)) {
    query.patient = request.patient();
  }
  if (!request.appointment().empty() &&
      api::ParseName("clinics/{clinic}/appointments/{appointment}", request.appointment(), "appointment", bad)) {
    query.appointment = request.appointment();
  }
  query.kind_mask = EnumMask(request.kinds(), v1::ReminderKind_IsValid, "kinds", bad);
  query.state_mask = EnumMask(request.states(), v1::ReminderState_IsValid, "states", bad);
  if (request.has_send_interval()) {
    const type::v1::Interval& interval = request.send_interval();
    query.send_from =
        CheckOptionalTime(interval.start_time(), interval.has_start_time(), "send_interval.start_time", bad);
    query.send_until = CheckOptionalTime(interval.end_time(), interval.has_end_time(), "send_interval.end_time", bad);
    if (query.send_from && query.send_until && *query.send_until <= *query.send_from) {
      bad.Add("send_interval.end_time", "must be after start_time");
    }
  }
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 500, &page, bad)) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kListReminders,
                                         query.clinic_id.empty() ? "-" : query.clinic_id);
      !s.ok()) {
    return s;
  }
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Reminder> reminders;
    std::vector<std::string> next;
    if (absl::Status s = store::ListReminders(tx, query, page, &reminders, &next); !s.ok()) return s;
    for (v1::Reminder& r : reminders) *response->add_reminders() = std::move(r);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

absl::Status NotificationService::HandleCancelReminder(const server::Call& call,
                                                       const v1::CancelReminderRequest& request,
                                                       v1::Reminder* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kReminderPattern, request.name(), "name", bad);
  CheckReason(request.reason(), "reason", bad);
  if (!bad.empty()) return bad.ToStatus();
  const absl::Time now = clock_.Now();
  absl::Status s = Mutate(db_, "CancelReminder", request, now, response, [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<store::StoredReminder> r = LoadAuthorized(tx, call, *id, Action::kManageReminders);
    if (!r.ok()) return r.status();
    return store::CancelReminder(tx, *id, request.reason(), now, response);
  });
  if (!s.ok()) return s;
  SyncQueue(*response);
  return absl::OkStatus();
}

absl::Status NotificationService::HandleCancelRemindersForAppointment(
    const server::Call& call, const v1::CancelRemindersForAppointmentRequest& request,
    v1::CancelRemindersForAppointmentResponse* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> appointment =
      api::ParseName("clinics/{clinic}/appointments/{appointment}", request.appointment(), "appointment", bad);
  CheckReason(request.reason(), "reason", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kCancelForAppointment, (*appointment)[0]);
      !s.ok()) {
    return s;
  }
  const absl::Time now = clock_.Now();
  absl::Status s = Mutate(db_, "CancelRemindersForAppointment", request, now, response, [&](sql::Transaction& tx) {
    return store::CancelRemindersForAppointment(tx, request.appointment(), request.reason(), now, response);
  });
  if (!s.ok()) return s;
  for (const std::string& name : response->cancelled_reminders()) RemoveFromQueue(name);
  return absl::OkStatus();
}

absl::Status NotificationService::HandleRescheduleReminder(const server::Call& call,
                                                           const v1::RescheduleReminderRequest& request,
                                                           v1::Reminder* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kReminderPattern, request.name(), "name", bad);
  const absl::Time now = clock_.Now();
  store::RescheduleInput in;
  std::optional<absl::Time> send = CheckSendTime(request.send_time(), request.has_send_time(), "send_time", now, bad);
  in.event_time = CheckOptionalTime(request.event_time(), request.has_event_time(), "event_time", bad);
  in.expire_time = CheckOptionalTime(request.expire_time(), request.has_expire_time(), "expire_time", bad);
  if (!request.template_parameters().empty()) {
    CheckTemplateParameters(request.template_parameters(), "template_parameters", bad);
    in.template_parameters.emplace(request.template_parameters().begin(), request.template_parameters().end());
  }
  if (!bad.empty()) return bad.ToStatus();
  in.send_time = *send;
  absl::Status s = Mutate(db_, "RescheduleReminder", request, now, response, [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<store::StoredReminder> r = LoadAuthorized(tx, call, *id, Action::kManageReminders);
    if (!r.ok()) return r.status();
    if (in.template_parameters.has_value()) {
      const TemplateNeeds needs{r->reminder.kind(), r->reminder.channel(), r->reminder.language_code(),
                                &*in.template_parameters, in.event_time.has_value() || r->event_time.has_value()};
      if (absl::Status c = CheckTemplateNeeds(tx, needs, "template_parameters", "event_time"); !c.ok()) return c;
    }
    return AboutField("name", store::RescheduleReminder(tx, *id, ExpectedVersion(request.etag()), in, now, response));
  });
  if (!s.ok()) return s;
  SyncQueue(*response);
  return absl::OkStatus();
}

absl::Status NotificationService::HandleListDeadLetters(const server::Call& call,
                                                        const v1::ListDeadLettersRequest& request,
                                                        v1::ListDeadLettersResponse* response) {
  status::FieldViolations bad;
  std::string clinic_id;
  if (!request.clinic().empty()) {
    clinic_id = api::ParseId("clinics/{clinic}", request.clinic(), "clinic", bad).value_or("");
  } else if (domain::IsClinicBound(call.principal())) {
    bad.Add("clinic", "required for clinic staff: filter on your clinic");
  }
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 500, &page, bad)) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kDeadLetters, clinic_id.empty() ? "-" : clinic_id);
      !s.ok()) {
    return s;
  }
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Reminder> reminders;
    std::vector<std::string> next;
    if (absl::Status s = store::ListDeadLetters(tx, clinic_id, page, &reminders, &next); !s.ok()) return s;
    for (v1::Reminder& r : reminders) *response->add_reminders() = std::move(r);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

absl::Status NotificationService::HandleRetryDeadLetter(const server::Call& call,
                                                        const v1::RetryDeadLetterRequest& request,
                                                        v1::Reminder* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kReminderPattern, request.name(), "name", bad);
  const absl::Time now = clock_.Now();
  std::optional<absl::Time> due;
  if (request.has_send_time()) due = CheckSendTime(request.send_time(), true, "send_time", now, bad);
  if (!bad.empty()) return bad.ToStatus();
  absl::Status s = Mutate(db_, "RetryDeadLetter", request, now, response, [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<store::StoredReminder> r = LoadAuthorized(tx, call, *id, Action::kDeadLetters);
    if (!r.ok()) return r.status();
    return store::RetryDeadLetter(tx, *id, due.value_or(now), now, response);
  });
  if (!s.ok()) return s;
  SyncQueue(*response);
  return absl::OkStatus();
}

}  // namespace clinic::notification
