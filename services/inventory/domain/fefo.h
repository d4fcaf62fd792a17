#pragma once

// First expiry, first out: which lot serves a reservation.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/time/civil_time.h"

namespace clinic::inventory {

// A lot of the product at the clinic, as the picker sees it.
struct LotCandidate {
  std::string lot_id;
  absl::CivilDay expiry_date;
  bool recalled = false;
  // Units on hand that no open reservation holds.
  int64_t available = 0;
};

// The lot to reserve `quantity` units from for use on the local day `use_day`: among the
// lots that are not recalled, still usable on `use_day` (expiry.h) and have at least
// `quantity` units available, the one that expires first; ties go to the smaller lot id
// so that the choice is deterministic. A reservation is served from one lot (its lot
// number is what the practitioner scans), so lots are never combined. Returns the
// index into `lots`, or nullopt when no lot can serve it.
std::optional<size_t> PickLot(std::span<const LotCandidate> lots, absl::CivilDay use_day, int64_t quantity);

}  // namespace clinic::inventory
