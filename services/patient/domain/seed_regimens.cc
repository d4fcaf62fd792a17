#include "services/patient/domain/seed_regimens.h"

#include <string>
#include <utility>

namespace clinic::patient::domain {
namespace {

v1::Phase MakePhase(v1::PhaseKind kind, int times, int every, int every_max, v1::PeriodUnit unit,
                    v1::PhaseEndRule rule, int dose_count) {
  v1::Phase phase;
  phase.set_kind(kind);
  v1::Frequency& frequency = *phase.mutable_frequency();
  frequency.set_times(times);
  frequency.set_every(every);
  frequency.set_every_max(every_max);
  frequency.set_unit(unit);
  phase.mutable_end()->set_rule(rule);
  phase.mutable_end()->set_dose_count(dose_count);
  return phase;
}

v1::Regimen MakeRegimen(std::string_view name, std::string display_name, std::string description) {
  v1::Regimen regimen;
  regimen.set_name(std::string(name));
  regimen.set_display_name(std::move(display_name));
  regimen.set_description(std::move(description));
  regimen.mutable_dose()->mutable_value()->set_value("1");
  regimen.mutable_dose()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
  regimen.set_route(v1::ROUTE_INTRAMUSCULAR);
  regimen.set_state(v1::Regimen::STATE_ACTIVE);
  return regimen;
}

}  // namespace

std::vector<v1::Regimen> SeedRegimens() {
  std::vector<v1::Regimen> regimens;

  v1::Regimen standard =
      MakeRegimen(kClinicStandardRegimen, "Clinic standard: weekly loading, then monthly",
                  "The clinic's own schedule: 1 mg weekly for 4 weeks, then 1 mg monthly.");
  *standard.add_phases() = MakePhase(v1::PHASE_KIND_LOADING, 1, 1, 0, v1::PERIOD_UNIT_WEEK,
                                     v1::PHASE_END_RULE_DOSE_COUNT, 4);
  *standard.add_phases() = MakePhase(v1::PHASE_KIND_MAINTENANCE, 1, 1, 0, v1::PERIOD_UNIT_MONTH,
                                     v1::PHASE_END_RULE_INDEFINITE, 0);
  regimens.push_back(std::move(standard));

  v1::Regimen no_neuro = MakeRegimen(
      kBnfNoNeurologicalRegimen, "BNF, no neurological involvement",
      "BNF hydroxocobalamin, pernicious anaemia and other macrocytic anaemias without "
      "neurological involvement: 1 mg three times a week for 2 weeks, then 1 mg every 2-3 "
      "months.");
  *no_neuro.add_phases() = MakePhase(v1::PHASE_KIND_LOADING, 3, 1, 0, v1::PERIOD_UNIT_WEEK,
                                     v1::PHASE_END_RULE_DOSE_COUNT, 6);
  *no_neuro.add_phases() = MakePhase(v1::PHASE_KIND_MAINTENANCE, 1, 2, 3, v1::PERIOD_UNIT_MONTH,
                                     v1::PHASE_END_RULE_INDEFINITE, 0);
  regimens.push_back(std::move(no_neuro));

  v1::Regimen neuro = MakeRegimen(
      kBnfNeurologicalRegimen, "BNF, neurological involvement",
      "BNF hydroxocobalamin with neurological involvement: 1 mg on alternate days until no "
      "further improvement, then 1 mg every 2 months.");
  *neuro.add_phases() = MakePhase(v1::PHASE_KIND_LOADING, 1, 2, 0, v1::PERIOD_UNIT_DAY,
                                  v1::PHASE_END_RULE_CLINICIAN_REVIEW, 0);
  *neuro.add_phases() = MakePhase(v1::PHASE_KIND_MAINTENANCE, 1, 2, 0, v1::PERIOD_UNIT_MONTH,
                                  v1::PHASE_END_RULE_INDEFINITE, 0);
  regimens.push_back(std::move(neuro));

  return regimens;
}

}  // namespace clinic::patient::domain
