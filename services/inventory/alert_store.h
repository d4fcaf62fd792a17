#pragma once

// Staff alerts of a clinic (the `alerts` table) and their delivery to the notification
// service through the transactional outbox (common/outbox).
//
// One alert per crossing, never a flood:
//   LOW_STOCK             raised when the available units of a product at a clinic (lots
//                         not recalled and not expired in the clinic's zone; on hand minus
//                         reserved) cross under the clinic's reorder level:
//                         reorder_levels.below goes false -> true in the same transaction.
//                         Writes while it stays under raise nothing. Back at or above the
//                         level clears `below` and resolves the alert; the next crossing
//                         raises a new one. Dedupe key: the product.
//   LOT_EXPIRING          a lot with units on hand at the clinic, not recalled, expiring
//                         within the clinic's expiry_warning_days of its local today (or
//                         expired and still on the shelf; domain/alerts.h). One open alert
//                         per clinic and lot (dedupe key: the lot); resolved when the
//                         clinic has none of it on hand.
//   LOT_RECALLED          raised by RecallLot at every clinic holding units of the lot;
//                         resolved when the clinic has none of it on hand (returned or
//                         disposed of). Dedupe key: the lot.
//   RESERVATION_UNSERVED  one alert per reservation that is UNSERVED (a recall left no lot
//                         to serve it): the appointment has no dose. Dedupe key: the
//                         reservation; resolved when it is served again, released, expired
//                         or consumed. Per reservation rather than per clinic and product
//                         because each one is an appointment someone must act on, and the
//                         Alert message carries one reservation.
// "Open" means OPEN or ACKNOWLEDGED: acknowledging does not allow a second alert for the
// same condition (a unique index on open alerts per clinic, kind and key backs this up).
//
// Every alert raised also writes, in the same transaction, an outbox message (topic
// kStaffAlertTopic): a notification.v1.ScheduleReminderRequest for a STAFF_ALERT to the
// clinic's alert_role, due now, whose request_id is "inventory-alert-{alert id}" (stable:
// a redelivery schedules nothing twice) and whose template parameters hold ids and
// numbers only (kind, alert, product, lot, lot number, expiry date, quantities).
//
// Functions run inside the caller's transaction, as in catalogue_store.h.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "clinic/inventory/v1/reservation.pb.h"
#include "common/sql/database.h"
#include "services/inventory/catalogue_store.h"

namespace clinic::inventory::store {

// The outbox topic of staff alerts; the payload is a serialized
// clinic.notification.v1.ScheduleReminderRequest.
inline constexpr char kStaffAlertTopic[] = "inventory.staff_alert";

// Brings the alerts of `clinic` in line with its stock as of `now` (see above): raises
// what crossed, resolves what cleared. Run at the end of every transaction that changes
// the clinic's stock, reservations or reorder levels (MutateStock in handler_support.h),
// and by the housekeeper for what time alone changes (lots expiring, warnings coming due).
//
// Concurrency: on PostgreSQL it first locks the clinic's reorder-level rows (in product
// order), so that of two transactions changing the same clinic's stock the second
// computes availability from what the first committed, and `below` flips once; alerts
// of the other kinds are kept single by the unique index on open alerts. A check counts
// with the latest clinic-local day any check of the clinic used
// (reorder_levels.checked_day), so that one whose `now` is older than another's cannot
// see a lot that expired meanwhile as usable and flip `below` back.
absl::Status SyncAlerts(sql::Transaction& tx, const ClinicSettings& clinic, absl::Time now);

// Raises a LOT_RECALLED alert at every clinic with units of the lot on hand. Returns the
// ids of the clinics that hold stock of the lot in any form (on hand, reserved, in
// transit), whose alerts the caller then syncs.
absl::StatusOr<std::vector<std::string>> RaiseRecallAlerts(sql::Transaction& tx, std::string_view lot_id,
                                                           absl::Time now);

struct AlertQuery {
  std::string clinic_id;    // "-" for every clinic
  uint64_t kind_mask = 0;   // bit (1 << kind) per AlertKind; 0 for all
  uint64_t state_mask = 0;  // bit (1 << state) per Alert.State; 0 for all
};
// Newest first; cursor {create_time_us, clinic_id, alert_id}.
absl::Status ListAlerts(sql::Transaction& tx, const AlertQuery& query, const PageRequest& page,
                        std::vector<v1::Alert>* out, std::vector<std::string>* next_cursor);

// Acknowledges an OPEN alert (by `principal`, a JWT subject); an acknowledged or
// resolved one is answered as it is. NOT_FOUND when the clinic has no such alert.
absl::Status AcknowledgeAlert(sql::Transaction& tx, std::string_view clinic_id, std::string_view alert_id,
                              const std::string& principal, absl::Time now, v1::Alert* out);

}  // namespace clinic::inventory::store
