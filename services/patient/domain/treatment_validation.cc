#include "services/patient/domain/treatment_validation.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "services/patient/domain/decimal.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/proto_time.h"

namespace clinic::patient::domain {
namespace {

constexpr int kMaxTimesPerPeriod = 7;
constexpr int kMaxPeriodLength = 366;
constexpr int kMaxDoseCount = 100;

constexpr std::string_view kRegimenUpdatablePaths[] = {"display_name", "description", "dose",
                                                       "route",        "phases",      "state"};
constexpr std::string_view kPlanUpdatablePaths[] = {"product", "dose",         "route", "phases",
                                                    "add_ons", "retest_after", "state", "notes"};

std::string Element(std::string_view field, int i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

bool IsKnownUnit(v1::PeriodUnit unit) {
  return unit != v1::PERIOD_UNIT_UNSPECIFIED && v1::PeriodUnit_IsValid(unit);
}

void CheckRoute(v1::Route route, std::string field, status::FieldViolations& violations) {
  if (route == v1::ROUTE_UNSPECIFIED || !v1::Route_IsValid(route)) {
    violations.Add(std::move(field), "must be set to a known route");
  }
}

void CheckFrequency(const v1::Frequency& frequency, std::string_view field,
                    status::FieldViolations& violations) {
  if (frequency.times() < 1 || frequency.times() > kMaxTimesPerPeriod) {
    violations.Add(FieldPath(field, "times"), "must be from 1 to 7");
  } else if (frequency.unit() == v1::PERIOD_UNIT_DAY && frequency.every() >= 1 &&
             frequency.times() > frequency.every()) {
    violations.Add(FieldPath(field, "times"), "must not give more than one dose a day");
  }
  if (frequency.every() < 1 || frequency.every() > kMaxPeriodLength) {
    violations.Add(FieldPath(field, "every"), "must be from 1 to 366");
  }
  if (frequency.every_max() != 0 &&
      (frequency.every_max() < frequency.every() || frequency.every_max() > kMaxPeriodLength)) {
    violations.Add(FieldPath(field, "every_max"), "must be 0 or from every to 366");
  }
  if (!IsKnownUnit(frequency.unit())) {
    violations.Add(FieldPath(field, "unit"), "must be set to a known unit");
  }
}

void CheckEnd(const v1::PhaseEnd& end, std::string_view field,
              status::FieldViolations& violations) {
  switch (end.rule()) {
    case v1::PHASE_END_RULE_DOSE_COUNT:
      if (end.dose_count() < 1 || end.dose_count() > kMaxDoseCount) {
        violations.Add(FieldPath(field, "dose_count"), "must be from 1 to 100");
      }
      break;
    case v1::PHASE_END_RULE_LENGTH:
      if (end.length() < 1 || end.length() > kMaxPeriodLength) {
        violations.Add(FieldPath(field, "length"), "must be from 1 to 366");
      }
      if (!IsKnownUnit(end.length_unit())) {
        violations.Add(FieldPath(field, "length_unit"), "must be set to a known unit");
      }
      break;
    case v1::PHASE_END_RULE_CLINICIAN_REVIEW:
    case v1::PHASE_END_RULE_INDEFINITE:
      break;
    default:
      violations.Add(FieldPath(field, "rule"), "must be set to a known rule");
  }
}

void CheckAddOns(const v1::TreatmentPlan& plan, std::string_view prefix,
                 status::FieldViolations& violations) {
  const std::string field = FieldPath(prefix, "add_ons");
  if (plan.add_ons_size() > kMaxAddOns) violations.Add(field, "must hold at most 5 add-ons");
  for (int i = 0; i < plan.add_ons_size(); ++i) {
    const v1::AddOn& add_on = plan.add_ons(i);
    const std::string path = Element(field, i);
    if (add_on.product().empty()) violations.Add(FieldPath(path, "product"), "is required");
    CheckDose(add_on.has_dose(), add_on.dose(), FieldPath(path, "dose"), violations);
    CheckRoute(add_on.route(), FieldPath(path, "route"), violations);
  }
}

void CheckRetestAfter(const v1::TreatmentPlan& plan, std::string_view prefix,
                      status::FieldViolations& violations) {
  if (!plan.has_retest_after()) return;
  const std::optional<absl::Duration> d = ToDuration(plan.retest_after());
  if (!d || *d <= absl::ZeroDuration()) {
    violations.Add(FieldPath(prefix, "retest_after"), "must be a positive duration");
  }
}

// The plan fields that both creation and update check.
void CheckPlanField(std::string_view name, const v1::TreatmentPlan& plan, std::string_view prefix,
                    status::FieldViolations& violations) {
  if (name == "product") {
    if (plan.product().empty()) violations.Add(FieldPath(prefix, "product"), "is required");
  } else if (name == "dose") {
    CheckDose(plan.has_dose(), plan.dose(), FieldPath(prefix, "dose"), violations);
  } else if (name == "route") {
    CheckRoute(plan.route(), FieldPath(prefix, "route"), violations);
  } else if (name == "phases") {
    ValidatePhases(plan.phases(), FieldPath(prefix, "phases"), violations);
  } else if (name == "add_ons") {
    CheckAddOns(plan, prefix, violations);
  } else if (name == "retest_after") {
    CheckRetestAfter(plan, prefix, violations);
  } else if (name == "notes") {
    CheckOptionalText(plan.notes(), kMaxPlanNotesLength, TextKind::kMultiLine,
                      FieldPath(prefix, "notes"), violations);
  } else if (name == "state") {
    if (plan.state() == v1::TreatmentPlan::STATE_UNSPECIFIED ||
        !v1::TreatmentPlan::State_IsValid(plan.state())) {
      violations.Add(FieldPath(prefix, "state"), "must be set to a known state");
    }
  }
}

void CheckRegimenField(std::string_view name, const v1::Regimen& regimen, std::string_view prefix,
                       status::FieldViolations& violations) {
  if (name == "display_name") {
    CheckRequiredText(regimen.display_name(), kMaxRegimenDisplayNameLength, TextKind::kSingleLine,
                      FieldPath(prefix, "display_name"), violations);
  } else if (name == "description") {
    CheckOptionalText(regimen.description(), kMaxRegimenDescriptionLength, TextKind::kMultiLine,
                      FieldPath(prefix, "description"), violations);
  } else if (name == "dose") {
    CheckDose(regimen.has_dose(), regimen.dose(), FieldPath(prefix, "dose"), violations);
  } else if (name == "route") {
    CheckRoute(regimen.route(), FieldPath(prefix, "route"), violations);
  } else if (name == "phases") {
    ValidatePhases(regimen.phases(), FieldPath(prefix, "phases"), violations);
  }
}

}  // namespace

void CheckDose(bool present, const type::v1::Quantity& dose, std::string_view field,
               status::FieldViolations& violations) {
  if (!present) {
    violations.Add(std::string(field), "is required");
    return;
  }
  const std::optional<Decimal> value = Decimal::Parse(dose.value().value());
  if (!value || !value->is_positive()) {
    violations.Add(FieldPath(field, "value"), "must be a positive decimal number");
  }
  if (dose.unit() == type::v1::QUANTITY_UNIT_UNSPECIFIED ||
      !type::v1::QuantityUnit_IsValid(dose.unit())) {
    violations.Add(FieldPath(field, "unit"), "must be set to a known unit");
  }
}

void ValidatePhase(const v1::Phase& phase, std::string_view field,
                   status::FieldViolations& violations) {
  if (phase.kind() == v1::PHASE_KIND_UNSPECIFIED || !v1::PhaseKind_IsValid(phase.kind())) {
    violations.Add(FieldPath(field, "kind"), "must be set to a known kind");
  }
  if (phase.has_dose()) CheckDose(true, phase.dose(), FieldPath(field, "dose"), violations);
  if (!phase.has_frequency()) {
    violations.Add(FieldPath(field, "frequency"), "is required");
  } else {
    CheckFrequency(phase.frequency(), FieldPath(field, "frequency"), violations);
  }
  if (!phase.has_end()) {
    violations.Add(FieldPath(field, "end"), "is required");
  } else {
    CheckEnd(phase.end(), FieldPath(field, "end"), violations);
  }
}

void ValidatePhases(const google::protobuf::RepeatedPtrField<v1::Phase>& phases,
                    std::string_view field, status::FieldViolations& violations) {
  if (phases.empty() || phases.size() > kMaxPhases) {
    violations.Add(std::string(field), "must hold 1 to 5 phases");
  }
  bool seen_maintenance = false;
  for (int i = 0; i < phases.size(); ++i) {
    const v1::Phase& phase = phases.Get(i);
    const std::string path = Element(field, i);
    ValidatePhase(phase, path, violations);
    if (phase.end().rule() == v1::PHASE_END_RULE_INDEFINITE && i + 1 < phases.size()) {
      violations.Add(FieldPath(path, "end.rule"),
                     "only the last phase may be INDEFINITE: a later phase would never start");
    }
    if (phase.kind() == v1::PHASE_KIND_LOADING && seen_maintenance) {
      violations.Add(FieldPath(path, "kind"),
                     "a loading phase must not follow a maintenance phase");
    }
    seen_maintenance |= phase.kind() == v1::PHASE_KIND_MAINTENANCE;
  }
}

void ValidateRegimen(const v1::Regimen& regimen, std::string_view prefix,
                     status::FieldViolations& violations) {
  for (std::string_view name : kRegimenUpdatablePaths) {
    CheckRegimenField(name, regimen, prefix, violations);
  }
  if (!v1::Regimen::State_IsValid(regimen.state())) {
    violations.Add(FieldPath(prefix, "state"), "must be a known state");
  }
}

void ValidateRegimenUpdate(const v1::Regimen& regimen, const google::protobuf::FieldMask& mask,
                           std::string_view prefix, status::FieldViolations& violations) {
  for (std::string_view name : UpdateMaskPaths(mask, kRegimenUpdatablePaths, violations)) {
    CheckRegimenField(name, regimen, prefix, violations);
    if (name == "state" && regimen.state() != v1::Regimen::STATE_ACTIVE &&
        regimen.state() != v1::Regimen::STATE_RETIRED) {
      violations.Add(FieldPath(prefix, "state"), "must be ACTIVE or RETIRED");
    }
  }
}

void ApplyRegimenDefaults(const v1::Regimen& regimen, v1::TreatmentPlan& plan) {
  if (!plan.has_dose() && regimen.has_dose()) *plan.mutable_dose() = regimen.dose();
  if (plan.route() == v1::ROUTE_UNSPECIFIED) plan.set_route(regimen.route());
  if (plan.phases_size() == 0) *plan.mutable_phases() = regimen.phases();
}

absl::Status CheckRegimenUsable(const v1::Regimen& regimen) {
  if (regimen.state() == v1::Regimen::STATE_RETIRED) {
    return status::FailedPrecondition("STATE", regimen.name(), "the regimen is retired");
  }
  return absl::OkStatus();
}

void ValidateNewTreatmentPlan(const v1::TreatmentPlan& plan, absl::CivilDay today,
                              std::string_view prefix, status::FieldViolations& violations) {
  if (plan.regimen().empty()) violations.Add(FieldPath(prefix, "regimen"), "is required");
  if (plan.eligibility_assessment().empty()) {
    violations.Add(FieldPath(prefix, "eligibility_assessment"), "is required");
  }
  for (std::string_view name : kPlanUpdatablePaths) {
    if (name != "state") CheckPlanField(name, plan, prefix, violations);
  }
  const std::string start = FieldPath(prefix, "start_date");
  if (!plan.has_start_date()) {
    violations.Add(start, "is required");
  } else if (std::optional<absl::CivilDay> day = ToCivilDay(plan.start_date()); !day) {
    violations.Add(start, "must be a real calendar date");
  } else if (*day < today) {
    violations.Add(start, "must not be in the past");
  }
}

void ValidateTreatmentPlanUpdate(const v1::TreatmentPlan& plan,
                                 const google::protobuf::FieldMask& mask, std::string_view prefix,
                                 status::FieldViolations& violations) {
  CheckRequiredText(plan.change_reason(), kMaxChangeReasonLength, TextKind::kMultiLine,
                    FieldPath(prefix, "change_reason"), violations);
  for (std::string_view name : UpdateMaskPaths(mask, kPlanUpdatablePaths, violations)) {
    CheckPlanField(name, plan, prefix, violations);
  }
}

absl::Status CheckPlanTransition(const v1::TreatmentPlan& current, v1::TreatmentPlan::State to) {
  const v1::TreatmentPlan::State from = current.state();
  if (from == v1::TreatmentPlan::STATE_COMPLETED || from == v1::TreatmentPlan::STATE_STOPPED) {
    return status::FailedPrecondition("PLAN", current.name(),
                                      "the treatment plan is completed or stopped");
  }
  if (to == v1::TreatmentPlan::STATE_UNSPECIFIED || !v1::TreatmentPlan::State_IsValid(to)) {
    return status::InvalidField("treatment_plan.state", "must be set to a known state");
  }
  return absl::OkStatus();
}

}  // namespace clinic::patient::domain
