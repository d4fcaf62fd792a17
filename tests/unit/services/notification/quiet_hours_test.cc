#include "services/notification/domain/quiet_hours.h"

#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tests/support/utc.h"

namespace clinic::notification::domain {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

using ::clinic::testing::Utc;

QuietHours Window(int start_h, int start_m, int end_h, int end_m) {
  return {absl::Hours(start_h) + absl::Minutes(start_m), absl::Hours(end_h) + absl::Minutes(end_m)};
}

TEST(QuietHoursTest, DefaultIsNineInTheEveningToEightInTheMorning) {
  const QuietHours q = DefaultQuietHours();
  EXPECT_EQ(q.start, absl::Hours(21));
  EXPECT_EQ(q.end, absl::Hours(8));
}

TEST(QuietHoursTest, WindowAcrossMidnightInWinter) {
  const absl::TimeZone london = Zone("Europe/London");  // GMT = UTC in January
  const QuietHours q = DefaultQuietHours();
  EXPECT_FALSE(InQuietHours(Utc(2026, 1, 15, 20, 59, 59), london, q));
  EXPECT_TRUE(InQuietHours(Utc(2026, 1, 15, 21, 0), london, q));
  EXPECT_TRUE(InQuietHours(Utc(2026, 1, 16, 0, 0), london, q));
  EXPECT_TRUE(InQuietHours(Utc(2026, 1, 16, 7, 59, 59), london, q));
  EXPECT_FALSE(InQuietHours(Utc(2026, 1, 16, 8, 0), london, q));
  // Evening part: the window ends the next morning; night part: the same morning.
  EXPECT_EQ(NextAllowedTime(Utc(2026, 1, 15, 21, 0), london, q), Utc(2026, 1, 16, 8, 0));
  EXPECT_EQ(NextAllowedTime(Utc(2026, 1, 15, 23, 30), london, q), Utc(2026, 1, 16, 8, 0));
  EXPECT_EQ(NextAllowedTime(Utc(2026, 1, 16, 3, 0), london, q), Utc(2026, 1, 16, 8, 0));
  // Outside the window: unchanged.
  EXPECT_EQ(NextAllowedTime(Utc(2026, 1, 16, 12, 34), london, q), Utc(2026, 1, 16, 12, 34));
}

TEST(QuietHoursTest, LocalTimeNotUtcInSummer) {
  const absl::TimeZone london = Zone("Europe/London");  // BST = UTC+1 in July
  const QuietHours q = DefaultQuietHours();
  EXPECT_FALSE(InQuietHours(Utc(2026, 7, 1, 19, 59), london, q));  // 20:59 local
  EXPECT_TRUE(InQuietHours(Utc(2026, 7, 1, 20, 0), london, q));    // 21:00 local
  EXPECT_EQ(NextAllowedTime(Utc(2026, 7, 1, 20, 0), london, q), Utc(2026, 7, 2, 7, 0));  // 08:00 BST
  const absl::TimeZone sydney = Zone("Australia/Sydney");  // AEST = UTC+10 in July
  EXPECT_EQ(NextAllowedTime(Utc(2026, 7, 1, 12, 0), sydney, q), Utc(2026, 7, 1, 22, 0));  // 22:00 -> 08:00 local
}

TEST(QuietHoursTest, SpringForwardNightIsAnHourShorter) {
  // Europe/London 2026-03-29: 01:00 GMT becomes 02:00 BST.
  const absl::TimeZone london = Zone("Europe/London");
  const absl::Time evening = Utc(2026, 3, 28, 22, 0);  // 22:00 GMT
  const absl::Time next = NextAllowedTime(evening, london, DefaultQuietHours());
  EXPECT_EQ(next, Utc(2026, 3, 29, 7, 0));  // 08:00 BST
  EXPECT_EQ(next - evening, absl::Hours(9));
}

TEST(QuietHoursTest, WindowEndingInsideTheSkippedHourEndsWhenTheClockJumps) {
  // Quiet until 01:30, which does not exist on 2026-03-29 in London.
  const absl::TimeZone london = Zone("Europe/London");
  const QuietHours q = Window(22, 0, 1, 30);
  const absl::Time t = Utc(2026, 3, 29, 0, 30);  // 00:30 GMT
  ASSERT_TRUE(InQuietHours(t, london, q));
  const absl::Time next = NextAllowedTime(t, london, q);
  EXPECT_EQ(next, Utc(2026, 3, 29, 1, 0));  // the jump: 02:00 BST
  EXPECT_FALSE(InQuietHours(next, london, q));
}

TEST(QuietHoursTest, FallBackNightIsAnHourLonger) {
  // Europe/London 2026-10-25: 02:00 BST becomes 01:00 GMT.
  const absl::TimeZone london = Zone("Europe/London");
  const absl::Time evening = Utc(2026, 10, 24, 20, 0);  // 21:00 BST
  const absl::Time next = NextAllowedTime(evening, london, DefaultQuietHours());
  EXPECT_EQ(next, Utc(2026, 10, 25, 8, 0));  // 08:00 GMT
  EXPECT_EQ(next - evening, absl::Hours(12));
}

TEST(QuietHoursTest, WindowEndingInsideTheRepeatedHourEndsAtItsNextOccurrence) {
  // Quiet until 01:30, which happens twice on 2026-10-25 in London.
  const absl::TimeZone london = Zone("Europe/London");
  const QuietHours q = Window(23, 0, 1, 30);
  // 00:30 BST: the first 01:30 (BST) comes next.
  EXPECT_EQ(NextAllowedTime(Utc(2026, 10, 24, 23, 30), london, q), Utc(2026, 10, 25, 0, 30));
  // 01:10 GMT (the second 01:10): the first 01:30 is past; the second one is next.
  const absl::Time second = Utc(2026, 10, 25, 1, 10);
  ASSERT_TRUE(InQuietHours(second, london, q));
  EXPECT_EQ(NextAllowedTime(second, london, q), Utc(2026, 10, 25, 1, 30));
}

TEST(QuietHoursTest, UsDaylightSavingDates) {
  // America/New_York 2026-03-08: 02:00 EST becomes 03:00 EDT.
  const absl::TimeZone new_york = Zone("America/New_York");
  const absl::Time evening = Utc(2026, 3, 8, 2, 0);  // 21:00 EST on the 7th
  EXPECT_EQ(NextAllowedTime(evening, new_york, DefaultQuietHours()), Utc(2026, 3, 8, 12, 0));  // 08:00 EDT
}

TEST(QuietHoursTest, WindowWithinOneDay) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const QuietHours lunch = Window(12, 0, 14, 0);
  EXPECT_FALSE(InQuietHours(Utc(2026, 5, 5, 11, 59), utc, lunch));
  EXPECT_TRUE(InQuietHours(Utc(2026, 5, 5, 12, 0), utc, lunch));
  EXPECT_EQ(NextAllowedTime(Utc(2026, 5, 5, 13, 0), utc, lunch), Utc(2026, 5, 5, 14, 0));
  EXPECT_FALSE(InQuietHours(Utc(2026, 5, 5, 14, 0), utc, lunch));
  EXPECT_FALSE(InQuietHours(Utc(2026, 5, 5, 23, 0), utc, lunch));
}

TEST(QuietHoursTest, WindowEndingAtMidnight) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const QuietHours late = {absl::Hours(22), absl::Hours(24)};
  EXPECT_TRUE(InQuietHours(Utc(2026, 5, 5, 23, 59), utc, late));
  EXPECT_FALSE(InQuietHours(Utc(2026, 5, 6, 0, 0), utc, late));
  EXPECT_EQ(NextAllowedTime(Utc(2026, 5, 5, 22, 30), utc, late), Utc(2026, 5, 6, 0, 0));
}

TEST(QuietHoursTest, EmptyWindowIsNeverQuiet) {
  const QuietHours none = {absl::Hours(9), absl::Hours(9)};
  EXPECT_FALSE(InQuietHours(Utc(2026, 5, 5, 9, 0), absl::UTCTimeZone(), none));
  EXPECT_EQ(NextAllowedTime(Utc(2026, 5, 5, 9, 0), absl::UTCTimeZone(), none), Utc(2026, 5, 5, 9, 0));
}

}  // namespace
}  // namespace clinic::notification::domain
