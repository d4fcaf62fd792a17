#pragma once

// Versioned schema migrations, applied at start-up.
//
//   constexpr sql::Migration kMigrations[] = {
//       {1, "patients", "CREATE TABLE patients (id TEXT PRIMARY KEY, version BIGINT NOT NULL);"},
//       {.version = 2, .name = "photos",
//        .sqlite_sql = "CREATE TABLE photos (id TEXT PRIMARY KEY, jpeg BLOB NOT NULL);",
//        .postgres_sql = "CREATE TABLE photos (id TEXT PRIMARY KEY, jpeg BYTEA NOT NULL);"},
//   };
//   absl::Status s = sql::Migrate(*db, kMigrations);
//
// Applied migrations are recorded in the table `schema_migrations` (version, name,
// checksum, applied_at_us). A migration, once released, never changes: fix a mistake
// with a new migration.

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "common/sql/database.h"

namespace clinic::sql {

struct Migration {
  // Positive and unique; migrations are applied in increasing order.
  int64_t version = 0;
  // A short description for operators ("add_reminder_index").
  std::string_view name = {};
  // The statements (several allowed, `;`-separated) for both backends...
  std::string_view sql = {};
  // ...unless a dialect-specific variant is given, which then replaces `sql` on that
  // backend. Each backend needs one of the two to be non-empty.
  std::string_view sqlite_sql = {};
  std::string_view postgres_sql = {};
};

// Brings the schema up to date: applies, in version order, each migration not yet
// recorded in `schema_migrations`, each in its own transaction together with its record,
// so a failed migration leaves nothing behind and is retried at the next start-up.
//
// Safe when several processes (replicas starting at once) or several Database objects
// migrate the same database concurrently: each migration is applied exactly once. On
// PostgreSQL the transactions hold a transaction-scoped advisory lock; on SQLite the
// write lock taken by BEGIN IMMEDIATE serialises them. Statements that PostgreSQL cannot
// run inside a transaction (CREATE INDEX CONCURRENTLY) are not supported.
//
// Returns FAILED_PRECONDITION, naming the version, when an applied migration's SQL (for
// this backend) no longer matches its recorded checksum; nothing is applied then.
// INVALID_ARGUMENT for duplicate or non-positive versions or a migration with no SQL for
// this backend. Versions recorded in the database but unknown to `migrations` (a newer
// release's schema during a rollback) are left alone. Other errors as for
// Database::Transact.
absl::Status Migrate(Database& db, std::span<const Migration> migrations);

}  // namespace clinic::sql
