#pragma once

// Conversions between the contracts' time values (clinic.type.v1.Date,
// google.protobuf.Timestamp and Duration) and Abseil's civil and absolute time types, with
// the validity rules the contracts state.

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/type/v1/date.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace clinic::patient::domain {

// The civil day of `date`, or nullopt unless its three fields form a real date with a
// year of 1900 to 9999 (e.g. 2023-02-29 and 2024-13-01 are nullopt).
std::optional<absl::CivilDay> ToCivilDay(const type::v1::Date& date);

// The Date message of `day`.
type::v1::Date ToProtoDate(absl::CivilDay day);

// "YYYY-MM-DD".
std::string FormatIsoDate(absl::CivilDay day);

// The instant of `timestamp`, or nullopt unless it is a valid google.protobuf.Timestamp
// (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos 0 to 999999999).
std::optional<absl::Time> ToTime(const google::protobuf::Timestamp& timestamp);

// The Timestamp message of `time` (truncated to whole nanoseconds).
google::protobuf::Timestamp ToProtoTimestamp(absl::Time time);

// The duration of `duration`, or nullopt unless seconds and nanos are within the
// documented range (|seconds| <= 315576000000, |nanos| < 10^9, same sign).
std::optional<absl::Duration> ToDuration(const google::protobuf::Duration& duration);

// The Duration message of `duration` (truncated to whole nanoseconds).
google::protobuf::Duration ToProtoDuration(absl::Duration duration);

}  // namespace clinic::patient::domain
