#include "services/inventory/domain/alerts.h"

namespace clinic::inventory {

LowStockChange LowStockCrossing(int64_t available, int64_t level, bool below) {
  const bool under = available < level;
  if (under && !below) return LowStockChange::kCrossedUnder;
  if (!under && below) return LowStockChange::kBackAbove;
  return LowStockChange::kNone;
}

bool NeedsExpiryWarning(absl::CivilDay expiry_date, absl::CivilDay today, int warning_days) {
  return expiry_date <= today + warning_days;
}

}  // namespace clinic::inventory
