#include "services/patient/domain/lab_interpretation.h"

#include <utility>

#include "common/status/status.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/lab_units.h"

namespace clinic::patient::domain {

absl::StatusOr<LabReading> Interpret(v1::Analyte analyte, const Decimal& value, v1::LabUnit unit,
                                     const ReferenceRange* range, std::string_view prefix) {
  if (analyte == v1::ANALYTE_UNSPECIFIED || !v1::Analyte_IsValid(analyte)) {
    return status::InvalidField(FieldPath(prefix, "analyte"), "must be a known analyte");
  }
  if (!IsUnitValidFor(analyte, unit)) {
    return status::InvalidField(FieldPath(prefix, "unit"), "must be a unit valid for the analyte");
  }
  LabReading reading;
  if (range == nullptr) return reading;
  if (range->analyte != analyte) {
    return absl::InternalError("reference range of another analyte");
  }
  std::optional<Decimal> converted = ConvertLabValue(value, analyte, unit, range->unit);
  if (!converted) return absl::InternalError("reference range in a unit not valid for its analyte");
  const Decimal& v = *converted;
  if (range->high_above && v > *range->high_above) {
    reading.interpretation = v1::INTERPRETATION_HIGH;
  } else if (v < range->deficient_below) {
    reading.interpretation = v1::INTERPRETATION_DEFICIENT;
  } else if (v <= range->indeterminate_up_to) {
    reading.interpretation = v1::INTERPRETATION_INDETERMINATE;
  } else {
    reading.interpretation = v1::INTERPRETATION_NORMAL;
  }
  reading.applied_range = *range;
  reading.compared_value = std::move(converted);
  return reading;
}

absl::Status InterpretLabResult(const ReferenceRanges& ranges, v1::LabResult& result,
                                std::string_view prefix) {
  std::optional<Decimal> value = Decimal::Parse(result.value().value());
  if (!value || value->is_negative()) {
    return status::InvalidField(FieldPath(prefix, "value"),
                                "must be a non-negative decimal number such as \"245.5\"");
  }
  absl::StatusOr<LabReading> reading =
      Interpret(result.analyte(), *value, result.unit(),
                ranges.Find(result.laboratory(), result.analyte()), prefix);
  if (!reading.ok()) return reading.status();
  result.set_interpretation(reading->interpretation);
  if (reading->applied_range) {
    *result.mutable_applied_range() = ToProto(*reading->applied_range);
    result.mutable_compared_value()->set_value(reading->compared_value->ToString());
  } else {
    result.clear_applied_range();
    result.clear_compared_value();
  }
  return absl::OkStatus();
}

}  // namespace clinic::patient::domain
