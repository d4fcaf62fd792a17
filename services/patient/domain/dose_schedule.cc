#include "services/patient/domain/dose_schedule.h"

#include <cstdint>

#include "services/patient/domain/calendar.h"

namespace clinic::patient::domain {
namespace {

bool IsSchedulable(const v1::Phase& phase) {
  const v1::Frequency& f = phase.frequency();
  return f.times() >= 1 && f.every() >= 1 &&
         (f.unit() == v1::PERIOD_UNIT_DAY || f.unit() == v1::PERIOD_UNIT_WEEK ||
          f.unit() == v1::PERIOD_UNIT_MONTH);
}

bool IsOpenEnded(const v1::Phase& phase) {
  return phase.end().rule() != v1::PHASE_END_RULE_DOSE_COUNT &&
         phase.end().rule() != v1::PHASE_END_RULE_LENGTH;
}

// The date of dose `slot` (0-based) of `phase` anchored at `anchor`.
absl::CivilDay SlotDate(const v1::Phase& phase, absl::CivilDay anchor, std::int64_t slot) {
  const v1::Frequency& f = phase.frequency();
  const std::int64_t period = slot / f.times();
  const std::int64_t index = slot % f.times();
  const absl::CivilDay start = AddPeriods(anchor, static_cast<int>(period * f.every()), f.unit());
  if (f.times() == 1) return start;
  const absl::CivilDay next =
      AddPeriods(anchor, static_cast<int>((period + 1) * f.every()), f.unit());
  return start + (index * (next - start)) / f.times();
}

// True if dose `slot` is past the phase's end (for phases that end).
bool PastEnd(const v1::Phase& phase, absl::CivilDay anchor, std::int64_t slot,
             absl::CivilDay date) {
  switch (phase.end().rule()) {
    case v1::PHASE_END_RULE_DOSE_COUNT:
      return slot >= phase.end().dose_count();
    case v1::PHASE_END_RULE_LENGTH:
      return date >= AddPeriods(anchor, phase.end().length(), phase.end().length_unit());
    default:
      return false;
  }
}

// The number of doses of a phase that ends, anchored at `anchor`.
std::int64_t DoseCount(const v1::Phase& phase, absl::CivilDay anchor) {
  std::int64_t slot = 0;
  while (!PastEnd(phase, anchor, slot, SlotDate(phase, anchor, slot))) ++slot;
  return slot;
}

// One phase's dates, and whether the phase ended before `until` cut it.
struct PhaseDates {
  std::vector<absl::CivilDay> dates;
  bool ended = false;
};

PhaseDates DatesOf(const v1::Phase& phase, absl::CivilDay anchor, absl::CivilDay until) {
  PhaseDates out;
  if (!IsSchedulable(phase)) return out;
  for (std::int64_t slot = 0;; ++slot) {
    const absl::CivilDay date = SlotDate(phase, anchor, slot);
    if (PastEnd(phase, anchor, slot, date)) {
      out.ended = true;
      return out;
    }
    if (date > until) return out;
    out.dates.push_back(date);
  }
}

}  // namespace

absl::CivilDay AddPeriods(absl::CivilDay day, int count, v1::PeriodUnit unit) {
  switch (unit) {
    case v1::PERIOD_UNIT_DAY:
      return day + count;
    case v1::PERIOD_UNIT_WEEK:
      return day + 7 * static_cast<std::int64_t>(count);
    case v1::PERIOD_UNIT_MONTH:
      return AddMonths(day, count);
    default:
      return day;
  }
}

std::vector<absl::CivilDay> PhaseDoseDates(const v1::Phase& phase, absl::CivilDay anchor,
                                           absl::CivilDay until) {
  return DatesOf(phase, anchor, until).dates;
}

std::vector<ScheduledDose> PlanDoseDates(
    const google::protobuf::RepeatedPtrField<v1::Phase>& phases, absl::CivilDay start,
    absl::CivilDay until) {
  std::vector<ScheduledDose> doses;
  absl::CivilDay anchor = start;
  for (int p = 0; p < phases.size(); ++p) {
    const v1::Phase& phase = phases.Get(p);
    if (p > 0) {
      if (doses.empty()) return doses;
      anchor = AddPeriods(doses.back().date, phase.frequency().every(), phase.frequency().unit());
    }
    const PhaseDates dates = DatesOf(phase, anchor, until);
    for (std::size_t i = 0; i < dates.dates.size(); ++i) {
      doses.push_back({dates.dates[i], p, static_cast<int>(i)});
    }
    if (!dates.ended || IsOpenEnded(phase)) return doses;
  }
  return doses;
}

std::optional<ScheduledDose> NextDoseDue(
    const google::protobuf::RepeatedPtrField<v1::Phase>& phases, absl::CivilDay start,
    absl::Span<const absl::CivilDay> administered) {
  const std::int64_t given = static_cast<std::int64_t>(administered.size());
  std::int64_t before = 0;  // doses of the phases before phase p
  for (int p = 0; p < phases.size(); ++p) {
    const v1::Phase& phase = phases.Get(p);
    if (!IsSchedulable(phase)) return std::nullopt;
    const v1::Frequency& f = phase.frequency();
    // The phase's anchor: its first dose as given, else when it is due.
    absl::CivilDay anchor = start;
    if (before < given) {
      anchor = administered[static_cast<std::size_t>(before)];
    } else if (before > 0) {
      anchor = AddPeriods(administered[static_cast<std::size_t>(before - 1)], f.every(), f.unit());
    }
    const bool ends = !IsOpenEnded(phase);
    const std::int64_t count = ends ? DoseCount(phase, anchor) : 0;
    if (ends && before + count <= given) {
      before += count;
      continue;  // this phase is complete
    }
    const std::int64_t slot = given - before;
    if (slot == 0) return ScheduledDose{anchor, p, 0};
    const absl::CivilDay last = administered.back();
    const absl::CivilDay scheduled_last = SlotDate(phase, anchor, slot - 1);
    const absl::CivilDay scheduled_next = SlotDate(phase, anchor, slot);
    absl::CivilDay next;
    if (last == scheduled_last) {
      next = scheduled_next;
    } else if (f.times() == 1) {
      next = AddPeriods(last, f.every(), f.unit());
    } else {
      next = last + (scheduled_next - scheduled_last);
    }
    return ScheduledDose{next, p, static_cast<int>(slot)};
  }
  return std::nullopt;
}

}  // namespace clinic::patient::domain
