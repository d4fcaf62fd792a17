#pragma once

// What the notification handlers share: transactions, idempotent mutations, paging and
// error decoration.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/api/convert.h"
#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "common/sql/database.h"
#include "common/status/status.h"
#include "google/protobuf/repeated_field.h"
#include "services/notification/reminder_store.h"

namespace clinic::notification {

// Mutations are SERIALIZABLE (the default; ScheduleReminder excepted: ScheduleOptions):
// the reminder rules read a row's state and then change it, and conflicts are retried by
// Database::Transact.
inline sql::TransactionOptions ReadOptions() {
  sql::TransactionOptions options;
  options.read_only = true;
  return options;
}

// ScheduleReminder's transaction: READ COMMITTED on PostgreSQL (SQLite is serialised
// anyway). Under SERIALIZABLE, concurrent schedules conflicted with each other and with
// the deliverer: each one reads what it has just written by primary key (the
// idempotency key's UPDATE, the reminder and its delivery attempts for the answer), and
// those reads take predicate locks on the index pages (on an empty delivery_attempts
// index, the whole index) into which every other schedule, and every delivery, inserts:
// rw-conflicts both ways, 40001, retries, and ABORTED after 10 attempts under load.
// Nothing in it needs SERIALIZABLE: every write is an INSERT ... ON CONFLICT DO NOTHING
// on a unique index (the request_id, the reminder's dedupe_key), which waits for a
// concurrent inserter and then sees its committed row, and what follows a conflict reads
// with a fresh snapshot (the stored outcome; the reminder holding the dedupe_key); the
// other reads are the templates (a validation; a template change reads no reminder, so
// any interleaving is equivalent to the schedule going first) and its own rows.
inline sql::TransactionOptions ScheduleOptions() {
  sql::TransactionOptions options;
  options.isolation = sql::TransactionOptions::Isolation::kReadCommitted;
  return options;
}

// A mutation, once per request_id (api::RunOnce), SERIALIZABLE unless `options` say
// otherwise.
template <typename Request>
absl::Status Mutate(sql::Database& db, std::string_view method, const Request& request, absl::Time now,
                    google::protobuf::Message* response, absl::FunctionRef<absl::Status(sql::Transaction&)> fn,
                    const sql::TransactionOptions& options = sql::TransactionOptions()) {
  return api::RunOnce(db, options, api::KeyOf(method, request), now, response, fn);
}

// `status` with the request field it is about in front of its message when it is
// NOT_FOUND ("name: no such reminder"); other statuses unchanged.
inline absl::Status AboutField(std::string_view field, absl::Status status) {
  if (status.code() != absl::StatusCode::kNotFound) return status;
  return absl::NotFoundError(std::string(field) + ": " + std::string(status.message()));
}

// The version an etag names: nullopt for none (no check), -1 for one that is not ours
// (never matches, so the change is ABORTED).
inline std::optional<int64_t> ExpectedVersion(const std::string& etag) {
  if (etag.empty()) return std::nullopt;
  return api::ParseEtag(etag).value_or(-1);
}

// The page's size and cursor from the request's token; false after adding violations.
inline bool ReadPage(int32_t page_size, const std::string& token, uint64_t filters, int default_size, int max_size,
                     store::PageRequest* page, status::FieldViolations& bad) {
  page->limit = api::PageSize(page_size, default_size, max_size, bad);
  std::optional<std::vector<std::string>> after = api::DecodePageToken(token, filters, bad);
  if (after.has_value()) page->after = *std::move(after);
  return bad.empty();
}

inline std::string NextToken(uint64_t filters, const std::vector<std::string>& next_cursor) {
  return next_cursor.empty() ? std::string() : api::EncodePageToken(filters, next_cursor);
}

// Bit (1 << value) per enum value; unknown or unspecified values are reported.
template <typename IsValid>
uint64_t EnumMask(const google::protobuf::RepeatedField<int>& values, IsValid is_valid, std::string_view field,
                  status::FieldViolations& bad) {
  uint64_t mask = 0;
  for (int v : values) {
    if (v <= 0 || v >= 63 || !is_valid(v)) {
      bad.Add(std::string(field), "unknown value");
      continue;
    }
    mask |= uint64_t{1} << v;
  }
  return mask;
}

}  // namespace clinic::notification
