#include "services/inventory/domain/fefo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace clinic::inventory {
namespace {

using ::testing::Optional;

constexpr absl::CivilDay kUseDay(2026, 3, 29);

LotCandidate Lot(std::string id, absl::CivilDay expiry, int64_t available, bool recalled = false) {
  return LotCandidate{.lot_id = std::move(id), .expiry_date = expiry, .recalled = recalled, .available = available};
}

TEST(PickLotTest, NoLotsNoPick) {
  EXPECT_EQ(PickLot({}, kUseDay, 1), std::nullopt);
}

TEST(PickLotTest, PicksTheEarliestExpiry) {
  const std::vector<LotCandidate> lots = {Lot("a", absl::CivilDay(2026, 9, 1), 5),
                                          Lot("b", absl::CivilDay(2026, 4, 1), 5),
                                          Lot("c", absl::CivilDay(2026, 6, 1), 5)};
  EXPECT_THAT(PickLot(lots, kUseDay, 1), Optional(size_t{1}));
}

TEST(PickLotTest, ALotExpiringOnTheUseDayIsUsable) {
  const std::vector<LotCandidate> lots = {Lot("later", absl::CivilDay(2026, 4, 1), 5),
                                          Lot("today", kUseDay, 5)};
  EXPECT_THAT(PickLot(lots, kUseDay, 1), Optional(size_t{1}));
}

TEST(PickLotTest, ALotExpiringTheDayBeforeUseIsSkipped) {
  const std::vector<LotCandidate> lots = {Lot("yesterday", kUseDay - 1, 5),
                                          Lot("later", absl::CivilDay(2026, 4, 1), 5)};
  EXPECT_THAT(PickLot(lots, kUseDay, 1), Optional(size_t{1}));
  EXPECT_EQ(PickLot({lots.data(), 1}, kUseDay, 1), std::nullopt);
}

TEST(PickLotTest, SkipsRecalledLots) {
  const std::vector<LotCandidate> lots = {Lot("recalled", absl::CivilDay(2026, 4, 1), 5, /*recalled=*/true),
                                          Lot("ok", absl::CivilDay(2026, 6, 1), 5)};
  EXPECT_THAT(PickLot(lots, kUseDay, 1), Optional(size_t{1}));
  EXPECT_EQ(PickLot({lots.data(), 1}, kUseDay, 1), std::nullopt);
}

TEST(PickLotTest, SkipsLotsWithoutEnoughAvailable) {
  const std::vector<LotCandidate> lots = {Lot("short", absl::CivilDay(2026, 4, 1), 1),
                                          Lot("none", absl::CivilDay(2026, 4, 2), 0),
                                          Lot("enough", absl::CivilDay(2026, 6, 1), 2)};
  EXPECT_THAT(PickLot(lots, kUseDay, 2), Optional(size_t{2}));
  EXPECT_THAT(PickLot(lots, kUseDay, 1), Optional(size_t{0}));
  EXPECT_EQ(PickLot(lots, kUseDay, 3), std::nullopt);
}

TEST(PickLotTest, ExactlyTheQuantityAvailableIsEnough) {
  const std::vector<LotCandidate> lots = {Lot("a", absl::CivilDay(2026, 4, 1), 3)};
  EXPECT_THAT(PickLot(lots, kUseDay, 3), Optional(size_t{0}));
  EXPECT_EQ(PickLot(lots, kUseDay, 4), std::nullopt);
}

TEST(PickLotTest, NeverCombinesLots) {
  const std::vector<LotCandidate> lots = {Lot("a", absl::CivilDay(2026, 4, 1), 1),
                                          Lot("b", absl::CivilDay(2026, 4, 1), 1)};
  EXPECT_EQ(PickLot(lots, kUseDay, 2), std::nullopt);
}

TEST(PickLotTest, TieOnExpiryGoesToTheSmallerLotId) {
  const std::vector<LotCandidate> lots = {Lot("lot-b", absl::CivilDay(2026, 4, 1), 5),
                                          Lot("lot-a", absl::CivilDay(2026, 4, 1), 5),
                                          Lot("lot-c", absl::CivilDay(2026, 4, 1), 5)};
  EXPECT_THAT(PickLot(lots, kUseDay, 1), Optional(size_t{1}));
}

TEST(PickLotTest, ChoiceDoesNotDependOnInputOrder) {
  std::vector<LotCandidate> lots = {Lot("x2", absl::CivilDay(2026, 5, 1), 5), Lot("x1", absl::CivilDay(2026, 5, 1), 5),
                                    Lot("early", absl::CivilDay(2026, 4, 1), 5, /*recalled=*/true),
                                    Lot("expired", kUseDay - 1, 5), Lot("late", absl::CivilDay(2027, 1, 1), 5)};
  for (int rotation = 0; rotation < 5; ++rotation) {
    const std::optional<size_t> pick = PickLot(lots, kUseDay, 1);
    ASSERT_TRUE(pick.has_value());
    EXPECT_EQ(lots[*pick].lot_id, "x1") << rotation;
    std::rotate(lots.begin(), lots.begin() + 1, lots.end());
  }
}

TEST(PickLotTest, AllUnusableNoPick) {
  const std::vector<LotCandidate> lots = {Lot("recalled", absl::CivilDay(2026, 9, 1), 5, /*recalled=*/true),
                                          Lot("expired", kUseDay - 1, 5), Lot("empty", absl::CivilDay(2026, 9, 1), 0)};
  EXPECT_EQ(PickLot(lots, kUseDay, 1), std::nullopt);
}

// A later use day makes an earlier-expiring lot unusable: the pick moves to the next.
TEST(PickLotTest, DependsOnTheUseDay) {
  const std::vector<LotCandidate> lots = {Lot("april", absl::CivilDay(2026, 4, 1), 5),
                                          Lot("june", absl::CivilDay(2026, 6, 1), 5)};
  EXPECT_THAT(PickLot(lots, absl::CivilDay(2026, 4, 1), 1), Optional(size_t{0}));
  EXPECT_THAT(PickLot(lots, absl::CivilDay(2026, 4, 2), 1), Optional(size_t{1}));
  EXPECT_EQ(PickLot(lots, absl::CivilDay(2026, 6, 2), 1), std::nullopt);
}

}  // namespace
}  // namespace clinic::inventory
