#include "services/patient/domain/check_in_trend.h"

#include <algorithm>
#include <cstdint>

#include "absl/numeric/int128.h"
#include "services/patient/domain/proto_time.h"

namespace clinic::patient::domain {

CheckInScores ToCheckInScores(const v1::CheckIn& check_in) {
  CheckInScores scores;
  scores.date = ToCivilDay(check_in.check_in_date()).value_or(absl::CivilDay());
  scores.energy = check_in.energy_score();
  scores.skin_clarity = check_in.skin_clarity_score();
  scores.mood = check_in.mood_score();
  return scores;
}

v1::ScoreTrend ComputeScoreTrend(absl::Span<const DatedScore> scores) {
  v1::ScoreTrend trend;
  trend.set_direction(v1::TREND_DIRECTION_INSUFFICIENT_DATA);
  if (scores.empty()) return trend;

  std::vector<DatedScore> sorted(scores.begin(), scores.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const DatedScore& a, const DatedScore& b) { return a.date < b.date; });
  trend.set_first(sorted.front().score);
  trend.set_latest(sorted.back().score);

  // Sums for the least-squares slope with x in days from the oldest date: slope per day
  // = (n*Sxy - Sx*Sy) / (n*Sxx - Sx^2), exact in 128-bit integers.
  const absl::CivilDay origin = sorted.front().date;
  absl::int128 n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const DatedScore& s : sorted) {
    const absl::int128 x = static_cast<std::int64_t>(s.date - origin);
    const absl::int128 y = s.score;
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  trend.set_mean(static_cast<double>(sy) / static_cast<double>(n));
  const absl::int128 numerator = n * sxy - sx * sy;
  const absl::int128 denominator = n * sxx - sx * sx;  // > 0 iff two distinct dates
  if (denominator <= 0) return trend;

  trend.set_slope_per_week(7.0 * static_cast<double>(numerator) / static_cast<double>(denominator));
  // slope per week = 7 * num / den compared with ±1/4: 28 * num against ±den.
  if (28 * numerator > denominator) {
    trend.set_direction(v1::TREND_DIRECTION_IMPROVING);
  } else if (28 * numerator < -denominator) {
    trend.set_direction(v1::TREND_DIRECTION_WORSENING);
  } else {
    trend.set_direction(v1::TREND_DIRECTION_STABLE);
  }
  return trend;
}

v1::CheckInTrend ComputeCheckInTrend(absl::Span<const CheckInScores> check_ins) {
  std::vector<DatedScore> energy, skin, mood;
  for (const CheckInScores& c : check_ins) {
    energy.push_back({c.date, c.energy});
    skin.push_back({c.date, c.skin_clarity});
    mood.push_back({c.date, c.mood});
  }
  v1::CheckInTrend trend;
  trend.set_check_in_count(static_cast<std::int32_t>(check_ins.size()));
  *trend.mutable_energy() = ComputeScoreTrend(energy);
  *trend.mutable_skin_clarity() = ComputeScoreTrend(skin);
  *trend.mutable_mood() = ComputeScoreTrend(mood);
  return trend;
}

}  // namespace clinic::patient::domain
