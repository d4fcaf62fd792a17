#include "services/patient/domain/calendar.h"

#include <gtest/gtest.h>

#include <tuple>

#include "services/patient/domain/proto_time.h"

namespace clinic::patient::domain {
namespace {

using absl::CivilDay;

TEST(AgeInYearsTest, CountsCompletedYears) {
  const CivilDay birth(1974, 6, 15);
  EXPECT_EQ(AgeInYears(birth, CivilDay(2024, 6, 14)), 49);
  EXPECT_EQ(AgeInYears(birth, CivilDay(2024, 6, 15)), 50);
  EXPECT_EQ(AgeInYears(birth, CivilDay(2024, 6, 16)), 50);
  EXPECT_EQ(AgeInYears(birth, birth), 0);
  EXPECT_EQ(AgeInYears(birth, CivilDay(1973, 1, 1)), -2);
}

TEST(AgeInYearsTest, LeapDayBirthdayFallsOnFirstOfMarchInCommonYears) {
  const CivilDay birth(1972, 2, 29);
  EXPECT_EQ(AgeInYears(birth, CivilDay(2022, 2, 28)), 49);
  EXPECT_EQ(AgeInYears(birth, CivilDay(2022, 3, 1)), 50);
  EXPECT_EQ(AgeInYears(birth, CivilDay(2024, 2, 29)), 52);
}

TEST(AddMonthsTest, ClampsToTheEndOfShorterMonths) {
  EXPECT_EQ(AddMonths(CivilDay(2024, 1, 31), 1), CivilDay(2024, 2, 29));
  EXPECT_EQ(AddMonths(CivilDay(2023, 1, 31), 1), CivilDay(2023, 2, 28));
  EXPECT_EQ(AddMonths(CivilDay(2024, 1, 31), 2), CivilDay(2024, 3, 31));
  EXPECT_EQ(AddMonths(CivilDay(2024, 3, 31), 1), CivilDay(2024, 4, 30));
  EXPECT_EQ(AddMonths(CivilDay(2024, 11, 15), 3), CivilDay(2025, 2, 15));
  EXPECT_EQ(AddMonths(CivilDay(2024, 3, 31), -1), CivilDay(2024, 2, 29));
  EXPECT_EQ(AddMonths(CivilDay(2024, 5, 10), 0), CivilDay(2024, 5, 10));
}

TEST(ProtoTimeTest, DatesMustBeReal) {
  type::v1::Date date;
  date.set_year(2024);
  date.set_month(2);
  date.set_day(29);
  EXPECT_EQ(ToCivilDay(date), CivilDay(2024, 2, 29));
  date.set_year(2023);
  EXPECT_EQ(ToCivilDay(date), std::nullopt);  // not a leap year
  const std::tuple<int, int, int> kNotDates[] = {{2024, 13, 1}, {2024, 0, 1},   {2024, 4, 31},
                                                 {2024, 1, 0},  {1899, 12, 31}, {10000, 1, 1},
                                                 {0, 0, 0}};
  for (auto [y, m, d] : kNotDates) {
    date.set_year(y);
    date.set_month(m);
    date.set_day(d);
    EXPECT_EQ(ToCivilDay(date), std::nullopt) << y << "-" << m << "-" << d;
  }
}

TEST(ProtoTimeTest, DateRoundTripAndIsoFormat) {
  const CivilDay day(1900, 1, 1);
  EXPECT_EQ(ToCivilDay(ToProtoDate(day)), day);
  EXPECT_EQ(FormatIsoDate(day), "1900-01-01");
  EXPECT_EQ(FormatIsoDate(CivilDay(2024, 12, 5)), "2024-12-05");
}

TEST(ProtoTimeTest, TimestampsAndDurations) {
  const absl::Time t = absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(123);
  EXPECT_EQ(ToTime(ToProtoTimestamp(t)), t);
  const absl::Time before_epoch = absl::FromUnixSeconds(-1) + absl::Milliseconds(250);
  EXPECT_EQ(ToTime(ToProtoTimestamp(before_epoch)), before_epoch);
  google::protobuf::Timestamp bad;
  bad.set_nanos(-1);
  EXPECT_EQ(ToTime(bad), std::nullopt);
  bad.set_nanos(0);
  bad.set_seconds(253402300800);  // 10000-01-01
  EXPECT_EQ(ToTime(bad), std::nullopt);

  EXPECT_EQ(ToDuration(ToProtoDuration(absl::Hours(24 * 90))), absl::Hours(24 * 90));
  EXPECT_EQ(ToDuration(ToProtoDuration(-absl::Milliseconds(1500))), -absl::Milliseconds(1500));
  google::protobuf::Duration mixed;
  mixed.set_seconds(1);
  mixed.set_nanos(-1);
  EXPECT_EQ(ToDuration(mixed), std::nullopt);
}

}  // namespace
}  // namespace clinic::patient::domain
