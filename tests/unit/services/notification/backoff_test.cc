// The backoff rules of the reminder queue: exponential ceilings, full and decorrelated
// jitter, driven by fixed "random" values.

#include "services/notification/queue/backoff.h"

#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace clinic::notification::queue {
namespace {

const absl::Duration kBase = absl::Seconds(1);
const absl::Duration kCap = absl::Minutes(1);

TEST(BackoffCeilingTest, DoublesFromBaseUpToTheCap) {
  EXPECT_EQ(BackoffCeiling(1, kBase, kCap), absl::Seconds(1));
  EXPECT_EQ(BackoffCeiling(2, kBase, kCap), absl::Seconds(2));
  EXPECT_EQ(BackoffCeiling(3, kBase, kCap), absl::Seconds(4));
  EXPECT_EQ(BackoffCeiling(6, kBase, kCap), absl::Seconds(32));
  EXPECT_EQ(BackoffCeiling(7, kBase, kCap), kCap);  // 64 s capped
  EXPECT_EQ(BackoffCeiling(8, kBase, kCap), kCap);
}

TEST(BackoffCeilingTest, HugeAttemptsStayAtTheCapWithoutOverflow) {
  EXPECT_EQ(BackoffCeiling(1000, kBase, kCap), kCap);
  EXPECT_EQ(BackoffCeiling(std::numeric_limits<int>::max(), kBase, kCap), kCap);
  EXPECT_EQ(BackoffCeiling(std::numeric_limits<int>::max(), absl::Nanoseconds(1), absl::Hours(24 * 365)),
            absl::Hours(24 * 365));
}

TEST(BackoffCeilingTest, AttemptsBelowOneCountAsOne) {
  EXPECT_EQ(BackoffCeiling(0, kBase, kCap), kBase);
  EXPECT_EQ(BackoffCeiling(-5, kBase, kCap), kBase);
}

TEST(BackoffCeilingTest, DegenerateBaseAndCap) {
  EXPECT_EQ(BackoffCeiling(3, absl::ZeroDuration(), kCap), absl::ZeroDuration());
  EXPECT_EQ(BackoffCeiling(3, absl::Seconds(10), absl::Seconds(5)), absl::Seconds(5));  // cap wins
}

TEST(NextAttemptDelayTest, NoJitterIsTheCeilingAndDrawsNothing) {
  int draws = 0;
  auto source = [&draws] {
    ++draws;
    return 0.5;
  };
  EXPECT_EQ(NextAttemptDelay(3, kBase, kCap, Jitter::kNone, source), absl::Seconds(4));
  EXPECT_EQ(draws, 0);
}

TEST(NextAttemptDelayTest, FullJitterScalesTheCeilingByTheDraw) {
  EXPECT_EQ(NextAttemptDelay(3, kBase, kCap, Jitter::kFull, [] { return 0.0; }), absl::ZeroDuration());
  EXPECT_EQ(NextAttemptDelay(3, kBase, kCap, Jitter::kFull, [] { return 0.5; }), absl::Seconds(2));
  EXPECT_EQ(NextAttemptDelay(3, kBase, kCap, Jitter::kFull, [] { return 0.25; }), absl::Seconds(1));
  EXPECT_EQ(NextAttemptDelay(20, kBase, kCap, Jitter::kFull, [] { return 0.5; }), absl::Seconds(30));
}

TEST(NextAttemptDelayTest, OutOfRangeDrawsAreClamped) {
  EXPECT_EQ(NextAttemptDelay(2, kBase, kCap, Jitter::kFull, [] { return -3.0; }), absl::ZeroDuration());
  EXPECT_EQ(NextAttemptDelay(2, kBase, kCap, Jitter::kFull, [] { return 7.0; }), absl::Seconds(2));
  EXPECT_EQ(NextAttemptDelay(2, kBase, kCap, Jitter::kFull,
                             [] { return std::numeric_limits<double>::quiet_NaN(); }),
            absl::ZeroDuration());
}

TEST(NextAttemptDelayTest, FullJitterWithARealSourceStaysBelowTheCeiling) {
  std::mt19937_64 engine(42);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  auto source = [&] { return dist(engine); };
  for (int attempt = 1; attempt <= 12; ++attempt) {
    const absl::Duration ceiling = BackoffCeiling(attempt, kBase, kCap);
    absl::Duration smallest = absl::InfiniteDuration();
    absl::Duration largest = absl::ZeroDuration();
    for (int i = 0; i < 200; ++i) {
      const absl::Duration d = NextAttemptDelay(attempt, kBase, kCap, Jitter::kFull, source);
      ASSERT_GE(d, absl::ZeroDuration());
      ASSERT_LE(d, ceiling);
      smallest = std::min(smallest, d);
      largest = std::max(largest, d);
    }
    // Spread over the range, not stuck at one end (200 draws: both ends reached within
    // a quarter of the ceiling with overwhelming probability, and the seed is fixed).
    EXPECT_LT(smallest, ceiling / 4) << "attempt " << attempt;
    EXPECT_GT(largest, ceiling * 3 / 4) << "attempt " << attempt;
  }
}

TEST(DecorrelatedDelayTest, DrawsBetweenBaseAndThreeTimesThePrevious) {
  EXPECT_EQ(DecorrelatedDelay(absl::Seconds(4), kBase, kCap, [] { return 0.0; }), kBase);
  EXPECT_EQ(DecorrelatedDelay(absl::Seconds(4), kBase, kCap, [] { return 1.0; }), absl::Seconds(12));
  EXPECT_EQ(DecorrelatedDelay(absl::Seconds(4), kBase, kCap, [] { return 0.5; }), absl::Seconds(6.5));
}

TEST(DecorrelatedDelayTest, CappedAndPreviousBelowBaseCountsAsBase) {
  EXPECT_EQ(DecorrelatedDelay(absl::Seconds(50), kBase, kCap, [] { return 1.0; }), kCap);
  EXPECT_EQ(DecorrelatedDelay(absl::ZeroDuration(), kBase, kCap, [] { return 1.0; }), absl::Seconds(3));
  EXPECT_EQ(DecorrelatedDelay(absl::InfiniteDuration(), kBase, kCap, [] { return 0.5; }),
            kBase + (kCap - kBase) / 2);
}

TEST(DecorrelatedDelayTest, ASequenceGrowsAndStaysWithinBounds) {
  absl::Duration delay = kBase;
  for (int i = 0; i < 10; ++i) {
    delay = DecorrelatedDelay(delay, kBase, kCap, [] { return 0.9; });
    ASSERT_GE(delay, kBase);
    ASSERT_LE(delay, kCap);
  }
  // 0.9 of the range each time: converges to base + 0.9 × (cap − base) = 54.1 s.
  EXPECT_EQ(delay, kBase + (kCap - kBase) * 0.9);
}

}  // namespace
}  // namespace clinic::notification::queue
