#pragma once

// Small gMock matchers for absl::Status / absl::StatusOr (Abseil 20220623 ships none).

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace clinic::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::clinic::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = ::clinic::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = ::clinic::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace clinic::testing

#define CLINIC_ASSERT_OK(expr) ASSERT_THAT((expr), ::clinic::testing::IsOk())
#define CLINIC_EXPECT_OK(expr) EXPECT_THAT((expr), ::clinic::testing::IsOk())
