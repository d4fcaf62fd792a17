#pragma once

// Validation of an outcome check-in's input fields (CreateCheckIn).

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "clinic/patient/v1/check_in.pb.h"
#include "common/status/status.h"

namespace clinic::patient::domain {

// Scores run from kMinScore (worst) to kMaxScore (best), both included.
inline constexpr int kMinScore = 1;
inline constexpr int kMaxScore = 10;
// Longest CheckIn.note, in code points.
inline constexpr std::size_t kMaxCheckInNoteLength = 2000;

// A violation on `field` unless kMinScore <= score <= kMaxScore (0, i.e. unset, is out of
// range: every score is required).
void CheckScore(int score, std::string field, status::FieldViolations& violations);

// Adds a violation under `prefix` (e.g. "check_in") for each bad input field:
// check_in_date set, a real date and not after `today` (the clinic's local date); the
// three scores in range; note at most 2000 code points (line breaks allowed); source a
// known value (UNSPECIFIED is allowed and means staff).
void ValidateCheckInInput(const v1::CheckIn& check_in, absl::CivilDay today,
                          std::string_view prefix, status::FieldViolations& violations);

}  // namespace clinic::patient::domain
