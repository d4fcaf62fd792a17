// The inventory service's composition root: configuration, dependencies, server.
#include <memory>

#include "common/clock/clock.h"
#include "common/config/flags.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "common/service/dependencies.h"
#include "services/inventory/housekeeper.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/schema.h"

int main(int argc, char** argv) {
  clinic::server::BlockShutdownSignals();
  clinic::config::ParseFlags(argc, argv, "The inventory service: products, lots with expiry, stock per clinic, reservations, recalls and alerts.");
  auto runtime = clinic::server::RuntimeFromFlags("inventory");
  std::unique_ptr<clinic::sql::Database> db = clinic::service::OpenDatabaseFromFlags(clinic::inventory::Migrations());

  clinic::server::CallRunner calls(*runtime->verifier);
  clinic::SystemClock clock;
  clinic::inventory::InventoryService service(calls, *db, clock);
  clinic::inventory::Housekeeper housekeeper(*db, clock);
  clinic::server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.inventory.v1.InventoryService");
  server.AddReadinessCheck("database", [&db] { return db->Ping(); });
  return clinic::server::ServeUntilShutdown(server);
}
