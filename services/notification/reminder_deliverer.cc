#include "services/notification/reminder_deliverer.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <span>
#include <thread>
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

// Every change the deliverer makes is version-checked (or, for a dedupe key's claim,
// guarded by the key's uniqueness), so it needs no SERIALIZABLE on PostgreSQL, whose
// predicate locks made concurrent batches abort each other over and over. (SQLite
// serialises writers anyway.)
sql::TransactionOptions ReadOnly() {
  sql::TransactionOptions options;
  options.read_only = true;
  options.isolation = sql::TransactionOptions::Isolation::kReadCommitted;
  return options;
}

sql::TransactionOptions Writing() {
  sql::TransactionOptions options;
  options.isolation = sql::TransactionOptions::Isolation::kReadCommitted;
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

// A reminder of the batch and what its current round found.
struct ReminderDeliverer::Item {
  std::string id;
  int attempt = 1;
  std::optional<DeliveryOutcome> outcome;  // set once its attempt ended

  // This round: the row as read, and either the transition that ends the attempt
  // without a send, or the messages to send.
  std::optional<store::StoredReminder> stored;
  std::optional<Transition> transition;
  std::vector<OutgoingMessage> messages;
  // Set by the write transactions (rebuilt on each run of theirs).
  bool sending = false;   // marked SENDING: its messages go out
  bool again = false;     // changed meanwhile: decide again
  // The record after the sends: the transition applied to `recorded_from`, or nothing
  // to record (another worker did).
  std::optional<store::StoredReminder> recorded_from;
  Transition recorded;
  bool record_pending = false;
};

// What one round read for the whole batch.
struct ReminderDeliverer::BatchData {
  std::map<std::string, store::StoredReminder> rows;
  std::map<std::string, store::KeyClaim> claims;                 // by dedupe key
  std::map<v1::ReminderKind, std::vector<v1::Template>> templates;  // ACTIVE, by kind
  std::map<std::string, std::vector<v1::StaffContact>> staff;    // by StaffKey
};

namespace {

// Patient lookups of one batch in flight at once.
constexpr size_t kLookupConcurrency = 16;

bool Pending(const store::StoredReminder& s) {
  return s.reminder.state() == v1::REMINDER_STATE_SCHEDULED || s.reminder.state() == v1::REMINDER_STATE_SENDING;
}

std::string ClinicId(const store::StoredReminder& s) { return s.reminder.clinic().substr(sizeof("clinics/") - 1); }

// The staff contacts a staff alert goes to depend on its clinic, role and channel.
std::string StaffKey(const store::StoredReminder& s) {
  return absl::StrCat(ClinicId(s), "\n", s.reminder.staff().role(), "\n", static_cast<int>(s.reminder.channel()));
}

}  // namespace

ReminderDeliverer::ReminderDeliverer(sql::Database& db, const Clock& clock, ContactDirectory& contacts, Sender& sender,
                                     NotificationMetrics& metrics, Options options)
    : db_(db), clock_(clock), contacts_(contacts), sender_(sender), metrics_(metrics), options_(options) {}

DeliveryOutcome ReminderDeliverer::Deliver(std::string_view reminder_id, int attempt) {
  const Job job{reminder_id, attempt};
  return DeliverBatch(std::span<const Job>(&job, 1)).front();
}

std::vector<DeliveryOutcome> ReminderDeliverer::DeliverBatch(std::span<const Job> jobs) {
  const absl::Time start = clock_.Now();
  std::vector<Item> items(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    items[i].id = std::string(jobs[i].reminder_id);
    items[i].attempt = jobs[i].attempt;
  }
  for (int round = 0; round < 4; ++round) {
    std::vector<Item*> undecided;
    for (Item& item : items) {
      if (!item.outcome.has_value()) undecided.push_back(&item);
    }
    if (undecided.empty()) break;
    Round(undecided, start);
  }
  std::vector<DeliveryOutcome> outcomes;
  outcomes.reserve(items.size());
  for (Item& item : items) {
    if (!item.outcome.has_value()) {
      item.outcome = Interrupted(item, absl::AbortedError("the reminder kept changing"));
    }
    outcomes.push_back(*item.outcome);
  }
  return outcomes;
}

DeliveryOutcome ReminderDeliverer::Interrupted(const Item& item, const absl::Status& status) {
  log::Warn("reminder delivery interrupted; it will be tried again",
            {{"reminder_id", item.id},
             {"attempt", std::to_string(item.attempt)},
             {"code", absl::StatusCodeToString(status.code())}});
  metrics_.Delivery("interrupted", type::v1::CONTACT_CHANNEL_UNSPECIFIED);
  return {DeliveryOutcome::kRetryAt, clock_.Now() + options_.database_retry};
}

void ReminderDeliverer::Round(std::span<Item* const> items, absl::Time start) {
  const absl::Time now = clock_.Now();
  // A database error ends the attempt of `affected`; ABORTED (conflicts) leaves them
  // for the next round.
  const auto fail = [&](std::span<Item* const> affected, const absl::Status& status) {
    if (status.code() == absl::StatusCode::kAborted) return;
    for (Item* item : affected) item->outcome = Interrupted(*item, status);
  };

  // 1. Read everything the batch needs, in one read-only transaction.
  std::vector<std::string> ids;
  ids.reserve(items.size());
  for (const Item* item : items) ids.push_back(item->id);
  BatchData data;
  absl::Status read = db_.Transact(ReadOnly(), [&](sql::Transaction& tx) -> absl::Status {
    data = BatchData();
    absl::StatusOr<std::map<std::string, store::StoredReminder>> rows = store::LoadReminders(tx, ids);
    if (!rows.ok()) return rows.status();
    data.rows = *std::move(rows);
    std::vector<std::string> keys;
    for (const auto& [id, s] : data.rows) {
      if (!Pending(s)) continue;
      keys.push_back(s.reminder.dedupe_key());
      if (!data.templates.contains(s.reminder.kind())) {
        absl::StatusOr<std::vector<v1::Template>> active = store::ActiveTemplates(tx, s.reminder.kind());
        if (!active.ok()) return active.status();
        data.templates[s.reminder.kind()] = *std::move(active);
      }
      if (s.reminder.recipient_case() == v1::Reminder::kStaff && !data.staff.contains(StaffKey(s))) {
        absl::StatusOr<std::vector<v1::StaffContact>> staff =
            store::AlertContacts(tx, ClinicId(s), s.reminder.staff().role(), s.reminder.channel());
        if (!staff.ok()) return staff.status();
        data.staff[StaffKey(s)] = *std::move(staff);
      }
    }
    absl::StatusOr<std::map<std::string, store::KeyClaim>> claims = store::FindKeyClaims(tx, keys);
    if (!claims.ok()) return claims.status();
    data.claims = *std::move(claims);
    return absl::OkStatus();
  });
  if (!read.ok()) return fail(items, read);

  // 2. Decide each reminder by the rules (no transaction open: patient lookups are RPCs).
  std::vector<Item*> to_write;
  std::vector<Item*> to_plan;  // past the rules that need no recipient
  for (Item* item : items) {
    item->stored.reset();
    item->transition.reset();
    item->messages.clear();
    const auto found = data.rows.find(item->id);
    if (found == data.rows.end()) {
      log::Warn("queued reminder not found; dropped", {{"reminder_id", item->id}});
      metrics_.Delivery("done", type::v1::CONTACT_CHANNEL_UNSPECIFIED);
      item->outcome = DeliveryOutcome{DeliveryOutcome::kDone, now};
      continue;
    }
    const store::StoredReminder& s = found->second;
    if (!Pending(s)) {
      metrics_.Delivery("done", type::v1::CONTACT_CHANNEL_UNSPECIFIED);
      item->outcome = DeliveryOutcome{DeliveryOutcome::kDone, now};
      continue;
    }
    if (s.reminder.state() == v1::REMINDER_STATE_SCHEDULED && s.next_attempt_time > now) {
      item->outcome = DeliveryOutcome{DeliveryOutcome::kRetryAt, s.next_attempt_time};  // moved since it was queued
      continue;
    }
    item->stored = s;
    to_write.push_back(item);
    const v1::ReminderKind kind = s.reminder.kind();
    if (domain::IsExpired(kind, now, s.expire_time, s.event_time)) {
      item->transition = Final(v1::REMINDER_STATE_EXPIRED);
      continue;
    }
    const auto claim = data.claims.find(s.reminder.dedupe_key());
    if (claim != data.claims.end() && claim->second.reminder_id != s.id) {
      if (!claim->second.sent) {
        item->transition = RetryOrGiveUp(s, "DEDUPE_KEY_BUSY", type::v1::CONTACT_CHANNEL_UNSPECIFIED, start);
        continue;
      }
      Transition t = Final(v1::REMINDER_STATE_SKIPPED);
      t.skip_reason = v1::SKIP_REASON_DUPLICATE;
      t.count_attempt = true;
      t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_SKIPPED, type::v1::CONTACT_CHANNEL_UNSPECIFIED, "", start, now);
      item->transition = t;
      continue;
    }
    if (domain::InQuietHours(now, s.zone, s.quiet_hours)) {
      const absl::Time next = domain::NextAllowedTime(now, s.zone, s.quiet_hours);
      if (domain::IsExpired(kind, next, s.expire_time, s.event_time)) {
        item->transition = Final(v1::REMINDER_STATE_EXPIRED);
        continue;
      }
      Transition t = Final(v1::REMINDER_STATE_SCHEDULED);
      t.next_attempt_time = next;
      t.attempt = Attempt(s, v1::ATTEMPT_OUTCOME_DEFERRED_QUIET_HOURS, type::v1::CONTACT_CHANNEL_UNSPECIFIED, "",
                          start, now);
      item->transition = t;
      continue;
    }
    to_plan.push_back(item);
  }
  // The patient lookups (RPCs) of the batch, a few at once: a slow patient service must
  // not hold a batch for its size times the lookup's timeout.
  std::vector<std::optional<absl::StatusOr<domain::PatientContact>>> contacts(to_plan.size());
  {
    std::atomic<size_t> next{0};
    const auto look_up = [&] {
      for (size_t i = next++; i < to_plan.size(); i = next++) {
        const store::StoredReminder& s = *to_plan[i]->stored;
        if (s.reminder.recipient_case() != v1::Reminder::kPatient) continue;
        contacts[i] = contacts_.Lookup(s.reminder.patient(), s.reminder.channel(), s.id);
      }
    };
    std::vector<std::thread> helpers;
    for (size_t i = 1; i < std::min(to_plan.size(), kLookupConcurrency); ++i) helpers.emplace_back(look_up);
    look_up();
    for (std::thread& t : helpers) t.join();
  }
  for (size_t i = 0; i < to_plan.size(); ++i) {
    const absl::StatusOr<domain::PatientContact>* contact = contacts[i].has_value() ? &*contacts[i] : nullptr;
    to_plan[i]->transition = Plan(*to_plan[i]->stored, start, data, contact, &to_plan[i]->messages);
  }
  if (to_write.empty()) return;

  // 3. One write transaction: every outcome without a send, and for the others the
  // dedupe key's claim and SENDING, each only if the reminder did not change meanwhile.
  absl::Status begin = db_.Transact(Writing(), [&](sql::Transaction& tx) -> absl::Status {
    std::vector<std::string> write_ids;
    for (Item* item : to_write) {
      item->sending = false;
      item->again = false;
      write_ids.push_back(item->id);
    }
    absl::StatusOr<std::map<std::string, store::StoredReminder>> current = store::LoadReminders(tx, write_ids);
    if (!current.ok()) return current.status();
    std::vector<std::pair<std::string, std::string>> to_claim;  // (dedupe key, reminder id)
    std::vector<Item*> to_send;
    for (Item* item : to_write) {
      const store::StoredReminder& s = *item->stored;
      const auto now_row = current->find(item->id);
      if (now_row == current->end() || now_row->second.version != s.version) {
        item->again = true;
        continue;
      }
      if (item->transition.has_value()) {
        absl::Status applied = store::ApplyTransition(tx, s, *item->transition, clock_.Now());
        if (applied.code() == absl::StatusCode::kAborted) {
          item->again = true;
        } else if (!applied.ok()) {
          return applied;
        }
        continue;
      }
      to_claim.emplace_back(s.reminder.dedupe_key(), s.id);
      to_send.push_back(item);
    }
    if (to_send.empty()) return absl::OkStatus();
    absl::StatusOr<std::map<std::string, store::KeyClaim>> holders = store::ClaimKeys(tx, to_claim, clock_.Now());
    if (!holders.ok()) return holders.status();
    std::vector<const store::StoredReminder*> to_mark;
    for (Item* item : to_send) {
      const auto holder = holders->find(item->stored->reminder.dedupe_key());
      if (holder == holders->end() || holder->second.reminder_id != item->id) {
        item->again = true;  // claimed meanwhile: decided again, it is busy or a duplicate
        continue;
      }
      to_mark.push_back(&*item->stored);
      item->sending = true;
    }
    if (absl::Status marked = store::MarkSending(tx, to_mark, clock_.Now()); !marked.ok()) return marked;
    return absl::OkStatus();
  });
  if (!begin.ok()) return fail(to_write, begin);

  // 4. The sends, of every reminder now SENDING, together.
  std::vector<Item*> sending;
  std::vector<OutgoingMessage> messages;
  for (Item* item : to_write) {
    if (item->again) continue;
    if (!item->sending) {
      item->outcome = Report(*item->stored, *item->transition);
      continue;
    }
    sending.push_back(item);
    for (const OutgoingMessage& m : item->messages) messages.push_back(m);
  }
  if (sending.empty()) return;
  const std::vector<SendOutcome> sent = sender_.SendBatch(messages);
  struct SendResult {
    ContactChannel delivered = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
    std::string retryable_error, permanent_error;
  };
  std::vector<SendResult> results(sending.size());
  size_t next_message = 0;
  for (size_t i = 0; i < sending.size(); ++i) {
    for (const OutgoingMessage& m : sending[i]->messages) {
      // A sender that answered too few outcomes: the rest count as failed for now.
      const SendOutcome o =
          next_message < sent.size() ? sent[next_message] : SendOutcome{SendOutcome::Kind::kRetryable, "SEND_FAILED"};
      ++next_message;
      switch (o.kind) {
        case SendOutcome::Kind::kDelivered:
          if (results[i].delivered == type::v1::CONTACT_CHANNEL_UNSPECIFIED) results[i].delivered = m.channel;
          break;
        case SendOutcome::Kind::kRetryable:
          results[i].retryable_error = o.error_code.empty() ? "SEND_FAILED" : o.error_code;
          break;
        case SendOutcome::Kind::kPermanent:
          results[i].permanent_error = o.error_code.empty() ? "SEND_REJECTED" : o.error_code;
          break;
      }
    }
  }

  // 5. One write transaction recording every send's outcome on the reminder as it is
  // now (a cancel may have arrived). What cannot be recorded stays SENDING: the job
  // comes back, and the resend is deduplicated.
  for (size_t i = 0; i < sending.size(); ++i) sending[i]->record_pending = true;
  absl::Status recorded;
  for (int tries = 0; tries < 4; ++tries) {
    std::vector<std::string> record_ids;
    for (const Item* item : sending) {
      if (item->record_pending) record_ids.push_back(item->id);
    }
    if (record_ids.empty()) break;
    recorded = db_.Transact(Writing(), [&](sql::Transaction& tx) -> absl::Status {
      absl::StatusOr<std::map<std::string, store::StoredReminder>> current = store::LoadReminders(tx, record_ids);
      if (!current.ok()) return current.status();
      std::vector<size_t> sent_together;  // SENT without an error: one statement for all
      for (size_t i = 0; i < sending.size(); ++i) {
        Item* item = sending[i];
        if (!item->record_pending) continue;
        item->again = false;
        item->recorded_from.reset();
        const auto r = current->find(item->id);
        // Gone, or no longer SENDING: another worker recorded it.
        if (r == current->end() || r->second.reminder.state() != v1::REMINDER_STATE_SENDING) continue;
        item->recorded_from = r->second;
        item->recorded =
            AfterSend(r->second, results[i].delivered, results[i].retryable_error, results[i].permanent_error, start);
        if (item->recorded.state == v1::REMINDER_STATE_SENT && item->recorded.last_error.empty()) {
          sent_together.push_back(i);
          continue;
        }
        absl::Status applied = store::ApplyTransition(tx, r->second, item->recorded, clock_.Now());
        if (applied.code() == absl::StatusCode::kAborted) {
          item->again = true;  // record it in the next transaction
          item->recorded_from.reset();
        } else if (!applied.ok()) {
          return applied;
        }
      }
      std::vector<store::SentChange> changes;
      for (size_t i : sent_together) changes.push_back({&*sending[i]->recorded_from, &sending[i]->recorded});
      return store::ApplySent(tx, changes, clock_.Now());
    });
    if (!recorded.ok()) {
      if (recorded.code() != absl::StatusCode::kAborted) break;
      continue;
    }
    for (size_t i = 0; i < sending.size(); ++i) {
      Item* item = sending[i];
      if (!item->record_pending || item->again) continue;
      item->record_pending = false;
      if (!item->recorded_from.has_value()) {
        metrics_.Delivery("done", results[i].delivered);
        item->outcome = DeliveryOutcome{DeliveryOutcome::kDone, now};
      } else {
        item->outcome = Report(*item->recorded_from, item->recorded);
      }
    }
  }
  if (recorded.ok()) recorded = absl::AbortedError("the reminder kept changing");
  for (Item* item : sending) {
    if (item->record_pending) item->outcome = Interrupted(*item, recorded);
  }
}

std::optional<Transition> ReminderDeliverer::Plan(const store::StoredReminder& s, absl::Time start,
                                                  const BatchData& data,
                                                  const absl::StatusOr<domain::PatientContact>* contact,
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
    if (contact == nullptr) {
      return RetryOrGiveUp(s, "PATIENT_LOOKUP_MISSING", type::v1::CONTACT_CHANNEL_UNSPECIFIED, start);
    }
    if (!contact->ok()) {
      if (contact->status().code() == absl::StatusCode::kNotFound) {
        return skip(v1::SKIP_REASON_PATIENT_NOT_FOUND, type::v1::CONTACT_CHANNEL_UNSPECIFIED);
      }
      return RetryOrGiveUp(s, LookupErrorCode(contact->status()), type::v1::CONTACT_CHANNEL_UNSPECIFIED, start);
    }
    const domain::ContactChoice choice = domain::ChooseContact(**contact, s.reminder.channel());
    if (!choice.point.has_value()) return skip(choice.skip_reason, s.reminder.channel());
    recipients.push_back({choice.point->channel, choice.point->address, ""});
    if (language.empty()) language = domain::CanonicalLanguage((*contact)->language_code).value_or("");
  } else if (s.reminder.recipient_case() == v1::Reminder::kStaff) {
    const auto staff = data.staff.find(StaffKey(s));
    if (staff != data.staff.end()) {
      for (const v1::StaffContact& c : staff->second) {
        recipients.push_back({c.channel(), c.address(), c.name().substr(c.name().rfind('/') + 1)});
      }
    }
  }
  if (recipients.empty()) return skip(v1::SKIP_REASON_NO_STAFF_CONTACT, s.reminder.channel());
  if (language.empty()) language = std::string(domain::kDefaultLanguage);
  static const std::vector<v1::Template> kNone;
  const auto active = data.templates.find(s.reminder.kind());
  const std::vector<v1::Template>& templates = active == data.templates.end() ? kNone : active->second;

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
      return failed;
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
  return std::nullopt;
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
