#include "services/notification/reminder_deliverer.h"

#include <cstdio>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api/paging.h"
#include "common/log/log.h"
#include "services/notification/domain/contact_choice.h"
#include "services/notification/domain/delivery_rules.h"
#include "services/notification/domain/quiet_hours.h"
#include "services/notification/domain/templates.h"
#include "services/notification/template_store.h"

namespace clinic::notification {
namespace {

using store::Transition;
using type::v1::ContactChannel;

sql::TransactionOptions ReadOnly() {
  sql::TransactionOptions options;
  options.read_only = true;
  return options;
}

store::AttemptRecord Attempt(const store::StoredReminder& s, v1::AttemptOutcome outcome, ContactChannel channel,
                             std::string error_code, absl::Time start, absl::Time end) {
  store::AttemptRecord a;
  a.attempt_number = s.reminder.attempt_count() + 1;
  a.start_time = start;
  a.end_time = end;
  a.channel = channel;
  a.outcome = outcome;
  a.error_code = std::move(error_code);
  return a;
}

Transition Final(v1::ReminderState state) {
  Transition t;
  t.state = state;
  return t;
}

std::string_view OutcomeLabel(const Transition& t) {
  switch (t.state) {
    case v1::REMINDER_STATE_SENT:
      return "sent";
    case v1::REMINDER_STATE_SKIPPED:
      return "skipped";
    case v1::REMINDER_STATE_EXPIRED:
      return "expired";
    case v1::REMINDER_STATE_FAILED:
      return "failed";
    case v1::REMINDER_STATE_CANCELLED:
      return "cancelled";
    case v1::REMINDER_STATE_DEAD:
      return "dead";
    default:
      return t.attempt.has_value() && t.attempt->outcome == v1::ATTEMPT_OUTCOME_DEFERRED_QUIET_HOURS ? "deferred"
                                                                                                    : "retry";
  }
}

// "UNAVAILABLE" -> "PATIENT_UNAVAILABLE"; other codes "PATIENT_LOOKUP_<CODE>".
std::string LookupErrorCode(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kUnavailable || s.code() == absl::StatusCode::kDeadlineExceeded) {
    return "PATIENT_UNAVAILABLE";
  }
  std::string code = absl::StatusCodeToString(s.code());
  for (char& c : code) c = c == ' ' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  return "PATIENT_LOOKUP_" + code;
}

}  // namespace

std::string IdempotencyKey(std::string_view reminder_id, std::string_view dedupe_key, std::string_view contact_id) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(api::Fingerprint(dedupe_key)));
  std::string key = std::string(reminder_id) + "-" + hex;
  if (!contact_id.empty()) key += "-" + std::string(contact_id);
  return key;
}

ReminderDeliverer::ReminderDeliverer(sql::Database& db, const Clock& clock, ContactDirectory& contacts, Sender& sender,
                                     NotificationMetrics& metrics, Options options)
    : db_(db), clock_(clock), contacts_(contacts), sender_(sender), metrics_(metrics), options_(options) {}

DeliveryOutcome ReminderDeliverer::Deliver(std::string_view reminder_id, int attempt) {
  const absl::Time start = clock_.Now();
  absl::Status last;
  for (int round = 0; round < 4; ++round) {
    absl::StatusOr<DeliveryOutcome> outcome = Round(reminder_id, start);
    if (outcome.ok()) return *outcome;
    last = outcome.status();
    if (last.code() != absl::StatusCode::kAborted) break;
  }
  log::Warn("reminder delivery interrupted; it will be tried again",
            {{"reminder_id", reminder_id},
             {"attempt", std::to_string(attempt)},
             {"code", absl::StatusCodeToString(last.code())}});
  metrics_.Delivery("interrupted", type::v1::CONTACT_CHANNEL_UNSPECIFIED);
  return {DeliveryOutcome::kRetryAt, clock_.Now() + options_.database_retry};
}

absl::StatusOr<DeliveryOutcome> ReminderDeliverer::Round(std::string_view reminder_id, absl::Time start) {
  const absl::Time now = clock_.Now();
  std::optional<store::StoredReminder> found;
  std::optional<store::KeyClaim> claim;
  absl::Status read = db_.Transact(ReadOnly(), [&](sql::Transaction& tx) -> absl::Status {
    found.reset();
    absl::StatusOr<store::StoredReminder> r = store::LoadReminder(tx, reminder_id);
    if (r.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
    if (!r.ok()) return r.status();
    absl::StatusOr<std::optional<store::KeyClaim>> c = store::FindKeyClaim(tx, r->reminder.dedupe_key());
    if (!c.ok()) return c.status();
    found = *std::move(r);
    claim = *c;
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (!found.has_value()) {
    log::Warn("queued reminder not found; dropped", {{"reminder_id", reminder_id}});
    metrics_.Delivery("done", type::v1::CONTACT_CHANNEL_UNSPECIFIED);
    return DeliveryOutcome{DeliveryOutcome::kDone, now};
  }
  const store::StoredReminder& s = *found;
  const v1::ReminderState state = s.reminder.state();
  if (state != v1::REMINDER_STATE_SCHEDULED && state != v1::REMINDER_STATE_SENDING) {
    metrics_.Delivery("done", type::v1::CONTACT_CHANNEL_UNSPECIFIED);
    return DeliveryOutcome{DeliveryOutcome::kDone, now};
  }
  if (state == v1::REMINDER_STATE_SCHEDULED && s.next_attempt_time > now) {
    return DeliveryOutcome{DeliveryOutcome::kRetryAt, s.next_attempt_time};  // moved since it was queued
  }
  const v1::ReminderKind kind = s.reminder.kind();
  if (domain::IsExpired(kind, now, s.expire_time, s.event_time)) return Finish(s, Final(v1::REMINDER_STATE_EXPIRED));
  if (claim.has_value() && claim->reminder_id != s.id) {
    if (!claim->sent) return Finish(s, RetryOrGiveUp(s, "DEDUPE_KEY_BUSY", type::v1::CONTACT_CHANNEL_UNSPECIFIED, start));
    Transition t = Final(v1::REMINDER_STATE_SKIPPED);
    t.skip_reason = v1::SKIP_REASON_DUPLICATE;
    t.count_attempt = true;
    t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_SKIPPED, type::v1::CONTACT_CHANNEL_UNSPECIFIED, "", start, now);
    return Finish(s, t);
  }
  if (domain::InQuietHours(now, s.zone, s.quiet_hours)) {
    const absl::Time next = domain::NextAllowedTime(now, s.zone, s.quiet_hours);
    if (domain::IsExpired(kind, next, s.expire_time, s.event_time)) return Finish(s, Final(v1::REMINDER_STATE_EXPIRED));
    Transition t = Final(v1::REMINDER_STATE_SCHEDULED);
    t.next_attempt_time = next;
    t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_DEFERRED_QUIET_HOURS, type::v1::CONTACT_CHANNEL_UNSPECIFIED, "", start,
                        now);
    return Finish(s, t);
  }

  std::vector<OutgoingMessage> messages;
  absl::StatusOr<std::optional<Transition>> planned = Plan(s, start, &messages);
  if (!planned.ok()) return planned.status();
  if (planned->has_value()) return Finish(s, **planned);

  // Claim the dedupe key and mark the reminder SENDING, if nothing changed meanwhile.
  absl::Status begin = db_.Transact([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<store::StoredReminder> current = store::LoadReminder(tx, s.id);
    if (!current.ok()) return current.status();
    if (current->version != s.version) return absl::AbortedError("the reminder changed meanwhile");
    absl::StatusOr<store::KeyClaim> holder = store::ClaimKey(tx, s.reminder.dedupe_key(), s.id, clock_.Now());
    if (!holder.ok()) return holder.status();
    if (holder->reminder_id != s.id) return absl::AbortedError("the dedupe key was claimed meanwhile");
    Transition t = Final(v1::REMINDER_STATE_SENDING);
    t.next_attempt_time = s.next_attempt_time;
    return store::ApplyTransition(tx, *current, t, clock_.Now());
  });
  if (!begin.ok()) return begin;

  ContactChannel delivered = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  std::string retryable_error, permanent_error;
  for (const OutgoingMessage& m : messages) {
    const SendOutcome o = sender_.Send(m);
    switch (o.kind) {
      case SendOutcome::Kind::kDelivered:
        if (delivered == type::v1::CONTACT_CHANNEL_UNSPECIFIED) delivered = m.channel;
        break;
      case SendOutcome::Kind::kRetryable:
        retryable_error = o.error_code.empty() ? "SEND_FAILED" : o.error_code;
        break;
      case SendOutcome::Kind::kPermanent:
        permanent_error = o.error_code.empty() ? "SEND_REJECTED" : o.error_code;
        break;
    }
  }

  // Record the outcome on the reminder as it is now (a cancel may have arrived).
  absl::Status recorded;
  for (int i = 0; i < 4; ++i) {
    std::optional<store::StoredReminder> current;
    Transition t;
    recorded = db_.Transact([&](sql::Transaction& tx) -> absl::Status {
      current.reset();
      absl::StatusOr<store::StoredReminder> r = store::LoadReminder(tx, s.id);
      if (!r.ok()) return r.status();
      if (r->reminder.state() != v1::REMINDER_STATE_SENDING) return absl::OkStatus();  // another worker recorded it
      t = AfterSend(*r, delivered, retryable_error, permanent_error, start);
      current = *std::move(r);
      return store::ApplyTransition(tx, *current, t, clock_.Now());
    });
    if (recorded.ok()) {
      if (!current.has_value()) {
        metrics_.Delivery("done", delivered);
        return DeliveryOutcome{DeliveryOutcome::kDone, now};
      }
      return Report(*current, t);
    }
    if (recorded.code() != absl::StatusCode::kAborted) break;
  }
  // The row stays SENDING: the job comes back, and the resend is deduplicated.
  return recorded;
}

absl::StatusOr<std::optional<Transition>> ReminderDeliverer::Plan(const store::StoredReminder& s, absl::Time start,
                                                                  std::vector<OutgoingMessage>* messages) {
  struct Recipient {
    ContactChannel channel;
    std::string address;
    std::string contact_id;  // staff contacts only
  };
  std::vector<Recipient> recipients;
  std::string language = s.reminder.language_code();
  const auto skip = [&](v1::SkipReason reason, ContactChannel channel) {
    Transition t = Final(v1::REMINDER_STATE_SKIPPED);
    t.skip_reason = reason;
    t.count_attempt = true;
    t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_SKIPPED, channel, "", start, clock_.Now());
    return std::optional<Transition>(t);
  };

  if (s.reminder.recipient_case() == v1::Reminder::kPatient) {
    absl::StatusOr<domain::PatientContact> contact = contacts_.Lookup(s.reminder.patient(), s.reminder.channel(), s.id);
    if (!contact.ok()) {
      if (contact.status().code() == absl::StatusCode::kNotFound) {
        return skip(v1::SKIP_REASON_PATIENT_NOT_FOUND, type::v1::CONTACT_CHANNEL_UNSPECIFIED);
      }
      return std::optional<Transition>(
          RetryOrGiveUp(s, LookupErrorCode(contact.status()), type::v1::CONTACT_CHANNEL_UNSPECIFIED, start));
    }
    const domain::ContactChoice choice = domain::ChooseContact(*contact, s.reminder.channel());
    if (!choice.point.has_value()) return skip(choice.skip_reason, s.reminder.channel());
    recipients.push_back({choice.point->channel, choice.point->address, ""});
    if (language.empty()) language = domain::CanonicalLanguage(contact->language_code).value_or("");
  }

  std::vector<v1::Template> templates;
  absl::Status read = db_.Transact(ReadOnly(), [&](sql::Transaction& tx) -> absl::Status {
    if (s.reminder.recipient_case() == v1::Reminder::kStaff) {
      recipients.clear();
      absl::StatusOr<std::vector<v1::StaffContact>> staff = store::AlertContacts(
          tx, s.reminder.clinic().substr(sizeof("clinics/") - 1), s.reminder.staff().role(), s.reminder.channel());
      if (!staff.ok()) return staff.status();
      for (const v1::StaffContact& c : *staff) {
        recipients.push_back({c.channel(), c.address(), c.name().substr(c.name().rfind('/') + 1)});
      }
    }
    absl::StatusOr<std::vector<v1::Template>> active = store::ActiveTemplates(tx, s.reminder.kind());
    if (!active.ok()) return active.status();
    templates = *std::move(active);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  if (recipients.empty()) return skip(v1::SKIP_REASON_NO_STAFF_CONTACT, s.reminder.channel());
  if (language.empty()) language = std::string(domain::kDefaultLanguage);

  std::map<std::string, std::string> parameters;
  if (s.event_time.has_value()) parameters = domain::BuiltinParameters(*s.event_time, s.zone);
  for (const auto& [key, value] : s.template_parameters) parameters[key] = value;

  for (const Recipient& r : recipients) {
    std::vector<const v1::Template*> candidates;
    std::vector<std::string> languages;
    for (const v1::Template& t : templates) {
      if (t.channel() != r.channel) continue;
      candidates.push_back(&t);
      languages.push_back(t.language_code());
    }
    std::optional<size_t> best = domain::PickLanguage(languages, language);
    if (!best.has_value()) continue;
    const v1::Template& t = *candidates[*best];
    domain::Rendered subject = domain::Render(t.subject(), parameters);
    domain::Rendered body = domain::Render(t.body(), parameters);
    if (!subject.missing.empty() || !body.missing.empty()) {
      Transition failed = Final(v1::REMINDER_STATE_FAILED);
      failed.last_error = "TEMPLATE_PARAMETER_MISSING";
      failed.count_attempt = true;
      failed.attempt =
          Attempt(s, v1::ATTEMPT_OUTCOME_PERMANENT_ERROR, r.channel, failed.last_error, start, clock_.Now());
      log::Warn("reminder template needs a parameter the reminder lacks",
                {{"reminder_id", s.id}, {"template", t.name()}, {"parameter", body.missing.empty() ? subject.missing[0] : body.missing[0]}});
      return std::optional<Transition>(failed);
    }
    OutgoingMessage m;
    m.channel = r.channel;
    m.address = r.address;
    m.subject = std::move(subject.text);
    m.body = std::move(body.text);
    m.idempotency_key = IdempotencyKey(s.id, s.reminder.dedupe_key(), r.contact_id);
    m.reminder = s.reminder.name();
    messages->push_back(std::move(m));
  }
  if (messages->empty()) return skip(v1::SKIP_REASON_NO_TEMPLATE, recipients.front().channel);
  return std::optional<Transition>();
}

Transition ReminderDeliverer::RetryOrGiveUp(const store::StoredReminder& s, std::string_view error_code,
                                            ContactChannel channel, absl::Time start) const {
  const absl::Time now = clock_.Now();
  Transition t;
  t.last_error = std::string(error_code);
  t.count_attempt = true;
  t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_RETRYABLE_ERROR, channel, t.last_error, start, now);
  const int attempts = s.reminder.attempt_count() + 1;
  if (s.cancel_requested) {
    t.state = v1::REMINDER_STATE_CANCELLED;
  } else if (attempts >= options_.max_attempts) {
    t.state = v1::REMINDER_STATE_DEAD;
  } else {
    t.state = v1::REMINDER_STATE_SCHEDULED;
    const absl::Duration delay = domain::RetryDelay(attempts, options_.initial_retry, options_.max_retry);
    absl::BitGen random;
    // Whole microseconds, as stored: the time answered is the time the row says.
    t.next_attempt_time = absl::FromUnixMicros(absl::ToUnixMicros(now + delay * absl::Uniform(random, 0.5, 1.0)));
  }
  return t;
}

Transition ReminderDeliverer::AfterSend(const store::StoredReminder& s, ContactChannel delivered,
                                        const std::string& retryable_error, const std::string& permanent_error,
                                        absl::Time start) const {
  if (!retryable_error.empty()) return RetryOrGiveUp(s, retryable_error, delivered, start);
  Transition t;
  t.count_attempt = true;
  t.last_error = permanent_error;
  if (delivered != type::v1::CONTACT_CHANNEL_UNSPECIFIED) {
    t.state = v1::REMINDER_STATE_SENT;
    t.sent_channel = delivered;
    t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_DELIVERED, delivered, "", start, clock_.Now());
    return t;
  }
  t.state = s.cancel_requested ? v1::REMINDER_STATE_CANCELLED : v1::REMINDER_STATE_FAILED;
  t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_PERMANENT_ERROR, s.reminder.channel(), permanent_error, start,
                      clock_.Now());
  return t;
}

absl::StatusOr<DeliveryOutcome> ReminderDeliverer::Finish(const store::StoredReminder& s, const Transition& t) {
  absl::Status applied = db_.Transact(
      [&](sql::Transaction& tx) { return store::ApplyTransition(tx, s, t, clock_.Now()); });
  if (!applied.ok()) return applied;
  return Report(s, t);
}

DeliveryOutcome ReminderDeliverer::Report(const store::StoredReminder& s, const Transition& t) {
  const std::string_view outcome = OutcomeLabel(t);
  const ContactChannel channel = t.state == v1::REMINDER_STATE_SENT ? t.sent_channel
                                 : t.attempt.has_value()           ? t.attempt->channel
                                                                   : type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  metrics_.Delivery(outcome, channel);
  if (t.state == v1::REMINDER_STATE_SENT) {
    log::Debug("reminder sent", {{"reminder_id", s.id}});
  } else {
    log::Info("reminder delivery attempt ended",
              {{"reminder_id", s.id},
               {"outcome", outcome},
               {"skip_reason", t.skip_reason == v1::SKIP_REASON_UNSPECIFIED ? "" : v1::SkipReason_Name(t.skip_reason)},
               {"error_code", t.last_error}});
  }
  switch (t.state) {
    case v1::REMINDER_STATE_SCHEDULED:
      return {DeliveryOutcome::kRetryAt, t.next_attempt_time};
    case v1::REMINDER_STATE_DEAD:
      return {DeliveryOutcome::kDead, clock_.Now()};
    default:
      return {DeliveryOutcome::kDone, clock_.Now()};
  }
}

}  // namespace clinic::notification
