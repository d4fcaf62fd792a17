#include "services/inventory/transfer_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/api/resource_name.h"
#include "common/status/status.h"
#include "services/inventory/domain/expiry.h"
#include "services/inventory/reservation_store.h"
#include "services/inventory/stock_store.h"

namespace clinic::inventory::store {
namespace {

constexpr std::string_view kTransferColumns =
    "transfer_id, source_clinic_id, destination_clinic_id, note, state, ship_time_us, shipped_by, close_time_us, "
    "closed_by, version";

absl::StatusOr<v1::Transfer> Read(sql::Transaction& tx, std::string_view transfer_id) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kTransferColumns) + " FROM transfers WHERE transfer_id = $1", {std::string(transfer_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such transfer");
  const sql::Row& row = (*rows)[0];
  v1::Transfer t;
  t.set_name("transfers/" + row.GetText(0));
  t.set_source_clinic("clinics/" + row.GetText(1));
  t.set_destination_clinic("clinics/" + row.GetText(2));
  t.set_note(row.GetText(3));
  t.set_state(static_cast<v1::Transfer::State>(row.GetInt64(4)));
  *t.mutable_ship_time() = api::TimestampFromMicros(row.GetInt64(5));
  t.set_shipped_by(row.GetText(6));
  if (!row.IsNull(7)) *t.mutable_close_time() = api::TimestampFromMicros(row.GetInt64(7));
  t.set_closed_by(row.GetText(8));
  t.set_etag(api::Etag(row.GetInt64(9)));
  absl::StatusOr<sql::ResultSet> items = tx.Query(
      "SELECT i.lot_id, l.product_id, l.lot_number, l.expiry_day, i.quantity, i.received_quantity "
      "FROM transfer_items i JOIN lots l ON l.lot_id = i.lot_id WHERE i.transfer_id = $1 ORDER BY i.lot_id",
      {std::string(transfer_id)});
  if (!items.ok()) return items.status();
  for (const sql::Row& item : *items) {
    v1::TransferItem* i = t.add_items();
    i->set_lot(LotName(item.GetText(1), item.GetText(0)));
    i->set_product("products/" + item.GetText(1));
    i->set_lot_number(item.GetText(2));
    *i->mutable_expiry_date() = api::ToDate(api::DayFromNumber(item.GetInt64(3)));
    i->set_quantity(item.GetInt64(4));
    i->set_received_quantity(item.GetInt64(5));
  }
  return t;
}

// A locked transfer in transit: its clinics and lines.
struct OpenTransfer {
  std::string source;
  std::string destination;
  std::vector<TransferLine> lines;
};

absl::StatusOr<OpenTransfer> LockInTransit(sql::Transaction& tx, std::string_view transfer_id,
                                           std::optional<int64_t> expected_version) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "UPDATE transfers SET version = version WHERE transfer_id = $1 "
      "RETURNING source_clinic_id, destination_clinic_id, state, version",
      {std::string(transfer_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such transfer");
  const sql::Row& row = (*rows)[0];
  if (expected_version.has_value() && *expected_version != row.GetInt64(3)) {
    return absl::AbortedError("the transfer changed since it was read (stale etag); read it again");
  }
  if (row.GetInt64(2) != v1::Transfer::STATE_IN_TRANSIT) {
    return status::FailedPrecondition("STATE", "transfers/" + std::string(transfer_id), "the transfer is not in transit");
  }
  OpenTransfer open{row.GetText(0), row.GetText(1), {}};
  absl::StatusOr<sql::ResultSet> items = tx.Query(
      "SELECT l.product_id, i.lot_id, i.quantity FROM transfer_items i JOIN lots l ON l.lot_id = i.lot_id "
      "WHERE i.transfer_id = $1 ORDER BY i.lot_id",
      {std::string(transfer_id)});
  if (!items.ok()) return items.status();
  for (const sql::Row& item : *items) open.lines.push_back({item.GetText(0), item.GetText(1), item.GetInt64(2)});
  return open;
}

absl::Status ChangeInTransit(sql::Transaction& tx, const std::string& clinic_id, const TransferLine& line,
                             int64_t delta) {
  if (delta > 0) {
    absl::StatusOr<int64_t> created = tx.Execute(
        "INSERT INTO stock (clinic_id, lot_id, product_id) VALUES ($1, $2, $3) ON CONFLICT (clinic_id, lot_id) DO NOTHING",
        {clinic_id, line.lot_id, line.product_id});
    if (!created.ok()) return created.status();
  }
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE stock SET in_transit = in_transit + $3 WHERE clinic_id = $1 AND lot_id = $2 AND in_transit + $3 >= 0",
      {clinic_id, line.lot_id, delta});
  if (!n.ok()) return n.status();
  if (*n != 1) return absl::InternalError("in-transit units out of step with the transfers");
  return absl::OkStatus();
}

absl::Status Close(sql::Transaction& tx, std::string_view transfer_id, v1::Transfer::State state,
                   const std::string& principal, absl::Time now, v1::Transfer* out) {
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE transfers SET state = $2, close_time_us = $3, closed_by = $4, version = version + 1 WHERE transfer_id = $1",
      {std::string(transfer_id), static_cast<int64_t>(state), absl::ToUnixMicros(now), principal});
  if (!n.ok()) return n.status();
  absl::StatusOr<v1::Transfer> t = Read(tx, transfer_id);
  if (!t.ok()) return t.status();
  *out = *std::move(t);
  return absl::OkStatus();
}

}  // namespace

absl::Status ShipTransfer(sql::Transaction& tx, const ClinicSettings& source, const ClinicSettings& destination,
                          const std::vector<TransferLine>& lines, const std::string& note,
                          const std::string& principal, const std::string& request_id, absl::Time now,
                          v1::Transfer* out) {
  const std::string id = api::NewId();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO transfers (transfer_id, source_clinic_id, destination_clinic_id, note, state, ship_time_us, "
      "shipped_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {id, source.clinic_id, destination.clinic_id, note, static_cast<int64_t>(v1::Transfer::STATE_IN_TRANSIT),
       absl::ToUnixMicros(now), principal});
  if (!inserted.ok()) return inserted.status();
  const absl::CivilDay today = LocalDay(now, source.zone);
  for (size_t i = 0; i < lines.size(); ++i) {
    const TransferLine& line = lines[i];
    absl::StatusOr<std::optional<LotRow>> lot = FindLot(tx, line.product_id, line.lot_id);
    if (!lot.ok()) return lot.status();
    const std::string field = absl::StrCat("transfer.items[", i, "].lot");
    if (!lot->has_value()) return absl::NotFoundError(field + ": no such lot");
    if ((*lot)->recalled || !UsableOn((*lot)->expiry_date, today)) {
      return status::FailedPrecondition("LOT", LotName(line.product_id, line.lot_id), "the lot is recalled or expired");
    }
    MovementInput out_movement;
    out_movement.clinic_id = source.clinic_id;
    out_movement.product_id = line.product_id;
    out_movement.lot_id = line.lot_id;
    out_movement.type = v1::MOVEMENT_TYPE_TRANSFER_OUT;
    out_movement.quantity_delta = -line.quantity;
    out_movement.transfer_id = id;
    out_movement.request_id = request_id;
    out_movement.principal = principal;
    if (absl::StatusOr<v1::Movement> m = AppendMovement(tx, out_movement, now); !m.ok()) return m.status();
    if (absl::Status s = ChangeInTransit(tx, destination.clinic_id, line, line.quantity); !s.ok()) return s;
    absl::StatusOr<int64_t> item = tx.Execute(
        "INSERT INTO transfer_items (transfer_id, lot_id, quantity) VALUES ($1, $2, $3)", {id, line.lot_id, line.quantity});
    if (!item.ok()) return item.status();
  }
  absl::StatusOr<v1::Transfer> t = Read(tx, id);
  if (!t.ok()) return t.status();
  *out = *std::move(t);
  return absl::OkStatus();
}

absl::StatusOr<v1::Transfer> GetTransfer(sql::Transaction& tx, std::string_view transfer_id) {
  return Read(tx, transfer_id);
}

absl::Status ReceiveTransfer(sql::Transaction& tx, std::string_view transfer_id,
                             const std::map<std::string, int64_t>& received, std::optional<int64_t> expected_version,
                             const std::string& principal, const std::string& request_id, absl::Time now,
                             v1::Transfer* out) {
  absl::StatusOr<OpenTransfer> open = LockInTransit(tx, transfer_id, expected_version);
  if (!open.ok()) return open.status();
  status::FieldViolations bad;
  for (const auto& [lot_id, units] : received) {
    bool found = false;
    for (const TransferLine& line : open->lines) {
      if (line.lot_id != lot_id) continue;
      found = true;
      if (units > line.quantity) bad.Add("received_quantities", "more units received than shipped for a lot");
    }
    if (!found) bad.Add("received_quantities", "names a lot that is not in the transfer");
  }
  if (!bad.empty()) return bad.ToStatus();
  absl::StatusOr<ClinicSettings> destination = GetClinicSettings(tx, open->destination);
  if (!destination.ok()) return destination.status();
  for (const TransferLine& line : open->lines) {
    auto it = received.find(line.lot_id);
    const int64_t arrived = it == received.end() ? line.quantity : it->second;
    if (absl::Status s = ChangeInTransit(tx, open->destination, line, -line.quantity); !s.ok()) return s;
    MovementInput in;
    in.clinic_id = open->destination;
    in.product_id = line.product_id;
    in.lot_id = line.lot_id;
    in.type = v1::MOVEMENT_TYPE_TRANSFER_IN;
    in.quantity_delta = line.quantity;
    in.transfer_id = std::string(transfer_id);
    in.request_id = request_id;
    in.principal = principal;
    if (absl::StatusOr<v1::Movement> m = AppendMovement(tx, in, now); !m.ok()) return m.status();
    if (arrived < line.quantity) {
      in.type = v1::MOVEMENT_TYPE_ADJUSTMENT;
      in.quantity_delta = arrived - line.quantity;
      in.adjustment_reason = v1::ADJUSTMENT_REASON_LOST_IN_TRANSIT;
      if (absl::StatusOr<v1::Movement> m = AppendMovement(tx, in, now); !m.ok()) return m.status();
    }
    absl::StatusOr<int64_t> n =
        tx.Execute("UPDATE transfer_items SET received_quantity = $3 WHERE transfer_id = $1 AND lot_id = $2",
                   {std::string(transfer_id), line.lot_id, arrived});
    if (!n.ok()) return n.status();
    if (absl::StatusOr<int64_t> served = ServeUnserved(tx, *destination, line.product_id, now); !served.ok()) {
      return served.status();
    }
  }
  return Close(tx, transfer_id, v1::Transfer::STATE_RECEIVED, principal, now, out);
}

absl::Status CancelTransfer(sql::Transaction& tx, std::string_view transfer_id,
                            std::optional<int64_t> expected_version, const std::string& principal,
                            const std::string& request_id, absl::Time now, v1::Transfer* out) {
  absl::StatusOr<OpenTransfer> open = LockInTransit(tx, transfer_id, expected_version);
  if (!open.ok()) return open.status();
  absl::StatusOr<ClinicSettings> source = GetClinicSettings(tx, open->source);
  if (!source.ok()) return source.status();
  for (const TransferLine& line : open->lines) {
    if (absl::Status s = ChangeInTransit(tx, open->destination, line, -line.quantity); !s.ok()) return s;
    MovementInput in;
    in.clinic_id = open->source;
    in.product_id = line.product_id;
    in.lot_id = line.lot_id;
    in.type = v1::MOVEMENT_TYPE_TRANSFER_RETURN;
    in.quantity_delta = line.quantity;
    in.transfer_id = std::string(transfer_id);
    in.request_id = request_id;
    in.principal = principal;
    if (absl::StatusOr<v1::Movement> m = AppendMovement(tx, in, now); !m.ok()) return m.status();
    if (absl::StatusOr<int64_t> served = ServeUnserved(tx, *source, line.product_id, now); !served.ok()) {
      return served.status();
    }
  }
  return Close(tx, transfer_id, v1::Transfer::STATE_CANCELLED, principal, now, out);
}

absl::Status ListTransfers(sql::Transaction& tx, std::string_view clinic_id, uint64_t state_mask,
                           const PageRequest& page, std::vector<v1::Transfer>* out,
                           std::vector<std::string>* next_cursor) {
  const bool first = page.after.size() != 2;
  int64_t after_us = 0;
  if (!first && !absl::SimpleAtoi(page.after[0], &after_us)) return absl::InvalidArgumentError("bad page token");
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT transfer_id, ship_time_us FROM transfers "
      "WHERE ($1 = '-' OR source_clinic_id = $1 OR destination_clinic_id = $1) "
      "AND ($2 = 0 OR ($2 & (CAST(1 AS BIGINT) << CAST(state AS INTEGER))) <> 0) "
      "AND ($3 OR (ship_time_us, transfer_id) < ($4, $5)) ORDER BY ship_time_us DESC, transfer_id DESC LIMIT $6",
      {std::string(clinic_id), static_cast<int64_t>(state_mask), first, after_us,
       first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::Transfer> t = Read(tx, row.GetText(0));
    if (!t.ok()) return t.status();
    out->push_back(*std::move(t));
    *next_cursor = {std::to_string(row.GetInt64(1)), row.GetText(0)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

}  // namespace clinic::inventory::store
