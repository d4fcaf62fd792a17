#include "services/patient/domain/proto_time.h"

#include <cstdint>
#include <cstdio>

namespace clinic::patient::domain {
namespace {

// The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
constexpr std::int64_t kMinTimestampSeconds = -62135596800;
constexpr std::int64_t kMaxTimestampSeconds = 253402300799;
constexpr std::int64_t kMaxDurationSeconds = 315576000000;
constexpr std::int32_t kNanosPerSecond = 1000000000;

}  // namespace

std::optional<absl::CivilDay> ToCivilDay(const type::v1::Date& date) {
  if (date.year() < 1900 || date.year() > 9999) return std::nullopt;
  if (date.month() < 1 || date.month() > 12 || date.day() < 1 || date.day() > 31) {
    return std::nullopt;
  }
  const absl::CivilDay day(date.year(), date.month(), date.day());
  // CivilDay normalises out-of-range days (Feb 30 -> Mar 2): a real date round-trips.
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return std::nullopt;
  }
  return day;
}

type::v1::Date ToProtoDate(absl::CivilDay day) {
  type::v1::Date date;
  date.set_year(static_cast<std::int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

std::string FormatIsoDate(absl::CivilDay day) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return buffer;
}

std::optional<absl::Time> ToTime(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() < kMinTimestampSeconds || timestamp.seconds() > kMaxTimestampSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() >= kNanosPerSecond) {
    return std::nullopt;
  }
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

google::protobuf::Timestamp ToProtoTimestamp(absl::Time time) {
  const std::int64_t seconds = absl::ToUnixSeconds(time);  // rounds towards -infinity
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(
      static_cast<std::int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

std::optional<absl::Duration> ToDuration(const google::protobuf::Duration& duration) {
  const std::int64_t s = duration.seconds();
  const std::int32_t n = duration.nanos();
  if (s < -kMaxDurationSeconds || s > kMaxDurationSeconds || n <= -kNanosPerSecond ||
      n >= kNanosPerSecond || (s > 0 && n < 0) || (s < 0 && n > 0)) {
    return std::nullopt;
  }
  return absl::Seconds(s) + absl::Nanoseconds(n);
}

google::protobuf::Duration ToProtoDuration(absl::Duration duration) {
  const std::int64_t nanos_total = absl::ToInt64Nanoseconds(duration);
  google::protobuf::Duration out;
  out.set_seconds(nanos_total / kNanosPerSecond);
  out.set_nanos(static_cast<std::int32_t>(nanos_total % kNanosPerSecond));
  return out;
}

}  // namespace clinic::patient::domain
