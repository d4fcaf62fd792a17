#include "services/notification/domain/delivery_rules.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace clinic::notification::domain {

absl::Time DefaultExpireTime(absl::Time send_time, std::optional<absl::Time> event_time) {
  return event_time.has_value() ? *event_time : send_time + absl::Hours(24 * 7);
}

std::string DefaultDedupeKey(v1::ReminderKind kind, std::string_view appointment, std::string_view recipient,
                             absl::Time send_time) {
  return absl::StrCat(v1::ReminderKind_Name(kind), "/", std::string(appointment.empty() ? recipient : appointment), "/",
                      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", send_time, absl::UTCTimeZone()));
}

bool IsExpired(v1::ReminderKind kind, absl::Time now, absl::Time expire_time, std::optional<absl::Time> event_time) {
  if (now >= expire_time) return true;
  return kind == v1::REMINDER_KIND_APPOINTMENT_REMINDER && event_time.has_value() && now >= *event_time;
}

absl::Duration RetryDelay(int attempt, absl::Duration initial, absl::Duration max) {
  absl::Duration delay = initial;
  for (int i = 1; i < attempt && delay < max; ++i) delay *= 2;
  return delay < max ? delay : max;
}

}  // namespace clinic::notification::domain
