#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace clinic::loadgen {

enum class LoadMode {
  // A fixed number of operations outstanding: each completion starts the next one.
  // Measures the throughput the target sustains; latency is from actual start.
  kClosedLoop,
  // Operations started on a fixed schedule whatever the completions. Latency is measured
  // from each operation's scheduled start, so a stalled target or generator shows up
  // in the percentiles instead of hiding behind fewer samples (coordinated omission).
  kOpenLoop,
};

// How to drive a workload. Operations started during `warmup` are run but not counted;
// those started during the following `duration` are counted, whenever they finish.
struct RunOptions {
  LoadMode mode = LoadMode::kClosedLoop;
  int concurrency = 1;  // kClosedLoop: operations outstanding at all times (>= 1)
  double rate = 0;      // kOpenLoop: operations started per second (> 0)
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
};

// "closed_loop" or "open_loop".
const char* LoadModeName(LoadMode mode);

// INVALID_ARGUMENT naming the setting if `options` cannot be run.
absl::Status Validate(const RunOptions& options);

}  // namespace clinic::loadgen
