#include "tools/loadgen/report.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/loadgen/run_options.h"
#include "tools/loadgen/stats.h"

namespace clinic::loadgen {
namespace {

ReportInfo Info() {
  ReportInfo info;
  info.workload = "echo";
  info.target = "127.0.0.1:5000";
  info.channels = 4;
  info.deadline = absl::Milliseconds(250);
  info.workload_params["payload_bytes"] = 16;
  return info;
}

RunOptions ClosedLoop() {
  RunOptions options;
  options.mode = LoadMode::kClosedLoop;
  options.concurrency = 32;
  options.warmup = absl::Seconds(2);
  options.duration = absl::Seconds(4);
  return options;
}

TEST(ReportTest, ClosedLoopReportHasTheRunAndItsResults) {
  Stats stats;
  // 1000 successes of 1..1000 us.
  for (int us = 1; us <= 1000; ++us) stats.RecordOk(absl::Microseconds(us));
  stats.RecordError(grpc::StatusCode::UNAVAILABLE);
  stats.RecordError(grpc::StatusCode::UNAVAILABLE);
  stats.RecordError(grpc::StatusCode::DEADLINE_EXCEEDED);

  const nlohmann::ordered_json report = MakeReport(Info(), ClosedLoop(), stats);

  EXPECT_EQ(report["workload"], "echo");
  EXPECT_EQ(report["workload_params"]["payload_bytes"], 16);
  EXPECT_EQ(report["target"], "127.0.0.1:5000");
  EXPECT_EQ(report["mode"], "closed_loop");
  EXPECT_EQ(report["concurrency"], 32);
  EXPECT_FALSE(report.contains("rate"));
  EXPECT_EQ(report["channels"], 4);
  EXPECT_EQ(report["warmup_seconds"], 2.0);
  EXPECT_EQ(report["duration_seconds"], 4.0);
  EXPECT_EQ(report["deadline_ms"], 250.0);
  EXPECT_EQ(report["calls"], 1003);
  EXPECT_EQ(report["ok_calls"], 1000);
  EXPECT_EQ(report["error_calls"], 3);
  EXPECT_EQ(report["calls_per_second"], 250.0);
  EXPECT_EQ(report["errors"], (nlohmann::ordered_json{{"DEADLINE_EXCEEDED", 1}, {"UNAVAILABLE", 2}}));

  const nlohmann::ordered_json& latency = report["latency_us"];
  const double bound = Histogram::kMaxRelativeError;
  EXPECT_NEAR(latency["p50"].get<double>(), 500.0, 500.0 * bound);
  EXPECT_NEAR(latency["p90"].get<double>(), 900.0, 900.0 * bound);
  EXPECT_NEAR(latency["p99"].get<double>(), 990.0, 990.0 * bound);
  EXPECT_NEAR(latency["p99_9"].get<double>(), 999.0, 999.0 * bound);
  EXPECT_EQ(latency["max"].get<double>(), 1000.0);
  EXPECT_NEAR(latency["mean"].get<double>(), 500.5, 0.001);
}

TEST(ReportTest, OpenLoopReportsRateNotConcurrency) {
  RunOptions options = ClosedLoop();
  options.mode = LoadMode::kOpenLoop;
  options.rate = 1500;
  const nlohmann::ordered_json report = MakeReport(Info(), options, Stats());
  EXPECT_EQ(report["mode"], "open_loop");
  EXPECT_EQ(report["rate"], 1500.0);
  EXPECT_FALSE(report.contains("concurrency"));
}

TEST(ReportTest, EmptyRunReportsZeros) {
  const nlohmann::ordered_json report = MakeReport(Info(), ClosedLoop(), Stats());
  EXPECT_EQ(report["calls"], 0);
  EXPECT_EQ(report["calls_per_second"], 0.0);
  EXPECT_TRUE(report["errors"].is_object());
  EXPECT_TRUE(report["errors"].empty());
  for (const char* key : {"p50", "p90", "p99", "p99_9", "max", "mean"}) {
    EXPECT_EQ(report["latency_us"][key], 0.0) << key;
  }
}

TEST(ReportTest, ReportSurvivesADumpAndParse) {
  Stats stats;
  stats.RecordOk(absl::Microseconds(42));
  const nlohmann::ordered_json report = MakeReport(Info(), ClosedLoop(), stats);
  EXPECT_EQ(nlohmann::ordered_json::parse(report.dump()), report);
}

TEST(ReportTest, KeysComeInTheDocumentedOrder) {
  const nlohmann::ordered_json report = MakeReport(Info(), ClosedLoop(), Stats());
  std::vector<std::string> keys;
  for (const auto& item : report.items()) {
    keys.push_back(item.key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "workload", "workload_params", "target", "mode", "concurrency",
                      "channels", "warmup_seconds", "duration_seconds", "deadline_ms", "calls",
                      "ok_calls", "error_calls", "calls_per_second", "errors", "latency_us"}));
}

TEST(StatsTest, AnOkOrUnknownCodeCountsAsUnknownError) {
  Stats stats;
  stats.RecordError(grpc::StatusCode::OK);
  stats.RecordError(static_cast<grpc::StatusCode>(99));
  EXPECT_EQ(stats.errors(grpc::StatusCode::UNKNOWN), 2u);
  EXPECT_EQ(stats.ok(), 0u);
  EXPECT_EQ(stats.total(), 2u);
}

TEST(StatsTest, MergeAddsLatenciesAndErrors) {
  Stats a;
  Stats b;
  a.RecordOk(absl::Microseconds(10));
  b.RecordOk(absl::Microseconds(30));
  b.RecordError(grpc::StatusCode::UNAUTHENTICATED);
  a.Merge(b);
  EXPECT_EQ(a.ok(), 2u);
  EXPECT_EQ(a.errors(grpc::StatusCode::UNAUTHENTICATED), 1u);
  EXPECT_EQ(a.latency_ns().max(), 30'000u);
  EXPECT_EQ(a.latency_ns().min(), 10'000u);
}

TEST(StatusCodeNameTest, CanonicalNames) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(42)), "CODE_42");
}

TEST(RunOptionsTest, ValidateNamesTheBadSetting) {
  RunOptions options = ClosedLoop();
  EXPECT_TRUE(Validate(options).ok());
  options.concurrency = 0;
  EXPECT_EQ(Validate(options).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(Validate(options).message().find("concurrency"), std::string::npos);

  options = ClosedLoop();
  options.mode = LoadMode::kOpenLoop;
  options.rate = 0;
  EXPECT_NE(Validate(options).message().find("rate"), std::string::npos);

  options = ClosedLoop();
  options.duration = absl::ZeroDuration();
  EXPECT_NE(Validate(options).message().find("duration"), std::string::npos);

  options = ClosedLoop();
  options.warmup = -absl::Seconds(1);
  EXPECT_NE(Validate(options).message().find("warmup"), std::string::npos);
}

}  // namespace
}  // namespace clinic::loadgen
