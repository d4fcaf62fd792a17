#include "services/patient/domain/lab_interpretation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "tests/support/status_matchers.h"
#include "tests/unit/services/patient/violation_fields.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;
using ::testing::ElementsAre;

struct BoundaryCase {
  v1::Analyte analyte;
  const char* value;
  v1::LabUnit unit;
  v1::Interpretation expected;
  const char* compared;  // the value in the range's unit
};

void PrintTo(const BoundaryCase& c, std::ostream* os) {
  *os << v1::Analyte_Name(c.analyte) << " " << c.value << " " << v1::LabUnit_Name(c.unit);
}

class DefaultBoundaryTest : public ::testing::TestWithParam<BoundaryCase> {};

TEST_P(DefaultBoundaryTest, ReadsAsDecided) {
  const BoundaryCase& c = GetParam();
  const ReferenceRanges ranges;
  absl::StatusOr<LabReading> reading = Interpret(c.analyte, *Decimal::Parse(c.value), c.unit,
                                                 ranges.Find("laboratories/any", c.analyte));
  ASSERT_THAT(reading, IsOk());
  EXPECT_EQ(reading->interpretation, c.expected)
      << c.value << " -> " << v1::Interpretation_Name(reading->interpretation);
  ASSERT_TRUE(reading->compared_value.has_value());
  EXPECT_EQ(reading->compared_value->ToString(), c.compared);
}

constexpr auto kNgL = v1::LAB_UNIT_NANOGRAMS_PER_LITRE;
constexpr auto kPgMl = v1::LAB_UNIT_PICOGRAMS_PER_MILLILITRE;
constexpr auto kUgL = v1::LAB_UNIT_MICROGRAMS_PER_LITRE;
constexpr auto kPmolL = v1::LAB_UNIT_PICOMOLES_PER_LITRE;
constexpr auto kNmolL = v1::LAB_UNIT_NANOMOLES_PER_LITRE;
constexpr auto kTotal = v1::ANALYTE_TOTAL_B12;
constexpr auto kActive = v1::ANALYTE_ACTIVE_B12;
constexpr auto kFolate = v1::ANALYTE_SERUM_FOLATE;
constexpr auto kDeficient = v1::INTERPRETATION_DEFICIENT;
constexpr auto kIndeterminate = v1::INTERPRETATION_INDETERMINATE;
constexpr auto kNormal = v1::INTERPRETATION_NORMAL;

INSTANTIATE_TEST_SUITE_P(
    TotalB12, DefaultBoundaryTest,
    ::testing::Values(
        BoundaryCase{kTotal, "179.99", kNgL, kDeficient, "179.99"},
        BoundaryCase{kTotal, "180", kNgL, kIndeterminate, "180"},  // 180 exactly: indeterminate
        BoundaryCase{kTotal, "180.0", kPgMl, kIndeterminate, "180"},
        BoundaryCase{kTotal, "350", kNgL, kIndeterminate, "350"},  // 350 exactly: indeterminate
        BoundaryCase{kTotal, "350.01", kNgL, kNormal, "350.01"},
        BoundaryCase{kTotal, "0", kNgL, kDeficient, "0"},
        BoundaryCase{kTotal, "0.18", kUgL, kIndeterminate, "180"},  // exact, not 179.999...
        BoundaryCase{kTotal, "0.17999", kUgL, kDeficient, "179.99"},
        // pmol/L is converted (x 1.355) to the range's ng/L and compared exactly.
        BoundaryCase{kTotal, "132.8", kPmolL, kDeficient, "179.944"},
        BoundaryCase{kTotal, "132.84", kPmolL, kDeficient, "179.9982"},
        BoundaryCase{kTotal, "132.85", kPmolL, kIndeterminate, "180.01175"},
        BoundaryCase{kTotal, "133", kPmolL, kIndeterminate, "180.215"},
        BoundaryCase{kTotal, "258.3", kPmolL, kIndeterminate, "349.9965"},
        BoundaryCase{kTotal, "258.31", kPmolL, kNormal, "350.01005"},
        BoundaryCase{kTotal, "0.13284", kNmolL, kDeficient, "179.9982"}));

INSTANTIATE_TEST_SUITE_P(
    ActiveB12, DefaultBoundaryTest,
    ::testing::Values(BoundaryCase{kActive, "24.9", kPmolL, kDeficient, "24.9"},
                      BoundaryCase{kActive, "25", kPmolL, kIndeterminate, "25"},
                      BoundaryCase{kActive, "70", kPmolL, kIndeterminate, "70"},
                      BoundaryCase{kActive, "70.1", kPmolL, kNormal, "70.1"},
                      BoundaryCase{kActive, "0.025", kNmolL, kIndeterminate, "25"},
                      BoundaryCase{kActive, "0.0249", kNmolL, kDeficient, "24.9"}));

INSTANTIATE_TEST_SUITE_P(
    Folate, DefaultBoundaryTest,
    ::testing::Values(BoundaryCase{kFolate, "2.9", kUgL, kDeficient, "2.9"},
                      BoundaryCase{kFolate, "3", kUgL, kIndeterminate, "3"},
                      BoundaryCase{kFolate, "4.5", kUgL, kIndeterminate, "4.5"},
                      BoundaryCase{kFolate, "4.6", kUgL, kNormal, "4.6"},
                      BoundaryCase{kFolate, "6.7", kNmolL, kDeficient, "2.95738"},
                      BoundaryCase{kFolate, "10.2", kNmolL, kNormal, "4.50228"},
                      BoundaryCase{v1::ANALYTE_RED_CELL_FOLATE, "149", kUgL, kDeficient, "149"},
                      BoundaryCase{v1::ANALYTE_RED_CELL_FOLATE, "150", kUgL, kIndeterminate, "150"},
                      BoundaryCase{v1::ANALYTE_RED_CELL_FOLATE, "150.1", kUgL, kNormal, "150.1"}));

ReferenceRange PmolRange() {
  ReferenceRange r;
  r.analyte = kTotal;
  r.unit = kPmolL;
  r.deficient_below = *Decimal::Parse("133");
  r.indeterminate_up_to = *Decimal::Parse("258");
  r.high_above = *Decimal::Parse("1000");
  r.source = "Lab method sheet";
  return r;
}

TEST(InterpretTest, ARangeInPmolConvertsNgValuesWithRounding) {
  const ReferenceRange range = PmolRange();
  // 180 ng/L = 132.84132... pmol/L, compared as 132.8413: deficient against 133 pmol/L.
  absl::StatusOr<LabReading> r = Interpret(kTotal, *Decimal::Parse("180"), kNgL, &range);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->interpretation, kDeficient);
  EXPECT_EQ(r->compared_value->ToString(), "132.8413");
  // 180.2155 ng/L / 1.355 = 133.0003..., just indeterminate; 180.2149 -> 132.9999...
  EXPECT_EQ(Interpret(kTotal, *Decimal::Parse("180.2155"), kNgL, &range)->interpretation,
            kIndeterminate);
  EXPECT_EQ(Interpret(kTotal, *Decimal::Parse("180.2149"), kNgL, &range)->interpretation,
            kDeficient);
  // 133 pmol/L itself: indeterminate.
  EXPECT_EQ(Interpret(kTotal, *Decimal::Parse("133"), kPmolL, &range)->interpretation,
            kIndeterminate);
}

TEST(InterpretTest, HighAboveTheHighLimitOnly) {
  const ReferenceRange range = PmolRange();
  EXPECT_EQ(Interpret(kTotal, *Decimal::Parse("1000"), kPmolL, &range)->interpretation, kNormal);
  EXPECT_EQ(Interpret(kTotal, *Decimal::Parse("1000.1"), kPmolL, &range)->interpretation,
            v1::INTERPRETATION_HIGH);
}

TEST(InterpretTest, NoRangeMeansNotInterpreted) {
  absl::StatusOr<LabReading> r = Interpret(v1::ANALYTE_POTASSIUM, *Decimal::Parse("3.1"),
                                           v1::LAB_UNIT_MILLIMOLES_PER_LITRE, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->interpretation, v1::INTERPRETATION_NOT_INTERPRETED);
  EXPECT_FALSE(r->applied_range.has_value());
  EXPECT_FALSE(r->compared_value.has_value());
}

TEST(InterpretTest, NonsenseAnalyteUnitCombinationsNameTheField) {
  const ReferenceRanges ranges;
  const absl::Status bad_unit =
      Interpret(kActive, *Decimal::Parse("30"), kNgL, ranges.Find("", kActive)).status();
  EXPECT_THAT(bad_unit, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(bad_unit), ElementsAre("lab_result.unit"));
  const absl::Status unspecified_unit =
      Interpret(kTotal, *Decimal::Parse("300"), v1::LAB_UNIT_UNSPECIFIED, nullptr).status();
  EXPECT_THAT(Fields(unspecified_unit), ElementsAre("lab_result.unit"));
  const absl::Status unknown_unit =
      Interpret(kTotal, *Decimal::Parse("300"), static_cast<v1::LabUnit>(77), nullptr).status();
  EXPECT_THAT(Fields(unknown_unit), ElementsAre("lab_result.unit"));
  const absl::Status bad_analyte =
      Interpret(v1::ANALYTE_UNSPECIFIED, *Decimal::Parse("300"), kNgL, nullptr).status();
  EXPECT_THAT(Fields(bad_analyte), ElementsAre("lab_result.analyte"));
}

TEST(InterpretTest, ARangeOfAnotherAnalyteIsAnInternalError) {
  const ReferenceRange range = PmolRange();
  EXPECT_THAT(Interpret(kActive, *Decimal::Parse("30"), kPmolL, &range).status(),
              StatusIs(absl::StatusCode::kInternal));
}

v1::LabResult Result(v1::Analyte analyte, const char* value, v1::LabUnit unit) {
  v1::LabResult r;
  r.set_analyte(analyte);
  r.mutable_value()->set_value(value);
  r.set_unit(unit);
  r.set_laboratory("laboratories/st-elsewhere");
  return r;
}

TEST(InterpretLabResultTest, FillsTheOutputFields) {
  const ReferenceRanges ranges;
  v1::LabResult r = Result(kTotal, "132.8", kPmolL);
  ASSERT_THAT(InterpretLabResult(ranges, r), IsOk());
  EXPECT_EQ(r.interpretation(), kDeficient);
  EXPECT_EQ(r.applied_range().unit(), kNgL);
  EXPECT_EQ(r.applied_range().deficient_below().value(), "180");
  EXPECT_EQ(r.applied_range().source(), "NICE NG239");
  EXPECT_EQ(r.compared_value().value(), "179.944");
  EXPECT_EQ(r.value().value(), "132.8");  // stored as reported
  EXPECT_EQ(r.unit(), kPmolL);

  v1::LabResult k = Result(v1::ANALYTE_POTASSIUM, "3.9", v1::LAB_UNIT_MILLIMOLES_PER_LITRE);
  *k.mutable_applied_range() = r.applied_range();  // stale output fields are cleared
  ASSERT_THAT(InterpretLabResult(ranges, k), IsOk());
  EXPECT_EQ(k.interpretation(), v1::INTERPRETATION_NOT_INTERPRETED);
  EXPECT_FALSE(k.has_applied_range());
  EXPECT_FALSE(k.has_compared_value());
}

TEST(InterpretLabResultTest, BadInputChangesNothing) {
  const ReferenceRanges ranges;
  v1::LabResult r = Result(kTotal, "-1", kNgL);
  EXPECT_THAT(Fields(InterpretLabResult(ranges, r)), ElementsAre("lab_result.value"));
  EXPECT_EQ(r.interpretation(), v1::INTERPRETATION_UNSPECIFIED);
  r = Result(kTotal, "300", v1::LAB_UNIT_FEMTOLITRES);
  EXPECT_THAT(Fields(InterpretLabResult(ranges, r)), ElementsAre("lab_result.unit"));
  EXPECT_FALSE(r.has_applied_range());
}

}  // namespace
}  // namespace clinic::patient::domain
