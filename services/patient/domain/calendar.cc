#include "services/patient/domain/calendar.h"

namespace clinic::patient::domain {

int AgeInYears(absl::CivilDay birth, absl::CivilDay on) {
  int years = static_cast<int>(on.year() - birth.year());
  // Compare (month, day) pairs: a 29 February birthday is reached on 1 March in common
  // years because (3, 1) > (2, 29) while (2, 28) < (2, 29).
  if (on.month() < birth.month() || (on.month() == birth.month() && on.day() < birth.day())) {
    --years;
  }
  return years;
}

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay first_of_next = absl::CivilDay(target + 1);
  const int last_day = (first_of_next - 1).day();
  return absl::CivilDay(target.year(), target.month(),
                        day.day() <= last_day ? day.day() : last_day);
}

}  // namespace clinic::patient::domain
