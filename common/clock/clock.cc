#include "common/clock/clock.h"

#include "absl/time/clock.h"

namespace clinic {

absl::Time SystemClock::Now() const { return absl::Now(); }

}  // namespace clinic
