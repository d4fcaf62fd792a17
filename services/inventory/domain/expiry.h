#pragma once

// The expiry boundary, defined once for the whole service (DOMAIN.md, Traceability):
// a lot whose expiry date is D may be used on every local day up to and including D in
// the clinic's time zone, and never on D + 1 or later. Every reservation, re-pick,
// consumption, transfer and report asks these functions, nothing else.

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace clinic::inventory {

// True when a lot expiring on `expiry_date` may be used on the local day `day`.
inline bool UsableOn(absl::CivilDay expiry_date, absl::CivilDay day) { return day <= expiry_date; }

// The clinic's local calendar day at instant `t`.
inline absl::CivilDay LocalDay(absl::Time t, absl::TimeZone clinic_zone) { return absl::ToCivilDay(t, clinic_zone); }

// True when a lot expiring on `expiry_date` may be used at instant `t` at a clinic in
// `clinic_zone` (that is, until local midnight at the end of `expiry_date`).
inline bool UsableAt(absl::CivilDay expiry_date, absl::Time t, absl::TimeZone clinic_zone) {
  return UsableOn(expiry_date, LocalDay(t, clinic_zone));
}

}  // namespace clinic::inventory
