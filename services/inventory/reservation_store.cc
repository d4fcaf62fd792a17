#include "services/inventory/reservation_store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/api/convert.h"
#include "common/api/resource_name.h"
#include "common/status/status.h"
#include "services/inventory/domain/expiry.h"
#include "services/inventory/domain/fefo.h"
#include "services/inventory/stock_store.h"

namespace clinic::inventory::store {
namespace {

using State = v1::Reservation::State;

constexpr std::string_view kReservationColumns =
    "r.reservation_id, r.clinic_id, r.product_id, r.quantity, r.use_day, r.appointment, r.patient, r.lot_id, "
    "r.state, r.expire_time_us, r.repick_count, r.release_reason, r.consume_time_us, r.consume_request_id, "
    "r.create_time_us, r.update_time_us, r.version, l.lot_number, l.expiry_day";
constexpr std::string_view kFrom = " FROM reservations r LEFT JOIN lots l ON l.lot_id = r.lot_id ";

// A reservation as stored.
struct Row {
  std::string id;
  std::string clinic_id;
  std::string product_id;
  int64_t quantity = 0;
  absl::CivilDay use_day;
  std::optional<std::string> lot_id;
  State state = v1::Reservation::STATE_UNSPECIFIED;
  std::optional<int64_t> expire_time_us;
  std::optional<std::string> consume_request_id;
};

std::string Name(std::string_view clinic_id, std::string_view id) {
  return "clinics/" + std::string(clinic_id) + "/reservations/" + std::string(id);
}

v1::Reservation ToProto(const sql::Row& row) {
  v1::Reservation r;
  r.set_name(Name(row.GetText(1), row.GetText(0)));
  r.set_product("products/" + row.GetText(2));
  r.set_quantity(static_cast<int32_t>(row.GetInt64(3)));
  *r.mutable_use_date() = api::ToDate(api::DayFromNumber(row.GetInt64(4)));
  r.set_appointment(row.GetText(5));
  r.set_patient(row.GetText(6));
  if (!row.IsNull(7)) {
    r.set_lot("products/" + row.GetText(2) + "/lots/" + row.GetText(7));
    r.set_lot_number(row.GetText(17));
    *r.mutable_expiry_date() = api::ToDate(api::DayFromNumber(row.GetInt64(18)));
  }
  r.set_state(static_cast<State>(row.GetInt64(8)));
  if (!row.IsNull(9) && r.state() == v1::Reservation::STATE_HELD) {
    *r.mutable_expire_time() = api::TimestampFromMicros(row.GetInt64(9));
  }
  r.set_repick_count(static_cast<int32_t>(row.GetInt64(10)));
  r.set_release_reason(static_cast<v1::ReleaseReason>(row.GetInt64(11)));
  if (!row.IsNull(12)) *r.mutable_consume_time() = api::TimestampFromMicros(row.GetInt64(12));
  *r.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(14));
  *r.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(15));
  r.set_etag(api::Etag(row.GetInt64(16)));
  return r;
}

absl::StatusOr<v1::Reservation> Read(sql::Transaction& tx, std::string_view clinic_id, std::string_view id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT " + std::string(kReservationColumns) + std::string(kFrom) + "WHERE r.reservation_id = $1 AND r.clinic_id = $2",
               {std::string(id), std::string(clinic_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such reservation");
  return ToProto((*rows)[0]);
}

// Takes the reservation's row lock and returns its current state.
absl::StatusOr<Row> Lock(sql::Transaction& tx, std::string_view clinic_id, std::string_view id) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "UPDATE reservations SET version = version WHERE reservation_id = $1 AND clinic_id = $2 "
      "RETURNING reservation_id, clinic_id, product_id, quantity, use_day, lot_id, state, expire_time_us, "
      "consume_request_id",
      {std::string(id), std::string(clinic_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such reservation");
  const sql::Row& r = (*rows)[0];
  Row row;
  row.id = r.GetText(0);
  row.clinic_id = r.GetText(1);
  row.product_id = r.GetText(2);
  row.quantity = r.GetInt64(3);
  row.use_day = api::DayFromNumber(r.GetInt64(4));
  if (!r.IsNull(5)) row.lot_id = r.GetText(5);
  row.state = static_cast<State>(r.GetInt64(6));
  if (!r.IsNull(7)) row.expire_time_us = r.GetInt64(7);
  if (!r.IsNull(8)) row.consume_request_id = r.GetText(8);
  return row;
}

absl::Status Finish(sql::Transaction& tx, const Row& row, v1::Reservation* out) {
  absl::StatusOr<v1::Reservation> r = Read(tx, row.clinic_id, row.id);
  if (!r.ok()) return r.status();
  *out = *std::move(r);
  return absl::OkStatus();
}

absl::Status WrongState(const Row& row, std::string_view what) {
  return status::FailedPrecondition(
      "STATE", Name(row.clinic_id, row.id),
      "the reservation is " + std::string(v1::Reservation::State_Name(row.state)).substr(6) + "; " + std::string(what));
}

bool IsOpen(State s) { return s == v1::Reservation::STATE_HELD || s == v1::Reservation::STATE_CONFIRMED; }

// Gives back units held on a lot.
absl::Status Unhold(sql::Transaction& tx, std::string_view clinic_id, std::string_view lot_id, int64_t quantity) {
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE stock SET reserved = reserved - $3 WHERE clinic_id = $1 AND lot_id = $2 AND reserved >= $3",
      {std::string(clinic_id), std::string(lot_id), quantity});
  if (!n.ok()) return n.status();
  if (*n != 1) return absl::InternalError("stock reserved units out of step with the reservations");
  return absl::OkStatus();
}

// Picks the first-expiring lot usable on `day` with `quantity` units free and holds them
// there. Returns the lot id, or nullopt when no lot can serve. Lots whose row changed
// since they were read (a concurrent reservation took the units, a recall blocked it)
// are read again.
absl::StatusOr<std::optional<std::string>> PickAndHold(sql::Transaction& tx, std::string_view clinic_id,
                                                       std::string_view product_id, absl::CivilDay day,
                                                       int64_t quantity) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    absl::StatusOr<sql::ResultSet> rows = tx.Query(
        "SELECT s.lot_id, l.expiry_day, l.recalled, s.on_hand - s.reserved FROM stock s JOIN lots l "
        "ON l.lot_id = s.lot_id WHERE s.clinic_id = $1 AND s.product_id = $2 AND s.on_hand - s.reserved >= $3 "
        "AND NOT l.recalled AND l.expiry_day >= $4",
        {std::string(clinic_id), std::string(product_id), quantity, api::DayNumber(day)});
    if (!rows.ok()) return rows.status();
    std::vector<LotCandidate> candidates;
    for (const sql::Row& row : *rows) {
      candidates.push_back({row.GetText(0), api::DayFromNumber(row.GetInt64(1)), row.GetBool(2), row.GetInt64(3)});
    }
    std::optional<size_t> pick = PickLot(candidates, day, quantity);
    if (!pick.has_value()) return std::nullopt;
    const std::string& lot_id = candidates[*pick].lot_id;
    // Lock the lot (orders this against a concurrent recall), then take the units.
    absl::StatusOr<int64_t> lot_ok =
        tx.Execute("UPDATE lots SET recalled = recalled WHERE lot_id = $1 AND NOT recalled", {lot_id});
    if (!lot_ok.ok()) return lot_ok.status();
    if (*lot_ok == 0) continue;
    absl::StatusOr<int64_t> held = tx.Execute(
        "UPDATE stock SET reserved = reserved + $3 WHERE clinic_id = $1 AND lot_id = $2 AND on_hand - reserved >= $3",
        {std::string(clinic_id), lot_id, quantity});
    if (!held.ok()) return held.status();
    if (*held == 1) return std::optional<std::string>(lot_id);
  }
  return absl::AbortedError("stock kept changing while picking a lot; retry");
}

absl::Status NoStock(std::string_view clinic_id, std::string_view product_id) {
  return status::FailedPrecondition("STOCK", "clinics/" + std::string(clinic_id) + "/products/" + std::string(product_id),
                                    "no usable lot of the product has enough available units at the clinic");
}

}  // namespace

absl::Status Reserve(sql::Transaction& tx, const ClinicSettings& clinic, const ReserveInput& in, absl::Time now,
                     v1::Reservation* out) {
  if (absl::StatusOr<int64_t> expired = ExpireHolds(tx, clinic.clinic_id, in.product_id, now); !expired.ok()) {
    return expired.status();
  }
  absl::StatusOr<sql::ResultSet> open = tx.Query(
      "SELECT reservation_id, clinic_id FROM reservations WHERE appointment = $1 AND product_id = $2 AND state IN (1, 2, 3)",
      {in.appointment, in.product_id});
  if (!open.ok()) return open.status();
  if (!open->empty()) {
    return status::AlreadyExists("clinic.inventory.v1.Reservation", Name((*open)[0].GetText(1), (*open)[0].GetText(0)),
                                 "the appointment already holds an open reservation of this product");
  }
  absl::StatusOr<std::optional<std::string>> lot = PickAndHold(tx, clinic.clinic_id, in.product_id, in.use_day, in.quantity);
  if (!lot.ok()) return lot.status();
  if (!lot->has_value()) return NoStock(clinic.clinic_id, in.product_id);
  const std::string id = api::NewId();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO reservations (reservation_id, clinic_id, product_id, quantity, use_day, appointment, patient, "
      "lot_id, state, expire_time_us, create_time_us, update_time_us) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10) ON CONFLICT DO NOTHING",
      {id, clinic.clinic_id, in.product_id, in.quantity, api::DayNumber(in.use_day), in.appointment, in.patient, **lot,
       absl::ToUnixMicros(now + clinic.reservation_hold), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    return status::AlreadyExists("clinic.inventory.v1.Reservation", "",
                                 "the appointment already holds an open reservation of this product");
  }
  absl::StatusOr<v1::Reservation> r = Read(tx, clinic.clinic_id, id);
  if (!r.ok()) return r.status();
  *out = *std::move(r);
  return absl::OkStatus();
}

absl::StatusOr<v1::Reservation> GetReservation(sql::Transaction& tx, std::string_view clinic_id,
                                               std::string_view reservation_id) {
  return Read(tx, clinic_id, reservation_id);
}

absl::Status Confirm(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                     absl::Time now, v1::Reservation* out) {
  if (absl::StatusOr<int64_t> e = ExpireHolds(tx, clinic.clinic_id, "", now); !e.ok()) return e.status();
  absl::StatusOr<Row> row = Lock(tx, clinic.clinic_id, reservation_id);
  if (!row.ok()) return row.status();
  if (row->state == v1::Reservation::STATE_HELD || row->state == v1::Reservation::STATE_UNSERVED) {
    // An unserved reservation stays unserved, but it no longer expires.
    const int64_t next = row->state == v1::Reservation::STATE_HELD ? v1::Reservation::STATE_CONFIRMED : row->state;
    absl::StatusOr<int64_t> n = tx.Execute(
        "UPDATE reservations SET state = $2, expire_time_us = NULL, update_time_us = $3, version = version + 1 "
        "WHERE reservation_id = $1",
        {row->id, next, absl::ToUnixMicros(now)});
    if (!n.ok()) return n.status();
  } else if (row->state != v1::Reservation::STATE_CONFIRMED) {
    return WrongState(*row, "only a held reservation can be confirmed");
  }
  return Finish(tx, *row, out);
}

absl::Status Release(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                     v1::ReleaseReason reason, absl::Time now, v1::Reservation* out) {
  if (absl::StatusOr<int64_t> e = ExpireHolds(tx, clinic.clinic_id, "", now); !e.ok()) return e.status();
  absl::StatusOr<Row> row = Lock(tx, clinic.clinic_id, reservation_id);
  if (!row.ok()) return row.status();
  if (row->state == v1::Reservation::STATE_CONSUMED) return WrongState(*row, "a consumed dose cannot be released");
  if (IsOpen(row->state) || row->state == v1::Reservation::STATE_UNSERVED) {
    if (IsOpen(row->state) && row->lot_id.has_value()) {
      if (absl::Status s = Unhold(tx, row->clinic_id, *row->lot_id, row->quantity); !s.ok()) return s;
    }
    absl::StatusOr<int64_t> n = tx.Execute(
        "UPDATE reservations SET state = 4, release_reason = $2, expire_time_us = NULL, update_time_us = $3, "
        "version = version + 1 WHERE reservation_id = $1",
        {row->id, static_cast<int64_t>(reason), absl::ToUnixMicros(now)});
    if (!n.ok()) return n.status();
  }
  return Finish(tx, *row, out);  // released or expired already: answered as it is
}

absl::Status Consume(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                     const ConsumeInput& in, absl::Time now, v1::Reservation* out) {
  if (absl::StatusOr<int64_t> e = ExpireHolds(tx, clinic.clinic_id, "", now); !e.ok()) return e.status();
  absl::StatusOr<Row> row = Lock(tx, clinic.clinic_id, reservation_id);
  if (!row.ok()) return row.status();
  if (row->state == v1::Reservation::STATE_CONSUMED) {
    if (row->consume_request_id == in.request_id) return Finish(tx, *row, out);
    return WrongState(*row, "it was consumed by another request");
  }
  if (!IsOpen(row->state) && row->state != v1::Reservation::STATE_UNSERVED) {
    return WrongState(*row, "only a held, confirmed or unserved reservation can be consumed");
  }
  const absl::CivilDay day = LocalDay(in.consume_time, clinic.zone);
  // The units held for it, if any, are given back first; the lot used is then taken
  // from: the scanned lot, else the held lot if still usable today, else a re-pick.
  const bool held = IsOpen(row->state) && row->lot_id.has_value();
  std::optional<LotRow> held_lot;
  if (held) {
    absl::StatusOr<std::optional<LotRow>> l = FindLot(tx, row->product_id, *row->lot_id);
    if (!l.ok()) return l.status();
    held_lot = **l;
    if (absl::Status s = Unhold(tx, row->clinic_id, *row->lot_id, row->quantity); !s.ok()) return s;
  }
  std::string lot_id;
  if (!in.lot_number.empty()) {
    absl::StatusOr<sql::ResultSet> lots = tx.Query(
        "SELECT lot_id, expiry_day, recalled FROM lots WHERE product_id = $1 AND lot_key = $2",
        {row->product_id, absl::AsciiStrToUpper(in.lot_number)});
    if (!lots.ok()) return lots.status();
    const std::string subject = "products/" + row->product_id;
    if (lots->empty()) return status::FailedPrecondition("LOT", subject, "no lot of the product has this lot number");
    if ((*lots)[0].GetBool(2)) return status::FailedPrecondition("LOT", subject, "the scanned lot is recalled");
    if (!UsableOn(api::DayFromNumber((*lots)[0].GetInt64(1)), day)) {
      return status::FailedPrecondition("LOT", subject, "the scanned lot is expired");
    }
    lot_id = (*lots)[0].GetText(0);
  } else if (held_lot.has_value() && !held_lot->recalled && UsableOn(held_lot->expiry_date, day)) {
    lot_id = held_lot->lot_id;
  } else {
    absl::StatusOr<std::optional<std::string>> picked = PickAndHold(tx, row->clinic_id, row->product_id, day, row->quantity);
    if (!picked.ok()) return picked.status();
    if (!picked->has_value()) return NoStock(row->clinic_id, row->product_id);
    lot_id = **picked;
    if (absl::Status s = Unhold(tx, row->clinic_id, lot_id, row->quantity); !s.ok()) return s;
  }
  absl::StatusOr<sql::ResultSet> details =
      tx.Query("SELECT appointment, patient FROM reservations WHERE reservation_id = $1", {row->id});
  if (!details.ok()) return details.status();
  MovementInput movement;
  movement.clinic_id = row->clinic_id;
  movement.product_id = row->product_id;
  movement.lot_id = lot_id;
  movement.type = v1::MOVEMENT_TYPE_CONSUMPTION;
  movement.quantity_delta = -row->quantity;
  movement.reservation_id = row->id;
  movement.appointment = (*details)[0].GetText(0);
  movement.patient = (*details)[0].GetText(1);
  movement.request_id = in.request_id;
  movement.principal = in.principal;
  if (absl::StatusOr<v1::Movement> m = AppendMovement(tx, movement, now); !m.ok()) return m.status();
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE reservations SET state = 5, lot_id = $2, consume_time_us = $3, consume_request_id = $4, "
      "expire_time_us = NULL, update_time_us = $5, version = version + 1 WHERE reservation_id = $1",
      {row->id, lot_id, absl::ToUnixMicros(in.consume_time), in.request_id, absl::ToUnixMicros(now)});
  if (!n.ok()) return n.status();
  return Finish(tx, *row, out);
}

absl::Status Reschedule(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                        absl::CivilDay use_day, absl::Time now, v1::Reservation* out) {
  if (absl::StatusOr<int64_t> e = ExpireHolds(tx, clinic.clinic_id, "", now); !e.ok()) return e.status();
  absl::StatusOr<Row> row = Lock(tx, clinic.clinic_id, reservation_id);
  if (!row.ok()) return row.status();
  if (!IsOpen(row->state)) return WrongState(*row, "only a held or confirmed reservation can be rescheduled");
  std::optional<LotRow> lot;
  if (row->lot_id.has_value()) {
    absl::StatusOr<std::optional<LotRow>> l = FindLot(tx, row->product_id, *row->lot_id);
    if (!l.ok()) return l.status();
    lot = **l;
  }
  std::string lot_id = lot.has_value() ? lot->lot_id : "";
  int64_t repicks = 0;
  if (!lot.has_value() || lot->recalled || !UsableOn(lot->expiry_date, use_day)) {
    // Move the units: give them back, then pick for the new day (the held lot cannot
    // serve it, so it is never picked again).
    if (lot.has_value()) {
      if (absl::Status s = Unhold(tx, row->clinic_id, lot->lot_id, row->quantity); !s.ok()) return s;
    }
    absl::StatusOr<std::optional<std::string>> picked = PickAndHold(tx, row->clinic_id, row->product_id, use_day, row->quantity);
    if (!picked.ok()) return picked.status();
    if (!picked->has_value()) return NoStock(row->clinic_id, row->product_id);  // rolls back: unchanged
    lot_id = **picked;
    repicks = 1;
  }
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE reservations SET use_day = $2, lot_id = $3, repick_count = repick_count + $4, update_time_us = $5, "
      "version = version + 1 WHERE reservation_id = $1",
      {row->id, api::DayNumber(use_day), lot_id, repicks, absl::ToUnixMicros(now)});
  if (!n.ok()) return n.status();
  return Finish(tx, *row, out);
}

absl::StatusOr<int64_t> ExpireHolds(sql::Transaction& tx, std::string_view clinic_id, std::string_view product_id,
                                    absl::Time now) {
  absl::StatusOr<sql::ResultSet> expired = tx.Query(
      "UPDATE reservations SET state = 6, update_time_us = $3, version = version + 1 "
      "WHERE state IN (1, 3) AND expire_time_us <= $3 AND ($1 = '-' OR clinic_id = $1) AND ($2 = '' OR product_id = $2) "
      "RETURNING clinic_id, lot_id, quantity",
      {std::string(clinic_id), std::string(product_id), absl::ToUnixMicros(now)});
  if (!expired.ok()) return expired.status();
  for (const sql::Row& row : *expired) {
    if (row.IsNull(1)) continue;  // unserved: nothing held
    if (absl::Status s = Unhold(tx, row.GetText(0), row.GetText(1), row.GetInt64(2)); !s.ok()) return s;
  }
  return static_cast<int64_t>(expired->size());
}

absl::StatusOr<RepickResult> RepickRecalledLot(sql::Transaction& tx, std::string_view lot_id, absl::Time now) {
  RepickResult result;
  absl::StatusOr<sql::ResultSet> open = tx.Query(
      "SELECT reservation_id, clinic_id FROM reservations WHERE lot_id = $1 AND state IN (1, 2) ORDER BY use_day, reservation_id",
      {std::string(lot_id)});
  if (!open.ok()) return open.status();
  for (const sql::Row& r : *open) {
    absl::StatusOr<Row> row = Lock(tx, r.GetText(1), r.GetText(0));
    if (!row.ok()) return row.status();
    if (!IsOpen(row->state) || row->lot_id != std::string(lot_id)) continue;
    if (absl::Status s = Unhold(tx, row->clinic_id, lot_id, row->quantity); !s.ok()) return s;
    absl::StatusOr<std::optional<std::string>> picked =
        PickAndHold(tx, row->clinic_id, row->product_id, row->use_day, row->quantity);
    if (!picked.ok()) return picked.status();
    absl::StatusOr<int64_t> n =
        picked->has_value()
            ? tx.Execute("UPDATE reservations SET lot_id = $2, repick_count = repick_count + 1, update_time_us = $3, "
                         "version = version + 1 WHERE reservation_id = $1",
                         {row->id, **picked, absl::ToUnixMicros(now)})
            : tx.Execute("UPDATE reservations SET lot_id = NULL, state = 3, update_time_us = $2, version = version + 1 "
                         "WHERE reservation_id = $1",
                         {row->id, absl::ToUnixMicros(now)});
    if (!n.ok()) return n.status();
    (picked->has_value() ? result.repicked : result.unserved).push_back(Name(row->clinic_id, row->id));
  }
  return result;
}

absl::StatusOr<int64_t> ServeUnserved(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view product_id,
                                      absl::Time now) {
  absl::StatusOr<sql::ResultSet> unserved = tx.Query(
      "SELECT reservation_id FROM reservations WHERE clinic_id = $1 AND product_id = $2 AND state = 3 "
      "ORDER BY use_day, reservation_id",
      {clinic.clinic_id, std::string(product_id)});
  if (!unserved.ok()) return unserved.status();
  int64_t served = 0;
  for (const sql::Row& r : *unserved) {
    absl::StatusOr<Row> row = Lock(tx, clinic.clinic_id, r.GetText(0));
    if (!row.ok()) return row.status();
    if (row->state != v1::Reservation::STATE_UNSERVED) continue;
    absl::StatusOr<std::optional<std::string>> picked =
        PickAndHold(tx, row->clinic_id, row->product_id, row->use_day, row->quantity);
    if (!picked.ok()) return picked.status();
    if (!picked->has_value()) continue;
    // A confirmed reservation has no hold time left; a held one keeps its deadline.
    absl::StatusOr<int64_t> n = tx.Execute(
        "UPDATE reservations SET lot_id = $2, state = CASE WHEN expire_time_us IS NULL THEN 2 ELSE 1 END, "
        "repick_count = repick_count + 1, update_time_us = $3, version = version + 1 WHERE reservation_id = $1",
        {row->id, **picked, absl::ToUnixMicros(now)});
    if (!n.ok()) return n.status();
    ++served;
  }
  return served;
}

absl::Status ListReservations(sql::Transaction& tx, const ReservationQuery& query, const PageRequest& page,
                              std::vector<v1::Reservation>* out, std::vector<std::string>* next_cursor) {
  const bool first = page.after.size() != 2;
  int64_t after_day = 0;
  if (!first && !absl::SimpleAtoi(page.after[0], &after_day)) return absl::InvalidArgumentError("bad page token");
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kReservationColumns) + std::string(kFrom) +
          "WHERE ($1 = '-' OR r.clinic_id = $1) AND ($2 = '' OR r.appointment = $2) AND ($3 = '' OR r.lot_id = $3) "
          "AND ($4 = 0 OR ($4 & (CAST(1 AS BIGINT) << CAST(r.state AS INTEGER))) <> 0) "
          "AND ($5 OR r.use_day > $6 OR (r.use_day = $6 AND r.reservation_id > $7)) "
          "ORDER BY r.use_day, r.reservation_id LIMIT $8",
      {query.clinic_id, query.appointment, query.lot_id, static_cast<int64_t>(query.state_mask), first, after_day,
       first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    out->push_back(ToProto(row));
    *next_cursor = {std::to_string(row.GetInt64(4)), row.GetText(0)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::Status ListLotRecipients(sql::Transaction& tx, std::string_view lot_id, const PageRequest& page,
                               std::vector<v1::LotRecipient>* out, std::vector<std::string>* next_cursor) {
  const bool first = page.after.size() != 2;
  int64_t after_us = 0;
  if (!first && !absl::SimpleAtoi(page.after[0], &after_us)) return absl::InvalidArgumentError("bad page token");
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT m.movement_id, m.clinic_id, m.patient, m.appointment, m.reservation_id, -m.quantity_delta, "
      "COALESCE(r.consume_time_us, m.create_time_us) AS t FROM movements m "
      "LEFT JOIN reservations r ON r.reservation_id = m.reservation_id "
      "WHERE m.lot_id = $1 AND m.type = 5 "
      "AND ($2 OR COALESCE(r.consume_time_us, m.create_time_us) > $3 "
      "OR (COALESCE(r.consume_time_us, m.create_time_us) = $3 AND m.movement_id > $4)) "
      "ORDER BY t, m.movement_id LIMIT $5",
      {std::string(lot_id), first, after_us, first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    v1::LotRecipient r;
    r.set_patient(row.GetText(2));
    r.set_appointment(row.GetText(3));
    r.set_clinic("clinics/" + row.GetText(1));
    if (!row.GetText(4).empty()) r.set_reservation(Name(row.GetText(1), row.GetText(4)));
    r.set_quantity(static_cast<int32_t>(row.GetInt64(5)));
    *r.mutable_consume_time() = api::TimestampFromMicros(row.GetInt64(6));
    out->push_back(std::move(r));
    *next_cursor = {std::to_string(row.GetInt64(6)), row.GetText(0)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

}  // namespace clinic::inventory::store
