#include "services/patient/domain/check_in_validation.h"

#include <optional>
#include <utility>

#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/proto_time.h"

namespace clinic::patient::domain {

void CheckScore(int score, std::string field, status::FieldViolations& violations) {
  if (score < kMinScore || score > kMaxScore) {
    violations.Add(std::move(field), "must be from 1 to 10");
  }
}

void ValidateCheckInInput(const v1::CheckIn& check_in, absl::CivilDay today,
                          std::string_view prefix, status::FieldViolations& violations) {
  const std::string date_field = FieldPath(prefix, "check_in_date");
  if (!check_in.has_check_in_date()) {
    violations.Add(date_field, "is required");
  } else if (std::optional<absl::CivilDay> day = ToCivilDay(check_in.check_in_date()); !day) {
    violations.Add(date_field, "must be a real calendar date");
  } else if (*day > today) {
    violations.Add(date_field, "must not be in the future");
  }
  CheckScore(check_in.energy_score(), FieldPath(prefix, "energy_score"), violations);
  CheckScore(check_in.skin_clarity_score(), FieldPath(prefix, "skin_clarity_score"), violations);
  CheckScore(check_in.mood_score(), FieldPath(prefix, "mood_score"), violations);
  CheckOptionalText(check_in.note(), kMaxCheckInNoteLength, TextKind::kMultiLine,
                    FieldPath(prefix, "note"), violations);
  if (!v1::CheckInSource_IsValid(check_in.source())) {
    violations.Add(FieldPath(prefix, "source"), "must be a known CheckInSource value");
  }
}

}  // namespace clinic::patient::domain
