#include "services/patient/domain/dose_schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "services/patient/domain/seed_regimens.h"

namespace clinic::patient::domain {
namespace {

using absl::CivilDay;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Phases = google::protobuf::RepeatedPtrField<v1::Phase>;

const Phases& SeedPhases(int i) {
  static const std::vector<v1::Regimen> regimens = SeedRegimens();
  return regimens[static_cast<std::size_t>(i)].phases();
}
const Phases& ClinicStandard() { return SeedPhases(0); }
const Phases& BnfNoNeuro() { return SeedPhases(1); }
const Phases& BnfNeuro() { return SeedPhases(2); }

v1::Phase Phase(int times, int every, v1::PeriodUnit unit, v1::PhaseEndRule rule, int count = 0,
                int length = 0, v1::PeriodUnit length_unit = v1::PERIOD_UNIT_UNSPECIFIED) {
  v1::Phase p;
  p.set_kind(v1::PHASE_KIND_LOADING);
  p.mutable_frequency()->set_times(times);
  p.mutable_frequency()->set_every(every);
  p.mutable_frequency()->set_unit(unit);
  p.mutable_end()->set_rule(rule);
  p.mutable_end()->set_dose_count(count);
  p.mutable_end()->set_length(length);
  p.mutable_end()->set_length_unit(length_unit);
  return p;
}

std::vector<CivilDay> Dates(const std::vector<ScheduledDose>& doses) {
  std::vector<CivilDay> out;
  for (const ScheduledDose& d : doses) out.push_back(d.date);
  return out;
}

TEST(AddPeriodsTest, Units) {
  EXPECT_EQ(AddPeriods(CivilDay(2024, 2, 27), 2, v1::PERIOD_UNIT_DAY), CivilDay(2024, 2, 29));
  EXPECT_EQ(AddPeriods(CivilDay(2024, 2, 27), 1, v1::PERIOD_UNIT_WEEK), CivilDay(2024, 3, 5));
  EXPECT_EQ(AddPeriods(CivilDay(2024, 1, 31), 1, v1::PERIOD_UNIT_MONTH), CivilDay(2024, 2, 29));
  EXPECT_EQ(AddPeriods(CivilDay(2024, 1, 31), 1, v1::PERIOD_UNIT_UNSPECIFIED),
            CivilDay(2024, 1, 31));
}

TEST(PhaseDoseDatesTest, ClinicStandardLoadingIsFourWeeklyDoses) {
  EXPECT_THAT(PhaseDoseDates(ClinicStandard()[0], CivilDay(2024, 6, 3), CivilDay(2025, 1, 1)),
              ElementsAre(CivilDay(2024, 6, 3), CivilDay(2024, 6, 10), CivilDay(2024, 6, 17),
                          CivilDay(2024, 6, 24)));
}

TEST(PhaseDoseDatesTest, BnfLoadingIsMondayWednesdayFridayForTwoWeeks) {
  // 2024-06-03 is a Monday.
  EXPECT_THAT(PhaseDoseDates(BnfNoNeuro()[0], CivilDay(2024, 6, 3), CivilDay(2025, 1, 1)),
              ElementsAre(CivilDay(2024, 6, 3), CivilDay(2024, 6, 5), CivilDay(2024, 6, 7),
                          CivilDay(2024, 6, 10), CivilDay(2024, 6, 12), CivilDay(2024, 6, 14)));
}

TEST(PhaseDoseDatesTest, AlternateDaysUntilReviewRunToTheHorizon) {
  EXPECT_THAT(PhaseDoseDates(BnfNeuro()[0], CivilDay(2024, 6, 3), CivilDay(2024, 6, 10)),
              ElementsAre(CivilDay(2024, 6, 3), CivilDay(2024, 6, 5), CivilDay(2024, 6, 7),
                          CivilDay(2024, 6, 9)));
}

TEST(PhaseDoseDatesTest, LengthEndsBeforeAnchorPlusLength) {
  // 3 a week for 2 weeks as LENGTH: the same six doses.
  const v1::Phase p =
      Phase(3, 1, v1::PERIOD_UNIT_WEEK, v1::PHASE_END_RULE_LENGTH, 0, 2, v1::PERIOD_UNIT_WEEK);
  EXPECT_EQ(PhaseDoseDates(p, CivilDay(2024, 6, 3), CivilDay(2025, 1, 1)).size(), 6u);
  // Weekly for 1 month from 31 Jan: 31 Jan, 7, 14, 21, 28 Feb (29 Feb is the end, excluded).
  const v1::Phase weekly =
      Phase(1, 1, v1::PERIOD_UNIT_WEEK, v1::PHASE_END_RULE_LENGTH, 0, 1, v1::PERIOD_UNIT_MONTH);
  EXPECT_THAT(PhaseDoseDates(weekly, CivilDay(2024, 1, 31), CivilDay(2025, 1, 1)),
              ElementsAre(CivilDay(2024, 1, 31), CivilDay(2024, 2, 7), CivilDay(2024, 2, 14),
                          CivilDay(2024, 2, 21), CivilDay(2024, 2, 28)));
}

TEST(PhaseDoseDatesTest, MonthlyFromTheAnchorWithoutDrift) {
  const v1::Phase monthly = Phase(1, 1, v1::PERIOD_UNIT_MONTH, v1::PHASE_END_RULE_INDEFINITE);
  EXPECT_THAT(PhaseDoseDates(monthly, CivilDay(2024, 1, 31), CivilDay(2024, 5, 31)),
              ElementsAre(CivilDay(2024, 1, 31), CivilDay(2024, 2, 29), CivilDay(2024, 3, 31),
                          CivilDay(2024, 4, 30), CivilDay(2024, 5, 31)));
}

TEST(PhaseDoseDatesTest, TwiceAMonthSharesTheMonthsDays) {
  const v1::Phase p = Phase(2, 1, v1::PERIOD_UNIT_MONTH, v1::PHASE_END_RULE_DOSE_COUNT, 4);
  // February 2024 has 29 days: second dose on day 14; March has 31: day 15.
  EXPECT_THAT(PhaseDoseDates(p, CivilDay(2024, 2, 1), CivilDay(2025, 1, 1)),
              ElementsAre(CivilDay(2024, 2, 1), CivilDay(2024, 2, 15), CivilDay(2024, 3, 1),
                          CivilDay(2024, 3, 16)));
}

TEST(PhaseDoseDatesTest, InvalidPhasesGiveNoDates) {
  EXPECT_THAT(PhaseDoseDates(Phase(1, 0, v1::PERIOD_UNIT_DAY, v1::PHASE_END_RULE_INDEFINITE),
                             CivilDay(2024, 1, 1), CivilDay(2025, 1, 1)),
              IsEmpty());
  EXPECT_THAT(PhaseDoseDates(Phase(0, 1, v1::PERIOD_UNIT_DAY, v1::PHASE_END_RULE_INDEFINITE),
                             CivilDay(2024, 1, 1), CivilDay(2025, 1, 1)),
              IsEmpty());
  EXPECT_THAT(
      PhaseDoseDates(Phase(1, 1, v1::PERIOD_UNIT_UNSPECIFIED, v1::PHASE_END_RULE_INDEFINITE),
                     CivilDay(2024, 1, 1), CivilDay(2025, 1, 1)),
      IsEmpty());
}

TEST(PlanDoseDatesTest, ClinicStandardCourse) {
  const std::vector<ScheduledDose> doses =
      PlanDoseDates(ClinicStandard(), CivilDay(2024, 1, 10), CivilDay(2024, 5, 1));
  EXPECT_THAT(Dates(doses),
              ElementsAre(CivilDay(2024, 1, 10), CivilDay(2024, 1, 17), CivilDay(2024, 1, 24),
                          CivilDay(2024, 1, 31),  // last loading dose
                          CivilDay(2024, 2, 29),  // a month later (clamped)...
                          CivilDay(2024, 3, 29),  // ...which anchors the maintenance phase
                          CivilDay(2024, 4, 29)));
  EXPECT_EQ(doses[3], (ScheduledDose{CivilDay(2024, 1, 31), 0, 3}));
  EXPECT_EQ(doses[4], (ScheduledDose{CivilDay(2024, 2, 29), 1, 0}));
  EXPECT_EQ(doses[6], (ScheduledDose{CivilDay(2024, 4, 29), 1, 2}));
}

TEST(PlanDoseDatesTest, BnfWithoutNeurologicalInvolvement) {
  EXPECT_THAT(Dates(PlanDoseDates(BnfNoNeuro(), CivilDay(2024, 6, 3), CivilDay(2024, 12, 31))),
              ElementsAre(CivilDay(2024, 6, 3), CivilDay(2024, 6, 5), CivilDay(2024, 6, 7),
                          CivilDay(2024, 6, 10), CivilDay(2024, 6, 12), CivilDay(2024, 6, 14),
                          CivilDay(2024, 8, 14), CivilDay(2024, 10, 14), CivilDay(2024, 12, 14)));
}

TEST(PlanDoseDatesTest, StopsAtAReviewPhase) {
  const std::vector<ScheduledDose> doses =
      PlanDoseDates(BnfNeuro(), CivilDay(2024, 6, 3), CivilDay(2024, 12, 31));
  ASSERT_FALSE(doses.empty());
  for (const ScheduledDose& d : doses) EXPECT_EQ(d.phase_index, 0);  // maintenance never dated
  EXPECT_EQ(doses.back().date, CivilDay(2024, 12, 30));
}

TEST(PlanDoseDatesTest, HorizonCutsAFinitePhase) {
  EXPECT_THAT(Dates(PlanDoseDates(ClinicStandard(), CivilDay(2024, 1, 10), CivilDay(2024, 1, 20))),
              ElementsAre(CivilDay(2024, 1, 10), CivilDay(2024, 1, 17)));
  EXPECT_THAT(PlanDoseDates(ClinicStandard(), CivilDay(2024, 1, 10), CivilDay(2024, 1, 9)),
              IsEmpty());
}

std::optional<ScheduledDose> Next(const Phases& phases, CivilDay start,
                                  std::vector<CivilDay> given) {
  return NextDoseDue(phases, start, given);
}

TEST(NextDoseDueTest, FirstDoseIsTheStartDate) {
  EXPECT_EQ(Next(ClinicStandard(), CivilDay(2024, 1, 10), {}),
            (ScheduledDose{CivilDay(2024, 1, 10), 0, 0}));
}

TEST(NextDoseDueTest, OnScheduleFollowsTheSchedule) {
  const CivilDay start(2024, 1, 10);
  const std::vector<ScheduledDose> plan =
      PlanDoseDates(ClinicStandard(), start, CivilDay(2024, 12, 31));
  std::vector<CivilDay> given;
  for (std::size_t i = 0; i + 1 < plan.size(); ++i) {
    given.push_back(plan[i].date);
    EXPECT_EQ(Next(ClinicStandard(), start, given), plan[i + 1]) << i;
  }
}

TEST(NextDoseDueTest, BnfLoadingOnScheduleThenMaintenance) {
  const CivilDay start(2024, 6, 3);
  const std::vector<ScheduledDose> plan = PlanDoseDates(BnfNoNeuro(), start, CivilDay(2025, 6, 1));
  std::vector<CivilDay> given;
  for (std::size_t i = 0; i + 1 < plan.size(); ++i) {
    given.push_back(plan[i].date);
    EXPECT_EQ(Next(BnfNoNeuro(), start, given), plan[i + 1]) << i;
  }
}

TEST(NextDoseDueTest, OnScheduleMonthEndDosesKeepTheirAnchor) {
  // Monthly from 31 Jan: 29 Feb given as scheduled, so the next is 31 Mar (the schedule),
  // not 29 Mar (a month after the dose given).
  google::protobuf::RepeatedPtrField<v1::Phase> monthly;
  *monthly.Add() = Phase(1, 1, v1::PERIOD_UNIT_MONTH, v1::PHASE_END_RULE_INDEFINITE);
  const std::vector<CivilDay> given = {CivilDay(2024, 1, 31), CivilDay(2024, 2, 29)};
  EXPECT_EQ(NextDoseDue(monthly, CivilDay(2024, 1, 31), given),
            (ScheduledDose{CivilDay(2024, 3, 31), 0, 2}));
}

TEST(NextDoseDueTest, ALateDoseRestartsTheSchedule) {
  // Monthly maintenance given late on 15 Mar: next on 15 Apr.
  const CivilDay start(2024, 1, 10);
  std::vector<CivilDay> given = {CivilDay(2024, 1, 10), CivilDay(2024, 1, 17),
                                 CivilDay(2024, 1, 24), CivilDay(2024, 1, 31),
                                 CivilDay(2024, 2, 29), CivilDay(2024, 3, 15)};
  EXPECT_EQ(Next(ClinicStandard(), start, given), (ScheduledDose{CivilDay(2024, 4, 15), 1, 2}));
  // A late weekly loading dose moves the rest of the loading phase.
  given = {CivilDay(2024, 1, 10), CivilDay(2024, 1, 19)};
  EXPECT_EQ(Next(ClinicStandard(), start, given), (ScheduledDose{CivilDay(2024, 1, 26), 0, 2}));
  // The first maintenance dose is a month after the last loading dose as given.
  given = {CivilDay(2024, 1, 10), CivilDay(2024, 1, 17), CivilDay(2024, 1, 24),
           CivilDay(2024, 2, 2)};
  EXPECT_EQ(Next(ClinicStandard(), start, given), (ScheduledDose{CivilDay(2024, 3, 2), 1, 0}));
}

TEST(NextDoseDueTest, ALateDoseKeepsTheWeeklyPatternsGap) {
  // 3 a week (Mon/Wed/Fri pattern: gaps 2, 2, 3). Wednesday's dose given on Thursday:
  // the Friday gap (2 days) applies from Thursday.
  const CivilDay monday(2024, 6, 3);
  EXPECT_EQ(Next(BnfNoNeuro(), monday, {monday, CivilDay(2024, 6, 6)}),
            (ScheduledDose{CivilDay(2024, 6, 8), 0, 2}));
}

TEST(NextDoseDueTest, ReviewPhaseContinuesAndCompletedCourseHasNoNextDose) {
  const CivilDay start(2024, 6, 3);
  std::vector<CivilDay> given;
  for (int i = 0; i < 30; ++i) given.push_back(start + 2 * i);
  EXPECT_EQ(Next(BnfNeuro(), start, given), (ScheduledDose{start + 60, 0, 30}));

  google::protobuf::RepeatedPtrField<v1::Phase> finite;
  *finite.Add() = Phase(1, 1, v1::PERIOD_UNIT_WEEK, v1::PHASE_END_RULE_DOSE_COUNT, 2);
  EXPECT_EQ(NextDoseDue(finite, start, {}), (ScheduledDose{start, 0, 0}));
  const std::vector<CivilDay> one = {start};
  EXPECT_EQ(NextDoseDue(finite, start, one), (ScheduledDose{start + 7, 0, 1}));
  const std::vector<CivilDay> both = {start, start + 7};
  EXPECT_EQ(NextDoseDue(finite, start, both), std::nullopt);
}

TEST(NextDoseDueTest, LengthPhaseCountsFromItsActualFirstDose) {
  google::protobuf::RepeatedPtrField<v1::Phase> phases;
  *phases.Add() =
      Phase(3, 1, v1::PERIOD_UNIT_WEEK, v1::PHASE_END_RULE_LENGTH, 0, 2, v1::PERIOD_UNIT_WEEK);
  *phases.Add() = Phase(1, 1, v1::PERIOD_UNIT_MONTH, v1::PHASE_END_RULE_INDEFINITE);
  const CivilDay monday(2024, 6, 3);
  std::vector<CivilDay> given = {monday,     monday + 2, monday + 4,
                                 monday + 7, monday + 9, monday + 11};
  EXPECT_EQ(NextDoseDue(phases, monday, given),
            (ScheduledDose{CivilDay(2024, 7, 14), 1, 0}));  // a month after 14 Jun
}

}  // namespace
}  // namespace clinic::patient::domain
