#include "services/patient/domain/lab_units.h"

#include <cstdint>

namespace clinic::patient::domain {
namespace {

// A value in `unit` is value * numerator / denominator in the analyte's base unit (the
// first unit listed for it).
struct UnitFactor {
  v1::Analyte analyte;
  v1::LabUnit unit;
  std::uint32_t numerator;
  std::uint32_t denominator;
};

constexpr UnitFactor kUnitFactors[] = {
    // Total B12: base ng/L.
    {v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, 1, 1},
    {v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_PICOGRAMS_PER_MILLILITRE, 1, 1},
    {v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_MICROGRAMS_PER_LITRE, 1000, 1},
    {v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_PICOMOLES_PER_LITRE, 1355, 1000},
    {v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOMOLES_PER_LITRE, 1355, 1},
    // Active B12 (holotranscobalamin): base pmol/L.
    {v1::ANALYTE_ACTIVE_B12, v1::LAB_UNIT_PICOMOLES_PER_LITRE, 1, 1},
    {v1::ANALYTE_ACTIVE_B12, v1::LAB_UNIT_NANOMOLES_PER_LITRE, 1000, 1},
    // Folate: base µg/L.
    {v1::ANALYTE_SERUM_FOLATE, v1::LAB_UNIT_MICROGRAMS_PER_LITRE, 1, 1},
    {v1::ANALYTE_SERUM_FOLATE, v1::LAB_UNIT_NANOMOLES_PER_LITRE, 4414, 10000},
    {v1::ANALYTE_RED_CELL_FOLATE, v1::LAB_UNIT_MICROGRAMS_PER_LITRE, 1, 1},
    {v1::ANALYTE_RED_CELL_FOLATE, v1::LAB_UNIT_NANOMOLES_PER_LITRE, 4414, 10000},
    // Methylmalonic acid: base nmol/L.
    {v1::ANALYTE_METHYLMALONIC_ACID, v1::LAB_UNIT_NANOMOLES_PER_LITRE, 1, 1},
    {v1::ANALYTE_METHYLMALONIC_ACID, v1::LAB_UNIT_MICROMOLES_PER_LITRE, 1000, 1},
    // One unit each.
    {v1::ANALYTE_HOMOCYSTEINE, v1::LAB_UNIT_MICROMOLES_PER_LITRE, 1, 1},
    {v1::ANALYTE_POTASSIUM, v1::LAB_UNIT_MILLIMOLES_PER_LITRE, 1, 1},
    {v1::ANALYTE_HAEMOGLOBIN, v1::LAB_UNIT_GRAMS_PER_LITRE, 1, 1},
    {v1::ANALYTE_MEAN_CORPUSCULAR_VOLUME, v1::LAB_UNIT_FEMTOLITRES, 1, 1},
};

const UnitFactor* FindFactor(v1::Analyte analyte, v1::LabUnit unit) {
  for (const UnitFactor& f : kUnitFactors) {
    if (f.analyte == analyte && f.unit == unit) return &f;
  }
  return nullptr;
}

}  // namespace

bool IsUnitValidFor(v1::Analyte analyte, v1::LabUnit unit) {
  return FindFactor(analyte, unit) != nullptr;
}

std::vector<v1::LabUnit> UnitsFor(v1::Analyte analyte) {
  std::vector<v1::LabUnit> units;
  for (const UnitFactor& f : kUnitFactors) {
    if (f.analyte == analyte) units.push_back(f.unit);
  }
  return units;
}

std::optional<Decimal> ConvertLabValue(const Decimal& value, v1::Analyte analyte, v1::LabUnit from,
                                       v1::LabUnit to) {
  const UnitFactor* f = FindFactor(analyte, from);
  const UnitFactor* t = FindFactor(analyte, to);
  if (f == nullptr || t == nullptr) return std::nullopt;
  if (from == to) return value;
  // value * (f.num / f.den) / (t.num / t.den); every factor is below 2^14, so the
  // products fit in 32 bits.
  return value.MultiplyRatio(f->numerator * t->denominator, f->denominator * t->numerator,
                             kConvertedValueMaxScale);
}

}  // namespace clinic::patient::domain
