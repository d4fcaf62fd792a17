#include "services/patient/domain/check_in_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/services/patient/violation_fields.h"
#include "tests/unit/services/patient/test_time.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using ::clinic::patient::testing::kToday;

v1::CheckIn ValidCheckIn() {
  v1::CheckIn c;
  c.mutable_check_in_date()->set_year(2024);
  c.mutable_check_in_date()->set_month(6);
  c.mutable_check_in_date()->set_day(15);
  c.set_energy_score(5);
  c.set_skin_clarity_score(6);
  c.set_mood_score(7);
  return c;
}

std::vector<std::string> Violations(const v1::CheckIn& c) {
  status::FieldViolations v;
  ValidateCheckInInput(c, kToday, "check_in", v);
  return Fields(v);
}

TEST(CheckInValidationTest, AcceptsValid) { EXPECT_THAT(Violations(ValidCheckIn()), IsEmpty()); }

TEST(CheckInValidationTest, ScoreBoundaries) {
  for (int score : {0, 1, 10, 11, -1}) {
    v1::CheckIn c = ValidCheckIn();
    c.set_energy_score(score);
    c.set_skin_clarity_score(score);
    c.set_mood_score(score);
    const bool ok = score >= 1 && score <= 10;
    if (ok) {
      EXPECT_THAT(Violations(c), IsEmpty()) << score;
    } else {
      EXPECT_THAT(Violations(c),
                  UnorderedElementsAre("check_in.energy_score", "check_in.skin_clarity_score",
                                       "check_in.mood_score"))
          << score;
    }
  }
}

TEST(CheckInValidationTest, Date) {
  v1::CheckIn c = ValidCheckIn();
  c.clear_check_in_date();
  EXPECT_THAT(Violations(c), ElementsAre("check_in.check_in_date"));
  c = ValidCheckIn();
  c.mutable_check_in_date()->set_day(16);  // tomorrow
  EXPECT_THAT(Violations(c), ElementsAre("check_in.check_in_date"));
  c.mutable_check_in_date()->set_month(2);
  c.mutable_check_in_date()->set_day(30);
  EXPECT_THAT(Violations(c), ElementsAre("check_in.check_in_date"));
}

TEST(CheckInValidationTest, NoteAndSource) {
  v1::CheckIn c = ValidCheckIn();
  c.set_note(std::string(2000, 'n') + "\n");
  EXPECT_THAT(Violations(c), IsEmpty());  // line breaks allowed, trimmed length 2000
  c.set_note(std::string(2001, 'n'));
  EXPECT_THAT(Violations(c), ElementsAre("check_in.note"));
  c = ValidCheckIn();
  c.set_source(static_cast<v1::CheckInSource>(9));
  EXPECT_THAT(Violations(c), ElementsAre("check_in.source"));
  c.set_source(v1::CHECK_IN_SOURCE_UNSPECIFIED);
  EXPECT_THAT(Violations(c), IsEmpty());
}

}  // namespace
}  // namespace clinic::patient::domain
