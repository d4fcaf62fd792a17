#include "services/inventory/domain/expiry.h"

#include <gtest/gtest.h>

namespace clinic::inventory {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

TEST(UsableOnTest, UpToAndIncludingTheExpiryDate) {
  const absl::CivilDay expiry(2026, 3, 29);
  EXPECT_TRUE(UsableOn(expiry, expiry - 1));
  EXPECT_TRUE(UsableOn(expiry, expiry));
  EXPECT_FALSE(UsableOn(expiry, expiry + 1));
  EXPECT_TRUE(UsableOn(expiry, absl::CivilDay(2000, 1, 1)));
  EXPECT_FALSE(UsableOn(expiry, absl::CivilDay(2027, 1, 1)));
}

TEST(UsableOnTest, AcrossMonthAndYearEnds) {
  EXPECT_TRUE(UsableOn(absl::CivilDay(2025, 12, 31), absl::CivilDay(2025, 12, 31)));
  EXPECT_FALSE(UsableOn(absl::CivilDay(2025, 12, 31), absl::CivilDay(2026, 1, 1)));
  EXPECT_TRUE(UsableOn(absl::CivilDay(2024, 2, 29), absl::CivilDay(2024, 2, 29)));
  EXPECT_FALSE(UsableOn(absl::CivilDay(2024, 2, 29), absl::CivilDay(2024, 3, 1)));
}

// In winter London is on GMT (UTC+0): local midnight is UTC midnight.
TEST(UsableAtTest, LondonWinterLocalMidnight) {
  const absl::TimeZone london = Zone("Europe/London");
  const absl::CivilDay expiry(2026, 1, 15);
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 1, 15, 23, 59), london));
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 1, 16, 0, 0) - absl::Nanoseconds(1), london));
  EXPECT_FALSE(UsableAt(expiry, Utc(2026, 1, 16, 0, 0), london));
  EXPECT_FALSE(UsableAt(expiry, Utc(2026, 1, 16, 0, 30), london));
}

// BST (UTC+1) starts at 01:00 UTC on 2026-03-29. 00:30 local on 2026-03-30 is 23:30 UTC
// on 2026-03-29: the UTC date is still the expiry date, the clinic's day is not.
TEST(UsableAtTest, LondonAroundTheStartOfSummerTime) {
  const absl::TimeZone london = Zone("Europe/London");
  const absl::CivilDay expiry(2026, 3, 29);

  const absl::Time late_on_expiry_day = absl::FromCivil(absl::CivilSecond(2026, 3, 29, 23, 30, 0), london);
  ASSERT_EQ(late_on_expiry_day, Utc(2026, 3, 29, 22, 30));  // the zone data is what this test assumes
  EXPECT_TRUE(UsableAt(expiry, late_on_expiry_day, london));

  const absl::Time early_next_day = absl::FromCivil(absl::CivilSecond(2026, 3, 30, 0, 30, 0), london);
  ASSERT_EQ(early_next_day, Utc(2026, 3, 29, 23, 30));
  EXPECT_FALSE(UsableAt(expiry, early_next_day, london));

  // The local midnight ending the expiry day is 23:00 UTC.
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 3, 29, 23, 0) - absl::Seconds(1), london));
  EXPECT_FALSE(UsableAt(expiry, Utc(2026, 3, 29, 23, 0), london));

  // Before the change on the expiry day itself (00:30 GMT = 00:30 UTC).
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 3, 29, 0, 30), london));
  // The previous evening in UTC is still the day before locally.
  EXPECT_TRUE(UsableAt(absl::CivilDay(2026, 3, 28), Utc(2026, 3, 28, 23, 30), london));
}

TEST(UsableAtTest, LondonSummerLocalMidnight) {
  const absl::TimeZone london = Zone("Europe/London");
  const absl::CivilDay expiry(2026, 7, 1);
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 7, 1, 22, 59), london));   // 23:59 BST on the 1st
  EXPECT_FALSE(UsableAt(expiry, Utc(2026, 7, 1, 23, 0), london));   // 00:00 BST on the 2nd
  EXPECT_FALSE(UsableAt(expiry, Utc(2026, 7, 1, 23, 30), london));  // UTC date still the 1st
}

// BST ends at 01:00 UTC on 2026-10-25 (02:00 BST → 01:00 GMT): the local day is 25 hours.
TEST(UsableAtTest, LondonAroundTheEndOfSummerTime) {
  const absl::TimeZone london = Zone("Europe/London");
  const absl::CivilDay expiry(2026, 10, 25);
  EXPECT_FALSE(UsableAt(absl::CivilDay(2026, 10, 24), Utc(2026, 10, 24, 23, 30), london));  // 00:30 BST on the 25th
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 10, 24, 23, 30), london));
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 10, 25, 23, 59), london));  // 23:59 GMT on the 25th
  EXPECT_FALSE(UsableAt(expiry, Utc(2026, 10, 26, 0, 0), london));
}

// Auckland in January is on NZDT (UTC+13): most of the local day falls on the previous
// UTC date.
TEST(UsableAtTest, AucklandWhereTheUtcDateDiffers) {
  const absl::TimeZone auckland = Zone("Pacific/Auckland");
  const absl::CivilDay expiry(2026, 1, 15);

  const absl::Time local_midnight_after = absl::FromCivil(absl::CivilSecond(2026, 1, 16, 0, 0, 0), auckland);
  ASSERT_EQ(local_midnight_after, Utc(2026, 1, 15, 11, 0));

  // 01:00 on the 15th local is 12:00 on the 14th UTC: usable (and would be even by UTC).
  EXPECT_TRUE(UsableAt(expiry, Utc(2026, 1, 14, 12, 0), auckland));
  EXPECT_TRUE(UsableAt(expiry, local_midnight_after - absl::Seconds(1), auckland));
  // 00:30 on the 16th local is 11:30 on the 15th UTC: not usable, though the UTC date
  // is the expiry date.
  EXPECT_FALSE(UsableAt(expiry, Utc(2026, 1, 15, 11, 30), auckland));
  EXPECT_FALSE(UsableAt(expiry, local_midnight_after, auckland));
  // A lot expiring on the 14th is no longer usable at 12:00 UTC on the 14th.
  EXPECT_FALSE(UsableAt(absl::CivilDay(2026, 1, 14), Utc(2026, 1, 14, 12, 0), auckland));
}

TEST(LocalDayTest, IsTheClinicsCalendarDay) {
  EXPECT_EQ(LocalDay(Utc(2026, 1, 15, 11, 30), Zone("Pacific/Auckland")), absl::CivilDay(2026, 1, 16));
  EXPECT_EQ(LocalDay(Utc(2026, 1, 15, 11, 30), Zone("Europe/London")), absl::CivilDay(2026, 1, 15));
  EXPECT_EQ(LocalDay(Utc(2026, 1, 15, 3, 0), Zone("America/Los_Angeles")), absl::CivilDay(2026, 1, 14));
}

}  // namespace
}  // namespace clinic::inventory
