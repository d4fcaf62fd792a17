// The scheduling service's composition root: configuration, dependencies, server.
#include <memory>

#include "common/config/flags.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "common/service/dependencies.h"
#include "services/scheduling/scheduling_service.h"
#include "services/scheduling/schema.h"

int main(int argc, char** argv) {
  clinic::server::BlockShutdownSignals();
  clinic::config::ParseFlags(argc, argv, "The scheduling service: clinics, practitioners, appointment types, appointments and injection courses.");
  auto runtime = clinic::server::RuntimeFromFlags("scheduling");
  std::unique_ptr<clinic::sql::Database> db = clinic::service::OpenDatabaseFromFlags(clinic::scheduling::Migrations());

  clinic::server::CallRunner calls(*runtime->verifier);
  clinic::scheduling::SchedulingService service(calls);
  clinic::server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.scheduling.v1.SchedulingService");
  server.AddReadinessCheck("database", [&db] { return db->Ping(); });
  return clinic::server::ServeUntilShutdown(server);
}
