#include "services/patient/domain/duplicate_key.h"

#include <optional>

#include "services/patient/domain/contact_address.h"
#include "services/patient/domain/name_folding.h"
#include "services/patient/domain/proto_time.h"

namespace clinic::patient::domain {

DuplicateKey MakeDuplicateKey(const v1::Patient& patient) {
  DuplicateKey key;
  key.given_name = FoldName(patient.given_name());
  key.family_name = FoldName(patient.family_name());
  if (patient.has_birth_date()) {
    if (std::optional<absl::CivilDay> day = ToCivilDay(patient.birth_date())) {
      key.birth_date = FormatIsoDate(*day);
    }
  }
  key.phone_number = NormalisePhoneNumber(patient.phone_number()).value_or("");
  key.email = EmailKey(patient.email()).value_or("");
  return key;
}

bool IsSamePerson(const DuplicateKey& a, const DuplicateKey& b) {
  if (a.given_name.empty() || a.family_name.empty() || a.birth_date.empty()) return false;
  if (a.given_name != b.given_name || a.family_name != b.family_name ||
      a.birth_date != b.birth_date) {
    return false;
  }
  return (!a.phone_number.empty() && a.phone_number == b.phone_number) ||
         (!a.email.empty() && a.email == b.email);
}

}  // namespace clinic::patient::domain
