#pragma once

// The field names an INVALID_ARGUMENT names (common/status: google.rpc.BadRequest), in
// order, for assertions such as EXPECT_THAT(ViolatedFields(s), ElementsAre("name")).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status/status.h"

namespace clinic::testing {

inline std::vector<std::string> FieldNames(const status::FieldViolations& violations) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : violations.violations()) fields.push_back(v.field);
  return fields;
}

inline std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : status::GetFieldViolations(status)) fields.push_back(v.field);
  return fields;
}

}  // namespace clinic::testing
