#include "services/patient/domain/reference_ranges.h"

#include <algorithm>
#include <utility>

#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/lab_units.h"

namespace clinic::patient::domain {
namespace {

constexpr char kNiceSource[] = "NICE NG239";
constexpr char kBshFolateSource[] = "BSH cobalamin and folate guideline 2014";

ReferenceRange MakeRange(v1::Analyte analyte, v1::LabUnit unit, std::string_view below,
                         std::string_view up_to, const char* source) {
  ReferenceRange range;
  range.analyte = analyte;
  range.unit = unit;
  range.deficient_below = *Decimal::Parse(below);
  range.indeterminate_up_to = *Decimal::Parse(up_to);
  range.source = source;
  return range;
}

// Checks a range's content; `field` is the path of the range itself.
void CheckRange(const ReferenceRange& range, std::string_view field,
                status::FieldViolations& violations) {
  if (!range.deficient_below.is_positive()) {
    violations.Add(FieldPath(field, "deficient_below"), "must be positive");
  }
  if (range.indeterminate_up_to < range.deficient_below) {
    violations.Add(FieldPath(field, "indeterminate_up_to"), "must not be below deficient_below");
  }
  if (range.high_above && *range.high_above <= range.indeterminate_up_to) {
    violations.Add(FieldPath(field, "high_above"), "must be above indeterminate_up_to");
  }
}

// Parses a Decimal field; a violation if it is missing or malformed.
std::optional<Decimal> ParseDecimalField(bool present, const type::v1::Decimal& value,
                                         std::string field, status::FieldViolations& violations) {
  if (!present || value.value().empty()) {
    violations.Add(std::move(field), "is required");
    return std::nullopt;
  }
  std::optional<Decimal> parsed = Decimal::Parse(value.value());
  if (!parsed)
    violations.Add(std::move(field), "must be a decimal number such as \"180\" or \"2.5\"");
  return parsed;
}

std::optional<ReferenceRange> ParseRange(const v1::ReferenceRange& proto, std::string_view field,
                                         status::FieldViolations& violations) {
  const std::size_t before = violations.violations().size();
  ReferenceRange range;
  range.analyte = proto.analyte();
  range.unit = proto.unit();
  if (proto.analyte() == v1::ANALYTE_UNSPECIFIED || !v1::Analyte_IsValid(proto.analyte())) {
    violations.Add(FieldPath(field, "analyte"), "must be a known analyte");
  } else if (!IsUnitValidFor(proto.analyte(), proto.unit())) {
    violations.Add(FieldPath(field, "unit"), "must be a unit valid for the analyte");
  }
  std::optional<Decimal> below =
      ParseDecimalField(proto.has_deficient_below(), proto.deficient_below(),
                        FieldPath(field, "deficient_below"), violations);
  std::optional<Decimal> up_to =
      ParseDecimalField(proto.has_indeterminate_up_to(), proto.indeterminate_up_to(),
                        FieldPath(field, "indeterminate_up_to"), violations);
  if (proto.has_high_above() && !proto.high_above().value().empty()) {
    range.high_above =
        ParseDecimalField(true, proto.high_above(), FieldPath(field, "high_above"), violations);
    if (!range.high_above) return std::nullopt;
  }
  CheckOptionalText(proto.source(), kMaxRangeSourceLength, TextKind::kSingleLine,
                    FieldPath(field, "source"), violations);
  if (!below || !up_to) return std::nullopt;
  range.deficient_below = *below;
  range.indeterminate_up_to = *up_to;
  range.source = proto.source();
  CheckRange(range, field, violations);
  if (violations.violations().size() != before) return std::nullopt;
  return range;
}

}  // namespace

std::vector<ReferenceRange> DefaultReferenceRanges() {
  return {
      MakeRange(v1::ANALYTE_TOTAL_B12, v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "180", "350", kNiceSource),
      MakeRange(v1::ANALYTE_ACTIVE_B12, v1::LAB_UNIT_PICOMOLES_PER_LITRE, "25", "70", kNiceSource),
      MakeRange(v1::ANALYTE_SERUM_FOLATE, v1::LAB_UNIT_MICROGRAMS_PER_LITRE, "3", "4.5",
                kBshFolateSource),
      MakeRange(v1::ANALYTE_RED_CELL_FOLATE, v1::LAB_UNIT_MICROGRAMS_PER_LITRE, "150", "150",
                kBshFolateSource),
  };
}

v1::Laboratory DefaultLaboratory() {
  v1::Laboratory laboratory;
  laboratory.set_name(std::string(kDefaultLaboratory));
  laboratory.set_display_name("Default (NICE NG239 adult thresholds)");
  for (const ReferenceRange& range : DefaultReferenceRanges()) {
    *laboratory.add_reference_ranges() = ToProto(range);
  }
  return laboratory;
}

void ValidateReferenceRange(const v1::ReferenceRange& range, std::string_view field,
                            status::FieldViolations& violations) {
  ParseRange(range, field, violations);
}

void ValidateLaboratory(const v1::Laboratory& laboratory, std::string_view prefix,
                        status::FieldViolations& violations) {
  CheckRequiredText(laboratory.display_name(), kMaxLaboratoryDisplayNameLength,
                    TextKind::kSingleLine, FieldPath(prefix, "display_name"), violations);
  std::vector<v1::Analyte> seen;
  for (int i = 0; i < laboratory.reference_ranges_size(); ++i) {
    const std::string field = FieldPath(prefix, "reference_ranges[" + std::to_string(i) + "]");
    const v1::ReferenceRange& range = laboratory.reference_ranges(i);
    ValidateReferenceRange(range, field, violations);
    if (range.analyte() == v1::ANALYTE_UNSPECIFIED) continue;
    if (std::find(seen.begin(), seen.end(), range.analyte()) != seen.end()) {
      violations.Add(FieldPath(field, "analyte"), "has another range in this laboratory");
    }
    seen.push_back(range.analyte());
  }
}

absl::StatusOr<ReferenceRange> FromProto(const v1::ReferenceRange& range) {
  status::FieldViolations violations;
  std::optional<ReferenceRange> parsed = ParseRange(range, "reference_range", violations);
  if (!parsed) return violations.ToStatus();
  return *std::move(parsed);
}

v1::ReferenceRange ToProto(const ReferenceRange& range) {
  v1::ReferenceRange proto;
  proto.set_analyte(range.analyte);
  proto.set_unit(range.unit);
  proto.mutable_deficient_below()->set_value(range.deficient_below.ToString());
  proto.mutable_indeterminate_up_to()->set_value(range.indeterminate_up_to.ToString());
  if (range.high_above) proto.mutable_high_above()->set_value(range.high_above->ToString());
  proto.set_source(range.source);
  return proto;
}

ReferenceRanges::ReferenceRanges() {
  ranges_[std::string(kDefaultLaboratory)] = DefaultReferenceRanges();
}

absl::StatusOr<ReferenceRanges> ReferenceRanges::FromLaboratories(
    const std::vector<v1::Laboratory>& laboratories) {
  ReferenceRanges table;
  for (const v1::Laboratory& laboratory : laboratories) {
    status::FieldViolations violations;
    std::vector<ReferenceRange> ranges;
    for (int i = 0; i < laboratory.reference_ranges_size(); ++i) {
      const std::string field = laboratory.name() + ".reference_ranges[" + std::to_string(i) + "]";
      if (std::optional<ReferenceRange> range =
              ParseRange(laboratory.reference_ranges(i), field, violations)) {
        ranges.push_back(*std::move(range));
      }
    }
    if (!violations.empty()) return violations.ToStatus();
    if (absl::Status s = table.SetLaboratory(laboratory.name(), std::move(ranges)); !s.ok()) {
      return s;
    }
  }
  return table;
}

absl::Status ReferenceRanges::SetLaboratory(std::string laboratory,
                                            std::vector<ReferenceRange> ranges) {
  status::FieldViolations violations;
  std::vector<v1::Analyte> seen;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const std::string field = laboratory + ".reference_ranges[" + std::to_string(i) + "]";
    const ReferenceRange& range = ranges[i];
    if (!IsUnitValidFor(range.analyte, range.unit)) {
      violations.Add(FieldPath(field, "unit"), "must be a unit valid for the analyte");
    }
    CheckRange(range, field, violations);
    if (std::find(seen.begin(), seen.end(), range.analyte) != seen.end()) {
      violations.Add(FieldPath(field, "analyte"), "has another range in this laboratory");
    }
    seen.push_back(range.analyte);
  }
  if (!violations.empty()) return violations.ToStatus();
  ranges_[std::move(laboratory)] = std::move(ranges);
  return absl::OkStatus();
}

const ReferenceRange* ReferenceRanges::Find(std::string_view laboratory,
                                            v1::Analyte analyte) const {
  for (std::string_view name : {laboratory, kDefaultLaboratory}) {
    auto it = ranges_.find(std::string(name));
    if (it == ranges_.end()) continue;
    for (const ReferenceRange& range : it->second) {
      if (range.analyte == analyte) return &range;
    }
  }
  return nullptr;
}

}  // namespace clinic::patient::domain
