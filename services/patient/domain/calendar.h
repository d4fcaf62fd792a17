#pragma once

// Calendar arithmetic on civil days (no time zones: the caller has already taken the
// clinic's or patient's local date).

#include "absl/time/civil_time.h"

namespace clinic::patient::domain {

// Age in completed years on `on` of a person born on `birth` (0 before the first
// birthday; negative if `on` precedes `birth`). A 29 February birthday falls on 1 March
// in common years.
int AgeInYears(absl::CivilDay birth, absl::CivilDay on);

// `day` plus `months` calendar months: the same day of the month, or the month's last day
// when it has no such day (2024-01-31 + 1 month = 2024-02-29; + 2 months = 2024-03-31).
// `months` may be negative.
absl::CivilDay AddMonths(absl::CivilDay day, int months);

}  // namespace clinic::patient::domain
