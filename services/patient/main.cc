// The patient service's composition root: configuration, dependencies, server.
//
// Cache flags (each also CLINIC_<NAME>): --cache_enabled --cache_ttl --cache_timeout
//   --cache_breaker_failures --cache_breaker_cooldown
#include <memory>

#include "absl/flags/flag.h"
#include "absl/time/time.h"

#include "common/clock/clock.h"
#include "common/config/flags.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "common/service/dependencies.h"
#include "common/log/log.h"
#include "services/patient/clinical_store.h"
#include "services/patient/patient_cache.h"
#include "services/patient/patient_service.h"
#include "services/patient/schema.h"

ABSL_FLAG(bool, cache_enabled, true, "Read patient records through the Redis cache (--redis_url).");
ABSL_FLAG(absl::Duration, cache_ttl, absl::Minutes(10), "Lifetime of a cached patient record or tombstone.");
ABSL_FLAG(absl::Duration, cache_timeout, absl::Milliseconds(50),
          "Longest Redis call of the cache (a tenth of the RPC's remaining deadline when smaller).");
ABSL_FLAG(int, cache_breaker_failures, 5, "Consecutive cache failures that stop calling Redis.");
ABSL_FLAG(absl::Duration, cache_breaker_cooldown, absl::Seconds(5),
          "How long the cache leaves Redis alone before one probe call.");

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
  std::unique_ptr<clinic::patient::PatientCache> cache;
  if (absl::GetFlag(FLAGS_cache_enabled)) {
    clinic::patient::PatientCacheOptions cache_options;
    cache_options.ttl = absl::GetFlag(FLAGS_cache_ttl);
    cache_options.timeout = absl::GetFlag(FLAGS_cache_timeout);
    cache_options.breaker_failures = absl::GetFlag(FLAGS_cache_breaker_failures);
    cache_options.breaker_cooldown = absl::GetFlag(FLAGS_cache_breaker_cooldown);
    if (cache_options.ttl < absl::Seconds(1)) clinic::config::FailSetting("cache_ttl", "at least 1s");
    if (cache_options.timeout <= absl::ZeroDuration()) clinic::config::FailSetting("cache_timeout", "must be positive");
    if (cache_options.breaker_failures < 1) clinic::config::FailSetting("cache_breaker_failures", "at least 1");
    cache = std::make_unique<clinic::patient::PatientCache>(*redis, clock, runtime->registry, cache_options);
  }
  clinic::patient::PatientService service(calls, *db, clock, cache.get());
  clinic::server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.patient.v1.PatientService");
  server.AddReadinessCheck("database", [&db] { return db->Ping(); });
  if (cache != nullptr) {
    // Health detail only: the cache fails open, so the service keeps serving without it.
    server.AddHealthComponent("cache", [&cache] {
      using clinic::server::ComponentState;
      if (!cache->breaker_open()) return clinic::server::ComponentHealth{ComponentState::kServing, ""};
      return clinic::server::ComponentHealth{ComponentState::kNotServing,
                                             "breaker open: Redis failing, reads go to the database"};
    });
  }
  return clinic::server::ServeUntilShutdown(server);
}
