// The record RPCs: create, read, update, search, erase, and the access log.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "common/api/resource_name.h"
#include "services/patient/access_log_store.h"
#include "services/patient/domain/contact_address.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/name_folding.h"
#include "services/patient/domain/patient_validation.h"
#include "services/patient/domain/proto_time.h"
#include "services/patient/domain/text.h"
#include "services/patient/handler_support.h"
#include "services/patient/patient_service.h"

namespace clinic::patient {
namespace {

using domain::PatientAction;

constexpr std::string_view kPatientPattern = "patients/{patient}";
constexpr std::size_t kMaxEraseReasonLength = 500;
constexpr std::size_t kMinNamePrefixLength = 2;

}  // namespace

absl::Status PatientService::HandleCreatePatient(const server::Call& call, const v1::CreatePatientRequest& request,
                                                 v1::Patient* response) {
  const auth::Principal& principal = call.principal();
  if (!domain::RoleMayPerform(principal, PatientAction::kCreatePatient)) {
    return domain::DecisionToStatus(domain::AccessDecision::kPermissionDenied, principal,
                                    PatientAction::kCreatePatient, "");
  }
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  if (!request.has_patient()) bad.Add("patient", "required");
  domain::ValidateNewPatient(request.patient(), LatestToday(clock_.Now()), "patient", bad);
  const std::string home_clinic = ClinicIdOf(principal);
  if (home_clinic.empty() || !api::IsValidId(home_clinic)) {
    return absl::PermissionDeniedError("the caller's token names no valid clinic to register the patient at");
  }
  if (!bad.empty()) return bad.ToStatus();
  v1::Patient patient = request.patient();
  domain::CanonicalisePatient(patient);
  const std::string id = api::NewId();
  return AuditedOnce(call, "CreatePatient", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
                       absl::StatusOr<store::PatientRecord> record = store::InsertPatient(
                           tx, id, home_clinic, patient, store::VisibilityOf(principal), clock_.Now());
                       if (!record.ok()) return record.status();
                       audit.Note(id, v1::ACCESS_ACTION_CREATE, record->patient.name());
                       *response = record->patient;
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleGetPatient(const server::Call& call, const v1::GetPatientRequest& request,
                                              v1::Patient* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId(kPatientPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  CacheRead read = LookUpCache(call, *id);
  absl::Status status = AuditedRead(call, "GetPatient", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kReadDemographics, v1::ACCESS_ACTION_READ, request.name(),
                       request.name(), &read);
    if (!record.ok()) return record.status();
    *response = record->patient;
    return absl::OkStatus();
  }, read.hit.has_value());
  FillCache(call, read, status);
  return status;
}

absl::Status PatientService::HandleUpdatePatient(const server::Call& call, const v1::UpdatePatientRequest& request,
                                                 v1::Patient* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kPatientPattern, request.patient().name(), "patient.name", bad);
  if (request.patient().etag().empty()) bad.Add("patient.etag", "required: the etag read last");
  static constexpr std::string_view kAllowed[] = {"given_name", "family_name",    "birth_date",
                                                  "sex",        "phone_number",   "email",
                                                  "postal_address", "language_code"};
  std::vector<std::string_view> mask_paths = domain::UpdateMaskPaths(request.update_mask(), kAllowed, bad);
  if (!bad.empty()) return bad.ToStatus();
  const std::set<std::string> paths(mask_paths.begin(), mask_paths.end());
  const absl::CivilDay today = LatestToday(clock_.Now());
  return AuditedOnce(
      call, "UpdatePatient", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> current =
            LoadAuthorized(tx, audit, *id, PatientAction::kUpdateDemographics, v1::ACCESS_ACTION_UPDATE,
                           request.patient().name(), request.patient().name());
        if (!current.ok()) return current.status();
        status::FieldViolations invalid;
        domain::ValidatePatientUpdate(request.patient(), request.update_mask(), current->patient, today, "patient",
                                      invalid);
        if (!invalid.empty()) return invalid.ToStatus();
        if (absl::Status s = CheckActive(*current); !s.ok()) return s;
        v1::Patient patient = request.patient();
        domain::CanonicalisePatient(patient);
        absl::StatusOr<store::PatientRecord> updated =
            store::UpdatePatient(tx, *current, patient, paths, VersionOfEtag(request.patient().etag()),
                                 store::VisibilityOf(call.principal()), clock_.Now());
        if (!updated.ok()) return updated.status();
        *response = updated->patient;
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleSearchPatients(const server::Call& call, const v1::SearchPatientsRequest& request,
                                                  v1::SearchPatientsResponse* response) {
  const auth::Principal& principal = call.principal();
  if (!domain::RoleMayPerform(principal, PatientAction::kSearchPatients)) {
    return domain::DecisionToStatus(domain::AccessDecision::kPermissionDenied, principal,
                                    PatientAction::kSearchPatients, "");
  }
  status::FieldViolations bad;
  store::SearchCriteria criteria;
  criteria.show_inactive = request.show_inactive();
  bool any = false;
  if (!request.name_prefix().empty()) {
    any = true;
    criteria.name_prefix = domain::FoldName(request.name_prefix());
    if (!domain::IsValidUtf8(request.name_prefix()) || domain::HasControlCharacter(request.name_prefix())) {
      bad.Add("name_prefix", "must be text without control characters");
    } else if (domain::CodePointCount(criteria.name_prefix) < kMinNamePrefixLength) {
      bad.Add("name_prefix", "at least 2 characters");
    } else if (domain::CodePointCount(criteria.name_prefix) > domain::kMaxPersonNameLength) {
      bad.Add("name_prefix", "at most 200 characters");
    }
  }
  if (request.has_birth_date()) {
    any = true;
    std::optional<absl::CivilDay> day = domain::ToCivilDay(request.birth_date());
    if (!day.has_value()) {
      bad.Add("birth_date", "must be a real date from 1900");
    } else {
      criteria.birth_key = domain::FormatIsoDate(*day);
    }
  }
  if (!request.phone_number().empty()) {
    any = true;
    std::optional<std::string> phone = domain::NormalisePhoneNumber(request.phone_number());
    if (!phone.has_value()) {
      bad.Add("phone_number", "must be a phone number in E.164 format, e.g. +447700900123");
    } else {
      criteria.phone_key = *phone;
    }
  }
  if (!request.email().empty()) {
    any = true;
    std::optional<std::string> email = domain::EmailKey(request.email());
    if (!email.has_value()) {
      bad.Add("email", "must be an email address");
    } else {
      criteria.email_key = *email;
    }
  }
  if (!any) bad.Add("name_prefix", "at least one of name_prefix, birth_date, phone_number and email is required");
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "SearchPatients", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    std::vector<store::PatientRecord> records;
    if (absl::Status s = store::SearchPatients(tx, criteria, store::VisibilityOf(principal), page, &records);
        !s.ok()) {
      return s;
    }
    if (static_cast<int>(records.size()) == page.limit) {
      records.pop_back();
      response->set_next_page_token(api::EncodePageToken(filters, {records.back().patient_id}));
    }
    for (store::PatientRecord& record : records) {
      if (!domain::CanSee(principal, record.sharing)) continue;  // the SQL filter already left it out
      audit.Note(record.patient_id, v1::ACCESS_ACTION_READ, record.patient.name());
      *response->add_patients() = std::move(record.patient);
    }
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleErasePatient(const server::Call& call, const v1::ErasePatientRequest& request,
                                                v1::Patient* response) {
  if (!domain::RoleMayPerform(call.principal(), PatientAction::kErase)) {
    return domain::DecisionToStatus(domain::AccessDecision::kPermissionDenied, call.principal(),
                                    PatientAction::kErase, "");
  }
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kPatientPattern, request.name(), "name", bad);
  if (request.etag().empty()) bad.Add("etag", "required: the etag read last");
  domain::CheckRequiredText(request.reason(), kMaxEraseReasonLength, domain::TextKind::kSingleLine, "reason", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedOnce(call, "ErasePatient", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
                       absl::StatusOr<store::PatientRecord> current =
                           LoadAuthorized(tx, audit, *id, PatientAction::kErase, v1::ACCESS_ACTION_ERASE,
                                          request.name(), request.name());
                       if (!current.ok()) return current.status();
                       if (current->patient.state() == v1::Patient::STATE_ERASED) {
                         return status::FailedPrecondition("STATE", request.name(), "the record is already erased");
                       }
                       absl::StatusOr<store::PatientRecord> erased =
                           store::ErasePatient(tx, *current, VersionOfEtag(request.etag()),
                                               call.principal().subject, clock_.Now());
                       if (!erased.ok()) return erased.status();
                       *response = erased->patient;
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleListAccessLog(const server::Call& call, const v1::ListAccessLogRequest& request,
                                                 v1::ListAccessLogResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId(kPatientPattern, request.parent(), "parent", bad);
  std::optional<absl::Time> start, end;
  if (request.interval().has_start_time()) {
    start = domain::ToTime(request.interval().start_time());
    if (!start.has_value()) bad.Add("interval.start_time", "not a valid timestamp");
  }
  if (request.interval().has_end_time()) {
    end = domain::ToTime(request.interval().end_time());
    if (!end.has_value()) bad.Add("interval.end_time", "not a valid timestamp");
  }
  if (start.has_value() && end.has_value() && *end <= *start) bad.Add("interval.end_time", "must be after start_time");
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 100, 1000, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "ListAccessLog", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kReadAccessLog, v1::ACCESS_ACTION_READ,
                       absl::StrCat(request.parent(), "/accessLogEntries"), request.parent());
    if (!record.ok()) return record.status();
    std::vector<v1::AccessLogEntry> entries;
    if (absl::Status s = store::ListAccessLog(tx, *id, start, end, page, &entries); !s.ok()) return s;
    if (static_cast<int>(entries.size()) == page.limit) {
      entries.pop_back();
      response->set_next_page_token(api::EncodePageToken(filters, {absl::StrCat(entries.back().sequence())}));
    }
    for (v1::AccessLogEntry& entry : entries) *response->add_access_log_entries() = std::move(entry);
    return absl::OkStatus();
  });
}

}  // namespace clinic::patient
