#pragma once

#include <grpcpp/support/status.h>

#include <array>
#include <cstdint>

#include "absl/time/time.h"
#include "tools/loadgen/histogram.h"

namespace clinic::loadgen {

// What a run measured: the latency of each successful operation and the number of failed
// operations by status code. Mergeable like Histogram.
//
// Not thread-safe: callers serialize access to one instance.
class Stats {
 public:
  // grpc::StatusCode values are 0 (OK) .. 16 (UNAUTHENTICATED).
  static constexpr int kCodeCount = 17;

  // An operation that ended with OK after `latency`.
  void RecordOk(absl::Duration latency);
  // An operation that ended with a non-OK `code` (an OK code or an unknown one is
  // counted as UNKNOWN: a workload bug must not vanish from the report).
  void RecordError(grpc::StatusCode code);
  void Merge(const Stats& other);

  // Latencies of successful operations, in nanoseconds.
  const Histogram& latency_ns() const { return latency_ns_; }
  std::uint64_t ok() const { return latency_ns_.count(); }
  std::uint64_t errors(grpc::StatusCode code) const;
  std::uint64_t total_errors() const;
  std::uint64_t total() const { return ok() + total_errors(); }

 private:
  Histogram latency_ns_;
  std::array<std::uint64_t, kCodeCount> errors_{};
};

}  // namespace clinic::loadgen
