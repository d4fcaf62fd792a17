#include "services/patient/domain/eligibility.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "services/patient/domain/proto_time.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/services/patient/violation_fields.h"
#include "tests/unit/services/patient/test_time.h"

namespace clinic::patient::domain {
namespace {

using ::clinic::patient::domain::testing::Fields;
using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kPatient[] = "patients/p1";
constexpr char kProfile[] = "patients/p1/clinicalProfile";
using ::clinic::patient::testing::kNow;
using ::clinic::patient::testing::kToday;
const absl::Duration kWindow = kDefaultResultWindow;

constexpr auto kBlocking = v1::REASON_EFFECT_BLOCKING;
constexpr auto kReview = v1::REASON_EFFECT_REVIEW;
constexpr auto kSupporting = v1::REASON_EFFECT_SUPPORTING;
constexpr auto kNote = v1::REASON_EFFECT_NOTE;

LabEvidence Lab(std::string id, v1::Analyte analyte, v1::Interpretation interpretation,
                absl::Duration age) {
  return LabEvidence{"patients/p1/labResults/" + id, analyte, interpretation, kNow - age, false};
}

LabEvidence NormalFolate() {
  return Lab("folate", v1::ANALYTE_SERUM_FOLATE, v1::INTERPRETATION_NORMAL, absl::Hours(24));
}

// A patient with a normal folate and nothing else: each test adds what it is about.
EligibilityInput Input() {
  EligibilityInput input;
  input.patient = kPatient;
  input.profile.set_name(kProfile);
  input.birth_date = absl::CivilDay(1990, 1, 1);
  input.lab_results.push_back(NormalFolate());
  return input;
}

EligibilityDecision Assess(const EligibilityInput& input) {
  return AssessEligibility(input, kWindow, kNow, kToday);
}

EligibilityReason R(v1::EligibilityReasonCode code, v1::ReasonEffect effect,
                    std::string subject = kProfile) {
  return EligibilityReason{code, effect, std::move(subject)};
}

// --- B12 evidence ---

TEST(EligibilityTest, DeficientRecentResultIsEligible) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, absl::Hours(24 * 10)));
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_THAT(d.reasons, ElementsAre(R(v1::ELIGIBILITY_REASON_CODE_QUALIFYING_RESULT, kSupporting,
                                       "patients/p1/labResults/b12")));
  EXPECT_EQ(d.qualifying_lab_result, "patients/p1/labResults/b12");
  EXPECT_EQ(d.expire_time, kNow - absl::Hours(24 * 10) + kWindow);
  EXPECT_EQ(d.result_window, kWindow);
}

TEST(EligibilityTest, NoResultIsNotEligible) {
  const EligibilityDecision d = Assess(Input());
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_THAT(d.reasons,
              ElementsAre(R(v1::ELIGIBILITY_REASON_CODE_NO_RECENT_RESULT, kBlocking, "")));
  EXPECT_EQ(d.qualifying_lab_result, "");
  EXPECT_EQ(d.expire_time, std::nullopt);
}

TEST(EligibilityTest, WindowBoundaryIsInclusive) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, kWindow));
  EXPECT_EQ(Assess(input).outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);  // exactly 90 days old
  EXPECT_EQ(Assess(input).expire_time, kNow);
  input.lab_results.back().collection_time -= absl::Seconds(1);  // 90 days and a second
  EXPECT_EQ(Assess(input).outcome, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_EQ(Assess(input).reasons[0].code, v1::ELIGIBILITY_REASON_CODE_NO_RECENT_RESULT);
}

TEST(EligibilityTest, TheWindowIsAParameter) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, absl::Hours(24 * 45)));
  EXPECT_EQ(AssessEligibility(input, absl::Hours(24 * 30), kNow, kToday).outcome,
            v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_EQ(AssessEligibility(input, absl::Hours(24 * 60), kNow, kToday).outcome,
            v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
}

TEST(EligibilityTest, FutureAndSupersededResultsDoNotCount) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("future", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, -absl::Hours(1)));
  LabEvidence superseded =
      Lab("old", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, absl::Hours(24));
  superseded.superseded = true;
  input.lab_results.push_back(superseded);
  EXPECT_EQ(Assess(input).reasons[0].code, v1::ELIGIBILITY_REASON_CODE_NO_RECENT_RESULT);
}

TEST(EligibilityTest, OnlyB12AnalytesQualify) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("hb", v1::ANALYTE_HAEMOGLOBIN, v1::INTERPRETATION_DEFICIENT, absl::Hours(24)));
  EXPECT_EQ(Assess(input).outcome, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
}

struct ReadingCase {
  v1::Interpretation interpretation;
  v1::EligibilityOutcome outcome;
  v1::EligibilityReasonCode code;
  v1::ReasonEffect effect;
  bool qualifying;
};

void PrintTo(const ReadingCase& c, std::ostream* os) {
  *os << v1::Interpretation_Name(c.interpretation);
}

class LatestReadingTest : public ::testing::TestWithParam<ReadingCase> {};

TEST_P(LatestReadingTest, DecidesTheOutcome) {
  const ReadingCase& c = GetParam();
  EligibilityInput input = Input();
  input.lab_results.push_back(Lab("b12", v1::ANALYTE_TOTAL_B12, c.interpretation, absl::Hours(24)));
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, c.outcome);
  EXPECT_THAT(d.reasons, ElementsAre(R(c.code, c.effect, "patients/p1/labResults/b12")));
  EXPECT_EQ(d.qualifying_lab_result, c.qualifying ? "patients/p1/labResults/b12" : "");
  EXPECT_EQ(d.expire_time.has_value(), c.qualifying);
}

INSTANTIATE_TEST_SUITE_P(
    Readings, LatestReadingTest,
    ::testing::Values(
        ReadingCase{v1::INTERPRETATION_DEFICIENT, v1::ELIGIBILITY_OUTCOME_ELIGIBLE,
                    v1::ELIGIBILITY_REASON_CODE_QUALIFYING_RESULT, kSupporting, true},
        ReadingCase{v1::INTERPRETATION_INDETERMINATE, v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW,
                    v1::ELIGIBILITY_REASON_CODE_INDETERMINATE_RESULT, kReview, true},
        ReadingCase{v1::INTERPRETATION_NOT_INTERPRETED, v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW,
                    v1::ELIGIBILITY_REASON_CODE_RESULT_NOT_INTERPRETED, kReview, false},
        ReadingCase{v1::INTERPRETATION_NORMAL, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE,
                    v1::ELIGIBILITY_REASON_CODE_RESULT_NOT_DEFICIENT, kBlocking, false},
        ReadingCase{v1::INTERPRETATION_HIGH, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE,
                    v1::ELIGIBILITY_REASON_CODE_RESULT_NOT_DEFICIENT, kBlocking, false}));

TEST(EligibilityTest, TheLatestTotalB12Counts) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("old", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, absl::Hours(24 * 30)));
  input.lab_results.push_back(
      Lab("new", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_NORMAL, absl::Hours(24 * 2)));
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_EQ(d.reasons[0].subject, "patients/p1/labResults/new");
}

TEST(EligibilityTest, ADeficientActiveB12ConfirmsAnIndeterminateTotal) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("total", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_INDETERMINATE, absl::Hours(24 * 5)));
  input.lab_results.push_back(
      Lab("active", v1::ANALYTE_ACTIVE_B12, v1::INTERPRETATION_DEFICIENT, absl::Hours(24 * 1)));
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_EQ(d.qualifying_lab_result, "patients/p1/labResults/active");
  // Either order in time: a deficient reading of either analyte qualifies.
  input.lab_results[1].collection_time = kNow - absl::Hours(24 * 9);
  EXPECT_EQ(Assess(input).outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
}

TEST(EligibilityTest, EqualCollectionTimesGoToTheLowerReading) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("a", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_NORMAL, absl::Hours(24)));
  input.lab_results.push_back(
      Lab("b", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, absl::Hours(24)));
  EXPECT_EQ(Assess(input).qualifying_lab_result, "patients/p1/labResults/b");
}

TEST(EligibilityTest, OnReplacementNeedsNoRetest) {
  EligibilityInput input = Input();
  input.profile.set_on_b12_replacement(true);
  EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_THAT(d.reasons,
              ElementsAre(R(v1::ELIGIBILITY_REASON_CODE_ALREADY_ON_REPLACEMENT, kSupporting)));
  EXPECT_EQ(d.expire_time, kNow + kWindow);
  // A normal level is what replacement achieves: not a block.
  input.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_NORMAL, absl::Hours(24)));
  EXPECT_EQ(Assess(input).outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
}

// --- contraindications ---

EligibilityInput Deficient() {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_DEFICIENT, absl::Hours(24)));
  return input;
}

void AddContraindication(EligibilityInput& input, v1::ContraindicationCode code,
                         v1::Substance substance = v1::SUBSTANCE_UNSPECIFIED) {
  v1::Contraindication* c = input.profile.add_contraindications();
  c->set_code(code);
  c->set_substance(substance);
}

struct HypersensitivityCase {
  std::string name;
  v1::Substance allergy;
  std::vector<v1::Substance> product;
  std::optional<v1::ReasonEffect> effect;
};

void PrintTo(const HypersensitivityCase& c, std::ostream* os) { *os << c.name; }

class HypersensitivityTest : public ::testing::TestWithParam<HypersensitivityCase> {};

TEST_P(HypersensitivityTest, Applies) {
  const HypersensitivityCase& c = GetParam();
  EligibilityInput input = Deficient();
  AddContraindication(input, v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY, c.allergy);
  input.product_substances = c.product;
  const EligibilityDecision d = Assess(input);
  std::optional<v1::ReasonEffect> found;
  for (const EligibilityReason& r : d.reasons) {
    if (r.code == v1::ELIGIBILITY_REASON_CODE_HYPERSENSITIVITY) found = r.effect;
  }
  EXPECT_EQ(found, c.effect);
  const v1::EligibilityOutcome expected = !c.effect ? v1::ELIGIBILITY_OUTCOME_ELIGIBLE
                                          : *c.effect == kBlocking
                                              ? v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE
                                              : v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW;
  EXPECT_EQ(d.outcome, expected);
}

const std::vector<v1::Substance> kHydroxo = {v1::SUBSTANCE_HYDROXOCOBALAMIN};
const std::vector<v1::Substance> kEveryB12 = {};

INSTANTIATE_TEST_SUITE_P(
    Cases, HypersensitivityTest,
    ::testing::Values(
        HypersensitivityCase{"SameSubstance", v1::SUBSTANCE_HYDROXOCOBALAMIN, kHydroxo, kBlocking},
        HypersensitivityCase{"AnyCobalamin", v1::SUBSTANCE_COBALAMIN, kHydroxo, kBlocking},
        HypersensitivityCase{"Cobalt", v1::SUBSTANCE_COBALT, kHydroxo, kBlocking},
        HypersensitivityCase{"OtherFormCrossSensitivity", v1::SUBSTANCE_CYANOCOBALAMIN, kHydroxo,
                             kReview},
        HypersensitivityCase{"Excipient", v1::SUBSTANCE_OTHER, kHydroxo, kReview},
        HypersensitivityCase{"BiotinNotInProduct", v1::SUBSTANCE_BIOTIN, kHydroxo, std::nullopt},
        HypersensitivityCase{"FolicAcidNotInProduct", v1::SUBSTANCE_FOLIC_ACID, kHydroxo,
                             std::nullopt},
        HypersensitivityCase{
            "BiotinInProduct", v1::SUBSTANCE_BIOTIN, {v1::SUBSTANCE_BIOTIN}, kBlocking},
        HypersensitivityCase{"AnyFormForEveryB12Product", v1::SUBSTANCE_METHYLCOBALAMIN, kEveryB12,
                             kBlocking},
        HypersensitivityCase{"CobaltForEveryB12Product", v1::SUBSTANCE_COBALT, kEveryB12,
                             kBlocking},
        HypersensitivityCase{"UnnamedSubstance", v1::SUBSTANCE_UNSPECIFIED, kHydroxo, kBlocking},
        HypersensitivityCase{"CobaltForANonB12Product",
                             v1::SUBSTANCE_COBALT,
                             {v1::SUBSTANCE_FOLIC_ACID},
                             std::nullopt}),
    [](const ::testing::TestParamInfo<HypersensitivityCase>& param_info) {
      return param_info.param.name;
    });

TEST(EligibilityTest, BlockingWinsOverReviewForOneCode) {
  EligibilityInput input = Deficient();
  input.product_substances = kHydroxo;
  AddContraindication(input, v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY,
                      v1::SUBSTANCE_CYANOCOBALAMIN);  // review
  AddContraindication(input, v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY,
                      v1::SUBSTANCE_HYDROXOCOBALAMIN);  // blocking
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_EQ(d.reasons[0], R(v1::ELIGIBILITY_REASON_CODE_HYPERSENSITIVITY, kBlocking));
  EXPECT_EQ(std::count_if(d.reasons.begin(), d.reasons.end(),
                          [](const EligibilityReason& r) {
                            return r.code == v1::ELIGIBILITY_REASON_CODE_HYPERSENSITIVITY;
                          }),
            1);
}

TEST(EligibilityTest, MegaloblasticAnaemiaOfPregnancyNeedsReviewUnlessDeficiencyIsShown) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_INDETERMINATE, absl::Hours(24)));
  input.profile.set_pregnant(true);
  input.profile.add_conditions()->set_code(v1::CONDITION_CODE_MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY);
  EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW);
  EXPECT_THAT(d.reasons,
              ::testing::Contains(
                  R(v1::ELIGIBILITY_REASON_CODE_MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY, kReview)));
  // Shown deficiency lifts it.
  input.lab_results.back().interpretation = v1::INTERPRETATION_DEFICIENT;
  d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  // The contraindication code works the same as the condition code.
  EligibilityInput other = Input();
  other.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_INDETERMINATE, absl::Hours(24)));
  AddContraindication(other, v1::CONTRAINDICATION_CODE_MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY);
  EXPECT_THAT(Assess(other).reasons,
              ::testing::Contains(
                  R(v1::ELIGIBILITY_REASON_CODE_MEGALOBLASTIC_ANAEMIA_OF_PREGNANCY, kReview)));
}

TEST(EligibilityTest, OtherContraindicationNeedsReview) {
  EligibilityInput input = Deficient();
  AddContraindication(input, v1::CONTRAINDICATION_CODE_OTHER);
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW);
  EXPECT_EQ(d.reasons[0], R(v1::ELIGIBILITY_REASON_CODE_OTHER_CONTRAINDICATION, kReview));
}

TEST(EligibilityTest, NotesDoNotChangeTheOutcome) {
  EligibilityInput input = Deficient();
  input.profile.add_conditions()->set_code(v1::CONDITION_CODE_HYPOKALAEMIA_RISK);
  input.profile.add_conditions()->set_code(v1::CONDITION_CODE_NEUROLOGICAL_INVOLVEMENT);
  AddContraindication(input, v1::CONTRAINDICATION_CODE_POTASSIUM_MONITORING);
  input.lab_results[0].interpretation = v1::INTERPRETATION_DEFICIENT;  // low folate
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_THAT(d.reasons,
              ElementsAre(R(v1::ELIGIBILITY_REASON_CODE_QUALIFYING_RESULT, kSupporting,
                            "patients/p1/labResults/b12"),
                          R(v1::ELIGIBILITY_REASON_CODE_POTASSIUM_MONITORING, kNote),
                          R(v1::ELIGIBILITY_REASON_CODE_FOLATE_CHECK, kNote,
                            "patients/p1/labResults/folate"),
                          R(v1::ELIGIBILITY_REASON_CODE_NEUROLOGICAL_INVOLVEMENT, kNote)));
}

TEST(EligibilityTest, FolateCheck) {
  EligibilityInput input = Deficient();
  const auto has_folate_note = [&] {
    for (const EligibilityReason& r : Assess(input).reasons) {
      if (r.code == v1::ELIGIBILITY_REASON_CODE_FOLATE_CHECK) return true;
    }
    return false;
  };
  EXPECT_FALSE(has_folate_note());  // normal folate
  input.lab_results[0].interpretation = v1::INTERPRETATION_INDETERMINATE;
  EXPECT_TRUE(has_folate_note());
  input.lab_results[0].interpretation = v1::INTERPRETATION_HIGH;
  EXPECT_FALSE(has_folate_note());
  input.lab_results[0].collection_time = kNow - kWindow - absl::Seconds(1);  // too old
  EXPECT_TRUE(has_folate_note());
  input.lab_results.push_back(
      Lab("rcf", v1::ANALYTE_RED_CELL_FOLATE, v1::INTERPRETATION_NORMAL, absl::Hours(2)));
  EXPECT_FALSE(has_folate_note());  // red cell folate counts too
  input.lab_results.erase(input.lab_results.begin());
  input.lab_results.pop_back();
  EXPECT_TRUE(has_folate_note());  // untested
}

// --- risk factors ---

TEST(EligibilityTest, RiskFactorsSupport) {
  EligibilityInput input = Deficient();
  input.profile.set_diet(v1::DIET_VEGETARIAN);
  input.profile.add_conditions()->set_code(v1::CONDITION_CODE_CROHNS_DISEASE);
  input.profile.add_conditions()->set_code(v1::CONDITION_CODE_GASTRIC_SURGERY);
  input.profile.add_symptoms()->set_code(v1::SYMPTOM_CODE_BRITTLE_NAILS);
  input.birth_date = absl::CivilDay(1950, 1, 1);
  const EligibilityDecision d = Assess(input);
  EXPECT_EQ(d.outcome, v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_THAT(d.reasons,
              ElementsAre(R(v1::ELIGIBILITY_REASON_CODE_QUALIFYING_RESULT, kSupporting,
                            "patients/p1/labResults/b12"),
                          R(v1::ELIGIBILITY_REASON_CODE_RISK_PLANT_BASED_DIET, kSupporting),
                          R(v1::ELIGIBILITY_REASON_CODE_RISK_MALABSORPTION, kSupporting),
                          R(v1::ELIGIBILITY_REASON_CODE_RISK_AGE_OVER_50, kSupporting, kPatient),
                          R(v1::ELIGIBILITY_REASON_CODE_RISK_SYMPTOMS, kSupporting)));
}

TEST(EligibilityTest, RiskFactorsAloneDoNotMakeEligible) {
  EligibilityInput input = Input();
  input.profile.set_diet(v1::DIET_VEGAN);
  input.profile.add_symptoms()->set_code(v1::SYMPTOM_CODE_FATIGUE);
  EXPECT_EQ(Assess(input).outcome, v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
}

TEST(EligibilityTest, EachMalabsorptionConditionCounts) {
  for (v1::ConditionCode code :
       {v1::CONDITION_CODE_PERNICIOUS_ANAEMIA, v1::CONDITION_CODE_CROHNS_DISEASE,
        v1::CONDITION_CODE_COELIAC_DISEASE, v1::CONDITION_CODE_IRRITABLE_BOWEL_SYNDROME,
        v1::CONDITION_CODE_GASTRIC_SURGERY}) {
    EligibilityInput input = Deficient();
    input.profile.add_conditions()->set_code(code);
    EXPECT_THAT(Assess(input).reasons,
                ::testing::Contains(R(v1::ELIGIBILITY_REASON_CODE_RISK_MALABSORPTION, kSupporting)))
        << v1::ConditionCode_Name(code);
  }
  EligibilityInput input = Deficient();
  input.profile.add_conditions()->set_code(v1::CONDITION_CODE_OTHER);
  input.profile.set_diet(v1::DIET_PESCATARIAN);
  EXPECT_EQ(Assess(input).reasons.size(), 1u);  // neither is a risk factor
}

TEST(EligibilityTest, AgeRiskFromTheFiftiethBirthday) {
  EligibilityInput input = Deficient();
  const auto has_age_reason = [&](absl::CivilDay birth) {
    input.birth_date = birth;
    for (const EligibilityReason& r : Assess(input).reasons) {
      if (r.code == v1::ELIGIBILITY_REASON_CODE_RISK_AGE_OVER_50) return true;
    }
    return false;
  };
  EXPECT_FALSE(has_age_reason(absl::CivilDay(1974, 6, 16)));  // 50 tomorrow
  EXPECT_TRUE(has_age_reason(absl::CivilDay(1974, 6, 15)));   // 50 today
  input.birth_date.reset();
  EXPECT_EQ(Assess(input).reasons.size(), 1u);  // unknown birth date: no reason
}

// --- to proto, override, plan precondition ---

TEST(EligibilityProtoTest, ToProtoFillsTheOutputFields) {
  EligibilityInput input = Input();
  input.lab_results.push_back(
      Lab("b12", v1::ANALYTE_TOTAL_B12, v1::INTERPRETATION_INDETERMINATE, absl::Hours(24)));
  v1::EligibilityAssessment a;
  ToProto(Assess(input), a);
  EXPECT_EQ(a.outcome(), v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW);
  EXPECT_EQ(a.effective_outcome(), v1::ELIGIBILITY_OUTCOME_NEEDS_REVIEW);
  ASSERT_EQ(a.reasons_size(), 1);
  EXPECT_EQ(a.reasons(0).code(), v1::ELIGIBILITY_REASON_CODE_INDETERMINATE_RESULT);
  EXPECT_EQ(a.reasons(0).effect(), kReview);
  EXPECT_EQ(a.reasons(0).subject(), "patients/p1/labResults/b12");
  EXPECT_EQ(ToDuration(a.result_window()), kWindow);
  EXPECT_EQ(a.qualifying_lab_result(), "patients/p1/labResults/b12");
  EXPECT_EQ(ToTime(a.expire_time()), kNow - absl::Hours(24) + kWindow);
}

v1::EligibilityAssessment NeedsReview() {
  EligibilityInput input = Input();
  v1::EligibilityAssessment a;
  a.set_name("patients/p1/eligibilityAssessments/a1");
  ToProto(Assess(input), a);  // NOT_ELIGIBLE: no result
  return a;
}

TEST(EligibilityOverrideTest, ReasonLength) {
  const v1::EligibilityAssessment a = NeedsReview();
  EXPECT_THAT(Fields(CheckOverride(a, "too short")), ElementsAre("reason"));
  EXPECT_THAT(Fields(CheckOverride(a, "  123456789  ")), ElementsAre("reason"));  // 9 trimmed
  EXPECT_THAT(Fields(CheckOverride(a, "")), ElementsAre("reason"));
  EXPECT_THAT(CheckOverride(a, "1234567890"), IsOk());
  EXPECT_THAT(CheckOverride(a, std::string(2000, 'r')), IsOk());
  EXPECT_THAT(Fields(CheckOverride(a, std::string(2001, 'r'))), ElementsAre("reason"));
}

TEST(EligibilityOverrideTest, OverrideMakesEligibleAndRestartsTheWindow) {
  v1::EligibilityAssessment a = NeedsReview();
  const std::string reason = "Symptomatic; result from GP letter seen";
  ASSERT_THAT(CheckOverride(a, reason), IsOk());
  ApplyOverride(a, "dr-amara", "  " + reason + " ", kNow);
  EXPECT_EQ(a.outcome(), v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);  // the rules' outcome stays
  EXPECT_EQ(a.effective_outcome(), v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_EQ(a.override().clinician(), "dr-amara");
  EXPECT_EQ(a.override().reason(), reason);
  EXPECT_EQ(ToTime(a.override().override_time()), kNow);
  EXPECT_EQ(ToTime(a.expire_time()), kNow + kWindow);
  // Twice is refused.
  EXPECT_THAT(CheckOverride(a, reason), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(EligibilityOverrideTest, AnEligibleAssessmentCannotBeOverridden) {
  EligibilityInput input = Deficient();
  v1::EligibilityAssessment a;
  ToProto(Assess(input), a);
  EXPECT_THAT(CheckOverride(a, "a long enough reason"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(EligibilityPlanTest, OnlyAnUnexpiredEligibleAssessmentOfThePatient) {
  v1::EligibilityAssessment a;
  a.set_name("patients/p1/eligibilityAssessments/a1");
  ToProto(Assess(Deficient()), a);  // expires kNow - 1 day + 90 days
  EXPECT_THAT(CheckAssessmentAllowsPlan(a, "patients/p1", kNow), IsOk());
  const absl::Time expiry = *ToTime(a.expire_time());
  EXPECT_THAT(CheckAssessmentAllowsPlan(a, "patients/p1", expiry), IsOk());  // inclusive
  const absl::Status expired =
      CheckAssessmentAllowsPlan(a, "patients/p1", expiry + absl::Seconds(1));
  EXPECT_THAT(expired, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(expired), "ELIGIBILITY");
  EXPECT_THAT(CheckAssessmentAllowsPlan(a, "patients/p12", kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition));  // another patient
  v1::EligibilityAssessment review = NeedsReview();
  EXPECT_THAT(CheckAssessmentAllowsPlan(review, "patients/p1", kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ApplyOverride(review, "dr-amara", "documented elsewhere", kNow);
  EXPECT_THAT(CheckAssessmentAllowsPlan(review, "patients/p1", kNow + kWindow), IsOk());
  EXPECT_THAT(CheckAssessmentAllowsPlan(review, "patients/p1", kNow + kWindow + absl::Seconds(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(LabEvidenceTest, FromProto) {
  v1::LabResult r;
  r.set_name("patients/p1/labResults/x");
  r.set_analyte(v1::ANALYTE_ACTIVE_B12);
  r.set_interpretation(v1::INTERPRETATION_DEFICIENT);
  *r.mutable_collection_time() = ToProtoTimestamp(kNow);
  r.set_superseded(true);
  const LabEvidence e = ToLabEvidence(r);
  EXPECT_EQ(e.name, "patients/p1/labResults/x");
  EXPECT_EQ(e.analyte, v1::ANALYTE_ACTIVE_B12);
  EXPECT_EQ(e.interpretation, v1::INTERPRETATION_DEFICIENT);
  EXPECT_EQ(e.collection_time, kNow);
  EXPECT_TRUE(e.superseded);
}

}  // namespace
}  // namespace clinic::patient::domain
