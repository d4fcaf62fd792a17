#pragma once

// Dose reservations: first-expiry-first-out picking, holds that expire, confirmation,
// release, consumption at administration, re-picking when the day of use moves or the
// lot is recalled.
//
// Concurrency (PostgreSQL runs these at READ COMMITTED; SQLite serialises writers): a
// reservation is locked before its state is read (an UPDATE that changes nothing but
// takes the row lock and returns the current row), a lot is locked before units are
// reserved on it (so that a recall and a reservation of the same lot are ordered), and
// the units move by guarded UPDATEs of the stock row (`on_hand - reserved >= n`) whose
// CHECK constraints back the invariants up: on-hand never negative, never more reserved
// than on hand, a reservation consumed once.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/inventory/v1/reservation.pb.h"
#include "common/sql/database.h"
#include "services/inventory/catalogue_store.h"

namespace clinic::inventory::store {

struct ReserveInput {
  std::string product_id;
  int64_t quantity = 1;
  absl::CivilDay use_day;
  std::string appointment;  // "clinics/{clinic}/appointments/{appointment}"
  std::string patient;      // "patients/{patient}"
};

// Holds `quantity` units of the first-expiring usable lot for the appointment.
// ALREADY_EXISTS (ResourceInfo) when the appointment holds an open reservation of the
// product; FAILED_PRECONDITION (type "STOCK") when no lot can serve it.
absl::Status Reserve(sql::Transaction& tx, const ClinicSettings& clinic, const ReserveInput& input, absl::Time now,
                     v1::Reservation* out);

absl::StatusOr<v1::Reservation> GetReservation(sql::Transaction& tx, std::string_view clinic_id,
                                               std::string_view reservation_id);

// State changes; each answers the reservation as it is afterwards. See the RPC comments
// in inventory_service.proto for which states each accepts.
absl::Status Confirm(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                     absl::Time now, v1::Reservation* out);
absl::Status Release(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                     v1::ReleaseReason reason, absl::Time now, v1::Reservation* out);

struct ConsumeInput {
  absl::Time consume_time;
  std::string lot_number;  // the lot actually used, when scanned
  std::string request_id;
  std::string principal;
};
absl::Status Consume(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                     const ConsumeInput& input, absl::Time now, v1::Reservation* out);
absl::Status Reschedule(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view reservation_id,
                        absl::CivilDay use_day, absl::Time now, v1::Reservation* out);

// Expires the HELD (and UNSERVED) reservations whose hold has passed, at one clinic (or
// "-" for all) and product (empty for all), giving their units back. Returns how many.
absl::StatusOr<int64_t> ExpireHolds(sql::Transaction& tx, std::string_view clinic_id, std::string_view product_id,
                                    absl::Time now);

// Moves the open reservations of a recalled lot onto other lots where one can serve
// them; the others become UNSERVED. Returns the reservation names of each kind.
struct RepickResult {
  std::vector<std::string> repicked;
  std::vector<std::string> unserved;
};
absl::StatusOr<RepickResult> RepickRecalledLot(sql::Transaction& tx, std::string_view lot_id, absl::Time now);

// Serves the clinic's UNSERVED reservations of a product from stock that arrived
// (receipt, transfer), earliest use first. Returns how many were served.
absl::StatusOr<int64_t> ServeUnserved(sql::Transaction& tx, const ClinicSettings& clinic, std::string_view product_id,
                                      absl::Time now);

struct ReservationQuery {
  std::string clinic_id;  // "-" for every clinic
  std::string appointment;
  std::string lot_id;
  uint64_t state_mask = 0;  // bit (1 << state) per Reservation.State; 0 for all
};
// By use day; cursor {use_day, reservation_id}.
absl::Status ListReservations(sql::Transaction& tx, const ReservationQuery& query, const PageRequest& page,
                              std::vector<v1::Reservation>* out, std::vector<std::string>* next_cursor);

// Every consumption of the lot, in consume-time order; cursor {consume_time_us, movement_id}.
absl::Status ListLotRecipients(sql::Transaction& tx, std::string_view lot_id, const PageRequest& page,
                               std::vector<v1::LotRecipient>* out, std::vector<std::string>* next_cursor);

}  // namespace clinic::inventory::store
