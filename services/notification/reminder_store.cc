#include "services/notification/reminder_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/status/status.h"
#include "nlohmann/json.hpp"
#include "services/notification/domain/delivery_rules.h"

namespace clinic::notification::store {
namespace {

constexpr std::string_view kColumns =
    "reminder_id, kind, patient, staff_role, clinic_id, time_zone, quiet_start_s, quiet_end_s, send_time_us, "
    "event_time_us, expire_time_us, appointment, dedupe_key, template_parameters, channel, language_code, state, "
    "skip_reason, last_error, attempt_count, next_attempt_time_us, sent_time_us, sent_channel, cancel_reason, "
    "cancel_time_us, cancel_requested, created_by, create_time_us, update_time_us, version";

constexpr int64_t kScheduled = v1::REMINDER_STATE_SCHEDULED;
constexpr int64_t kSending = v1::REMINDER_STATE_SENDING;
constexpr int64_t kCancelled = v1::REMINDER_STATE_CANCELLED;
constexpr int64_t kDead = v1::REMINDER_STATE_DEAD;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
std::optional<int64_t> Micros(std::optional<absl::Time> t) {
  if (!t.has_value()) return std::nullopt;
  return absl::ToUnixMicros(*t);
}

type::v1::TimeOfDay TimeOfDay(int64_t seconds) {
  type::v1::TimeOfDay t;
  t.set_hours(static_cast<int32_t>(seconds / 3600));
  t.set_minutes(static_cast<int32_t>(seconds / 60 % 60));
  t.set_seconds(static_cast<int32_t>(seconds % 60));
  return t;
}

std::string ParametersJson(const std::map<std::string, std::string>& parameters) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : parameters) j[key] = value;
  return j.dump();
}

std::map<std::string, std::string> ParametersFromJson(const std::string& text) {
  std::map<std::string, std::string> out;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

StoredReminder FromRow(const sql::Row& row) {
  StoredReminder s;
  s.id = row.GetText(0);
  v1::Reminder& r = s.reminder;
  r.set_name(ReminderName(s.id));
  r.set_kind(static_cast<v1::ReminderKind>(row.GetInt64(1)));
  const std::string clinic_name = "clinics/" + row.GetText(4);
  if (!row.GetText(2).empty()) {
    r.set_patient(row.GetText(2));
  } else {
    r.mutable_staff()->set_clinic(clinic_name);
    r.mutable_staff()->set_role(row.GetText(3));
  }
  r.set_clinic(clinic_name);
  r.set_time_zone(row.GetText(5));
  absl::LoadTimeZone(row.GetText(5), &s.zone);  // checked at insert; UTC if the tz data lost it
  s.quiet_hours = domain::DefaultQuietHours();
  if (!row.IsNull(6) && !row.IsNull(7)) {
    *r.mutable_quiet_hours()->mutable_start_time() = TimeOfDay(row.GetInt64(6));
    *r.mutable_quiet_hours()->mutable_end_time() = TimeOfDay(row.GetInt64(7));
    s.quiet_hours = {absl::Seconds(row.GetInt64(6)), absl::Seconds(row.GetInt64(7))};
  }
  *r.mutable_send_time() = api::TimestampFromMicros(row.GetInt64(8));
  if (!row.IsNull(9)) {
    *r.mutable_event_time() = api::TimestampFromMicros(row.GetInt64(9));
    s.event_time = absl::FromUnixMicros(row.GetInt64(9));
  }
  *r.mutable_expire_time() = api::TimestampFromMicros(row.GetInt64(10));
  s.expire_time = absl::FromUnixMicros(row.GetInt64(10));
  r.set_appointment(row.GetText(11));
  r.set_dedupe_key(row.GetText(12));
  s.template_parameters = ParametersFromJson(row.GetText(13));
  r.mutable_template_parameters()->insert(s.template_parameters.begin(), s.template_parameters.end());
  r.set_channel(static_cast<type::v1::ContactChannel>(row.GetInt64(14)));
  r.set_language_code(row.GetText(15));
  r.set_state(static_cast<v1::ReminderState>(row.GetInt64(16)));
  r.set_skip_reason(static_cast<v1::SkipReason>(row.GetInt64(17)));
  r.set_last_error(row.GetText(18));
  r.set_attempt_count(static_cast<int32_t>(row.GetInt64(19)));
  if (!row.IsNull(20)) {
    s.next_attempt_time = absl::FromUnixMicros(row.GetInt64(20));
    if (r.state() == v1::REMINDER_STATE_SCHEDULED) *r.mutable_next_attempt_time() = api::TimestampFromMicros(row.GetInt64(20));
  }
  if (!row.IsNull(21)) *r.mutable_sent_time() = api::TimestampFromMicros(row.GetInt64(21));
  r.set_sent_channel(static_cast<type::v1::ContactChannel>(row.GetInt64(22)));
  if (r.state() == v1::REMINDER_STATE_CANCELLED) r.set_cancel_reason(row.GetText(23));
  if (!row.IsNull(24)) *r.mutable_cancel_time() = api::TimestampFromMicros(row.GetInt64(24));
  s.cancel_requested = row.GetBool(25);
  r.set_created_by(row.GetText(26));
  *r.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(27));
  *r.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(28));
  s.version = row.GetInt64(29);
  r.set_etag(api::Etag(s.version));
  return s;
}

absl::StatusOr<sql::ResultSet> SelectById(sql::Transaction& tx, std::string_view reminder_id) {
  return tx.Query("SELECT " + std::string(kColumns) + " FROM reminders WHERE reminder_id = $1",
                  {std::string(reminder_id)});
}

// Runs `prefix` + "$k+1, …, $k+n)" + `suffix`, where $1…$k are `fixed`, for up to
// kInListMax of `values` at a time; `fn` sees every row, and the rows changed are
// summed. The list is padded to a power of two by repeating its last value (a duplicate
// in IN changes nothing), so that batches of any size prepare few statements.
constexpr size_t kInListMax = 64;
absl::StatusOr<int64_t> RunIn(sql::Transaction& tx, std::string_view prefix, std::span<const sql::Value> fixed,
                              std::span<const std::string> values, std::string_view suffix,
                              absl::FunctionRef<void(const sql::Row&)> fn, bool query) {
  std::vector<sql::Value> params;
  int64_t changed = 0;
  for (size_t start = 0; start < values.size(); start += kInListMax) {
    const size_t n = std::min(kInListMax, values.size() - start);
    size_t padded = 1;
    while (padded < n) padded *= 2;
    std::string sql(prefix);
    params.assign(fixed.begin(), fixed.end());
    for (size_t i = 0; i < padded; ++i) {
      absl::StrAppend(&sql, i == 0 ? "$" : ", $", fixed.size() + i + 1);
      params.emplace_back(values[start + std::min(i, n - 1)]);
    }
    sql += ")";
    sql += suffix;
    if (query) {
      absl::StatusOr<sql::ResultSet> rows = tx.Query(sql, params);
      if (!rows.ok()) return rows.status();
      for (const sql::Row& row : *rows) fn(row);
    } else {
      absl::StatusOr<int64_t> n_changed = tx.Execute(sql, params);
      if (!n_changed.ok()) return n_changed.status();
      changed += *n_changed;
    }
  }
  return changed;
}

absl::Status QueryIn(sql::Transaction& tx, std::string_view prefix, std::span<const std::string> values,
                     absl::FunctionRef<void(const sql::Row&)> fn, std::string_view suffix = "") {
  return RunIn(tx, prefix, {}, values, suffix, fn, /*query=*/true).status();
}

absl::StatusOr<int64_t> ExecuteIn(sql::Transaction& tx, std::string_view prefix, std::span<const sql::Value> fixed,
                                  std::span<const std::string> values) {
  return RunIn(tx, prefix, fixed, values, "", [](const sql::Row&) {}, /*query=*/false);
}

// As ExecuteIn for `prefix` ending in "reminder_id IN (": the ids (for the primary key
// index), and each reminder changes only while it has the version read (so the caller's
// check holds at READ COMMITTED too).
absl::StatusOr<int64_t> ExecuteForVersions(sql::Transaction& tx, std::string_view prefix,
                                           std::span<const sql::Value> fixed,
                                           std::span<const StoredReminder* const> reminders) {
  std::vector<sql::Value> params;
  int64_t changed = 0;
  for (size_t start = 0; start < reminders.size(); start += kInListMax) {
    const size_t n = std::min(kInListMax, reminders.size() - start);
    size_t padded = 1;
    while (padded < n) padded *= 2;
    std::string sql(prefix);
    params.assign(fixed.begin(), fixed.end());
    const size_t ids_at = fixed.size() + 1, versions_at = fixed.size() + padded + 1;
    std::string pairs;
    for (size_t i = 0; i < padded; ++i) {
      absl::StrAppend(&sql, i == 0 ? "$" : ", $", ids_at + i);
      absl::StrAppend(&pairs, i == 0 ? "" : ", ", "($", ids_at + i, ", $", versions_at + i, ")");
      params.emplace_back(reminders[start + std::min(i, n - 1)]->id);
    }
    for (size_t i = 0; i < padded; ++i) params.emplace_back(reminders[start + std::min(i, n - 1)]->version);
    absl::StrAppend(&sql, ") AND (reminder_id, version) IN (", pairs, ")");
    absl::StatusOr<int64_t> n_changed = tx.Execute(sql, params);
    if (!n_changed.ok()) return n_changed.status();
    changed += *n_changed;
  }
  return changed;
}

absl::Status LoadAttempts(sql::Transaction& tx, std::string_view reminder_id, v1::Reminder* out) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT attempt_number, start_time_us, end_time_us, channel, outcome, error_code FROM delivery_attempts "
      "WHERE reminder_id = $1 ORDER BY seq",
      {std::string(reminder_id)});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    v1::DeliveryAttempt* a = out->add_attempts();
    a->set_attempt_number(static_cast<int32_t>(row.GetInt64(0)));
    *a->mutable_start_time() = api::TimestampFromMicros(row.GetInt64(1));
    *a->mutable_end_time() = api::TimestampFromMicros(row.GetInt64(2));
    a->set_channel(static_cast<type::v1::ContactChannel>(row.GetInt64(3)));
    a->set_outcome(static_cast<v1::AttemptOutcome>(row.GetInt64(4)));
    a->set_error_code(row.GetText(5));
  }
  return absl::OkStatus();
}

// The answer of a change: the reminder as stored now, with its attempts.
absl::Status Answer(sql::Transaction& tx, std::string_view reminder_id, v1::Reminder* out) {
  absl::StatusOr<v1::Reminder> r = GetReminder(tx, reminder_id);
  if (!r.ok()) return r.status();
  *out = *std::move(r);
  return absl::OkStatus();
}

absl::Status WrongState(const StoredReminder& s, std::string_view wanted) {
  return status::FailedPrecondition("STATE", ReminderName(s.id),
                                    absl::StrCat("the reminder is ", v1::ReminderState_Name(s.reminder.state()),
                                                 ", not ", std::string(wanted)));
}

absl::Status StaleEtag() {
  return absl::AbortedError("the reminder changed since it was read (stale etag); read it again");
}

// Releases the reminder's claim on its dedupe key unless it was sent.
absl::Status ReleaseClaim(sql::Transaction& tx, std::string_view reminder_id) {
  return tx.Execute("DELETE FROM sent_keys WHERE reminder_id = $1 AND sent_time_us IS NULL",
                    {std::string(reminder_id)})
      .status();
}

absl::Status SetCancelled(sql::Transaction& tx, const StoredReminder& s, std::string_view reason, absl::Time now) {
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE reminders SET state = $2, cancel_reason = $3, cancel_time_us = $4, cancel_requested = FALSE, "
      "next_attempt_time_us = NULL, update_time_us = $4, version = version + 1 WHERE reminder_id = $1 AND version = $5",
      {s.id, kCancelled, std::string(reason), Micros(now), s.version});
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::AbortedError("the reminder changed while it was being cancelled");
  return ReleaseClaim(tx, s.id);
}

// Records a cancel that arrived while the reminder is being sent.
absl::Status RequestCancel(sql::Transaction& tx, const StoredReminder& s, std::string_view reason, absl::Time now) {
  return tx
      .Execute(
          "UPDATE reminders SET cancel_requested = TRUE, cancel_reason = $2, update_time_us = $3, "
          "version = version + 1 WHERE reminder_id = $1",
          {s.id, std::string(reason), Micros(now)})
      .status();
}

}  // namespace

std::string ReminderName(std::string_view reminder_id) { return "reminders/" + std::string(reminder_id); }

absl::Status InsertReminder(sql::Transaction& tx, const std::string& reminder_id, const ReminderInput& in,
                            const std::string& created_by, absl::Time now, v1::Reminder* out) {
  std::optional<int64_t> quiet_start, quiet_end;
  if (in.quiet_hours.has_value()) {
    quiet_start = absl::ToInt64Seconds(in.quiet_hours->start);
    quiet_end = absl::ToInt64Seconds(in.quiet_hours->end);
  }
  std::vector<sql::Value> values = {reminder_id,
                                    static_cast<int64_t>(in.kind),
                                    in.patient,
                                    in.staff_role,
                                    in.clinic_id,
                                    in.time_zone,
                                    quiet_start,
                                    quiet_end,
                                    Micros(in.send_time),
                                    Micros(in.event_time),
                                    Micros(in.expire_time),
                                    in.appointment,
                                    in.dedupe_key,
                                    ParametersJson(in.template_parameters),
                                    static_cast<int64_t>(in.channel),
                                    in.language_code,
                                    kScheduled,
                                    created_by,
                                    Micros(now)};
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO reminders (reminder_id, kind, patient, staff_role, clinic_id, time_zone, quiet_start_s, "
      "quiet_end_s, send_time_us, event_time_us, expire_time_us, appointment, dedupe_key, template_parameters, "
      "channel, language_code, state, next_attempt_time_us, created_by, create_time_us, update_time_us) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $9, $18, $19, $19) "
      "ON CONFLICT DO NOTHING",
      values);
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    absl::StatusOr<sql::ResultSet> existing = tx.Query(
        "SELECT reminder_id FROM reminders WHERE dedupe_key = $1 AND state <> $2", {in.dedupe_key, kCancelled});
    if (!existing.ok()) return existing.status();
    const std::string name = existing->empty() ? "" : ReminderName((*existing)[0].GetText(0));
    return status::AlreadyExists("clinic.notification.v1.Reminder", name,
                                 "a reminder with this dedupe_key is already scheduled or sent");
  }
  return Answer(tx, reminder_id, out);
}

absl::StatusOr<StoredReminder> LoadReminder(sql::Transaction& tx, std::string_view reminder_id) {
  absl::StatusOr<sql::ResultSet> rows = SelectById(tx, reminder_id);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such reminder");
  return FromRow((*rows)[0]);
}

absl::StatusOr<std::map<std::string, StoredReminder>> LoadReminders(sql::Transaction& tx,
                                                                    std::span<const std::string> reminder_ids) {
  std::map<std::string, StoredReminder> out;
  absl::Status s = QueryIn(tx, "SELECT " + std::string(kColumns) + " FROM reminders WHERE reminder_id IN (",
                           reminder_ids, [&](const sql::Row& row) {
                             StoredReminder r = FromRow(row);
                             std::string id = r.id;
                             out.emplace(std::move(id), std::move(r));
                           });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<v1::Reminder> GetReminder(sql::Transaction& tx, std::string_view reminder_id) {
  absl::StatusOr<StoredReminder> s = LoadReminder(tx, reminder_id);
  if (!s.ok()) return s.status();
  if (absl::Status a = LoadAttempts(tx, reminder_id, &s->reminder); !a.ok()) return a;
  return std::move(s->reminder);
}

absl::Status ListReminders(sql::Transaction& tx, const ReminderQuery& query, const PageRequest& page,
                           std::vector<v1::Reminder>* out, std::vector<std::string>* next_cursor) {
  const bool first = page.after.size() != 2;
  int64_t after_us = 0;
  if (!first && !absl::SimpleAtoi(page.after[0], &after_us)) return absl::InvalidArgumentError("bad page token");
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kColumns) +
          " FROM reminders WHERE ($1 = '' OR clinic_id = $1) AND ($2 = '' OR patient = $2) "
          "AND ($3 = '' OR appointment = $3) "
          "AND ($4 = 0 OR ($4 & (CAST(1 AS BIGINT) << CAST(kind AS INTEGER))) <> 0) "
          "AND ($5 = 0 OR ($5 & (CAST(1 AS BIGINT) << CAST(state AS INTEGER))) <> 0) "
          "AND ($6 OR send_time_us >= $7) AND ($8 OR send_time_us < $9) "
          "AND ($10 OR send_time_us < $11 OR (send_time_us = $11 AND reminder_id < $12)) "
          "ORDER BY send_time_us DESC, reminder_id DESC LIMIT $13",
      {query.clinic_id, query.patient, query.appointment, static_cast<int64_t>(query.kind_mask),
       static_cast<int64_t>(query.state_mask), !query.send_from.has_value(), Micros(query.send_from).value_or(0),
       !query.send_until.has_value(), Micros(query.send_until).value_or(0), first, after_us,
       first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  next_cursor->clear();
  for (const sql::Row& row : *rows) {
    out->push_back(FromRow(row).reminder);
    *next_cursor = {std::to_string(row.GetInt64(8)), row.GetText(0)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::Status ListDeadLetters(sql::Transaction& tx, std::string_view clinic_id, const PageRequest& page,
                             std::vector<v1::Reminder>* out, std::vector<std::string>* next_cursor) {
  const bool first = page.after.size() != 2;
  int64_t after_us = 0;
  if (!first && !absl::SimpleAtoi(page.after[0], &after_us)) return absl::InvalidArgumentError("bad page token");
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kColumns) +
          " FROM reminders WHERE state = $1 AND ($2 = '' OR clinic_id = $2) "
          "AND ($3 OR update_time_us > $4 OR (update_time_us = $4 AND reminder_id > $5)) "
          "ORDER BY update_time_us, reminder_id LIMIT $6",
      {kDead, std::string(clinic_id), first, after_us, first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  next_cursor->clear();
  for (const sql::Row& row : *rows) {
    StoredReminder s = FromRow(row);
    if (absl::Status a = LoadAttempts(tx, s.id, &s.reminder); !a.ok()) return a;
    out->push_back(std::move(s.reminder));
    *next_cursor = {std::to_string(row.GetInt64(28)), row.GetText(0)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::Status CancelReminder(sql::Transaction& tx, std::string_view reminder_id, std::string_view reason,
                            absl::Time now, v1::Reminder* out) {
  absl::StatusOr<StoredReminder> s = LoadReminder(tx, reminder_id);
  if (!s.ok()) return s.status();
  switch (s->reminder.state()) {
    case v1::REMINDER_STATE_CANCELLED:
      break;
    case v1::REMINDER_STATE_SCHEDULED:
    case v1::REMINDER_STATE_DEAD:
      if (absl::Status c = SetCancelled(tx, *s, reason, now); !c.ok()) return c;
      break;
    case v1::REMINDER_STATE_SENDING:
      if (absl::Status c = RequestCancel(tx, *s, reason, now); !c.ok()) return c;
      break;
    default:
      return WrongState(*s, "cancellable (it is final)");
  }
  return Answer(tx, reminder_id, out);
}

absl::Status CancelRemindersForAppointment(sql::Transaction& tx, std::string_view appointment,
                                           std::string_view reason, absl::Time now,
                                           v1::CancelRemindersForAppointmentResponse* out) {
  out->Clear();
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kColumns) + " FROM reminders WHERE appointment = $1 ORDER BY reminder_id",
      {std::string(appointment)});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    const StoredReminder s = FromRow(row);
    switch (s.reminder.state()) {
      case v1::REMINDER_STATE_SCHEDULED:
      case v1::REMINDER_STATE_DEAD:
        if (absl::Status c = SetCancelled(tx, s, reason, now); !c.ok()) return c;
        out->add_cancelled_reminders(ReminderName(s.id));
        break;
      case v1::REMINDER_STATE_SENDING:
        if (absl::Status c = RequestCancel(tx, s, reason, now); !c.ok()) return c;
        out->add_sent_reminders(ReminderName(s.id));
        break;
      case v1::REMINDER_STATE_SENT:
        out->add_sent_reminders(ReminderName(s.id));
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status RescheduleReminder(sql::Transaction& tx, std::string_view reminder_id,
                                std::optional<int64_t> expected_version, const RescheduleInput& in, absl::Time now,
                                v1::Reminder* out) {
  absl::StatusOr<StoredReminder> s = LoadReminder(tx, reminder_id);
  if (!s.ok()) return s.status();
  if (expected_version.has_value() && *expected_version != s->version) return StaleEtag();
  if (s->reminder.state() != v1::REMINDER_STATE_SCHEDULED) return WrongState(*s, "SCHEDULED");
  const std::optional<absl::Time> event_time = in.event_time.has_value() ? in.event_time : s->event_time;
  const absl::Time expire_time =
      in.expire_time.has_value() ? *in.expire_time : domain::DefaultExpireTime(in.send_time, event_time);
  status::FieldViolations bad;
  if (event_time.has_value() && *event_time < in.send_time) {
    bad.Add(in.event_time.has_value() ? "event_time" : "send_time", "the event must not be before send_time");
  }
  if (expire_time <= in.send_time) {
    bad.Add(in.expire_time.has_value() ? "expire_time" : "send_time", "expire_time must be after send_time");
  }
  if (!bad.empty()) return bad.ToStatus();
  const std::map<std::string, std::string>& parameters =
      in.template_parameters.has_value() ? *in.template_parameters : s->template_parameters;
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE reminders SET send_time_us = $2, event_time_us = $3, expire_time_us = $4, template_parameters = $5, "
      "next_attempt_time_us = $2, update_time_us = $6, version = version + 1 WHERE reminder_id = $1 AND version = $7",
      {s->id, Micros(in.send_time), Micros(event_time), Micros(expire_time), ParametersJson(parameters), Micros(now),
       s->version});
  if (!n.ok()) return n.status();
  if (*n == 0) return StaleEtag();
  return Answer(tx, reminder_id, out);
}

absl::Status RetryDeadLetter(sql::Transaction& tx, std::string_view reminder_id, absl::Time due, absl::Time now,
                             v1::Reminder* out) {
  absl::StatusOr<StoredReminder> s = LoadReminder(tx, reminder_id);
  if (!s.ok()) return s.status();
  if (s->reminder.state() != v1::REMINDER_STATE_DEAD) return WrongState(*s, "DEAD");
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE reminders SET state = $2, attempt_count = 0, next_attempt_time_us = $3, update_time_us = $4, "
      "version = version + 1 WHERE reminder_id = $1 AND version = $5",
      {s->id, kScheduled, Micros(due), Micros(now), s->version});
  if (!n.ok()) return n.status();
  if (*n == 0) return StaleEtag();
  return Answer(tx, reminder_id, out);
}

absl::Status ListPendingReminders(sql::Transaction& tx, std::string_view after_id, int limit,
                                  std::vector<PendingReminder>* out) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT reminder_id, state, next_attempt_time_us, update_time_us FROM reminders "
      "WHERE state IN ($1, $2) AND reminder_id > $3 ORDER BY reminder_id LIMIT $4",
      {kScheduled, kSending, std::string(after_id), limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    // A SENDING reminder was being sent when the last one who knew about it stopped:
    // resume it at once (the deliverer does not send it twice).
    const bool sending = row.GetInt64(1) == kSending;
    const int64_t due_us = sending || row.IsNull(2) ? row.GetInt64(3) : row.GetInt64(2);
    out->push_back({row.GetText(0), absl::FromUnixMicros(due_us)});
  }
  return absl::OkStatus();
}

absl::Status ForEachPendingReminder(sql::Database& db, int page_size,
                                    absl::FunctionRef<absl::Status(const PendingReminder&)> fn) {
  sql::TransactionOptions read_only;
  read_only.read_only = true;
  std::string after;
  while (true) {
    std::vector<PendingReminder> page;
    absl::Status s = db.Transact(read_only, [&](sql::Transaction& tx) {
      page.clear();
      return ListPendingReminders(tx, after, page_size, &page);
    });
    if (!s.ok()) return s;
    for (const PendingReminder& p : page) {
      if (absl::Status f = fn(p); !f.ok()) return f;
    }
    if (static_cast<int>(page.size()) < page_size) return absl::OkStatus();
    after = page.back().reminder_id;
  }
}

absl::Status ApplyTransition(sql::Transaction& tx, const StoredReminder& from, const Transition& t, absl::Time now) {
  const bool pending = t.state == v1::REMINDER_STATE_SCHEDULED || t.state == v1::REMINDER_STATE_SENDING;
  const bool sent = t.state == v1::REMINDER_STATE_SENT;
  const bool cancelled = t.state == v1::REMINDER_STATE_CANCELLED;
  const int64_t attempts = from.reminder.attempt_count() + (t.count_attempt ? 1 : 0);
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE reminders SET state = $2, skip_reason = $3, last_error = CASE WHEN $4 = '' THEN last_error ELSE $4 END, "
      "attempt_count = $5, next_attempt_time_us = $6, sent_time_us = $7, sent_channel = $8, "
      "cancel_time_us = CASE WHEN $9 THEN $10 ELSE cancel_time_us END, "
      "cancel_requested = CASE WHEN $11 THEN cancel_requested ELSE FALSE END, "
      "update_time_us = $10, version = version + 1 WHERE reminder_id = $1 AND version = $12",
      {from.id, static_cast<int64_t>(t.state), static_cast<int64_t>(t.skip_reason), t.last_error, attempts,
       pending ? std::optional<int64_t>(Micros(t.next_attempt_time)) : std::nullopt,
       sent ? std::optional<int64_t>(Micros(now)) : std::nullopt,
       static_cast<int64_t>(sent ? t.sent_channel : type::v1::CONTACT_CHANNEL_UNSPECIFIED), cancelled, Micros(now),
       pending, from.version});
  if (!n.ok()) return n.status();
  if (*n == 0) return absl::AbortedError("the reminder changed meanwhile");
  if (t.attempt.has_value()) {
    const AttemptRecord& a = *t.attempt;
    absl::Status s =
        tx.Execute(
              "INSERT INTO delivery_attempts (reminder_id, seq, attempt_number, start_time_us, end_time_us, channel, "
              "outcome, error_code) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7 "
              "FROM delivery_attempts WHERE reminder_id = $1",
              {from.id, a.attempt_number, Micros(a.start_time), Micros(a.end_time), static_cast<int64_t>(a.channel),
               static_cast<int64_t>(a.outcome), a.error_code})
            .status();
    if (!s.ok()) return s;
  }
  if (sent) {
    return tx
        .Execute("UPDATE sent_keys SET sent_time_us = $3 WHERE dedupe_key = $1 AND reminder_id = $2",
                 {from.reminder.dedupe_key(), from.id, Micros(now)})
        .status();
  }
  if (!pending) return ReleaseClaim(tx, from.id);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<KeyClaim>> FindKeyClaim(sql::Transaction& tx, std::string_view dedupe_key) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT reminder_id, sent_time_us FROM sent_keys WHERE dedupe_key = $1", {std::string(dedupe_key)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  return KeyClaim{(*rows)[0].GetText(0), !(*rows)[0].IsNull(1)};
}

absl::Status MarkSending(sql::Transaction& tx, std::span<const StoredReminder* const> reminders, absl::Time now) {
  const sql::Value fixed[] = {kSending, Micros(now)};
  // As ApplyTransition to SENDING with the row's own next attempt time: the rest stays.
  // (The version says the state is still the one read: no condition on the state, which
  // PostgreSQL would answer from the state index, all the scheduled rows.)
  absl::StatusOr<int64_t> n =
      ExecuteForVersions(tx,
                         "UPDATE reminders SET state = $1, skip_reason = 0, sent_time_us = NULL, sent_channel = 0, "
                         "update_time_us = $2, version = version + 1 WHERE reminder_id IN (",
                         fixed, reminders);
  if (!n.ok()) return n.status();
  if (*n != static_cast<int64_t>(reminders.size())) return absl::AbortedError("a reminder changed meanwhile");
  return absl::OkStatus();
}

absl::Status ApplySent(sql::Transaction& tx, std::span<const SentChange> changes, absl::Time now) {
  if (changes.empty()) return absl::OkStatus();
  std::map<type::v1::ContactChannel, std::vector<const StoredReminder*>> by_channel;
  std::vector<std::string> ids, keys;
  for (const SentChange& c : changes) {
    by_channel[c.transition->sent_channel].push_back(c.from);
    ids.push_back(c.from->id);
    keys.push_back(c.from->reminder.dedupe_key());
  }
  // The rows first: their locks keep anyone else from adding attempts meanwhile.
  for (const auto& [channel, reminders] : by_channel) {
    const sql::Value fixed[] = {static_cast<int64_t>(v1::REMINDER_STATE_SENT), Micros(now),
                                static_cast<int64_t>(channel)};
    absl::StatusOr<int64_t> n = ExecuteForVersions(
        tx,
        "UPDATE reminders SET state = $1, skip_reason = 0, attempt_count = attempt_count + 1, "
        "next_attempt_time_us = NULL, sent_time_us = $2, sent_channel = $3, cancel_requested = FALSE, "
        "update_time_us = $2, version = version + 1 WHERE reminder_id IN (",
        fixed, reminders);
    if (!n.ok()) return n.status();
    if (*n != static_cast<int64_t>(reminders.size())) return absl::AbortedError("a reminder changed meanwhile");
  }
  // Attempt numbers go on from each reminder's last.
  std::map<std::string, int64_t> last_seq;
  absl::Status read = QueryIn(
      tx, "SELECT reminder_id, MAX(seq) FROM delivery_attempts WHERE reminder_id IN (", ids,
      [&](const sql::Row& row) { last_seq[row.GetText(0)] = row.GetInt64(1); }, " GROUP BY reminder_id");
  if (!read.ok()) return read;
  constexpr size_t kRows = 64;
  for (size_t start = 0; start < changes.size(); start += kRows) {
    const size_t n = std::min(kRows, changes.size() - start);
    std::string sql =
        "INSERT INTO delivery_attempts (reminder_id, seq, attempt_number, start_time_us, end_time_us, channel, "
        "outcome, error_code) VALUES ";
    std::vector<sql::Value> params;
    for (size_t i = 0; i < n; ++i) {
      const SentChange& c = changes[start + i];
      const AttemptRecord& a = *c.transition->attempt;
      const size_t p = i * 8;
      absl::StrAppend(&sql, i == 0 ? "" : ", ", "($", p + 1, ", $", p + 2, ", $", p + 3, ", $", p + 4, ", $", p + 5,
                      ", $", p + 6, ", $", p + 7, ", $", p + 8, ")");
      const auto last = last_seq.find(c.from->id);
      params.insert(params.end(), {c.from->id, (last == last_seq.end() ? 0 : last->second) + 1,
                                   static_cast<int64_t>(a.attempt_number), Micros(a.start_time), Micros(a.end_time),
                                   static_cast<int64_t>(a.channel), static_cast<int64_t>(a.outcome), a.error_code});
    }
    if (absl::Status s = tx.Execute(sql, params).status(); !s.ok()) return s;
  }
  // Each SENDING reminder holds its own key's claim, so the pairs match.
  const sql::Value sent_at[] = {Micros(now)};
  absl::StatusOr<int64_t> marked = ExecuteIn(tx, "UPDATE sent_keys SET sent_time_us = $1 WHERE dedupe_key IN (",
                                             sent_at, keys);
  return marked.status();
}

absl::StatusOr<std::map<std::string, KeyClaim>> ClaimKeys(
    sql::Transaction& tx, std::span<const std::pair<std::string, std::string>> keys_and_reminders, absl::Time now) {
  constexpr size_t kRows = 64;
  std::vector<std::string> keys;
  for (size_t start = 0; start < keys_and_reminders.size(); start += kRows) {
    const size_t n = std::min(kRows, keys_and_reminders.size() - start);
    std::string sql = "INSERT INTO sent_keys (dedupe_key, reminder_id, claim_time_us) VALUES ";
    std::vector<sql::Value> params = {Micros(now)};
    for (size_t i = 0; i < n; ++i) {
      const auto& [key, reminder_id] = keys_and_reminders[start + i];
      absl::StrAppend(&sql, i == 0 ? "" : ", ", "($", 2 * i + 2, ", $", 2 * i + 3, ", $1)");
      params.emplace_back(key);
      params.emplace_back(reminder_id);
      keys.push_back(key);
    }
    sql += " ON CONFLICT DO NOTHING";
    if (absl::Status s = tx.Execute(sql, params).status(); !s.ok()) return s;
  }
  return FindKeyClaims(tx, keys);
}

absl::StatusOr<std::map<std::string, KeyClaim>> FindKeyClaims(sql::Transaction& tx,
                                                              std::span<const std::string> dedupe_keys) {
  std::map<std::string, KeyClaim> out;
  absl::Status s = QueryIn(tx, "SELECT dedupe_key, reminder_id, sent_time_us FROM sent_keys WHERE dedupe_key IN (",
                           dedupe_keys, [&](const sql::Row& row) {
                             out[row.GetText(0)] = KeyClaim{row.GetText(1), !row.IsNull(2)};
                           });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<KeyClaim> ClaimKey(sql::Transaction& tx, std::string_view dedupe_key, std::string_view reminder_id,
                                  absl::Time now) {
  absl::Status s = tx.Execute(
                         "INSERT INTO sent_keys (dedupe_key, reminder_id, claim_time_us) VALUES ($1, $2, $3) "
                         "ON CONFLICT DO NOTHING",
                         {std::string(dedupe_key), std::string(reminder_id), Micros(now)})
                       .status();
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<KeyClaim>> claim = FindKeyClaim(tx, dedupe_key);
  if (!claim.ok()) return claim.status();
  if (!claim->has_value()) return absl::InternalError("the dedupe key claim vanished");
  return **claim;
}

}  // namespace clinic::notification::store
