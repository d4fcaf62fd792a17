// The notification service's composition root: configuration, dependencies, server.
#include <memory>

#include "common/config/flags.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "common/service/dependencies.h"
#include "services/notification/notification_service.h"
#include "services/notification/schema.h"

int main(int argc, char** argv) {
  clinic::server::BlockShutdownSignals();
  clinic::config::ParseFlags(argc, argv, "The notification service: reminders queued in Redis and sent by SMS or email with consent.");
  auto runtime = clinic::server::RuntimeFromFlags("notification");
  std::unique_ptr<clinic::sql::Database> db = clinic::service::OpenDatabaseFromFlags(clinic::notification::Migrations());
  // Redis is optional at run time (the service fails open), so it is not a readiness check.
  std::unique_ptr<clinic::redis::Client> redis = clinic::service::OpenRedisFromFlags();

  clinic::server::CallRunner calls(*runtime->verifier);
  clinic::notification::NotificationService service(calls);
  clinic::server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.notification.v1.NotificationService");
  server.AddReadinessCheck("database", [&db] { return db->Ping(); });
  return clinic::server::ServeUntilShutdown(server);
}
