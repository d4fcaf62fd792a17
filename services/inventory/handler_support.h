#pragma once

// What the inventory handlers share: how they open transactions, and how they name
// the field a NOT_FOUND is about.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <string_view>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "common/api/convert.h"
#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "common/status/status.h"
#include "google/protobuf/repeated_field.h"
#include "services/inventory/alert_store.h"
#include "services/inventory/catalogue_store.h"
#include "common/sql/database.h"

namespace clinic::inventory {

// Mutations run at READ COMMITTED on PostgreSQL: their invariants are held by row locks
// and guarded UPDATEs (see reservation_store.h), which keeps 50 concurrent reservations
// of one lot from failing each other's serialization checks. SQLite serialises writers.
inline sql::TransactionOptions WriteOptions() {
  sql::TransactionOptions options;
  options.isolation = sql::TransactionOptions::Isolation::kReadCommitted;
  return options;
}

inline sql::TransactionOptions ReadOptions() {
  sql::TransactionOptions options;
  options.read_only = true;
  return options;
}

// A mutation, once per request_id (api::RunOnce).
template <typename Request>
absl::Status Mutate(sql::Database& db, std::string_view method, const Request& request, absl::Time now,
                    google::protobuf::Message* response, absl::FunctionRef<absl::Status(sql::Transaction&)> fn) {
  return api::RunOnce(db, WriteOptions(), api::KeyOf(method, request), now, response, fn);
}

// The clinics whose stock, reservations or reorder levels a mutation changed.
class TouchedClinics {
 public:
  void Add(std::string clinic_id) { ids_.insert(std::move(clinic_id)); }
  const std::set<std::string>& ids() const { return ids_; }

 private:
  std::set<std::string> ids_;
};

// A mutation that changes stock, once per request_id: runs `fn`, which names the clinics
// it changed in `touched`, then brings the alerts of each of them in line
// (store::SyncAlerts: low stock, expiring lots, unserved reservations) in the same
// transaction, in clinic id order. The one place where writes raise and resolve alerts,
// at the end of the transaction: intermediate states inside it (a hold given back, then
// a lot picked) never raise or resolve anything.
template <typename Request>
absl::Status MutateStock(sql::Database& db, std::string_view method, const Request& request, absl::Time now,
                         google::protobuf::Message* response,
                         absl::FunctionRef<absl::Status(sql::Transaction&, TouchedClinics&)> fn) {
  return Mutate(db, method, request, now, response, [&](sql::Transaction& tx) -> absl::Status {
    TouchedClinics touched;
    if (absl::Status s = fn(tx, touched); !s.ok()) return s;
    for (const std::string& clinic_id : touched.ids()) {
      absl::StatusOr<store::ClinicSettings> clinic = store::GetClinicSettings(tx, clinic_id);
      if (!clinic.ok()) return clinic.status();
      if (absl::Status s = store::SyncAlerts(tx, *clinic, now); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

// `status` with the request field it is about in front of its message when it is
// NOT_FOUND ("parent: no such clinic"); other statuses unchanged.
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

// The page's size, and its cursor from the request's token; false after adding
// violations.
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

// Bit (1 << value) per enum value; INVALID_ARGUMENT-worthy values are reported.
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

}  // namespace clinic::inventory
