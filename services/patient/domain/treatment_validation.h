#pragma once

// Validation of regimens and treatment plans (CreateRegimen, UpdateRegimen,
// CreateTreatmentPlan, UpdateTreatmentPlan) and the plan's lifecycle rules.
//
// Phase rules (for regimens and plans alike):
// - kind set; dose, when set, a positive quantity with a unit;
// - frequency required: times 1-7, every 1-366, every_max 0 or from every to 366, unit
//   set; at most one dose a day (with unit DAY, times <= every);
// - end required: DOSE_COUNT with dose_count 1-100, LENGTH with length 1-366 and a
//   length_unit, CLINICIAN_REVIEW or INDEFINITE;
// - 1 to 5 phases; only the last may be INDEFINITE (a CLINICIAN_REVIEW phase may be
//   followed by another: the clinician ends it by updating the plan); no loading phase
//   after a maintenance phase.

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "clinic/patient/v1/treatment.pb.h"
#include "clinic/type/v1/quantity.pb.h"
#include "common/status/status.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace clinic::patient::domain {

inline constexpr int kMaxPhases = 5;
inline constexpr int kMaxAddOns = 5;
inline constexpr std::size_t kMaxRegimenDisplayNameLength = 200;
inline constexpr std::size_t kMaxRegimenDescriptionLength = 2000;
inline constexpr std::size_t kMaxPlanNotesLength = 4000;
inline constexpr std::size_t kMaxChangeReasonLength = 500;

// A dose or strength: present, value a positive decimal, unit set and known.
void CheckDose(bool present, const type::v1::Quantity& dose, std::string_view field,
               status::FieldViolations& violations);

// One phase (rules above), violations under `field` (e.g. "regimen.phases[0]").
void ValidatePhase(const v1::Phase& phase, std::string_view field,
                   status::FieldViolations& violations);

// The phase list (rules above), violations under `field` (e.g. "regimen.phases").
void ValidatePhases(const google::protobuf::RepeatedPtrField<v1::Phase>& phases,
                    std::string_view field, status::FieldViolations& violations);

// CreateRegimen: display_name (1-200), description (at most 2000), dose, route, phases;
// state UNSPECIFIED or a known value (the server sets ACTIVE).
void ValidateRegimen(const v1::Regimen& regimen, std::string_view prefix,
                     status::FieldViolations& violations);

// UpdateRegimen: the mask names at least one of display_name, description, dose, route,
// phases, state; each named field is checked as on creation, and state must be ACTIVE
// or RETIRED.
void ValidateRegimenUpdate(const v1::Regimen& regimen, const google::protobuf::FieldMask& mask,
                           std::string_view prefix, status::FieldViolations& violations);

// CreateTreatmentPlan: fills what the plan leaves unset from its regimen — dose, route,
// and the phases (copied whole when the plan has none).
void ApplyRegimenDefaults(const v1::Regimen& regimen, v1::TreatmentPlan& plan);

// CreateTreatmentPlan's precondition on the regimen: FAILED_PRECONDITION (type "STATE",
// subject the regimen) when it is retired.
absl::Status CheckRegimenUsable(const v1::Regimen& regimen);

// CreateTreatmentPlan (after ApplyRegimenDefaults): regimen, product and
// eligibility_assessment set; dose, route and phases valid; at most 5 add-ons, each with a
// product, a dose and a route; start_date a real date not before `today` (the clinic's
// local date); retest_after, when set, positive; notes at most 4000.
void ValidateNewTreatmentPlan(const v1::TreatmentPlan& plan, absl::CivilDay today,
                              std::string_view prefix, status::FieldViolations& violations);

// UpdateTreatmentPlan: change_reason required (1-500); the mask names at least one of
// product, dose, route, phases, add_ons, retest_after, state, notes (regimen,
// eligibility_assessment and start_date are immutable); each named field is checked as on
// creation; state must not be UNSPECIFIED.
void ValidateTreatmentPlanUpdate(const v1::TreatmentPlan& plan,
                                 const google::protobuf::FieldMask& mask, std::string_view prefix,
                                 status::FieldViolations& violations);

// Whether the stored plan `current` may be updated to state `to` (its own state when the
// update does not change it): FAILED_PRECONDITION (type "PLAN", subject the plan's name)
// when `current` is COMPLETED or STOPPED — those are final; INVALID_ARGUMENT naming
// "treatment_plan.state" when `to` is UNSPECIFIED or unknown. ACTIVE and PAUSED may go to
// any state.
absl::Status CheckPlanTransition(const v1::TreatmentPlan& current, v1::TreatmentPlan::State to);

}  // namespace clinic::patient::domain
