#pragma once

// Interpretation of one lab result against the reference range of its laboratory.
//
// Boundaries (clinic.patient.v1.ReferenceRange): with the value v converted to the
// range's unit, v < deficient_below is DEFICIENT, deficient_below <= v <=
// indeterminate_up_to is INDETERMINATE, v > indeterminate_up_to is NORMAL and v >
// high_above (when set) is HIGH. With the NICE defaults: total B12 179.99 ng/L is
// deficient, 180 and 350 are indeterminate, 350.01 is normal; active B12 25 and 70 pmol/L
// are indeterminate.
//
// Conversion: the value is converted to the range's unit (lab_units.h) and that converted
// value — exact, or rounded to 4 fraction digits when not terminating — is the one
// compared and recorded as compared_value, so the record shows exactly what was compared.
// A total B12 of 132.8 pmol/L is 179.944 ng/L (deficient); 133 pmol/L is 180.215 ng/L
// (indeterminate). NICE's "133 pmol/L" is 180 ng/L rounded: a laboratory that wants the
// cut-off exactly in pmol/L configures its range in pmol/L.

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clinic/patient/v1/lab.pb.h"
#include "services/patient/domain/decimal.h"
#include "services/patient/domain/reference_ranges.h"

namespace clinic::patient::domain {

// The reading of one value.
struct LabReading {
  v1::Interpretation interpretation = v1::INTERPRETATION_NOT_INTERPRETED;
  // The range that produced the reading; absent for NOT_INTERPRETED.
  std::optional<ReferenceRange> applied_range;
  // The value in applied_range->unit, as compared; absent for NOT_INTERPRETED.
  std::optional<Decimal> compared_value;
};

// Reads `value`, reported in `unit`, of `analyte` against `range` (nullptr: no range
// applies, NOT_INTERPRETED). INVALID_ARGUMENT naming "<prefix>.analyte" for an unspecified
// or unknown analyte, "<prefix>.unit" for a unit not valid for it (lab_units.h).
// INTERNAL if `range` is for another analyte or in a unit that cannot be converted
// (ReferenceRanges never holds such a range).
absl::StatusOr<LabReading> Interpret(v1::Analyte analyte, const Decimal& value, v1::LabUnit unit,
                                     const ReferenceRange* range,
                                     std::string_view prefix = "lab_result");

// For RecordLabResult: reads `result` (analyte, value, unit, laboratory) with the range
// `ranges` gives for its laboratory and analyte, and sets its output fields
// interpretation, applied_range and compared_value (the last two cleared for
// NOT_INTERPRETED). INVALID_ARGUMENT naming "<prefix>.analyte", "<prefix>.unit" or
// "<prefix>.value" for bad input, changing nothing.
absl::Status InterpretLabResult(const ReferenceRanges& ranges, v1::LabResult& result,
                                std::string_view prefix = "lab_result");

}  // namespace clinic::patient::domain
