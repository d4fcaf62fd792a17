#pragma once

// Quiet hours: a daily window of the clinic's local wall-clock time in which no reminder
// is sent (DOMAIN.md: "never in the night"). A send due inside the window is deferred
// to the window's end.

#include <optional>

#include "absl/time/time.h"

namespace clinic::notification::domain {

// A window [start, end) of local wall-clock time, as offsets from local midnight.
// start after end crosses midnight (21:00-08:00); end may be 24h (the end of the day).
// start == end is an empty window (never quiet).
struct QuietHours {
  absl::Duration start;
  absl::Duration end;
};

// The default of the contract: 21:00-08:00.
inline QuietHours DefaultQuietHours() { return {absl::Hours(21), absl::Hours(8)}; }

// True when the local wall-clock time of `t` in `zone` is inside `quiet`. A repeated
// local hour (autumn DST change) is inside the window both times it occurs.
bool InQuietHours(absl::Time t, absl::TimeZone zone, const QuietHours& quiet);

// `t` when it is not inside the quiet hours; otherwise the first instant after `t` at
// which the local wall clock reaches the window's end. When that wall-clock time does
// not exist that day (skipped by a spring DST change), the first instant after the gap;
// when it occurs twice (autumn), its first occurrence after `t`.
absl::Time NextAllowedTime(absl::Time t, absl::TimeZone zone, const QuietHours& quiet);

}  // namespace clinic::notification::domain
