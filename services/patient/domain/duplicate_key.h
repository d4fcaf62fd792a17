#pragma once

// The duplicate check at registration: two records are the same person when their
// normalised given and family names and their birth dates are equal and they share a
// phone number or an email address (clinic.patient.v1 CreatePatient). The key's parts
// are meant to be stored as index columns, so that the store finds candidates with
//   WHERE given_key = ? AND family_key = ? AND birth_date = ?
//     AND (phone_key = ? OR email_key = ?)
// (an empty phone or email key never matches: store it as NULL).

#include <string>

#include "clinic/patient/v1/patient.pb.h"

namespace clinic::patient::domain {

// The comparison form of one patient's identifying fields.
struct DuplicateKey {
  std::string given_name;    // FoldName(given_name)
  std::string family_name;   // FoldName(family_name)
  std::string birth_date;    // "YYYY-MM-DD"; empty if the birth date is missing or invalid
  std::string phone_number;  // NormalisePhoneNumber, or empty
  std::string email;         // EmailKey, or empty

  friend bool operator==(const DuplicateKey&, const DuplicateKey&) = default;
};

// The key of `patient` (meant for validated input; unparseable parts come out empty).
DuplicateKey MakeDuplicateKey(const v1::Patient& patient);

// True when `a` and `b` denote the same person by the rule above: equal non-empty names
// and birth date, and an equal non-empty phone number or email.
bool IsSamePerson(const DuplicateKey& a, const DuplicateKey& b);

}  // namespace clinic::patient::domain
