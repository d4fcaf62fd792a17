#pragma once

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace clinic::testing {

// The instant of a UTC wall-clock time, e.g. Utc(2026, 11, 25, 21, 0).
inline absl::Time Utc(int y, int m, int d, int hh, int mm, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

}  // namespace clinic::testing
