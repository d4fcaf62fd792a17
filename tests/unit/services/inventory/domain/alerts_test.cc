#include "services/inventory/domain/alerts.h"

#include <gtest/gtest.h>

namespace clinic::inventory {
namespace {

TEST(LowStockCrossingTest, RaisesOnlyWhenCrossingUnderAndClearsOnlyWhenBackAtOrAbove) {
  EXPECT_EQ(LowStockCrossing(4, 5, false), LowStockChange::kCrossedUnder);
  EXPECT_EQ(LowStockCrossing(0, 5, false), LowStockChange::kCrossedUnder);
  // Still under: no new alert (no flood).
  EXPECT_EQ(LowStockCrossing(3, 5, true), LowStockChange::kNone);
  EXPECT_EQ(LowStockCrossing(0, 5, true), LowStockChange::kNone);
  // At the level is not under.
  EXPECT_EQ(LowStockCrossing(5, 5, false), LowStockChange::kNone);
  EXPECT_EQ(LowStockCrossing(5, 5, true), LowStockChange::kBackAbove);
  EXPECT_EQ(LowStockCrossing(9, 5, true), LowStockChange::kBackAbove);
  EXPECT_EQ(LowStockCrossing(9, 5, false), LowStockChange::kNone);
}

TEST(LowStockCrossingTest, ALevelOfZeroNeverAlertsAndClearsAnOldMark) {
  EXPECT_EQ(LowStockCrossing(0, 0, false), LowStockChange::kNone);
  EXPECT_EQ(LowStockCrossing(0, 0, true), LowStockChange::kBackAbove);
}

TEST(NeedsExpiryWarningTest, CountsTheLastWarningDayAndExpiredLotsStillOnHand) {
  const absl::CivilDay today(2026, 11, 25);
  EXPECT_TRUE(NeedsExpiryWarning(today + 30, today, 30));
  EXPECT_FALSE(NeedsExpiryWarning(today + 31, today, 30));
  EXPECT_TRUE(NeedsExpiryWarning(today, today, 30));
  EXPECT_TRUE(NeedsExpiryWarning(today - 1, today, 30));
  EXPECT_TRUE(NeedsExpiryWarning(today + 1, today, 1));
  EXPECT_FALSE(NeedsExpiryWarning(today + 2, today, 1));
}

}  // namespace
}  // namespace clinic::inventory
