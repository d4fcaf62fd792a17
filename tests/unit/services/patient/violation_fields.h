#pragma once

// Test helpers: the field paths a FieldViolations (or an INVALID_ARGUMENT status) names.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status/status.h"

namespace clinic::patient::domain::testing {

inline std::vector<std::string> Fields(const status::FieldViolations& violations) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : violations.violations()) fields.push_back(v.field);
  return fields;
}

inline std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : status::GetFieldViolations(status)) {
    fields.push_back(v.field);
  }
  return fields;
}

}  // namespace clinic::patient::domain::testing
