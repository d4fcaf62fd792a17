#include "services/patient/domain/patient_validation.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/patient/domain/contact_address.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/proto_time.h"
#include "services/patient/domain/text.h"

namespace clinic::patient::domain {
namespace {

constexpr std::size_t kMaxAddressLines = 4;
constexpr std::size_t kMaxAddressLineLength = 200;
constexpr std::size_t kMaxLocalityLength = 100;
constexpr std::size_t kMaxPostalCodeLength = 20;
constexpr std::size_t kMaxLanguageCodeLength = 35;

constexpr std::string_view kUpdatablePaths[] = {
    "given_name",   "family_name", "birth_date",     "sex",
    "phone_number", "email",       "postal_address", "language_code"};

bool IsBlank(std::string_view text) { return TrimSpace(text).empty(); }

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiAlnum(char c) { return IsAsciiLetter(c) || (c >= '0' && c <= '9'); }

bool IsLanguageTag(std::string_view tag) {
  if (tag.size() > kMaxLanguageCodeLength) return false;
  bool first = true;
  while (true) {
    const std::size_t dash = tag.find('-');
    const std::string_view subtag = tag.substr(0, dash);
    if (first) {
      if (subtag.size() < 2 || subtag.size() > 3) return false;
      if (!std::all_of(subtag.begin(), subtag.end(), IsAsciiLetter)) return false;
      first = false;
    } else {
      if (subtag.empty() || subtag.size() > 8) return false;
      if (!std::all_of(subtag.begin(), subtag.end(), IsAsciiAlnum)) return false;
    }
    if (dash == std::string_view::npos) return true;
    tag.remove_prefix(dash + 1);
  }
}

void CheckField(std::string_view name, const v1::Patient& patient, absl::CivilDay today,
                std::string_view prefix, status::FieldViolations& violations) {
  if (name == "given_name") {
    CheckPersonName(patient.given_name(), FieldPath(prefix, name), violations);
  } else if (name == "family_name") {
    CheckPersonName(patient.family_name(), FieldPath(prefix, name), violations);
  } else if (name == "birth_date") {
    CheckBirthDate(patient.has_birth_date(), patient.birth_date(), today, FieldPath(prefix, name),
                   violations);
  } else if (name == "sex") {
    if (!v1::Sex_IsValid(patient.sex())) {
      violations.Add(FieldPath(prefix, name), "must be a known Sex value");
    }
  } else if (name == "phone_number") {
    CheckPhoneNumber(patient.phone_number(), FieldPath(prefix, name), violations);
  } else if (name == "email") {
    CheckEmail(patient.email(), FieldPath(prefix, name), violations);
  } else if (name == "postal_address") {
    if (patient.has_postal_address()) {
      CheckPostalAddress(patient.postal_address(), FieldPath(prefix, name), violations);
    }
  } else if (name == "language_code") {
    CheckLanguageCode(patient.language_code(), FieldPath(prefix, name), violations);
  }
}

void CheckHasContact(bool has_phone, bool has_email, std::string_view prefix,
                     status::FieldViolations& violations) {
  if (has_phone || has_email) return;
  for (std::string_view field : {"phone_number", "email"}) {
    violations.Add(FieldPath(prefix, field), "at least one of phone_number and email is required");
  }
}

}  // namespace

void CheckPersonName(std::string_view name, std::string field,
                     status::FieldViolations& violations) {
  CheckRequiredText(name, kMaxPersonNameLength, TextKind::kSingleLine, std::move(field),
                    violations);
}

void CheckBirthDate(bool present, const type::v1::Date& date, absl::CivilDay today,
                    std::string field, status::FieldViolations& violations) {
  if (!present) {
    violations.Add(std::move(field), "is required");
    return;
  }
  const std::optional<absl::CivilDay> day = ToCivilDay(date);
  if (!day) {
    violations.Add(std::move(field), "must be a real calendar date");
  } else if (*day < kEarliestBirthDate) {
    violations.Add(std::move(field), "must not be before 1900-01-01");
  } else if (*day > today) {
    violations.Add(std::move(field), "must not be in the future");
  }
}

void CheckPhoneNumber(std::string_view phone_number, std::string field,
                      status::FieldViolations& violations) {
  if (IsBlank(phone_number)) return;
  if (!NormalisePhoneNumber(phone_number)) {
    violations.Add(std::move(field),
                   "must be an international number in E.164 form: + then 8 to 15 digits, "
                   "the first not 0 (spaces, dashes, dots and parentheses are ignored)");
  }
}

void CheckEmail(std::string_view email, std::string field, status::FieldViolations& violations) {
  if (IsBlank(email)) return;
  if (TrimSpace(email).size() > kMaxEmailLength) {
    violations.Add(std::move(field), "must be at most 254 characters");
  } else if (!NormaliseEmail(email)) {
    violations.Add(std::move(field), "must be an email address such as name@example.org");
  }
}

void CheckLanguageCode(std::string_view language_code, std::string field,
                       status::FieldViolations& violations) {
  if (language_code.empty()) return;
  if (!IsLanguageTag(language_code)) {
    violations.Add(std::move(field), "must be a BCP-47 language tag such as \"en-GB\"");
  }
}

void CheckPostalAddress(const v1::PostalAddress& address, std::string_view prefix,
                        status::FieldViolations& violations) {
  const int lines = address.address_lines_size();
  if (lines < 1 || static_cast<std::size_t>(lines) > kMaxAddressLines) {
    violations.Add(FieldPath(prefix, "address_lines"), "must hold 1 to 4 lines");
  }
  for (int i = 0; i < lines; ++i) {
    CheckRequiredText(address.address_lines(i), kMaxAddressLineLength, TextKind::kSingleLine,
                      FieldPath(prefix, "address_lines[" + std::to_string(i) + "]"), violations);
  }
  CheckOptionalText(address.locality(), kMaxLocalityLength, TextKind::kSingleLine,
                    FieldPath(prefix, "locality"), violations);
  CheckOptionalText(address.administrative_area(), kMaxLocalityLength, TextKind::kSingleLine,
                    FieldPath(prefix, "administrative_area"), violations);
  CheckOptionalText(address.postal_code(), kMaxPostalCodeLength, TextKind::kSingleLine,
                    FieldPath(prefix, "postal_code"), violations);
  const std::string_view region = TrimSpace(address.region_code());
  if (region.size() != 2 || !IsAsciiLetter(region[0]) || !IsAsciiLetter(region[1])) {
    violations.Add(FieldPath(prefix, "region_code"),
                   "is required: an ISO 3166-1 alpha-2 code such as \"GB\"");
  }
}

void ValidateNewPatient(const v1::Patient& patient, absl::CivilDay today, std::string_view prefix,
                        status::FieldViolations& violations) {
  for (std::string_view field : kUpdatablePaths) {
    CheckField(field, patient, today, prefix, violations);
  }
  CheckHasContact(!IsBlank(patient.phone_number()), !IsBlank(patient.email()), prefix, violations);
}

void ValidatePatientUpdate(const v1::Patient& patient,
                           const google::protobuf::FieldMask& update_mask,
                           const v1::Patient& current, absl::CivilDay today,
                           std::string_view prefix, status::FieldViolations& violations) {
  const std::vector<std::string_view> named =
      UpdateMaskPaths(update_mask, kUpdatablePaths, violations);
  if (named.empty()) return;
  bool phone_named = false;
  bool email_named = false;
  for (std::string_view path : named) {
    phone_named |= path == "phone_number";
    email_named |= path == "email";
    CheckField(path, patient, today, prefix, violations);
  }
  const bool has_phone = !IsBlank(phone_named ? patient.phone_number() : current.phone_number());
  const bool has_email = !IsBlank(email_named ? patient.email() : current.email());
  CheckHasContact(has_phone, has_email, prefix, violations);
}

void CanonicalisePatient(v1::Patient& patient) {
  const auto trim = [](std::string* text) { *text = std::string(TrimSpace(*text)); };
  trim(patient.mutable_given_name());
  trim(patient.mutable_family_name());
  if (IsBlank(patient.phone_number())) {
    patient.clear_phone_number();
  } else if (std::optional<std::string> phone = NormalisePhoneNumber(patient.phone_number())) {
    patient.set_phone_number(*phone);
  }
  if (IsBlank(patient.email())) {
    patient.clear_email();
  } else if (std::optional<std::string> email = NormaliseEmail(patient.email())) {
    patient.set_email(*email);
  }
  trim(patient.mutable_language_code());
  if (patient.has_postal_address()) {
    v1::PostalAddress& address = *patient.mutable_postal_address();
    for (std::string& line : *address.mutable_address_lines()) trim(&line);
    trim(address.mutable_locality());
    trim(address.mutable_administrative_area());
    trim(address.mutable_postal_code());
    trim(address.mutable_region_code());
    for (char& c : *address.mutable_region_code()) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
    }
  }
}

}  // namespace clinic::patient::domain
