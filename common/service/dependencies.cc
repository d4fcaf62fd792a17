#include "common/service/dependencies.h"

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/flags.h"
#include "common/log/log.h"
#include "common/redis/eviction_policy.h"
#include "common/redis/hiredis_client.h"

ABSL_FLAG(std::string, database_url, "",
          "The service's database: sqlite:///abs/path/file.db (embedded default) or postgresql://user@host/db.");
ABSL_FLAG(int, database_pool_size, 8, "Most database connections open at once.");
ABSL_FLAG(absl::Duration, database_startup_timeout, absl::Seconds(60),
          "How long start-up waits for an unreachable database before giving up.");
ABSL_FLAG(std::string, redis_url, "redis://127.0.0.1:6379", "Redis: redis://[:password@]host:port[/db].");
ABSL_FLAG(int, redis_pool_size, 8, "Most Redis connections open at once.");
ABSL_FLAG(absl::Duration, redis_timeout, absl::Milliseconds(200),
          "Connect and command timeout of Redis calls (callers may give a shorter one).");

namespace clinic::service {

std::unique_ptr<sql::Database> OpenDatabaseFromFlags(std::span<const sql::Migration> migrations) {
  const std::string url = absl::GetFlag(FLAGS_database_url);
  if (url.empty()) config::FailSetting("database_url", "required (e.g. sqlite:///var/lib/clinic/patient.db)");
  sql::OpenOptions options;
  options.pool_size = absl::GetFlag(FLAGS_database_pool_size);
  if (options.pool_size < 1) config::FailSetting("database_pool_size", "must be at least 1");
  auto db = sql::Open(url, options);
  if (!db.ok()) {
    // The message names what is wrong, never the URL (it may hold a password).
    config::FailSetting("database_url", db.status().message());
  }
  const absl::Time give_up = absl::Now() + absl::GetFlag(FLAGS_database_startup_timeout);
  absl::Duration backoff = absl::Milliseconds(200);
  while (true) {
    absl::Status migrated = sql::Migrate(**db, migrations);
    if (migrated.ok()) break;
    if (migrated.code() != absl::StatusCode::kUnavailable && migrated.code() != absl::StatusCode::kAborted) {
      log::Error("database migration failed", {{"error", std::string(migrated.message())}});
      std::exit(1);
    }
    if (absl::Now() + backoff > give_up) {
      log::Error("database unreachable at start-up; giving up", {{"error", std::string(migrated.message())}});
      std::exit(1);
    }
    log::Warn("database unreachable at start-up; retrying", {{"error", std::string(migrated.message())},
                                                             {"retry_in", absl::FormatDuration(backoff)}});
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
  log::Info("database ready", {{"backend", (*db)->dialect() == sql::Dialect::kPostgres ? "postgresql" : "sqlite"}});
  return *std::move(db);
}

std::unique_ptr<redis::Client> OpenRedisFromFlags() {
  redis::ClientOptions options;
  options.url = absl::GetFlag(FLAGS_redis_url);
  options.pool_size = absl::GetFlag(FLAGS_redis_pool_size);
  options.connect_timeout = options.command_timeout = options.pool_wait_timeout = absl::GetFlag(FLAGS_redis_timeout);
  auto client = redis::HiredisClient::Create(options);
  if (!client.ok()) config::FailSetting("redis_url", client.status().message());
  redis::WarnUnlessNoEviction(**client);
  return *std::move(client);
}

}  // namespace clinic::service
