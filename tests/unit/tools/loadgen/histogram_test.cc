#include "tools/loadgen/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace clinic::loadgen {
namespace {

// The recorded value of rank ceil(q/100 * n) (at least 1), as Percentile promises.
std::uint64_t ExactPercentile(std::vector<std::uint64_t> values, double q) {
  std::sort(values.begin(), values.end());
  const auto n = static_cast<double>(values.size());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q / 100.0 * n)));
  return values[std::min(rank, values.size()) - 1];
}

void ExpectWithinBound(std::uint64_t estimate, std::uint64_t exact, double q) {
  const double error = std::abs(static_cast<double>(estimate) - static_cast<double>(exact));
  EXPECT_LE(error, Histogram::kMaxRelativeError * static_cast<double>(exact))
      << "q=" << q << " estimate=" << estimate << " exact=" << exact;
}

// Log-uniform values from 1 to ~1e10: latencies from 1 ns to 10 s.
std::vector<std::uint64_t> LogUniform(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(0.0, 10.0);
  std::vector<std::uint64_t> values;
  values.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    values.push_back(static_cast<std::uint64_t>(std::pow(10.0, exponent(rng))));
  }
  return values;
}

constexpr double kQuantiles[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

TEST(HistogramTest, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  for (double q : kQuantiles) EXPECT_EQ(h.Percentile(q), 0u) << q;
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_EQ(h.Percentile(0), 1u);
  EXPECT_EQ(h.Percentile(1), 1u);
  EXPECT_EQ(h.Percentile(50), 50u);
  EXPECT_EQ(h.Percentile(99), 99u);
  EXPECT_EQ(h.Percentile(100), 100u);
}

TEST(HistogramTest, OneValueIsReportedExactlyAtEveryPercentile) {
  Histogram h;
  h.Record(123'456'789);
  for (double q : kQuantiles) EXPECT_EQ(h.Percentile(q), 123'456'789u) << q;
}

TEST(HistogramTest, OutOfRangeQuantilesAreClamped) {
  Histogram h;
  h.Record(10);
  h.Record(1'000'000);
  EXPECT_EQ(h.Percentile(-5), 10u);
  EXPECT_EQ(h.Percentile(250), 1'000'000u);
}

TEST(HistogramTest, BucketsTileTheRangeWithBoundedWidth) {
  for (std::size_t i = 0; i < Histogram::kBucketCount; ++i) {
    const std::uint64_t low = Histogram::BucketLow(i);
    const std::uint64_t width = Histogram::BucketWidth(i);
    EXPECT_EQ(Histogram::BucketIndex(low), i);
    EXPECT_EQ(Histogram::BucketIndex(low + (width - 1)), i);
    if (i + 1 < Histogram::kBucketCount) {
      EXPECT_EQ(low + width, Histogram::BucketLow(i + 1));
    }
    // Half a bucket is within the bound relative to any value in it.
    EXPECT_LE(static_cast<double>(width / 2),
              Histogram::kMaxRelativeError * static_cast<double>(std::max<std::uint64_t>(low, 1)))
        << i;
  }
  EXPECT_EQ(Histogram::BucketIndex(UINT64_MAX), Histogram::kBucketCount - 1);
}

TEST(HistogramTest, PercentilesWithinRelativeErrorBound) {
  const std::vector<std::uint64_t> values = LogUniform(100'000, 42);
  Histogram h;
  for (std::uint64_t v : values) h.Record(v);
  for (double q : kQuantiles) ExpectWithinBound(h.Percentile(q), ExactPercentile(values, q), q);
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
}

TEST(HistogramTest, HandlesTheLargestValues) {
  Histogram h;
  h.Record(UINT64_MAX);
  h.Record(UINT64_MAX - 1);
  h.Record(std::uint64_t{1} << 63);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(h.Percentile(100), UINT64_MAX);
  ExpectWithinBound(h.Percentile(50), UINT64_MAX - 1, 50);
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  const std::vector<std::uint64_t> values = LogUniform(20'000, 7);
  Histogram all;
  Histogram first;
  Histogram second;
  for (std::size_t i = 0; i < values.size(); ++i) {
    all.Record(values[i]);
    (i % 3 == 0 ? first : second).Record(values[i]);
  }
  first.Merge(second);
  EXPECT_EQ(first.count(), all.count());
  EXPECT_EQ(first.min(), all.min());
  EXPECT_EQ(first.max(), all.max());
  EXPECT_NEAR(first.mean(), all.mean(), 1e-6 * all.mean());
  for (double q : kQuantiles) {
    EXPECT_EQ(first.Percentile(q), all.Percentile(q)) << q;
    ExpectWithinBound(first.Percentile(q), ExactPercentile(values, q), q);
  }
}

TEST(HistogramTest, MergeWithEmpty) {
  Histogram h;
  h.Record(5'000);
  h.Record(7'000);
  Histogram empty;
  h.Merge(empty);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), 5'000u);
  EXPECT_EQ(h.max(), 7'000u);

  Histogram into_empty;
  into_empty.Merge(h);
  EXPECT_EQ(into_empty.count(), 2u);
  EXPECT_EQ(into_empty.min(), 5'000u);
  EXPECT_EQ(into_empty.max(), 7'000u);
  EXPECT_EQ(into_empty.Percentile(50), h.Percentile(50));
}

}  // namespace
}  // namespace clinic::loadgen
