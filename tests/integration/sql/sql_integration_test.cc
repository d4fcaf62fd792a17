// One suite, run on both backends: a SQLite file in a temporary folder and a fresh
// database in this process's PostgreSQL cluster.

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "tests/support/ports.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace clinic::sql {
namespace {

using ::clinic::testing::IsOk;
using ::clinic::testing::PostgresServer;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

enum class Backend { kSqlite, kPostgres };

MATCHER_P(IsOkAndHolds, expected, "is OK and holds " + ::testing::PrintToString(expected)) {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return *arg == expected;
}

constexpr Migration kSchema[] = {
    {.version = 1,
     .name = "vals",
     .sqlite_sql = "CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, b BLOB, f BOOLEAN)",
     .postgres_sql =
         "CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA, f BOOLEAN)"},
    {2, "counters", "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)"},
    {3, "clinics_and_patients",
     "CREATE TABLE clinics (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
            "CREATE TABLE patients (id BIGINT PRIMARY KEY, clinic_id BIGINT NOT NULL REFERENCES clinics (id),\n"
            "                       age BIGINT CHECK (age >= 0));"},
};

class SqlTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    url_ = NewDatabaseUrl();
    db_ = OpenDb();
    ASSERT_NE(db_, nullptr);
    CLINIC_ASSERT_OK(Migrate(*db_, kSchema));
  }

  // A new, empty database of the backend under test.
  std::string NewDatabaseUrl() {
    if (GetParam() == Backend::kSqlite) return "sqlite://" + dir_.File(absl::StrCat("db", ++files_, ".db"));
    return PostgresServer::Shared().CreateDatabase();
  }

  std::unique_ptr<Database> OpenDb(const OpenOptions& options = {}, std::string url = "") {
    absl::StatusOr<std::unique_ptr<Database>> db = Open(url.empty() ? url_ : url, options);
    EXPECT_THAT(db, IsOk());
    return db.ok() ? *std::move(db) : nullptr;
  }

  int64_t Count(Database& db, const std::string& table) {
    absl::StatusOr<ResultSet> rows = db.Query("SELECT COUNT(*) FROM " + table);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? (*rows)[0].GetInt64(0) : -1;
  }

  absl::Status Increment(Transaction& tx, const std::string& name) {
    absl::StatusOr<ResultSet> rows = tx.Query("SELECT value FROM counters WHERE name = $1", {name});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return absl::NotFoundError("no counter");
    return tx.Execute("UPDATE counters SET value = $1 WHERE name = $2", {(*rows)[0].GetInt64("value") + 1, name})
        .status();
  }

  int64_t CounterValue(Database& db, const std::string& name) {
    absl::StatusOr<ResultSet> rows = db.Query("SELECT value FROM counters WHERE name = $1", {name});
    EXPECT_THAT(rows, IsOk());
    return rows.ok() && !rows->empty() ? (*rows)[0].GetInt64(0) : -1;
  }

  TempDir dir_;
  int files_ = 0;
  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_P(SqlTest, ReportsItsDialect) {
  EXPECT_EQ(db_->dialect(), GetParam() == Backend::kSqlite ? Dialect::kSqlite : Dialect::kPostgres);
}

TEST_P(SqlTest, PingAnswers) { CLINIC_EXPECT_OK(db_->Ping()); }

TEST_P(SqlTest, RoundTripsEveryTypeIncludingNull) {
  const std::string utf8 = "Zoë Ñúñez — 日本語 ✓ \xF0\x9F\x92\x89";  // ends in U+1F489 (syringe)
  const std::string bytes("\0a\0\xff\x01\0", 6);
  CLINIC_ASSERT_OK(db_->Transact([&](Transaction& tx) -> absl::Status {
    const std::string insert = "INSERT INTO vals (id, i, d, t, b, f) VALUES ($1, $2, $3, $4, $5, $6)";
    for (const auto& params : std::vector<std::vector<Value>>{
             {1, std::numeric_limits<int64_t>::max(), 0.1, utf8, Value::Bytes(bytes), true},
             {2, std::numeric_limits<int64_t>::min(), -1.5e300, "", Value::Bytes(""), false},
             {3, Value(), nullptr, std::optional<std::string>(), std::optional<int64_t>(), Value()},
         }) {
      absl::StatusOr<int64_t> n = tx.Execute(insert, params);
      if (!n.ok()) return n.status();
      EXPECT_EQ(*n, 1);
    }
    return absl::OkStatus();
  }));

  absl::StatusOr<ResultSet> rows = db_->Query("SELECT id, i, d, t, b, f FROM vals ORDER BY id");
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_THAT(rows->columns(), ElementsAre("id", "i", "d", "t", "b", "f"));

  const Row& r1 = (*rows)[0];
  EXPECT_EQ(r1.GetInt64(0), 1);
  EXPECT_EQ(r1.GetInt64("i"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(r1.value("i").type(), Value::Type::kInt64);
  EXPECT_EQ(r1.GetDouble("d"), 0.1);
  EXPECT_EQ(r1.value("d").type(), Value::Type::kDouble);
  EXPECT_EQ(r1.GetText("t"), utf8);
  EXPECT_EQ(r1.value("t").type(), Value::Type::kText);
  EXPECT_EQ(r1.GetBytes("b"), bytes);
  EXPECT_EQ(r1.GetBytes("b").size(), 6u);
  EXPECT_EQ(r1.value("b").type(), Value::Type::kBytes);
  EXPECT_TRUE(r1.GetBool("f"));
  for (int col = 0; col < r1.size(); ++col) EXPECT_FALSE(r1.IsNull(col)) << col;

  const Row& r2 = (*rows)[1];
  EXPECT_EQ(r2.GetInt64("i"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r2.GetDouble("d"), -1.5e300);
  EXPECT_FALSE(r2.IsNull("t"));  // empty text is not NULL
  EXPECT_EQ(r2.GetText("t"), "");
  EXPECT_FALSE(r2.IsNull("b"));  // nor are empty bytes
  EXPECT_EQ(r2.GetBytes("b"), "");
  EXPECT_FALSE(r2.GetBool("f"));

  const Row& r3 = (*rows)[2];
  EXPECT_FALSE(r3.IsNull("id"));
  for (const char* col : {"i", "d", "t", "b", "f"}) EXPECT_TRUE(r3.IsNull(col)) << col;

  // Parameters compare as well as they store.
  auto ids_where = [&](const std::string& condition, Value v) {
    absl::StatusOr<ResultSet> r = db_->Query("SELECT id FROM vals WHERE " + condition + " ORDER BY id", {v});
    EXPECT_THAT(r, IsOk());
    std::vector<int64_t> ids;
    if (r.ok()) {
      for (const Row& row : *r) ids.push_back(row.GetInt64(0));
    }
    return ids;
  };
  EXPECT_THAT(ids_where("b = $1", Value::Bytes(bytes)), ElementsAre(1));
  EXPECT_THAT(ids_where("t = $1", utf8), ElementsAre(1));
  EXPECT_THAT(ids_where("i = $1", std::numeric_limits<int64_t>::min()), ElementsAre(2));
  EXPECT_THAT(ids_where("d = $1", 0.1), ElementsAre(1));
  EXPECT_THAT(ids_where("f = $1", false), ElementsAre(2));
  EXPECT_THAT(ids_where("i IS NULL AND id > $1", 0), ElementsAre(3));

  // Aggregates come back as integers on both backends (PostgreSQL's SUM is numeric).
  absl::StatusOr<ResultSet> agg = db_->Query("SELECT COUNT(*) AS n, SUM(id) AS total FROM vals");
  ASSERT_THAT(agg, IsOk());
  EXPECT_EQ((*agg)[0].GetInt64("n"), 3);
  EXPECT_EQ((*agg)[0].GetInt64("total"), 6);
}

TEST_P(SqlTest, ExecuteReportsChangedRows) {
  for (int i = 1; i <= 3; ++i) {
    EXPECT_THAT(db_->Execute("INSERT INTO counters (name, value) VALUES ($1, $2)", {absl::StrCat("c", i), i}),
                IsOkAndHolds(1));
  }
  EXPECT_THAT(db_->Execute("UPDATE counters SET value = value + 10 WHERE value >= $1", {2}), IsOkAndHolds(2));
  EXPECT_THAT(db_->Execute("DELETE FROM counters WHERE name = $1", {"nope"}), IsOkAndHolds(0));
  absl::StatusOr<ResultSet> returned =
      db_->Query("INSERT INTO counters (name, value) VALUES ($1, $2) RETURNING name, value", {"c4", 4});
  ASSERT_THAT(returned, IsOk());
  ASSERT_EQ(returned->size(), 1u);
  EXPECT_EQ((*returned)[0].GetText("name"), "c4");
  EXPECT_EQ(CounterValue(*db_, "c3"), 13);
}

TEST_P(SqlTest, UpsertIsPortable) {
  const std::string upsert =
      "INSERT INTO counters (name, value) VALUES ($1, 1) "
      "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1";
  for (int i = 0; i < 3; ++i) CLINIC_ASSERT_OK(db_->Execute(upsert, {"visits"}));
  EXPECT_EQ(CounterValue(*db_, "visits"), 3);
}

TEST_P(SqlTest, RollsBackWhenFnReturnsAnError) {
  absl::Status s = db_->Transact([](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> n = tx.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Leeds"});
    if (!n.ok()) return n.status();
    return absl::InvalidArgumentError("the caller changed its mind");
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, "the caller changed its mind"));
  EXPECT_EQ(Count(*db_, "clinics"), 0);
}

TEST_P(SqlTest, UniqueViolationIsAlreadyExistsAndChangesNothing) {
  CLINIC_ASSERT_OK(db_->Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Secret Clinic Name"}));

  int calls = 0;
  absl::Status s = db_->Transact([&](Transaction& tx) -> absl::Status {
    ++calls;
    absl::StatusOr<int64_t> n = tx.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {2, "York"});
    if (!n.ok()) return n.status();
    return tx.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {3, "Secret Clinic Name"}).status();
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("Secret")));  // no parameter values in messages
  EXPECT_EQ(calls, 1);                                             // not a conflict: not retried
  EXPECT_EQ(Count(*db_, "clinics"), 1);

  // Primary key too, outside an explicit transaction.
  EXPECT_THAT(db_->Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Hull"}),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_P(SqlTest, AFailedStatementDoomsTheTransactionEvenIfFnSwallowsIt) {
  CLINIC_ASSERT_OK(db_->Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Leeds"}));
  absl::Status later;
  absl::Status s = db_->Transact([&](Transaction& tx) -> absl::Status {
    CLINIC_EXPECT_OK(tx.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {2, "York"}));
    EXPECT_THAT(tx.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Hull"}),
                StatusIs(absl::StatusCode::kAlreadyExists));
    later = tx.Query("SELECT COUNT(*) FROM clinics").status();
    return absl::OkStatus();
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(later, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already failed")));
  EXPECT_EQ(Count(*db_, "clinics"), 1);
}

TEST_P(SqlTest, ConstraintViolationsAreFailedPrecondition) {
  CLINIC_ASSERT_OK(db_->Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Leeds"}));
  const std::string insert = "INSERT INTO patients (id, clinic_id, age) VALUES ($1, $2, $3)";
  EXPECT_THAT(db_->Execute(insert, {1, 99, 40}), StatusIs(absl::StatusCode::kFailedPrecondition));  // foreign key
  EXPECT_THAT(db_->Execute(insert, {1, 1, -1}), StatusIs(absl::StatusCode::kFailedPrecondition));   // check
  EXPECT_THAT(db_->Execute(insert, {1, nullptr, 40}), StatusIs(absl::StatusCode::kFailedPrecondition));  // not null
  CLINIC_EXPECT_OK(db_->Execute(insert, {1, 1, 40}));
  EXPECT_THAT(db_->Execute("DELETE FROM clinics WHERE id = $1", {1}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(SqlTest, ProgrammingErrorsAreInternal) {
  EXPECT_THAT(db_->Query("SELEC 1"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(db_->Query("SELECT * FROM no_such_table"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(db_->Query("SELECT id FROM vals WHERE id = $1", {1, 2}), StatusIs(absl::StatusCode::kInternal));
}

TEST_P(SqlTest, ConcurrentIncrementsAllLand) {
  CLINIC_ASSERT_OK(db_->Execute("INSERT INTO counters (name, value) VALUES ($1, 0)", {"doses"}));
  OpenOptions options;
  options.pool_size = 4;
  options.pool_wait_timeout = absl::Seconds(60);
  // No busy wait on SQLite: a writer that finds the lock taken fails at once, so the
  // transaction retry (not SQLite's busy handler) is what makes every increment land.
  options.sqlite_busy_timeout = absl::ZeroDuration();
  std::unique_ptr<Database> db = OpenDb(options);
  ASSERT_NE(db, nullptr);

  TransactionOptions tx_options;
  tx_options.max_attempts = 1000;
  tx_options.max_backoff = absl::Milliseconds(20);
  constexpr int kThreads = 6;
  constexpr int kIncrements = 25;
  std::atomic<int> calls{0};
  std::vector<absl::Status> failures[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        absl::Status s = db->Transact(tx_options, [&](Transaction& tx) {
          calls.fetch_add(1, std::memory_order_relaxed);
          return Increment(tx, "doses");
        });
        if (!s.ok()) failures[t].push_back(s);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_THAT(failures[t], ::testing::IsEmpty()) << "thread " << t;
  EXPECT_EQ(CounterValue(*db_, "doses"), kThreads * kIncrements);
  RecordProperty("fn_calls", calls.load());
}

TEST_P(SqlTest, ConflictBeyondMaxAttemptsIsAborted) {
  CLINIC_ASSERT_OK(db_->Execute("INSERT INTO counters (name, value) VALUES ($1, 0)", {"doses"}));
  OpenOptions options;
  options.pool_size = 2;
  options.sqlite_busy_timeout = absl::ZeroDuration();
  std::unique_ptr<Database> db = OpenDb(options);
  ASSERT_NE(db, nullptr);
  TransactionOptions once;
  once.max_attempts = 1;

  // The outer transaction reads, then another transaction increments the same row and
  // finishes, then the outer one writes. PostgreSQL (serializable) fails the outer
  // write; SQLite (whose outer transaction holds the write lock) fails the inner one.
  // Either way exactly one wins, and the loser gets ABORTED since it may not retry.
  absl::Status inner;
  absl::Status outer = db->Transact(once, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<ResultSet> rows = tx.Query("SELECT value FROM counters WHERE name = $1", {"doses"});
    if (!rows.ok()) return rows.status();
    std::thread([&] { inner = db->Transact(once, [&](Transaction& tx2) { return Increment(tx2, "doses"); }); })
        .join();
    return tx.Execute("UPDATE counters SET value = $1 WHERE name = $2", {(*rows)[0].GetInt64(0) + 1, "doses"})
        .status();
  });
  EXPECT_THAT(std::vector<absl::Status>({outer, inner}),
              AnyOf(ElementsAre(IsOk(), StatusIs(absl::StatusCode::kAborted)),
                    ElementsAre(StatusIs(absl::StatusCode::kAborted), IsOk())));
  EXPECT_THAT(GetParam() == Backend::kSqlite ? inner : outer, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(CounterValue(*db_, "doses"), 1);
}

TEST_P(SqlTest, ReadOnlyTransactionReadsAndRefusesWrites) {
  CLINIC_ASSERT_OK(db_->Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Leeds"}));
  OpenOptions options;
  options.pool_size = 1;  // the same connection serves the write afterwards
  std::unique_ptr<Database> db = OpenDb(options);
  ASSERT_NE(db, nullptr);

  TransactionOptions read_only;
  read_only.read_only = true;
  std::string name;
  CLINIC_ASSERT_OK(db->Transact(read_only, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<ResultSet> rows = tx.Query("SELECT name FROM clinics WHERE id = $1", {1});
    if (!rows.ok()) return rows.status();
    name = (*rows)[0].GetText(0);
    return absl::OkStatus();
  }));
  EXPECT_EQ(name, "Leeds");

  absl::Status s = db->Transact(read_only, [](Transaction& tx) {
    return tx.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {2, "York"}).status();
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Count(*db, "clinics"), 1);

  // The connection is writable again in a read-write transaction.
  CLINIC_EXPECT_OK(db->Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {2, "York"}));
  EXPECT_EQ(Count(*db, "clinics"), 2);
}

TEST_P(SqlTest, PoolExhaustionIsUnavailableAndRecovers) {
  OpenOptions options;
  options.pool_size = 1;
  options.pool_wait_timeout = absl::Milliseconds(50);
  std::unique_ptr<Database> db = OpenDb(options);
  ASSERT_NE(db, nullptr);

  CLINIC_ASSERT_OK(db->Transact([&](Transaction& tx) -> absl::Status {
    // The only connection is in use by this transaction.
    EXPECT_THAT(db->Ping(), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(db->Query("SELECT 1"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no database connection")));
    return tx.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {1, "Leeds"}).status();
  }));
  CLINIC_EXPECT_OK(db->Ping());
  EXPECT_EQ(Count(*db, "clinics"), 1);
}

TEST_P(SqlTest, ManyDistinctStatementsOutgrowTheCache) {
  OpenOptions options;
  options.pool_size = 1;
  std::unique_ptr<Database> db = OpenDb(options);
  ASSERT_NE(db, nullptr);
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<ResultSet> rows = db->Query(absl::StrCat("SELECT CAST($1 AS BIGINT) + ", i), {1000});
    ASSERT_THAT(rows, IsOk());
    EXPECT_EQ((*rows)[0].GetInt64(0), 1000 + i);
  }
}

// --- Migrations -----------------------------------------------------------------------

constexpr Migration kSeeds[] = {
    {1, "seeds", "CREATE TABLE seeds (name TEXT NOT NULL)"},
    {2, "two_seeds",
     "INSERT INTO seeds (name) VALUES ('first');\n-- a comment\nINSERT INTO seeds (name) VALUES ('second');"},
};

TEST_P(SqlTest, MigrationsApplyOnceAndRerunIsANoOp) {
  std::unique_ptr<Database> db = OpenDb({}, NewDatabaseUrl());
  ASSERT_NE(db, nullptr);
  CLINIC_ASSERT_OK(Migrate(*db, kSeeds));
  EXPECT_EQ(Count(*db, "seeds"), 2);
  CLINIC_ASSERT_OK(Migrate(*db, kSeeds));
  EXPECT_EQ(Count(*db, "seeds"), 2);

  absl::StatusOr<ResultSet> recorded =
      db->Query("SELECT version, name, checksum, applied_at_us FROM schema_migrations ORDER BY version");
  ASSERT_THAT(recorded, IsOk());
  ASSERT_EQ(recorded->size(), 2u);
  EXPECT_EQ((*recorded)[1].GetInt64("version"), 2);
  EXPECT_EQ((*recorded)[1].GetText("name"), "two_seeds");
  EXPECT_FALSE((*recorded)[1].GetText("checksum").empty());
  EXPECT_GT((*recorded)[1].GetInt64("applied_at_us"), int64_t{1'600'000'000} * 1'000'000);

  // A later release adds a migration: only that one runs, in order, whatever the list order.
  const Migration more[] = {
      kSeeds[1],
      {3, "third_seed", "INSERT INTO seeds (name) VALUES ('third')"},
      kSeeds[0],
  };
  CLINIC_ASSERT_OK(Migrate(*db, more));
  EXPECT_EQ(Count(*db, "seeds"), 3);
}

TEST_P(SqlTest, ChangedMigrationIsRejectedAndNothingApplied) {
  std::unique_ptr<Database> db = OpenDb({}, NewDatabaseUrl());
  ASSERT_NE(db, nullptr);
  CLINIC_ASSERT_OK(Migrate(*db, kSeeds));
  const Migration changed[] = {
      kSeeds[0],
      {2, "two_seeds", "INSERT INTO seeds (name) VALUES ('edited')"},
      {3, "later", "CREATE TABLE later (id BIGINT)"},
  };
  EXPECT_THAT(Migrate(*db, changed), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("migration 2 ")));
  EXPECT_THAT(db->Query("SELECT COUNT(*) FROM later"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(Count(*db, "seeds"), 2);
}

TEST_P(SqlTest, FailedMigrationLeavesNothingAndIsRetriedNextTime) {
  std::unique_ptr<Database> db = OpenDb({}, NewDatabaseUrl());
  ASSERT_NE(db, nullptr);
  const Migration broken[] = {
      kSeeds[0],
      {2, "half", "CREATE TABLE half (id BIGINT);\nTHIS IS NOT SQL;"},
  };
  EXPECT_THAT(Migrate(*db, broken), StatusIs(absl::StatusCode::kInternal, HasSubstr("migration 2")));
  EXPECT_THAT(db->Query("SELECT COUNT(*) FROM half"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(Count(*db, "schema_migrations"), 1);

  const Migration fixed[] = {kSeeds[0], {2, "half", "CREATE TABLE half (id BIGINT)"}};
  CLINIC_ASSERT_OK(Migrate(*db, fixed));
  EXPECT_EQ(Count(*db, "half"), 0);
  EXPECT_EQ(Count(*db, "schema_migrations"), 2);
}

TEST_P(SqlTest, BadMigrationListsAreInvalidArgument) {
  const Migration duplicate[] = {kSeeds[0], {1, "again", "SELECT 1"}};
  EXPECT_THAT(Migrate(*db_, duplicate), StatusIs(absl::StatusCode::kInvalidArgument));
  const Migration zero[] = {{0, "zero", "SELECT 1"}};
  EXPECT_THAT(Migrate(*db_, zero), StatusIs(absl::StatusCode::kInvalidArgument));
  const Migration other_dialect_only[] = {{.version = 9, .name = "one_sided", .sqlite_sql = "SELECT 1"}};
  const Migration postgres_only[] = {{.version = 9, .name = "one_sided", .postgres_sql = "SELECT 1"}};
  EXPECT_THAT(Migrate(*db_, GetParam() == Backend::kSqlite ? postgres_only : other_dialect_only),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(SqlTest, ConcurrentMigrationsApplyEachExactlyOnce) {
  const std::string url = NewDatabaseUrl();
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<Database>> dbs;
  for (int i = 0; i < kReplicas; ++i) {
    dbs.push_back(OpenDb({}, url));
    ASSERT_NE(dbs.back(), nullptr);
  }
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] { results[static_cast<size_t>(i)] = Migrate(*dbs[static_cast<size_t>(i)], kSeeds); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_THAT(s, IsOk());
  // The seeds table has no key: a second application would show as four rows.
  EXPECT_EQ(Count(*dbs[0], "seeds"), 2);
  EXPECT_EQ(Count(*dbs[0], "schema_migrations"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return param_info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

// --- Backend-specific behaviour -------------------------------------------------------

TEST(OpenTest, UnknownUrlIsInvalidArgumentAndNotEchoed) {
  EXPECT_THAT(Open("mysql://root:hunter2@db/clinic"),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("hunter2"))));
  EXPECT_THAT(Open("sqlite://"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Open("host=127.0.0.1 nonsense_option=1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OpenTest, UnopenableSqliteFileIsUnavailable) {
  EXPECT_THAT(Open("sqlite:///nonexistent-dir/clinic/x.db"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(OpenTest, InMemorySqliteKeepsItsDataAcrossCalls) {
  absl::StatusOr<std::unique_ptr<Database>> db = Open("sqlite::memory:");
  ASSERT_THAT(db, IsOk());
  CLINIC_ASSERT_OK((*db)->Execute("CREATE TABLE t (x BIGINT)"));
  CLINIC_ASSERT_OK((*db)->Execute("INSERT INTO t (x) VALUES ($1)", {7}));
  absl::StatusOr<ResultSet> rows = (*db)->Query("SELECT x FROM t");
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ((*rows)[0].GetInt64(0), 7);
}

TEST(OpenTest, PostgresOpensWhileTheServerIsDown) {
  // Nothing listens on a port we just found free (for the moment it takes to look).
  const std::string url = absl::StrCat("postgresql://postgres@127.0.0.1:", ::clinic::testing::PickFreePort(), "/none");
  absl::StatusOr<std::unique_ptr<Database>> db = Open(url);
  ASSERT_THAT(db, IsOk());
  EXPECT_THAT((*db)->Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT((*db)->Query("SELECT 1"), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(PostgresRestartTest, UnavailableWhileStoppedThenTheSameDatabaseWorksAgain) {
  PostgresServer server;  // its own cluster: stopping the shared one would break other tests
  OpenOptions options;
  options.pool_size = 2;
  absl::StatusOr<std::unique_ptr<Database>> opened = Open(server.CreateDatabase(), options);
  ASSERT_THAT(opened, IsOk());
  Database& db = **opened;
  CLINIC_ASSERT_OK(Migrate(db, kSchema));

  // Use both pooled connections, so that both go stale across the restart.
  auto use_both = [&](int64_t id) {
    return db.Transact([&](Transaction& outer) -> absl::Status {
      absl::Status inner = db.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {id, absl::StrCat("c", id)}).status();
      if (!inner.ok()) return inner;
      return outer.Execute("INSERT INTO clinics (id, name) VALUES ($1, $2)", {id + 1, absl::StrCat("c", id + 1)})
          .status();
    });
  };
  CLINIC_ASSERT_OK(use_both(1));

  server.Stop();
  EXPECT_THAT(db.Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(use_both(10), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(db.Query("SELECT COUNT(*) FROM clinics"), StatusIs(absl::StatusCode::kUnavailable));

  server.Start();
  CLINIC_EXPECT_OK(db.Ping());
  CLINIC_EXPECT_OK(use_both(20));
  absl::StatusOr<ResultSet> rows = db.Query("SELECT id FROM clinics ORDER BY id");
  ASSERT_THAT(rows, IsOk());
  std::vector<int64_t> ids;
  for (const Row& row : *rows) ids.push_back(row.GetInt64(0));
  EXPECT_THAT(ids, ElementsAre(1, 2, 20, 21));
}

}  // namespace
}  // namespace clinic::sql
