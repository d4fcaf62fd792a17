#include "common/sql/database.h"

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/sql/internal/connection.h"
#include "common/sql/internal/pool.h"
#include "common/sql/internal/strings.h"

namespace clinic::sql {
namespace {

using internal::Connection;
using internal::ConnectionPool;

// The handle given to Transact's function. Records the first failed statement: the
// transaction is doomed from then on (PostgreSQL refuses further statements in it; we
// make SQLite behave the same so that code tested on one backend works on the other).
class TransactionImpl final : public Transaction {
 public:
  TransactionImpl(Connection& connection, Dialect dialect) : connection_(connection), dialect_(dialect) {}

  using Transaction::Execute;
  using Transaction::Query;

  Dialect dialect() const override { return dialect_; }

  absl::StatusOr<ResultSet> Query(std::string_view sql, std::span<const Value> params) override {
    if (!first_error_.ok()) return Doomed();
    ResultSet rows;
    absl::StatusOr<int64_t> r = connection_.Run(sql, params, &rows);
    if (!r.ok()) return Fail(r.status());
    return rows;
  }

  absl::StatusOr<int64_t> Execute(std::string_view sql, std::span<const Value> params) override {
    if (!first_error_.ok()) return Doomed();
    absl::StatusOr<int64_t> r = connection_.Run(sql, params, nullptr);
    if (!r.ok()) return Fail(r.status());
    return r;
  }

  absl::Status ExecuteScript(std::string_view sql) override {
    if (!first_error_.ok()) return Doomed();
    absl::Status s = connection_.RunScript(sql);
    if (!s.ok()) return Fail(s);
    return s;
  }

  const absl::Status& first_error() const { return first_error_; }

 private:
  absl::Status Fail(absl::Status s) {
    first_error_ = s;
    return s;
  }
  absl::Status Doomed() const {
    return absl::Status(first_error_.code(),
                        absl::StrCat("transaction already failed: ", first_error_.message()));
  }

  Connection& connection_;
  const Dialect dialect_;
  absl::Status first_error_;
};

class PooledDatabase final : public Database {
 public:
  PooledDatabase(Dialect dialect, internal::ConnectionFactory factory, int pool_size, absl::Duration wait)
      : dialect_(dialect), pool_(std::move(factory), pool_size, wait) {}

  using Database::Transact;

  Dialect dialect() const override { return dialect_; }

  absl::Status Transact(const TransactionOptions& options,
                        absl::FunctionRef<absl::Status(Transaction&)> fn) override {
    absl::StatusOr<ConnectionPool::Lease> lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    const int attempts = std::max(1, options.max_attempts);
    absl::Status last;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) Backoff(options, attempt);
      bool conflict = false;
      last = RunOnce(**lease, options, fn, &conflict);
      if (!conflict) return last;
    }
    return absl::AbortedError(
        absl::StrCat("transaction still conflicting after ", attempts, " attempts: ", last.message()));
  }

  absl::Status Ping() override {
    absl::StatusOr<ConnectionPool::Lease> lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    return (*lease)->Ping();
  }

 private:
  // One attempt. Sets *conflict when the failure is a write conflict worth retrying:
  // only errors from the driver (ABORTED is reserved for those), never fn's own.
  absl::Status RunOnce(Connection& connection, const TransactionOptions& options,
                       absl::FunctionRef<absl::Status(Transaction&)> fn, bool* conflict) {
    if (absl::Status s = connection.Begin(options); !s.ok()) {
      *conflict = s.code() == absl::StatusCode::kAborted;
      return s;
    }
    TransactionImpl tx(connection, dialect_);
    absl::Status s = fn(tx);
    if (!tx.first_error().ok()) {
      connection.Rollback();
      *conflict = tx.first_error().code() == absl::StatusCode::kAborted;
      return tx.first_error();
    }
    if (!s.ok()) {
      connection.Rollback();
      return s;
    }
    if (absl::Status c = connection.Commit(); !c.ok()) {
      connection.Rollback();
      *conflict = c.code() == absl::StatusCode::kAborted;
      return c;
    }
    return absl::OkStatus();
  }

  void Backoff(const TransactionOptions& options, int retry) {
    absl::Duration cap = options.initial_backoff;
    for (int i = 1; i < retry && cap < options.max_backoff; ++i) cap *= 2;
    cap = std::min(cap, options.max_backoff);
    // Jitter needs no quality, only to differ between threads: a generator per call,
    // seeded from the clock and the thread, shares nothing.
    std::minstd_rand random(static_cast<uint32_t>(
        absl::GetCurrentTimeNanos() ^ static_cast<int64_t>(std::hash<std::thread::id>()(std::this_thread::get_id()))));
    std::uniform_int_distribution<int64_t> jitter(0, absl::ToInt64Microseconds(cap));
    absl::SleepFor(absl::Microseconds(jitter(random)));
  }

  const Dialect dialect_;
  ConnectionPool pool_;
};

}  // namespace

absl::StatusOr<ResultSet> Database::Query(std::string_view sql, std::span<const Value> params) {
  ResultSet rows;
  absl::Status s = Transact([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<ResultSet> r = tx.Query(sql, params);
    if (!r.ok()) return r.status();
    rows = *std::move(r);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return rows;
}

absl::StatusOr<int64_t> Database::Execute(std::string_view sql, std::span<const Value> params) {
  int64_t changed = 0;
  absl::Status s = Transact([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> r = tx.Execute(sql, params);
    if (!r.ok()) return r.status();
    changed = *r;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return changed;
}

absl::StatusOr<std::unique_ptr<Database>> Open(std::string_view url_text, const OpenOptions& options) {
  absl::string_view url = internal::AbslView(url_text);
  if (absl::ConsumePrefix(&url, "sqlite:")) {
    std::string path;
    if (url == ":memory:") {
      path = ":memory:";
    } else {
      absl::ConsumePrefix(&url, "//");  // sqlite:///abs/path -> /abs/path
      path = std::string(url);
    }
    if (path.empty()) return absl::InvalidArgumentError("SQLite URL has no file name");
    const int pool_size = path == ":memory:" ? 1 : options.pool_size;
    auto db = std::make_unique<PooledDatabase>(
        Dialect::kSqlite, internal::SqliteConnectionFactory(path, options), pool_size, options.pool_wait_timeout);
    // Open the first connection now: a bad path or unwritable directory fails here,
    // and the file (with its WAL mode) exists from now on.
    if (absl::Status s = db->Ping(); !s.ok()) return s;
    return db;
  }
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://") ||
      absl::StrContains(url, '=')) {
    absl::StatusOr<internal::ConnectionFactory> factory = internal::PostgresConnectionFactory(url_text, options);
    if (!factory.ok()) return factory.status();
    return std::make_unique<PooledDatabase>(Dialect::kPostgres, *std::move(factory), options.pool_size,
                                            options.pool_wait_timeout);
  }
  // The URL itself may hold a password: never echo it.
  return absl::InvalidArgumentError(
      "unknown database URL: want sqlite:///path, sqlite::memory:, postgresql://… or a libpq key=value string");
}

}  // namespace clinic::sql
