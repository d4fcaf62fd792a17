#include "services/patient/domain/clinical_profile_validation.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "services/patient/domain/field_checks.h"

namespace clinic::patient::domain {
namespace {

constexpr std::string_view kUpdatablePaths[] = {
    "diet",        "conditions",         "symptoms", "contraindications",
    "medications", "on_b12_replacement", "pregnant", "notes"};

std::string Element(std::string_view prefix, std::string_view field, int i) {
  return FieldPath(prefix, std::string(field) + "[" + std::to_string(i) + "]");
}

// Conditions and symptoms share a shape: a code (each at most once) and a note required
// for the OTHER code.
template <typename Items, typename IsValid>
void CheckCodedItems(const Items& items, std::string_view field, int other_code, IsValid is_valid,
                     std::string_view prefix, status::FieldViolations& violations) {
  std::vector<int> seen;
  for (int i = 0; i < items.size(); ++i) {
    const std::string path = Element(prefix, field, i);
    const int code = items.Get(i).code();
    if (code == 0 || !is_valid(code)) {
      violations.Add(FieldPath(path, "code"), "must be set to a known code");
    } else if (std::find(seen.begin(), seen.end(), code) != seen.end()) {
      violations.Add(FieldPath(path, "code"), "is listed more than once");
    }
    seen.push_back(code);
    if (code == other_code) {
      CheckRequiredText(items.Get(i).note(), kMaxProfileItemNoteLength, TextKind::kMultiLine,
                        FieldPath(path, "note"), violations);
    } else {
      CheckOptionalText(items.Get(i).note(), kMaxProfileItemNoteLength, TextKind::kMultiLine,
                        FieldPath(path, "note"), violations);
    }
  }
}

void CheckContraindications(const v1::ClinicalProfile& profile, std::string_view prefix,
                            status::FieldViolations& violations) {
  std::vector<std::pair<int, int>> seen;
  for (int i = 0; i < profile.contraindications_size(); ++i) {
    const v1::Contraindication& c = profile.contraindications(i);
    const std::string path = Element(prefix, "contraindications", i);
    if (c.code() == v1::CONTRAINDICATION_CODE_UNSPECIFIED ||
        !v1::ContraindicationCode_IsValid(c.code())) {
      violations.Add(FieldPath(path, "code"), "must be set to a known code");
    }
    if (!v1::Substance_IsValid(c.substance())) {
      violations.Add(FieldPath(path, "substance"), "must be a known substance");
    } else if (c.code() == v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY &&
               c.substance() == v1::SUBSTANCE_UNSPECIFIED) {
      violations.Add(FieldPath(path, "substance"), "is required for a hypersensitivity");
    }
    const bool note_required =
        c.code() == v1::CONTRAINDICATION_CODE_OTHER || c.substance() == v1::SUBSTANCE_OTHER;
    if (note_required) {
      CheckRequiredText(c.note(), kMaxProfileItemNoteLength, TextKind::kMultiLine,
                        FieldPath(path, "note"), violations);
    } else {
      CheckOptionalText(c.note(), kMaxProfileItemNoteLength, TextKind::kMultiLine,
                        FieldPath(path, "note"), violations);
    }
    const std::pair<int, int> key{c.code(), c.substance()};
    // OTHER entries differ by their notes; every other pair may appear once.
    if (c.code() != v1::CONTRAINDICATION_CODE_OTHER && c.substance() != v1::SUBSTANCE_OTHER &&
        std::find(seen.begin(), seen.end(), key) != seen.end()) {
      violations.Add(path, "repeats an earlier entry with the same code and substance");
    }
    seen.push_back(key);
  }
}

void CheckField(std::string_view name, const v1::ClinicalProfile& profile, std::string_view prefix,
                status::FieldViolations& violations) {
  if (name == "diet") {
    if (!v1::Diet_IsValid(profile.diet())) {
      violations.Add(FieldPath(prefix, "diet"), "must be a known Diet value");
    }
  } else if (name == "conditions") {
    CheckCodedItems(profile.conditions(), "conditions", v1::CONDITION_CODE_OTHER,
                    v1::ConditionCode_IsValid, prefix, violations);
  } else if (name == "symptoms") {
    CheckCodedItems(profile.symptoms(), "symptoms", v1::SYMPTOM_CODE_OTHER, v1::SymptomCode_IsValid,
                    prefix, violations);
  } else if (name == "contraindications") {
    CheckContraindications(profile, prefix, violations);
  } else if (name == "medications") {
    for (int i = 0; i < profile.medications_size(); ++i) {
      const std::string path = Element(prefix, "medications", i);
      CheckRequiredText(profile.medications(i).display_name(), kMaxMedicationNameLength,
                        TextKind::kSingleLine, FieldPath(path, "display_name"), violations);
      CheckOptionalText(profile.medications(i).note(), kMaxProfileItemNoteLength,
                        TextKind::kMultiLine, FieldPath(path, "note"), violations);
    }
  } else if (name == "notes") {
    CheckOptionalText(profile.notes(), kMaxProfileNotesLength, TextKind::kMultiLine,
                      FieldPath(prefix, "notes"), violations);
  }
  // on_b12_replacement and pregnant are booleans: nothing to check.
}

}  // namespace

void ValidateClinicalProfile(const v1::ClinicalProfile& profile, std::string_view prefix,
                             status::FieldViolations& violations) {
  for (std::string_view field : kUpdatablePaths) CheckField(field, profile, prefix, violations);
}

void ValidateClinicalProfileUpdate(const v1::ClinicalProfile& profile,
                                   const google::protobuf::FieldMask& update_mask,
                                   std::string_view prefix, status::FieldViolations& violations) {
  for (std::string_view path : UpdateMaskPaths(update_mask, kUpdatablePaths, violations)) {
    CheckField(path, profile, prefix, violations);
  }
}

}  // namespace clinic::patient::domain
