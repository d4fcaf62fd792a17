// The patient service's composition root: configuration, dependencies, server.
#include <memory>

#include "common/clock/clock.h"
#include "common/config/flags.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "common/service/dependencies.h"
#include "common/log/log.h"
#include "services/patient/clinical_store.h"
#include "services/patient/patient_service.h"
#include "services/patient/schema.h"

int main(int argc, char** argv) {
  clinic::server::BlockShutdownSignals();
  clinic::config::ParseFlags(argc, argv, "The patient service: patient records shared under consent, labs, eligibility, treatment plans, administrations, check-ins and the access audit log.");
  auto runtime = clinic::server::RuntimeFromFlags("patient");
  std::unique_ptr<clinic::sql::Database> db = clinic::service::OpenDatabaseFromFlags(clinic::patient::Migrations());
  // Redis is optional at run time (the service fails open), so it is not a readiness check.
  std::unique_ptr<clinic::redis::Client> redis = clinic::service::OpenRedisFromFlags();

  clinic::server::CallRunner calls(*runtime->verifier);
  clinic::SystemClock clock;
  // The default laboratory and the standard regimens (idempotent).
  if (absl::Status seeded = clinic::patient::store::SeedReferenceData(*db, clock.Now()); !seeded.ok()) {
    clinic::log::Error("seeding the reference data failed", {{"error", seeded.ToString()}});
    return 1;
  }
  clinic::patient::PatientService service(calls, *db, clock);
  clinic::server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.patient.v1.PatientService");
  server.AddReadinessCheck("database", [&db] { return db->Ping(); });
  return clinic::server::ServeUntilShutdown(server);
}
