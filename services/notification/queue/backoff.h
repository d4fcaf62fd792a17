#pragma once

// Delays between attempts: exponential backoff with jitter. Pure functions; the caller
// supplies the randomness, so tests drive it with fixed values.
//
//   absl::BitGen gen;                                   // not thread-safe: one per thread
//   auto uniform = [&gen] { return absl::Uniform(gen, 0.0, 1.0); };
//   absl::Duration delay = NextAttemptDelay(attempt, absl::Seconds(1), absl::Hours(1),
//                                           Jitter::kFull, uniform);
//
// Full jitter (the default choice): a delay drawn uniformly from [0, ceiling), where the
// ceiling doubles with each attempt from `base` up to `cap`. It spreads the retries of
// many clients that failed together, so they do not all come back at once.
// Decorrelated jitter: each delay drawn from [base, 3 × previous delay], capped; it
// depends on the previous delay rather than on the attempt number.

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace clinic::notification::queue {

enum class Jitter {
  kNone,  // exactly the exponential ceiling: base × 2^(attempt−1), capped
  kFull,  // uniform in [0, ceiling)
};

// The ceiling for `attempt` (1 for the first retry): base × 2^(attempt−1), at most `cap`.
// An attempt below 1 counts as 1. Never overflows, whatever the attempt.
// Preconditions: base >= 0, cap >= base (otherwise cap wins).
absl::Duration BackoffCeiling(int attempt, absl::Duration base, absl::Duration cap);

// The delay before attempt `attempt + 1`, after attempt `attempt` failed. `uniform01`
// returns a number in [0, 1) (values outside are clamped); it is called once for
// Jitter::kFull and never for Jitter::kNone. The result is in [0, cap].
absl::Duration NextAttemptDelay(int attempt, absl::Duration base, absl::Duration cap, Jitter jitter,
                                absl::FunctionRef<double()> uniform01);

// Decorrelated jitter: a delay in [base, min(cap, 3 × previous)] (previous below `base`
// counts as `base`), drawn with one call of `uniform01`. Start with previous = base.
absl::Duration DecorrelatedDelay(absl::Duration previous, absl::Duration base, absl::Duration cap,
                                 absl::FunctionRef<double()> uniform01);

}  // namespace clinic::notification::queue
