#pragma once

// Small helpers the patient service's stores share (internal to services/patient).

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/sql/value.h"
#include "google/protobuf/message.h"

namespace clinic::patient::store {

inline std::string S(std::string_view v) { return std::string(v); }

// ABORTED for an update whose etag is not the record's current one.
inline absl::Status StaleEtag(std::string_view what) {
  return absl::AbortedError(absl::StrCat(std::string(what), " changed since it was read (stale etag); read it again"));
}

// A message stored as its serialised bytes.
inline sql::Value Body(const google::protobuf::Message& message) {
  return sql::Value::Bytes(message.SerializeAsString());
}

}  // namespace clinic::patient::store
