#pragma once

// Lots, stock per clinic and the movement ledger.
//
// The ledger is append-only and every change of on-hand stock goes through
// AppendMovement, which updates the stock row and appends the entry in one statement
// pair, so that a lot's on-hand at a clinic is always the sum of its ledger. The stock
// row's CHECK constraints (on_hand >= 0, reserved <= on_hand) back the guards up.
// Functions run inside the caller's transaction, as in catalogue_store.h.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/inventory/v1/inventory_service.pb.h"
#include "clinic/inventory/v1/stock.pb.h"
#include "common/sql/database.h"
#include "services/inventory/catalogue_store.h"

namespace clinic::inventory::store {

// "products/{product}/lots/{lot}".
std::string LotName(std::string_view product_id, std::string_view lot_id);

// A lot as stored.
struct LotRow {
  std::string lot_id;
  std::string product_id;
  std::string lot_number;
  absl::CivilDay expiry_date;
  bool recalled = false;
};

absl::StatusOr<std::optional<LotRow>> FindLot(sql::Transaction& tx, std::string_view product_id, std::string_view lot_id);
absl::StatusOr<v1::Lot> GetLot(sql::Transaction& tx, std::string_view product_id, std::string_view lot_id);
// The lot of `product_id` numbered `lot_number` (case-insensitive), created on first
// receipt. FAILED_PRECONDITION (type "LOT") when it exists with another expiry date or is
// recalled.
absl::StatusOr<LotRow> FindOrCreateLot(sql::Transaction& tx, const std::string& product_id,
                                       const std::string& lot_number, absl::CivilDay expiry_date,
                                       const std::string& manufacturer, absl::Time now);
// Lots of a product ("-" for all) by expiry date; cursor {expiry_day, lot_id}.
absl::Status ListLots(sql::Transaction& tx, std::string_view product_id, std::string_view lot_number,
                      uint64_t state_mask, const PageRequest& page, std::vector<v1::Lot>* out);

// One ledger entry to append.
struct MovementInput {
  std::string clinic_id;
  std::string product_id;
  std::string lot_id;
  v1::MovementType type = v1::MOVEMENT_TYPE_UNSPECIFIED;
  int64_t quantity_delta = 0;
  // The change of the stock row's reserved units that goes with it (a consumption of a
  // reservation takes its units out of both).
  int64_t reserved_delta = 0;
  v1::AdjustmentReason adjustment_reason = v1::ADJUSTMENT_REASON_UNSPECIFIED;
  std::string note;
  std::string supplier;
  std::string supplier_reference;
  std::string transfer_id;
  std::string reservation_id;
  std::string appointment;
  std::string patient;
  std::string request_id;
  std::string principal;
};

// Applies the movement to the stock row and appends it to the clinic's ledger (next
// sequence number). FAILED_PRECONDITION (type "STOCK") when on-hand would go below zero
// or below the units reserved on the lot.
absl::StatusOr<v1::Movement> AppendMovement(sql::Transaction& tx, const MovementInput& movement, absl::Time now);

// The lot-level stock of one lot at a clinic as of `now`.
absl::StatusOr<v1::StockLevel> GetLotLevel(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view lot_id,
                                           absl::Time now);

// Listings (here and in reservation_store.h) return at most page.limit items and set
// `next_cursor` to the cursor of the last row read when the page is full (more may
// follow), else clear it.
struct StockLevelQuery {
  std::string clinic_id;   // "-" for every clinic
  std::string product_id;  // empty for every product
  std::string lot_id;      // empty for every lot
  bool by_product = false; // STOCK_LEVEL_VIEW_PRODUCT
  bool show_empty = false;
  // Only lots expiring on or before this day in each clinic's zone, counted from today
  // (ListExpiringLots): days ahead; nullopt for no limit; 0 means each clinic's warning.
  std::optional<int> expiring_within_days;
};
// Levels by clinic, product, expiry date, lot (lot view) or by clinic, product (product
// view); cursor {clinic_id, product_id, expiry_day, lot_id} or {clinic_id, product_id}.
// Expiring-lots listings are ordered by expiry date first; cursor {expiry_day, clinic_id,
// lot_id}.
absl::Status ListStockLevels(sql::Transaction& tx, const StockLevelQuery& query, const PageRequest& page,
                             absl::Time now, std::vector<v1::StockLevel>* out, std::vector<std::string>* next_cursor);

struct MovementQuery {
  std::string clinic_id;  // "-" for every clinic
  std::string product_id;
  std::string lot_id;
  uint64_t type_mask = 0;  // bit (1 << type) per MovementType; 0 for all
  std::optional<absl::Time> start;  // inclusive
  std::optional<absl::Time> end;    // exclusive
};
// Newest first; cursor {create_time_us, clinic_id, sequence}.
absl::Status ListMovements(sql::Transaction& tx, const MovementQuery& query, const PageRequest& page,
                           std::vector<v1::Movement>* out, std::vector<std::string>* next_cursor);

// The sum of the ledger of a lot at a clinic (for checks and tests).
absl::StatusOr<int64_t> LedgerSum(sql::Transaction& tx, std::string_view clinic_id, std::string_view lot_id);

}  // namespace clinic::inventory::store
