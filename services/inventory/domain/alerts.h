#pragma once

// When a clinic's stock raises or clears a staff alert: the pure part of the alert rules
// (alert_store.h applies them to the database).

#include <cstdint>

#include "absl/time/civil_time.h"

namespace clinic::inventory {

// What a low-stock check decides for one clinic and product.
enum class LowStockChange {
  kNone,       // no crossing: nothing to do (also while it stays under the level)
  kCrossedUnder,  // raise one alert and remember that it is under
  kBackAbove,  // clear the mark and resolve the open alert
};

// `available`: usable units now (not recalled, not expired, not reserved); `level`: the
// reorder level (0: never alert); `below`: whether the last check found it under the
// level. Under means available < level; at the level is not under.
LowStockChange LowStockCrossing(int64_t available, int64_t level, bool below);

// True when a lot expiring on `expiry_date`, still on hand, calls for an expiry warning on
// the clinic's local day `today`: it expires within `warning_days` days (today + warning
// days included), or has already expired and is still on the shelf.
bool NeedsExpiryWarning(absl::CivilDay expiry_date, absl::CivilDay today, int warning_days);

}  // namespace clinic::inventory
