#include "common/sql/migrations.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/sql/internal/strings.h"

namespace clinic::sql {
namespace {

using internal::AbslView;

// Any fixed key works: advisory locks are scoped to the current database, and every
// service has its own. ("clinic_m" in ASCII.)
constexpr int64_t kMigrationLockKey = 0x636c696e69635f6d;

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at_us BIGINT NOT NULL)";

std::string_view SqlFor(const Migration& m, Dialect dialect) {
  std::string_view variant = dialect == Dialect::kSqlite ? m.sqlite_sql : m.postgres_sql;
  return variant.empty() ? m.sql : variant;
}

// Detects edits, not tampering: FNV-1a is enough and needs no crypto library.
std::string Checksum(std::string_view sql) {
  uint64_t h = 14695981039346656037ULL;
  for (char c : sql) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return absl::StrFormat("fnv1a64:%016x", h);
}

std::string_view NowMicrosSql(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
                                     : "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)";
}

// Serialises migrating processes. SQLite needs nothing: BEGIN IMMEDIATE already holds
// the database's only write lock.
absl::Status LockMigrations(Transaction& tx) {
  if (tx.dialect() != Dialect::kPostgres) return absl::OkStatus();
  return tx.Query(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockKey, ")")).status();
}

absl::Status ChangedError(const Migration& m, absl::string_view recorded, absl::string_view now) {
  return absl::FailedPreconditionError(absl::StrCat("migration ", m.version, " (", AbslView(m.name),
                                                    ") was changed after it was applied: recorded checksum ",
                                                    recorded, ", now ", now, "; add a new migration instead"));
}

}  // namespace

absl::Status Migrate(Database& db, std::span<const Migration> migrations) {
  const Dialect dialect = db.dialect();
  std::vector<const Migration*> ordered;
  absl::flat_hash_set<int64_t> versions;
  for (const Migration& m : migrations) {
    if (m.version <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("migration ", m.version, " (", AbslView(m.name), "): version must be positive"));
    }
    if (!versions.insert(m.version).second) {
      return absl::InvalidArgumentError(absl::StrCat("migration version ", m.version, " appears twice"));
    }
    if (SqlFor(m, dialect).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("migration ", m.version, " (", AbslView(m.name), ") has no SQL for this database"));
    }
    ordered.push_back(&m);
  }
  std::sort(ordered.begin(), ordered.end(), [](const Migration* a, const Migration* b) { return a->version < b->version; });

  // READ COMMITTED on PostgreSQL: each statement must see what a replica committed while
  // this one waited for the lock (a serializable snapshot would predate the wait).
  TransactionOptions options;
  options.isolation = TransactionOptions::Isolation::kReadCommitted;

  // Created under the lock too: concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL.
  absl::Status s = db.Transact(options, [&](Transaction& tx) -> absl::Status {
    if (absl::Status l = LockMigrations(tx); !l.ok()) return l;
    return tx.ExecuteScript(kCreateTable);
  });
  if (!s.ok()) return s;

  // Check every applied migration before applying anything new.
  absl::flat_hash_map<int64_t, std::string> applied;
  s = db.Transact(options, [&](Transaction& tx) -> absl::Status {
    applied.clear();
    absl::StatusOr<ResultSet> rows = tx.Query("SELECT version, checksum FROM schema_migrations");
    if (!rows.ok()) return rows.status();
    for (const Row& row : *rows) applied[row.GetInt64(0)] = row.GetText(1);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  for (const Migration* m : ordered) {
    auto it = applied.find(m->version);
    if (it == applied.end()) continue;
    const std::string checksum = Checksum(SqlFor(*m, dialect));
    if (it->second != checksum) return ChangedError(*m, it->second, checksum);
  }

  const std::string insert =
      absl::StrCat("INSERT INTO schema_migrations (version, name, checksum, applied_at_us) VALUES ($1, $2, $3, ",
                   AbslView(NowMicrosSql(dialect)), ")");
  for (const Migration* m : ordered) {
    if (applied.contains(m->version)) continue;
    const std::string_view sql = SqlFor(*m, dialect);
    const std::string checksum = Checksum(sql);
    s = db.Transact(options, [&](Transaction& tx) -> absl::Status {
      if (absl::Status l = LockMigrations(tx); !l.ok()) return l;
      // Another process may have applied it while this one waited for the lock.
      absl::StatusOr<ResultSet> rows =
          tx.Query("SELECT checksum FROM schema_migrations WHERE version = $1", {m->version});
      if (!rows.ok()) return rows.status();
      if (!rows->empty()) {
        const std::string& recorded = (*rows)[0].GetText(0);
        return recorded == checksum ? absl::OkStatus() : ChangedError(*m, recorded, checksum);
      }
      if (absl::Status e = tx.ExecuteScript(sql); !e.ok()) return e;
      return tx.Execute(insert, {m->version, m->name, checksum}).status();
    });
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("applying migration ", m->version, " (", AbslView(m->name), "): ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace clinic::sql
