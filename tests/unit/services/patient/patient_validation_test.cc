#include "services/patient/domain/patient_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/unit/services/patient/violation_fields.h"
#include "tests/unit/services/patient/test_time.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using ::clinic::patient::testing::kToday;

type::v1::Date Date(int y, int m, int d) {
  type::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

v1::Patient ValidPatient() {
  v1::Patient p;
  p.set_given_name("Ann");
  p.set_family_name("Lee");
  *p.mutable_birth_date() = Date(1980, 3, 1);
  p.set_sex(v1::SEX_FEMALE);
  p.set_phone_number("+447700900123");
  p.set_email("ann@example.org");
  p.set_language_code("en-GB");
  v1::PostalAddress& a = *p.mutable_postal_address();
  a.add_address_lines("1 High Street");
  a.set_locality("Leeds");
  a.set_postal_code("LS1 1AA");
  a.set_region_code("GB");
  return p;
}

std::vector<std::string> NewPatientViolations(const v1::Patient& p) {
  status::FieldViolations v;
  ValidateNewPatient(p, kToday, "patient", v);
  return Fields(v);
}

TEST(ValidateNewPatientTest, AcceptsAValidPatient) {
  EXPECT_THAT(NewPatientViolations(ValidPatient()), IsEmpty());
}

TEST(ValidateNewPatientTest, AcceptsTheMinimum) {
  v1::Patient p;
  p.set_given_name("A");
  p.set_family_name("B");
  *p.mutable_birth_date() = Date(2000, 1, 1);
  p.set_email("a@b.co");
  EXPECT_THAT(NewPatientViolations(p), IsEmpty());
}

struct Mutation {
  std::string name;
  std::function<void(v1::Patient&)> mutate;
  std::vector<std::string> fields;  // the violations expected
};

void PrintTo(const Mutation& m, std::ostream* os) { *os << m.name; }

class NewPatientMutationTest : public ::testing::TestWithParam<Mutation> {};

TEST_P(NewPatientMutationTest, NamesEachBadField) {
  v1::Patient p = ValidPatient();
  GetParam().mutate(p);
  EXPECT_THAT(NewPatientViolations(p), ::testing::UnorderedElementsAreArray(GetParam().fields));
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NewPatientMutationTest,
    ::testing::Values(
        Mutation{"EmptyGivenName", [](v1::Patient& p) { p.clear_given_name(); },
                 {"patient.given_name"}},
        Mutation{"BlankFamilyName", [](v1::Patient& p) { p.set_family_name(" \t\xC2\xA0 "); },
                 {"patient.family_name"}},
        Mutation{"Name200CodePointsOfTwoBytesIsFine",
                 [](v1::Patient& p) { p.set_given_name(Repeat("é", 200)); }, {}},
        Mutation{"Name201CodePoints", [](v1::Patient& p) { p.set_given_name(Repeat("é", 201)); },
                 {"patient.given_name"}},
        Mutation{"Name200AfterTrimming",
                 [](v1::Patient& p) { p.set_given_name("  " + Repeat("a", 200) + "  "); }, {}},
        Mutation{"NameWithLineBreak", [](v1::Patient& p) { p.set_family_name("Lee\nSmith"); },
                 {"patient.family_name"}},
        Mutation{"NameNotUtf8", [](v1::Patient& p) { p.set_given_name("An\xFF"); },
                 {"patient.given_name"}},
        Mutation{"NoBirthDate", [](v1::Patient& p) { p.clear_birth_date(); },
                 {"patient.birth_date"}},
        Mutation{"BirthDateNotReal", [](v1::Patient& p) { *p.mutable_birth_date() = Date(1980, 2, 30); },
                 {"patient.birth_date"}},
        Mutation{"BirthDate1900-01-01", [](v1::Patient& p) { *p.mutable_birth_date() = Date(1900, 1, 1); },
                 {}},
        Mutation{"BirthDate1899-12-31",
                 [](v1::Patient& p) { *p.mutable_birth_date() = Date(1899, 12, 31); },
                 {"patient.birth_date"}},
        Mutation{"BornToday", [](v1::Patient& p) { *p.mutable_birth_date() = Date(2024, 6, 15); },
                 {}},
        Mutation{"BornTomorrow", [](v1::Patient& p) { *p.mutable_birth_date() = Date(2024, 6, 16); },
                 {"patient.birth_date"}},
        Mutation{"UnknownSex", [](v1::Patient& p) { p.set_sex(static_cast<v1::Sex>(42)); },
                 {"patient.sex"}},
        Mutation{"FormattedPhoneIsFine", [](v1::Patient& p) { p.set_phone_number("+44 (0)7700 900-123"); },
                 {}},
        Mutation{"NationalPhone", [](v1::Patient& p) { p.set_phone_number("07700 900123"); },
                 {"patient.phone_number"}},
        Mutation{"BadEmail", [](v1::Patient& p) { p.set_email("ann@example"); }, {"patient.email"}},
        Mutation{"LongEmail",
                 [](v1::Patient& p) { p.set_email(Repeat("a", 64) + "@" + Repeat("b", 190) + ".org"); },
                 {"patient.email"}},
        Mutation{"PhoneOnly", [](v1::Patient& p) { p.clear_email(); }, {}},
        Mutation{"EmailOnly", [](v1::Patient& p) { p.clear_phone_number(); }, {}},
        Mutation{"NoContact",
                 [](v1::Patient& p) {
                   p.clear_email();
                   p.set_phone_number("  ");
                 },
                 {"patient.phone_number", "patient.email"}},
        Mutation{"BadLanguage", [](v1::Patient& p) { p.set_language_code("english"); },
                 {"patient.language_code"}},
        Mutation{"AddressWithoutLines",
                 [](v1::Patient& p) { p.mutable_postal_address()->clear_address_lines(); },
                 {"patient.postal_address.address_lines"}},
        Mutation{"AddressWithFiveLines",
                 [](v1::Patient& p) {
                   for (int i = 0; i < 4; ++i) p.mutable_postal_address()->add_address_lines("x");
                 },
                 {"patient.postal_address.address_lines"}},
        Mutation{"AddressBlankSecondLine",
                 [](v1::Patient& p) { p.mutable_postal_address()->add_address_lines(" "); },
                 {"patient.postal_address.address_lines[1]"}},
        Mutation{"AddressLongPostalCode",
                 [](v1::Patient& p) { p.mutable_postal_address()->set_postal_code(Repeat("1", 21)); },
                 {"patient.postal_address.postal_code"}},
        Mutation{"AddressLongLocality",
                 [](v1::Patient& p) { p.mutable_postal_address()->set_locality(Repeat("l", 101)); },
                 {"patient.postal_address.locality"}},
        Mutation{"AddressNoRegion",
                 [](v1::Patient& p) { p.mutable_postal_address()->clear_region_code(); },
                 {"patient.postal_address.region_code"}},
        Mutation{"AddressRegionThreeLetters",
                 [](v1::Patient& p) { p.mutable_postal_address()->set_region_code("GBR"); },
                 {"patient.postal_address.region_code"}},
        Mutation{"EveryFieldBadAtOnce",
                 [](v1::Patient& p) {
                   p.clear_given_name();
                   p.clear_family_name();
                   p.clear_birth_date();
                   p.set_phone_number("123");
                   p.set_email("x");
                 },
                 {"patient.given_name", "patient.family_name", "patient.birth_date",
                  "patient.phone_number", "patient.email"}}),
    [](const ::testing::TestParamInfo<Mutation>& param_info) {
      std::string name = param_info.param.name;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(ValidateNewPatientTest, DescriptionsNeverQuoteTheValue) {
  v1::Patient p = ValidPatient();
  p.set_phone_number("+44 secret 123");
  p.set_email("secret@nowhere");
  status::FieldViolations v;
  ValidateNewPatient(p, kToday, "patient", v);
  ASSERT_FALSE(v.empty());
  for (const status::FieldViolation& fv : v.violations()) {
    EXPECT_THAT(fv.description, ::testing::Not(::testing::HasSubstr("secret")));
  }
}

TEST(ValidateNewPatientTest, PrefixIsOptional) {
  v1::Patient p = ValidPatient();
  p.clear_given_name();
  status::FieldViolations v;
  ValidateNewPatient(p, kToday, "", v);
  EXPECT_THAT(Fields(v), ElementsAre("given_name"));
}

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

std::vector<std::string> UpdateViolations(const v1::Patient& update,
                                          const google::protobuf::FieldMask& mask,
                                          const v1::Patient& current) {
  status::FieldViolations v;
  ValidatePatientUpdate(update, mask, current, kToday, "patient", v);
  return Fields(v);
}

TEST(ValidatePatientUpdateTest, ChecksOnlyTheNamedFields) {
  v1::Patient update;  // everything empty...
  update.set_phone_number("+447700900999");
  // ...but only the phone number is named, so the empty names do not matter.
  EXPECT_THAT(UpdateViolations(update, Mask({"phone_number"}), ValidPatient()), IsEmpty());
  EXPECT_THAT(UpdateViolations(update, Mask({"phone_number", "given_name"}), ValidPatient()),
              ElementsAre("patient.given_name"));
}

TEST(ValidatePatientUpdateTest, MaskMustNameUpdatablePaths) {
  const v1::Patient p = ValidPatient();
  EXPECT_THAT(UpdateViolations(p, Mask({}), p), ElementsAre("update_mask"));
  EXPECT_THAT(UpdateViolations(p, Mask({"*"}), p), ElementsAre("update_mask"));
  EXPECT_THAT(UpdateViolations(p, Mask({"home_clinic"}), p), ElementsAre("update_mask"));
  EXPECT_THAT(UpdateViolations(p, Mask({"etag", "email"}), p), ElementsAre("update_mask"));
  EXPECT_THAT(UpdateViolations(p, Mask({"postal_address.locality"}), p),
              ElementsAre("update_mask"));
  for (const char* path : {"given_name", "family_name", "birth_date", "sex", "phone_number",
                           "email", "postal_address", "language_code"}) {
    EXPECT_THAT(UpdateViolations(p, Mask({path}), p), IsEmpty()) << path;
  }
}

TEST(ValidatePatientUpdateTest, RepeatedPathIsCheckedOnce) {
  v1::Patient update;
  EXPECT_THAT(UpdateViolations(update, Mask({"given_name", "given_name"}), ValidPatient()),
              ElementsAre("patient.given_name"));
}

TEST(ValidatePatientUpdateTest, TheResultMustKeepAContact) {
  v1::Patient current = ValidPatient();
  current.clear_email();  // phone only
  v1::Patient update;
  // Clearing the phone of a record without email leaves no contact.
  EXPECT_THAT(UpdateViolations(update, Mask({"phone_number"}), current),
              UnorderedElementsAre("patient.phone_number", "patient.email"));
  // Clearing it while adding an email is fine.
  update.set_email("ann@example.org");
  EXPECT_THAT(UpdateViolations(update, Mask({"phone_number", "email"}), current), IsEmpty());
  // Clearing the email of a record that has a phone is fine.
  EXPECT_THAT(UpdateViolations(v1::Patient(), Mask({"email"}), ValidPatient()), IsEmpty());
}

TEST(CanonicalisePatientTest, StoresTheCanonicalForms) {
  v1::Patient p = ValidPatient();
  p.set_given_name("  Ann ");
  p.set_phone_number("+44 (0)7700 900-123");
  p.set_email(" Ann@Example.ORG ");
  p.mutable_postal_address()->set_region_code("gb");
  p.mutable_postal_address()->set_address_lines(0, " 1 High Street ");
  CanonicalisePatient(p);
  EXPECT_EQ(p.given_name(), "Ann");
  EXPECT_EQ(p.phone_number(), "+447700900123");
  EXPECT_EQ(p.email(), "Ann@example.org");
  EXPECT_EQ(p.postal_address().region_code(), "GB");
  EXPECT_EQ(p.postal_address().address_lines(0), "1 High Street");
}

TEST(CanonicalisePatientTest, BlankContactsBecomeEmpty) {
  v1::Patient p = ValidPatient();
  p.set_email("   ");
  CanonicalisePatient(p);
  EXPECT_EQ(p.email(), "");
}

}  // namespace
}  // namespace clinic::patient::domain
