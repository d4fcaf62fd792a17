#pragma once

// The SQL layer: one small interface over SQLite (the embedded default) and PostgreSQL.
//
//   absl::StatusOr<std::unique_ptr<sql::Database>> db =
//       sql::Open("sqlite:///var/lib/clinic/inventory.db");   // in main(), once
//   ...
//   absl::Status s = (*db)->Transact({}, [&](sql::Transaction& tx) -> absl::Status {
//     absl::StatusOr<sql::ResultSet> rows =
//         tx.Query("SELECT stock FROM stock WHERE clinic_id = $1 AND product_id = $2",
//                  {clinic_id, product_id});
//     if (!rows.ok()) return rows.status();
//     if (rows->empty()) return absl::NotFoundError("no stock row");
//     ...
//     return tx.Execute("UPDATE stock SET stock = $1 WHERE ...", {...}).status();
//   });
//
// Portable SQL. The same text runs on both backends when it keeps to what both accept:
// placeholders are written `$1, $2, …` (never `?`); types BIGINT, DOUBLE PRECISION,
// TEXT, BOOLEAN, and bytes through a dialect-specific migration (BYTEA / BLOB);
// `INSERT … ON CONFLICT … DO UPDATE/NOTHING`; `RETURNING`; `CAST($1 AS BIGINT)` where
// PostgreSQL cannot infer a parameter's type (not `$1::bigint`). Times are int64
// microseconds since the epoch.
//
// Status codes returned by every call (the most specific canonical code; messages
// carry the driver's message but never a parameter value):
//   UNAVAILABLE         the database cannot be reached, or no pooled connection became
//                       free within OpenOptions::pool_wait_timeout — retry the call later
//   ALREADY_EXISTS      a unique or primary-key constraint was violated
//   FAILED_PRECONDITION a foreign-key, check, not-null or exclusion constraint was
//                       violated, or a write was attempted in a read-only transaction
//   ABORTED             a write conflict (SQLite busy/locked, PostgreSQL serialization
//                       failure 40001 or deadlock 40P01) persisted through every retry
//   DEADLINE_EXCEEDED   PostgreSQL cancelled the statement (statement_timeout)
//   INVALID_ARGUMENT    a malformed URL given to Open(), or bad migration definitions
//   INTERNAL            anything else (syntax errors, missing tables, type errors, ...)

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sql/value.h"

namespace clinic::sql {

enum class Dialect { kSqlite, kPostgres };

// The statements of one transaction. Handed to the function given to
// Database::Transact and valid only during that call; used by that call's thread only.
//
// A failed statement dooms the whole transaction, as PostgreSQL does: later statements
// return the same error, and Transact rolls back and returns that error even if the
// function returns OK. So "insert, and on ALREADY_EXISTS do something else" must be
// written as one statement (`INSERT … ON CONFLICT …`).
class Transaction {
 public:
  virtual ~Transaction() = default;

  virtual Dialect dialect() const = 0;

  // Runs one statement and returns the rows it produced (SELECT, or `… RETURNING`).
  // `params` bind to `$1, $2, …` in order; their number must match the placeholders.
  // Statements are prepared once per connection and cached by their SQL text (up to 256
  // per connection; more are prepared for one use), so keep values out of the text.
  virtual absl::StatusOr<ResultSet> Query(std::string_view sql, std::span<const Value> params) = 0;
  absl::StatusOr<ResultSet> Query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Query(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Runs one statement and returns the number of rows it inserted, updated or deleted
  // (0 for other statements).
  virtual absl::StatusOr<int64_t> Execute(std::string_view sql, std::span<const Value> params) = 0;
  absl::StatusOr<int64_t> Execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Execute(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // Runs a script of several `;`-separated statements without parameters (schema
  // migrations). Statements are not cached.
  virtual absl::Status ExecuteScript(std::string_view sql) = 0;
};

struct TransactionOptions {
  // Read-only: SQLite `BEGIN` (deferred) with writes refused; PostgreSQL `READ ONLY`.
  // A write in a read-only transaction fails with FAILED_PRECONDITION.
  bool read_only = false;

  // PostgreSQL isolation level. SQLite transactions are always serializable (write
  // transactions take the database's write lock at BEGIN: `BEGIN IMMEDIATE`).
  enum class Isolation { kSerializable, kReadCommitted };
  Isolation isolation = Isolation::kSerializable;

  // How often a conflicting transaction is run in total before ABORTED is returned, and
  // the exponential backoff between attempts (each sleep is random in
  // [0, min(max_backoff, initial_backoff * 2^attempt)]: "full jitter").
  int max_attempts = 10;
  absl::Duration initial_backoff = absl::Milliseconds(2);
  absl::Duration max_backoff = absl::Milliseconds(250);
};

// A database: a pool of connections to one SQLite file or one PostgreSQL database.
//
// Thread-safe: any number of threads may call any method at once; each call takes a
// connection from the pool for its duration (waiting up to
// OpenOptions::pool_wait_timeout for a free one) and gives it back. A connection that
// broke (PostgreSQL restarted, network cut) is reconnected on its next use, so the
// process outlives a database restart. Calls block the calling thread: do not make them
// from a callback that must not block.
//
// The Database must outlive every call in progress on it.
class Database {
 public:
  virtual ~Database() = default;

  virtual Dialect dialect() const = 0;

  // Runs `fn` in a transaction on one connection: BEGIN, fn(tx), then COMMIT if fn
  // returned OK and no statement failed, else ROLLBACK.
  //
  // Returns OK once committed; otherwise the first failed statement's error, else fn's
  // own error unchanged, else the COMMIT's error.
  //
  // Retries: when a statement or the COMMIT fails with a write conflict (SQLite
  // SQLITE_BUSY/SQLITE_LOCKED after the busy timeout, PostgreSQL 40001 serialization
  // failure or 40P01 deadlock) the transaction is rolled back and run again from BEGIN,
  // after a backoff, up to options.max_attempts times in total; then ABORTED. Nothing else
  // is retried: fn's own errors (even ABORTED) are returned at once. So fn MAY BE CALLED
  // MORE THAN ONCE: it must not have effects outside the transaction (or they must be
  // idempotent), and must rebuild any results it collects on each call.
  //
  // UNAVAILABLE from the COMMIT means the outcome is unknown (the connection broke while
  // committing); mutating RPCs carry a request_id so that a retry is safe.
  //
  // Do not call Transact (or Query/Execute/Ping) on the same Database from inside fn: the
  // nested call needs a second connection and, on SQLite, the write lock fn holds.
  virtual absl::Status Transact(const TransactionOptions& options,
                                absl::FunctionRef<absl::Status(Transaction&)> fn) = 0;
  absl::Status Transact(absl::FunctionRef<absl::Status(Transaction&)> fn) {
    return Transact(TransactionOptions(), fn);
  }

  // One statement in its own read-write transaction (retried like Transact).
  absl::StatusOr<ResultSet> Query(std::string_view sql, std::span<const Value> params);
  absl::StatusOr<ResultSet> Query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  absl::StatusOr<int64_t> Execute(std::string_view sql, std::span<const Value> params);
  absl::StatusOr<int64_t> Execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Execute(sql, std::span<const Value>(params.begin(), params.size()));
  }

  // A cheap round trip for health checks: OK when the database answers, UNAVAILABLE
  // when it cannot be reached or no connection became free in time.
  virtual absl::Status Ping() = 0;
};

struct OpenOptions {
  // Most connections open at once. An in-memory SQLite database always has one (each
  // connection would otherwise see its own empty database).
  int pool_size = 8;
  // How long a call waits for a free connection before UNAVAILABLE.
  absl::Duration pool_wait_timeout = absl::Seconds(5);
  // SQLite: how long a statement waits for another connection's lock before the
  // transaction counts as conflicting (and is retried).
  absl::Duration sqlite_busy_timeout = absl::Seconds(5);
  // PostgreSQL: libpq connect_timeout (whole seconds, at least 2) unless the URL sets
  // one. TCP keepalives are enabled unless the URL sets them, so that a dead server is
  // noticed rather than waited for.
  absl::Duration postgres_connect_timeout = absl::Seconds(5);
};

// Opens a database by URL:
//   sqlite:///abs/path/file.db   SQLite file (created if missing), WAL journal, foreign
//   sqlite:relative/file.db      keys on, busy timeout as in options
//   sqlite::memory:              private in-memory SQLite database (tests, tools)
//   postgresql://user@host:5432/dbname?sslmode=require   (or postgres://…)
//   host=… port=… dbname=… user=…                        libpq key=value conninfo
//
// SQLite opens (and creates) the file now, so a bad path or a missing directory fails
// here (UNAVAILABLE). PostgreSQL
// connections are made on first use: Open succeeds while the server is down, and Ping()
// reports it. INVALID_ARGUMENT for a URL of no known scheme or a malformed conninfo.
absl::StatusOr<std::unique_ptr<Database>> Open(std::string_view url, const OpenOptions& options = {});

}  // namespace clinic::sql
