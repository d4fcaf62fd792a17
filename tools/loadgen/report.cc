#include "tools/loadgen/report.h"

#include <cmath>

namespace clinic::loadgen {
namespace {

// Microseconds with nanosecond resolution kept as three decimals.
double Micros(std::uint64_t nanos) { return static_cast<double>(nanos) / 1000.0; }

}  // namespace

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::DO_NOT_USE: break;
  }
  return "CODE_" + std::to_string(static_cast<int>(code));
}

nlohmann::ordered_json MakeReport(const ReportInfo& info, const RunOptions& options, const Stats& stats) {
  nlohmann::ordered_json report;
  report["workload"] = info.workload;
  report["workload_params"] = info.workload_params;
  report["target"] = info.target;
  report["mode"] = LoadModeName(options.mode);
  if (options.mode == LoadMode::kClosedLoop) {
    report["concurrency"] = options.concurrency;
  } else {
    report["rate"] = options.rate;
  }
  report["channels"] = info.channels;
  report["warmup_seconds"] = absl::ToDoubleSeconds(options.warmup);
  report["duration_seconds"] = absl::ToDoubleSeconds(options.duration);
  report["deadline_ms"] = absl::ToDoubleMilliseconds(info.deadline);

  report["calls"] = stats.total();
  report["ok_calls"] = stats.ok();
  report["error_calls"] = stats.total_errors();
  const double seconds = absl::ToDoubleSeconds(options.duration);
  report["calls_per_second"] =
      seconds > 0 ? std::round(static_cast<double>(stats.ok()) / seconds * 10.0) / 10.0 : 0.0;

  nlohmann::ordered_json errors = nlohmann::ordered_json::object();
  for (int i = 1; i < Stats::kCodeCount; ++i) {
    const auto code = static_cast<grpc::StatusCode>(i);
    if (const std::uint64_t n = stats.errors(code); n > 0) errors[StatusCodeName(code)] = n;
  }
  report["errors"] = std::move(errors);

  const Histogram& h = stats.latency_ns();
  report["latency_us"] = {
      {"p50", Micros(h.Percentile(50))},     {"p90", Micros(h.Percentile(90))},
      {"p99", Micros(h.Percentile(99))},     {"p99_9", Micros(h.Percentile(99.9))},
      {"max", Micros(h.max())},              {"mean", std::round(h.mean()) / 1000.0},
  };
  return report;
}

}  // namespace clinic::loadgen
