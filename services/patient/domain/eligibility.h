#pragma once

// Eligibility: may a patient start a course of B12 injections? Computed from the lab
// results, the clinical profile, the patient's age and the product, at a given instant
// (DOMAIN.md "The rules of care"; clinic.patient.v1 eligibility.proto).
//
// Rules, each producing at most one reason per code (the strongest effect wins):
// - B12 evidence: for total and for active B12 separately, the latest result that is not
//   superseded and was collected within the window (now - window <= collection_time <=
//   now, both ends included) counts; equal collection times go to the lower reading.
//   Then, over those (at most two):
//     any DEFICIENT        -> QUALIFYING_RESULT (supporting); it is the qualifying result
//                             (the latest deficient one);
//     else INDETERMINATE   -> INDETERMINATE_RESULT (review); it is the qualifying result
//                             (what a clinician's override rests on);
//     else NOT_INTERPRETED -> RESULT_NOT_INTERPRETED (review);
//     else NORMAL or HIGH  -> RESULT_NOT_DEFICIENT (blocking);
//     none                 -> NO_RECENT_RESULT (blocking).
//   A patient on B12 replacement (profile.on_b12_replacement) is not retested routinely:
//   ALREADY_ON_REPLACEMENT (supporting) replaces the review and blocking reasons above
//   (a deficient result is still reported as qualifying).
// - Hypersensitivity (a contraindication): to the product's substance, to cobalamin in
//   general, to cobalt, or (for an assessment of "every B12 product", i.e. no product
//   substances given) to any cobalamin form -> HYPERSENSITIVITY (blocking); to another
//   cobalamin form than the product's (cross-sensitivity) or to SUBSTANCE_OTHER (an
//   excipient) -> HYPERSENSITIVITY (review); to biotin or folic acid when the product does
//   not contain it -> nothing (add-ons are products of their own).
// - Megaloblastic anaemia of pregnancy (as a condition or a contraindication) ->
//   MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY (review), unless a qualifying DEFICIENT result
//   shows B12 deficiency.
// - Another contraindication (code OTHER) -> OTHER_CONTRAINDICATION (review).
// - Hypokalaemia risk (condition) or potassium monitoring (contraindication) ->
//   POTASSIUM_MONITORING (note).
// - Folate: the latest serum or red cell folate within the window, not superseded; none,
//   or one not reading NORMAL or HIGH -> FOLATE_CHECK (note).
// - Risk factors (supporting): vegan or vegetarian diet -> RISK_PLANT_BASED_DIET;
//   pernicious anaemia, Crohn's, coeliac disease, IBS or gastric surgery ->
//   RISK_MALABSORPTION; aged 50 or over in completed years on `today` ->
//   RISK_AGE_OVER_50; any symptom recorded -> RISK_SYMPTOMS.
// - Neurological involvement (condition) -> NEUROLOGICAL_INVOLVEMENT (note).
// Outcome: NOT_ELIGIBLE if any reason blocks, else NEEDS_REVIEW if any needs review, else
// ELIGIBLE. Reasons are ordered blocking, review, supporting, note, then by code.
// Expiry: the qualifying result's collection_time + window; with no qualifying result
// but on replacement, now + window; otherwise none.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/patient/v1/clinical_profile.pb.h"
#include "clinic/patient/v1/eligibility.pb.h"
#include "clinic/patient/v1/lab.pb.h"

namespace clinic::patient::domain {

// The default lab result window (network configuration may change it).
inline constexpr absl::Duration kDefaultResultWindow = absl::Hours(24 * 90);
// Aged this or more (completed years) is the age risk factor.
inline constexpr int kRiskAgeYears = 50;

// What the rules need of one lab result.
struct LabEvidence {
  std::string name;  // "patients/{patient}/labResults/{lab_result}", the reasons' subject
  v1::Analyte analyte = v1::ANALYTE_UNSPECIFIED;
  v1::Interpretation interpretation = v1::INTERPRETATION_UNSPECIFIED;
  absl::Time collection_time;
  bool superseded = false;
};

// The evidence of a stored result (an invalid collection_time reads as the infinite past,
// i.e. never within the window).
LabEvidence ToLabEvidence(const v1::LabResult& result);

// Everything an assessment is computed from, besides the window and the time.
struct EligibilityInput {
  // The patient, "patients/{patient}": the subject of the age reason.
  std::string patient;
  // The patient's results (any analytes, any age; the rules pick what counts).
  std::vector<LabEvidence> lab_results;
  // The clinical profile; its name is the subject of profile-based reasons.
  v1::ClinicalProfile profile;
  // The date of birth, if known.
  std::optional<absl::CivilDay> birth_date;
  // The substances of the product assessed for (e.g. {SUBSTANCE_HYDROXOCOBALAMIN});
  // empty means "every B12 product".
  std::vector<v1::Substance> product_substances;
};

// One reason of a decision (clinic.patient.v1.EligibilityReason).
struct EligibilityReason {
  v1::EligibilityReasonCode code = v1::ELIGIBILITY_REASON_CODE_UNSPECIFIED;
  v1::ReasonEffect effect = v1::REASON_EFFECT_UNSPECIFIED;
  std::string subject;

  friend bool operator==(const EligibilityReason&, const EligibilityReason&) = default;
};

// The result of the rules.
struct EligibilityDecision {
  v1::EligibilityOutcome outcome = v1::ELIGIBILITY_OUTCOME_UNSPECIFIED;
  std::vector<EligibilityReason> reasons;
  // The qualifying result's name; empty when there is none.
  std::string qualifying_lab_result;
  std::optional<absl::Time> expire_time;
  absl::Duration result_window;
};

// Applies the rules above at instant `now`; `today` is the local date used for the age.
// Precondition: result_window >= 0.
EligibilityDecision AssessEligibility(const EligibilityInput& input, absl::Duration result_window,
                                      absl::Time now, absl::CivilDay today);

// Writes `decision` into the output fields of `assessment`: outcome, reasons,
// result_window, qualifying_lab_result, expire_time, and effective_outcome (ELIGIBLE if
// the assessment already carries an override, otherwise the outcome).
void ToProto(const EligibilityDecision& decision, v1::EligibilityAssessment& assessment);

// Bounds of an override's reason, in code points after trimming.
inline constexpr std::size_t kMinOverrideReasonLength = 10;
inline constexpr std::size_t kMaxOverrideReasonLength = 2000;

// OverrideEligibility's rules: INVALID_ARGUMENT naming "reason" unless it has 10 to 2000
// code points after trimming (no control characters other than line breaks);
// FAILED_PRECONDITION if the assessment is already overridden or its outcome is
// ELIGIBLE.
absl::Status CheckOverride(const v1::EligibilityAssessment& assessment, std::string_view reason);

// Records an override made by `clinician` (JWT subject) at `now`: sets override (reason
// trimmed), effective_outcome ELIGIBLE and expire_time = now + result_window.
// Precondition: CheckOverride passed.
void ApplyOverride(v1::EligibilityAssessment& assessment, std::string clinician,
                   std::string_view reason, absl::Time now);

// CreateTreatmentPlan's precondition on its assessment: OK if it belongs to `patient`
// ("patients/{patient}"), its effective_outcome is ELIGIBLE and now <= expire_time;
// otherwise FAILED_PRECONDITION carrying a google.rpc.PreconditionFailure with type
// "ELIGIBILITY" and the assessment's name as subject.
absl::Status CheckAssessmentAllowsPlan(const v1::EligibilityAssessment& assessment,
                                       std::string_view patient, absl::Time now);

}  // namespace clinic::patient::domain
