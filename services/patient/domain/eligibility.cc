#include "services/patient/domain/eligibility.h"

#include <algorithm>
#include <initializer_list>
#include <tuple>
#include <utility>

#include "common/status/status.h"
#include "services/patient/domain/calendar.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/proto_time.h"
#include "services/patient/domain/text.h"

namespace clinic::patient::domain {
namespace {

// Lower is more severe: what a tie between equal collection times resolves to.
int ReadingRank(v1::Interpretation interpretation) {
  switch (interpretation) {
    case v1::INTERPRETATION_DEFICIENT:
      return 0;
    case v1::INTERPRETATION_INDETERMINATE:
      return 1;
    case v1::INTERPRETATION_NORMAL:
      return 3;
    case v1::INTERPRETATION_HIGH:
      return 4;
    default:
      return 2;  // NOT_INTERPRETED, and anything unknown: a clinician must read it
  }
}

// Lower is stronger: the order reasons are listed in.
int EffectRank(v1::ReasonEffect effect) {
  switch (effect) {
    case v1::REASON_EFFECT_BLOCKING:
      return 0;
    case v1::REASON_EFFECT_REVIEW:
      return 1;
    case v1::REASON_EFFECT_SUPPORTING:
      return 2;
    default:
      return 3;
  }
}

bool IsNormalOrHigh(v1::Interpretation i) {
  return i == v1::INTERPRETATION_NORMAL || i == v1::INTERPRETATION_HIGH;
}

// The latest countable result among `analytes`, or nullptr.
const LabEvidence* Latest(const std::vector<LabEvidence>& results,
                          std::initializer_list<v1::Analyte> analytes, absl::Duration window,
                          absl::Time now) {
  const LabEvidence* best = nullptr;
  for (const LabEvidence& r : results) {
    if (r.superseded || std::find(analytes.begin(), analytes.end(), r.analyte) == analytes.end()) {
      continue;
    }
    if (r.collection_time > now || now - r.collection_time > window) continue;
    const auto key = [](const LabEvidence& e) {
      return std::make_tuple(e.collection_time, -ReadingRank(e.interpretation), e.name);
    };
    if (best == nullptr || key(r) > key(*best)) best = &r;
  }
  return best;
}

class Reasons {
 public:
  // Adds a reason; of two with one code, the stronger effect stays.
  void Add(v1::EligibilityReasonCode code, v1::ReasonEffect effect, std::string subject) {
    for (EligibilityReason& r : reasons_) {
      if (r.code != code) continue;
      if (EffectRank(effect) < EffectRank(r.effect)) r = {code, effect, std::move(subject)};
      return;
    }
    reasons_.push_back({code, effect, std::move(subject)});
  }
  bool Has(v1::ReasonEffect effect) const {
    return std::any_of(reasons_.begin(), reasons_.end(),
                       [&](const EligibilityReason& r) { return r.effect == effect; });
  }
  std::vector<EligibilityReason> Sorted() && {
    std::sort(reasons_.begin(), reasons_.end(),
              [](const EligibilityReason& a, const EligibilityReason& b) {
                return std::make_pair(EffectRank(a.effect), static_cast<int>(a.code)) <
                       std::make_pair(EffectRank(b.effect), static_cast<int>(b.code));
              });
    return std::move(reasons_);
  }

 private:
  std::vector<EligibilityReason> reasons_;
};

bool IsCobalaminForm(v1::Substance s) {
  return s == v1::SUBSTANCE_HYDROXOCOBALAMIN || s == v1::SUBSTANCE_CYANOCOBALAMIN ||
         s == v1::SUBSTANCE_METHYLCOBALAMIN;
}

// The effect of a hypersensitivity to `substance` on an assessment for a product of
// `product` substances (empty: every B12 product); nullopt when it does not apply.
std::optional<v1::ReasonEffect> HypersensitivityEffect(v1::Substance substance,
                                                       const std::vector<v1::Substance>& product) {
  const bool every_b12_product = product.empty();
  const bool contains = std::find(product.begin(), product.end(), substance) != product.end();
  const bool product_is_b12 =
      every_b12_product || std::any_of(product.begin(), product.end(), [](v1::Substance s) {
        return s == v1::SUBSTANCE_COBALAMIN || IsCobalaminForm(s);
      });
  if (contains) return v1::REASON_EFFECT_BLOCKING;
  switch (substance) {
    case v1::SUBSTANCE_UNSPECIFIED:  // unnamed: assume the worst
    case v1::SUBSTANCE_COBALAMIN:
    case v1::SUBSTANCE_COBALT:
      if (product_is_b12) return v1::REASON_EFFECT_BLOCKING;
      return std::nullopt;
    case v1::SUBSTANCE_HYDROXOCOBALAMIN:
    case v1::SUBSTANCE_CYANOCOBALAMIN:
    case v1::SUBSTANCE_METHYLCOBALAMIN:
      if (every_b12_product) return v1::REASON_EFFECT_BLOCKING;
      if (product_is_b12) return v1::REASON_EFFECT_REVIEW;  // cross-sensitivity
      return std::nullopt;
    case v1::SUBSTANCE_OTHER:
      return v1::REASON_EFFECT_REVIEW;
    default:  // biotin, folic acid: only when the product contains them (above)
      return std::nullopt;
  }
}

bool IsMalabsorption(v1::ConditionCode code) {
  switch (code) {
    case v1::CONDITION_CODE_PERNICIOUS_ANAEMIA:
    case v1::CONDITION_CODE_CROHNS_DISEASE:
    case v1::CONDITION_CODE_COELIAC_DISEASE:
    case v1::CONDITION_CODE_IRRITABLE_BOWEL_SYNDROME:
    case v1::CONDITION_CODE_GASTRIC_SURGERY:
      return true;
    default:
      return false;
  }
}

}  // namespace

LabEvidence ToLabEvidence(const v1::LabResult& result) {
  LabEvidence evidence;
  evidence.name = result.name();
  evidence.analyte = result.analyte();
  evidence.interpretation = result.interpretation();
  evidence.collection_time = ToTime(result.collection_time()).value_or(absl::InfinitePast());
  evidence.superseded = result.superseded();
  return evidence;
}

EligibilityDecision AssessEligibility(const EligibilityInput& input, absl::Duration result_window,
                                      absl::Time now, absl::CivilDay today) {
  const v1::ClinicalProfile& profile = input.profile;
  const std::string& profile_name = profile.name();
  Reasons reasons;
  EligibilityDecision decision;
  decision.result_window = result_window;

  // B12 evidence.
  const LabEvidence* total = Latest(input.lab_results, {v1::ANALYTE_TOTAL_B12}, result_window, now);
  const LabEvidence* active =
      Latest(input.lab_results, {v1::ANALYTE_ACTIVE_B12}, result_window, now);
  const auto latest_reading = [&](auto predicate) -> const LabEvidence* {
    const LabEvidence* found = nullptr;
    for (const LabEvidence* e : {total, active}) {
      if (e == nullptr || !predicate(e->interpretation)) continue;
      if (found == nullptr || e->collection_time > found->collection_time) found = e;
    }
    return found;
  };
  const LabEvidence* deficient =
      latest_reading([](v1::Interpretation i) { return i == v1::INTERPRETATION_DEFICIENT; });
  const LabEvidence* indeterminate =
      latest_reading([](v1::Interpretation i) { return i == v1::INTERPRETATION_INDETERMINATE; });
  const LabEvidence* uninterpreted =
      latest_reading([](v1::Interpretation i) { return ReadingRank(i) == 2; });
  const LabEvidence* not_deficient = latest_reading(IsNormalOrHigh);
  const bool on_replacement = profile.on_b12_replacement();
  const LabEvidence* qualifying = nullptr;
  if (deficient != nullptr) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_QUALIFYING_RESULT, v1::REASON_EFFECT_SUPPORTING,
                deficient->name);
    qualifying = deficient;
  } else if (indeterminate != nullptr) {
    if (!on_replacement) {
      reasons.Add(v1::ELIGIBILITY_REASON_CODE_INDETERMINATE_RESULT, v1::REASON_EFFECT_REVIEW,
                  indeterminate->name);
    }
    qualifying = indeterminate;
  } else if (uninterpreted != nullptr) {
    if (!on_replacement) {
      reasons.Add(v1::ELIGIBILITY_REASON_CODE_RESULT_NOT_INTERPRETED, v1::REASON_EFFECT_REVIEW,
                  uninterpreted->name);
    }
  } else if (not_deficient != nullptr) {
    if (!on_replacement) {
      reasons.Add(v1::ELIGIBILITY_REASON_CODE_RESULT_NOT_DEFICIENT, v1::REASON_EFFECT_BLOCKING,
                  not_deficient->name);
    }
  } else if (!on_replacement) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_NO_RECENT_RESULT, v1::REASON_EFFECT_BLOCKING, "");
  }
  if (on_replacement) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_ALREADY_ON_REPLACEMENT, v1::REASON_EFFECT_SUPPORTING,
                profile_name);
  }

  // Contraindications and conditions.
  bool megaloblastic_anaemia_of_pregnancy = false;
  bool potassium = false;
  for (const v1::Contraindication& c : profile.contraindications()) {
    switch (c.code()) {
      case v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY:
        if (std::optional<v1::ReasonEffect> effect =
                HypersensitivityEffect(c.substance(), input.product_substances)) {
          reasons.Add(v1::ELIGIBILITY_REASON_CODE_HYPERSENSITIVITY, *effect, profile_name);
        }
        break;
      case v1::CONTRAINDICATION_CODE_MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY:
        megaloblastic_anaemia_of_pregnancy = true;
        break;
      case v1::CONTRAINDICATION_CODE_POTASSIUM_MONITORING:
        potassium = true;
        break;
      case v1::CONTRAINDICATION_CODE_OTHER:
        reasons.Add(v1::ELIGIBILITY_REASON_CODE_OTHER_CONTRAINDICATION, v1::REASON_EFFECT_REVIEW,
                    profile_name);
        break;
      default:
        break;
    }
  }
  bool malabsorption = false;
  bool neurological = false;
  for (const v1::Condition& condition : profile.conditions()) {
    malabsorption |= IsMalabsorption(condition.code());
    neurological |= condition.code() == v1::CONDITION_CODE_NEUROLOGICAL_INVOLVEMENT;
    potassium |= condition.code() == v1::CONDITION_CODE_HYPOKALAEMIA_RISK;
    megaloblastic_anaemia_of_pregnancy |=
        condition.code() == v1::CONDITION_CODE_MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY;
  }
  if (megaloblastic_anaemia_of_pregnancy && deficient == nullptr) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY,
                v1::REASON_EFFECT_REVIEW, profile_name);
  }
  if (potassium) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_POTASSIUM_MONITORING, v1::REASON_EFFECT_NOTE,
                profile_name);
  }
  if (neurological) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_NEUROLOGICAL_INVOLVEMENT, v1::REASON_EFFECT_NOTE,
                profile_name);
  }

  // Folate.
  const LabEvidence* folate =
      Latest(input.lab_results, {v1::ANALYTE_SERUM_FOLATE, v1::ANALYTE_RED_CELL_FOLATE},
             result_window, now);
  if (folate == nullptr || !IsNormalOrHigh(folate->interpretation)) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_FOLATE_CHECK, v1::REASON_EFFECT_NOTE,
                folate != nullptr ? folate->name : "");
  }

  // Risk factors.
  if (profile.diet() == v1::DIET_VEGAN || profile.diet() == v1::DIET_VEGETARIAN) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_RISK_PLANT_BASED_DIET, v1::REASON_EFFECT_SUPPORTING,
                profile_name);
  }
  if (malabsorption) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_RISK_MALABSORPTION, v1::REASON_EFFECT_SUPPORTING,
                profile_name);
  }
  if (input.birth_date && AgeInYears(*input.birth_date, today) >= kRiskAgeYears) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_RISK_AGE_OVER_50, v1::REASON_EFFECT_SUPPORTING,
                input.patient);
  }
  if (profile.symptoms_size() > 0) {
    reasons.Add(v1::ELIGIBILITY_REASON_CODE_RISK_SYMPTOMS, v1::REASON_EFFECT_SUPPORTING,
                profile_name);
  }

  if (reasons.Has(v1::REASON_EFFECT_BLOCKING)) {
    decision.outcome = v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE;
  } else if (reasons.Has(v1::REASON_EFFECT_REVIEW)) {
    decision.outcome = v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW;
  } else {
    decision.outcome = v1::ELIGIBILITY_OUTCOME_ELIGIBLE;
  }
  decision.reasons = std::move(reasons).Sorted();
  if (qualifying != nullptr) {
    decision.qualifying_lab_result = qualifying->name;
    decision.expire_time = qualifying->collection_time + result_window;
  } else if (on_replacement) {
    decision.expire_time = now + result_window;
  }
  return decision;
}

void ToProto(const EligibilityDecision& decision, v1::EligibilityAssessment& assessment) {
  assessment.set_outcome(decision.outcome);
  assessment.clear_reasons();
  for (const EligibilityReason& r : decision.reasons) {
    v1::EligibilityReason* reason = assessment.add_reasons();
    reason->set_code(r.code);
    reason->set_effect(r.effect);
    reason->set_subject(r.subject);
  }
  *assessment.mutable_result_window() = ToProtoDuration(decision.result_window);
  assessment.set_qualifying_lab_result(decision.qualifying_lab_result);
  if (decision.expire_time) {
    *assessment.mutable_expire_time() = ToProtoTimestamp(*decision.expire_time);
  } else {
    assessment.clear_expire_time();
  }
  assessment.set_effective_outcome(assessment.has_override() ? v1::ELIGIBILITY_OUTCOME_ELIGIBLE
                                                             : decision.outcome);
}

absl::Status CheckOverride(const v1::EligibilityAssessment& assessment, std::string_view reason) {
  status::FieldViolations violations;
  const std::string_view trimmed = TrimSpace(reason);
  if (IsValidUtf8(trimmed) && CodePointCount(trimmed) < kMinOverrideReasonLength) {
    violations.Add("reason", "must be 10 to 2000 characters");
  } else {
    CheckRequiredText(reason, kMaxOverrideReasonLength, TextKind::kMultiLine, "reason", violations);
  }
  if (!violations.empty()) return violations.ToStatus();
  if (assessment.has_override()) {
    return absl::FailedPreconditionError("the assessment is already overridden");
  }
  if (assessment.outcome() == v1::ELIGIBILITY_OUTCOME_ELIGIBLE) {
    return absl::FailedPreconditionError("the assessment is already eligible");
  }
  return absl::OkStatus();
}

void ApplyOverride(v1::EligibilityAssessment& assessment, std::string clinician,
                   std::string_view reason, absl::Time now) {
  v1::EligibilityOverride& override_record = *assessment.mutable_override();
  override_record.set_clinician(std::move(clinician));
  override_record.set_reason(std::string(TrimSpace(reason)));
  *override_record.mutable_override_time() = ToProtoTimestamp(now);
  assessment.set_effective_outcome(v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  const absl::Duration window =
      ToDuration(assessment.result_window()).value_or(kDefaultResultWindow);
  *assessment.mutable_expire_time() = ToProtoTimestamp(now + window);
}

absl::Status CheckAssessmentAllowsPlan(const v1::EligibilityAssessment& assessment,
                                       std::string_view patient, absl::Time now) {
  const std::string prefix = std::string(patient) + "/eligibilityAssessments/";
  if (assessment.name().rfind(prefix, 0) != 0) {
    return status::FailedPrecondition("ELIGIBILITY", assessment.name(),
                                      "the eligibility assessment is of another patient");
  }
  if (assessment.effective_outcome() != v1::ELIGIBILITY_OUTCOME_ELIGIBLE) {
    return status::FailedPrecondition("ELIGIBILITY", assessment.name(),
                                      "the eligibility assessment is not eligible or overridden");
  }
  const std::optional<absl::Time> expiry =
      assessment.has_expire_time() ? ToTime(assessment.expire_time()) : std::nullopt;
  if (!expiry || now > *expiry) {
    return status::FailedPrecondition("ELIGIBILITY", assessment.name(),
                                      "the eligibility assessment has expired");
  }
  return absl::OkStatus();
}

}  // namespace clinic::patient::domain
