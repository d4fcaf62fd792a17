#pragma once

// Idempotent mutations by request_id (AIP-155), stored in the service's own database.
//
// Every mutating RPC carries a client-chosen request_id reused on each retry of one
// logical operation. RunOnce() makes the retry return the first outcome and change
// nothing:
//
//   return api::RunOnce(db, {}, api::KeyOf("ReserveDose", request), clock.Now(), response,
//                       [&](sql::Transaction& tx) { return store.Reserve(tx, …, response); });
//
// The service's migrations create the table with kIdempotencySqliteSql /
// kIdempotencyPostgresSql (one migration, dialect-specific because of BLOB/BYTEA).

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/api/paging.h"
#include "common/sql/database.h"
#include "google/protobuf/message.h"

namespace clinic::api {

inline constexpr std::string_view kIdempotencySqliteSql = R"sql(
CREATE TABLE idempotency_keys (
  request_id TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  code BIGINT NOT NULL,
  outcome BLOB NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys (create_time_us);
)sql";
inline constexpr std::string_view kIdempotencyPostgresSql = R"sql(
CREATE TABLE idempotency_keys (
  request_id TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  code BIGINT NOT NULL,
  outcome BYTEA NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys (create_time_us);
)sql";

// What identifies one logical operation: its request_id, and what it asked for.
struct RequestKey {
  std::string request_id;
  std::string method;         // e.g. "ReserveDose"
  uint64_t request_hash = 0;  // Fingerprint of the whole request
};

template <typename Request>
RequestKey KeyOf(std::string_view method, const Request& request) {
  return {request.request_id(), std::string(method), Fingerprint(request)};
}

// Adds a violation for "request_id" unless it is 1 to 128 characters of
// [A-Za-z0-9._-] (a UUID in text form fits).
void CheckRequestId(std::string_view request_id, status::FieldViolations& bad);

// Runs `mutate` at most once per request_id, in one transaction of `db`:
//   - a request_id seen before: its stored outcome — the response, parsed into
//     *response, or the stored error (code, message and payloads) — without calling
//     mutate; INVALID_ARGUMENT (field "request_id") if it was used for another method or
//     another request;
//   - otherwise mutate(tx) fills *response; when it returns OK the response is stored
//     with the key in the same transaction, so the effect and its record commit
//     together. The key is claimed (inserted) before mutate runs, so a concurrent call
//     with the same request_id waits for this one and then returns its outcome (on
//     PostgreSQL under either isolation level; on SQLite writers are serialised).
// A refusal that depends on the state — FAILED_PRECONDITION or ALREADY_EXISTS from
// mutate — is stored as well (in a transaction of its own, nothing else having changed),
// so that a retry answers the same even once the state has changed. Other errors are not
// stored: the retry runs again.
//
// `mutate` may run more than once (Database::Transact retries conflicts); *response is
// cleared before each run.
absl::Status RunOnce(sql::Database& db, const sql::TransactionOptions& options, const RequestKey& key,
                     absl::Time now, google::protobuf::Message* response,
                     absl::FunctionRef<absl::Status(sql::Transaction&)> mutate);

// Forgets keys stored before `before` (run periodically; keys are kept at least 7 days).
// Returns the number forgotten.
absl::StatusOr<int64_t> PurgeRequestKeys(sql::Database& db, absl::Time before);

}  // namespace clinic::api
