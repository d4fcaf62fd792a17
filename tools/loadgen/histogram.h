#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace clinic::loadgen {

// A log-linear histogram of non-negative integers (the load generator records latencies
// in nanoseconds).
//
// Values below 2^kSubBucketBits have a bucket each; above, every power-of-two range
// [2^e, 2^(e+1)) is split into 2^kSubBucketBits equal buckets. So a reported percentile
// differs from the true sample value at that rank by at most kMaxRelativeError of it,
// over the whole uint64 range, in a fixed ~60 KB.
//
// Every Histogram has the same layout, so any two can be merged: record on each thread
// into its own histogram and merge at the end.
//
// Not thread-safe: callers serialize access to one instance.
class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  // Bound on |Percentile(q) - exact| / exact, where exact is the recorded value of rank
  // ceil(q/100 * count()).
  static constexpr double kMaxRelativeError = 1.0 / (1 << (kSubBucketBits + 1));

  Histogram();

  void Record(std::uint64_t value);
  // Adds every value recorded in `other`.
  void Merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  // Exact smallest and largest recorded values; 0 when empty.
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  // Exact mean; 0 when empty.
  double mean() const;
  // The value at percentile `q` in [0, 100] (clamped), within kMaxRelativeError;
  // Percentile(100) is max() exactly. 0 when empty.
  std::uint64_t Percentile(double q) const;

  // Bucket layout, exposed for tests.
  static std::size_t BucketIndex(std::uint64_t value);
  static std::uint64_t BucketLow(std::size_t index);
  static std::uint64_t BucketWidth(std::size_t index);
  static constexpr std::size_t kBucketCount = (64 - kSubBucketBits + 1) << kSubBucketBits;

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace clinic::loadgen
