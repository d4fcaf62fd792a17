#pragma once

// Conversions between the contracts' value types and the C++ ones, checked once at the
// edge: calendar dates, instants, durations, time zones and etags.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/type/v1/date.pb.h"
#include "common/status/status.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace clinic::api {

// A clinic.type.v1.Date as a civil day, or nullopt after adding a violation for `field`
// when it is unset (`present` false), out of range (years 1900–9999) or not a real date.
std::optional<absl::CivilDay> ParseDate(const type::v1::Date& date, bool present, std::string_view field,
                                        status::FieldViolations& bad);
type::v1::Date ToDate(absl::CivilDay day);

// Days since 1970-01-01: how dates are stored (BIGINT, ordered like the dates).
int64_t DayNumber(absl::CivilDay day);
absl::CivilDay DayFromNumber(int64_t number);

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp ToTimestamp(absl::Time t);
// Microseconds since the epoch (how instants are stored) as a Timestamp.
google::protobuf::Timestamp TimestampFromMicros(int64_t micros);

absl::Duration FromDuration(const google::protobuf::Duration& d);
google::protobuf::Duration ToDuration(absl::Duration d);

// The IANA time zone `name` (e.g. "Europe/London"), or nullopt after adding a violation
// for `field` when it is empty or unknown.
std::optional<absl::TimeZone> ParseTimeZone(std::string_view name, std::string_view field,
                                            status::FieldViolations& bad);

// Etags are the resource's version, quoted (opaque to clients).
std::string Etag(int64_t version);
// The version named by `etag`; nullopt when it is not one of ours (never matches).
std::optional<int64_t> ParseEtag(std::string_view etag);

}  // namespace clinic::api
