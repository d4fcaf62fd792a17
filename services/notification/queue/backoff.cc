#include "services/notification/queue/backoff.h"

#include <algorithm>

namespace clinic::notification::queue {
namespace {

double Clamp01(double u) {
  if (!(u >= 0.0)) return 0.0;  // also NaN
  return std::min(u, 1.0);
}

}  // namespace

absl::Duration BackoffCeiling(int attempt, absl::Duration base, absl::Duration cap) {
  if (base <= absl::ZeroDuration()) return absl::ZeroDuration();
  if (cap <= base) return cap;
  absl::Duration ceiling = base;
  // Doubling stops at the cap, so this runs at most ~63 times and never overflows.
  for (int i = 1; i < attempt && ceiling < cap; ++i) {
    ceiling = ceiling >= cap / 2 ? cap : ceiling * 2;
  }
  return std::min(ceiling, cap);
}

absl::Duration NextAttemptDelay(int attempt, absl::Duration base, absl::Duration cap, Jitter jitter,
                                absl::FunctionRef<double()> uniform01) {
  const absl::Duration ceiling = BackoffCeiling(attempt, base, cap);
  switch (jitter) {
    case Jitter::kNone:
      return ceiling;
    case Jitter::kFull:
      return ceiling * Clamp01(uniform01());
  }
  return ceiling;
}

absl::Duration DecorrelatedDelay(absl::Duration previous, absl::Duration base, absl::Duration cap,
                                 absl::FunctionRef<double()> uniform01) {
  if (base < absl::ZeroDuration()) base = absl::ZeroDuration();
  if (cap <= base) return cap < absl::ZeroDuration() ? absl::ZeroDuration() : cap;
  previous = std::clamp(previous, base, cap);
  const absl::Duration high = std::min(cap, previous * 3);
  return std::min(cap, base + (high - base) * Clamp01(uniform01()));
}

}  // namespace clinic::notification::queue
