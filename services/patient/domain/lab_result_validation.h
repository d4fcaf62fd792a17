#pragma once

// Validation of a lab result's input fields (RecordLabResult). Interpretation is
// lab_interpretation.h's business; existence of the laboratory and of `supersedes` is the
// store's (NOT_FOUND).

#include <cstddef>
#include <string_view>

#include "absl/time/time.h"
#include "clinic/patient/v1/lab.pb.h"
#include "common/status/status.h"

namespace clinic::patient::domain {

// Longest LabResult.laboratory_reference, in code points.
inline constexpr std::size_t kMaxLaboratoryReferenceLength = 100;

// Adds a violation under `prefix` (e.g. "lab_result") for each bad input field:
// analyte set and known; unit valid for the analyte (lab_units.h); value a non-negative
// decimal; laboratory set; laboratory_reference at most 100 code points;
// collection_time set, valid and not after `now`; report_time, when set, valid, not
// before collection_time and not after `now`.
void ValidateLabResultInput(const v1::LabResult& result, absl::Time now, std::string_view prefix,
                            status::FieldViolations& violations);

}  // namespace clinic::patient::domain
