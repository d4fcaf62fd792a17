// PostgreSQL driver over libpq (synchronous API: the pool gives each connection to one
// thread at a time, and callers accept that calls block).
//
// Parameters go as text, except bytes which go in binary (the raw bytes are bytea's
// binary form), so the server infers each parameter's type from the statement just as
// SQLite's dynamic typing accepts anything. Results come back as text and are typed by
// column OID.

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/sql/internal/connection.h"
#include "common/sql/internal/strings.h"

namespace clinic::sql::internal {
namespace {

struct FinishConn {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnPtr = std::unique_ptr<PGconn, FinishConn>;
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;


// Type OIDs (pg_type.dat); libpq ships no header with them for clients.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// The parsed connection parameters, shared by all connections of one Database.
struct ConnParams {
  std::vector<std::string> keys;
  std::vector<std::string> values;
};

// libpq messages end in newlines and continue on tab-indented lines.
std::string OneLine(const char* message) {
  std::string s = absl::StrReplaceAll(message != nullptr ? message : "", {{"\n\t", " "}, {"\n", " "}});
  absl::StripAsciiWhitespace(&s);
  return s;
}

absl::Status StatusForSqlState(absl::string_view state, absl::string_view primary, absl::string_view what) {
  // Class 22 (data exception) messages quote the offending input, which may be
  // personal data: keep only the code.
  std::string text = absl::StartsWith(state, "22")
                         ? absl::StrCat(what, ": data exception (SQLSTATE ", state, ")")
                         : absl::StrCat(what, ": ", primary, " (SQLSTATE ", state, ")");
  if (state == "40001" || state == "40P01") return absl::AbortedError(text);
  if (state == "23505") return absl::AlreadyExistsError(text);
  if (absl::StartsWith(state, "23") || state == "25006") return absl::FailedPreconditionError(text);
  if ((absl::StartsWith(state, "08") && state != "08P01") || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "53300") {
    return absl::UnavailableError(text);
  }
  if (state == "57014") return absl::DeadlineExceededError(text);
  return absl::InternalError(text);
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

// bytea text output: "\x" + hex (the default), or the old escape format.
std::string DecodeBytea(const char* text, size_t length) {
  std::string out;
  if (length >= 2 && text[0] == '\\' && text[1] == 'x') {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return 0;
    };
    out.reserve((length - 2) / 2);
    for (size_t i = 2; i + 1 < length; i += 2) {
      out.push_back(static_cast<char>(nibble(text[i]) * 16 + nibble(text[i + 1])));
    }
    return out;
  }
  for (size_t i = 0; i < length; ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
    } else if (i + 1 < length && text[i + 1] == '\\') {
      out.push_back('\\');
      ++i;
    } else if (i + 3 < length) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0')));
      i += 3;
    }
  }
  return out;
}

Value ColumnValue(const PGresult* result, int row, int col) {
  if (PQgetisnull(result, row, col) != 0) return Value();
  const char* text = PQgetvalue(result, row, col);
  const auto length = static_cast<size_t>(PQgetlength(result, row, col));
  absl::string_view view(text, length);
  switch (PQftype(result, col)) {
    case kBoolOid: return Value(view == "t");
    case kByteaOid: return Value::Bytes(DecodeBytea(text, length));
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      int64_t v = 0;
      if (absl::SimpleAtoi(view, &v)) return Value(v);
      break;
    }
    case kFloat4Oid:
    case kFloat8Oid: {
      double v = 0;
      if (absl::SimpleAtod(view, &v)) return Value(v);
      break;
    }
    case kNumericOid: {
      // SUM(bigint) is numeric: keep integers integers, as SQLite does.
      int64_t i = 0;
      if (absl::SimpleAtoi(view, &i)) return Value(i);
      double d = 0;
      if (absl::SimpleAtod(view, &d)) return Value(d);
      break;
    }
    default: break;
  }
  return Value(std::string(view));
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(std::shared_ptr<const ConnParams> params) : params_(std::move(params)) {}

  absl::Status Begin(const TransactionOptions& options) override {
    const bool fresh = !Connected();
    if (fresh) {
      if (absl::Status s = Connect(); !s.ok()) return s;
    } else if (PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      Exec("ROLLBACK", "rollback").IgnoreError();  // a previous rollback that did not reach the server
    }
    const std::string begin =
        absl::StrCat("BEGIN ISOLATION LEVEL ",
                     options.isolation == TransactionOptions::Isolation::kSerializable ? "SERIALIZABLE"
                                                                                        : "READ COMMITTED",
                     options.read_only ? " READ ONLY" : " READ WRITE");
    absl::Status s = Exec(begin.c_str(), "begin");
    if (!s.ok() && !fresh && !Connected()) {
      // The connection died while idle in the pool (a server restart): nothing has run
      // yet, so it is safe to reconnect and begin once more.
      if (absl::Status c = Connect(); !c.ok()) return c;
      s = Exec(begin.c_str(), "begin");
    }
    return s;
  }

  absl::Status Commit() override {
    if (!Connected()) return absl::UnavailableError("commit: connection to PostgreSQL lost");
    ResultPtr result(PQexec(conn_.get(), "COMMIT"));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) return ResultError(result.get(), "commit");
    // COMMIT of a failed transaction "succeeds" by rolling back.
    if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
      return absl::InternalError("commit: the server rolled the transaction back");
    }
    return absl::OkStatus();
  }

  void Rollback() override {
    if (Connected() && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      Exec("ROLLBACK", "rollback").IgnoreError();
    }
  }

  absl::StatusOr<int64_t> Run(std::string_view sql, std::span<const Value> params, ResultSet* rows) override {
    if (!Connected()) return absl::UnavailableError("statement: connection to PostgreSQL lost");

    std::vector<std::string> scratch;  // text forms of numbers; reserved so pointers stay put
    scratch.reserve(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      switch (v.type()) {
        case Value::Type::kNull: break;
        case Value::Type::kInt64: values[i] = scratch.emplace_back(absl::StrCat(v.int64())).c_str(); break;
        case Value::Type::kDouble: values[i] = scratch.emplace_back(FormatDouble(v.dbl())).c_str(); break;
        case Value::Type::kBool: values[i] = v.boolean() ? "true" : "false"; break;
        case Value::Type::kText: values[i] = v.str().c_str(); break;
        case Value::Type::kBytes:
          values[i] = v.str().data();
          lengths[i] = static_cast<int>(v.str().size());
          formats[i] = 1;
          break;
      }
    }
    const int n = static_cast<int>(params.size());

    ResultPtr result;
    const std::string* name = nullptr;
    if (auto it = prepared_.find(AbslView(sql)); it != prepared_.end()) {
      name = &it->second;
    } else if (prepared_.size() < kMaxCachedStatements) {
      std::string new_name = absl::StrCat("clinic_", ++statement_counter_);
      const std::string text(sql);
      ResultPtr prepared(PQprepare(conn_.get(), new_name.c_str(), text.c_str(), 0, nullptr));
      if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) return ResultError(prepared.get(), "prepare");
      name = &prepared_.emplace(text, std::move(new_name)).first->second;
    }
    if (name != nullptr) {
      result.reset(PQexecPrepared(conn_.get(), name->c_str(), n, values.data(), lengths.data(), formats.data(), 0));
    } else {
      const std::string text(sql);
      result.reset(
          PQexecParams(conn_.get(), text.c_str(), n, nullptr, values.data(), lengths.data(), formats.data(), 0));
    }

    switch (PQresultStatus(result.get())) {
      case PGRES_TUPLES_OK:
        if (rows != nullptr) *rows = ReadRows(result.get());
        break;
      case PGRES_COMMAND_OK:
        if (rows != nullptr) *rows = ResultSet();
        break;
      default:
        return ResultError(result.get(), "statement");
    }
    int64_t changed = 0;
    if (!absl::SimpleAtoi(PQcmdTuples(result.get()), &changed)) changed = 0;
    return changed;
  }

  absl::Status RunScript(std::string_view sql) override {
    if (!Connected()) return absl::UnavailableError("script: connection to PostgreSQL lost");
    // PQexec runs several ;-separated statements (simple query protocol), inside the
    // transaction that is already open.
    return Exec(std::string(sql).c_str(), "script");
  }

  absl::Status Ping() override {
    const bool fresh = !Connected();
    if (fresh) {
      if (absl::Status s = Connect(); !s.ok()) return s;
    }
    absl::Status s = Exec("SELECT 1", "ping");
    if (!s.ok() && !fresh && !Connected()) {
      if (absl::Status c = Connect(); !c.ok()) return c;
      s = Exec("SELECT 1", "ping");
    }
    return s;
  }

 private:
  bool Connected() const { return conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK; }

  absl::Status Connect() {
    prepared_.clear();  // server-side statements die with the session
    std::vector<const char*> keys;
    std::vector<const char*> values;
    for (size_t i = 0; i < params_->keys.size(); ++i) {
      keys.push_back(params_->keys[i].c_str());
      values.push_back(params_->values[i].c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 0));
    if (conn_ == nullptr) return absl::UnavailableError("connect to PostgreSQL: out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      absl::Status s = absl::UnavailableError(absl::StrCat("connect to PostgreSQL: ", OneLine(PQerrorMessage(conn_.get()))));
      conn_.reset();
      return s;
    }
    PQsetNoticeProcessor(conn_.get(), &IgnoreNotice, nullptr);
    return absl::OkStatus();
  }

  absl::Status Exec(const char* sql, absl::string_view what) {
    ResultPtr result(PQexec(conn_.get(), sql));
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
      return absl::OkStatus();
    }
    return ResultError(result.get(), what);
  }

  absl::Status ResultError(const PGresult* result, absl::string_view what) const {
    if (!Connected()) {
      return absl::UnavailableError(
          absl::StrCat(what, ": connection to PostgreSQL lost: ", OneLine(PQerrorMessage(conn_.get()))));
    }
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (state == nullptr) {
      // Client-side failure (out of memory, protocol error): no SQLSTATE.
      return absl::InternalError(absl::StrCat(what, ": ", OneLine(PQerrorMessage(conn_.get()))));
    }
    // Only the primary message: DETAIL quotes the conflicting key values.
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    return StatusForSqlState(state, primary != nullptr ? primary : "", what);
  }

  static std::string FormatDouble(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact form
    return std::string(buf, ec == std::errc() ? end : buf);
  }

  static ResultSet ReadRows(const PGresult* result) {
    const int ncols = PQnfields(result);
    const int nrows = PQntuples(result);
    auto columns = std::make_shared<std::vector<std::string>>();
    for (int c = 0; c < ncols; ++c) columns->emplace_back(PQfname(result, c));
    std::vector<Row> rows;
    rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) values.push_back(ColumnValue(result, r, c));
      rows.emplace_back(columns, std::move(values));
    }
    return ResultSet(std::move(columns), std::move(rows));
  }

  const std::shared_ptr<const ConnParams> params_;
  ConnPtr conn_;
  absl::flat_hash_map<std::string, std::string> prepared_;  // SQL text -> statement name
  int64_t statement_counter_ = 0;
};

}  // namespace

absl::StatusOr<ConnectionFactory> PostgresConnectionFactory(std::string_view conninfo, const OpenOptions& options) {
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(std::string(conninfo).c_str(), &error);
  if (parsed == nullptr) {
    std::string message = error != nullptr ? OneLine(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat("PostgreSQL connection string: ", message));
  }
  auto params = std::make_shared<ConnParams>();
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    params->keys.emplace_back(o->keyword);
    params->values.emplace_back(o->val);
  }
  PQconninfoFree(parsed);

  auto set_default = [&](const char* key, std::string value) {
    if (std::find(params->keys.begin(), params->keys.end(), key) != params->keys.end()) return;
    params->keys.emplace_back(key);
    params->values.push_back(std::move(value));
  };
  set_default("connect_timeout", absl::StrCat(std::max<int64_t>(2, absl::ToInt64Seconds(options.postgres_connect_timeout))));
  // Without keepalives a server that vanished (rather than closed the connection) would
  // leave a call blocked until the kernel gives up, many minutes later.
  set_default("keepalives", "1");
  set_default("keepalives_idle", "10");
  set_default("keepalives_interval", "5");
  set_default("keepalives_count", "3");

  std::shared_ptr<const ConnParams> shared = std::move(params);
  return ConnectionFactory([shared]() -> absl::StatusOr<std::unique_ptr<Connection>> {
    return std::make_unique<PostgresConnection>(shared);
  });
}

}  // namespace clinic::sql::internal
