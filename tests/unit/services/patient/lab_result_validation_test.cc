#include "services/patient/domain/lab_result_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "services/patient/domain/proto_time.h"
#include "tests/unit/services/patient/violation_fields.h"
#include "tests/unit/services/patient/test_time.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using ::clinic::patient::testing::kNow;

v1::LabResult ValidResult() {
  v1::LabResult r;
  r.set_analyte(v1::ANALYTE_TOTAL_B12);
  r.mutable_value()->set_value("245.5");
  r.set_unit(v1::LAB_UNIT_NANOGRAMS_PER_LITRE);
  r.set_laboratory("laboratories/default");
  *r.mutable_collection_time() = ToProtoTimestamp(kNow - absl::Hours(48));
  *r.mutable_report_time() = ToProtoTimestamp(kNow - absl::Hours(24));
  return r;
}

std::vector<std::string> Violations(const v1::LabResult& r) {
  status::FieldViolations v;
  ValidateLabResultInput(r, kNow, "lab_result", v);
  return Fields(v);
}

TEST(LabResultValidationTest, AcceptsValid) {
  EXPECT_THAT(Violations(ValidResult()), IsEmpty());
  v1::LabResult r = ValidResult();
  r.clear_report_time();
  *r.mutable_collection_time() = ToProtoTimestamp(kNow);  // collected now: not in the future
  EXPECT_THAT(Violations(r), IsEmpty());
}

TEST(LabResultValidationTest, AnalyteAndUnit) {
  v1::LabResult r = ValidResult();
  r.set_analyte(v1::ANALYTE_UNSPECIFIED);
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.analyte"));
  r = ValidResult();
  r.set_analyte(v1::ANALYTE_ACTIVE_B12);  // in ng/L: makes no sense
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.unit"));
  r = ValidResult();
  r.set_unit(v1::LAB_UNIT_UNSPECIFIED);
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.unit"));
}

TEST(LabResultValidationTest, Value) {
  for (const char* bad : {"", "-0.1", "abc", "1e3", "12,5"}) {
    v1::LabResult r = ValidResult();
    r.mutable_value()->set_value(bad);
    EXPECT_THAT(Violations(r), ElementsAre("lab_result.value")) << bad;
  }
  v1::LabResult r = ValidResult();
  r.mutable_value()->set_value("0");
  EXPECT_THAT(Violations(r), IsEmpty());
}

TEST(LabResultValidationTest, LaboratoryAndReference) {
  v1::LabResult r = ValidResult();
  r.clear_laboratory();
  r.set_laboratory_reference(std::string(101, 'x'));
  EXPECT_THAT(Violations(r),
              ElementsAre("lab_result.laboratory", "lab_result.laboratory_reference"));
}

TEST(LabResultValidationTest, Times) {
  v1::LabResult r = ValidResult();
  r.clear_collection_time();
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.collection_time"));
  r = ValidResult();
  *r.mutable_collection_time() = ToProtoTimestamp(kNow + absl::Seconds(1));
  r.clear_report_time();
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.collection_time"));
  r = ValidResult();
  *r.mutable_report_time() = ToProtoTimestamp(kNow - absl::Hours(49));  // before collection
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.report_time"));
  r = ValidResult();
  *r.mutable_report_time() = ToProtoTimestamp(kNow + absl::Hours(1));
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.report_time"));
  r = ValidResult();
  r.mutable_collection_time()->set_nanos(-5);
  EXPECT_THAT(Violations(r), ElementsAre("lab_result.collection_time"));
}

}  // namespace
}  // namespace clinic::patient::domain
