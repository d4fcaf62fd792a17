#include "common/server/runtime.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/insecure_dev_verifier.h"
#include "common/auth/jwt.h"
#include "common/config/flags.h"
#include "common/log/log.h"

ABSL_FLAG(std::string, address, "0.0.0.0", "Address the gRPC server listens on.");
ABSL_FLAG(int, port, 50051, "gRPC port (0 picks a free one).");
ABSL_FLAG(std::string, metrics_address, "0.0.0.0", "Address of the Prometheus /metrics HTTP endpoint.");
ABSL_FLAG(int, metrics_port, 9090, "Port of the /metrics HTTP endpoint (0 picks a free one, -1 disables it).");
ABSL_FLAG(std::string, log_level, "info", "Minimum log level: debug, info, warn or error.");
ABSL_FLAG(std::string, jwt_hs256_key_file, "", "File holding the HS256 secret that signs bearer tokens (>= 32 bytes).");
ABSL_FLAG(std::vector<std::string>, jwt_rs256_public_key_files, {},
          "Comma-separated PEM public keys that verify RS256 tokens; 'kid=path' names a key id.");
ABSL_FLAG(std::string, jwt_issuer, "", "If set, tokens must carry this 'iss'.");
ABSL_FLAG(std::string, jwt_audience, "", "If set, tokens must carry this 'aud'.");
ABSL_FLAG(bool, insecure_dev_auth, false,
          "DEVELOPMENT ONLY: believe token claims without checking signatures and let calls "
          "without a token act as a network administrator.");
ABSL_FLAG(std::string, tls_cert_file, "", "Server certificate chain (PEM); enables TLS with --tls_key_file.");
ABSL_FLAG(std::string, tls_key_file, "", "Server private key (PEM).");
ABSL_FLAG(std::string, tls_client_ca_file, "", "CA (PEM) that client certificates must chain to: enables mTLS.");
ABSL_FLAG(absl::Duration, shutdown_delay, absl::Seconds(5),
          "After SIGTERM, how long health answers NOT_SERVING before the server stops accepting calls.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20), "How long in-flight calls may take to finish at shutdown.");
ABSL_FLAG(int, max_message_bytes, 4 * 1024 * 1024, "Largest request or response message.");
ABSL_FLAG(int, max_threads, 64, "Most threads serving calls at once.");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Minutes(1), "Interval of the server's keepalive pings.");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Minutes(5),
          "Connections are closed gracefully after this age so that clients spread over new replicas.");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Seconds(30),
          "Time given to calls on a connection closed for age.");

namespace clinic::server {
namespace {

void CheckPort(const char* flag, int port, bool allow_disabled) {
  if (port < (allow_disabled ? -1 : 0) || port > 65535) {
    config::FailSetting(flag, absl::StrCat("not a port: ", port));
  }
}

void CheckReadable(const char* flag, const std::string& path) {
  std::error_code ec;
  if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
    config::FailSetting(flag, absl::StrCat("no such file: ", path));
  }
}

void CheckPositive(const char* flag, absl::Duration d) {
  if (d <= absl::ZeroDuration()) config::FailSetting(flag, "must be positive");
}

}  // namespace

std::unique_ptr<Runtime> RuntimeFromFlags(std::string_view service_name) {
  auto runtime = std::make_unique<Runtime>();
  // Debian builds Abseil without NDEBUG, which leaves its mutex deadlock detector on: a
  // graph update on every lock, gRPC's included (13.5k instructions per echo call). It is
  // a debugging aid; our lock order is checked by the TSan build instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  log::Level level;
  if (!log::ParseLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    config::FailSetting("log_level", "must be debug, info, warn or error");
  }
  log::Init(service_name, level);

  ServerOptions& o = runtime->options;
  o.address = absl::GetFlag(FLAGS_address);
  o.port = absl::GetFlag(FLAGS_port);
  CheckPort("port", o.port, false);
  o.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  o.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  CheckPort("metrics_port", o.metrics_port, true);
  o.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  o.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  o.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    config::FailSetting(o.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file",
                        "TLS needs both --tls_cert_file and --tls_key_file");
  }
  if (!o.tls_client_ca_file.empty() && o.tls_cert_file.empty()) {
    config::FailSetting("tls_client_ca_file", "mTLS needs --tls_cert_file and --tls_key_file too");
  }
  CheckReadable("tls_cert_file", o.tls_cert_file);
  CheckReadable("tls_key_file", o.tls_key_file);
  CheckReadable("tls_client_ca_file", o.tls_client_ca_file);
  o.shutdown_delay = absl::GetFlag(FLAGS_shutdown_delay);
  if (o.shutdown_delay < absl::ZeroDuration()) config::FailSetting("shutdown_delay", "must not be negative");
  o.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  CheckPositive("drain_timeout", o.drain_timeout);
  o.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  if (o.max_message_bytes < 1024) config::FailSetting("max_message_bytes", "must be at least 1024");
  o.max_threads = absl::GetFlag(FLAGS_max_threads);
  if (o.max_threads < 2) config::FailSetting("max_threads", "must be at least 2");
  o.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  CheckPositive("keepalive_time", o.keepalive_time);
  o.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  CheckPositive("max_connection_age", o.max_connection_age);
  o.max_connection_age_grace = absl::GetFlag(FLAGS_max_connection_age_grace);
  CheckPositive("max_connection_age_grace", o.max_connection_age_grace);

  if (absl::GetFlag(FLAGS_insecure_dev_auth)) {
    for (int i = 0; i < 3; ++i) {
      log::Warn("INSECURE DEVELOPMENT AUTH (--insecure_dev_auth): token signatures are NOT checked and "
                "calls without a token act as a network administrator. Never use this with real data.");
    }
    runtime->verifier = auth::NewInsecureDevVerifier(runtime->clock);
  } else {
    auth::JwtVerifierOptions jwt;
    jwt.hs256_key_file = absl::GetFlag(FLAGS_jwt_hs256_key_file);
    jwt.rs256_public_key_files = absl::GetFlag(FLAGS_jwt_rs256_public_key_files);
    jwt.issuer = absl::GetFlag(FLAGS_jwt_issuer);
    jwt.audience = absl::GetFlag(FLAGS_jwt_audience);
    if (jwt.hs256_key_file.empty() && jwt.rs256_public_key_files.empty()) {
      config::FailSetting("jwt_hs256_key_file",
                          "no token key configured: set --jwt_hs256_key_file or --jwt_rs256_public_key_files "
                          "(or --insecure_dev_auth for experiments)");
    }
    auto verifier = auth::NewJwtVerifier(jwt, runtime->clock);
    if (!verifier.ok()) {
      // The verifier's messages start with the setting they are about.
      const std::string message(verifier.status().message());
      const bool rs = message.rfind(auth::kRs256PublicKeyFilesSetting, 0) == 0;
      config::FailSetting(rs ? auth::kRs256PublicKeyFilesSetting : auth::kHs256KeyFileSetting, message);
    }
    runtime->verifier = *std::move(verifier);
  }
  return runtime;
}

}  // namespace clinic::server
