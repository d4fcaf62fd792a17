#include "services/patient/domain/check_in_trend.h"

#include <gtest/gtest.h>

#include <vector>

namespace clinic::patient::domain {
namespace {

using absl::CivilDay;

const CivilDay kDay0(2024, 6, 3);

std::vector<DatedScore> Weekly(std::initializer_list<int> scores) {
  std::vector<DatedScore> out;
  int week = 0;
  for (int s : scores) out.push_back({kDay0 + 7 * week++, s});
  return out;
}

TEST(ScoreTrendTest, InsufficientData) {
  v1::ScoreTrend t = ComputeScoreTrend({});
  EXPECT_EQ(t.direction(), v1::TREND_DIRECTION_INSUFFICIENT_DATA);
  EXPECT_EQ(t.slope_per_week(), 0);
  t = ComputeScoreTrend(Weekly({6}));
  EXPECT_EQ(t.direction(), v1::TREND_DIRECTION_INSUFFICIENT_DATA);
  EXPECT_EQ(t.first(), 6);
  EXPECT_EQ(t.latest(), 6);
  EXPECT_DOUBLE_EQ(t.mean(), 6);
  // Two check-ins on one date: no slope exists.
  const std::vector<DatedScore> same_day = {{kDay0, 3}, {kDay0, 9}};
  t = ComputeScoreTrend(same_day);
  EXPECT_EQ(t.direction(), v1::TREND_DIRECTION_INSUFFICIENT_DATA);
  EXPECT_EQ(t.slope_per_week(), 0);
  EXPECT_DOUBLE_EQ(t.mean(), 6);
}

TEST(ScoreTrendTest, SlopeIsLeastSquaresInPointsPerWeek) {
  v1::ScoreTrend t = ComputeScoreTrend(Weekly({3, 4, 5, 6}));
  EXPECT_DOUBLE_EQ(t.slope_per_week(), 1.0);
  EXPECT_EQ(t.direction(), v1::TREND_DIRECTION_IMPROVING);
  EXPECT_DOUBLE_EQ(t.mean(), 4.5);
  EXPECT_EQ(t.first(), 3);
  EXPECT_EQ(t.latest(), 6);
  t = ComputeScoreTrend(Weekly({8, 6, 7, 5}));  // noisy decline: slope -0.8
  EXPECT_DOUBLE_EQ(t.slope_per_week(), -0.8);
  EXPECT_EQ(t.direction(), v1::TREND_DIRECTION_WORSENING);
  // Daily check-ins rising one point a day: 7 points a week.
  const std::vector<DatedScore> daily = {{kDay0, 1}, {kDay0 + 1, 2}, {kDay0 + 2, 3}};
  EXPECT_DOUBLE_EQ(ComputeScoreTrend(daily).slope_per_week(), 7.0);
}

TEST(ScoreTrendTest, ThresholdIsAQuarterPointAWeekAndItselfStable) {
  // Two check-ins 4 weeks apart: slope = difference / 4.
  const auto two = [](int a, int b) {
    return ComputeScoreTrend(std::vector<DatedScore>{{kDay0, a}, {kDay0 + 28, b}});
  };
  EXPECT_EQ(two(5, 6).direction(), v1::TREND_DIRECTION_STABLE);  // +0.25 exactly
  EXPECT_DOUBLE_EQ(two(5, 6).slope_per_week(), 0.25);
  EXPECT_EQ(two(6, 5).direction(), v1::TREND_DIRECTION_STABLE);     // -0.25 exactly
  EXPECT_EQ(two(5, 7).direction(), v1::TREND_DIRECTION_IMPROVING);  // +0.5
  EXPECT_EQ(two(7, 5).direction(), v1::TREND_DIRECTION_WORSENING);
  EXPECT_EQ(two(5, 5).direction(), v1::TREND_DIRECTION_STABLE);
  // Just above the threshold: +1 point in 27 days = 0.259 a week.
  const std::vector<DatedScore> just = {{kDay0, 5}, {kDay0 + 27, 6}};
  EXPECT_EQ(ComputeScoreTrend(just).direction(), v1::TREND_DIRECTION_IMPROVING);
  // Just below: +1 point in 29 days = 0.241 a week.
  const std::vector<DatedScore> below = {{kDay0, 6}, {kDay0 + 29, 5}};
  EXPECT_EQ(ComputeScoreTrend(below).direction(), v1::TREND_DIRECTION_STABLE);
}

TEST(ScoreTrendTest, OrderOfInputDoesNotMatterExceptForTiesOnADate) {
  const std::vector<DatedScore> shuffled = {{kDay0 + 14, 5}, {kDay0, 3}, {kDay0 + 7, 4}};
  const v1::ScoreTrend t = ComputeScoreTrend(shuffled);
  EXPECT_EQ(t.first(), 3);
  EXPECT_EQ(t.latest(), 5);
  EXPECT_DOUBLE_EQ(t.slope_per_week(), 1.0);
  const std::vector<DatedScore> ties = {{kDay0, 3}, {kDay0, 4}, {kDay0 + 7, 8}, {kDay0 + 7, 9}};
  const v1::ScoreTrend u = ComputeScoreTrend(ties);
  EXPECT_EQ(u.first(), 3);   // the earlier listed of the oldest date
  EXPECT_EQ(u.latest(), 9);  // the later listed of the newest date
}

TEST(CheckInTrendTest, ThreeScoresAndTheCount) {
  std::vector<CheckInScores> check_ins = {
      {kDay0, 3, 8, 5}, {kDay0 + 7, 5, 8, 5}, {kDay0 + 14, 7, 6, 5}};
  const v1::CheckInTrend t = ComputeCheckInTrend(check_ins);
  EXPECT_EQ(t.check_in_count(), 3);
  EXPECT_EQ(t.energy().direction(), v1::TREND_DIRECTION_IMPROVING);
  EXPECT_DOUBLE_EQ(t.energy().slope_per_week(), 2.0);
  EXPECT_EQ(t.skin_clarity().direction(), v1::TREND_DIRECTION_WORSENING);
  EXPECT_DOUBLE_EQ(t.skin_clarity().slope_per_week(), -1.0);
  EXPECT_EQ(t.mood().direction(), v1::TREND_DIRECTION_STABLE);
  EXPECT_EQ(t.mood().slope_per_week(), 0);
}

TEST(CheckInTrendTest, FromProto) {
  v1::CheckIn c;
  c.mutable_check_in_date()->set_year(2024);
  c.mutable_check_in_date()->set_month(6);
  c.mutable_check_in_date()->set_day(3);
  c.set_energy_score(4);
  c.set_skin_clarity_score(5);
  c.set_mood_score(6);
  const CheckInScores s = ToCheckInScores(c);
  EXPECT_EQ(s.date, kDay0);
  EXPECT_EQ(s.energy, 4);
  EXPECT_EQ(s.skin_clarity, 5);
  EXPECT_EQ(s.mood, 6);
}

}  // namespace
}  // namespace clinic::patient::domain
