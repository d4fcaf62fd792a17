#pragma once

// The outside-the-process dependencies a service's main() opens from flags:
//   --database_url  (CLINIC_DATABASE_URL)  sqlite:///path.db or postgresql://…
//   --database_pool_size, --database_startup_timeout
//   --redis_url     (CLINIC_REDIS_URL)     redis://host:port[/db]
//   --redis_pool_size, --redis_timeout
// A bad setting stops start-up naming it (exit status 2).

#include <memory>
#include <span>

#include "common/redis/client.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"

namespace clinic::service {

// Opens --database_url and applies `migrations`. While the database cannot be reached
// it retries with backoff for --database_startup_timeout (replicas may start before
// their database), then exits with status 1. A bad URL exits with status 2.
std::unique_ptr<sql::Database> OpenDatabaseFromFlags(std::span<const sql::Migration> migrations);

// Makes the Redis client for --redis_url. Never fails because Redis is down (services
// fail open or keep their data in the database until Redis is back); logs a loud
// warning when Redis's maxmemory-policy could evict queue entries.
std::unique_ptr<redis::Client> OpenRedisFromFlags();

}  // namespace clinic::service
