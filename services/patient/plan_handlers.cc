// The treatment plan and administration RPCs. Plans and administrations are parts of the
// patient record: every call is authorised against the record and audited (AuditedRead,
// AuditedOnce).
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "google/protobuf/util/field_mask_util.h"
#include "services/patient/clinical_store.h"
#include "services/patient/domain/administration_validation.h"
#include "services/patient/domain/eligibility.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/text.h"
#include "services/patient/domain/treatment_validation.h"
#include "services/patient/handler_support.h"
#include "services/patient/patient_service.h"
#include "services/patient/treatment_store.h"

namespace clinic::patient {
namespace {

using domain::PatientAction;

constexpr std::string_view kPlanPattern = "patients/{patient}/treatmentPlans/{treatment_plan}";
constexpr std::string_view kAssessmentPattern = "patients/{patient}/eligibilityAssessments/{eligibility_assessment}";
constexpr std::string_view kAdministrationPattern = "patients/{patient}/administrations/{administration}";

std::string LastSegment(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// The syntax of the product names a plan sets (their existence is inventory's).
void CheckPlanProducts(const v1::TreatmentPlan& plan, bool product, bool add_ons, status::FieldViolations& bad) {
  if (product && !plan.product().empty()) {
    api::ParseId("products/{product}", plan.product(), "treatment_plan.product", bad);
  }
  if (!add_ons) return;
  for (int i = 0; i < plan.add_ons_size(); ++i) {
    if (plan.add_ons(i).product().empty()) continue;  // ValidateNewTreatmentPlan names it
    api::ParseId("products/{product}", plan.add_ons(i).product(),
                 absl::StrCat("treatment_plan.add_ons[", i, "].product"), bad);
  }
}

// A plan name, optionally "...@{revision_id}": the ids and the revision (0: latest).
struct PlanRef {
  std::string patient_id, plan_id;
  int64_t revision = 0;
};
std::optional<PlanRef> ParsePlanRef(std::string_view name, std::string_view field, status::FieldViolations& bad) {
  int64_t revision = 0;
  const size_t at = name.find('@');
  if (at != std::string_view::npos) {
    const std::string_view suffix = name.substr(at + 1);
    if (!absl::SimpleAtoi(absl::string_view(suffix.data(), suffix.size()), &revision) || revision < 1) {
      bad.Add(std::string(field), "the revision after '@' must be a revision id (1, 2, ...)");
      return std::nullopt;
    }
    name = name.substr(0, at);
  }
  std::optional<std::vector<std::string>> ids = api::ParseName(kPlanPattern, name, field, bad);
  if (!ids.has_value()) return std::nullopt;
  return PlanRef{(*ids)[0], (*ids)[1], revision};
}

// The plan as the update makes it: `current` with the masked fields of `input`, the
// change reason and the prescriber of this revision.
v1::TreatmentPlan Revised(const v1::TreatmentPlan& current, const v1::TreatmentPlan& input,
                          const std::set<std::string>& paths, const std::string& prescriber) {
  v1::TreatmentPlan next = current;
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(input, mask, options, &next);
  // A message field named in the mask but unset in the input clears it (retest_after).
  if (paths.count("retest_after") && !input.has_retest_after()) next.clear_retest_after();
  next.set_change_reason(std::string(domain::TrimSpace(input.change_reason())));
  next.set_prescriber(prescriber);
  return next;
}

}  // namespace

absl::Status PatientService::HandleCreateTreatmentPlan(const server::Call& call,
                                                       const v1::CreateTreatmentPlanRequest& request,
                                                       v1::TreatmentPlan* response) {
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> patient_id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  if (!request.has_treatment_plan()) bad.Add("treatment_plan", "required");
  const v1::TreatmentPlan& input = request.treatment_plan();
  std::optional<std::string> regimen_id;
  if (!input.regimen().empty()) {
    regimen_id = api::ParseId("regimens/{regimen}", input.regimen(), "treatment_plan.regimen", bad);
  }
  std::optional<std::vector<std::string>> assessment_ids;
  if (!input.eligibility_assessment().empty()) {
    assessment_ids =
        api::ParseName(kAssessmentPattern, input.eligibility_assessment(), "treatment_plan.eligibility_assessment", bad);
  }
  CheckPlanProducts(input, true, true, bad);
  domain::CheckOptionalText(input.change_reason(), domain::kMaxChangeReasonLength, domain::TextKind::kMultiLine,
                            "treatment_plan.change_reason", bad);
  // The regimen fills what the plan leaves unset (dose, route, phases): read it first, so
  // that one answer names every bad field of the plan as it would be. Regimens are not
  // patient records: reading one reveals nothing about the patient.
  bool regimen_missing = false;
  if (regimen_id.has_value()) {
    v1::TreatmentPlan filled = input;
    absl::Status read = db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
      absl::StatusOr<v1::Regimen> regimen = store::GetRegimen(tx, *regimen_id);
      if (!regimen.ok()) return regimen.status();
      domain::ApplyRegimenDefaults(*regimen, filled);
      return absl::OkStatus();
    });
    if (read.code() == absl::StatusCode::kNotFound) {
      regimen_missing = true;
    } else if (!read.ok()) {
      return read;
    } else {
      domain::ValidateNewTreatmentPlan(filled, EarliestToday(now), "treatment_plan", bad);
    }
  } else {
    domain::ValidateNewTreatmentPlan(input, EarliestToday(now), "treatment_plan", bad);
  }
  if (!bad.empty()) return bad.ToStatus();
  if (regimen_missing) return absl::NotFoundError("treatment_plan.regimen: no such regimen");

  const std::string plan_id = api::NewId();
  const std::string plan_name = absl::StrCat(request.parent(), "/treatmentPlans/", plan_id);
  return AuditedOnce(
      call, "CreateTreatmentPlan", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> record = LoadAuthorized(
            tx, audit, *patient_id, PatientAction::kWriteClinical, v1::ACCESS_ACTION_CREATE, plan_name, request.parent());
        if (!record.ok()) return record.status();
        if (absl::Status s = CheckActive(*record); !s.ok()) return s;
        absl::StatusOr<v1::Regimen> regimen = store::GetRegimen(tx, *regimen_id);
        if (!regimen.ok()) return AboutField("treatment_plan.regimen", regimen.status());
        if (absl::Status s = domain::CheckRegimenUsable(*regimen); !s.ok()) return s;
        v1::TreatmentPlan plan = input;
        domain::ApplyRegimenDefaults(*regimen, plan);
        // The regimen may have changed since it was read above.
        status::FieldViolations invalid;
        domain::ValidateNewTreatmentPlan(plan, EarliestToday(now), "treatment_plan", invalid);
        if (!invalid.empty()) return invalid.ToStatus();
        // The eligibility gate (DOMAIN.md, rule 1). Another patient's assessment is not read
        // at all: the name alone refuses it.
        if ((*assessment_ids)[0] != *patient_id) {
          v1::EligibilityAssessment foreign;
          foreign.set_name(input.eligibility_assessment());
          return domain::CheckAssessmentAllowsPlan(foreign, request.parent(), now);
        }
        absl::StatusOr<v1::EligibilityAssessment> assessment =
            store::GetAssessment(tx, *patient_id, (*assessment_ids)[1]);
        if (!assessment.ok()) return AboutField("treatment_plan.eligibility_assessment", assessment.status());
        if (absl::Status s = domain::CheckAssessmentAllowsPlan(*assessment, request.parent(), now); !s.ok()) return s;
        plan.clear_name();
        plan.clear_revision_id();
        plan.clear_revision_create_time();
        plan.clear_create_time();
        plan.clear_update_time();
        plan.clear_etag();
        plan.set_change_reason(std::string(domain::TrimSpace(plan.change_reason())));
        plan.set_state(v1::TreatmentPlan::STATE_ACTIVE);
        plan.set_clinic(domain::PrincipalClinicName(call.principal()));
        plan.set_prescriber(call.principal().subject);
        absl::StatusOr<v1::TreatmentPlan> stored = store::InsertTreatmentPlan(tx, *patient_id, plan_id, plan, now);
        if (!stored.ok()) return stored.status();
        *response = *std::move(stored);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleGetTreatmentPlan(const server::Call& call,
                                                    const v1::GetTreatmentPlanRequest& request,
                                                    v1::TreatmentPlan* response) {
  status::FieldViolations bad;
  std::optional<PlanRef> ref = ParsePlanRef(request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "GetTreatmentPlan", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, ref->patient_id, PatientAction::kReadTreatmentPlan, v1::ACCESS_ACTION_READ,
                       request.name(), request.name());
    if (!record.ok()) return record.status();
    absl::StatusOr<v1::TreatmentPlan> plan =
        store::GetTreatmentPlan(tx, ref->patient_id, ref->plan_id, ref->revision);
    if (!plan.ok()) return AboutField("name", plan.status());
    *response = *std::move(plan);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleListTreatmentPlans(const server::Call& call,
                                                      const v1::ListTreatmentPlansRequest& request,
                                                      v1::ListTreatmentPlansResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  std::set<int> states;
  for (int state : request.states()) {
    if (state == v1::TreatmentPlan::STATE_UNSPECIFIED || !v1::TreatmentPlan::State_IsValid(state)) {
      bad.Add("states", "unknown value");
    } else {
      states.insert(state);
    }
  }
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "ListTreatmentPlans", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kListTreatmentPlans, v1::ACCESS_ACTION_READ,
                       absl::StrCat(request.parent(), "/treatmentPlans"), request.parent());
    if (!record.ok()) return record.status();
    std::vector<v1::TreatmentPlan> plans;
    if (absl::Status s = store::ListTreatmentPlans(tx, *id, states, page, &plans); !s.ok()) return s;
    if (static_cast<int>(plans.size()) == page.limit) {
      plans.pop_back();
      const v1::TreatmentPlan& last = plans.back();
      response->set_next_page_token(api::EncodePageToken(
          filters, {absl::StrCat(absl::ToUnixMicros(api::FromTimestamp(last.create_time()))), LastSegment(last.name())}));
    }
    for (v1::TreatmentPlan& p : plans) *response->add_treatment_plans() = std::move(p);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleUpdateTreatmentPlan(const server::Call& call,
                                                       const v1::UpdateTreatmentPlanRequest& request,
                                                       v1::TreatmentPlan* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  const v1::TreatmentPlan& input = request.treatment_plan();
  std::optional<std::vector<std::string>> ids = api::ParseName(kPlanPattern, input.name(), "treatment_plan.name", bad);
  if (input.etag().empty()) bad.Add("treatment_plan.etag", "required: the etag read last");
  domain::ValidateTreatmentPlanUpdate(input, request.update_mask(), "treatment_plan", bad);
  const std::set<std::string> paths(request.update_mask().paths().begin(), request.update_mask().paths().end());
  CheckPlanProducts(input, paths.count("product") > 0, paths.count("add_ons") > 0, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedOnce(
      call, "UpdateTreatmentPlan", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> record =
            LoadAuthorized(tx, audit, (*ids)[0], PatientAction::kWriteClinical, v1::ACCESS_ACTION_UPDATE,
                           input.name(), input.name());
        if (!record.ok()) return record.status();
        absl::StatusOr<v1::TreatmentPlan> current = store::GetTreatmentPlan(tx, (*ids)[0], (*ids)[1]);
        if (!current.ok()) return AboutField("treatment_plan.name", current.status());
        if (current->etag() != input.etag()) {
          return absl::AbortedError("the treatment plan changed since it was read (stale etag); read it again");
        }
        const v1::TreatmentPlan::State to = paths.count("state") ? input.state() : current->state();
        if (absl::Status s = domain::CheckPlanTransition(*current, to); !s.ok()) return s;
        absl::StatusOr<v1::TreatmentPlan> updated = store::AppendTreatmentPlanRevision(
            tx, (*ids)[0], (*ids)[1], Revised(*current, input, paths, call.principal().subject),
            VersionOfEtag(input.etag()), clock_.Now());
        if (!updated.ok()) return updated.status();
        *response = *std::move(updated);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleListTreatmentPlanRevisions(const server::Call& call,
                                                              const v1::ListTreatmentPlanRevisionsRequest& request,
                                                              v1::ListTreatmentPlanRevisionsResponse* response) {
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> ids = api::ParseName(kPlanPattern, request.name(), "name", bad);
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "ListTreatmentPlanRevisions", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, (*ids)[0], PatientAction::kReadClinical, v1::ACCESS_ACTION_READ, request.name(),
                       request.name());
    if (!record.ok()) return record.status();
    std::vector<v1::TreatmentPlan> revisions;
    if (absl::Status s = store::ListTreatmentPlanRevisions(tx, (*ids)[0], (*ids)[1], page, &revisions); !s.ok()) {
      return AboutField("name", s);
    }
    if (static_cast<int>(revisions.size()) == page.limit) {
      revisions.pop_back();
      response->set_next_page_token(api::EncodePageToken(filters, {revisions.back().revision_id()}));
    }
    for (v1::TreatmentPlan& p : revisions) *response->add_treatment_plans() = std::move(p);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleRecordAdministration(const server::Call& call,
                                                        const v1::RecordAdministrationRequest& request,
                                                        v1::Administration* response) {
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> patient_id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  if (!request.has_administration()) bad.Add("administration", "required");
  const v1::Administration& input = request.administration();
  domain::ValidateAdministrationInput(input, now, "administration", bad);
  std::optional<std::vector<std::string>> plan_ids =
      api::ParseName(kPlanPattern, input.treatment_plan(), "administration.treatment_plan", bad);
  if (plan_ids.has_value() && patient_id.has_value() && (*plan_ids)[0] != *patient_id) {
    bad.Add("administration.treatment_plan", "must be a treatment plan of the parent patient");
  }
  if (!input.appointment().empty()) {
    api::ParseName("clinics/{clinic}/appointments/{appointment}", input.appointment(), "administration.appointment",
                   bad);
  }
  if (!input.reservation().empty()) {
    api::ParseName("clinics/{clinic}/reservations/{reservation}", input.reservation(), "administration.reservation",
                   bad);
  }
  std::optional<std::string> product;
  if (!input.product().empty()) product = api::ParseId("products/{product}", input.product(), "administration.product", bad);
  if (!input.lot().empty()) {
    std::optional<std::vector<std::string>> lot =
        api::ParseName("products/{product}/lots/{lot}", input.lot(), "administration.lot", bad);
    if (lot.has_value() && product.has_value() && (*lot)[0] != *product) {
      bad.Add("administration.lot", "must be a lot of the administration's product");
    }
  }
  if (!input.practitioner().empty()) {
    api::ParseId("practitioners/{practitioner}", input.practitioner(), "administration.practitioner", bad);
  }
  if (!input.clinic().empty()) api::ParseId("clinics/{clinic}", input.clinic(), "administration.clinic", bad);
  if (!bad.empty()) return bad.ToStatus();

  const std::string new_id = api::NewId();
  return AuditedOnce(
      call, "RecordAdministration", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        // A redelivery whose idempotency key is gone (purged) still records nothing more:
        // the administration remembers its request_id.
        absl::StatusOr<std::optional<store::StoredAdministration>> earlier =
            store::FindAdministrationByRequest(tx, request.request_id());
        if (!earlier.ok()) return earlier.status();
        const std::string name = earlier->has_value() ? (*earlier)->administration.name()
                                                      : absl::StrCat(request.parent(), "/administrations/", new_id);
        absl::StatusOr<store::PatientRecord> record =
            LoadAuthorized(tx, audit, *patient_id, PatientAction::kRecordAdministration, v1::ACCESS_ACTION_CREATE,
                           name, request.parent());
        if (!record.ok()) return record.status();
        if (earlier->has_value()) {
          if ((*earlier)->patient_id != *patient_id) {
            return status::InvalidField("request_id", "already used for another administration");
          }
          *response = (*earlier)->administration;
          return absl::OkStatus();
        }
        absl::StatusOr<v1::TreatmentPlan> plan = store::GetTreatmentPlan(tx, *patient_id, (*plan_ids)[1]);
        if (!plan.ok()) return AboutField("administration.treatment_plan", plan.status());
        v1::Administration administration = input;
        administration.clear_name();
        administration.clear_create_time();
        administration.set_lot_number(std::string(domain::TrimSpace(input.lot_number())));
        administration.set_treatment_plan_revision(plan->revision_id());
        administration.set_recorded_by(call.principal().subject);
        absl::StatusOr<v1::Administration> stored = store::InsertAdministration(
            tx, *patient_id, new_id, (*plan_ids)[1], request.request_id(), std::move(administration), now);
        if (!stored.ok()) return stored.status();
        *response = *std::move(stored);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleGetAdministration(const server::Call& call,
                                                     const v1::GetAdministrationRequest& request,
                                                     v1::Administration* response) {
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> ids = api::ParseName(kAdministrationPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "GetAdministration", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    absl::StatusOr<store::PatientRecord> record = LoadAuthorized(
        tx, audit, (*ids)[0], PatientAction::kReadClinical, v1::ACCESS_ACTION_READ, request.name(), request.name());
    if (!record.ok()) return record.status();
    absl::StatusOr<v1::Administration> administration = store::GetAdministration(tx, (*ids)[0], (*ids)[1]);
    if (!administration.ok()) return AboutField("name", administration.status());
    *response = *std::move(administration);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleListAdministrations(const server::Call& call,
                                                       const v1::ListAdministrationsRequest& request,
                                                       v1::ListAdministrationsResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.parent(), "parent", bad);
  std::string plan_id;
  if (!request.treatment_plan().empty()) {
    std::optional<std::vector<std::string>> plan_ids =
        api::ParseName(kPlanPattern, request.treatment_plan(), "treatment_plan", bad);
    if (plan_ids.has_value() && id.has_value() && (*plan_ids)[0] != *id) {
      bad.Add("treatment_plan", "must be a treatment plan of the parent patient");
    }
    if (plan_ids.has_value()) plan_id = (*plan_ids)[1];
  }
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "ListAdministrations", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kReadClinical, v1::ACCESS_ACTION_READ,
                       absl::StrCat(request.parent(), "/administrations"), request.parent());
    if (!record.ok()) return record.status();
    std::vector<v1::Administration> list;
    if (absl::Status s = store::ListAdministrations(tx, *id, plan_id, page, &list); !s.ok()) return s;
    if (static_cast<int>(list.size()) == page.limit) {
      list.pop_back();
      const v1::Administration& last = list.back();
      response->set_next_page_token(api::EncodePageToken(
          filters,
          {absl::StrCat(absl::ToUnixMicros(api::FromTimestamp(last.administer_time()))), LastSegment(last.name())}));
    }
    for (v1::Administration& a : list) *response->add_administrations() = std::move(a);
    return absl::OkStatus();
  });
}

}  // namespace clinic::patient
