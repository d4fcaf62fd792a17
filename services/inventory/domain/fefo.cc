#include "services/inventory/domain/fefo.h"

#include <tuple>

#include "services/inventory/domain/expiry.h"

namespace clinic::inventory {

std::optional<size_t> PickLot(std::span<const LotCandidate> lots, absl::CivilDay use_day, int64_t quantity) {
  std::optional<size_t> best;
  for (size_t i = 0; i < lots.size(); ++i) {
    const LotCandidate& lot = lots[i];
    if (lot.recalled || !UsableOn(lot.expiry_date, use_day) || lot.available < quantity) continue;
    if (!best.has_value() || std::tie(lot.expiry_date, lot.lot_id) <
                                 std::tie(lots[*best].expiry_date, lots[*best].lot_id)) {
      best = i;
    }
  }
  return best;
}

}  // namespace clinic::inventory
