#pragma once

// Validation of a clinical profile's input fields (UpdateClinicalProfile). The
// eligibility rules (eligibility.h) rely on what is checked here, e.g. that a
// hypersensitivity names its substance.

#include <cstddef>
#include <string_view>

#include "clinic/patient/v1/clinical_profile.pb.h"
#include "common/status/status.h"
#include "google/protobuf/field_mask.pb.h"

namespace clinic::patient::domain {

// Longest free-text fields, in code points.
inline constexpr std::size_t kMaxProfileNotesLength = 4000;
inline constexpr std::size_t kMaxProfileItemNoteLength = 500;
inline constexpr std::size_t kMaxMedicationNameLength = 200;

// Adds a violation under `prefix` (e.g. "clinical_profile") for each bad input field:
// - diet: a known value;
// - conditions[i].code and symptoms[i].code: set, known, each code at most once; note at
//   most 500 code points and required for the OTHER code;
// - contraindications[i]: code set and known; substance known, required for
//   HYPERSENSITIVITY; note at most 500, required for code OTHER and substance OTHER; no
//   two entries with the same code and substance;
// - medications[i]: display_name required (at most 200), note at most 500;
// - notes: at most 4000 (line breaks allowed).
void ValidateClinicalProfile(const v1::ClinicalProfile& profile, std::string_view prefix,
                             status::FieldViolations& violations);

// UpdateClinicalProfile: `update_mask` must name at least one of diet, conditions,
// symptoms, contraindications, medications, on_b12_replacement, pregnant, notes
// (violations name "update_mask"), and each named field is checked as above.
void ValidateClinicalProfileUpdate(const v1::ClinicalProfile& profile,
                                   const google::protobuf::FieldMask& update_mask,
                                   std::string_view prefix, status::FieldViolations& violations);

}  // namespace clinic::patient::domain
