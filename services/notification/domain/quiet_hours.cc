#include "services/notification/domain/quiet_hours.h"

#include <cstdint>

#include "absl/time/civil_time.h"

namespace clinic::notification::domain {
namespace {

int64_t Seconds(absl::Duration d) { return absl::ToInt64Seconds(d); }

// The seconds since local midnight of `t`'s wall clock, and its local day.
struct LocalClock {
  absl::CivilDay day;
  int64_t second_of_day;
};

LocalClock LocalOf(absl::Time t, absl::TimeZone zone) {
  const absl::CivilSecond cs = absl::ToCivilSecond(t, zone);
  const absl::CivilDay day(cs);
  return {day, cs - absl::CivilSecond(day)};
}

// The first instant after `after` at which the wall clock of `zone` shows `day` +
// `offset` (offset may be 24 h: midnight of the next day).
absl::Time FirstInstantAt(absl::CivilDay day, absl::Duration offset, absl::TimeZone zone, absl::Time after) {
  const absl::CivilSecond target = absl::CivilSecond(day) + Seconds(offset);
  const absl::TimeZone::TimeInfo info = zone.At(target);
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::UNIQUE:
      return info.pre;
    case absl::TimeZone::TimeInfo::SKIPPED:
      // The wall clock jumps over `target`: quiet hours end when it lands after it.
      return info.trans;
    case absl::TimeZone::TimeInfo::REPEATED:
      return info.pre > after ? info.pre : info.post;
  }
  return info.pre;
}

}  // namespace

bool InQuietHours(absl::Time t, absl::TimeZone zone, const QuietHours& quiet) {
  const int64_t start = Seconds(quiet.start);
  const int64_t end = Seconds(quiet.end);
  if (start == end) return false;
  const int64_t s = LocalOf(t, zone).second_of_day;
  if (start < end) return s >= start && s < end;
  return s >= start || s < end;  // crosses midnight
}

absl::Time NextAllowedTime(absl::Time t, absl::TimeZone zone, const QuietHours& quiet) {
  if (!InQuietHours(t, zone, quiet)) return t;
  const LocalClock local = LocalOf(t, zone);
  const int64_t start = Seconds(quiet.start);
  const int64_t end = Seconds(quiet.end);
  // The window that holds `t` ends today, unless it crosses midnight and `t` is in its
  // evening part: then it ends tomorrow.
  const bool ends_tomorrow = start > end && local.second_of_day >= start;
  const absl::CivilDay end_day = ends_tomorrow ? local.day + 1 : local.day;
  return FirstInstantAt(end_day, quiet.end, zone, t);
}

}  // namespace clinic::notification::domain
