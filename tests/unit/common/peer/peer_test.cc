// Outgoing peer calls against a real in-process gRPC server that fails, blocks or
// answers as each test scripts it and records the metadata and deadline of every
// attempt. No sleeps to wait and no timing thresholds: counts, codes and metadata.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clinic/echo/v1/echo.grpc.pb.h"
#include "common/auth/jwt.h"
#include "common/peer/channel.h"
#include "common/peer/peer_call.h"
#include "common/peer/token_source.h"
#include "common/server/call_metadata.h"
#include "common/server/server.h"
#include "common/status/grpc_status.h"
#include "common/status/status.h"
#include "common/sync/mutex.h"
#include "common/sync/notification.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/common/server/test_certs.h"

namespace clinic::peer {
namespace {

using ::clinic::echo::v1::EchoRequest;
using ::clinic::echo::v1::EchoResponse;
using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kMethod[] = "clinic.echo.v1.EchoService/Echo";
constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-peer-secret";
constexpr char kUuid[] = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

// What one attempt carried.
struct Attempt {
  std::optional<std::string> authorization;
  std::optional<std::string> request_id;
  std::optional<std::string> traceparent;
  absl::Time deadline;
};

// Answers each call with the next scripted outcome (OK once the script is used up).
// kBlock holds the call until the client gives up on it.
class ScriptedEchoService final : public clinic::echo::v1::EchoService::Service {
 public:
  static constexpr grpc::StatusCode kBlock = grpc::StatusCode::DO_NOT_USE;

  void Script(std::vector<grpc::StatusCode> outcomes) {
    sync::MutexLock lock(&mu_);
    script_.assign(outcomes.begin(), outcomes.end());
  }
  std::vector<Attempt> attempts() {
    sync::MutexLock lock(&mu_);
    return attempts_;
  }
  // Ends blocked calls (test teardown).
  void Stop() { stop_.Notify(); }

  grpc::Status Echo(grpc::ServerContext* context, const EchoRequest* request, EchoResponse* response) override {
    grpc::StatusCode outcome = grpc::StatusCode::OK;
    {
      sync::MutexLock lock(&mu_);
      Attempt attempt;
      attempt.authorization = Get(*context, server::kAuthorizationHeader);
      attempt.request_id = Get(*context, server::kRequestIdHeader);
      attempt.traceparent = Get(*context, server::kTraceparentHeader);
      attempt.deadline = absl::FromChrono(context->deadline());
      attempts_.push_back(attempt);
      if (!script_.empty()) {
        outcome = script_.front();
        script_.pop_front();
      }
    }
    switch (outcome) {
      case grpc::StatusCode::OK:
        response->set_payload(request->payload());
        return grpc::Status::OK;
      case kBlock:
        // Polls for the client's cancellation: the sync API has no callback for it.
        while (!context->IsCancelled() && !stop_.WaitForNotificationWithTimeout(absl::Milliseconds(5))) {
        }
        return grpc::Status(grpc::StatusCode::CANCELLED, "gave up");
      case grpc::StatusCode::INVALID_ARGUMENT:
        return status::ToGrpcStatus(status::InvalidField("patient.phone", "must be in E.164 form"));
      default:
        return grpc::Status(outcome, "scripted failure");
    }
  }

 private:
  static std::optional<std::string> Get(const grpc::ServerContext& context, const char* key) {
    auto it = context.client_metadata().find(key);
    if (it == context.client_metadata().end()) return std::nullopt;
    return std::string(it->second.data(), it->second.size());
  }

  sync::Mutex mu_;
  std::deque<grpc::StatusCode> script_ ABSL_GUARDED_BY(mu_);
  std::vector<Attempt> attempts_ ABSL_GUARDED_BY(mu_);
  sync::Notification stop_;
};

// A TokenSource that always fails.
class FailingTokenSource final : public TokenSource {
 public:
  absl::StatusOr<std::string> Token() override { return absl::UnavailableError("no token today"); }
};

class PeerCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.File("hs256.key");
    std::ofstream(key_file_) << kSecret;
    StartServer(grpc::InsecureServerCredentials());
    ChannelOptions options;
    options.name = "echo";
    options.address = address_;
    auto channel = NewChannel(options);
    ASSERT_THAT(channel, IsOk());
    stub_ = clinic::echo::v1::EchoService::NewStub(*channel);
  }

  void TearDown() override {
    service_.Stop();
    if (server_ != nullptr) server_->Shutdown();
  }

  void StartServer(const std::shared_ptr<grpc::ServerCredentials>& credentials) {
    if (server_ != nullptr) server_->Shutdown();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  static CallSpec Spec(bool idempotent) {
    CallSpec spec;
    spec.method = kMethod;
    spec.idempotent = idempotent;
    spec.timeout = absl::Seconds(30);
    spec.retry.max_attempts = 5;
    spec.retry.initial_backoff = absl::Milliseconds(1);
    spec.retry.max_backoff = absl::Milliseconds(4);
    return spec;
  }

  // A call being served by this service, made by a practitioner.
  static server::Call CallerCall(absl::Time deadline = absl::InfiniteFuture(), std::string token = "caller-token") {
    auth::Principal principal;
    principal.subject = "staff-17";
    principal.role = auth::Role::kPractitioner;
    principal.clinic = "clinic-3";
    principal.token = std::move(token);
    log::CallIds ids;
    ids.request_id = "req-from-the-front-desk";
    ids.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    ids.span_id = "00f067aa0ba902b7";
    return server::Call(std::move(principal), std::move(ids), deadline);
  }

  absl::Status CallEcho(const Origin& origin, const CallSpec& spec,
                        clinic::echo::v1::EchoService::StubInterface* stub = nullptr) {
    if (stub == nullptr) stub = stub_.get();
    EchoRequest request;
    request.set_payload("ping");
    EchoResponse response;
    absl::Status result = CallPeer(origin, spec, [&](grpc::ClientContext& context) {
      return stub->Echo(&context, request, &response);
    });
    if (result.ok()) {
      EXPECT_EQ(response.payload(), "ping");
    }
    return result;
  }

  std::unique_ptr<TokenSource> ServiceTokens(const Clock& clock) {
    Hs256TokenOptions options;
    options.key_file = key_file_;
    options.service_name = "scheduling";
    auto tokens = NewHs256TokenSource(options, clock);
    EXPECT_THAT(tokens, IsOk());
    return tokens.ok() ? *std::move(tokens) : nullptr;
  }

  absl::StatusOr<auth::Principal> VerifyWith(const Clock& clock, const std::string& token) {
    auth::JwtVerifierOptions options;
    options.hs256_key_file = key_file_;
    options.cache_capacity = 0;
    auto verifier = auth::NewJwtVerifier(options, clock);
    if (!verifier.ok()) return verifier.status();
    return (*verifier)->Verify(token);
  }

  TempDir dir_;
  std::string key_file_;
  ScriptedEchoService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<clinic::echo::v1::EchoService::Stub> stub_;
};

TEST_F(PeerCallTest, IdempotentCallIsRetriedOnUnavailableUntilItSucceeds) {
  service_.Script({grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::UNAVAILABLE});
  EXPECT_THAT(CallEcho(Origin::ForCaller(CallerCall()), Spec(/*idempotent=*/true)), IsOk());
  EXPECT_EQ(service_.attempts().size(), 3u);
}

TEST_F(PeerCallTest, NonIdempotentCallIsNeverRetried) {
  for (auto code : {grpc::StatusCode::UNAVAILABLE, ScriptedEchoService::kBlock}) {
    service_.Script({code});
    CallSpec spec = Spec(/*idempotent=*/false);
    spec.attempt_timeout = absl::Milliseconds(100);
    const size_t before = service_.attempts().size();
    const absl::Status result = CallEcho(Origin::ForCaller(CallerCall()), spec);
    EXPECT_EQ(service_.attempts().size(), before + 1);
    EXPECT_EQ(static_cast<int>(result.code()),
              static_cast<int>(code == ScriptedEchoService::kBlock ? grpc::StatusCode::DEADLINE_EXCEEDED : code));
  }
}

TEST_F(PeerCallTest, RetriesStopAfterMaxAttempts) {
  service_.Script(std::vector<grpc::StatusCode>(10, grpc::StatusCode::UNAVAILABLE));
  CallSpec spec = Spec(/*idempotent=*/true);
  spec.retry.max_attempts = 3;
  EXPECT_THAT(CallEcho(Origin::ForCaller(CallerCall()), spec), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(service_.attempts().size(), 3u);
}

TEST_F(PeerCallTest, OnlyUnavailableAndDeadlineExceededAreRetried) {
  for (auto code : {grpc::StatusCode::ABORTED, grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::INTERNAL,
                    grpc::StatusCode::NOT_FOUND, grpc::StatusCode::INVALID_ARGUMENT}) {
    service_.Script({code});
    const size_t before = service_.attempts().size();
    const absl::Status result = CallEcho(Origin::ForCaller(CallerCall()), Spec(/*idempotent=*/true));
    EXPECT_EQ(static_cast<int>(result.code()), static_cast<int>(code));
    EXPECT_EQ(service_.attempts().size(), before + 1) << result;
  }
}

TEST_F(PeerCallTest, SlowAttemptOfAnIdempotentCallIsRetriedWithinTheOverallDeadline) {
  service_.Script({ScriptedEchoService::kBlock});
  CallSpec spec = Spec(/*idempotent=*/true);
  spec.attempt_timeout = absl::Milliseconds(100);
  EXPECT_THAT(CallEcho(Origin::ForCaller(CallerCall()), spec), IsOk());
  EXPECT_EQ(service_.attempts().size(), 2u);
}

TEST_F(PeerCallTest, NeverRunsPastTheCallersDeadline) {
  service_.Script(std::vector<grpc::StatusCode>(100, ScriptedEchoService::kBlock));
  const absl::Time callers_deadline = absl::Now() + absl::Milliseconds(300);
  CallSpec spec = Spec(/*idempotent=*/true);
  spec.timeout = absl::Minutes(1);
  spec.retry.max_attempts = 100;
  EXPECT_THAT(CallEcho(Origin::ForCaller(CallerCall(callers_deadline)), spec),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  const std::vector<Attempt> attempts = service_.attempts();
  ASSERT_FALSE(attempts.empty());
  for (const Attempt& attempt : attempts) {
    // The deadline travels as a timeout rounded up to its unit: allow for that, far below
    // the minute the spec alone would allow.
    EXPECT_LT(attempt.deadline, callers_deadline + absl::Seconds(1));
  }
  // Once the caller's time is spent nothing more is sent.
  const size_t sent = attempts.size();
  EXPECT_THAT(CallEcho(Origin::ForCaller(CallerCall(callers_deadline)), spec),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(service_.attempts().size(), sent);
}

TEST_F(PeerCallTest, PerCallTimeoutBoundsCallsWithoutADeadline) {
  CallSpec spec = Spec(/*idempotent=*/false);
  spec.timeout = absl::Seconds(5);
  const absl::Time latest = absl::Now() + spec.timeout;
  ASSERT_THAT(CallEcho(Origin::ForCaller(CallerCall()), spec), IsOk());
  ASSERT_EQ(service_.attempts().size(), 1u);
  EXPECT_LT(service_.attempts()[0].deadline, latest + absl::Seconds(1));
}

TEST_F(PeerCallTest, PeerErrorDetailsSurvive) {
  service_.Script({grpc::StatusCode::INVALID_ARGUMENT});
  const absl::Status result = CallEcho(Origin::ForCaller(CallerCall()), Spec(/*idempotent=*/true));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  const std::vector<status::FieldViolation> violations = status::GetFieldViolations(result);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "patient.phone");
  EXPECT_EQ(violations[0].description, "must be in E.164 form");
}

TEST_F(PeerCallTest, ForwardsTheCallersTokenRequestIdAndTrace) {
  ASSERT_THAT(CallEcho(Origin::ForCaller(CallerCall()), Spec(/*idempotent=*/false)), IsOk());
  ASSERT_EQ(service_.attempts().size(), 1u);
  const Attempt attempt = service_.attempts()[0];
  EXPECT_EQ(attempt.authorization, "Bearer caller-token");
  EXPECT_EQ(attempt.request_id, "req-from-the-front-desk");
  // Same trace; this service's span is the parent of the peer's.
  EXPECT_EQ(attempt.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_F(PeerCallTest, CallerWithoutATokenSendsNone) {
  ASSERT_THAT(CallEcho(Origin::ForCaller(CallerCall(absl::InfiniteFuture(), "")), Spec(false)), IsOk());
  EXPECT_EQ(service_.attempts()[0].authorization, std::nullopt);
}

TEST_F(PeerCallTest, BackgroundWorkCarriesTheServiceTokenAndItsOwnIds) {
  SystemClock clock;
  std::unique_ptr<TokenSource> tokens = ServiceTokens(clock);
  ASSERT_NE(tokens, nullptr);
  const Origin origin = Origin::ForService(*tokens);
  ASSERT_THAT(CallEcho(origin, Spec(false)), IsOk());
  ASSERT_THAT(CallEcho(origin, Spec(false)), IsOk());
  ASSERT_THAT(CallEcho(Origin::ForService(*tokens, "reminder-123"), Spec(false)), IsOk());

  const std::vector<Attempt> attempts = service_.attempts();
  ASSERT_EQ(attempts.size(), 3u);
  ASSERT_TRUE(attempts[0].authorization.has_value());
  ASSERT_THAT(*attempts[0].authorization, ::testing::StartsWith("Bearer "));
  absl::StatusOr<auth::Principal> principal = VerifyWith(clock, attempts[0].authorization->substr(7));
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "scheduling");
  EXPECT_EQ(principal->role, auth::Role::kService);

  // One unit of work: one request id and one trace; a new one gets its own.
  EXPECT_THAT(attempts[0].request_id.value_or(""), MatchesRegex(kUuid));
  EXPECT_EQ(attempts[1].request_id, attempts[0].request_id);
  EXPECT_EQ(attempts[1].traceparent, attempts[0].traceparent);
  std::string trace, parent, other_trace, other_parent;
  ASSERT_TRUE(server::ParseTraceparent(attempts[0].traceparent.value_or(""), &trace, &parent));
  EXPECT_EQ(attempts[2].request_id, "reminder-123");
  ASSERT_TRUE(server::ParseTraceparent(attempts[2].traceparent.value_or(""), &other_trace, &other_parent));
  EXPECT_NE(other_trace, trace);
}

TEST_F(PeerCallTest, TokenSourceErrorFailsTheCallBeforeSendingIt) {
  FailingTokenSource tokens;
  EXPECT_THAT(CallEcho(Origin::ForService(tokens), Spec(true)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(service_.attempts().empty());
}

TEST_F(PeerCallTest, CountsAttemptsByServiceMethodAndCode) {
  metrics::Registry registry;
  ClientMetrics metrics(registry);
  CallSpec spec = Spec(/*idempotent=*/true);
  spec.metrics = &metrics;
  service_.Script({grpc::StatusCode::UNAVAILABLE});
  ASSERT_THAT(CallEcho(Origin::ForCaller(CallerCall()), spec), IsOk());
  const std::string text = registry.Render();
  const std::string labels = R"(grpc_service="clinic.echo.v1.EchoService",grpc_method="Echo")";
  EXPECT_THAT(text, HasSubstr("grpc_client_handled_total{" + labels + R"(,grpc_code="UNAVAILABLE"} 1)"));
  EXPECT_THAT(text, HasSubstr("grpc_client_handled_total{" + labels + R"(,grpc_code="OK"} 1)"));
}

TEST_F(PeerCallTest, MutualTlsChannel) {
  clinic::testing::TestCerts certs;
  ASSERT_TRUE(clinic::testing::MakeTestCerts(dir_, &certs));
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_key_cert_pairs.push_back({read(certs.server_key), read(certs.server_cert)});
  ssl.pem_root_certs = read(certs.ca);
  StartServer(grpc::SslServerCredentials(ssl));

  ChannelOptions options;
  options.name = "echo";
  options.address = address_;
  options.tls_ca_file = certs.ca;
  options.tls_cert_file = certs.client_cert;
  options.tls_key_file = certs.client_key;
  auto with_cert = NewChannel(options);
  ASSERT_THAT(with_cert, IsOk());
  auto stub = clinic::echo::v1::EchoService::NewStub(*with_cert);
  EXPECT_THAT(CallEcho(Origin::ForCaller(CallerCall()), Spec(false), stub.get()), IsOk());

  options.tls_cert_file.clear();
  options.tls_key_file.clear();
  auto without_cert = NewChannel(options);
  ASSERT_THAT(without_cert, IsOk());
  stub = clinic::echo::v1::EchoService::NewStub(*without_cert);
  EXPECT_THAT(CallEcho(Origin::ForCaller(CallerCall()), Spec(false), stub.get()),
              StatusIs(absl::StatusCode::kUnavailable));
}

// Records the Call its handler is given, on the real bootstrap (auth, interceptor).
class RecordingEchoService final : public clinic::echo::v1::EchoService::Service {
 public:
  explicit RecordingEchoService(const server::CallRunner& calls) : calls_(calls) {}
  grpc::Status Echo(grpc::ServerContext* context, const EchoRequest* request, EchoResponse* response) override {
    return calls_.Run(context, [&](const server::Call& call) {
      sync::MutexLock lock(&mu_);
      last_.emplace(call);
      response->set_payload(request->payload());
      return absl::OkStatus();
    });
  }
  std::optional<server::Call> last() {
    sync::MutexLock lock(&mu_);
    return last_;
  }

 private:
  const server::CallRunner& calls_;
  sync::Mutex mu_;
  std::optional<server::Call> last_ ABSL_GUARDED_BY(mu_);
};

TEST_F(PeerCallTest, ServiceIdentityAndIdsReachAPeerOnTheServerBootstrap) {
  SystemClock clock;
  auth::JwtVerifierOptions jwt;
  jwt.hs256_key_file = key_file_;
  auto verifier = auth::NewJwtVerifier(jwt, clock);
  ASSERT_THAT(verifier, IsOk());
  server::CallRunner calls(**verifier);
  RecordingEchoService peer_service(calls);
  metrics::Registry registry;
  server::ServerOptions server_options;
  server_options.address = "127.0.0.1";
  server_options.metrics_port = -1;
  server_options.handle_signals = false;
  server_options.shutdown_delay = absl::ZeroDuration();
  server::Server peer(server_options, registry);
  peer.AddService(&peer_service, "clinic.echo.v1.EchoService");
  ASSERT_THAT(peer.Start(), IsOk());

  ChannelOptions options;
  options.name = "echo";
  options.address = absl::StrCat("127.0.0.1:", peer.port());
  auto channel = NewChannel(options);
  ASSERT_THAT(channel, IsOk());
  auto stub = clinic::echo::v1::EchoService::NewStub(*channel);
  std::unique_ptr<TokenSource> tokens = ServiceTokens(clock);
  ASSERT_NE(tokens, nullptr);
  const Origin origin = Origin::ForService(*tokens, "reminder-7");
  ASSERT_THAT(CallEcho(origin, Spec(false), stub.get()), IsOk());

  std::optional<server::Call> seen = peer_service.last();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->principal().subject, "scheduling");
  EXPECT_EQ(seen->principal().role, auth::Role::kService);
  EXPECT_EQ(seen->ids().request_id, "reminder-7");
  EXPECT_EQ(seen->ids().trace_id, origin.ids().trace_id);
  EXPECT_NE(seen->ids().span_id, origin.ids().span_id);
  peer.RequestShutdown();
  peer.WaitForShutdown();
}

TEST(ChannelTest, BadSettingsAreInvalidArgumentsNamingTheSetting) {
  TempDir dir;
  const std::string not_pem = dir.File("not.pem");
  std::ofstream(not_pem) << "hello";
  const std::string pem = dir.File("some.pem");
  std::ofstream(pem) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  ChannelOptions options;
  options.name = "inventory";
  EXPECT_THAT(NewChannel(options), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("inventory_address")));
  options.address = "127.0.0.1:1";
  EXPECT_THAT(NewChannel(options), IsOk());

  ChannelOptions tls = options;
  tls.tls_ca_file = dir.File("missing.pem");
  EXPECT_THAT(NewChannel(tls), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_tls_ca_file")));
  tls.tls_ca_file = not_pem;
  EXPECT_THAT(NewChannel(tls), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_tls_ca_file")));
  tls.tls_ca_file = pem;
  EXPECT_THAT(NewChannel(tls), IsOk());
  tls.tls_cert_file = pem;
  EXPECT_THAT(NewChannel(tls), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_tls_key_file")));
  tls.tls_key_file = dir.File("missing.key");
  EXPECT_THAT(NewChannel(tls), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_tls_key_file")));

  ChannelOptions no_ca = options;
  no_ca.tls_cert_file = pem;
  no_ca.tls_key_file = pem;
  EXPECT_THAT(NewChannel(no_ca), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_tls_ca_file")));
}

class TokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.File("hs256.key");
    std::ofstream(key_file_) << kSecret << "\n";
  }

  TempDir dir_;
  std::string key_file_;
  FakeClock clock_;
};

TEST_F(TokenSourceTest, ServiceTokenIsMintedAndRenewedBeforeItExpires) {
  Hs256TokenOptions options;
  options.key_file = key_file_;
  options.service_name = "notification";
  options.ttl = absl::Hours(1);
  options.renew_before = absl::Minutes(10);
  auto tokens = NewHs256TokenSource(options, clock_);
  ASSERT_THAT(tokens, IsOk());
  auth::JwtVerifierOptions verifier_options;
  verifier_options.hs256_key_file = key_file_;
  verifier_options.cache_capacity = 0;
  auto verifier = auth::NewJwtVerifier(verifier_options, clock_);
  ASSERT_THAT(verifier, IsOk());
  const absl::Time start = clock_.Now();

  absl::StatusOr<std::string> first = (*tokens)->Token();
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<auth::Principal> principal = (*verifier)->Verify(*first);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "notification");
  EXPECT_EQ(principal->role, auth::Role::kService);
  EXPECT_EQ(principal->expiry, start + absl::Hours(1));

  clock_.Advance(absl::Minutes(49));
  EXPECT_EQ((*tokens)->Token().value_or(""), *first);

  clock_.Advance(absl::Minutes(2));  // within renew_before of the expiry
  absl::StatusOr<std::string> second = (*tokens)->Token();
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(*second, *first);
  principal = (*verifier)->Verify(*second);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->expiry, start + absl::Minutes(51) + absl::Hours(1));
  EXPECT_EQ((*tokens)->Token().value_or(""), *second);
}

TEST_F(TokenSourceTest, BadServiceTokenSettingsAreInvalidArguments) {
  Hs256TokenOptions options;
  options.service_name = "scheduling";
  options.key_file = dir_.File("missing.key");
  EXPECT_THAT(NewHs256TokenSource(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("jwt_hs256_key_file")));
  const std::string short_key = dir_.File("short.key");
  std::ofstream(short_key) << "too-short";
  options.key_file = short_key;
  EXPECT_THAT(NewHs256TokenSource(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("jwt_hs256_key_file")));
  options.key_file = key_file_;
  options.service_name.clear();
  EXPECT_THAT(NewHs256TokenSource(options, clock_), StatusIs(absl::StatusCode::kInvalidArgument));
  options.service_name = "scheduling";
  options.renew_before = options.ttl;
  EXPECT_THAT(NewHs256TokenSource(options, clock_), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TokenSourceTest, FileTokenIsReadAgainWhenTheFileChanges) {
  const std::string path = dir_.File("token");
  std::ofstream(path) << "first-token\n";
  auto tokens = NewFileTokenSource(path);
  ASSERT_THAT(tokens, IsOk());
  EXPECT_EQ((*tokens)->Token().value_or(""), "first-token");

  // Rotated by the platform: written aside and renamed over, as secret mounts do.
  const std::string next = dir_.File("token.next");
  std::ofstream(next) << "second-token-rotated\n";
  std::filesystem::rename(next, path);
  EXPECT_EQ((*tokens)->Token().value_or(""), "second-token-rotated");

  // Briefly empty while being rewritten: the last good token stays.
  std::ofstream(path, std::ios::trunc).flush();
  EXPECT_EQ((*tokens)->Token().value_or(""), "second-token-rotated");
  std::ofstream(path) << "third\n";
  EXPECT_EQ((*tokens)->Token().value_or(""), "third");
}

TEST_F(TokenSourceTest, UnreadableTokenFileIsAnInvalidArgument) {
  EXPECT_THAT(NewFileTokenSource(dir_.File("missing")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_token_file")));
  const std::string empty = dir_.File("empty");
  std::ofstream(empty).flush();
  EXPECT_THAT(NewFileTokenSource(empty), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peer_token_file")));
}

}  // namespace
}  // namespace clinic::peer
