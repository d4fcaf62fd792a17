// The notification service's health components (services/notification/dependency_health.h):
// the reminder queue's Redis and the patient service as seen by contact lookups.
#include "services/notification/dependency_health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace clinic::notification {
namespace {

using server::ComponentState;

TEST(RedisQueueHealthTest, ReachableIsServing) {
  queue::DispatcherHealth health;
  health.redis_healthy = true;
  health.reconcile_pending = false;
  EXPECT_EQ(RedisQueueHealth(health), (server::ComponentHealth{ComponentState::kServing, ""}));
  health.reconcile_pending = true;
  EXPECT_EQ(RedisQueueHealth(health), (server::ComponentHealth{ComponentState::kServing, "reconcile pending"}));
}

TEST(RedisQueueHealthTest, UnreachableIsNotServingSinceWhenAndWhy) {
  queue::DispatcherHealth health;
  health.redis_healthy = false;
  health.unhealthy_since = absl::FromUnixSeconds(1'790'000'000);
  health.last_error = "Connection refused";
  EXPECT_EQ(RedisQueueHealth(health),
            (server::ComponentHealth{ComponentState::kNotServing,
                                     "unreachable since 2026-09-21T14:13:20Z: Connection refused"}));
}

// Answers with the status it is given.
class ScriptedDirectory final : public ContactDirectory {
 public:
  absl::StatusOr<domain::PatientContact> Lookup(std::string_view, type::v1::ContactChannel,
                                                std::string_view) override {
    if (!next.ok()) return next;
    return domain::PatientContact{};
  }
  absl::Status next;
};

TEST(ObservedContactDirectoryTest, UnknownThenServingThenFailingSinceTheFirstFailure) {
  testing::FakeClock clock(absl::FromUnixSeconds(1'790'000'000));
  ScriptedDirectory inner;
  ObservedContactDirectory observed(inner, clock);
  EXPECT_EQ(observed.health().state, ComponentState::kUnknown);

  EXPECT_TRUE(observed.Lookup("patients/p1", type::v1::CONTACT_CHANNEL_SMS, "r1").ok());
  EXPECT_EQ(observed.health(), (server::ComponentHealth{ComponentState::kServing, ""}));

  inner.next = absl::NotFoundError("no such patient");  // an answer: the service is up
  EXPECT_EQ(observed.Lookup("patients/p2", type::v1::CONTACT_CHANNEL_SMS, "r2").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(observed.health().state, ComponentState::kServing);

  inner.next = absl::UnavailableError("connection refused");
  EXPECT_EQ(observed.Lookup("patients/p1", type::v1::CONTACT_CHANNEL_SMS, "r3").status().code(),
            absl::StatusCode::kUnavailable);
  clock.Advance(absl::Seconds(30));
  inner.next = absl::DeadlineExceededError("slow");
  (void)observed.Lookup("patients/p1", type::v1::CONTACT_CHANNEL_SMS, "r4");
  EXPECT_EQ(observed.health(), (server::ComponentHealth{ComponentState::kNotServing,
                                                        "DEADLINE_EXCEEDED since 2026-09-21T14:13:20Z"}));

  inner.next = absl::OkStatus();
  EXPECT_TRUE(observed.Lookup("patients/p1", type::v1::CONTACT_CHANNEL_SMS, "r5").ok());
  EXPECT_EQ(observed.health().state, ComponentState::kServing);
}

}  // namespace
}  // namespace clinic::notification
