#pragma once

// The rules of a reminder's life that need no stored state: its defaults (expiry,
// dedupe key), when it can no longer be sent, and how long a retryable failure waits.

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "clinic/notification/v1/reminder.pb.h"

namespace clinic::notification::domain {

// How far ahead a reminder may be scheduled (the contract's bound).
inline constexpr absl::Duration kMaxScheduleAhead = absl::Hours(24 * 400);

// The contract's default expiry: event_time when set, otherwise send_time plus 7 days.
absl::Time DefaultExpireTime(absl::Time send_time, std::optional<absl::Time> event_time);

// The contract's default dedupe key: "{kind}/{appointment or recipient}/{send_time}",
// e.g. "REMINDER_KIND_APPOINTMENT_REMINDER/clinics/soho/appointments/42/2026-11-25T10:00:00Z".
// `recipient` is "patients/{patient}" or "clinics/{clinic}/roles/{role}".
std::string DefaultDedupeKey(v1::ReminderKind kind, std::string_view appointment, std::string_view recipient,
                             absl::Time send_time);

// True when a reminder must no longer be sent at `now`: at or after its expiry, or, for
// an appointment reminder, at or after the appointment's start.
bool IsExpired(v1::ReminderKind kind, absl::Time now, absl::Time expire_time, std::optional<absl::Time> event_time);

// The wait after the `attempt`-th (1-based) retryable failure before the next attempt:
// `initial` doubled per attempt, at most `max`; the caller adds jitter.
absl::Duration RetryDelay(int attempt, absl::Duration initial = absl::Seconds(30),
                          absl::Duration max = absl::Minutes(30));

}  // namespace clinic::notification::domain
