#pragma once

// The fixed "now" of the patient domain tests: Saturday 15 June 2024, 10:00 UTC.

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace clinic::patient::testing {

inline const absl::Time kNow = absl::FromUnixSeconds(1718445600);
inline const absl::CivilDay kToday(2024, 6, 15);

}  // namespace clinic::patient::testing
