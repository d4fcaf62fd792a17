// loadgen: drives a gRPC service with a workload and prints a JSON report.
// The composition root: reads flags, builds channels and the workload, runs, reports.

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "tools/loadgen/channels.h"
#include "tools/loadgen/echo_workload.h"
#include "tools/loadgen/get_patient_workload.h"
#include "tools/loadgen/reserve_workload.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/run_loop.h"

ABSL_FLAG(std::string, target, "", "Server address, e.g. 127.0.0.1:50051 (required).");
ABSL_FLAG(std::string, workload, "echo",
          "Operation to repeat: echo (one Echo RPC), or reserve_release (the inventory service's "
          "ReserveDose then ReleaseReservation; needs a network_admin token to prepare the stock), or "
          "get_patient (the patient service's GetPatient over --patients registered first; needs a "
          "reception token with a clinic).");
ABSL_FLAG(std::string, mode, "closed",
          "closed: --concurrency operations outstanding at all times (throughput); "
          "open: --rate operations started per second whatever the completions, latency "
          "from each scheduled start.");
ABSL_FLAG(int, concurrency, 32, "Closed loop: operations outstanding at all times.");
ABSL_FLAG(double, rate, 1000, "Open loop: operations started per second.");
ABSL_FLAG(int, channels, 4, "gRPC channels, each with its own TCP connection.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "Warm-up run first; its operations are not counted.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured period after the warm-up.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(1), "Deadline of each RPC.");
ABSL_FLAG(bool, wait_for_ready, false,
          "Queue RPCs while the channel is not connected instead of failing them.");
ABSL_FLAG(std::string, token, "",
          "Bearer token sent as 'authorization: Bearer <token>' on every RPC.");
ABSL_FLAG(std::string, token_file, "", "File holding the bearer token (instead of --token).");
ABSL_FLAG(int, payload_bytes, 0, "echo: size of the echoed payload in bytes.");
ABSL_FLAG(std::string, clinic, "loadgen-clinic", "reserve_release: the clinic id (registered if new).");
ABSL_FLAG(std::string, product, "hydroxocobalamin-1mg-1ml", "reserve_release: the product id.");
ABSL_FLAG(int, patients, 100000, "get_patient: patients registered (and read once) before the run.");
ABSL_FLAG(int, prepare_parallelism, 16, "get_patient: CreatePatient calls at a time while preparing.");
ABSL_FLAG(std::string, output, "", "Also write the JSON report to this file.");
ABSL_FLAG(bool, stdout, true, "Print the JSON report on stdout.");

namespace {

using clinic::loadgen::CallSettings;
using clinic::loadgen::LoadMode;
using clinic::loadgen::RunOptions;
using clinic::loadgen::Workload;

int Fail(const std::string& message) {
  std::cerr << "loadgen: " << message << "\n";
  return 2;
}

// The token from --token or --token_file; false with `error` set if unreadable.
bool ReadToken(std::string* token, std::string* error) {
  *token = absl::GetFlag(FLAGS_token);
  const std::string file = absl::GetFlag(FLAGS_token_file);
  if (file.empty()) return true;
  if (!token->empty()) {
    *error = "give --token or --token_file, not both";
    return false;
  }
  std::ifstream in(file);
  if (!in) {
    *error = "--token_file: cannot read " + file;
    return false;
  }
  std::stringstream content;
  content << in.rdbuf();
  *token = std::string(absl::StripAsciiWhitespace(content.str()));
  if (token->empty()) {
    *error = "--token_file: " + file + " is empty";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives a gRPC service with a workload and prints a JSON report.\n"
      "  loadgen --target=127.0.0.1:50051 --mode=closed --concurrency=32 --warmup=2s "
      "--duration=10s\n"
      "  loadgen --target=127.0.0.1:50051 --mode=open --rate=5000 --token_file=token\n"
      "Report: calls, calls_per_second (successful operations/s), errors by status code, "
      "latency_us p50/p90/p99/p99_9/max of successful operations.");
  // --help lists the flags of this file (Abseil would look for a file named loadgen.cc).
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "tools/loadgen/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);

  const std::string target = absl::GetFlag(FLAGS_target);
  if (target.empty()) return Fail("--target is required");
  const int channel_count = absl::GetFlag(FLAGS_channels);
  if (channel_count < 1) return Fail("--channels must be at least 1");
  const absl::Duration deadline = absl::GetFlag(FLAGS_deadline);
  if (deadline <= absl::ZeroDuration()) return Fail("--deadline must be positive");

  RunOptions options;
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "closed") {
    options.mode = LoadMode::kClosedLoop;
  } else if (mode == "open") {
    options.mode = LoadMode::kOpenLoop;
  } else {
    return Fail("--mode must be closed or open, not '" + mode + "'");
  }
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.duration = absl::GetFlag(FLAGS_duration);
  if (absl::Status valid = clinic::loadgen::Validate(options); !valid.ok()) {
    return Fail(std::string(valid.message()));
  }

  CallSettings settings;
  settings.deadline = deadline;
  settings.wait_for_ready = absl::GetFlag(FLAGS_wait_for_ready);
  std::string token;
  std::string error;
  if (!ReadToken(&token, &error)) return Fail(error);
  if (!token.empty()) settings.metadata.emplace_back("authorization", "Bearer " + token);

  const auto channels = clinic::loadgen::MakeChannels(target, channel_count,
                                                      grpc::InsecureChannelCredentials());
  clinic::loadgen::ReportInfo info;
  info.target = target;
  info.channels = channel_count;
  info.deadline = deadline;

  std::unique_ptr<Workload> workload;
  const std::string workload_name = absl::GetFlag(FLAGS_workload);
  if (workload_name == "echo") {
    const int payload_bytes = absl::GetFlag(FLAGS_payload_bytes);
    if (payload_bytes < 0 || payload_bytes > clinic::loadgen::kMaxMessageBytes / 2) {
      return Fail("--payload_bytes must be in [0, 2 MiB]");
    }
    workload = std::make_unique<clinic::loadgen::EchoWorkload>(
        channels, static_cast<std::size_t>(payload_bytes));
    info.workload_params["payload_bytes"] = payload_bytes;
  } else if (workload_name == "reserve_release") {
    auto reserve = std::make_unique<clinic::loadgen::ReserveWorkload>(
        channels, absl::GetFlag(FLAGS_clinic), absl::GetFlag(FLAGS_product),
        absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 1);
    if (absl::Status prepared = reserve->Prepare(settings); !prepared.ok()) {
      return Fail("preparing the stock: " + std::string(prepared.message()));
    }
    info.workload_params["clinic"] = absl::GetFlag(FLAGS_clinic);
    info.workload_params["product"] = absl::GetFlag(FLAGS_product);
    workload = std::move(reserve);
  } else if (workload_name == "get_patient") {
    auto get = std::make_unique<clinic::loadgen::GetPatientWorkload>(channels);
    const int patients = absl::GetFlag(FLAGS_patients);
    const absl::Time prepare_start = absl::Now();
    if (absl::Status prepared = get->Prepare(settings, patients, absl::GetFlag(FLAGS_prepare_parallelism));
        !prepared.ok()) {
      return Fail("preparing the patients: " + std::string(prepared.message()));
    }
    std::cerr << "loadgen: " << patients << " patients registered and read once in "
              << absl::FormatDuration(absl::Now() - prepare_start) << "\n";
    info.workload_params["patients"] = patients;
    workload = std::move(get);
  } else {
    return Fail("--workload must be echo, reserve_release or get_patient, not '" + workload_name + "'");
  }
  info.workload = std::string(workload->Name());

  absl::StatusOr<clinic::loadgen::Stats> stats = RunLoad(*workload, settings, options);
  if (!stats.ok()) return Fail(std::string(stats.status().message()));

  const std::string report = clinic::loadgen::MakeReport(info, options, *stats).dump();
  if (absl::GetFlag(FLAGS_stdout)) std::cout << report << std::endl;
  if (const std::string output = absl::GetFlag(FLAGS_output); !output.empty()) {
    std::ofstream out(output, std::ios::trunc);
    out << report << "\n";
    if (!out.flush()) return Fail("--output: cannot write " + output);
  }
  return 0;
}
