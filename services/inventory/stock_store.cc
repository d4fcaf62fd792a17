#include "services/inventory/stock_store.h"

#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/api/resource_name.h"
#include "common/status/status.h"
#include "services/inventory/domain/expiry.h"

namespace clinic::inventory::store {
namespace {

constexpr std::string_view kLotColumns =
    "lot_id, product_id, lot_number, expiry_day, manufacturer, recalled, recall_reason, recall_reference, "
    "recall_time_us, create_time_us";

v1::Lot LotFromRow(const sql::Row& row) {
  v1::Lot lot;
  lot.set_name(LotName(row.GetText(1), row.GetText(0)));
  lot.set_lot_number(row.GetText(2));
  *lot.mutable_expiry_date() = api::ToDate(api::DayFromNumber(row.GetInt64(3)));
  lot.set_manufacturer(row.GetText(4));
  lot.set_state(row.GetBool(5) ? v1::Lot::STATE_RECALLED : v1::Lot::STATE_ACTIVE);
  lot.set_recall_reason(row.GetText(6));
  lot.set_recall_reference(row.GetText(7));
  if (!row.IsNull(8)) *lot.mutable_recall_time() = api::TimestampFromMicros(row.GetInt64(8));
  *lot.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(9));
  return lot;
}

LotRow LotRowFrom(const sql::Row& row) {
  return {row.GetText(0), row.GetText(1), row.GetText(2), api::DayFromNumber(row.GetInt64(3)), row.GetBool(5)};
}

std::string LotKey(std::string_view lot_number) { return absl::AsciiStrToUpper(absl::string_view(lot_number.data(), lot_number.size())); }

constexpr std::string_view kMovementColumns =
    "movement_id, clinic_id, sequence, type, product_id, lot_id, quantity_delta, on_hand_after, adjustment_reason, "
    "note, supplier, transfer_id, reservation_id, appointment, patient, request_id, principal, create_time_us";

v1::Movement MovementFromRow(const sql::Row& row) {
  v1::Movement m;
  m.set_name("clinics/" + row.GetText(1) + "/movements/" + row.GetText(0));
  m.set_sequence(row.GetInt64(2));
  m.set_type(static_cast<v1::MovementType>(row.GetInt64(3)));
  m.set_product("products/" + row.GetText(4));
  m.set_lot(LotName(row.GetText(4), row.GetText(5)));
  m.set_quantity_delta(row.GetInt64(6));
  m.set_on_hand_after(row.GetInt64(7));
  m.set_adjustment_reason(static_cast<v1::AdjustmentReason>(row.GetInt64(8)));
  m.set_note(row.GetText(9));
  m.set_supplier(row.GetText(10));
  if (!row.GetText(11).empty()) m.set_transfer("transfers/" + row.GetText(11));
  if (!row.GetText(12).empty()) m.set_reservation("clinics/" + row.GetText(1) + "/reservations/" + row.GetText(12));
  m.set_appointment(row.GetText(13));
  m.set_patient(row.GetText(14));
  m.set_request_id(row.GetText(15));
  m.set_principal(row.GetText(16));
  *m.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(17));
  return m;
}

// Time zones of the clinics met while listing, loaded once per listing.
class ZoneCache {
 public:
  explicit ZoneCache(sql::Transaction& tx) : tx_(tx) {}
  absl::StatusOr<const ClinicSettings*> Get(const std::string& clinic_id) {
    auto it = clinics_.find(clinic_id);
    if (it == clinics_.end()) {
      absl::StatusOr<ClinicSettings> settings = GetClinicSettings(tx_, clinic_id);
      if (!settings.ok()) return settings.status();
      it = clinics_.emplace(clinic_id, *std::move(settings)).first;
    }
    return &it->second;
  }

 private:
  sql::Transaction& tx_;
  std::map<std::string, ClinicSettings> clinics_;
};

constexpr std::string_view kLevelSelect =
    "SELECT s.clinic_id, s.product_id, s.lot_id, l.lot_number, l.expiry_day, l.recalled, s.on_hand, s.reserved, "
    "s.in_transit FROM stock s JOIN lots l ON l.lot_id = s.lot_id ";

// A lot-level StockLevel from a kLevelSelect row, as of `today` at the row's clinic.
v1::StockLevel LotLevelFromRow(const sql::Row& row, absl::CivilDay today) {
  v1::StockLevel level;
  level.set_clinic("clinics/" + row.GetText(0));
  level.set_product("products/" + row.GetText(1));
  level.set_lot(LotName(row.GetText(1), row.GetText(2)));
  level.set_lot_number(row.GetText(3));
  const absl::CivilDay expiry = api::DayFromNumber(row.GetInt64(4));
  *level.mutable_expiry_date() = api::ToDate(expiry);
  level.set_recalled(row.GetBool(5));
  level.set_expired(!UsableOn(expiry, today));
  level.set_on_hand(row.GetInt64(6));
  level.set_reserved(row.GetInt64(7));
  level.set_in_transit(row.GetInt64(8));
  level.set_available(level.recalled() || level.expired() ? 0 : level.on_hand() - level.reserved());
  return level;
}

}  // namespace

std::string LotName(std::string_view product_id, std::string_view lot_id) {
  return absl::StrCat("products/", absl::string_view(product_id.data(), product_id.size()), "/lots/",
                      absl::string_view(lot_id.data(), lot_id.size()));
}

absl::StatusOr<std::optional<LotRow>> FindLot(sql::Transaction& tx, std::string_view product_id,
                                              std::string_view lot_id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT " + std::string(kLotColumns) + " FROM lots WHERE lot_id = $1 AND product_id = $2",
               {std::string(lot_id), std::string(product_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  return LotRowFrom((*rows)[0]);
}

absl::StatusOr<v1::Lot> GetLot(sql::Transaction& tx, std::string_view product_id, std::string_view lot_id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT " + std::string(kLotColumns) + " FROM lots WHERE lot_id = $1 AND product_id = $2",
               {std::string(lot_id), std::string(product_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such lot");
  return LotFromRow((*rows)[0]);
}

absl::StatusOr<LotRow> FindOrCreateLot(sql::Transaction& tx, const std::string& product_id,
                                       const std::string& lot_number, absl::CivilDay expiry_date,
                                       const std::string& manufacturer, absl::Time now) {
  const std::string key = LotKey(lot_number);
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO lots (lot_id, product_id, lot_number, lot_key, expiry_day, manufacturer, create_time_us) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (product_id, lot_key) DO NOTHING",
      {api::NewId(), product_id, lot_number, key, api::DayNumber(expiry_date), manufacturer, absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kLotColumns) + " FROM lots WHERE product_id = $1 AND lot_key = $2", {product_id, key});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::InternalError("lot vanished after insert");
  LotRow lot = LotRowFrom((*rows)[0]);
  const std::string name = LotName(product_id, lot.lot_id);
  if (lot.expiry_date != expiry_date) {
    return status::FailedPrecondition("LOT", name, "this lot number is known with another expiry date");
  }
  if (lot.recalled) return status::FailedPrecondition("LOT", name, "the lot is recalled");
  return lot;
}

absl::Status ListLots(sql::Transaction& tx, std::string_view product_id, std::string_view lot_number,
                      uint64_t state_mask, const PageRequest& page, std::vector<v1::Lot>* out) {
  const bool first = page.after.size() != 2;
  int64_t after_day = 0;
  if (!first && !absl::SimpleAtoi(page.after[0], &after_day)) return absl::InvalidArgumentError("bad page token");
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kLotColumns) +
          " FROM lots WHERE ($1 = '-' OR product_id = $1) AND ($2 = '' OR lot_key = $2) "
          "AND ($3 = 0 OR ($3 & (CASE WHEN recalled THEN 4 ELSE 2 END)) <> 0) "
          "AND ($4 OR expiry_day > $5 OR (expiry_day = $5 AND lot_id > $6)) ORDER BY expiry_day, lot_id LIMIT $7",
      {std::string(product_id), LotKey(lot_number), static_cast<int64_t>(state_mask), first, after_day,
       first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) out->push_back(LotFromRow(row));
  return absl::OkStatus();
}

absl::StatusOr<v1::Movement> AppendMovement(sql::Transaction& tx, const MovementInput& in, absl::Time now) {
  if (in.quantity_delta > 0) {
    absl::StatusOr<int64_t> created = tx.Execute(
        "INSERT INTO stock (clinic_id, lot_id, product_id) VALUES ($1, $2, $3) ON CONFLICT (clinic_id, lot_id) DO NOTHING",
        {in.clinic_id, in.lot_id, in.product_id});
    if (!created.ok()) return created.status();
  }
  absl::StatusOr<sql::ResultSet> applied = tx.Query(
      "UPDATE stock SET on_hand = on_hand + $3, reserved = reserved + $4 "
      "WHERE clinic_id = $1 AND lot_id = $2 AND on_hand + $3 >= 0 AND reserved + $4 >= 0 "
      "AND on_hand + $3 >= reserved + $4 RETURNING on_hand",
      {in.clinic_id, in.lot_id, in.quantity_delta, in.reserved_delta});
  if (!applied.ok()) return applied.status();
  if (applied->empty()) {
    return status::FailedPrecondition("STOCK", LotName(in.product_id, in.lot_id),
                                      "not enough units of the lot on hand and unreserved at the clinic");
  }
  const int64_t on_hand_after = (*applied)[0].GetInt64(0);
  absl::StatusOr<sql::ResultSet> seq = tx.Query(
      "UPDATE clinics SET movement_seq = movement_seq + 1 WHERE clinic_id = $1 RETURNING movement_seq", {in.clinic_id});
  if (!seq.ok()) return seq.status();
  if (seq->empty()) return absl::NotFoundError("no such clinic");
  const std::string movement_id = api::NewId();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO movements (movement_id, clinic_id, sequence, type, product_id, lot_id, quantity_delta, "
      "on_hand_after, adjustment_reason, note, supplier, supplier_reference, transfer_id, reservation_id, "
      "appointment, patient, request_id, principal, create_time_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
      "$10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
      {movement_id, in.clinic_id, (*seq)[0].GetInt64(0), static_cast<int64_t>(in.type), in.product_id, in.lot_id,
       in.quantity_delta, on_hand_after, static_cast<int64_t>(in.adjustment_reason), in.note, in.supplier,
       in.supplier_reference, in.transfer_id, in.reservation_id, in.appointment, in.patient, in.request_id,
       in.principal, absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  absl::StatusOr<sql::ResultSet> row =
      tx.Query("SELECT " + std::string(kMovementColumns) + " FROM movements WHERE movement_id = $1", {movement_id});
  if (!row.ok()) return row.status();
  return MovementFromRow((*row)[0]);
}

absl::StatusOr<v1::StockLevel> GetLotLevel(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view lot_id,
                                           absl::Time now) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(std::string(kLevelSelect) + "WHERE s.clinic_id = $1 AND s.lot_id = $2",
                                                 {clinic.clinic_id, std::string(lot_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("the clinic holds no stock of this lot");
  return LotLevelFromRow((*rows)[0], LocalDay(now, clinic.zone));
}

absl::Status ListStockLevels(sql::Transaction& tx, const StockLevelQuery& query, const PageRequest& page,
                             absl::Time now, std::vector<v1::StockLevel>* out, std::vector<std::string>* next_cursor) {
  ZoneCache zones(tx);
  const std::string filters =
      "WHERE ($1 = '-' OR s.clinic_id = $1) AND ($2 = '' OR s.product_id = $2) AND ($3 = '' OR s.lot_id = $3) "
      "AND ($4 OR s.on_hand > 0 OR s.reserved > 0 OR s.in_transit > 0) ";
  const std::vector<std::string>& a = page.after;
  if (query.expiring_within_days.has_value()) {
    // Lots with stock on hand expiring soon (or already expired), soonest first. The
    // window depends on each clinic's zone and setting, so rows are filtered here; the
    // SQL bound is a superset (the widest window any clinic can have).
    const bool first = a.size() != 3;
    int64_t after_day = 0;
    if (!first && !absl::SimpleAtoi(a[0], &after_day)) return absl::InvalidArgumentError("bad page token");
    const int64_t widest = api::DayNumber(absl::ToCivilDay(now, absl::UTCTimeZone())) + 1 + 365;
    absl::StatusOr<sql::ResultSet> rows = tx.Query(
        std::string(kLevelSelect) + filters +
            "AND s.on_hand > 0 AND l.expiry_day <= $5 AND ($6 OR (l.expiry_day, s.clinic_id, s.lot_id) > ($7, $8, $9)) "
            "ORDER BY l.expiry_day, s.clinic_id, s.lot_id LIMIT $10",
        {query.clinic_id, query.product_id, query.lot_id, true, widest, first, after_day,
         first ? std::string() : a[1], first ? std::string() : a[2], page.limit});
    if (!rows.ok()) return rows.status();
    for (const sql::Row& row : *rows) {
      *next_cursor = {std::to_string(row.GetInt64(4)), row.GetText(0), row.GetText(2)};
      absl::StatusOr<const ClinicSettings*> clinic = zones.Get(row.GetText(0));
      if (!clinic.ok()) return clinic.status();
      const absl::CivilDay today = LocalDay(now, (*clinic)->zone);
      const int days = *query.expiring_within_days > 0 ? *query.expiring_within_days : (*clinic)->expiry_warning_days;
      if (api::DayFromNumber(row.GetInt64(4)) > today + days) continue;
      out->push_back(LotLevelFromRow(row, today));
    }
    if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
    return absl::OkStatus();
  }
  if (!query.by_product) {
    const bool first = a.size() != 4;
    int64_t after_day = 0;
    if (!first && !absl::SimpleAtoi(a[2], &after_day)) return absl::InvalidArgumentError("bad page token");
    absl::StatusOr<sql::ResultSet> rows = tx.Query(
        std::string(kLevelSelect) + filters +
            "AND ($5 OR (s.clinic_id, s.product_id, l.expiry_day, s.lot_id) > ($6, $7, $8, $9)) "
            "ORDER BY s.clinic_id, s.product_id, l.expiry_day, s.lot_id LIMIT $10",
        {query.clinic_id, query.product_id, query.lot_id, query.show_empty, first, first ? std::string() : a[0],
         first ? std::string() : a[1], after_day, first ? std::string() : a[3], page.limit});
    if (!rows.ok()) return rows.status();
    for (const sql::Row& row : *rows) {
      absl::StatusOr<const ClinicSettings*> clinic = zones.Get(row.GetText(0));
      if (!clinic.ok()) return clinic.status();
      out->push_back(LotLevelFromRow(row, LocalDay(now, (*clinic)->zone)));
      *next_cursor = {row.GetText(0), row.GetText(1), std::to_string(row.GetInt64(4)), row.GetText(2)};
    }
    if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
    return absl::OkStatus();
  }
  // Product view: the lots of each (clinic, product) summed; available counts usable lots
  // only, so it is summed here from the lot rows of the page's products.
  const bool first = a.size() != 2;
  absl::StatusOr<sql::ResultSet> keys = tx.Query(
      "SELECT DISTINCT s.clinic_id, s.product_id FROM stock s " + filters +
          "AND ($5 OR (s.clinic_id, s.product_id) > ($6, $7)) ORDER BY s.clinic_id, s.product_id LIMIT $8",
      {query.clinic_id, query.product_id, query.lot_id, query.show_empty, first, first ? std::string() : a[0],
       first ? std::string() : a[1], page.limit});
  if (!keys.ok()) return keys.status();
  for (const sql::Row& key : *keys) {
    absl::StatusOr<const ClinicSettings*> clinic = zones.Get(key.GetText(0));
    if (!clinic.ok()) return clinic.status();
    absl::StatusOr<sql::ResultSet> lots =
        tx.Query(std::string(kLevelSelect) + "WHERE s.clinic_id = $1 AND s.product_id = $2", {key.GetText(0), key.GetText(1)});
    if (!lots.ok()) return lots.status();
    v1::StockLevel sum;
    sum.set_clinic("clinics/" + key.GetText(0));
    sum.set_product("products/" + key.GetText(1));
    const absl::CivilDay today = LocalDay(now, (*clinic)->zone);
    for (const sql::Row& row : *lots) {
      const v1::StockLevel lot = LotLevelFromRow(row, today);
      sum.set_on_hand(sum.on_hand() + lot.on_hand());
      sum.set_reserved(sum.reserved() + lot.reserved());
      sum.set_available(sum.available() + lot.available());
      sum.set_in_transit(sum.in_transit() + lot.in_transit());
    }
    absl::StatusOr<sql::ResultSet> level = tx.Query(
        "SELECT level FROM reorder_levels WHERE clinic_id = $1 AND product_id = $2", {key.GetText(0), key.GetText(1)});
    if (!level.ok()) return level.status();
    if (!level->empty()) sum.set_reorder_level((*level)[0].GetInt64(0));
    out->push_back(std::move(sum));
    *next_cursor = {key.GetText(0), key.GetText(1)};
  }
  if (static_cast<int>(keys->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::Status ListMovements(sql::Transaction& tx, const MovementQuery& query, const PageRequest& page,
                           std::vector<v1::Movement>* out, std::vector<std::string>* next_cursor) {
  const bool first = page.after.size() != 3;
  int64_t after_us = 0, after_seq = 0;
  if (!first && (!absl::SimpleAtoi(page.after[0], &after_us) || !absl::SimpleAtoi(page.after[2], &after_seq))) {
    return absl::InvalidArgumentError("bad page token");
  }
  // Newest first; entries recorded in the same microsecond by their clinic's sequence.
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kMovementColumns) +
          " FROM movements WHERE ($1 = '-' OR clinic_id = $1) AND ($2 = '' OR product_id = $2) "
          "AND ($3 = '' OR lot_id = $3) AND ($4 = 0 OR ($4 & (CAST(1 AS BIGINT) << CAST(type AS INTEGER))) <> 0) "
          "AND create_time_us >= $5 AND create_time_us < $6 "
          "AND ($7 OR (create_time_us, clinic_id, sequence) < ($8, $9, $10)) "
          "ORDER BY create_time_us DESC, clinic_id DESC, sequence DESC LIMIT $11",
      {query.clinic_id, query.product_id, query.lot_id, static_cast<int64_t>(query.type_mask),
       query.start.has_value() ? absl::ToUnixMicros(*query.start) : std::numeric_limits<int64_t>::min(),
       query.end.has_value() ? absl::ToUnixMicros(*query.end) : std::numeric_limits<int64_t>::max(), first, after_us,
       first ? std::string() : page.after[1], after_seq, page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    out->push_back(MovementFromRow(row));
    *next_cursor = {std::to_string(row.GetInt64(17)), row.GetText(1), std::to_string(row.GetInt64(2))};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::StatusOr<int64_t> LedgerSum(sql::Transaction& tx, std::string_view clinic_id, std::string_view lot_id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT COALESCE(SUM(quantity_delta), 0) FROM movements WHERE clinic_id = $1 AND lot_id = $2",
               {std::string(clinic_id), std::string(lot_id)});
  if (!rows.ok()) return rows.status();
  return (*rows)[0].GetInt64(0);
}

}  // namespace clinic::inventory::store
