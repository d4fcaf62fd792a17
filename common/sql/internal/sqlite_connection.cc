// SQLite driver: one sqlite3 handle per Connection, opened in multi-thread mode
// (SQLITE_OPEN_NOMUTEX) because the pool already guarantees one thread at a time.

#include <sqlite3.h>

#include <cctype>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/sql/internal/connection.h"
#include "common/sql/internal/strings.h"
#include "common/sync/mutex.h"

namespace clinic::sql::internal {
namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;


// Most specific canonical code for an (extended) SQLite result code.
absl::Status SqliteStatus(int code, absl::string_view message, absl::string_view what) {
  std::string text = absl::StrCat(what, ": ", message, " (sqlite ", code, ")");
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::AbortedError(text);
    case SQLITE_CONSTRAINT:
      switch (code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_ROWID:
          return absl::AlreadyExistsError(text);
        case SQLITE_CONSTRAINT_DATATYPE:
          return absl::InternalError(text);
        default:
          return absl::FailedPreconditionError(text);
      }
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(text);
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(text);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(text);
    default:
      return absl::InternalError(text);
  }
}

bool OnlyWhitespaceOrSemicolons(const char* p) {
  for (; *p != '\0'; ++p) {
    if (std::isspace(static_cast<unsigned char>(*p)) == 0 && *p != ';') return false;
  }
  return true;
}

// Resets a cached statement after use so that it holds no read lock and no pointers
// into the caller's parameters.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Writers of one database in this process take turns at a WriterGate (one per Database)
// before BEGIN IMMEDIATE. SQLite allows one writer at a time anyway; without the gate
// the others would wait in its busy handler, which sleeps and polls (1, 2, 5 ... 100 ms)
// instead of being woken when the lock is free: under 8 concurrent writers that cost
// most of the throughput and put the p99 in the hundreds of milliseconds. The wait is
// bounded by the busy timeout, and ends as SQLITE_BUSY would (ABORTED, retryable).
// Writers in other processes (a second replica on the same file) still meet SQLite's
// busy handler.
class WriterGate {
 public:
  explicit WriterGate(absl::Duration timeout) : timeout_(timeout) {}

  absl::Status Enter() {
    sync::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + timeout_;
    while (busy_) {
      if (free_.WaitWithDeadline(&mu_, deadline) && busy_) {
        return absl::AbortedError("database is locked (another write transaction of this process)");
      }
    }
    busy_ = true;
    return absl::OkStatus();
  }
  void Leave() {
    sync::MutexLock lock(&mu_);
    busy_ = false;
    free_.Signal();
  }

 private:
  const absl::Duration timeout_;
  sync::Mutex mu_;
  sync::CondVar free_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(DbPtr db, std::shared_ptr<WriterGate> writer) : writer_(std::move(writer)), db_(std::move(db)) {}
  ~SqliteConnection() override { ReleaseWriter(); }

  absl::Status Init(const OpenOptions& options, bool in_memory) {
    sqlite3_extended_result_codes(db_.get(), 1);
    sqlite3_busy_timeout(db_.get(), static_cast<int>(absl::ToInt64Milliseconds(options.sqlite_busy_timeout)));
    // WAL lets readers run alongside the one writer; it is a property of the file, so
    // setting it again on each connection is cheap. An in-memory database has no WAL.
    if (!in_memory) {
      ResultSet mode;
      absl::StatusOr<int64_t> r = Run("PRAGMA journal_mode = WAL", {}, &mode);
      if (!r.ok()) return r.status();
    }
    return Exec("PRAGMA foreign_keys = ON", "enable foreign keys");
  }

  absl::Status Begin(const TransactionOptions& options) override {
    if (options.read_only) {
      // query_only makes SQLite refuse writes, as PostgreSQL does in READ ONLY.
      if (absl::Status s = Exec("PRAGMA query_only = 1", "begin read-only"); !s.ok()) return s;
      query_only_ = true;
      absl::Status s = Exec("BEGIN", "begin");
      if (!s.ok()) EndQueryOnly();
      return s;
    }
    if (absl::Status s = writer_->Enter(); !s.ok()) return s;
    holds_writer_ = true;
    // IMMEDIATE takes the write lock now: two writers never both read and then fail to
    // upgrade (which SQLite could only resolve by failing one of them late).
    absl::Status s = Exec("BEGIN IMMEDIATE", "begin");
    if (!s.ok()) ReleaseWriter();
    return s;
  }

  absl::Status Commit() override {
    absl::Status s = Exec("COMMIT", "commit");
    if (s.ok()) {
      EndQueryOnly();
      ReleaseWriter();
    }
    return s;
  }

  void Rollback() override {
    if (sqlite3_get_autocommit(db_.get()) == 0) {
      Exec("ROLLBACK", "rollback").IgnoreError();
    }
    EndQueryOnly();
    ReleaseWriter();
  }

  absl::StatusOr<int64_t> Run(std::string_view sql, std::span<const Value> params, ResultSet* rows) override {
    StmtPtr once;
    sqlite3_stmt* stmt = nullptr;
    if (auto it = cache_.find(AbslView(sql)); it != cache_.end()) {
      stmt = it->second.get();
    } else {
      const bool cache = cache_.size() < kMaxCachedStatements;
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                  cache ? SQLITE_PREPARE_PERSISTENT : 0, &raw, &tail);
      StmtPtr prepared(raw);
      if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db_.get()), "prepare");
      if (prepared == nullptr) return absl::InternalError("prepare: empty statement");
      if (tail != nullptr && tail < sql.data() + sql.size() &&
          !OnlyWhitespaceOrSemicolons(std::string(tail, sql.data() + sql.size()).c_str())) {
        return absl::InternalError("prepare: several statements in one; use ExecuteScript");
      }
      stmt = prepared.get();
      if (cache) {
        cache_.emplace(std::string(sql), std::move(prepared));
      } else {
        once = std::move(prepared);
      }
    }
    ResetOnExit reset(stmt);

    if (absl::Status s = Bind(stmt, params); !s.ok()) return s;

    const int ncols = sqlite3_column_count(stmt);
    std::shared_ptr<std::vector<std::string>> columns;
    std::vector<Row> out;
    if (rows != nullptr) {
      columns = std::make_shared<std::vector<std::string>>();
      for (int c = 0; c < ncols; ++c) {
        const char* name = sqlite3_column_name(stmt, c);
        columns->emplace_back(name != nullptr ? name : "");
      }
    }
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteStatus(rc, sqlite3_errmsg(db_.get()), "statement");
      if (rows == nullptr) continue;
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) values.push_back(ColumnValue(stmt, c));
      out.emplace_back(columns, std::move(values));
    }
    if (rows != nullptr) *rows = ResultSet(std::move(columns), std::move(out));
    return sqlite3_stmt_readonly(stmt) != 0 ? 0 : static_cast<int64_t>(sqlite3_changes64(db_.get()));
  }

  absl::Status RunScript(std::string_view sql) override {
    const char* p = sql.data();
    const char* end = sql.data() + sql.size();
    while (p < end) {
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      int rc = sqlite3_prepare_v2(db_.get(), p, static_cast<int>(end - p), &raw, &tail);
      StmtPtr stmt(raw);
      if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db_.get()), "script");
      if (stmt == nullptr) break;  // only whitespace or comments left
      while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE) return SqliteStatus(rc, sqlite3_errmsg(db_.get()), "script");
      p = tail;
    }
    return absl::OkStatus();
  }

  absl::Status Ping() override {
    // Reads the database header, so a vanished or unreadable file shows up.
    return Run("PRAGMA schema_version", {}, nullptr).status();
  }

 private:
  absl::Status Exec(const char* sql, absl::string_view what) {
    int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db_.get()), what);
    return absl::OkStatus();
  }

  void EndQueryOnly() {
    if (!query_only_) return;
    Exec("PRAGMA query_only = 0", "end read-only").IgnoreError();
    query_only_ = false;
  }

  static absl::Status Bind(sqlite3_stmt* stmt, std::span<const Value> params) {
    if (sqlite3_bind_parameter_count(stmt) != static_cast<int>(params.size())) {
      return absl::InternalError(absl::StrCat("bind: the statement has ", sqlite3_bind_parameter_count(stmt),
                                              " placeholders but ", params.size(), " parameters were given"));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string name = absl::StrCat("$", i + 1);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) {
        return absl::InternalError(absl::StrCat("bind: no placeholder ", name, " (write placeholders as $1, $2, …)"));
      }
      const Value& v = params[i];
      int rc = SQLITE_OK;
      switch (v.type()) {
        case Value::Type::kNull: rc = sqlite3_bind_null(stmt, index); break;
        case Value::Type::kInt64: rc = sqlite3_bind_int64(stmt, index, v.int64()); break;
        case Value::Type::kDouble: rc = sqlite3_bind_double(stmt, index, v.dbl()); break;
        case Value::Type::kBool: rc = sqlite3_bind_int64(stmt, index, v.boolean() ? 1 : 0); break;
        case Value::Type::kText:
          // SQLITE_STATIC: the parameters outlive the statement's use (ResetOnExit).
          rc = sqlite3_bind_text64(stmt, index, v.str().data(), v.str().size(), SQLITE_STATIC, SQLITE_UTF8);
          break;
        case Value::Type::kBytes:
          // A null data pointer would bind NULL, not an empty blob.
          rc = v.str().empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                               : sqlite3_bind_blob64(stmt, index, v.str().data(), v.str().size(), SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errstr(rc), "bind");
    }
    return absl::OkStatus();
  }

  static Value ColumnValue(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER: return Value(static_cast<int64_t>(sqlite3_column_int64(stmt, c)));
      case SQLITE_FLOAT: return Value(sqlite3_column_double(stmt, c));
      case SQLITE_TEXT: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return Value(std::string(p != nullptr ? p : "", static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
      }
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        const int n = sqlite3_column_bytes(stmt, c);
        return Value::Bytes(p != nullptr ? std::string(p, static_cast<size_t>(n)) : std::string());
      }
      default: return Value();
    }
  }

  void ReleaseWriter() {
    if (!holds_writer_) return;
    holds_writer_ = false;
    writer_->Leave();
  }

  const std::shared_ptr<WriterGate> writer_;
  bool holds_writer_ = false;
  // Declared before the statements so that it is closed after they are finalized.
  DbPtr db_;
  absl::flat_hash_map<std::string, StmtPtr> cache_;
  bool query_only_ = false;
};

}  // namespace

ConnectionFactory SqliteConnectionFactory(std::string path, const OpenOptions& options) {
  auto writer = std::make_shared<WriterGate>(options.sqlite_busy_timeout);
  return [path = std::move(path), options, writer]() -> absl::StatusOr<std::unique_ptr<Connection>> {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    DbPtr db(raw);  // sqlite3_open_v2 may return a handle even on failure; it must be closed
    if (rc != SQLITE_OK) {
      return SqliteStatus(rc, db != nullptr ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc), "open SQLite database");
    }
    auto connection = std::make_unique<SqliteConnection>(std::move(db), writer);
    if (absl::Status s = connection->Init(options, path == ":memory:"); !s.ok()) return s;
    return connection;
  };
}

}  // namespace clinic::sql::internal
