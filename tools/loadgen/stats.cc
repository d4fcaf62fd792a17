#include "tools/loadgen/stats.h"

#include <algorithm>

namespace clinic::loadgen {

void Stats::RecordOk(absl::Duration latency) {
  latency_ns_.Record(
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, absl::ToInt64Nanoseconds(latency))));
}

void Stats::RecordError(grpc::StatusCode code) {
  int index = static_cast<int>(code);
  if (index <= 0 || index >= kCodeCount) index = grpc::StatusCode::UNKNOWN;
  ++errors_[static_cast<std::size_t>(index)];
}

void Stats::Merge(const Stats& other) {
  latency_ns_.Merge(other.latency_ns_);
  for (std::size_t i = 0; i < errors_.size(); ++i) errors_[i] += other.errors_[i];
}

std::uint64_t Stats::errors(grpc::StatusCode code) const {
  const int index = static_cast<int>(code);
  if (index <= 0 || index >= kCodeCount) return 0;
  return errors_[static_cast<std::size_t>(index)];
}

std::uint64_t Stats::total_errors() const {
  std::uint64_t total = 0;
  for (std::uint64_t n : errors_) total += n;
  return total;
}

}  // namespace clinic::loadgen
