// The notification service's composition root: configuration, dependencies, server.
//
// Sending flags (each also CLINIC_<NAME>):
//   --sender=file|webhook   --sink_path --sink_fsync
//   --webhook_url --webhook_timeout --webhook_max_attempts --webhook_token_file
//   --patient_address --peer_token_file --peer_tls_ca_file --peer_tls_cert_file --peer_tls_key_file
//   --delivery_max_attempts --delivery_initial_retry --delivery_max_retry
// Queue flags: --dispatch_workers --dispatch_batch_size --dispatch_poll_interval
//   --dispatch_visibility --dispatch_max_claims --reconcile_interval
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "common/clock/clock.h"
#include "common/config/flags.h"
#include "common/log/log.h"
#include "common/peer/channel.h"
#include "common/peer/peer_call.h"
#include "common/peer/token_source.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "common/service/dependencies.h"
#include "services/notification/dependency_health.h"
#include "services/notification/file_sink_sender.h"
#include "services/notification/housekeeper.h"
#include "services/notification/metrics.h"
#include "services/notification/notification_service.h"
#include "services/notification/patient_contact_directory.h"
#include "services/notification/queue/dispatcher.h"
#include "services/notification/queue/reminder_queue.h"
#include "services/notification/queue_bridge.h"
#include "services/notification/reminder_store.h"
#include "services/notification/reminder_deliverer.h"
#include "services/notification/schema.h"
#include "services/notification/webhook_sender.h"

ABSL_FLAG(std::string, sender, "file", "How reminders leave: 'file' (JSON lines in --sink_path) or 'webhook'.");
ABSL_FLAG(std::string, sink_path, "notification-sink.jsonl",
          "The file sink: one JSON line per message sent (holds addresses: development and tests only).");
ABSL_FLAG(bool, sink_fsync, false, "fsync the file sink after every message.");
ABSL_FLAG(std::string, webhook_url, "", "The provider gateway messages are POSTed to (--sender=webhook).");
ABSL_FLAG(absl::Duration, webhook_timeout, absl::Seconds(5), "Timeout of each webhook request.");
ABSL_FLAG(int, webhook_max_attempts, 3, "Webhook requests per message before the send counts as failed.");
ABSL_FLAG(std::string, webhook_token_file, "", "File holding a bearer token for the webhook (optional).");
ABSL_FLAG(std::string, patient_address, "", "The patient service (contact lookup at send time), e.g. patient:50051.");
ABSL_FLAG(std::string, peer_token_file, "",
          "File holding this service's bearer token for peer calls; default: minted with --jwt_hs256_key_file.");
ABSL_FLAG(std::string, peer_tls_ca_file, "", "CA (PEM) of the peers' certificates: enables TLS to peers.");
ABSL_FLAG(std::string, peer_tls_cert_file, "", "Client certificate (PEM) for mTLS to peers.");
ABSL_FLAG(std::string, peer_tls_key_file, "", "Client key (PEM) for mTLS to peers.");
ABSL_FLAG(int, delivery_max_attempts, 8, "Retryable delivery failures of a reminder before it is DEAD.");
ABSL_FLAG(absl::Duration, delivery_initial_retry, absl::Seconds(30), "Wait after a reminder's first retryable failure.");
ABSL_FLAG(absl::Duration, delivery_max_retry, absl::Minutes(30), "Longest wait between a reminder's attempts.");

ABSL_FLAG(int, dispatch_workers, 4, "Threads claiming and sending due reminders.");
ABSL_FLAG(int, dispatch_batch_size, 128,
          "Reminders claimed from Redis per round trip and delivered together.");
ABSL_FLAG(absl::Duration, dispatch_poll_interval, absl::Milliseconds(200),
          "How long an idle worker waits before claiming again (bounds the lateness of a send).");
ABSL_FLAG(absl::Duration, dispatch_visibility, absl::Minutes(2),
          "How long a claim is reserved for its worker before the reaper returns it to the queue; "
          "must exceed batch size x the slowest send.");
ABSL_FLAG(int, dispatch_max_claims, 8,
          "Claims of one reminder without any outcome (its workers died) before it is dead-lettered.");
ABSL_FLAG(absl::Duration, reconcile_interval, absl::Minutes(10),
          "How often every scheduled reminder in the database is checked to be queued in Redis "
          "(also at start-up and as soon as Redis is seen to have lost its data).");

ABSL_DECLARE_FLAG(std::string, jwt_hs256_key_file);
ABSL_DECLARE_FLAG(std::string, jwt_issuer);
ABSL_DECLARE_FLAG(std::string, jwt_audience);

namespace clinic::notification {
namespace {

// Without --patient_address every contact lookup is UNAVAILABLE (sends retry, then die).
class NoContactDirectory final : public ContactDirectory {
 public:
  absl::StatusOr<domain::PatientContact> Lookup(std::string_view, type::v1::ContactChannel,
                                                std::string_view) override {
    return absl::UnavailableError("no --patient_address configured");
  }
};

// Under --insecure_dev_auth without a key: peer calls carry no token.
class NoTokenSource final : public peer::TokenSource {
 public:
  absl::StatusOr<std::string> Token() override { return std::string(); }
};

std::string ReadSecret(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) config::FailSetting(flag, "cannot read the file");
  std::string secret(absl::StripAsciiWhitespace(text.str()));
  if (secret.empty()) config::FailSetting(flag, "the file is empty");
  return secret;
}

std::unique_ptr<peer::TokenSource> TokenSourceFromFlags(const Clock& clock) {
  if (!absl::GetFlag(FLAGS_peer_token_file).empty()) {
    absl::StatusOr<std::unique_ptr<peer::TokenSource>> file = peer::NewFileTokenSource(absl::GetFlag(FLAGS_peer_token_file));
    config::CheckSetting("peer_token_file", file.status());
    return *std::move(file);
  }
  if (absl::GetFlag(FLAGS_jwt_hs256_key_file).empty()) return std::make_unique<NoTokenSource>();
  peer::Hs256TokenOptions options;
  options.key_file = absl::GetFlag(FLAGS_jwt_hs256_key_file);
  options.service_name = "notification";
  options.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  options.audience = absl::GetFlag(FLAGS_jwt_audience);
  absl::StatusOr<std::unique_ptr<peer::TokenSource>> minted = peer::NewHs256TokenSource(options, clock);
  config::CheckSetting("jwt_hs256_key_file", minted.status());
  return *std::move(minted);
}

std::unique_ptr<Sender> SenderFromFlags(const Clock& clock) {
  const std::string kind = absl::GetFlag(FLAGS_sender);
  if (kind == "file") {
    absl::StatusOr<std::unique_ptr<FileSinkSender>> sink =
        FileSinkSender::Open(absl::GetFlag(FLAGS_sink_path), clock, {.fsync = absl::GetFlag(FLAGS_sink_fsync)});
    config::CheckSetting("sink_path", sink.status());
    return *std::move(sink);
  }
  if (kind != "webhook") config::FailSetting("sender", "must be 'file' or 'webhook'");
  WebhookSender::Options options;
  options.url = absl::GetFlag(FLAGS_webhook_url);
  options.timeout = absl::GetFlag(FLAGS_webhook_timeout);
  options.max_attempts = absl::GetFlag(FLAGS_webhook_max_attempts);
  if (!absl::GetFlag(FLAGS_webhook_token_file).empty()) {
    options.bearer_token = ReadSecret("webhook_token_file", absl::GetFlag(FLAGS_webhook_token_file));
  }
  absl::StatusOr<std::unique_ptr<WebhookSender>> webhook = WebhookSender::Create(std::move(options));
  config::CheckSetting("webhook_url", webhook.status());
  return *std::move(webhook);
}

}  // namespace
}  // namespace clinic::notification

int main(int argc, char** argv) {
  using namespace clinic;  // NOLINT: the composition root names every layer
  server::BlockShutdownSignals();
  config::ParseFlags(argc, argv, "The notification service: reminders queued in Redis and sent by SMS or email with consent.");
  auto runtime = server::RuntimeFromFlags("notification");
  std::unique_ptr<sql::Database> db = service::OpenDatabaseFromFlags(notification::Migrations());
  // Redis is optional at run time (the service fails open), so it is not a readiness check.
  std::unique_ptr<redis::Client> redis = service::OpenRedisFromFlags();

  SystemClock clock;
  notification::NotificationMetrics metrics(runtime->registry);
  peer::ClientMetrics client_metrics(runtime->registry);
  std::unique_ptr<peer::TokenSource> tokens = notification::TokenSourceFromFlags(clock);
  std::unique_ptr<notification::ContactDirectory> contacts;
  if (absl::GetFlag(FLAGS_patient_address).empty()) {
    log::Warn("no --patient_address: patient reminders cannot be sent");
    contacts = std::make_unique<notification::NoContactDirectory>();
  } else {
    peer::ChannelOptions channel_options;
    channel_options.name = "patient";
    channel_options.address = absl::GetFlag(FLAGS_patient_address);
    channel_options.tls_ca_file = absl::GetFlag(FLAGS_peer_tls_ca_file);
    channel_options.tls_cert_file = absl::GetFlag(FLAGS_peer_tls_cert_file);
    channel_options.tls_key_file = absl::GetFlag(FLAGS_peer_tls_key_file);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = peer::NewChannel(channel_options);
    config::CheckSetting("patient_address", channel.status());
    contacts = std::make_unique<notification::PatientContactDirectory>(*channel, *tokens, &client_metrics);
  }
  std::unique_ptr<notification::Sender> sender = notification::SenderFromFlags(clock);
  notification::ReminderDeliverer::Options delivery;
  delivery.max_attempts = absl::GetFlag(FLAGS_delivery_max_attempts);
  delivery.initial_retry = absl::GetFlag(FLAGS_delivery_initial_retry);
  delivery.max_retry = absl::GetFlag(FLAGS_delivery_max_retry);
  if (delivery.max_attempts < 1) config::FailSetting("delivery_max_attempts", "must be at least 1");
  // Lookups are watched for the "patient_service" health component.
  notification::ObservedContactDirectory observed_contacts(*contacts, clock);
  // The dispatcher (services/notification/queue/) calls it for each claimed job.
  notification::ReminderDeliverer deliverer(*db, clock, observed_contacts, *sender, metrics, delivery);

  // The schedule in Redis; the database stays the truth (the dispatcher reconciles).
  notification::queue::ReminderQueue reminder_queue(*redis);
  notification::QueueBridge bridge(reminder_queue, deliverer, *db, clock);
  notification::queue::DispatcherOptions dispatch;
  dispatch.workers = absl::GetFlag(FLAGS_dispatch_workers);
  if (dispatch.workers < 1) config::FailSetting("dispatch_workers", "must be at least 1");
  dispatch.batch_size = absl::GetFlag(FLAGS_dispatch_batch_size);
  if (dispatch.batch_size < 1) config::FailSetting("dispatch_batch_size", "must be at least 1");
  dispatch.poll_interval = absl::GetFlag(FLAGS_dispatch_poll_interval);
  if (dispatch.poll_interval <= absl::ZeroDuration()) config::FailSetting("dispatch_poll_interval", "must be positive");
  dispatch.visibility = absl::GetFlag(FLAGS_dispatch_visibility);
  if (dispatch.visibility <= absl::ZeroDuration()) config::FailSetting("dispatch_visibility", "must be positive");
  dispatch.max_attempts = absl::GetFlag(FLAGS_dispatch_max_claims);
  if (dispatch.max_attempts < 1) config::FailSetting("dispatch_max_claims", "must be at least 1");
  dispatch.reconcile_interval = absl::GetFlag(FLAGS_reconcile_interval);
  if (dispatch.reconcile_interval <= absl::ZeroDuration()) config::FailSetting("reconcile_interval", "must be positive");
  sql::Database& database = *db;
  notification::queue::Dispatcher dispatcher(
      reminder_queue, bridge, clock, runtime->registry,
      [&database](const std::function<void(std::string_view, absl::Time)>& emit) {
        return notification::store::ForEachPendingReminder(database, 500, [&](const notification::store::PendingReminder& p) {
          emit(p.reminder_id, p.due);
          return absl::OkStatus();
        });
      },
      dispatch);

  server::CallRunner calls(*runtime->verifier);
  notification::NotificationService service(calls, *db, clock, bridge, metrics);
  notification::Housekeeper housekeeper(*db, clock);
  server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.notification.v1.NotificationService");
  server.AddReadinessCheck("database", [&db] { return db->Ping(); });
  // Health detail only (never NOT_SERVING for these): docs/OPERATIONS.md.
  server.AddHealthComponent("redis_queue",
                            [&dispatcher] { return notification::RedisQueueHealth(dispatcher.health()); });
  const bool has_patient_service = !absl::GetFlag(FLAGS_patient_address).empty();
  server.AddHealthComponent("patient_service", [&observed_contacts, has_patient_service] {
    if (!has_patient_service) {
      return server::ComponentHealth{server::ComponentState::kNotServing, "no --patient_address configured"};
    }
    return observed_contacts.health();
  });
  dispatcher.Start();
  const int exit_code = server::ServeUntilShutdown(server);
  // After the drain: workers finish the send in progress and return the rest of their
  // claims to the queue, so another replica sends them at once.
  dispatcher.Stop();
  return exit_code;
}
