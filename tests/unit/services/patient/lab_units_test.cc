#include "services/patient/domain/lab_units.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace clinic::patient::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The whole analyte x unit table: every pair not listed here must be invalid.
TEST(LabUnitsTest, ValidCombinationsAreExactlyTheTable) {
  const auto units = [](v1::Analyte a) { return UnitsFor(a); };
  EXPECT_THAT(units(v1::ANALYTE_TOTAL_B12),
              ElementsAre(v1::LAB_UNIT_NANOGRAMS_PER_LITRE, v1::LAB_UNIT_PICOGRAMS_PER_MILLILITRE,
                          v1::LAB_UNIT_MICROGRAMS_PER_LITRE, v1::LAB_UNIT_PICOMOLES_PER_LITRE,
                          v1::LAB_UNIT_NANOMOLES_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_ACTIVE_B12),
              ElementsAre(v1::LAB_UNIT_PICOMOLES_PER_LITRE, v1::LAB_UNIT_NANOMOLES_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_SERUM_FOLATE),
              ElementsAre(v1::LAB_UNIT_MICROGRAMS_PER_LITRE, v1::LAB_UNIT_NANOMOLES_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_RED_CELL_FOLATE),
              ElementsAre(v1::LAB_UNIT_MICROGRAMS_PER_LITRE, v1::LAB_UNIT_NANOMOLES_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_METHYLMALONIC_ACID),
              ElementsAre(v1::LAB_UNIT_NANOMOLES_PER_LITRE, v1::LAB_UNIT_MICROMOLES_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_HOMOCYSTEINE), ElementsAre(v1::LAB_UNIT_MICROMOLES_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_POTASSIUM), ElementsAre(v1::LAB_UNIT_MILLIMOLES_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_HAEMOGLOBIN), ElementsAre(v1::LAB_UNIT_GRAMS_PER_LITRE));
  EXPECT_THAT(units(v1::ANALYTE_MEAN_CORPUSCULAR_VOLUME), ElementsAre(v1::LAB_UNIT_FEMTOLITRES));
  EXPECT_THAT(units(v1::ANALYTE_UNSPECIFIED), IsEmpty());
  EXPECT_THAT(units(static_cast<v1::Analyte>(99)), IsEmpty());

  // Every enum value of the contract has an entry above (a new analyte must be added).
  for (int a = v1::Analyte_MIN + 1; a <= v1::Analyte_MAX; ++a) {
    EXPECT_FALSE(UnitsFor(static_cast<v1::Analyte>(a)).empty()) << a;
  }
  for (int a = v1::Analyte_MIN; a <= v1::Analyte_MAX; ++a) {
    const auto analyte = static_cast<v1::Analyte>(a);
    const std::vector<v1::LabUnit> valid = UnitsFor(analyte);
    for (int u = v1::LabUnit_MIN; u <= v1::LabUnit_MAX + 1; ++u) {
      const auto unit = static_cast<v1::LabUnit>(u);
      const bool listed = std::find(valid.begin(), valid.end(), unit) != valid.end();
      EXPECT_EQ(IsUnitValidFor(analyte, unit), listed) << a << " " << u;
    }
  }
}

std::string Convert(const char* value, v1::Analyte analyte, v1::LabUnit from, v1::LabUnit to) {
  std::optional<Decimal> converted = ConvertLabValue(*Decimal::Parse(value), analyte, from, to);
  return converted ? converted->ToString() : "invalid";
}

TEST(LabUnitsTest, Conversions) {
  const v1::Analyte b12 = v1::ANALYTE_TOTAL_B12;
  EXPECT_EQ(
      Convert("250", b12, v1::LAB_UNIT_PICOGRAMS_PER_MILLILITRE, v1::LAB_UNIT_NANOGRAMS_PER_LITRE),
      "250");
  EXPECT_EQ(
      Convert("0.18", b12, v1::LAB_UNIT_MICROGRAMS_PER_LITRE, v1::LAB_UNIT_NANOGRAMS_PER_LITRE),
      "180");
  EXPECT_EQ(Convert("100", b12, v1::LAB_UNIT_PICOMOLES_PER_LITRE, v1::LAB_UNIT_NANOGRAMS_PER_LITRE),
            "135.5");
  EXPECT_EQ(Convert("0.1", b12, v1::LAB_UNIT_NANOMOLES_PER_LITRE, v1::LAB_UNIT_NANOGRAMS_PER_LITRE),
            "135.5");
  EXPECT_EQ(
      Convert("135.5", b12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, v1::LAB_UNIT_PICOMOLES_PER_LITRE),
      "100");
  EXPECT_EQ(Convert("180", b12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, v1::LAB_UNIT_PICOMOLES_PER_LITRE),
            "132.8413");
  EXPECT_EQ(Convert("1", b12, v1::LAB_UNIT_NANOMOLES_PER_LITRE, v1::LAB_UNIT_PICOMOLES_PER_LITRE),
            "1000");
  EXPECT_EQ(Convert("0.07", v1::ANALYTE_ACTIVE_B12, v1::LAB_UNIT_NANOMOLES_PER_LITRE,
                    v1::LAB_UNIT_PICOMOLES_PER_LITRE),
            "70");
  EXPECT_EQ(Convert("10", v1::ANALYTE_SERUM_FOLATE, v1::LAB_UNIT_NANOMOLES_PER_LITRE,
                    v1::LAB_UNIT_MICROGRAMS_PER_LITRE),
            "4.414");
  EXPECT_EQ(Convert("3", v1::ANALYTE_SERUM_FOLATE, v1::LAB_UNIT_MICROGRAMS_PER_LITRE,
                    v1::LAB_UNIT_NANOMOLES_PER_LITRE),
            "6.7966");
  EXPECT_EQ(Convert("0.3", v1::ANALYTE_METHYLMALONIC_ACID, v1::LAB_UNIT_MICROMOLES_PER_LITRE,
                    v1::LAB_UNIT_NANOMOLES_PER_LITRE),
            "300");
  EXPECT_EQ(Convert("4.1", v1::ANALYTE_POTASSIUM, v1::LAB_UNIT_MILLIMOLES_PER_LITRE,
                    v1::LAB_UNIT_MILLIMOLES_PER_LITRE),
            "4.1");
}

TEST(LabUnitsTest, ConversionRefusesUnitsNotValidForTheAnalyte) {
  EXPECT_EQ(Convert("30", v1::ANALYTE_ACTIVE_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE,
                    v1::LAB_UNIT_PICOMOLES_PER_LITRE),
            "invalid");
  EXPECT_EQ(Convert("4", v1::ANALYTE_POTASSIUM, v1::LAB_UNIT_NANOGRAMS_PER_LITRE,
                    v1::LAB_UNIT_MILLIMOLES_PER_LITRE),
            "invalid");
  EXPECT_EQ(Convert("200", v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE,
                    v1::LAB_UNIT_FEMTOLITRES),
            "invalid");
  EXPECT_EQ(Convert("200", v1::ANALYTE_UNSPECIFIED, v1::LAB_UNIT_NANOGRAMS_PER_LITRE,
                    v1::LAB_UNIT_NANOGRAMS_PER_LITRE),
            "invalid");
}

}  // namespace
}  // namespace clinic::patient::domain
