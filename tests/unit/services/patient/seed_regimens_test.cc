#include "services/patient/domain/seed_regimens.h"

#include <gtest/gtest.h>

namespace clinic::patient::domain {
namespace {

struct ExpectedPhase {
  v1::PhaseKind kind;
  int times;
  int every;
  int every_max;
  v1::PeriodUnit unit;
  v1::PhaseEndRule rule;
  int dose_count;
};

void ExpectPhase(const v1::Phase& p, const ExpectedPhase& e) {
  EXPECT_EQ(p.kind(), e.kind);
  EXPECT_EQ(p.frequency().times(), e.times);
  EXPECT_EQ(p.frequency().every(), e.every);
  EXPECT_EQ(p.frequency().every_max(), e.every_max);
  EXPECT_EQ(p.frequency().unit(), e.unit);
  EXPECT_EQ(p.end().rule(), e.rule);
  EXPECT_EQ(p.end().dose_count(), e.dose_count);
  EXPECT_FALSE(p.has_dose());  // the regimen's dose applies
}

TEST(SeedRegimensTest, TheThreeRegimens) {
  const std::vector<v1::Regimen> r = SeedRegimens();
  ASSERT_EQ(r.size(), 3u);
  for (const v1::Regimen& regimen : r) {
    EXPECT_EQ(regimen.dose().value().value(), "1") << regimen.name();
    EXPECT_EQ(regimen.dose().unit(), type::v1::QUANTITY_UNIT_MILLIGRAM);
    EXPECT_EQ(regimen.route(), v1::ROUTE_INTRAMUSCULAR);
    EXPECT_EQ(regimen.state(), v1::Regimen::STATE_ACTIVE);
    EXPECT_FALSE(regimen.display_name().empty());
    ASSERT_EQ(regimen.phases_size(), 2) << regimen.name();
  }
  EXPECT_EQ(r[0].name(), "regimens/clinic-standard");
  ExpectPhase(r[0].phases(0), {v1::PHASE_KIND_LOADING, 1, 1, 0, v1::PERIOD_UNIT_WEEK,
                               v1::PHASE_END_RULE_DOSE_COUNT, 4});
  ExpectPhase(r[0].phases(1), {v1::PHASE_KIND_MAINTENANCE, 1, 1, 0, v1::PERIOD_UNIT_MONTH,
                               v1::PHASE_END_RULE_INDEFINITE, 0});
  EXPECT_EQ(r[1].name(), "regimens/bnf-no-neurological");
  ExpectPhase(r[1].phases(0), {v1::PHASE_KIND_LOADING, 3, 1, 0, v1::PERIOD_UNIT_WEEK,
                               v1::PHASE_END_RULE_DOSE_COUNT, 6});
  ExpectPhase(r[1].phases(1), {v1::PHASE_KIND_MAINTENANCE, 1, 2, 3, v1::PERIOD_UNIT_MONTH,
                               v1::PHASE_END_RULE_INDEFINITE, 0});
  EXPECT_EQ(r[2].name(), "regimens/bnf-neurological");
  ExpectPhase(r[2].phases(0), {v1::PHASE_KIND_LOADING, 1, 2, 0, v1::PERIOD_UNIT_DAY,
                               v1::PHASE_END_RULE_CLINICIAN_REVIEW, 0});
  ExpectPhase(r[2].phases(1), {v1::PHASE_KIND_MAINTENANCE, 1, 2, 0, v1::PERIOD_UNIT_MONTH,
                               v1::PHASE_END_RULE_INDEFINITE, 0});
}

}  // namespace
}  // namespace clinic::patient::domain
