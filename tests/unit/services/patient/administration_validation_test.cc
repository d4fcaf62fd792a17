#include "services/patient/domain/administration_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/patient/domain/proto_time.h"
#include "tests/unit/services/patient/violation_fields.h"
#include "tests/unit/services/patient/test_time.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// 10:00 UTC on 2024-06-15.
using ::clinic::patient::testing::kNow;

v1::Administration Valid() {
  v1::Administration a;
  a.set_treatment_plan("patients/p1/treatmentPlans/t1");
  a.set_product("products/hydroxocobalamin-1mg-1ml");
  a.set_lot("products/hydroxocobalamin-1mg-1ml/lots/l1");
  a.set_lot_number("AB1234");
  *a.mutable_expiry_date() = ToProtoDate(absl::CivilDay(2024, 6, 15));
  a.mutable_dose()->mutable_value()->set_value("1");
  a.mutable_dose()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
  a.set_route(v1::ROUTE_INTRAMUSCULAR);
  a.set_site(v1::INJECTION_SITE_LEFT_DELTOID);
  a.set_practitioner("practitioners/nurse-1");
  a.set_clinic("clinics/north");
  *a.mutable_administer_time() = ToProtoTimestamp(kNow - absl::Minutes(5));
  return a;
}

std::vector<std::string> Violations(const v1::Administration& a) {
  status::FieldViolations v;
  ValidateAdministrationInput(a, kNow, "administration", v);
  return Fields(v);
}

TEST(AdministrationValidationTest, AcceptsAValidDoseOnTheLotsLastDay) { EXPECT_THAT(Violations(Valid()), IsEmpty()); }

TEST(AdministrationValidationTest, NamesEveryMissingField) {
  EXPECT_THAT(Violations(v1::Administration()),
              UnorderedElementsAre("administration.product", "administration.lot", "administration.practitioner",
                                   "administration.clinic", "administration.lot_number",
                                   "administration.administer_time", "administration.expiry_date",
                                   "administration.dose", "administration.route"));
}

TEST(AdministrationValidationTest, AnExpiredLotIsRefusedWithTheBoundaryOnTheEarliestCalendar) {
  v1::Administration a = Valid();
  // Given at 10:00 UTC on the 15th: still the 14th in UTC-12 (22:00), so a lot expiring on
  // the 14th is not refused here (a clinic there gives it on its last day); the 13th is.
  *a.mutable_expiry_date() = ToProtoDate(absl::CivilDay(2024, 6, 14));
  EXPECT_THAT(Violations(a), IsEmpty());
  *a.mutable_expiry_date() = ToProtoDate(absl::CivilDay(2024, 6, 13));
  EXPECT_THAT(Violations(a), ElementsAre("administration.expiry_date"));
  // From 12:00 UTC on the 14th it is the 14th everywhere: the 13th has expired.
  *a.mutable_administer_time() =
      ToProtoTimestamp(absl::FromCivil(absl::CivilSecond(2024, 6, 14, 11, 59, 59), absl::UTCTimeZone()));
  EXPECT_THAT(Violations(a), IsEmpty());
  *a.mutable_administer_time() =
      ToProtoTimestamp(absl::FromCivil(absl::CivilSecond(2024, 6, 14, 12, 0, 0), absl::UTCTimeZone()));
  EXPECT_THAT(Violations(a), ElementsAre("administration.expiry_date"));
  a.mutable_expiry_date()->set_month(2);
  a.mutable_expiry_date()->set_day(30);
  EXPECT_THAT(Violations(a), ElementsAre("administration.expiry_date"));
}

TEST(AdministrationValidationTest, TimeMayNotBeInTheFutureBeyondTheSkew) {
  v1::Administration a = Valid();
  *a.mutable_administer_time() = ToProtoTimestamp(kNow + kAdministerTimeSkew);
  EXPECT_THAT(Violations(a), IsEmpty());
  *a.mutable_administer_time() = ToProtoTimestamp(kNow + kAdministerTimeSkew + absl::Seconds(1));
  EXPECT_THAT(Violations(a), ElementsAre("administration.administer_time"));
  a.mutable_administer_time()->set_nanos(-1);
  EXPECT_THAT(Violations(a), ElementsAre("administration.administer_time"));
}

TEST(AdministrationValidationTest, SiteFollowsTheRoute) {
  v1::Administration a = Valid();
  a.set_site(v1::INJECTION_SITE_UNSPECIFIED);
  EXPECT_THAT(Violations(a), ElementsAre("administration.site"));
  a.set_site(v1::INJECTION_SITE_NOT_APPLICABLE);
  EXPECT_THAT(Violations(a), ElementsAre("administration.site"));
  a.set_route(v1::ROUTE_ORAL);
  EXPECT_THAT(Violations(a), IsEmpty());
  a.set_site(v1::INJECTION_SITE_UNSPECIFIED);
  EXPECT_THAT(Violations(a), IsEmpty());
  a.set_site(v1::INJECTION_SITE_RIGHT_THIGH);
  EXPECT_THAT(Violations(a), ElementsAre("administration.site"));
  a.set_site(static_cast<v1::InjectionSite>(99));
  EXPECT_THAT(Violations(a), ElementsAre("administration.site"));
  EXPECT_TRUE(IsInjectedRoute(v1::ROUTE_SUBCUTANEOUS));
  EXPECT_FALSE(IsInjectedRoute(v1::ROUTE_ORAL));
}

TEST(AdministrationValidationTest, DoseLotNumberAndNotes) {
  v1::Administration a = Valid();
  a.mutable_dose()->mutable_value()->set_value("0");
  a.set_lot_number(std::string(65, '7'));
  a.set_notes(std::string(2001, 'n'));
  EXPECT_THAT(Violations(a), UnorderedElementsAre("administration.dose.value", "administration.lot_number",
                                                  "administration.notes"));
  a = Valid();
  a.set_lot_number("AB\n12");
  a.set_notes("Mild redness.\nResolved.");
  EXPECT_THAT(Violations(a), ElementsAre("administration.lot_number"));
}

}  // namespace
}  // namespace clinic::patient::domain
