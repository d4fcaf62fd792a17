#pragma once

// What the patient handlers share: transaction options, dates, etags, pages.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/api/convert.h"
#include "common/api/paging.h"
#include "common/auth/principal.h"
#include "common/sql/database.h"
#include "common/status/status.h"
#include "services/patient/domain/access_policy.h"
#include "services/patient/patient_store.h"

namespace clinic::patient {

// A mutation's transaction, which also appends its access log entries. On PostgreSQL it
// runs at READ COMMITTED: the invariants are held by guarded UPDATEs (version =
// expected), the duplicate-key lock row and the access log's chain head row, which queue
// concurrent writers instead of failing serialization checks. SQLite serialises writers.
inline sql::TransactionOptions WriteOptions() {
  sql::TransactionOptions options;
  options.isolation = sql::TransactionOptions::Isolation::kReadCommitted;
  return options;
}

// A read's transaction: read-only (its access log entries go through the
// AccessLogWriter), READ COMMITTED on PostgreSQL; on SQLite (WAL) it does not wait for
// writers.
inline sql::TransactionOptions ReadOptions() {
  sql::TransactionOptions options = WriteOptions();
  options.read_only = true;
  return options;
}

// "Not in the future" for a calendar date the caller gives in its own time zone, which
// this service does not know: not after today's date anywhere on Earth (UTC+14).
inline absl::CivilDay LatestToday(absl::Time now) {
  return absl::ToCivilDay(now, absl::FixedTimeZone(14 * 60 * 60));
}

// "Not in the past" for a calendar date in the clinic's time zone, which this service does
// not know: not before today's date anywhere on Earth (UTC-12).
inline absl::CivilDay EarliestToday(absl::Time now) {
  return absl::ToCivilDay(now, absl::FixedTimeZone(-12 * 60 * 60));
}

// The version an etag names; -1 for one that is not ours (never matches: ABORTED).
inline int64_t VersionOfEtag(const std::string& etag) { return api::ParseEtag(etag).value_or(-1); }

// The caller's clinic id (the JWT claim, without a "clinics/" prefix), or empty.
inline std::string ClinicIdOf(const auth::Principal& principal) {
  if (!principal.clinic.has_value()) return "";
  std::string_view clinic = *principal.clinic;
  constexpr std::string_view kPrefix = "clinics/";
  if (clinic.substr(0, kPrefix.size()) == kPrefix) clinic.remove_prefix(kPrefix.size());
  return std::string(clinic);
}

// The page's size, and its cursor from the request's token; false after adding
// violations. limit is one more than the page size: the extra row says a next page exists.
inline bool ReadPage(int32_t page_size, const std::string& token, uint64_t filters, int default_size, int max_size,
                     store::PageRequest* page, status::FieldViolations& bad) {
  page->limit = api::PageSize(page_size, default_size, max_size, bad) + 1;
  std::optional<std::vector<std::string>> after = api::DecodePageToken(token, filters, bad);
  if (after.has_value()) page->after = *std::move(after);
  return bad.empty();
}

// FAILED_PRECONDITION (reason STATE) unless the record takes changes (ACTIVE): a merged
// or erased record takes no new demographics, consent, clinical data or plan.
inline absl::Status CheckActive(const store::PatientRecord& record) {
  switch (record.patient.state()) {
    case v1::Patient::STATE_ACTIVE:
      return absl::OkStatus();
    case v1::Patient::STATE_MERGED:
      return status::FailedPrecondition("STATE", record.patient.name(), "the record is merged; change the survivor");
    default:
      return status::FailedPrecondition("STATE", record.patient.name(), "the record is erased");
  }
}

// OK when the caller's role may do `action` at all; PERMISSION_DENIED otherwise.
inline absl::Status RoleCheck(const auth::Principal& principal, domain::PatientAction action) {
  if (domain::RoleMayPerform(principal, action)) return absl::OkStatus();
  return domain::DecisionToStatus(domain::AccessDecision::kPermissionDenied, principal, action, "");
}

// `status` with the request field it is about in front when it is NOT_FOUND (e.g. a
// plan's regimen that does not exist).
inline absl::Status AboutField(std::string_view field, absl::Status status) {
  if (status.code() != absl::StatusCode::kNotFound) return status;
  return absl::NotFoundError(absl::StrCat(std::string(field), ": ", status.message()));
}

}  // namespace clinic::patient
