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

// Mutations are SERIALIZABLE (the default): the reminder rules read a row's state and
// then change it, and conflicts are retried by Database::Transact.
inline sql::TransactionOptions ReadOptions() {
  sql::TransactionOptions options;
  options.read_only = true;
  return options;
}

// A mutation, once per request_id (api::RunOnce).
template <typename Request>
absl::Status Mutate(sql::Database& db, std::string_view method, const Request& request, absl::Time now,
                    google::protobuf::Message* response, absl::FunctionRef<absl::Status(sql::Transaction&)> fn) {
  return api::RunOnce(db, sql::TransactionOptions(), api::KeyOf(method, request), now, response, fn);
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
