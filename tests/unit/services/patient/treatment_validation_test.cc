#include "services/patient/domain/treatment_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "services/patient/domain/seed_regimens.h"
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

using ::clinic::patient::testing::kToday;

v1::Phase Phase(v1::PhaseKind kind, int times, int every, v1::PeriodUnit unit,
                v1::PhaseEndRule rule, int count = 0) {
  v1::Phase p;
  p.set_kind(kind);
  p.mutable_frequency()->set_times(times);
  p.mutable_frequency()->set_every(every);
  p.mutable_frequency()->set_unit(unit);
  p.mutable_end()->set_rule(rule);
  p.mutable_end()->set_dose_count(count);
  return p;
}

std::vector<std::string> PhaseViolations(const v1::Phase& phase) {
  status::FieldViolations v;
  ValidatePhase(phase, "p", v);
  return Fields(v);
}

struct PhaseMutation {
  std::string name;
  std::function<void(v1::Phase&)> mutate;
  std::vector<std::string> fields;
};

void PrintTo(const PhaseMutation& m, std::ostream* os) { *os << m.name; }

class PhaseTest : public ::testing::TestWithParam<PhaseMutation> {};

TEST_P(PhaseTest, Validates) {
  v1::Phase p =
      Phase(v1::PHASE_KIND_LOADING, 3, 1, v1::PERIOD_UNIT_WEEK, v1::PHASE_END_RULE_DOSE_COUNT, 6);
  GetParam().mutate(p);
  EXPECT_THAT(PhaseViolations(p), ::testing::ElementsAreArray(GetParam().fields));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PhaseTest,
    ::testing::Values(
        PhaseMutation{"Valid", [](v1::Phase&) {}, {}},
        PhaseMutation{
            "NoKind", [](v1::Phase& p) { p.set_kind(v1::PHASE_KIND_UNSPECIFIED); }, {"p.kind"}},
        PhaseMutation{"TimesZero",
                      [](v1::Phase& p) { p.mutable_frequency()->set_times(0); },
                      {"p.frequency.times"}},
        PhaseMutation{"TimesEight",
                      [](v1::Phase& p) { p.mutable_frequency()->set_times(8); },
                      {"p.frequency.times"}},
        PhaseMutation{"SevenAWeek", [](v1::Phase& p) { p.mutable_frequency()->set_times(7); }, {}},
        PhaseMutation{"TwiceADay",
                      [](v1::Phase& p) {
                        p.mutable_frequency()->set_times(2);
                        p.mutable_frequency()->set_unit(v1::PERIOD_UNIT_DAY);
                      },
                      {"p.frequency.times"}},
        PhaseMutation{"TwiceInTwoDays",
                      [](v1::Phase& p) {
                        p.mutable_frequency()->set_times(2);
                        p.mutable_frequency()->set_every(2);
                        p.mutable_frequency()->set_unit(v1::PERIOD_UNIT_DAY);
                      },
                      {}},
        PhaseMutation{"EveryZero",
                      [](v1::Phase& p) { p.mutable_frequency()->set_every(0); },
                      {"p.frequency.every"}},
        PhaseMutation{"Every367",
                      [](v1::Phase& p) { p.mutable_frequency()->set_every(367); },
                      {"p.frequency.every"}},
        PhaseMutation{"EveryMaxBelowEvery",
                      [](v1::Phase& p) {
                        p.mutable_frequency()->set_every(2);
                        p.mutable_frequency()->set_every_max(1);
                      },
                      {"p.frequency.every_max"}},
        PhaseMutation{"EveryMaxRange",
                      [](v1::Phase& p) {
                        p.mutable_frequency()->set_every(2);
                        p.mutable_frequency()->set_every_max(3);
                      },
                      {}},
        PhaseMutation{
            "NoUnit",
            [](v1::Phase& p) { p.mutable_frequency()->set_unit(v1::PERIOD_UNIT_UNSPECIFIED); },
            {"p.frequency.unit"}},
        PhaseMutation{"NoFrequency", [](v1::Phase& p) { p.clear_frequency(); }, {"p.frequency"}},
        PhaseMutation{"NoEnd", [](v1::Phase& p) { p.clear_end(); }, {"p.end"}},
        PhaseMutation{"DoseCountZero",
                      [](v1::Phase& p) { p.mutable_end()->set_dose_count(0); },
                      {"p.end.dose_count"}},
        PhaseMutation{"DoseCount101",
                      [](v1::Phase& p) { p.mutable_end()->set_dose_count(101); },
                      {"p.end.dose_count"}},
        PhaseMutation{"LengthWithoutUnit",
                      [](v1::Phase& p) {
                        p.mutable_end()->set_rule(v1::PHASE_END_RULE_LENGTH);
                        p.mutable_end()->set_length(2);
                      },
                      {"p.end.length_unit"}},
        PhaseMutation{"LengthZero",
                      [](v1::Phase& p) {
                        p.mutable_end()->set_rule(v1::PHASE_END_RULE_LENGTH);
                        p.mutable_end()->set_length_unit(v1::PERIOD_UNIT_WEEK);
                      },
                      {"p.end.length"}},
        PhaseMutation{
            "ReviewEnd",
            [](v1::Phase& p) { p.mutable_end()->set_rule(v1::PHASE_END_RULE_CLINICIAN_REVIEW); },
            {}},
        PhaseMutation{
            "NoRule",
            [](v1::Phase& p) { p.mutable_end()->set_rule(v1::PHASE_END_RULE_UNSPECIFIED); },
            {"p.end.rule"}},
        PhaseMutation{"ZeroDose",
                      [](v1::Phase& p) {
                        p.mutable_dose()->mutable_value()->set_value("0");
                        p.mutable_dose()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
                      },
                      {"p.dose.value"}},
        PhaseMutation{"DoseWithoutUnit",
                      [](v1::Phase& p) { p.mutable_dose()->mutable_value()->set_value("0.5"); },
                      {"p.dose.unit"}}),
    [](const ::testing::TestParamInfo<PhaseMutation>& param_info) {
      return param_info.param.name;
    });

std::vector<std::string> PhasesViolations(const std::vector<v1::Phase>& phases) {
  google::protobuf::RepeatedPtrField<v1::Phase> field(phases.begin(), phases.end());
  status::FieldViolations v;
  ValidatePhases(field, "phases", v);
  return Fields(v);
}

TEST(PhasesTest, Structure) {
  const v1::Phase loading =
      Phase(v1::PHASE_KIND_LOADING, 1, 1, v1::PERIOD_UNIT_WEEK, v1::PHASE_END_RULE_DOSE_COUNT, 4);
  const v1::Phase review =
      Phase(v1::PHASE_KIND_LOADING, 1, 2, v1::PERIOD_UNIT_DAY, v1::PHASE_END_RULE_CLINICIAN_REVIEW);
  const v1::Phase forever =
      Phase(v1::PHASE_KIND_MAINTENANCE, 1, 1, v1::PERIOD_UNIT_MONTH, v1::PHASE_END_RULE_INDEFINITE);
  EXPECT_THAT(PhasesViolations({loading, forever}), IsEmpty());
  EXPECT_THAT(PhasesViolations({review, forever}), IsEmpty());  // review may be followed
  EXPECT_THAT(PhasesViolations({}), ElementsAre("phases"));
  EXPECT_THAT(PhasesViolations({loading, loading, loading, loading, loading, forever}),
              ElementsAre("phases"));
  EXPECT_THAT(PhasesViolations({forever, loading}),
              ElementsAre("phases[0].end.rule", "phases[1].kind"));
  EXPECT_THAT(PhasesViolations({loading, forever, forever}), ElementsAre("phases[1].end.rule"));
}

TEST(RegimenValidationTest, SeedsAreValid) {
  for (const v1::Regimen& r : SeedRegimens()) {
    status::FieldViolations v;
    ValidateRegimen(r, "regimen", v);
    EXPECT_THAT(Fields(v), IsEmpty()) << r.name();
  }
}

TEST(RegimenValidationTest, RequiredFields) {
  v1::Regimen r;
  status::FieldViolations v;
  ValidateRegimen(r, "regimen", v);
  EXPECT_THAT(Fields(v), ElementsAre("regimen.display_name", "regimen.dose", "regimen.route",
                                     "regimen.phases"));
}

TEST(RegimenValidationTest, Update) {
  v1::Regimen r = SeedRegimens()[0];
  google::protobuf::FieldMask mask;
  mask.add_paths("state");
  r.set_state(v1::Regimen::STATE_RETIRED);
  status::FieldViolations ok;
  ValidateRegimenUpdate(r, mask, "regimen", ok);
  EXPECT_THAT(Fields(ok), IsEmpty());
  r.set_state(v1::Regimen::STATE_UNSPECIFIED);
  mask.add_paths("name");
  status::FieldViolations bad;
  ValidateRegimenUpdate(r, mask, "regimen", bad);
  EXPECT_THAT(Fields(bad), ElementsAre("update_mask", "regimen.state"));
}

TEST(RegimenValidationTest, RetiredRegimenIsAPrecondition) {
  v1::Regimen r = SeedRegimens()[0];
  EXPECT_THAT(CheckRegimenUsable(r), IsOk());
  r.set_state(v1::Regimen::STATE_RETIRED);
  const absl::Status s = CheckRegimenUsable(r);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(s), "STATE");
}

v1::TreatmentPlan NewPlan() {
  v1::TreatmentPlan plan;
  plan.set_regimen(std::string(kClinicStandardRegimen));
  plan.set_product("products/hydroxocobalamin-1mg-1ml");
  plan.set_eligibility_assessment("patients/p1/eligibilityAssessments/a1");
  plan.mutable_start_date()->set_year(2024);
  plan.mutable_start_date()->set_month(6);
  plan.mutable_start_date()->set_day(15);
  ApplyRegimenDefaults(SeedRegimens()[0], plan);
  return plan;
}

std::vector<std::string> NewPlanViolations(const v1::TreatmentPlan& plan) {
  status::FieldViolations v;
  ValidateNewTreatmentPlan(plan, kToday, "treatment_plan", v);
  return Fields(v);
}

TEST(TreatmentPlanTest, DefaultsComeFromTheRegimen) {
  const v1::TreatmentPlan plan = NewPlan();
  EXPECT_EQ(plan.dose().value().value(), "1");
  EXPECT_EQ(plan.route(), v1::ROUTE_INTRAMUSCULAR);
  EXPECT_EQ(plan.phases_size(), 2);
  EXPECT_THAT(NewPlanViolations(plan), IsEmpty());

  // What the plan sets is kept.
  v1::TreatmentPlan custom;
  custom.mutable_dose()->mutable_value()->set_value("0.5");
  custom.set_route(v1::ROUTE_DEEP_INTRAMUSCULAR);
  *custom.add_phases() =
      Phase(v1::PHASE_KIND_MAINTENANCE, 1, 3, v1::PERIOD_UNIT_MONTH, v1::PHASE_END_RULE_INDEFINITE);
  ApplyRegimenDefaults(SeedRegimens()[0], custom);
  EXPECT_EQ(custom.dose().value().value(), "0.5");
  EXPECT_EQ(custom.route(), v1::ROUTE_DEEP_INTRAMUSCULAR);
  EXPECT_EQ(custom.phases_size(), 1);
}

TEST(TreatmentPlanTest, NewPlanFields) {
  v1::TreatmentPlan plan = NewPlan();
  plan.mutable_start_date()->set_day(14);  // yesterday
  EXPECT_THAT(NewPlanViolations(plan), ElementsAre("treatment_plan.start_date"));
  plan = NewPlan();
  plan.clear_product();
  plan.clear_eligibility_assessment();
  plan.clear_regimen();
  plan.mutable_retest_after()->set_seconds(-1);
  plan.set_notes(std::string(4001, 'n'));
  EXPECT_THAT(
      NewPlanViolations(plan),
      ElementsAre("treatment_plan.regimen", "treatment_plan.eligibility_assessment",
                  "treatment_plan.product", "treatment_plan.retest_after", "treatment_plan.notes"));
}

TEST(TreatmentPlanTest, AddOns) {
  v1::TreatmentPlan plan = NewPlan();
  v1::AddOn* biotin = plan.add_add_ons();
  biotin->set_product("products/biotin-5mg");
  biotin->mutable_dose()->mutable_value()->set_value("5");
  biotin->mutable_dose()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
  biotin->set_route(v1::ROUTE_ORAL);
  EXPECT_THAT(NewPlanViolations(plan), IsEmpty());
  plan.add_add_ons();
  EXPECT_THAT(NewPlanViolations(plan),
              ElementsAre("treatment_plan.add_ons[1].product", "treatment_plan.add_ons[1].dose",
                          "treatment_plan.add_ons[1].route"));
  for (int i = 0; i < 4; ++i) *plan.add_add_ons() = *biotin;
  plan.mutable_add_ons()->DeleteSubrange(1, 1);  // 5 valid add-ons now
  EXPECT_THAT(NewPlanViolations(plan), IsEmpty());
  *plan.add_add_ons() = *biotin;
  EXPECT_THAT(NewPlanViolations(plan), ElementsAre("treatment_plan.add_ons"));
}

TEST(TreatmentPlanTest, Update) {
  v1::TreatmentPlan plan = NewPlan();
  google::protobuf::FieldMask mask;
  mask.add_paths("dose");
  status::FieldViolations v;
  ValidateTreatmentPlanUpdate(plan, mask, "treatment_plan", v);
  EXPECT_THAT(Fields(v), ElementsAre("treatment_plan.change_reason"));

  plan.set_change_reason("interval extended after review");
  mask.add_paths("start_date");  // immutable
  mask.add_paths("state");       // state UNSPECIFIED in the request
  status::FieldViolations v2;
  ValidateTreatmentPlanUpdate(plan, mask, "treatment_plan", v2);
  EXPECT_THAT(Fields(v2), ElementsAre("update_mask", "treatment_plan.state"));
}

TEST(TreatmentPlanTest, Transitions) {
  using S = v1::TreatmentPlan;
  v1::TreatmentPlan current;
  current.set_name("patients/p1/treatmentPlans/t1");
  for (S::State from : {S::STATE_ACTIVE, S::STATE_PAUSED}) {
    current.set_state(from);
    for (S::State to : {S::STATE_ACTIVE, S::STATE_PAUSED, S::STATE_COMPLETED, S::STATE_STOPPED}) {
      EXPECT_THAT(CheckPlanTransition(current, to), IsOk()) << from << "->" << to;
    }
    EXPECT_THAT(CheckPlanTransition(current, S::STATE_UNSPECIFIED),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  for (S::State from : {S::STATE_COMPLETED, S::STATE_STOPPED}) {
    current.set_state(from);
    for (S::State to : {S::STATE_ACTIVE, S::STATE_PAUSED, S::STATE_COMPLETED, S::STATE_STOPPED}) {
      const absl::Status s = CheckPlanTransition(current, to);
      EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition)) << from << "->" << to;
      EXPECT_EQ(status::GetPreconditionType(s), "PLAN");
    }
  }
}

}  // namespace
}  // namespace clinic::patient::domain
