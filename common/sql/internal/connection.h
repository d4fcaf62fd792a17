#pragma once

// Internal: one driver connection, as the pool and the transaction runner see it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/sql/database.h"
#include "common/sql/value.h"

namespace clinic::sql::internal {

// Prepared statements kept per connection; beyond this many, a statement is prepared for
// one use only, so that SQL built at run time cannot grow a connection's cache without
// bound.
inline constexpr size_t kMaxCachedStatements = 256;

// One connection to the database. Used by one thread at a time (the pool hands it out).
// Errors are mapped to canonical codes (see database.h); ABORTED means exactly "a write
// conflict that is worth retrying the transaction for".
class Connection {
 public:
  virtual ~Connection() = default;

  // Starts a transaction. A broken PostgreSQL connection is reconnected first.
  virtual absl::Status Begin(const TransactionOptions& options) = 0;
  virtual absl::Status Commit() = 0;
  // Ends the transaction, if any, discarding it. Best effort: a broken connection is
  // rolled back by the server anyway.
  virtual void Rollback() = 0;

  // Runs one statement with `params` bound to $1..$n; fills `rows` (if not null) with
  // what it returned. Returns the number of rows changed.
  virtual absl::StatusOr<int64_t> Run(std::string_view sql, std::span<const Value> params,
                                      ResultSet* rows) = 0;
  // Runs several statements without parameters.
  virtual absl::Status RunScript(std::string_view sql) = 0;

  // A cheap round trip (reconnecting a broken PostgreSQL connection first).
  virtual absl::Status Ping() = 0;
};

using ConnectionFactory = std::function<absl::StatusOr<std::unique_ptr<Connection>>()>;

// `path` is a file name or ":memory:". Validates nothing yet: the first connection made
// reports a bad path.
ConnectionFactory SqliteConnectionFactory(std::string path, const OpenOptions& options);

// `conninfo` is a postgres:// URL or a key=value string; INVALID_ARGUMENT when libpq
// cannot parse it. The connections it makes connect lazily, on first use.
absl::StatusOr<ConnectionFactory> PostgresConnectionFactory(std::string_view conninfo,
                                                            const OpenOptions& options);

}  // namespace clinic::sql::internal
