// The inventory service's composition root: configuration, dependencies, server.
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "common/clock/clock.h"
#include "common/config/flags.h"
#include "common/log/log.h"
#include "common/outbox/relay.h"
#include "common/peer/channel.h"
#include "common/peer/peer_call.h"
#include "common/peer/token_source.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "common/service/dependencies.h"
#include "services/inventory/alert_sender.h"
#include "services/inventory/alert_store.h"
#include "services/inventory/housekeeper.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/schema.h"

ABSL_FLAG(std::string, notification_address, "",
          "The notification service (gRPC target) that receives staff alerts. Empty: alerts are kept in the outbox "
          "(not lost) and sent once it is set.");
ABSL_FLAG(std::string, peer_tls_ca_file, "", "CA (PEM) of the peers' certificates; enables TLS to peers.");
ABSL_FLAG(std::string, peer_tls_cert_file, "", "Client certificate (PEM) presented to peers (mTLS).");
ABSL_FLAG(std::string, peer_tls_key_file, "", "Client private key (PEM) for --peer_tls_cert_file.");
ABSL_FLAG(std::string, peer_token_file, "",
          "File holding the bearer token this service presents to peers (re-read when it changes). Default: tokens "
          "minted with --jwt_hs256_key_file for subject 'inventory'.");
ABSL_FLAG(absl::Duration, outbox_poll_interval, absl::Seconds(1), "How often the outbox relay looks for due messages.");
ABSL_FLAG(int, outbox_max_attempts, 12, "Delivery attempts of an outbox message before it is dead (kept, logged).");

// Defined with the common server flags (common/server/runtime.cc).
ABSL_DECLARE_FLAG(std::string, jwt_hs256_key_file);
ABSL_DECLARE_FLAG(std::string, jwt_issuer);
ABSL_DECLARE_FLAG(std::string, jwt_audience);
ABSL_DECLARE_FLAG(bool, insecure_dev_auth);

namespace {

// No token: only for peers run with --insecure_dev_auth.
class NoToken final : public clinic::peer::TokenSource {
 public:
  absl::StatusOr<std::string> Token() override { return std::string(); }
};

// The service's own identity on peer calls.
std::unique_ptr<clinic::peer::TokenSource> ServiceTokens(const clinic::Clock& clock) {
  if (const std::string file = absl::GetFlag(FLAGS_peer_token_file); !file.empty()) {
    auto tokens = clinic::peer::NewFileTokenSource(file);
    clinic::config::CheckSetting("peer_token_file", tokens.status());
    return *std::move(tokens);
  }
  if (const std::string key = absl::GetFlag(FLAGS_jwt_hs256_key_file); !key.empty()) {
    clinic::peer::Hs256TokenOptions options;
    options.key_file = key;
    options.service_name = "inventory";
    options.issuer = absl::GetFlag(FLAGS_jwt_issuer);
    options.audience = absl::GetFlag(FLAGS_jwt_audience);
    auto tokens = clinic::peer::NewHs256TokenSource(options, clock);
    clinic::config::CheckSetting("jwt_hs256_key_file", tokens.status());
    return *std::move(tokens);
  }
  if (!absl::GetFlag(FLAGS_insecure_dev_auth)) {
    clinic::config::FailSetting("peer_token_file",
                                "calling the notification service needs a token: set --peer_token_file or "
                                "--jwt_hs256_key_file");
  }
  return std::make_unique<NoToken>();
}

}  // namespace

int main(int argc, char** argv) {
  clinic::server::BlockShutdownSignals();
  clinic::config::ParseFlags(argc, argv, "The inventory service: products, lots with expiry, stock per clinic, reservations, recalls and alerts.");
  auto runtime = clinic::server::RuntimeFromFlags("inventory");
  std::unique_ptr<clinic::sql::Database> db = clinic::service::OpenDatabaseFromFlags(clinic::inventory::Migrations());

  clinic::server::CallRunner calls(*runtime->verifier);
  clinic::SystemClock clock;
  clinic::inventory::InventoryService service(calls, *db, clock);
  clinic::inventory::Housekeeper housekeeper(*db, clock);

  // Staff alerts: written to the outbox with the stock change that raised them, and
  // delivered from there to the notification service.
  clinic::outbox::RelayMetrics outbox_metrics(runtime->registry);
  clinic::peer::ClientMetrics peer_metrics(runtime->registry);
  clinic::outbox::RelayOptions relay_options;
  relay_options.poll_interval = absl::GetFlag(FLAGS_outbox_poll_interval);
  if (relay_options.poll_interval <= absl::ZeroDuration()) {
    clinic::config::FailSetting("outbox_poll_interval", "must be positive");
  }
  relay_options.max_attempts = absl::GetFlag(FLAGS_outbox_max_attempts);
  if (relay_options.max_attempts < 1) clinic::config::FailSetting("outbox_max_attempts", "must be at least 1");
  std::unique_ptr<clinic::peer::TokenSource> tokens;
  std::unique_ptr<clinic::inventory::StaffAlertSender> sender;
  clinic::outbox::Relay relay(*db, clock, relay_options, &outbox_metrics);
  if (const std::string address = absl::GetFlag(FLAGS_notification_address); !address.empty()) {
    tokens = ServiceTokens(clock);
    clinic::peer::ChannelOptions channel_options;
    channel_options.name = "notification";
    channel_options.address = address;
    channel_options.tls_ca_file = absl::GetFlag(FLAGS_peer_tls_ca_file);
    channel_options.tls_cert_file = absl::GetFlag(FLAGS_peer_tls_cert_file);
    channel_options.tls_key_file = absl::GetFlag(FLAGS_peer_tls_key_file);
    auto channel = clinic::peer::NewChannel(channel_options);
    clinic::config::CheckSetting("notification_address", channel.status());
    sender = std::make_unique<clinic::inventory::StaffAlertSender>(
        clinic::notification::v1::NotificationService::NewStub(*channel), *tokens, &peer_metrics);
    relay.Handle(clinic::inventory::store::kStaffAlertTopic,
                 [&sender](const clinic::outbox::Message& message) { return sender->Deliver(message); });
  } else {
    clinic::log::Warn("no --notification_address: staff alerts are kept in the outbox and sent once it is set");
  }
  relay.Start();

  clinic::server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.inventory.v1.InventoryService");
  server.AddReadinessCheck("database", [&db] { return db->Ping(); });
  const int code = clinic::server::ServeUntilShutdown(server);
  relay.Stop();
  return code;
}
