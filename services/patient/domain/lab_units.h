#pragma once

// Which units a laboratory may report each analyte in, and the conversions between them
// used to compare a value with a reference range expressed in another unit. Values are
// stored as reported; conversion happens only for comparison.
//
//   analyte                 accepted units                  conversion
//   total B12               ng/L, pg/mL, µg/L,              ng/L = pg/mL; 1 µg/L = 1000 ng/L;
//                           pmol/L, nmol/L                  1 pmol/L = 1.355 ng/L (cobalamin,
//                                                           ~1355 g/mol); 1 nmol/L = 1000 pmol/L
//   active B12 (holoTC)     pmol/L, nmol/L                  1 nmol/L = 1000 pmol/L
//   serum / red cell folate µg/L (= ng/mL), nmol/L          1 nmol/L = 0.4414 µg/L (folic acid,
//                                                           441.4 g/mol; 1 µg/L ≈ 2.266 nmol/L)
//   methylmalonic acid      nmol/L, µmol/L                  1 µmol/L = 1000 nmol/L
//   homocysteine            µmol/L                          —
//   potassium               mmol/L                          —
//   haemoglobin             g/L                             —
//   MCV                     fL                              —
//
// Holotranscobalamin is reported in molar units only; a mass unit for it, or any unit not
// listed for an analyte (e.g. potassium in ng/L), makes no sense and is refused.

#include <optional>
#include <vector>

#include "clinic/patient/v1/lab.pb.h"
#include "services/patient/domain/decimal.h"

namespace clinic::patient::domain {

// Fraction digits kept when a conversion does not give a terminating decimal (e.g.
// ng/L -> pmol/L divides by 1.355); such results are rounded half away from zero.
inline constexpr int kConvertedValueMaxScale = 4;

// True if `unit` is accepted for `analyte` (false for the UNSPECIFIED values and for
// values this build does not know).
bool IsUnitValidFor(v1::Analyte analyte, v1::LabUnit unit);

// The units accepted for `analyte`, in the order of the table above (empty for
// ANALYTE_UNSPECIFIED and unknown values).
std::vector<v1::LabUnit> UnitsFor(v1::Analyte analyte);

// `value` (in unit `from`) expressed in unit `to`: exact where the result is a
// terminating decimal, otherwise rounded to kConvertedValueMaxScale fraction digits.
// nullopt if either unit is not valid for `analyte`.
std::optional<Decimal> ConvertLabValue(const Decimal& value, v1::Analyte analyte, v1::LabUnit from,
                                       v1::LabUnit to);

}  // namespace clinic::patient::domain
