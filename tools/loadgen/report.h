#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tools/loadgen/run_options.h"
#include "tools/loadgen/stats.h"

namespace clinic::loadgen {

// What the report says about the run besides its options and results.
struct ReportInfo {
  std::string workload;  // Workload::Name()
  std::string target;
  int channels = 0;
  absl::Duration deadline;  // per RPC
  // Workload-specific settings, e.g. {"payload_bytes": 0}.
  nlohmann::ordered_json workload_params = nlohmann::ordered_json::object();
};

// The JSON report of one run, keys in this order:
//   workload, workload_params, target, mode ("closed_loop" | "open_loop"),
//   concurrency (closed loop) or rate (open loop, operations/s), channels,
//   warmup_seconds, duration_seconds, deadline_ms,
//   calls (operations counted, any status), ok_calls, error_calls,
//   calls_per_second (ok_calls / duration_seconds),
//   errors ({"UNAVAILABLE": n, ...}, codes with n > 0 only),
//   latency_us ({"p50","p90","p99","p99_9","max","mean"} of successful operations, in
//   microseconds; all 0 when none succeeded).
nlohmann::ordered_json MakeReport(const ReportInfo& info, const RunOptions& options, const Stats& stats);

// The canonical name of a gRPC status code ("DEADLINE_EXCEEDED"), "CODE_<n>" if unknown.
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace clinic::loadgen
