#pragma once

// Validation of a patient's demographics and contact details (CreatePatient,
// UpdatePatient, and the single-field checks reused by searches and opt-outs). Every
// rule of clinic.patient.v1.Patient's field comments is checked here; the adapter adds
// nothing but the request envelope (request_id, resource names, etag).
//
// Each function adds one violation per bad field to `violations`, naming the field by
// its proto path below `prefix` (e.g. prefix "patient" -> "patient.given_name",
// "patient.postal_address.address_lines[1]"), and never quotes the value.

#include <cstddef>
#include <string_view>

#include "absl/time/civil_time.h"
#include "clinic/patient/v1/patient.pb.h"
#include "clinic/type/v1/date.pb.h"
#include "common/status/status.h"
#include "google/protobuf/field_mask.pb.h"

namespace clinic::patient::domain {

// Longest given or family name, in code points after trimming.
inline constexpr std::size_t kMaxPersonNameLength = 200;
// The earliest date of birth accepted.
inline constexpr absl::CivilDay kEarliestBirthDate{1900, 1, 1};

// A required given or family name: 1 to kMaxPersonNameLength code points after
// trimming, valid UTF-8, no control characters or line breaks.
void CheckPersonName(std::string_view name, std::string field, status::FieldViolations& violations);

// A required date of birth: set (`present`), a real date, not before kEarliestBirthDate
// and not after `today` (the caller's local date).
void CheckBirthDate(bool present, const type::v1::Date& date, absl::CivilDay today,
                    std::string field, status::FieldViolations& violations);

// An optional phone number: empty, or accepted by NormalisePhoneNumber
// (contact_address.h).
void CheckPhoneNumber(std::string_view phone_number, std::string field,
                      status::FieldViolations& violations);

// An optional email address: empty, or accepted by NormaliseEmail (contact_address.h).
void CheckEmail(std::string_view email, std::string field, status::FieldViolations& violations);

// An optional language tag: empty, or a BCP-47-shaped tag: a 2-3 letter language
// subtag, then "-"-separated subtags of 1-8 letters or digits, 35 characters at most
// (e.g. "en", "en-GB", "cy", "zh-Hant-TW"). The registry of subtags is not consulted.
void CheckLanguageCode(std::string_view language_code, std::string field,
                       status::FieldViolations& violations);

// A postal address: 1 to 4 address lines, each required and at most 200 code points;
// locality and administrative_area at most 100; postal_code at most 20; region_code
// required, two ASCII letters (either case; CanonicalisePatient upper-cases it).
void CheckPostalAddress(const v1::PostalAddress& address, std::string_view prefix,
                        status::FieldViolations& violations);

// Every input field of a new patient (CreatePatient): names, birth date, sex (a known
// value), phone, email, postal address (when present), language code, and "at least one
// of phone_number and email" (reported on both fields). Output-only fields are ignored.
void ValidateNewPatient(const v1::Patient& patient, absl::CivilDay today, std::string_view prefix,
                        status::FieldViolations& violations);

// UpdatePatient: `update_mask` must name at least one path, each one of given_name,
// family_name, birth_date, sex, phone_number, email, postal_address, language_code
// (violations name "update_mask"); each named field of `patient` is checked as on
// creation; and the record as it would be after the update (named fields from `patient`,
// the others from `current`) must keep a phone number or an email address.
void ValidatePatientUpdate(const v1::Patient& patient,
                           const google::protobuf::FieldMask& update_mask,
                           const v1::Patient& current, absl::CivilDay today,
                           std::string_view prefix, status::FieldViolations& violations);

// Rewrites the input fields of a validated patient into their stored form: names and
// address texts trimmed, phone number in E.164, email as NormaliseEmail, region_code
// upper-cased. Fields that would not validate are left as they are.
void CanonicalisePatient(v1::Patient& patient);

}  // namespace clinic::patient::domain
