#include "services/inventory/alert_store.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "clinic/notification/v1/notification_service.pb.h"
#include "common/api/convert.h"
#include "common/api/resource_name.h"
#include "common/outbox/outbox.h"
#include "services/inventory/domain/alerts.h"
#include "services/inventory/domain/expiry.h"
#include "services/inventory/stock_store.h"

namespace clinic::inventory::store {
namespace {

namespace nv1 = ::clinic::notification::v1;

// Alert.State values as stored.
constexpr int64_t kOpen = v1::Alert::STATE_OPEN;
constexpr int64_t kAcknowledged = v1::Alert::STATE_ACKNOWLEDGED;
constexpr int64_t kResolved = v1::Alert::STATE_RESOLVED;

// An alert about to be raised.
struct NewAlert {
  v1::AlertKind kind = v1::ALERT_KIND_UNSPECIFIED;
  std::string dedupe_key;
  std::string product_id;
  std::string lot_id;
  std::string lot_number;
  std::optional<absl::CivilDay> expiry_date;
  std::string reservation_id;
  int64_t available = 0;
  int64_t reorder_level = 0;
  // Further template parameters: ids and numbers only.
  std::vector<std::pair<std::string, std::string>> parameters;
};

std::string AlertName(const std::string& clinic_id, const std::string& alert_id) {
  return "clinics/" + clinic_id + "/alerts/" + alert_id;
}

std::string ReservationName(const std::string& clinic_id, const std::string& reservation_id) {
  return "clinics/" + clinic_id + "/reservations/" + reservation_id;
}

// "LOW_STOCK" for ALERT_KIND_LOW_STOCK.
std::string KindName(v1::AlertKind kind) {
  const std::string& name = v1::AlertKind_Name(kind);
  constexpr std::string_view kPrefix = "ALERT_KIND_";
  return name.substr(name.rfind(kPrefix, 0) == 0 ? kPrefix.size() : 0);
}

// The notification service's request for the alert: a staff alert to the clinic's alert
// role, due now, idempotent by a request_id derived from the alert.
nv1::ScheduleReminderRequest StaffAlertRequest(const ClinicSettings& clinic, const std::string& alert_id,
                                               const NewAlert& alert, absl::Time now) {
  const std::string name = AlertName(clinic.clinic_id, alert_id);
  nv1::ScheduleReminderRequest request;
  request.set_request_id("inventory-alert-" + alert_id);
  nv1::Reminder* reminder = request.mutable_reminder();
  reminder->set_kind(nv1::REMINDER_KIND_STAFF_ALERT);
  reminder->mutable_staff()->set_clinic("clinics/" + clinic.clinic_id);
  reminder->mutable_staff()->set_role(clinic.alert_role);
  reminder->set_clinic("clinics/" + clinic.clinic_id);
  reminder->set_time_zone(clinic.zone.name());
  *reminder->mutable_send_time() = api::ToTimestamp(now);
  reminder->set_dedupe_key("inventory/" + name);
  auto& parameters = *reminder->mutable_template_parameters();
  parameters["alert_kind"] = KindName(alert.kind);
  parameters["alert"] = name;
  if (!alert.product_id.empty()) parameters["product"] = "products/" + alert.product_id;
  if (!alert.lot_id.empty()) {
    parameters["lot"] = LotName(alert.product_id, alert.lot_id);
    parameters["lot_number"] = alert.lot_number;
  }
  if (alert.expiry_date.has_value()) parameters["expiry_date"] = absl::FormatCivilTime(*alert.expiry_date);
  if (!alert.reservation_id.empty()) {
    parameters["reservation"] = ReservationName(clinic.clinic_id, alert.reservation_id);
  }
  for (const auto& [key, value] : alert.parameters) parameters[key] = value;
  return request;
}

// Inserts the alert unless one is open for its clinic, kind and key; when inserted, writes
// its outbox message. Returns whether it was raised.
absl::StatusOr<bool> Raise(sql::Transaction& tx, const ClinicSettings& clinic, const NewAlert& alert, absl::Time now) {
  const std::string id = api::NewId();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO alerts (alert_id, clinic_id, kind, dedupe_key, product_id, lot_id, reservation_id, available, "
      "reorder_level, state, create_time_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
      "ON CONFLICT DO NOTHING",
      {id, clinic.clinic_id, static_cast<int64_t>(alert.kind), alert.dedupe_key, alert.product_id, alert.lot_id,
       alert.reservation_id, alert.available, alert.reorder_level, kOpen, absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) return false;
  absl::StatusOr<std::string> message = outbox::Enqueue(
      tx, kStaffAlertTopic, StaffAlertRequest(clinic, id, alert, now).SerializeAsString(), clinic.clinic_id, now);
  if (!message.ok()) return message.status();
  return true;
}

absl::Status Resolve(sql::Transaction& tx, std::string_view clinic_id, v1::AlertKind kind, std::string_view key,
                     absl::Time now) {
  return tx
      .Execute("UPDATE alerts SET state = $4, resolve_time_us = $5 WHERE clinic_id = $1 AND kind = $2 "
               "AND dedupe_key = $3 AND state IN ($6, $7)",
               {std::string(clinic_id), static_cast<int64_t>(kind), std::string(key), kResolved,
                absl::ToUnixMicros(now), kOpen, kAcknowledged})
      .status();
}

absl::Status SyncLowStock(sql::Transaction& tx, const ClinicSettings& clinic, absl::CivilDay today, absl::Time now) {
  // The reorder-level rows first, locked in a fixed order (PostgreSQL; SQLite serialises
  // writers): availability is then read from what every earlier writer committed.
  std::string levels_sql =
      "SELECT product_id, level, below, reorder_quantity, checked_day FROM reorder_levels WHERE clinic_id = $1 "
      "ORDER BY product_id";
  if (tx.dialect() == sql::Dialect::kPostgres) levels_sql += " FOR UPDATE";
  absl::StatusOr<sql::ResultSet> levels = tx.Query(levels_sql, {clinic.clinic_id});
  if (!levels.ok()) return levels.status();
  if (levels->empty()) return absl::OkStatus();
  // Lots only ever expire as days pass. A transaction that read the clock before another
  // one checked a later day (a slow request, a housekeeping round that started before
  // midnight) counts with that later day, so that it cannot see an expired lot as
  // usable again and flip `below` back and forth.
  int64_t day = api::DayNumber(today);
  for (const sql::Row& row : *levels) day = std::max(day, row.GetInt64(4));
  absl::StatusOr<int64_t> checked = tx.Execute(
      "UPDATE reorder_levels SET checked_day = $2 WHERE clinic_id = $1 AND checked_day < $2", {clinic.clinic_id, day});
  if (!checked.ok()) return checked.status();
  absl::StatusOr<sql::ResultSet> sums = tx.Query(
      "SELECT s.product_id, SUM(s.on_hand - s.reserved) FROM stock s JOIN lots l ON l.lot_id = s.lot_id "
      "WHERE s.clinic_id = $1 AND NOT l.recalled AND l.expiry_day >= $2 GROUP BY s.product_id",
      {clinic.clinic_id, day});
  if (!sums.ok()) return sums.status();
  std::map<std::string, int64_t> available;
  for (const sql::Row& row : *sums) available[row.GetText(0)] = row.GetInt64(1);
  for (const sql::Row& row : *levels) {
    const std::string& product_id = row.GetText(0);
    const int64_t level = row.GetInt64(1);
    const int64_t units = available.contains(product_id) ? available[product_id] : 0;
    const LowStockChange change = LowStockCrossing(units, level, row.GetBool(2));
    if (change == LowStockChange::kNone) continue;
    const bool under = change == LowStockChange::kCrossedUnder;
    absl::StatusOr<int64_t> marked = tx.Execute(
        "UPDATE reorder_levels SET below = $3 WHERE clinic_id = $1 AND product_id = $2",
        {clinic.clinic_id, product_id, under});
    if (!marked.ok()) return marked.status();
    if (!under) {
      if (absl::Status s = Resolve(tx, clinic.clinic_id, v1::ALERT_KIND_LOW_STOCK, product_id, now); !s.ok()) return s;
      continue;
    }
    NewAlert alert;
    alert.kind = v1::ALERT_KIND_LOW_STOCK;
    alert.dedupe_key = product_id;
    alert.product_id = product_id;
    alert.available = units;
    alert.reorder_level = level;
    alert.parameters = {{"available", absl::StrCat(units)},
                        {"reorder_level", absl::StrCat(level)},
                        {"reorder_quantity", absl::StrCat(row.GetInt64(3))}};
    if (absl::StatusOr<bool> raised = Raise(tx, clinic, alert, now); !raised.ok()) return raised.status();
  }
  return absl::OkStatus();
}

absl::Status SyncLotAlerts(sql::Transaction& tx, const ClinicSettings& clinic, absl::CivilDay today, absl::Time now) {
  // Expiry and recall alerts clear once the clinic holds none of the lot.
  absl::StatusOr<int64_t> resolved = tx.Execute(
      "UPDATE alerts SET state = $2, resolve_time_us = $3 WHERE clinic_id = $1 AND kind IN ($4, $5) "
      "AND state IN ($6, $7) AND NOT EXISTS (SELECT 1 FROM stock s WHERE s.clinic_id = alerts.clinic_id "
      "AND s.lot_id = alerts.lot_id AND s.on_hand > 0)",
      {clinic.clinic_id, kResolved, absl::ToUnixMicros(now), static_cast<int64_t>(v1::ALERT_KIND_LOT_EXPIRING),
       static_cast<int64_t>(v1::ALERT_KIND_LOT_RECALLED), kOpen, kAcknowledged});
  if (!resolved.ok()) return resolved.status();
  const absl::CivilDay last_day = today + clinic.expiry_warning_days;
  absl::StatusOr<sql::ResultSet> lots = tx.Query(
      "SELECT s.lot_id, s.product_id, l.lot_number, l.expiry_day, s.on_hand FROM stock s "
      "JOIN lots l ON l.lot_id = s.lot_id WHERE s.clinic_id = $1 AND s.on_hand > 0 AND NOT l.recalled "
      "AND l.expiry_day <= $2 AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.clinic_id = s.clinic_id "
      "AND a.kind = $3 AND a.dedupe_key = s.lot_id AND a.state IN ($4, $5)) ORDER BY l.expiry_day, s.lot_id",
      {clinic.clinic_id, api::DayNumber(last_day), static_cast<int64_t>(v1::ALERT_KIND_LOT_EXPIRING), kOpen,
       kAcknowledged});
  if (!lots.ok()) return lots.status();
  for (const sql::Row& row : *lots) {
    const absl::CivilDay expiry = api::DayFromNumber(row.GetInt64(3));
    if (!NeedsExpiryWarning(expiry, today, clinic.expiry_warning_days)) continue;
    NewAlert alert;
    alert.kind = v1::ALERT_KIND_LOT_EXPIRING;
    alert.dedupe_key = row.GetText(0);
    alert.lot_id = row.GetText(0);
    alert.product_id = row.GetText(1);
    alert.lot_number = row.GetText(2);
    alert.expiry_date = expiry;
    alert.parameters = {{"on_hand", absl::StrCat(row.GetInt64(4))},
                        {"days_left", absl::StrCat(expiry - today)}};
    if (absl::StatusOr<bool> raised = Raise(tx, clinic, alert, now); !raised.ok()) return raised.status();
  }
  return absl::OkStatus();
}

absl::Status SyncUnserved(sql::Transaction& tx, const ClinicSettings& clinic, absl::Time now) {
  constexpr int64_t kUnserved = v1::Reservation::STATE_UNSERVED;
  absl::StatusOr<int64_t> resolved = tx.Execute(
      "UPDATE alerts SET state = $2, resolve_time_us = $3 WHERE clinic_id = $1 AND kind = $4 AND state IN ($5, $6) "
      "AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.reservation_id = alerts.reservation_id AND r.state = $7)",
      {clinic.clinic_id, kResolved, absl::ToUnixMicros(now), static_cast<int64_t>(v1::ALERT_KIND_RESERVATION_UNSERVED),
       kOpen, kAcknowledged, kUnserved});
  if (!resolved.ok()) return resolved.status();
  absl::StatusOr<sql::ResultSet> unserved = tx.Query(
      "SELECT r.reservation_id, r.product_id, r.quantity FROM reservations r WHERE r.clinic_id = $1 AND r.state = $2 "
      "AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.clinic_id = r.clinic_id AND a.kind = $3 "
      "AND a.dedupe_key = r.reservation_id AND a.state IN ($4, $5)) ORDER BY r.use_day, r.reservation_id",
      {clinic.clinic_id, kUnserved, static_cast<int64_t>(v1::ALERT_KIND_RESERVATION_UNSERVED), kOpen, kAcknowledged});
  if (!unserved.ok()) return unserved.status();
  for (const sql::Row& row : *unserved) {
    NewAlert alert;
    alert.kind = v1::ALERT_KIND_RESERVATION_UNSERVED;
    alert.dedupe_key = row.GetText(0);
    alert.reservation_id = row.GetText(0);
    alert.product_id = row.GetText(1);
    alert.parameters = {{"quantity", absl::StrCat(row.GetInt64(2))}};
    if (absl::StatusOr<bool> raised = Raise(tx, clinic, alert, now); !raised.ok()) return raised.status();
  }
  return absl::OkStatus();
}

constexpr std::string_view kAlertSelect =
    "SELECT a.alert_id, a.clinic_id, a.kind, a.product_id, a.lot_id, a.reservation_id, a.available, "
    "a.reorder_level, a.state, a.create_time_us, a.acknowledge_time_us, a.acknowledged_by, a.resolve_time_us, "
    "l.lot_number, l.expiry_day FROM alerts a LEFT JOIN lots l ON l.lot_id = a.lot_id ";

v1::Alert AlertFromRow(const sql::Row& row) {
  v1::Alert alert;
  const std::string& clinic_id = row.GetText(1);
  alert.set_name(AlertName(clinic_id, row.GetText(0)));
  alert.set_kind(static_cast<v1::AlertKind>(row.GetInt64(2)));
  if (!row.GetText(3).empty()) alert.set_product("products/" + row.GetText(3));
  if (!row.GetText(4).empty()) {
    alert.set_lot(LotName(row.GetText(3), row.GetText(4)));
    if (!row.IsNull(13)) alert.set_lot_number(row.GetText(13));
    if (!row.IsNull(14)) *alert.mutable_expiry_date() = api::ToDate(api::DayFromNumber(row.GetInt64(14)));
  }
  if (!row.GetText(5).empty()) alert.set_reservation(ReservationName(clinic_id, row.GetText(5)));
  alert.set_available(row.GetInt64(6));
  alert.set_reorder_level(row.GetInt64(7));
  alert.set_state(static_cast<v1::Alert::State>(row.GetInt64(8)));
  *alert.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(9));
  if (!row.IsNull(10)) *alert.mutable_acknowledge_time() = api::TimestampFromMicros(row.GetInt64(10));
  alert.set_acknowledged_by(row.GetText(11));
  if (!row.IsNull(12)) *alert.mutable_resolve_time() = api::TimestampFromMicros(row.GetInt64(12));
  return alert;
}

}  // namespace

absl::Status SyncAlerts(sql::Transaction& tx, const ClinicSettings& clinic, absl::Time now) {
  const absl::CivilDay today = LocalDay(now, clinic.zone);
  if (absl::Status s = SyncLowStock(tx, clinic, today, now); !s.ok()) return s;
  if (absl::Status s = SyncLotAlerts(tx, clinic, today, now); !s.ok()) return s;
  return SyncUnserved(tx, clinic, now);
}

absl::StatusOr<std::vector<std::string>> RaiseRecallAlerts(sql::Transaction& tx, std::string_view lot_id,
                                                           absl::Time now) {
  absl::StatusOr<sql::ResultSet> holders = tx.Query(
      "SELECT s.clinic_id, s.product_id, l.lot_number, l.expiry_day, s.on_hand FROM stock s "
      "JOIN lots l ON l.lot_id = s.lot_id WHERE s.lot_id = $1 AND (s.on_hand > 0 OR s.reserved > 0 OR s.in_transit > 0) "
      "ORDER BY s.clinic_id",
      {std::string(lot_id)});
  if (!holders.ok()) return holders.status();
  std::vector<std::string> clinics;
  for (const sql::Row& row : *holders) {
    clinics.push_back(row.GetText(0));
    if (row.GetInt64(4) == 0) continue;
    absl::StatusOr<ClinicSettings> clinic = GetClinicSettings(tx, row.GetText(0));
    if (!clinic.ok()) return clinic.status();
    NewAlert alert;
    alert.kind = v1::ALERT_KIND_LOT_RECALLED;
    alert.dedupe_key = std::string(lot_id);
    alert.lot_id = std::string(lot_id);
    alert.product_id = row.GetText(1);
    alert.lot_number = row.GetText(2);
    alert.expiry_date = api::DayFromNumber(row.GetInt64(3));
    alert.parameters = {{"on_hand", absl::StrCat(row.GetInt64(4))}};
    if (absl::StatusOr<bool> raised = Raise(tx, *clinic, alert, now); !raised.ok()) return raised.status();
  }
  return clinics;
}

absl::Status ListAlerts(sql::Transaction& tx, const AlertQuery& query, const PageRequest& page,
                        std::vector<v1::Alert>* out, std::vector<std::string>* next_cursor) {
  const bool first = page.after.size() != 3;
  int64_t after_us = 0;
  if (!first && !absl::SimpleAtoi(page.after[0], &after_us)) return absl::InvalidArgumentError("bad page token");
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      std::string(kAlertSelect) +
          "WHERE ($1 = '-' OR a.clinic_id = $1) "
          "AND ($2 = 0 OR ($2 & (CAST(1 AS BIGINT) << CAST(a.kind AS INTEGER))) <> 0) "
          "AND ($3 = 0 OR ($3 & (CAST(1 AS BIGINT) << CAST(a.state AS INTEGER))) <> 0) "
          "AND ($4 OR (a.create_time_us, a.clinic_id, a.alert_id) < ($5, $6, $7)) "
          "ORDER BY a.create_time_us DESC, a.clinic_id DESC, a.alert_id DESC LIMIT $8",
      {query.clinic_id, static_cast<int64_t>(query.kind_mask), static_cast<int64_t>(query.state_mask), first,
       after_us, first ? std::string() : page.after[1], first ? std::string() : page.after[2], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    out->push_back(AlertFromRow(row));
    *next_cursor = {std::to_string(row.GetInt64(9)), row.GetText(1), row.GetText(0)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::Status AcknowledgeAlert(sql::Transaction& tx, std::string_view clinic_id, std::string_view alert_id,
                              const std::string& principal, absl::Time now, v1::Alert* out) {
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE alerts SET state = $3, acknowledge_time_us = $4, acknowledged_by = $5 "
      "WHERE alert_id = $1 AND clinic_id = $2 AND state = $6",
      {std::string(alert_id), std::string(clinic_id), kAcknowledged, absl::ToUnixMicros(now), principal, kOpen});
  if (!n.ok()) return n.status();
  absl::StatusOr<sql::ResultSet> rows = tx.Query(std::string(kAlertSelect) + "WHERE a.alert_id = $1 AND a.clinic_id = $2",
                                                 {std::string(alert_id), std::string(clinic_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such alert");
  *out = AlertFromRow((*rows)[0]);
  return absl::OkStatus();
}

}  // namespace clinic::inventory::store
