#include "common/api/convert.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace clinic::api {
namespace {

constexpr absl::CivilDay kEpoch(1970, 1, 1);

}  // namespace

std::optional<absl::CivilDay> ParseDate(const type::v1::Date& date, bool present, std::string_view field,
                                        status::FieldViolations& bad) {
  if (!present) {
    bad.Add(std::string(field), "required");
    return std::nullopt;
  }
  const absl::CivilDay day(date.year(), date.month(), date.day());
  if (date.year() < 1900 || date.year() > 9999 || day.year() != date.year() || day.month() != date.month() ||
      day.day() != date.day()) {
    bad.Add(std::string(field), "not a valid calendar date (year 1900 to 9999)");
    return std::nullopt;
  }
  return day;
}

type::v1::Date ToDate(absl::CivilDay day) {
  type::v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

int64_t DayNumber(absl::CivilDay day) { return day - kEpoch; }
absl::CivilDay DayFromNumber(int64_t number) { return kEpoch + number; }

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return ts;
}

google::protobuf::Timestamp TimestampFromMicros(int64_t micros) { return ToTimestamp(absl::FromUnixMicros(micros)); }

absl::Duration FromDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration ToDuration(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::IDivDuration(d, absl::Nanoseconds(1), &d)));
  return out;
}

std::optional<absl::TimeZone> ParseTimeZone(std::string_view name, std::string_view field,
                                            status::FieldViolations& bad) {
  absl::TimeZone tz;
  if (name.empty()) {
    bad.Add(std::string(field), "required: an IANA time zone such as \"Europe/London\"");
    return std::nullopt;
  }
  // Only IANA names: absl would also load "localtime" (the host's zone) and file paths.
  bool iana = name.front() != '/' && name.front() != '.' && name.find("..") == std::string_view::npos &&
              name != "localtime";
  for (char c : name) {
    iana = iana && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
                    c == '_' || c == '+' || c == '-');
  }
  if (!iana || !absl::LoadTimeZone(std::string(name), &tz)) {
    bad.Add(std::string(field), "not a known IANA time zone");
    return std::nullopt;
  }
  return tz;
}

std::string Etag(int64_t version) { return absl::StrCat("\"", version, "\""); }

std::optional<int64_t> ParseEtag(std::string_view etag) {
  // Exactly what Etag() makes: a quoted decimal without sign, spaces or leading zeros.
  int64_t version = 0;
  if (etag.size() < 3 || etag.size() > 21 || etag.front() != '"' || etag.back() != '"') return std::nullopt;
  const std::string_view digits = etag.substr(1, etag.size() - 2);
  if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &version)) return std::nullopt;
  return version;
}

}  // namespace clinic::api
