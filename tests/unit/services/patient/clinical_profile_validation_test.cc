#include "services/patient/domain/clinical_profile_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/services/patient/violation_fields.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Violations(const v1::ClinicalProfile& p) {
  status::FieldViolations v;
  ValidateClinicalProfile(p, "clinical_profile", v);
  return Fields(v);
}

v1::ClinicalProfile ValidProfile() {
  v1::ClinicalProfile p;
  p.set_diet(v1::DIET_VEGAN);
  p.add_conditions()->set_code(v1::CONDITION_CODE_COELIAC_DISEASE);
  p.add_symptoms()->set_code(v1::SYMPTOM_CODE_FATIGUE);
  v1::Contraindication* c = p.add_contraindications();
  c->set_code(v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY);
  c->set_substance(v1::SUBSTANCE_COBALT);
  p.add_medications()->set_display_name("Metformin 500 mg");
  p.set_notes("line one\nline two");
  return p;
}

TEST(ClinicalProfileValidationTest, AcceptsValid) {
  EXPECT_THAT(Violations(ValidProfile()), IsEmpty());
  EXPECT_THAT(Violations(v1::ClinicalProfile()), IsEmpty());
}

TEST(ClinicalProfileValidationTest, CodesMustBeSetKnownAndUnique) {
  v1::ClinicalProfile p = ValidProfile();
  p.add_conditions()->set_code(v1::CONDITION_CODE_COELIAC_DISEASE);
  p.add_conditions();  // unspecified
  p.add_symptoms()->set_code(static_cast<v1::SymptomCode>(99));
  EXPECT_THAT(Violations(p), ElementsAre("clinical_profile.conditions[1].code",
                                         "clinical_profile.conditions[2].code",
                                         "clinical_profile.symptoms[1].code"));
}

TEST(ClinicalProfileValidationTest, OtherNeedsANote) {
  v1::ClinicalProfile p;
  p.add_conditions()->set_code(v1::CONDITION_CODE_OTHER);
  p.add_symptoms()->set_code(v1::SYMPTOM_CODE_OTHER);
  v1::Contraindication* c = p.add_contraindications();
  c->set_code(v1::CONTRAINDICATION_CODE_OTHER);
  EXPECT_THAT(Violations(p), ElementsAre("clinical_profile.conditions[0].note",
                                         "clinical_profile.symptoms[0].note",
                                         "clinical_profile.contraindications[0].note"));
  p.mutable_conditions(0)->set_note("thyroid");
  p.mutable_symptoms(0)->set_note("hair loss");
  c->set_note("latex");
  EXPECT_THAT(Violations(p), IsEmpty());
}

TEST(ClinicalProfileValidationTest, HypersensitivityNeedsASubstance) {
  v1::ClinicalProfile p;
  v1::Contraindication* c = p.add_contraindications();
  c->set_code(v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY);
  EXPECT_THAT(Violations(p), ElementsAre("clinical_profile.contraindications[0].substance"));
  c->set_substance(v1::SUBSTANCE_OTHER);  // an excipient: must be named in the note
  EXPECT_THAT(Violations(p), ElementsAre("clinical_profile.contraindications[0].note"));
  c->set_note("benzyl alcohol");
  EXPECT_THAT(Violations(p), IsEmpty());
  *p.add_contraindications() = *c;  // OTHER substances differ by note: allowed twice
  EXPECT_THAT(Violations(p), IsEmpty());
}

TEST(ClinicalProfileValidationTest, RepeatedContraindicationIsRejected) {
  v1::ClinicalProfile p = ValidProfile();
  *p.add_contraindications() = p.contraindications(0);
  EXPECT_THAT(Violations(p), ElementsAre("clinical_profile.contraindications[1]"));
}

TEST(ClinicalProfileValidationTest, TextLimits) {
  v1::ClinicalProfile p;
  p.add_medications();
  p.add_medications()->set_display_name(std::string(201, 'm'));
  p.set_notes(std::string(4001, 'n'));
  p.set_diet(static_cast<v1::Diet>(77));
  EXPECT_THAT(
      Violations(p),
      ElementsAre("clinical_profile.diet", "clinical_profile.medications[0].display_name",
                  "clinical_profile.medications[1].display_name", "clinical_profile.notes"));
}

TEST(ClinicalProfileValidationTest, UpdateChecksTheMaskAndNamedFieldsOnly) {
  v1::ClinicalProfile p;
  p.add_conditions();  // bad, but not named below
  google::protobuf::FieldMask mask;
  mask.add_paths("pregnant");
  status::FieldViolations v;
  ValidateClinicalProfileUpdate(p, mask, "clinical_profile", v);
  EXPECT_THAT(Fields(v), IsEmpty());
  mask.add_paths("conditions");
  mask.add_paths("etag");
  status::FieldViolations v2;
  ValidateClinicalProfileUpdate(p, mask, "clinical_profile", v2);
  EXPECT_THAT(Fields(v2), ElementsAre("update_mask", "clinical_profile.conditions[0].code"));
  status::FieldViolations v3;
  ValidateClinicalProfileUpdate(p, google::protobuf::FieldMask(), "clinical_profile", v3);
  EXPECT_THAT(Fields(v3), ElementsAre("update_mask"));
}

}  // namespace
}  // namespace clinic::patient::domain
