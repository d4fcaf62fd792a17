#include "services/patient/domain/reference_ranges.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/status_matchers.h"
#include "tests/unit/services/patient/violation_fields.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Decimal D(const char* text) { return *Decimal::Parse(text); }

v1::ReferenceRange ProtoRange(v1::Analyte analyte, v1::LabUnit unit, const char* below,
                              const char* up_to) {
  v1::ReferenceRange r;
  r.set_analyte(analyte);
  r.set_unit(unit);
  r.mutable_deficient_below()->set_value(below);
  r.mutable_indeterminate_up_to()->set_value(up_to);
  return r;
}

TEST(ReferenceRangesTest, DefaultsAreNiceAndBsh) {
  const std::vector<ReferenceRange> d = DefaultReferenceRanges();
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].analyte, v1::ANALYTE_TOTAL_B12);
  EXPECT_EQ(d[0].unit, v1::LAB_UNIT_NANOGRAMS_PER_LITRE);
  EXPECT_EQ(d[0].deficient_below, D("180"));
  EXPECT_EQ(d[0].indeterminate_up_to, D("350"));
  EXPECT_EQ(d[0].source, "NICE NG239");
  EXPECT_EQ(d[1].analyte, v1::ANALYTE_ACTIVE_B12);
  EXPECT_EQ(d[1].unit, v1::LAB_UNIT_PICOMOLES_PER_LITRE);
  EXPECT_EQ(d[1].deficient_below, D("25"));
  EXPECT_EQ(d[1].indeterminate_up_to, D("70"));
  EXPECT_EQ(d[2].analyte, v1::ANALYTE_SERUM_FOLATE);
  EXPECT_EQ(d[2].deficient_below, D("3"));
  EXPECT_EQ(d[2].indeterminate_up_to, D("4.5"));
  EXPECT_EQ(d[3].analyte, v1::ANALYTE_RED_CELL_FOLATE);
  EXPECT_EQ(d[3].deficient_below, d[3].indeterminate_up_to);  // no indeterminate band
}

TEST(ReferenceRangesTest, DefaultLaboratoryIsValidAndRoundTrips) {
  const v1::Laboratory lab = DefaultLaboratory();
  EXPECT_EQ(lab.name(), kDefaultLaboratory);
  status::FieldViolations v;
  ValidateLaboratory(lab, "laboratory", v);
  EXPECT_THAT(Fields(v), IsEmpty());
  ASSERT_EQ(lab.reference_ranges_size(), 4);
  absl::StatusOr<ReferenceRange> back = FromProto(lab.reference_ranges(0));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, DefaultReferenceRanges()[0]);
}

TEST(ReferenceRangesTest, ValidateRange) {
  const auto violations = [](const v1::ReferenceRange& r) {
    status::FieldViolations v;
    ValidateReferenceRange(r, "r", v);
    return Fields(v);
  };
  v1::ReferenceRange r =
      ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_PICOMOLES_PER_LITRE, "133", "258");
  EXPECT_THAT(violations(r), IsEmpty());
  r.mutable_high_above()->set_value("258");
  EXPECT_THAT(violations(r), ElementsAre("r.high_above"));  // must be above up_to
  r.mutable_high_above()->set_value("1000");
  EXPECT_THAT(violations(r), IsEmpty());
  r.set_unit(v1::LAB_UNIT_FEMTOLITRES);
  EXPECT_THAT(violations(r), ElementsAre("r.unit"));
  r = ProtoRange(v1::ANALYTE_UNSPECIFIED, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "1", "2");
  EXPECT_THAT(violations(r), ElementsAre("r.analyte"));
  r = ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "0", "350");
  EXPECT_THAT(violations(r), ElementsAre("r.deficient_below"));
  r = ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "180", "179.9");
  EXPECT_THAT(violations(r), ElementsAre("r.indeterminate_up_to"));
  r = ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "180", "180");
  EXPECT_THAT(violations(r), IsEmpty());  // equal: no indeterminate band
  r = ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "1e2", "");
  EXPECT_THAT(violations(r), ElementsAre("r.deficient_below", "r.indeterminate_up_to"));
  r = ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "180", "350");
  r.set_source(std::string(201, 's'));
  EXPECT_THAT(violations(r), ElementsAre("r.source"));
}

TEST(ReferenceRangesTest, ValidateLaboratoryRejectsTwoRangesForOneAnalyte) {
  v1::Laboratory lab;
  lab.set_display_name("St Elsewhere Pathology");
  *lab.add_reference_ranges() =
      ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "150", "300");
  *lab.add_reference_ranges() =
      ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_PICOMOLES_PER_LITRE, "110", "220");
  status::FieldViolations v;
  ValidateLaboratory(lab, "laboratory", v);
  EXPECT_THAT(Fields(v), ElementsAre("laboratory.reference_ranges[1].analyte"));
  lab.clear_display_name();
  status::FieldViolations v2;
  ValidateLaboratory(lab, "laboratory", v2);
  EXPECT_THAT(Fields(v2),
              ElementsAre("laboratory.display_name", "laboratory.reference_ranges[1].analyte"));
}

TEST(ReferenceRangesTest, FindFallsBackToTheDefaultLaboratory) {
  ReferenceRanges table;
  const ReferenceRange* total = table.Find("laboratories/unknown", v1::ANALYTE_TOTAL_B12);
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->deficient_below, D("180"));
  EXPECT_EQ(table.Find("laboratories/unknown", v1::ANALYTE_POTASSIUM), nullptr);

  // A laboratory with a lower cut-off for its assay overrides total B12 only.
  absl::StatusOr<ReferenceRange> own =
      FromProto(ProtoRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "150", "300"));
  ASSERT_THAT(own, IsOk());
  ASSERT_THAT(table.SetLaboratory("laboratories/st-elsewhere", {*own}), IsOk());
  EXPECT_EQ(table.Find("laboratories/st-elsewhere", v1::ANALYTE_TOTAL_B12)->deficient_below,
            D("150"));
  EXPECT_EQ(table.Find("laboratories/st-elsewhere", v1::ANALYTE_ACTIVE_B12)->deficient_below,
            D("25"));
  EXPECT_EQ(table.Find("laboratories/other", v1::ANALYTE_TOTAL_B12)->deficient_below, D("180"));
}

TEST(ReferenceRangesTest, SetLaboratoryRejectsInvalidRangesAndChangesNothing) {
  ReferenceRanges table;
  ReferenceRange bad = DefaultReferenceRanges()[0];
  bad.indeterminate_up_to = D("100");  // below deficient_below
  EXPECT_THAT(table.SetLaboratory("laboratories/x", {bad}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const ReferenceRange good = DefaultReferenceRanges()[0];
  EXPECT_THAT(table.SetLaboratory("laboratories/x", {good, good}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ReferenceRange wrong_unit = good;
  wrong_unit.unit = v1::LAB_UNIT_MILLIMOLES_PER_LITRE;
  EXPECT_THAT(table.SetLaboratory("laboratories/x", {wrong_unit}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(table.Find("laboratories/x", v1::ANALYTE_TOTAL_B12)->deficient_below, D("180"));
}

TEST(ReferenceRangesTest, FromLaboratoriesUsesTheStoredDefault) {
  v1::Laboratory defaults = DefaultLaboratory();
  defaults.mutable_reference_ranges(0)->mutable_deficient_below()->set_value("200");
  v1::Laboratory lab;
  lab.set_name("laboratories/st-elsewhere");
  lab.set_display_name("St Elsewhere");
  *lab.add_reference_ranges() =
      ProtoRange(v1::ANALYTE_ACTIVE_B12, v1::LAB_UNIT_PICOMOLES_PER_LITRE, "30", "60");
  absl::StatusOr<ReferenceRanges> table = ReferenceRanges::FromLaboratories({defaults, lab});
  ASSERT_THAT(table, IsOk());
  EXPECT_EQ(table->Find("laboratories/st-elsewhere", v1::ANALYTE_TOTAL_B12)->deficient_below,
            D("200"));
  EXPECT_EQ(table->Find("laboratories/st-elsewhere", v1::ANALYTE_ACTIVE_B12)->deficient_below,
            D("30"));

  *lab.add_reference_ranges() =
      ProtoRange(v1::ANALYTE_ACTIVE_B12, v1::LAB_UNIT_FEMTOLITRES, "30", "60");
  EXPECT_THAT(ReferenceRanges::FromLaboratories({lab}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace clinic::patient::domain
