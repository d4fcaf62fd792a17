#pragma once

// Reference ranges as data: each laboratory's thresholds per analyte, falling back to the
// default laboratory ("laboratories/default", seeded with the NICE NG239 adult defaults)
// for an analyte the laboratory has no range for.
//
// Seeded defaults (DefaultReferenceRanges()):
//   analyte           unit    deficient below   indeterminate up to (incl.)   source
//   total B12         ng/L    180               350                            NICE NG239
//   active B12        pmol/L  25                70                             NICE NG239
//   serum folate      µg/L    3.0               4.5                            BSH 2014 folate
//   red cell folate   µg/L    150               150 (no indeterminate band)    BSH 2014 folate
// The folate defaults are the British Society for Haematology's cobalamin and folate
// guideline (2014): serum folate < 3 µg/L (7 nmol/L) indicates deficiency and 3-4.5 µg/L
// (7-10 nmol/L) is indeterminate; red cell folate < 150 µg/L (340 nmol/L) indicates
// deficiency. Other analytes (MMA, homocysteine, potassium, haemoglobin, MCV) have no
// default: their results are recorded NOT_INTERPRETED unless a laboratory adds a range.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clinic/patient/v1/lab.pb.h"
#include "common/status/status.h"
#include "services/patient/domain/decimal.h"

namespace clinic::patient::domain {

// The name of the laboratory whose ranges apply when a laboratory has none of its own.
inline constexpr std::string_view kDefaultLaboratory = "laboratories/default";

// A laboratory's thresholds for one analyte, in one unit (clinic.patient.v1
// ReferenceRange). A value v converted to `unit` reads: v < deficient_below: DEFICIENT;
// deficient_below <= v <= indeterminate_up_to: INDETERMINATE; above: NORMAL; above
// high_above (when set): HIGH.
struct ReferenceRange {
  v1::Analyte analyte = v1::ANALYTE_UNSPECIFIED;
  v1::LabUnit unit = v1::LAB_UNIT_UNSPECIFIED;
  Decimal deficient_below;
  Decimal indeterminate_up_to;
  std::optional<Decimal> high_above;
  std::string source;

  friend bool operator==(const ReferenceRange&, const ReferenceRange&) = default;
};

// Longest ReferenceRange.source and Laboratory.display_name, in code points.
inline constexpr std::size_t kMaxRangeSourceLength = 200;
inline constexpr std::size_t kMaxLaboratoryDisplayNameLength = 200;

// The seeded default ranges (table above).
std::vector<ReferenceRange> DefaultReferenceRanges();

// The seeded default laboratory: name kDefaultLaboratory, display name "Default (NICE
// NG239 adult thresholds)", the default ranges. Output-only fields other than name unset.
v1::Laboratory DefaultLaboratory();

// Checks one range: analyte known and set; unit valid for the analyte (lab_units.h);
// deficient_below a positive decimal; indeterminate_up_to a decimal not below it;
// high_above, when set, a decimal above indeterminate_up_to; source at most 200 code
// points. Violations name `field` + ".analyte", ".unit", ".deficient_below"...
void ValidateReferenceRange(const v1::ReferenceRange& range, std::string_view field,
                            status::FieldViolations& violations);

// Checks a laboratory's input fields (CreateLaboratory; UpdateLaboratory passes the
// fields named by its mask): display_name required (1-200 code points), every range
// valid and at most one range per analyte ("<prefix>.reference_ranges[i]...").
void ValidateLaboratory(const v1::Laboratory& laboratory, std::string_view prefix,
                        status::FieldViolations& violations);

// The domain value of a proto range; INVALID_ARGUMENT (field violations under
// "reference_range") if ValidateReferenceRange would reject it.
absl::StatusOr<ReferenceRange> FromProto(const v1::ReferenceRange& range);

// The proto of a range, decimals in their shortest form.
v1::ReferenceRange ToProto(const ReferenceRange& range);

// The ranges in force, per laboratory. Build one from the stored laboratories (or keep
// one up to date as they change); look up with Find(). Not thread-safe for writes;
// concurrent Find() calls on an unchanging table are safe.
class ReferenceRanges {
 public:
  // A table whose default laboratory has DefaultReferenceRanges() and that knows no
  // other laboratory.
  ReferenceRanges();

  // A table of `laboratories` (their reference_ranges); the one named kDefaultLaboratory,
  // if present, replaces the seeded defaults. INVALID_ARGUMENT naming the laboratory if
  // one of them holds an invalid range or two ranges for one analyte.
  static absl::StatusOr<ReferenceRanges> FromLaboratories(
      const std::vector<v1::Laboratory>& laboratories);

  // Sets (replaces) the ranges of `laboratory` ("laboratories/{id}"). INVALID_ARGUMENT,
  // changing nothing, if a range is invalid or two ranges share an analyte.
  absl::Status SetLaboratory(std::string laboratory, std::vector<ReferenceRange> ranges);

  // The range for `analyte` of `laboratory`, else the default laboratory's, else nullptr.
  // The pointer is valid until the table changes.
  const ReferenceRange* Find(std::string_view laboratory, v1::Analyte analyte) const;

 private:
  absl::flat_hash_map<std::string, std::vector<ReferenceRange>> ranges_;
};

}  // namespace clinic::patient::domain
