#pragma once

#include "absl/status/statusor.h"
#include "tools/loadgen/run_options.h"
#include "tools/loadgen/stats.h"
#include "tools/loadgen/workload.h"

namespace clinic::loadgen {

// Drives `workload` as `options` say and returns what the measured window saw: the
// operations whose (scheduled, in open loop) start fell in
// [start + warmup, start + warmup + duration), each counted when it finishes.
//
// Blocks for warmup + duration, then until every started operation has finished (each
// RPC has a deadline, so this ends). INVALID_ARGUMENT if the options are invalid.
// Time is the real steady clock: latencies of real RPCs are what this measures.
absl::StatusOr<Stats> RunLoad(Workload& workload, const CallSettings& settings,
                              const RunOptions& options);

}  // namespace clinic::loadgen
