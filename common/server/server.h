#pragma once

// The bootstrap every service (and the echo benchmark service) runs on.
//
// API choice: the synchronous gRPC server API. Our handlers block on SQLite, libpq and
// hiredis calls, which must never run on the callback API's reactor threads; the sync
// API gives each call its own thread from a pool bounded by ResourceQuota (max_threads).
//
// What it sets up: the services, grpc.health.v1 (health_service.h: one status per service
// plus the server as a whole, ""), server reflection, explicit message-size limits, keepalive,
// GRPC_ARG_MAX_CONNECTION_AGE (clients reconnect periodically, so new replicas get
// traffic), TLS or mTLS, the call interceptor (request id, trace context, metrics,
// access log), the /metrics HTTP endpoint, readiness checks (health NOT_SERVING while a
// check fails, e.g. the database is unreachable), and shutdown:
//   SIGTERM/SIGINT -> health NOT_SERVING -> shutdown_delay (load balancers notice)
//   -> stop accepting, drain in-flight calls up to drain_timeout -> WaitForShutdown()
//   returns and main() returns 0.
// Signals are received by a thread with sigtimedwait(), never in a signal handler.
//
// Health detail. Each readiness check and each health component (AddHealthComponent: a
// dependency the service survives, e.g. Redis) is a named component with a state and a
// short detail; only the readiness checks decide whether the server serves. They are
// exposed
//   - in grpc.health.v1 as "<service>/<component>" for every service added, e.g.
//     "clinic.notification.v1.NotificationService/redis_queue" (SERVING, NOT_SERVING or
//     UNKNOWN), besides "" and "<service>" (the serving status);
//   - on the metrics port: GET /healthz answers health_components.h's JSON, with HTTP 200
//     while serving and 503 otherwise (readiness); GET /livez answers 200 as long as the
//     process does (liveness, independent of every dependency).
// Components are refreshed by the same thread and cadence as the readiness checks.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metrics/http_exporter.h"
#include "common/metrics/metrics.h"
#include "common/server/health_components.h"
#include "common/sync/mutex.h"
#include "common/sync/notification.h"
#include "grpcpp/server.h"
#include "grpcpp/impl/codegen/service_type.h"

namespace clinic::server {

class HealthService;

struct ServerOptions {
  std::string address = "0.0.0.0";
  int port = 0;           // 0 picks a free port (see Server::port()).
  int metrics_port = 0;   // 0 picks a free port; -1 disables the endpoint.
  std::string metrics_address = "0.0.0.0";
  // TLS: server certificate chain and key (PEM). With client_ca_file, clients must
  // present a certificate signed by that CA (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  absl::Duration shutdown_delay = absl::Seconds(5);
  absl::Duration drain_timeout = absl::Seconds(20);
  int max_message_bytes = 4 * 1024 * 1024;
  int max_threads = 64;
  // Threads of the synchronous server waiting for calls at once. With gRPC's default (2)
  // a worker thread exits after its call whenever two others are polling, and one is
  // created again for the next: a thread per 4-6 calls under load.
  int max_pollers = 8;
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration max_connection_age = absl::Minutes(5);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  absl::Duration readiness_interval = absl::Seconds(2);
  // Whether the server takes SIGTERM/SIGINT itself (main) or not (in-process tests).
  bool handle_signals = true;
};

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts later, so
// that only the server's signal thread receives them. Call first thing in main().
void BlockShutdownSignals();

class Server {
 public:
  // `registry` must outlive the server. Start() registers clinic_serving,
  // grpc_server_handled_total and grpc_server_handling_seconds in it, so a registry serves
  // one Server (a second Server on the same registry aborts on the duplicate names);
  // services add their own metrics to the same registry.
  Server(ServerOptions options, metrics::Registry& registry);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a service (not owned; it must outlive the server). `health_name` is its
  // full name, e.g. "clinic.patient.v1.PatientService", reported by the health service.
  void AddService(grpc::Service* service, std::string health_name);
  // A readiness check (e.g. the database answers): run once by Start() before health
  // first answers, then every readiness_interval from a background thread. While any
  // check fails every health status is NOT_SERVING. Checks may block (briefly).
  // The check is also the health component `name` (SERVING, or NOT_SERVING with the
  // check's message as detail).
  void AddReadinessCheck(std::string name, std::function<absl::Status()> check);
  // A health component (a dependency the service survives without it): `probe` runs at
  // Start() and every readiness_interval with the readiness checks, and its answer is
  // shown as health detail (see above) but never changes the serving status. `name`:
  // [a-z0-9_]{1,64}, distinct from the other components and checks. `probe` must be quick
  // and thread-safe, and what it uses must outlive the server.
  void AddHealthComponent(std::string name, std::function<ComponentHealth()> probe);

  // Binds and starts serving; call at most once, after every AddService,
  // AddReadinessCheck and AddHealthComponent. UNAVAILABLE if a port cannot be bound,
  // INVALID_ARGUMENT if the TLS files cannot be read or a component name is bad or
  // repeated.
  absl::Status Start();
  int port() const { return port_; }
  int metrics_port() const { return exporter_ ? exporter_->port() : -1; }

  // Blocks until a shutdown signal or RequestShutdown(), then drains (see above). May be
  // called from several threads: one drains, the others wait until it is done. Returns
  // at once after shutdown is requested if Start() did not succeed.
  void WaitForShutdown();
  // Starts the shutdown sequence; thread-safe, idempotent.
  void RequestShutdown();

 private:
  void SetServing(bool serving) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs the readiness checks and the component probes, recording each as a component:
  // empty when all checks pass, else "<check>: <message>" of the first that failed.
  std::string RunChecks();
  void RecordComponent(const std::string& name, ComponentHealth health);
  metrics::HttpResponse HealthzResponse();
  void ReadinessLoop();
  void SignalLoop();

  const ServerOptions options_;
  metrics::Registry& registry_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::vector<std::pair<std::string, std::function<absl::Status()>>> checks_;
  std::vector<std::pair<std::string, std::function<ComponentHealth()>>> probes_;
  HealthComponents components_;
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<metrics::HttpExporter> exporter_;
  int port_ = 0;

  sync::Notification shutdown_requested_;
  sync::Notification stopped_;
  sync::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool ready_ ABSL_GUARDED_BY(mu_) = true;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;  // what health says for "" now
  metrics::Gauge* serving_gauge_ = nullptr;
  std::thread readiness_thread_;
  std::thread signal_thread_;
};

// For main(): Start()s the server and blocks until it has shut down. Returns the process
// exit status: 0 after a drain, 1 when the server could not start (logged).
int ServeUntilShutdown(Server& server);

}  // namespace clinic::server
