// The server bootstrap in-process: health, reflection, authentication, request id and
// trace context, metrics, readiness, shutdown with drain, TLS and mTLS. Real gRPC over
// loopback, port 0; waits poll a condition with a deadline.

#include "common/server/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clinic/echo/v1/echo.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/clock/clock.h"
#include "common/server/call.h"
#include "common/server/call_metadata.h"
#include "common/sync/mutex.h"
#include "common/sync/notification.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "httplib.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/common/server/test_certs.h"

namespace clinic::server {
namespace {

using ::clinic::echo::v1::EchoRequest;
using ::clinic::echo::v1::EchoResponse;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;
using ::clinic::testing::WaitFor;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kServiceName[] = "clinic.echo.v1.EchoService";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test-secret";
constexpr auto kPatience = std::chrono::seconds(20);

// Echoes through the CallRunner and remembers what the handler saw. A payload of
// "block" holds the call until Release().
class TestEchoService final : public clinic::echo::v1::EchoService::Service {
 public:
  explicit TestEchoService(const CallRunner& calls) : calls_(calls) {}

  grpc::Status Echo(grpc::ServerContext* context, const EchoRequest* request, EchoResponse* response) override {
    return calls_.Run(context, [&](const Call& call) {
      sync::MutexLock lock(&mu_);
      last_call_.emplace(call);
      if (request->payload() == "block") {
        ++blocked_;
        while (!released_) released_cv_.Wait(&mu_);
      }
      response->set_payload(request->payload());
      return absl::OkStatus();
    });
  }

  std::optional<Call> last_call() {
    sync::MutexLock lock(&mu_);
    return last_call_;
  }
  int blocked() {
    sync::MutexLock lock(&mu_);
    return blocked_;
  }
  void Release() {
    sync::MutexLock lock(&mu_);
    released_ = true;
    released_cv_.SignalAll();
  }

 private:
  const CallRunner& calls_;
  sync::Mutex mu_;
  sync::CondVar released_cv_;
  std::optional<Call> last_call_ ABSL_GUARDED_BY(mu_);
  int blocked_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.File("hs256.key");
    std::ofstream(key_file_) << kSecret << "\n";
    auth::JwtVerifierOptions jwt;
    jwt.hs256_key_file = key_file_;
    auto verifier = auth::NewJwtVerifier(jwt, clock_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
    calls_ = std::make_unique<CallRunner>(*verifier_);
    service_ = std::make_unique<TestEchoService>(*calls_);
  }

  void TearDown() override {
    service_->Release();
    server_.reset();
  }

  static ServerOptions TestOptions() {
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.metrics_port = -1;
    options.handle_signals = false;
    options.shutdown_delay = absl::ZeroDuration();
    options.drain_timeout = absl::Seconds(10);
    options.readiness_interval = absl::Milliseconds(10);
    return options;
  }

  // Starts the server with the test service; the checks and components are added before
  // Start().
  absl::Status StartServer(ServerOptions options,
                           std::vector<std::pair<std::string, std::function<absl::Status()>>> checks = {},
                           std::vector<std::pair<std::string, std::function<ComponentHealth()>>> components = {}) {
    server_ = std::make_unique<Server>(std::move(options), registry_);
    server_->AddService(service_.get(), kServiceName);
    for (auto& [name, check] : checks) server_->AddReadinessCheck(name, std::move(check));
    for (auto& [name, probe] : components) server_->AddHealthComponent(name, std::move(probe));
    absl::Status started = server_->Start();
    if (started.ok()) channel_ = NewChannel(grpc::InsecureChannelCredentials());
    return started;
  }

  std::shared_ptr<grpc::Channel> NewChannel(const std::shared_ptr<grpc::ChannelCredentials>& credentials) const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), credentials);
  }

  std::string Token(auth::Role role = auth::Role::kPractitioner, absl::Duration valid_for = absl::Hours(1)) const {
    auth::Claims claims;
    claims.subject = "staff-17";
    claims.role = role;
    claims.clinic = "clinic-3";
    claims.issued_at = absl::Now() - absl::Hours(2);
    claims.expires_at = absl::Now() + valid_for;
    auto token = auth::MintHs256(claims, kSecret);
    EXPECT_TRUE(token.ok()) << token.status();
    return token.value_or("");
  }

  struct EchoResult {
    grpc::Status status;
    std::string payload;
    std::multimap<std::string, std::string> headers;  // the server's initial metadata
  };

  EchoResult Echo(const std::vector<std::pair<std::string, std::string>>& metadata, const std::string& payload = "hi",
                  const std::shared_ptr<grpc::Channel>& channel = nullptr) {
    auto stub = clinic::echo::v1::EchoService::NewStub(channel != nullptr ? channel : channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    EchoRequest request;
    request.set_payload(payload);
    EchoResponse response;
    EchoResult result;
    result.status = stub->Echo(&context, request, &response);
    result.payload = response.payload();
    for (const auto& [key, value] : context.GetServerInitialMetadata()) {
      result.headers.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
    }
    return result;
  }

  EchoResult AuthorizedEcho(std::vector<std::pair<std::string, std::string>> metadata = {},
                            const std::string& payload = "hi") {
    metadata.emplace_back("authorization", "Bearer " + Token());
    return Echo(metadata, payload);
  }

  // The health status of `service`, or nullopt when the check itself failed.
  std::optional<HealthCheckResponse::ServingStatus> Health(const std::string& service,
                                                           const std::shared_ptr<grpc::Channel>& channel = nullptr) {
    auto stub = grpc::health::v1::Health::NewStub(channel != nullptr ? channel : channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    last_health_status_ = stub->Check(&context, request, &response);
    if (!last_health_status_.ok()) return std::nullopt;
    return response.status();
  }

  bool AllHealthIs(HealthCheckResponse::ServingStatus expected) {
    return Health("") == expected && Health(kServiceName) == expected;
  }

  std::string Metrics() const {
    httplib::Client client("127.0.0.1", server_->metrics_port());
    auto response = client.Get("/metrics");
    return response && response->status == 200 ? response->body : "";
  }

  // GET `path` on the metrics port: HTTP status and body (0 when it did not answer).
  std::pair<int, std::string> HttpGet(const std::string& path) const {
    httplib::Client client("127.0.0.1", server_->metrics_port());
    auto response = client.Get(path.c_str());
    if (!response) return {0, ""};
    return {response->status, response->body};
  }

  TempDir dir_;
  std::string key_file_;
  SystemClock clock_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<CallRunner> calls_;
  std::unique_ptr<TestEchoService> service_;
  metrics::Registry registry_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::Status last_health_status_;
};

TEST_F(ServerTest, HealthIsServingForTheServerAndTheService) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(kServiceName), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("clinic.nothing.v1.NoSuchService"), std::nullopt);
  EXPECT_EQ(last_health_status_.error_code(), grpc::StatusCode::NOT_FOUND);
}

// grpc.reflection.v1alpha has no C++ stubs in Debian (and a second copy of its descriptors
// would clash with libgrpc++_reflection's), so the request is encoded by hand:
// ServerReflectionRequest{list_services = "*"} is field 7, length-delimited.
TEST_F(ServerTest, ReflectionListsTheServices) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kPatience);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  int tags[5];
  auto step = [&cq](int* tag) {
    void* got = nullptr;
    bool ok = false;
    return cq.Next(&got, &ok) && got == tag && ok;
  };
  call->StartCall(&tags[0]);
  ASSERT_TRUE(step(&tags[0]));
  const std::string request("\x3a\x01*", 3);
  grpc::Slice slice(request);
  call->Write(grpc::ByteBuffer(&slice, 1), &tags[1]);
  ASSERT_TRUE(step(&tags[1]));
  call->WritesDone(&tags[2]);
  ASSERT_TRUE(step(&tags[2]));
  grpc::ByteBuffer response;
  call->Read(&response, &tags[3]);
  ASSERT_TRUE(step(&tags[3]));
  grpc::Status status;
  call->Finish(&status, &tags[4]);
  void* got = nullptr;
  bool ok = false;
  ASSERT_TRUE(cq.Next(&got, &ok));
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&got, &ok)) {
  }

  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(bytes, HasSubstr(kServiceName));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
}

TEST_F(ServerTest, CallWithoutTokenIsUnauthenticated) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  EXPECT_EQ(Echo({}).status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_FALSE(service_->last_call().has_value());
}

TEST_F(ServerTest, BadTokensAreUnauthenticated) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  auth::Claims claims;
  claims.subject = "staff-17";
  claims.role = auth::Role::kPractitioner;
  claims.clinic = "clinic-3";
  claims.issued_at = absl::Now();
  claims.expires_at = absl::Now() + absl::Hours(1);
  const std::string other_key = auth::MintHs256(claims, "another-secret-that-is-long-enough-32").value_or("");
  const std::vector<std::string> bad = {
      "Bearer not-a-jwt",
      "Bearer " + other_key,                                            // signed with another key
      "Bearer " + Token(auth::Role::kPractitioner, -absl::Minutes(5)),  // expired
      "Basic dXNlcjpwYXNz",                                             // not a bearer token
      "Bearer ",
  };
  for (const std::string& authorization : bad) {
    EXPECT_EQ(Echo({{"authorization", authorization}}).status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << authorization;
  }
  EXPECT_FALSE(service_->last_call().has_value());
}

TEST_F(ServerTest, ValidTokenReachesTheHandlerWithItsPrincipal) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  const std::string token = Token(auth::Role::kClinician);
  EchoResult result = Echo({{"authorization", "Bearer " + token}}, "payload-1");
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.payload, "payload-1");
  std::optional<Call> call = service_->last_call();
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->principal().subject, "staff-17");
  EXPECT_EQ(call->principal().role, auth::Role::kClinician);
  EXPECT_EQ(call->principal().clinic, "clinic-3");
  EXPECT_EQ(call->principal().token, token);
}

TEST_F(ServerTest, HandlerSeesTheCallersDeadline) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  const absl::Time sent_deadline = absl::Now() + absl::FromChrono(kPatience);
  ASSERT_TRUE(AuthorizedEcho().status.ok());
  std::optional<Call> call = service_->last_call();
  ASSERT_TRUE(call.has_value());
  // The deadline travels as a relative timeout, rounded up to its unit: allow that.
  EXPECT_LT(call->deadline(), sent_deadline + absl::Seconds(1));
  EXPECT_GT(call->deadline(), absl::Now());
}

TEST_F(ServerTest, GivenRequestIdIsEchoedAndSeenByTheHandler) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  EchoResult result = AuthorizedEcho({{"x-request-id", "req-42.a_b"}});
  ASSERT_TRUE(result.status.ok());
  EXPECT_EQ(result.headers.count(kRequestIdHeader), 1u);
  EXPECT_EQ(result.headers.find(kRequestIdHeader)->second, "req-42.a_b");
  EXPECT_EQ(service_->last_call()->ids().request_id, "req-42.a_b");
}

TEST_F(ServerTest, MissingOrInvalidRequestIdIsReplacedByAUuid) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  const std::string kUuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
  for (const auto& metadata : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {}, {{"x-request-id", "has spaces; and {json}"}}}) {
    EchoResult result = AuthorizedEcho(metadata);
    ASSERT_TRUE(result.status.ok());
    ASSERT_EQ(result.headers.count(kRequestIdHeader), 1u);
    const std::string made = result.headers.find(kRequestIdHeader)->second;
    EXPECT_THAT(made, MatchesRegex(kUuid));
    EXPECT_EQ(service_->last_call()->ids().request_id, made);
  }
}

TEST_F(ServerTest, ValidTraceparentKeepsItsTraceWithANewSpan) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736", parent = "00f067aa0ba902b7";
  ASSERT_TRUE(AuthorizedEcho({{"traceparent", FormatTraceparent(trace, parent)}}).status.ok());
  const log::CallIds ids = service_->last_call()->ids();
  EXPECT_EQ(ids.trace_id, trace);
  EXPECT_THAT(ids.span_id, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_NE(ids.span_id, parent);
}

TEST_F(ServerTest, InvalidTraceparentIsReplacedByANewTrace) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  const std::string zero_trace = FormatTraceparent("00000000000000000000000000000000", "00f067aa0ba902b7");
  for (const std::string& bad : {std::string("garbage"), zero_trace}) {
    ASSERT_TRUE(AuthorizedEcho({{"traceparent", bad}}).status.ok());
    const log::CallIds ids = service_->last_call()->ids();
    EXPECT_THAT(ids.trace_id, MatchesRegex("[0-9a-f]{32}")) << bad;
    EXPECT_NE(ids.trace_id, "00000000000000000000000000000000");
    EXPECT_THAT(ids.span_id, MatchesRegex("[0-9a-f]{16}"));
  }
}

TEST_F(ServerTest, MetricsEndpointCountsCallsByServiceMethodAndCode) {
  ServerOptions options = TestOptions();
  options.metrics_port = 0;
  options.metrics_address = "127.0.0.1";
  ASSERT_THAT(StartServer(options), testing::IsOk());
  ASSERT_GT(server_->metrics_port(), 0);
  ASSERT_TRUE(AuthorizedEcho().status.ok());
  ASSERT_TRUE(AuthorizedEcho().status.ok());
  ASSERT_FALSE(Echo({}).status.ok());
  ASSERT_EQ(Health(""), HealthCheckResponse::SERVING);

  const std::string text = Metrics();
  EXPECT_THAT(text, HasSubstr(R"(grpc_server_handled_total{grpc_service="grpc.health.v1.Health",)"
                              R"(grpc_method="Check",grpc_code="OK"} 1)"));
  const std::string labels = R"(grpc_service="clinic.echo.v1.EchoService",grpc_method="Echo")";
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{" + labels + R"(,grpc_code="OK"} 2)"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handled_total{" + labels + R"(,grpc_code="UNAUTHENTICATED"} 1)"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_count{" + labels + "} 3"));
  EXPECT_THAT(text, HasSubstr("grpc_server_handling_seconds_bucket{" + labels + R"(,le="+Inf"} 3)"));
  EXPECT_THAT(text, HasSubstr("clinic_serving 1"));
}

// Method names are chosen by clients: they must not each make a series.
TEST_F(ServerTest, UnknownMethodsAreUnimplementedWithoutASeriesPerName) {
  ServerOptions options = TestOptions();
  options.metrics_port = 0;
  options.metrics_address = "127.0.0.1";
  ASSERT_THAT(StartServer(options), testing::IsOk());
  grpc::GenericStub stub(channel_);
  for (const char* method : {"/attacker.Chosen/Name1", "/attacker.Chosen/Name2"}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kPatience);
    grpc::Slice empty(std::string(""));
    grpc::ByteBuffer request(&empty, 1), response;
    grpc::Status status;
    sync::Notification done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  const std::string text = Metrics();
  EXPECT_THAT(text, ::testing::Not(HasSubstr("attacker")));
  EXPECT_THAT(text, HasSubstr(R"(grpc_server_handled_total{grpc_service="unknown",grpc_method="unknown",)"
                              R"(grpc_code="UNIMPLEMENTED"} 2)"));
}

TEST_F(ServerTest, FailingReadinessCheckFlipsHealthAndBack) {
  std::atomic<bool> ready{true};
  ASSERT_THAT(StartServer(TestOptions(), {{"database", [&ready] {
                                             return ready ? absl::OkStatus() : absl::UnavailableError("down");
                                           }}}),
              testing::IsOk());
  EXPECT_TRUE(AllHealthIs(HealthCheckResponse::SERVING));
  ready = false;
  EXPECT_TRUE(WaitFor([&] { return AllHealthIs(HealthCheckResponse::NOT_SERVING); }, kPatience));
  ready = true;
  EXPECT_TRUE(WaitFor([&] { return AllHealthIs(HealthCheckResponse::SERVING); }, kPatience));
}

TEST_F(ServerTest, ReadinessIsCheckedBeforeHealthFirstAnswers) {
  ServerOptions options = TestOptions();
  options.readiness_interval = absl::Hours(1);  // only Start() runs the check
  ASSERT_THAT(StartServer(options, {{"database", [] { return absl::UnavailableError("down"); }}}), testing::IsOk());
  EXPECT_TRUE(AllHealthIs(HealthCheckResponse::NOT_SERVING));
}

// A dependency the service survives: its component says so, the service stays SERVING.
TEST_F(ServerTest, HealthComponentIsDetailThatNeverChangesServing) {
  ServerOptions options = TestOptions();
  options.metrics_port = 0;
  sync::Mutex mu;
  ComponentHealth redis{ComponentState::kServing, ""};
  ASSERT_THAT(StartServer(options, {{"database", [] { return absl::OkStatus(); }}},
                          {{"redis_queue", [&] {
                              sync::MutexLock lock(&mu);
                              return redis;
                            }}}),
              testing::IsOk());
  const std::string component = absl::StrCat(kServiceName, "/redis_queue");
  EXPECT_EQ(Health(component), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(absl::StrCat(kServiceName, "/database")), HealthCheckResponse::SERVING);
  EXPECT_EQ(HttpGet("/healthz"),
            std::make_pair(200, std::string(R"({"status":"SERVING","components":{"database":{"status":"SERVING"},)"
                                            R"("redis_queue":{"status":"SERVING"}}})")));
  {
    sync::MutexLock lock(&mu);
    redis = {ComponentState::kNotServing, "unreachable since 2026-11-25T13:02:11Z"};
  }
  EXPECT_TRUE(WaitFor([&] { return Health(component) == HealthCheckResponse::NOT_SERVING; }, kPatience));
  EXPECT_TRUE(AllHealthIs(HealthCheckResponse::SERVING));
  EXPECT_EQ(HttpGet("/healthz"),
            std::make_pair(200, std::string(R"({"status":"SERVING","components":{"database":{"status":"SERVING"},)"
                                            R"("redis_queue":{"status":"NOT_SERVING",)"
                                            R"("detail":"unreachable since 2026-11-25T13:02:11Z"}}})")));
  {
    sync::MutexLock lock(&mu);
    redis = {ComponentState::kServing, ""};
  }
  EXPECT_TRUE(WaitFor([&] { return Health(component) == HealthCheckResponse::SERVING; }, kPatience));
}

// A failing readiness check is a NOT_SERVING component with its message, and /healthz
// answers 503 while it fails; /livez answers 200 regardless.
TEST_F(ServerTest, FailingReadinessCheckIsShownOnHealthzWith503) {
  ServerOptions options = TestOptions();
  options.metrics_port = 0;
  std::atomic<bool> ready{true};
  ASSERT_THAT(StartServer(options, {{"database", [&ready] {
                                       return ready ? absl::OkStatus() : absl::UnavailableError("connection refused");
                                     }}}),
              testing::IsOk());
  EXPECT_EQ(HttpGet("/healthz").first, 200);
  ready = false;
  EXPECT_TRUE(WaitFor([&] { return HttpGet("/healthz").first == 503; }, kPatience));
  EXPECT_EQ(HttpGet("/healthz").second,
            R"({"status":"NOT_SERVING","components":{"database":{"status":"NOT_SERVING","detail":"connection refused"}}})");
  EXPECT_EQ(Health(absl::StrCat(kServiceName, "/database")), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(HttpGet("/livez").first, 200);
  ready = true;
  EXPECT_TRUE(WaitFor([&] { return HttpGet("/healthz").first == 200; }, kPatience));
  EXPECT_EQ(Health(absl::StrCat(kServiceName, "/database")), HealthCheckResponse::SERVING);
}

TEST_F(ServerTest, BadOrRepeatedComponentNamesDoNotStart) {
  EXPECT_THAT(StartServer(TestOptions(), {}, {{"Redis Queue", [] { return ComponentHealth{}; }}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StartServer(TestOptions(), {{"database", [] { return absl::OkStatus(); }}},
                          {{"database", [] { return ComponentHealth{}; }}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ServerTest, ShutdownAnswersNotServingThenDrainsInFlightCalls) {
  ServerOptions options = TestOptions();
  options.shutdown_delay = absl::Seconds(2);
  ASSERT_THAT(StartServer(options), testing::IsOk());

  EchoResult slow;
  std::thread caller([&] { slow = AuthorizedEcho({}, "block"); });
  ASSERT_TRUE(WaitFor([&] { return service_->blocked() == 1; }, kPatience));

  server_->RequestShutdown();
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    server_->WaitForShutdown();
    returned = true;
  });
  // During the shutdown delay the server still answers, NOT_SERVING.
  EXPECT_TRUE(WaitFor([&] { return AllHealthIs(HealthCheckResponse::NOT_SERVING); }, kPatience));
  // Then it stops accepting calls (a new connection fails) while the slow call is held...
  EXPECT_TRUE(WaitFor([&] { return !Health("", NewChannel(grpc::InsecureChannelCredentials())).has_value(); },
                      kPatience));
  EXPECT_FALSE(returned);
  // ...which still completes, after which WaitForShutdown returns.
  service_->Release();
  caller.join();
  waiter.join();
  EXPECT_TRUE(slow.status.ok()) << slow.status.error_message();
  EXPECT_EQ(slow.payload, "block");
  EXPECT_TRUE(returned);
}

TEST_F(ServerTest, WaitForShutdownMayBeCalledFromSeveralThreads) {
  ASSERT_THAT(StartServer(TestOptions()), testing::IsOk());
  std::vector<std::thread> waiters;
  std::atomic<int> returned{0};
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([&] {
      server_->WaitForShutdown();
      ++returned;
    });
  }
  server_->RequestShutdown();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(returned, 3);
  EXPECT_FALSE(Health("", NewChannel(grpc::InsecureChannelCredentials())).has_value());
}

TEST_F(ServerTest, UnreadableTlsFileIsAnInvalidArgumentNamingTheSetting) {
  ServerOptions options = TestOptions();
  options.tls_cert_file = dir_.File("missing.pem");
  options.tls_key_file = dir_.File("missing.key");
  EXPECT_THAT(StartServer(options), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls_cert_file")));
}

class TlsServerTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_TRUE(clinic::testing::MakeTestCerts(dir_, &certs_)) << ReadAll(dir_.File("openssl.log"));
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(bool with_client_cert) const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadAll(certs_.ca);
    if (with_client_cert) {
      ssl.pem_cert_chain = ReadAll(certs_.client_cert);
      ssl.pem_private_key = ReadAll(certs_.client_key);
    }
    return grpc::SslCredentials(ssl);
  }

  ServerOptions TlsOptions(bool mtls) const {
    ServerOptions options = TestOptions();
    options.tls_cert_file = certs_.server_cert;
    options.tls_key_file = certs_.server_key;
    if (mtls) options.tls_client_ca_file = certs_.ca;
    return options;
  }

  grpc::StatusCode EchoOver(const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
    return Echo({{"authorization", "Bearer " + Token()}}, "hi", NewChannel(credentials)).status.error_code();
  }

  clinic::testing::TestCerts certs_;
};

TEST_F(TlsServerTest, TlsServesClientsThatTrustTheCa) {
  ASSERT_THAT(StartServer(TlsOptions(/*mtls=*/false)), testing::IsOk());
  EXPECT_EQ(EchoOver(Tls(false)), grpc::StatusCode::OK);
}

TEST_F(TlsServerTest, PlaintextClientFailsAgainstTls) {
  ASSERT_THAT(StartServer(TlsOptions(/*mtls=*/false)), testing::IsOk());
  EXPECT_EQ(EchoOver(grpc::InsecureChannelCredentials()), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsServerTest, MtlsRefusesClientsWithoutACertificate) {
  ASSERT_THAT(StartServer(TlsOptions(/*mtls=*/true)), testing::IsOk());
  EXPECT_EQ(EchoOver(Tls(/*with_client_cert=*/false)), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(EchoOver(Tls(/*with_client_cert=*/true)), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace clinic::server
