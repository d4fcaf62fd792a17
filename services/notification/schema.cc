#include "services/notification/schema.h"

#include "common/api/idempotency.h"

namespace clinic::notification {
namespace {

// Times are int64 microseconds since the Unix epoch (UTC). Enums are stored as their
// numbers (ReminderKind, ReminderState, SkipReason, AttemptOutcome, ContactChannel,
// Template.State).
constexpr sql::Migration kMigrations[] = {
    {.version = 1,
     .name = "reminders",
     .sql = R"sql(
-- One row per reminder: the truth the Redis queue is rebuilt from. patient is
-- "patients/{id}" for the patient kinds, '' for a staff alert (staff_role set instead;
-- its clinic is clinic_id). quiet_start_s / quiet_end_s: seconds since local midnight,
-- NULL for the default. template_parameters: a JSON object of strings.
-- next_attempt_time_us: when a SCHEDULED reminder is due (send time, or the end of quiet
-- hours, or the next retry). cancel_requested: a cancel that arrived while SENDING (it
-- applies if the send fails).
CREATE TABLE reminders (
  reminder_id TEXT PRIMARY KEY,
  kind BIGINT NOT NULL,
  patient TEXT NOT NULL DEFAULT '',
  staff_role TEXT NOT NULL DEFAULT '',
  clinic_id TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  quiet_start_s BIGINT,
  quiet_end_s BIGINT,
  send_time_us BIGINT NOT NULL,
  event_time_us BIGINT,
  expire_time_us BIGINT NOT NULL,
  appointment TEXT NOT NULL DEFAULT '',
  dedupe_key TEXT NOT NULL,
  template_parameters TEXT NOT NULL DEFAULT '{}',
  channel BIGINT NOT NULL DEFAULT 0,
  language_code TEXT NOT NULL DEFAULT '',
  state BIGINT NOT NULL,
  skip_reason BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  attempt_count BIGINT NOT NULL DEFAULT 0,
  next_attempt_time_us BIGINT,
  sent_time_us BIGINT,
  sent_channel BIGINT NOT NULL DEFAULT 0,
  cancel_reason TEXT NOT NULL DEFAULT '',
  cancel_time_us BIGINT,
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
  created_by TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
-- At most one reminder not CANCELLED (7) per dedupe key.
CREATE UNIQUE INDEX reminders_dedupe_key ON reminders (dedupe_key) WHERE state <> 7;
CREATE INDEX reminders_by_clinic ON reminders (clinic_id, send_time_us);
CREATE INDEX reminders_by_patient ON reminders (patient, send_time_us);
CREATE INDEX reminders_by_appointment ON reminders (appointment);
CREATE INDEX reminders_by_state ON reminders (state, next_attempt_time_us);

-- Every delivery attempt (quiet-hours deferrals included, not counted). seq orders the
-- rows of one reminder; attempt_number is the contract's (deferrals carry the number of
-- the attempt they deferred). error_code never holds an address or message text.
CREATE TABLE delivery_attempts (
  reminder_id TEXT NOT NULL REFERENCES reminders (reminder_id),
  seq BIGINT NOT NULL,
  attempt_number BIGINT NOT NULL,
  start_time_us BIGINT NOT NULL,
  end_time_us BIGINT NOT NULL,
  channel BIGINT NOT NULL DEFAULT 0,
  outcome BIGINT NOT NULL,
  error_code TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (reminder_id, seq)
);

-- At most once per dedupe key: a reminder claims its key before it sends (sent_time_us
-- NULL) and marks it sent in the transaction that records SENT. A claim is released when
-- the reminder ends without sending; a sent key is never released, so a later reminder
-- with the key is SKIPPED (DUPLICATE).
CREATE TABLE sent_keys (
  dedupe_key TEXT PRIMARY KEY,
  reminder_id TEXT NOT NULL,
  claim_time_us BIGINT NOT NULL,
  sent_time_us BIGINT
);
CREATE INDEX sent_keys_by_reminder ON sent_keys (reminder_id);

-- Message templates. required_parameters: a JSON array of strings.
CREATE TABLE templates (
  template_id TEXT PRIMARY KEY,
  kind BIGINT NOT NULL,
  channel BIGINT NOT NULL,
  language_code TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  required_parameters TEXT NOT NULL DEFAULT '[]',
  state BIGINT NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
-- At most one ACTIVE (1) template per kind, channel and language.
CREATE UNIQUE INDEX templates_active ON templates (kind, channel, language_code) WHERE state = 1;

-- Where a clinic's staff with a role receive staff alerts. address is staff personal
-- data: never logged or queued.
CREATE TABLE staff_contacts (
  clinic_id TEXT NOT NULL,
  staff_contact_id TEXT NOT NULL,
  role TEXT NOT NULL,
  channel BIGINT NOT NULL,
  address TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  PRIMARY KEY (clinic_id, staff_contact_id)
);
CREATE INDEX staff_contacts_by_role ON staff_contacts (clinic_id, role);
)sql"},
    {.version = 2,
     .name = "idempotency_keys",
     .sqlite_sql = api::kIdempotencySqliteSql,
     .postgres_sql = api::kIdempotencyPostgresSql},
};

}  // namespace

std::span<const sql::Migration> Migrations() { return kMigrations; }

}  // namespace clinic::notification
