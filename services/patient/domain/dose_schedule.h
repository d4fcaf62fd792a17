#pragma once

// Dose due dates of a treatment plan, as local calendar dates (scheduling turns them into
// appointments in the clinic's time zone). Pure calendar arithmetic on validated phases
// (treatment_validation.h); invalid phases give no dates rather than looping.
//
// Within a phase, doses follow its frequency from the phase's anchor (its first dose):
// period k starts at anchor + k * every units (days; weeks of 7 days; calendar months
// counted from the anchor, clamped to the month's last day, so 31 Jan monthly gives
// 29 Feb, 31 Mar...); with `times` > 1 the period's days are shared out: dose i of the
// period falls floor(i * days_in_period / times) days after its start (3 a week: days 0,
// 2 and 4, e.g. Monday, Wednesday, Friday).
//
// A phase ends after dose_count doses (DOSE_COUNT), or with the last dose dated before
// anchor + length (LENGTH). CLINICIAN_REVIEW and INDEFINITE never end here: the clinician
// ends a review phase by updating the plan.
//
// The next phase's first dose is one full period of the next phase's frequency after the
// previous phase's last dose (loading weekly then monthly: one month after the last weekly
// dose).

#include <optional>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "clinic/patient/v1/treatment.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace clinic::patient::domain {

// `day` plus `count` periods of `unit` (DAY, WEEK of 7 days, calendar MONTH clamped to
// the month's end). `day` itself for an unspecified unit.
absl::CivilDay AddPeriods(absl::CivilDay day, int count, v1::PeriodUnit unit);

// One dose of a plan's schedule.
struct ScheduledDose {
  absl::CivilDay date;
  int phase_index = 0;    // index into the plan's phases
  int dose_in_phase = 0;  // 0 for the phase's first dose

  friend bool operator==(const ScheduledDose&, const ScheduledDose&) = default;
};

// The dates of one phase's doses from `anchor` (its first dose) up to and including
// `until`, stopping where the phase ends.
std::vector<absl::CivilDay> PhaseDoseDates(const v1::Phase& phase, absl::CivilDay anchor,
                                           absl::CivilDay until);

// The plan's doses from its first dose on `start` up to and including `until`, phase
// after phase. Stops at an open-ended phase (CLINICIAN_REVIEW, INDEFINITE): the phases
// after a review phase are dated only once the plan says it has ended.
std::vector<ScheduledDose> PlanDoseDates(
    const google::protobuf::RepeatedPtrField<v1::Phase>& phases, absl::CivilDay start,
    absl::CivilDay until);

// The next dose due after the doses already given under the plan (`administered`: the
// local dates of its administrations, oldest first; the n-th administration is the n-th
// dose of the schedule). nullopt when every phase has ended (the course is complete).
// - no dose given yet: the first dose, on `start`;
// - the first dose of a phase: one period of its frequency after the last dose given;
// - within a phase: when the last dose was given on its scheduled date, the next
//   scheduled date; otherwise the schedule restarts from the last dose given: plus
//   `every` units when `times` is 1 (a monthly dose given late on 15 Mar is next due on
//   15 Apr), else plus the scheduled gap between the two doses.
// The phase's anchor is the date its first dose was actually given.
std::optional<ScheduledDose> NextDoseDue(
    const google::protobuf::RepeatedPtrField<v1::Phase>& phases, absl::CivilDay start,
    absl::Span<const absl::CivilDay> administered);

}  // namespace clinic::patient::domain
