#include "services/notification/schema.h"

namespace clinic::notification {

// No tables yet: the issue that implements this service's RPCs adds its schema here as
// migration 1. Migrate() still creates schema_migrations and proves the database works.
std::span<const sql::Migration> Migrations() { return {}; }

}  // namespace clinic::notification
