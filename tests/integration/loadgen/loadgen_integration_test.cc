// The load generator against a real bare_echo_server process, and against a port where
// nothing listens. No timing thresholds: only counts and status codes.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/loadgen/channels.h"
#include "tools/loadgen/echo_workload.h"
#include "tools/loadgen/run_loop.h"

namespace clinic::loadgen {
namespace {

using clinic::testing::Process;
using clinic::testing::TempDir;
using clinic::testing::WaitFor;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The address from the server's {"listening":"HOST:PORT"} line, or "" if none yet.
std::string ListeningAddress(const std::string& log_file) {
  std::istringstream lines(ReadFile(log_file));
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && parsed.contains("listening")) {
      return parsed["listening"].get<std::string>();
    }
  }
  return "";
}

// A loopback port bound but not listening for the object's lifetime: connections to it
// are refused, and no other process can take it meanwhile.
class RefusingPort {
 public:
  RefusingPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    auto* generic = reinterpret_cast<sockaddr*>(&addr);
    if (fd_ < 0 || ::bind(fd_, generic, len) != 0 || ::getsockname(fd_, generic, &len) != 0) {
      ADD_FAILURE() << "cannot reserve a loopback port";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_;
  int port_ = 0;
};

class LoadgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_file_ = dir_.File("bare_echo_server.log");
    server_ = std::make_unique<Process>(
        std::vector<std::string>{CLINIC_BARE_ECHO_SERVER, "--port=0"}, log_file_);
    ASSERT_TRUE(WaitFor([&] { return !(address_ = ListeningAddress(log_file_)).empty(); },
                        std::chrono::seconds(20)))
        << ReadFile(log_file_);
  }

  absl::StatusOr<Stats> Run(const std::string& target, const RunOptions& options,
                            const CallSettings& settings = {}) {
    const auto channels = MakeChannels(target, 2, grpc::InsecureChannelCredentials());
    EchoWorkload workload(channels, 64);
    return RunLoad(workload, settings, options);
  }

  TempDir dir_;
  std::string log_file_;
  std::unique_ptr<Process> server_;
  std::string address_;
};

TEST_F(LoadgenTest, ClosedLoopEchoesWithoutErrors) {
  RunOptions options;
  options.mode = LoadMode::kClosedLoop;
  options.concurrency = 8;
  options.warmup = absl::Milliseconds(200);
  options.duration = absl::Seconds(1);
  CallSettings settings;
  settings.deadline = absl::Seconds(5);
  settings.metadata.emplace_back("authorization", "Bearer ignored-by-the-bare-server");

  absl::StatusOr<Stats> stats = Run(address_, options, settings);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->ok(), 0u);
  EXPECT_EQ(stats->total_errors(), 0u);
  EXPECT_GT(stats->latency_ns().Percentile(50), 0u);
}

TEST_F(LoadgenTest, OpenLoopStartsEveryScheduledOperation) {
  RunOptions options;
  options.mode = LoadMode::kOpenLoop;
  options.rate = 200;
  options.warmup = absl::Milliseconds(200);
  options.duration = absl::Seconds(1);
  CallSettings settings;
  settings.deadline = absl::Seconds(5);

  absl::StatusOr<Stats> stats = Run(address_, options, settings);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->total_errors(), 0u);
  // Operations are counted by their scheduled start: 200/s over 1 s, however late the
  // generator or the server ran.
  EXPECT_NEAR(static_cast<double>(stats->ok()), 200.0, 1.0);
}

TEST_F(LoadgenTest, InvalidOptionsAreRejected) {
  RunOptions options;
  options.mode = LoadMode::kOpenLoop;
  options.rate = -1;
  EXPECT_EQ(Run(address_, options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LoadgenTest, BinaryWritesAJsonReport) {
  const std::string output = dir_.File("report.json");
  const std::string token_file = dir_.File("token");
  std::ofstream(token_file) << "a-token\n";
  const int exit_code = clinic::testing::RunCommand(
      {CLINIC_LOADGEN, "--target=" + address_, "--mode=closed", "--concurrency=4",
       "--channels=2", "--warmup=100ms", "--duration=500ms", "--payload_bytes=8",
       "--token_file=" + token_file, "--output=" + output, "--stdout=false"},
      dir_.File("loadgen.log"));
  ASSERT_EQ(exit_code, 0) << ReadFile(dir_.File("loadgen.log"));
  const nlohmann::json report = nlohmann::json::parse(ReadFile(output));
  EXPECT_EQ(report["workload"], "echo");
  EXPECT_EQ(report["mode"], "closed_loop");
  EXPECT_EQ(report["channels"], 2);
  EXPECT_GT(report["calls"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(report["error_calls"], 0);
  EXPECT_GT(report["calls_per_second"].get<double>(), 0.0);
  EXPECT_GT(report["latency_us"]["p99"].get<double>(), 0.0);
}

TEST_F(LoadgenTest, BinaryRejectsBadFlags) {
  EXPECT_NE(clinic::testing::RunCommand({CLINIC_LOADGEN, "--target=" + address_, "--mode=sideways"},
                                        dir_.File("loadgen.log")),
            0);
  EXPECT_NE(clinic::testing::RunCommand({CLINIC_LOADGEN}, dir_.File("loadgen.log")), 0);
}

// Nothing listens on the port: every operation fails, and is counted by its code.
TEST(LoadgenClosedPortTest, FailuresAreReportedByCode) {
  RefusingPort port;
  const auto channels = MakeChannels(port.target(), 2, grpc::InsecureChannelCredentials());
  EchoWorkload workload(channels, 0);
  RunOptions options;
  options.mode = LoadMode::kClosedLoop;
  options.concurrency = 2;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(300);
  CallSettings settings;
  settings.deadline = absl::Milliseconds(200);

  absl::StatusOr<Stats> stats = RunLoad(workload, settings, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->ok(), 0u);
  EXPECT_GT(stats->total_errors(), 0u);
  EXPECT_EQ(stats->errors(grpc::StatusCode::UNAVAILABLE) +
                stats->errors(grpc::StatusCode::DEADLINE_EXCEEDED),
            stats->total_errors());
}

// With wait-for-ready, calls to a port where nothing listens wait out their deadline.
TEST(LoadgenClosedPortTest, WaitForReadyCallsExceedTheirDeadline) {
  RefusingPort port;
  const auto channels = MakeChannels(port.target(), 1, grpc::InsecureChannelCredentials());
  EchoWorkload workload(channels, 0);
  RunOptions options;
  options.mode = LoadMode::kOpenLoop;
  options.rate = 20;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(500);
  CallSettings settings;
  settings.deadline = absl::Milliseconds(100);
  settings.wait_for_ready = true;

  absl::StatusOr<Stats> stats = RunLoad(workload, settings, options);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->ok(), 0u);
  // Due every 50 ms from 0 to 450 ms: ten operations.
  EXPECT_EQ(stats->errors(grpc::StatusCode::DEADLINE_EXCEEDED), 10u);
  EXPECT_EQ(stats->total_errors(), 10u);
}

}  // namespace
}  // namespace clinic::loadgen
