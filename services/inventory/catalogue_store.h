#pragma once

// The catalogue tables: products, the clinics that hold stock, reorder levels.
//
// Functions run inside a transaction the caller opens (sql::Database::Transact, usually
// through api::RunOnce) so that they compose with the other stores; they may be run
// again when the transaction is retried. Inputs are validated by the caller
// (validation.h); these functions enforce what needs stored state: existence,
// uniqueness and etags. Why no separate store interface: sql::Database already is the
// interface to the outside (SQLite or PostgreSQL), and the tests run on both.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/inventory/v1/product.pb.h"
#include "common/sql/database.h"

namespace clinic::inventory::store {

// A clinic's stock settings as the other stores use them.
struct ClinicSettings {
  std::string clinic_id;
  absl::TimeZone zone;
  absl::Duration reservation_hold;
  int expiry_warning_days = 30;
  std::string alert_role;
  bool active = true;
};

// A page of a listing: at most `limit` items after `after` (the sort key of the last item
// of the previous page; empty for the first page).
struct PageRequest {
  std::vector<std::string> after;
  int limit = 50;
};

// Products. Names are "products/{product_id}".
absl::Status InsertProduct(sql::Transaction& tx, const std::string& product_id, const v1::Product& product,
                           absl::Time now, v1::Product* out);
absl::StatusOr<v1::Product> GetProduct(sql::Transaction& tx, std::string_view product_id);
// By display name then id; the cursor is {display_name, product_id}.
absl::Status ListProducts(sql::Transaction& tx, v1::ProductCategory category, bool show_discontinued,
                          const PageRequest& page, std::vector<v1::Product>* out);
// Changes the `paths` of the stored product to those of `product`; ABORTED when
// `expected_version` is given and stale.
absl::Status UpdateProduct(sql::Transaction& tx, std::string_view product_id, const v1::Product& product,
                           const std::set<std::string>& paths, std::optional<int64_t> expected_version,
                           absl::Time now, v1::Product* out);

// Clinics. Names are "clinics/{clinic_id}".
absl::Status InsertClinic(sql::Transaction& tx, const std::string& clinic_id, const v1::Clinic& clinic,
                          absl::Time now, v1::Clinic* out);
absl::StatusOr<v1::Clinic> GetClinic(sql::Transaction& tx, std::string_view clinic_id);
// NOT_FOUND (naming the field) when the clinic is not registered.
absl::StatusOr<ClinicSettings> GetClinicSettings(sql::Transaction& tx, std::string_view clinic_id);
// By id; the cursor is {clinic_id}.
absl::Status ListClinics(sql::Transaction& tx, const PageRequest& page, std::vector<v1::Clinic>* out);
absl::Status UpdateClinic(sql::Transaction& tx, std::string_view clinic_id, const v1::Clinic& clinic,
                          const std::set<std::string>& paths, std::optional<int64_t> expected_version,
                          absl::Time now, v1::Clinic* out);

// Reorder levels. Names are "clinics/{clinic_id}/reorderLevels/{product_id}".
// Sets the level (creating it when `allow_missing`); NOT_FOUND for an unknown clinic or
// product, or a missing level without allow_missing; ABORTED on a stale version.
absl::Status UpsertReorderLevel(sql::Transaction& tx, const std::string& clinic_id, const std::string& product_id,
                                const v1::ReorderLevel& level, const std::set<std::string>& paths,
                                std::optional<int64_t> expected_version, bool allow_missing, absl::Time now,
                                v1::ReorderLevel* out);
// By product id; the cursor is {product_id}.
absl::Status ListReorderLevels(sql::Transaction& tx, std::string_view clinic_id, const PageRequest& page,
                               std::vector<v1::ReorderLevel>* out);

}  // namespace clinic::inventory::store
