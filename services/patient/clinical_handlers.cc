// The clinical RPCs: clinical profile, laboratories, lab results, eligibility.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "services/patient/clinical_store.h"
#include "services/patient/domain/clinical_profile_validation.h"
#include "services/patient/domain/eligibility.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/lab_interpretation.h"
#include "services/patient/domain/lab_result_validation.h"
#include "services/patient/domain/proto_time.h"
#include "services/patient/domain/reference_ranges.h"
#include "services/patient/handler_support.h"
#include "services/patient/patient_service.h"

namespace clinic::patient {
namespace {

using domain::PatientAction;

// The substances of the standard catalogue's B12 products (inventory's seeded
// products/{id}); any other product is assessed as "every B12 product", the most
// cautious reading (any cobalamin hypersensitivity blocks).
std::vector<v1::Substance> SubstancesOf(std::string_view product_id) {
  static const auto* const kKnown = new std::map<std::string, v1::Substance, std::less<>>{
      {"hydroxocobalamin-1mg-1ml", v1::SUBSTANCE_HYDROXOCOBALAMIN},
      {"cyanocobalamin-1mg-1ml", v1::SUBSTANCE_CYANOCOBALAMIN},
      {"methylcobalamin-1mg-1ml", v1::SUBSTANCE_METHYLCOBALAMIN},
  };
  auto it = kKnown->find(product_id);
  if (it == kKnown->end()) return {};
  return {it->second};
}

}  // namespace

absl::Status PatientService::HandleGetClinicalProfile(const server::Call& call,
                                                      const v1::GetClinicalProfileRequest& request,
                                                      v1::ClinicalProfile* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("patients/{patient}/clinicalProfile", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "GetClinicalProfile", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    absl::StatusOr<store::PatientRecord> record = LoadAuthorized(
        tx, audit, *id, PatientAction::kReadClinical, v1::ACCESS_ACTION_READ, request.name(), request.name());
    if (!record.ok()) return record.status();
    absl::StatusOr<v1::ClinicalProfile> profile = store::GetClinicalProfile(tx, *id);
    if (!profile.ok()) return profile.status();
    *response = *std::move(profile);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleUpdateClinicalProfile(const server::Call& call,
                                                         const v1::UpdateClinicalProfileRequest& request,
                                                         v1::ClinicalProfile* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  const v1::ClinicalProfile& profile = request.clinical_profile();
  std::optional<std::string> id =
      api::ParseId("patients/{patient}/clinicalProfile", profile.name(), "clinical_profile.name", bad);
  if (profile.etag().empty()) bad.Add("clinical_profile.etag", "required: the etag read last");
  domain::ValidateClinicalProfileUpdate(profile, request.update_mask(), "clinical_profile", bad);
  if (!bad.empty()) return bad.ToStatus();
  const std::set<std::string> paths(request.update_mask().paths().begin(), request.update_mask().paths().end());
  return AuditedOnce(call, "UpdateClinicalProfile", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
                       absl::StatusOr<store::PatientRecord> record =
                           LoadAuthorized(tx, audit, *id, PatientAction::kWriteClinical, v1::ACCESS_ACTION_UPDATE,
                                          profile.name(), profile.name());
                       if (!record.ok()) return record.status();
                       if (absl::Status s = CheckActive(*record); !s.ok()) return s;
                       absl::StatusOr<v1::ClinicalProfile> updated =
                           store::UpdateClinicalProfile(tx, *id, profile, paths, VersionOfEtag(profile.etag()),
                                                        call.principal().subject, clock_.Now());
                       if (!updated.ok()) return updated.status();
                       *response = *std::move(updated);
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleCreateLaboratory(const server::Call& call,
                                                    const v1::CreateLaboratoryRequest& request,
                                                    v1::Laboratory* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kManageLaboratories); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  if (!request.has_laboratory()) bad.Add("laboratory", "required");
  domain::ValidateLaboratory(request.laboratory(), "laboratory", bad);
  if (!request.laboratory_id().empty() && !api::IsValidClientId(request.laboratory_id())) {
    bad.Add("laboratory_id", "1 to 63 characters of [a-z0-9-], starting with a letter");
  }
  if (!bad.empty()) return bad.ToStatus();
  const std::string id = request.laboratory_id().empty() ? api::NewId() : request.laboratory_id();
  return AuditedOnce(call, "CreateLaboratory", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit&) -> absl::Status {
                       absl::StatusOr<v1::Laboratory> lab =
                           store::InsertLaboratory(tx, id, request.laboratory(), clock_.Now());
                       if (!lab.ok()) return lab.status();
                       *response = *std::move(lab);
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleGetLaboratory(const server::Call& call, const v1::GetLaboratoryRequest& request,
                                                 v1::Laboratory* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kReadLaboratories); !s.ok()) return s;
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("laboratories/{laboratory}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Laboratory> lab = store::GetLaboratory(tx, *id);
    if (!lab.ok()) return AboutField("name", lab.status());
    *response = *std::move(lab);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleListLaboratories(const server::Call& call,
                                                    const v1::ListLaboratoriesRequest& request,
                                                    v1::ListLaboratoriesResponse* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kReadLaboratories); !s.ok()) return s;
  status::FieldViolations bad;
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Laboratory> labs;
    if (absl::Status s = store::ListLaboratories(tx, page, &labs); !s.ok()) return s;
    if (static_cast<int>(labs.size()) == page.limit) {
      labs.pop_back();
      response->set_next_page_token(api::EncodePageToken(
          filters, {labs.back().display_name(), labs.back().name().substr(sizeof("laboratories/") - 1)}));
    }
    for (v1::Laboratory& lab : labs) *response->add_laboratories() = std::move(lab);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleUpdateLaboratory(const server::Call& call,
                                                    const v1::UpdateLaboratoryRequest& request,
                                                    v1::Laboratory* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kManageLaboratories); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  const v1::Laboratory& lab = request.laboratory();
  std::optional<std::string> id = api::ParseId("laboratories/{laboratory}", lab.name(), "laboratory.name", bad);
  if (lab.etag().empty()) bad.Add("laboratory.etag", "required: the etag read last");
  static constexpr std::string_view kAllowed[] = {"display_name", "reference_ranges"};
  const std::vector<std::string_view> mask = domain::UpdateMaskPaths(request.update_mask(), kAllowed, bad);
  if (!bad.empty()) return bad.ToStatus();
  const std::set<std::string> paths(mask.begin(), mask.end());
  return AuditedOnce(call, "UpdateLaboratory", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit&) -> absl::Status {
                       absl::StatusOr<v1::Laboratory> current = store::GetLaboratory(tx, *id);
                       if (!current.ok()) return AboutField("laboratory.name", current.status());
                       // The laboratory as it would be, checked whole (a range list is
                       // only valid with a display name, and vice versa).
                       v1::Laboratory merged = *current;
                       if (paths.count("display_name")) merged.set_display_name(lab.display_name());
                       if (paths.count("reference_ranges")) *merged.mutable_reference_ranges() = lab.reference_ranges();
                       status::FieldViolations invalid;
                       domain::ValidateLaboratory(merged, "laboratory", invalid);
                       if (!invalid.empty()) return invalid.ToStatus();
                       absl::StatusOr<v1::Laboratory> updated = store::UpdateLaboratory(
                           tx, *id, lab, paths, VersionOfEtag(lab.etag()), clock_.Now());
                       if (!updated.ok()) return updated.status();
                       *response = *std::move(updated);
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleRecordLabResult(const server::Call& call,
                                                   const v1::RecordLabResultRequest& request,
                                                   v1::LabResult* response) {
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  if (!request.has_lab_result()) bad.Add("lab_result", "required");
  domain::ValidateLabResultInput(request.lab_result(), now, "lab_result", bad);
  std::optional<std::string> lab_id;
  if (!request.lab_result().laboratory().empty()) {
    lab_id = api::ParseId("laboratories/{laboratory}", request.lab_result().laboratory(), "lab_result.laboratory", bad);
  }
  if (!request.lab_result().supersedes().empty()) {
    api::ParseName("patients/{patient}/labResults/{lab_result}", request.lab_result().supersedes(),
                   "lab_result.supersedes", bad);
  }
  if (!bad.empty()) return bad.ToStatus();
  const std::string result_id = api::NewId();
  const std::string result_name = absl::StrCat(request.parent(), "/labResults/", result_id);
  return AuditedOnce(
      call, "RecordLabResult", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> record =
            LoadAuthorized(tx, audit, *id, PatientAction::kRecordLabResult, v1::ACCESS_ACTION_CREATE, result_name,
                           request.parent());
        if (!record.ok()) return record.status();
        if (absl::Status s = CheckActive(*record); !s.ok()) return s;
        absl::StatusOr<v1::Laboratory> lab = store::GetLaboratory(tx, *lab_id);
        if (!lab.ok()) return AboutField("lab_result.laboratory", lab.status());
        absl::StatusOr<domain::ReferenceRanges> ranges = store::LoadReferenceRanges(tx);
        if (!ranges.ok()) return ranges.status();
        v1::LabResult result = request.lab_result();
        if (absl::Status s = domain::InterpretLabResult(*ranges, result, "lab_result"); !s.ok()) return s;
        result.set_clinic(domain::PrincipalClinicName(call.principal()));
        result.set_recorded_by(call.principal().subject);
        absl::StatusOr<v1::LabResult> stored = store::InsertLabResult(tx, *id, result_id, std::move(result), now);
        if (!stored.ok()) return stored.status();
        *response = *std::move(stored);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleGetLabResult(const server::Call& call, const v1::GetLabResultRequest& request,
                                                v1::LabResult* response) {
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> ids =
      api::ParseName("patients/{patient}/labResults/{lab_result}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "GetLabResult", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    absl::StatusOr<store::PatientRecord> record = LoadAuthorized(
        tx, audit, (*ids)[0], PatientAction::kReadClinical, v1::ACCESS_ACTION_READ, request.name(), request.name());
    if (!record.ok()) return record.status();
    absl::StatusOr<v1::LabResult> result = store::GetLabResult(tx, (*ids)[0], (*ids)[1]);
    if (!result.ok()) return AboutField("name", result.status());
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleListLabResults(const server::Call& call, const v1::ListLabResultsRequest& request,
                                                  v1::ListLabResultsResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  store::LabResultFilter filter;
  filter.show_superseded = request.show_superseded();
  for (int analyte : request.analytes()) {
    if (analyte == v1::ANALYTE_UNSPECIFIED || !v1::Analyte_IsValid(analyte)) {
      bad.Add("analytes", "unknown value");
    } else {
      filter.analytes.insert(analyte);
    }
  }
  if (request.collection_interval().has_start_time()) {
    filter.start = domain::ToTime(request.collection_interval().start_time());
    if (!filter.start) bad.Add("collection_interval.start_time", "not a valid timestamp");
  }
  if (request.collection_interval().has_end_time()) {
    filter.end = domain::ToTime(request.collection_interval().end_time());
    if (!filter.end) bad.Add("collection_interval.end_time", "not a valid timestamp");
  }
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "ListLabResults", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kReadClinical, v1::ACCESS_ACTION_READ,
                       absl::StrCat(request.parent(), "/labResults"), request.parent());
    if (!record.ok()) return record.status();
    std::vector<v1::LabResult> results;
    if (absl::Status s = store::ListLabResults(tx, *id, filter, page, &results); !s.ok()) return s;
    if (static_cast<int>(results.size()) == page.limit) {
      results.pop_back();
      const v1::LabResult& last = results.back();
      response->set_next_page_token(api::EncodePageToken(
          filters, {absl::StrCat(absl::ToUnixMicros(api::FromTimestamp(last.collection_time()))),
                    last.name().substr(last.name().rfind('/') + 1)}));
    }
    for (v1::LabResult& r : results) *response->add_lab_results() = std::move(r);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleAssessEligibility(const server::Call& call,
                                                     const v1::AssessEligibilityRequest& request,
                                                     v1::EligibilityAssessment* response) {
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  std::optional<std::string> product;
  if (!request.product().empty()) product = api::ParseId("products/{product}", request.product(), "product", bad);
  if (!bad.empty()) return bad.ToStatus();
  const std::string assessment_id = api::NewId();
  const std::string assessment_name = absl::StrCat(request.parent(), "/eligibilityAssessments/", assessment_id);
  return AuditedOnce(
      call, "AssessEligibility", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> record =
            LoadAuthorized(tx, audit, *id, PatientAction::kAssessEligibility, v1::ACCESS_ACTION_CREATE,
                           assessment_name, request.parent());
        if (!record.ok()) return record.status();
        if (absl::Status s = CheckActive(*record); !s.ok()) return s;
        domain::EligibilityInput input;
        input.patient = record->patient.name();
        absl::StatusOr<v1::ClinicalProfile> profile = store::GetClinicalProfile(tx, *id);
        if (!profile.ok()) return profile.status();
        input.profile = *std::move(profile);
        input.birth_date = domain::ToCivilDay(record->patient.birth_date());
        if (product.has_value()) input.product_substances = SubstancesOf(*product);
        store::LabResultFilter all;
        all.show_superseded = true;
        store::PageRequest everything;
        everything.limit = 100000;
        std::vector<v1::LabResult> results;
        if (absl::Status s = store::ListLabResults(tx, *id, all, everything, &results); !s.ok()) return s;
        for (const v1::LabResult& r : results) input.lab_results.push_back(domain::ToLabEvidence(r));
        const domain::EligibilityDecision decision = domain::AssessEligibility(
            input, domain::kDefaultResultWindow, now, absl::ToCivilDay(now, absl::UTCTimeZone()));
        v1::EligibilityAssessment assessment;
        assessment.set_product(request.product());
        domain::ToProto(decision, assessment);
        assessment.set_clinic(domain::PrincipalClinicName(call.principal()));
        assessment.set_assessed_by(call.principal().subject);
        absl::StatusOr<v1::EligibilityAssessment> stored =
            store::InsertAssessment(tx, *id, assessment_id, std::move(assessment), now);
        if (!stored.ok()) return stored.status();
        *response = *std::move(stored);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleOverrideEligibility(const server::Call& call,
                                                       const v1::OverrideEligibilityRequest& request,
                                                       v1::EligibilityAssessment* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> ids = api::ParseName(
      "patients/{patient}/eligibilityAssessments/{eligibility_assessment}", request.name(), "name", bad);
  if (request.etag().empty()) bad.Add("etag", "required: the etag read last");
  if (request.reason().empty()) bad.Add("reason", "required: 10 to 2000 characters");
  if (!bad.empty()) return bad.ToStatus();
  return AuditedOnce(
      call, "OverrideEligibility", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> record =
            LoadAuthorized(tx, audit, (*ids)[0], PatientAction::kWriteClinical, v1::ACCESS_ACTION_OVERRIDE,
                           request.name(), request.name());
        if (!record.ok()) return record.status();
        if (absl::Status s = CheckActive(*record); !s.ok()) return s;
        absl::StatusOr<v1::EligibilityAssessment> current = store::GetAssessment(tx, (*ids)[0], (*ids)[1]);
        if (!current.ok()) return AboutField("name", current.status());
        if (absl::Status s = domain::CheckOverride(*current, request.reason()); !s.ok()) return s;
        if (current->etag() != request.etag()) {
          return absl::AbortedError("the assessment changed since it was read (stale etag); read it again");
        }
        domain::ApplyOverride(*current, call.principal().subject, request.reason(), clock_.Now());
        absl::StatusOr<v1::EligibilityAssessment> updated =
            store::UpdateAssessment(tx, (*ids)[0], (*ids)[1], *current, VersionOfEtag(request.etag()));
        if (!updated.ok()) return updated.status();
        *response = *std::move(updated);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleGetEligibilityAssessment(const server::Call& call,
                                                            const v1::GetEligibilityAssessmentRequest& request,
                                                            v1::EligibilityAssessment* response) {
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> ids = api::ParseName(
      "patients/{patient}/eligibilityAssessments/{eligibility_assessment}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "GetEligibilityAssessment", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, (*ids)[0], PatientAction::kReadEligibility, v1::ACCESS_ACTION_READ,
                       request.name(), request.name());
    if (!record.ok()) return record.status();
    absl::StatusOr<v1::EligibilityAssessment> a = store::GetAssessment(tx, (*ids)[0], (*ids)[1]);
    if (!a.ok()) return AboutField("name", a.status());
    *response = *std::move(a);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleListEligibilityAssessments(
    const server::Call& call, const v1::ListEligibilityAssessmentsRequest& request,
    v1::ListEligibilityAssessmentsResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "ListEligibilityAssessments", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kReadClinical, v1::ACCESS_ACTION_READ,
                       absl::StrCat(request.parent(), "/eligibilityAssessments"), request.parent());
    if (!record.ok()) return record.status();
    std::vector<v1::EligibilityAssessment> list;
    if (absl::Status s = store::ListAssessments(tx, *id, page, &list); !s.ok()) return s;
    if (static_cast<int>(list.size()) == page.limit) {
      list.pop_back();
      const v1::EligibilityAssessment& last = list.back();
      response->set_next_page_token(api::EncodePageToken(
          filters, {absl::StrCat(absl::ToUnixMicros(api::FromTimestamp(last.create_time()))),
                    last.name().substr(last.name().rfind('/') + 1)}));
    }
    for (v1::EligibilityAssessment& a : list) *response->add_eligibility_assessments() = std::move(a);
    return absl::OkStatus();
  });
}

}  // namespace clinic::patient
