#include "services/patient/schema.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "common/api/idempotency.h"

namespace clinic::patient {
namespace {

// Times are int64 microseconds since the Unix epoch (UTC); dates are days since
// 1970-01-01 unless a column says otherwise; enums are their proto numbers. Clinic ids are
// the id of "clinics/{clinic}" (the JWT clinic claim).
constexpr char kRecordsSql[] = R"sql(
-- Patient records: demographics and contact (personal data), the sharing consent that
-- decides who sees the record, and the comparison keys of the duplicate check and search.
--   birth_*: the date of birth (month and day 0 once erased: only the year is kept).
--   address_lines: the street lines joined with a line feed (lines hold no line breaks).
--   given_key, family_key: FoldName of the names; birth_key "YYYY-MM-DD"; phone_key the
--     E.164 number, email_key EmailKey: NULL when absent (an absent one never matches).
--   sharing_scope: SharingScope; the named clinics are in patient_shared_clinics.
--   version: the demographics' etag; consent_version: the consent's etag.
--   revision: bumped by every change of the row or of its consent (demographics, sharing,
--     contact consent, state): what a cache in front of GetPatient and LookupContact
--     compares, since both answers (and who may see them) depend on all of it.
CREATE TABLE patients (
  patient_id TEXT PRIMARY KEY,
  home_clinic_id TEXT NOT NULL,
  given_name TEXT NOT NULL,
  family_name TEXT NOT NULL,
  birth_year BIGINT NOT NULL,
  birth_month BIGINT NOT NULL,
  birth_day BIGINT NOT NULL,
  sex BIGINT NOT NULL DEFAULT 0,
  phone_number TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  has_address BOOLEAN NOT NULL DEFAULT FALSE,
  address_lines TEXT NOT NULL DEFAULT '',
  locality TEXT NOT NULL DEFAULT '',
  administrative_area TEXT NOT NULL DEFAULT '',
  postal_code TEXT NOT NULL DEFAULT '',
  region_code TEXT NOT NULL DEFAULT '',
  language_code TEXT NOT NULL DEFAULT '',
  state BIGINT NOT NULL,
  merged_into TEXT NOT NULL DEFAULT '',
  given_key TEXT NOT NULL,
  family_key TEXT NOT NULL,
  birth_key TEXT NOT NULL,
  phone_key TEXT,
  email_key TEXT,
  sharing_scope BIGINT NOT NULL DEFAULT 1,
  sharing_grant_time_us BIGINT,
  sharing_withdraw_time_us BIGINT,
  sharing_recorded_by TEXT NOT NULL DEFAULT '',
  consent_update_time_us BIGINT NOT NULL,
  consent_version BIGINT NOT NULL DEFAULT 1,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  erase_time_us BIGINT,
  version BIGINT NOT NULL DEFAULT 1,
  revision BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX patients_by_duplicate_key ON patients (family_key, given_key, birth_key);
CREATE INDEX patients_by_given_key ON patients (given_key);
CREATE INDEX patients_by_birth_key ON patients (birth_key);
CREATE INDEX patients_by_phone_key ON patients (phone_key);
CREATE INDEX patients_by_email_key ON patients (email_key);
CREATE INDEX patients_by_home_clinic ON patients (home_clinic_id);

-- SHARING_SCOPE_NAMED_CLINICS: the clinics that may see the record.
CREATE TABLE patient_shared_clinics (
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  clinic_id TEXT NOT NULL,
  PRIMARY KEY (patient_id, clinic_id)
);
CREATE INDEX patient_shared_clinics_by_clinic ON patient_shared_clinics (clinic_id);

-- Contact consent per channel (ContactChannel). state: ContactConsentState;
-- opt_out_source: OptOutSource.
CREATE TABLE contact_consents (
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  channel BIGINT NOT NULL,
  state BIGINT NOT NULL,
  grant_time_us BIGINT,
  withdraw_time_us BIGINT,
  opt_out_time_us BIGINT,
  opt_out_source BIGINT NOT NULL DEFAULT 0,
  preferred BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (patient_id, channel)
);

-- One row per duplicate key (a fingerprint of family_key, given_key and birth_key),
-- locked by a write before the duplicate check, so that two registrations of the same
-- person at once are checked one after the other (PostgreSQL READ COMMITTED; SQLite
-- serialises writers anyway). No personal data: only the fingerprint.
CREATE TABLE duplicate_key_locks (
  lock_key TEXT PRIMARY KEY,
  touches BIGINT NOT NULL
);

-- The access log: append-only, one hash chain per patient (domain/access_log_chain.h).
-- access_log_heads holds each chain's last sequence and hash; an append updates it first,
-- which locks the row until commit, so concurrent appends to one patient's log queue and
-- keep one chain without gaps. action, purpose, outcome: AccessAction, AccessPurpose,
-- AccessOutcome. clinic: "clinics/{clinic}" or empty.
CREATE TABLE access_log_heads (
  patient_id TEXT PRIMARY KEY REFERENCES patients (patient_id),
  last_sequence BIGINT NOT NULL,
  last_hash TEXT NOT NULL
);
CREATE TABLE access_log (
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  sequence BIGINT NOT NULL,
  principal TEXT NOT NULL,
  role TEXT NOT NULL,
  clinic TEXT NOT NULL,
  action BIGINT NOT NULL,
  method TEXT NOT NULL,
  resource TEXT NOT NULL,
  purpose BIGINT NOT NULL,
  outcome BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  access_time_us BIGINT NOT NULL,
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (patient_id, sequence)
);
CREATE INDEX access_log_by_time ON access_log (patient_id, access_time_us);
)sql";

// The clinical tables hold their resource as a serialized proto (`body`) beside the
// columns that are filtered, ordered or joined on; the body's output-only fields (name,
// etag, times) are rebuilt from the columns. {BYTES} is BLOB on SQLite, BYTEA on PostgreSQL.
constexpr char kClinicalSql[] = R"sql(
-- ClinicalProfile without name, update_time, updated_by and etag.
CREATE TABLE clinical_profiles (
  patient_id TEXT PRIMARY KEY REFERENCES patients (patient_id),
  body {BYTES} NOT NULL,
  update_time_us BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);

-- Laboratories; body: the Laboratory's reference_ranges (a Laboratory message holding only
-- them).
CREATE TABLE laboratories (
  laboratory_id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  body {BYTES} NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);

-- Lab results (immutable; superseded is set when a later result corrects one).
CREATE TABLE lab_results (
  lab_result_id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  analyte BIGINT NOT NULL,
  collection_time_us BIGINT NOT NULL,
  superseded BOOLEAN NOT NULL DEFAULT FALSE,
  body {BYTES} NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE INDEX lab_results_by_patient ON lab_results (patient_id, collection_time_us);

-- Eligibility assessments, with their override once made (in the body).
CREATE TABLE eligibility_assessments (
  assessment_id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  body {BYTES} NOT NULL,
  create_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX eligibility_assessments_by_patient ON eligibility_assessments (patient_id, create_time_us);

-- Regimens. state: Regimen.State.
CREATE TABLE regimens (
  regimen_id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  state BIGINT NOT NULL,
  body {BYTES} NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1
);

-- Treatment plans: the latest revision's state here, every revision in
-- treatment_plan_revisions (the body of each is the whole plan as of that revision).
CREATE TABLE treatment_plans (
  plan_id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  state BIGINT NOT NULL,
  latest_revision BIGINT NOT NULL,
  create_time_us BIGINT NOT NULL,
  update_time_us BIGINT NOT NULL
);
CREATE INDEX treatment_plans_by_patient ON treatment_plans (patient_id, create_time_us);
CREATE TABLE treatment_plan_revisions (
  plan_id TEXT NOT NULL REFERENCES treatment_plans (plan_id),
  revision BIGINT NOT NULL,
  body {BYTES} NOT NULL,
  revision_create_time_us BIGINT NOT NULL,
  PRIMARY KEY (plan_id, revision)
);

-- Administrations (immutable traceability records). lot: "products/{p}/lots/{l}", for
-- recalls. request_id: the RecordAdministration request that made it (unique: a
-- redelivery records nothing more).
CREATE TABLE administrations (
  administration_id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  plan_id TEXT NOT NULL,
  lot TEXT NOT NULL,
  administer_time_us BIGINT NOT NULL,
  request_id TEXT NOT NULL UNIQUE,
  body {BYTES} NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE INDEX administrations_by_patient ON administrations (patient_id, administer_time_us);
CREATE INDEX administrations_by_lot ON administrations (lot);

-- Check-ins. check_in_day: days since 1970-01-01.
CREATE TABLE check_ins (
  check_in_id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients (patient_id),
  check_in_day BIGINT NOT NULL,
  body {BYTES} NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE INDEX check_ins_by_patient ON check_ins (patient_id, check_in_day);
)sql";

}  // namespace

std::span<const sql::Migration> Migrations() {
  static const std::string* const kClinicalSqlite =
      new std::string(absl::StrReplaceAll(kClinicalSql, {{"{BYTES}", "BLOB"}}));
  static const std::string* const kClinicalPostgres =
      new std::string(absl::StrReplaceAll(kClinicalSql, {{"{BYTES}", "BYTEA"}}));
  static const sql::Migration kMigrations[] = {
      {.version = 1, .name = "records_consent_access_log", .sql = kRecordsSql},
      {.version = 2, .name = "clinical", .sqlite_sql = *kClinicalSqlite, .postgres_sql = *kClinicalPostgres},
      {.version = 3,
       .name = "idempotency_keys",
       .sqlite_sql = api::kIdempotencySqliteSql,
       .postgres_sql = api::kIdempotencyPostgresSql},
  };
  return kMigrations;
}

}  // namespace clinic::patient
