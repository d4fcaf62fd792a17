#pragma once

// The trend of the check-in scores (energy, skin clarity, mood) over a range of
// check-ins, as clinic.patient.v1.CheckInTrend wants it.
//
// Per score: the least-squares slope of score against time, with time in weeks from the
// oldest check-in (a check-in's date is a whole day; days / 7). Direction: IMPROVING when
// the slope is above +0.25 points a week, WORSENING below -0.25, STABLE within (±0.25
// itself is STABLE); the comparison is exact (integer arithmetic), the reported slope a
// double. INSUFFICIENT_DATA (slope 0) when the check-ins fall on fewer than two distinct
// dates — no slope exists then, even with two check-ins on one day. Mean is over every
// check-in; first and latest are the scores of the oldest and newest dates (of check-ins
// on one date, the one listed later in the input counts as the later; pass them oldest
// first, in creation order).

#include <vector>

#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "clinic/patient/v1/check_in.pb.h"

namespace clinic::patient::domain {

// The threshold of a trend, in points per week.
inline constexpr double kTrendThresholdPointsPerWeek = 0.25;

// One score on one date.
struct DatedScore {
  absl::CivilDay date;
  int score = 0;
};

// The three scores of one check-in.
struct CheckInScores {
  absl::CivilDay date;
  int energy = 0;
  int skin_clarity = 0;
  int mood = 0;
};

// The scores of a stored check-in (precondition: a valid check_in_date).
CheckInScores ToCheckInScores(const v1::CheckIn& check_in);

// The trend of one score.
v1::ScoreTrend ComputeScoreTrend(absl::Span<const DatedScore> scores);

// The trends of the three scores, and the check-in count.
v1::CheckInTrend ComputeCheckInTrend(absl::Span<const CheckInScores> check_ins);

}  // namespace clinic::patient::domain
