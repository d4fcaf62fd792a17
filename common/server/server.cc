#include "common/server/server.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/server/health_service.h"
#include "common/server/interceptor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/time.h"

namespace clinic::server {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* setting) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(setting, ": cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

int Millis(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

// Health watches running at once (each holds a server thread); probes use Check.
constexpr int kMaxHealthWatchers = 16;
// Longest detail of a health component (bytes).
constexpr size_t kMaxComponentDetail = 200;

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Server::Server(ServerOptions options, metrics::Registry& registry)
    : options_(std::move(options)), registry_(registry) {}

Server::~Server() {
  RequestShutdown();
  if (server_ != nullptr && !stopped_.HasBeenNotified()) WaitForShutdown();
  if (readiness_thread_.joinable()) readiness_thread_.join();
  if (signal_thread_.joinable()) signal_thread_.join();
}

void Server::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

void Server::AddReadinessCheck(std::string name, std::function<absl::Status()> check) {
  checks_.emplace_back(std::move(name), std::move(check));
}

void Server::AddHealthComponent(std::string name, std::function<ComponentHealth()> probe) {
  probes_.emplace_back(std::move(name), std::move(probe));
}

absl::Status Server::Start() {
  std::vector<std::string> component_names;
  for (const auto& [name, check] : checks_) component_names.push_back(name);
  for (const auto& [name, probe] : probes_) component_names.push_back(name);
  for (size_t i = 0; i < component_names.size(); ++i) {
    const std::string& name = component_names[i];
    if (!IsComponentName(name) || std::count(component_names.begin(), component_names.begin() + i, name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad or repeated health component name: \"", name, "\""));
    }
  }
  // Ours (health_service.h), not gRPC's callback-API one.
  grpc::EnableDefaultHealthCheckService(false);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    auto cert = ReadFile(options_.tls_cert_file, "tls_cert_file");
    if (!cert.ok()) return cert.status();
    auto key = ReadFile(options_.tls_key_file, "tls_key_file");
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!options_.tls_client_ca_file.empty()) {
      auto ca = ReadFile(options_.tls_client_ca_file, "tls_client_ca_file");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  } else {
    credentials = grpc::InsecureServerCredentials();
  }

  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(options_.address, ":", options_.port), credentials, &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  grpc::ResourceQuota quota("clinic-server");
  quota.SetMaxThreads(options_.max_threads);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, options_.max_pollers);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(options_.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(options_.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Clients may ping every 10 s without being told off (GOAWAY too_many_pings).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, Millis(options_.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, Millis(options_.max_connection_age_grace));
  std::vector<std::string> names;
  for (auto& [service, name] : services_) {
    builder.RegisterService(service);
    names.push_back(name);
  }
  health_ = std::make_unique<HealthService>(names, kMaxHealthWatchers);
  builder.RegisterService(health_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(NewCallInterceptorFactory(registry_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  // The metrics port first: when it cannot be bound, no gRPC server has been started (and
  // shown SERVING) in vain.
  if (options_.metrics_port >= 0) {
    std::vector<metrics::HttpRoute> routes;
    routes.push_back({"/healthz", [this] { return HealthzResponse(); }});
    routes.push_back({"/livez", [] { return metrics::HttpResponse{.body = "ok\n"}; }});
    auto exporter = metrics::HttpExporter::Start(options_.metrics_address, options_.metrics_port, registry_,
                                                 std::move(routes));
    if (!exporter.ok()) return exporter.status();
    exporter_ = *std::move(exporter);
  }
  // Health must not answer SERVING before the checks have passed once (e.g. while the
  // database is still unreachable at start-up); the checks may take a while, so they run
  // before the server starts (whose health service begins with "" SERVING).
  const std::string failed = RunChecks();
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    exporter_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":", options_.port));
  }

  serving_gauge_ = &registry_.AddGauge("clinic_serving", "1 while the health status is SERVING.").WithLabels({});
  {
    sync::MutexLock lock(&mu_);
    ready_ = failed.empty();
    SetServing(ready_);
  }
  if (!failed.empty()) log::Error("not ready: health NOT_SERVING", {{"reason", failed}});
  if (!checks_.empty() || !probes_.empty()) readiness_thread_ = std::thread([this] { ReadinessLoop(); });
  if (options_.handle_signals) signal_thread_ = std::thread([this] { SignalLoop(); });
  log::Info("listening", {{"address", absl::StrCat(options_.address, ":", port_)},
                          {"metrics_port", absl::StrCat(metrics_port())},
                          {"tls", credentials == nullptr || options_.tls_cert_file.empty() ? "off"
                                  : options_.tls_client_ca_file.empty()                  ? "tls"
                                                                                           : "mtls"}});
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  using grpc::health::v1::HealthCheckResponse;
  health_->SetAll(serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING);
  serving_ = serving;
  if (serving_gauge_ != nullptr) serving_gauge_->Set(serving ? 1 : 0);
}

std::string Server::RunChecks() {
  std::string failed;
  for (const auto& [name, check] : checks_) {
    absl::Status s = check();
    if (!s.ok() && failed.empty()) failed = absl::StrCat(name, ": ", s.message());
    ComponentHealth health;
    health.state = s.ok() ? ComponentState::kServing : ComponentState::kNotServing;
    if (!s.ok()) health.detail = std::string(s.message());
    RecordComponent(name, std::move(health));
  }
  for (const auto& [name, probe] : probes_) RecordComponent(name, probe());
  return failed;
}

void Server::RecordComponent(const std::string& name, ComponentHealth health) {
  using grpc::health::v1::HealthCheckResponse;
  if (health.detail.size() > kMaxComponentDetail) health.detail.resize(kMaxComponentDetail);
  const ComponentState state = health.state;
  if (!components_.Set(name, std::move(health))) return;
  HealthCheckResponse::ServingStatus status = HealthCheckResponse::UNKNOWN;
  if (state == ComponentState::kServing) status = HealthCheckResponse::SERVING;
  if (state == ComponentState::kNotServing) status = HealthCheckResponse::NOT_SERVING;
  for (const auto& [service, service_name] : services_) {
    health_->Set(absl::StrCat(service_name, "/", name), status);
  }
}

metrics::HttpResponse Server::HealthzResponse() {
  bool serving = false;
  {
    sync::MutexLock lock(&mu_);
    serving = serving_;
  }
  metrics::HttpResponse response;
  response.status = serving ? 200 : 503;
  response.content_type = "application/json";
  response.body = HealthJson(serving, components_.Snapshot());
  return response;
}

void Server::ReadinessLoop() {
  while (!shutdown_requested_.WaitForNotificationWithTimeout(options_.readiness_interval)) {
    const std::string failed = RunChecks();
    sync::MutexLock lock(&mu_);
    if (draining_) return;
    const bool ready = failed.empty();
    if (ready != ready_) {
      ready_ = ready;
      SetServing(ready);
      if (ready) {
        log::Info("ready again: health SERVING");
      } else {
        log::Error("not ready: health NOT_SERVING", {{"reason", failed}});
      }
    }
  }
}

void Server::SignalLoop() {
  const sigset_t set = ShutdownSignals();
  const timespec tick{0, 200'000'000};
  while (!shutdown_requested_.HasBeenNotified()) {
    siginfo_t info;
    int sig = sigtimedwait(&set, &info, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      log::Info("shutdown signal received", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      RequestShutdown();
    }
  }
}

void Server::RequestShutdown() {
  sync::MutexLock lock(&mu_);
  if (shutdown_requested_.HasBeenNotified()) return;
  shutdown_requested_.Notify();
}

void Server::WaitForShutdown() {
  shutdown_requested_.WaitForNotification();
  if (server_ == nullptr) return;
  bool drain_here = false;
  {
    sync::MutexLock lock(&mu_);
    drain_here = !draining_;
    draining_ = true;
    if (drain_here) SetServing(false);
  }
  // Another thread (e.g. main() while the destructor runs elsewhere) is draining: calling
  // Shutdown() and Wait() twice is not allowed, so wait for it instead.
  if (!drain_here) {
    stopped_.WaitForNotification();
    return;
  }
  log::Info("draining: health NOT_SERVING",
            {{"shutdown_delay", absl::FormatDuration(options_.shutdown_delay)},
             {"drain_timeout", absl::FormatDuration(options_.drain_timeout)}});
  absl::SleepFor(options_.shutdown_delay);
  health_->Shutdown();  // open Watch streams end now rather than at the drain deadline
  // Stops accepting calls, waits for in-flight ones until the deadline, then cancels
  // whatever is left.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
  server_->Wait();
  exporter_.reset();
  stopped_.Notify();
  log::Info("stopped");
}

int ServeUntilShutdown(Server& server) {
  if (absl::Status started = server.Start(); !started.ok()) {
    log::Error("cannot start", {{"error", std::string(started.message())}});
    return 1;
  }
  server.WaitForShutdown();
  return 0;
}

}  // namespace clinic::server
