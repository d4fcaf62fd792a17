#include "services/patient/domain/lab_result_validation.h"

#include <optional>

#include "services/patient/domain/decimal.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/lab_units.h"
#include "services/patient/domain/proto_time.h"

namespace clinic::patient::domain {

void ValidateLabResultInput(const v1::LabResult& result, absl::Time now, std::string_view prefix,
                            status::FieldViolations& violations) {
  if (result.analyte() == v1::ANALYTE_UNSPECIFIED || !v1::Analyte_IsValid(result.analyte())) {
    violations.Add(FieldPath(prefix, "analyte"), "must be a known analyte");
  } else if (!IsUnitValidFor(result.analyte(), result.unit())) {
    violations.Add(FieldPath(prefix, "unit"), "must be a unit valid for the analyte");
  }
  std::optional<Decimal> value = Decimal::Parse(result.value().value());
  if (!value || value->is_negative()) {
    violations.Add(FieldPath(prefix, "value"),
                   "must be a non-negative decimal number such as \"245.5\"");
  }
  if (result.laboratory().empty()) {
    violations.Add(FieldPath(prefix, "laboratory"), "is required");
  }
  CheckOptionalText(result.laboratory_reference(), kMaxLaboratoryReferenceLength,
                    TextKind::kSingleLine, FieldPath(prefix, "laboratory_reference"), violations);
  std::optional<absl::Time> collected;
  if (!result.has_collection_time()) {
    violations.Add(FieldPath(prefix, "collection_time"), "is required");
  } else if (collected = ToTime(result.collection_time()); !collected) {
    violations.Add(FieldPath(prefix, "collection_time"), "must be a valid timestamp");
  } else if (*collected > now) {
    violations.Add(FieldPath(prefix, "collection_time"), "must not be in the future");
  }
  if (result.has_report_time()) {
    const std::optional<absl::Time> reported = ToTime(result.report_time());
    if (!reported) {
      violations.Add(FieldPath(prefix, "report_time"), "must be a valid timestamp");
    } else if (collected && *reported < *collected) {
      violations.Add(FieldPath(prefix, "report_time"), "must not be before collection_time");
    } else if (*reported > now) {
      violations.Add(FieldPath(prefix, "report_time"), "must not be in the future");
    }
  }
}

}  // namespace clinic::patient::domain
