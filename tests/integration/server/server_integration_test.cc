// The echo_server binary as a process: it logs where it listens, answers health and
// authenticated calls, serves /metrics, and on SIGTERM answers NOT_SERVING for the
// shutdown delay, then drains and exits 0. A bad setting stops it with status 2 and a
// message naming the setting.

#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "clinic/echo/v1/echo.grpc.pb.h"
#include "common/auth/jwt.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace clinic {
namespace {

using ::clinic::testing::Process;
using ::clinic::testing::RunCommand;
using ::clinic::testing::TempDir;
using ::clinic::testing::WaitFor;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-integration";
constexpr char kServiceName[] = "clinic.echo.v1.EchoService";
constexpr auto kPatience = std::chrono::seconds(30);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The "listening" log line's fields, once it has been written.
std::optional<nlohmann::json> ListeningLine(const std::string& log_file) {
  std::istringstream lines(ReadFile(log_file));
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && parsed.value("msg", "") == "listening") return parsed;
  }
  return std::nullopt;
}

class EchoServerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.File("hs256.key");
    std::ofstream(key_file_) << kSecret << "\n";
    log_file_ = dir_.File("echo_server.log");
  }

  std::vector<std::string> Command(std::vector<std::string> extra) const {
    std::vector<std::string> argv = {CLINIC_ECHO_SERVER,        "--address=127.0.0.1", "--metrics_address=127.0.0.1",
                                     "--port=0",                "--metrics_port=0",    "--shutdown_delay=2s",
                                     "--jwt_hs256_key_file=" + key_file_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  std::optional<HealthCheckResponse::ServingStatus> Health(const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    if (!stub->Check(&context, request, &response).ok()) return std::nullopt;
    return response.status();
  }

  grpc::Status Echo(const std::string& token) {
    auto stub = clinic::echo::v1::EchoService::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    clinic::echo::v1::EchoRequest request;
    request.set_payload("hello");
    clinic::echo::v1::EchoResponse response;
    return stub->Echo(&context, request, &response);
  }

  std::string Token() const {
    auth::Claims claims;
    claims.subject = "loadgen";
    claims.role = auth::Role::kService;
    claims.issued_at = absl::Now();
    claims.expires_at = absl::Now() + absl::Hours(1);
    return auth::MintHs256(claims, kSecret).value_or("");
  }

  TempDir dir_;
  std::string key_file_;
  std::string log_file_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(EchoServerProcessTest, ServesThenDrainsOnSigtermAndExitsZero) {
  Process server(Command({}), log_file_);
  std::optional<nlohmann::json> listening;
  ASSERT_TRUE(WaitFor([&] { return (listening = ListeningLine(log_file_)).has_value() || !server.Running(); },
                      kPatience));
  ASSERT_TRUE(listening.has_value()) << ReadFile(log_file_);
  const std::string address = listening->value("address", "");
  const int metrics_port = std::stoi(listening->value("metrics_port", "0"));
  ASSERT_THAT(address, ::testing::StartsWith("127.0.0.1:"));
  ASSERT_GT(metrics_port, 0);
  channel_ = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());

  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(kServiceName), HealthCheckResponse::SERVING);
  EXPECT_EQ(Echo("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Echo(Token()).ok());

  {
    httplib::Client metrics("127.0.0.1", metrics_port);
    auto scraped = metrics.Get("/metrics");
    ASSERT_TRUE(scraped);
    EXPECT_THAT(scraped->body, HasSubstr(R"(grpc_server_handled_total{grpc_service="clinic.echo.v1.EchoService",)"
                                         R"(grpc_method="Echo",grpc_code="OK"} 1)"));
    EXPECT_THAT(scraped->body, HasSubstr(R"(grpc_server_handling_seconds_count{)"
                                         R"(grpc_service="clinic.echo.v1.EchoService",grpc_method="Echo"} 2)"));
  }

  server.Signal(SIGTERM);
  EXPECT_TRUE(WaitFor([&] { return Health("") == HealthCheckResponse::NOT_SERVING; }, kPatience))
      << ReadFile(log_file_);
  EXPECT_EQ(server.Wait(kPatience), 0) << ReadFile(log_file_);
}

TEST_F(EchoServerProcessTest, BadSettingExitsWithStatusTwoNamingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--jwt_hs256_key_file=" + dir_.File("no-such.key"), "--jwt_hs256_key_file"},
      {"--port=70000", "--port"},
  };
  for (const auto& [flag, setting] : cases) {
    const std::string log = dir_.File("bad-setting.log");
    std::remove(log.c_str());
    EXPECT_EQ(RunCommand(Command({flag}), log), 2) << flag << "\n" << ReadFile(log);
    EXPECT_THAT(ReadFile(log), HasSubstr(setting)) << flag;
  }
}

}  // namespace
}  // namespace clinic
