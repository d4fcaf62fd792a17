#include "services/notification/domain/delivery_rules.h"

#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "tests/support/utc.h"

namespace clinic::notification::domain {
namespace {

using ::clinic::testing::Utc;

TEST(DeliveryRulesTest, DefaultExpiry) {
  const absl::Time send = Utc(2026, 11, 24, 10, 0);
  EXPECT_EQ(DefaultExpireTime(send, Utc(2026, 11, 25, 9, 30)), Utc(2026, 11, 25, 9, 30));
  EXPECT_EQ(DefaultExpireTime(send, std::nullopt), Utc(2026, 12, 1, 10, 0));
}

TEST(DeliveryRulesTest, DefaultDedupeKey) {
  EXPECT_EQ(DefaultDedupeKey(v1::REMINDER_KIND_APPOINTMENT_REMINDER, "clinics/soho/appointments/42", "patients/p1",
                             Utc(2026, 11, 24, 10, 0)),
            "REMINDER_KIND_APPOINTMENT_REMINDER/clinics/soho/appointments/42/2026-11-24T10:00:00Z");
  EXPECT_EQ(DefaultDedupeKey(v1::REMINDER_KIND_RETEST_DUE, "", "patients/p1", Utc(2026, 11, 24, 10, 0)),
            "REMINDER_KIND_RETEST_DUE/patients/p1/2026-11-24T10:00:00Z");
}

TEST(DeliveryRulesTest, ExpiredAtExpiryAndAtTheAppointment) {
  const absl::Time expire = Utc(2026, 11, 25, 12, 0);
  const absl::Time event = Utc(2026, 11, 25, 9, 30);
  EXPECT_FALSE(IsExpired(v1::REMINDER_KIND_NEXT_DOSE_DUE, expire - absl::Seconds(1), expire, event));
  EXPECT_TRUE(IsExpired(v1::REMINDER_KIND_NEXT_DOSE_DUE, expire, expire, event));
  // An appointment reminder is never sent once the appointment started, whatever the expiry.
  EXPECT_TRUE(IsExpired(v1::REMINDER_KIND_APPOINTMENT_REMINDER, event, expire, event));
  EXPECT_FALSE(IsExpired(v1::REMINDER_KIND_APPOINTMENT_REMINDER, event - absl::Seconds(1), expire, event));
  EXPECT_FALSE(IsExpired(v1::REMINDER_KIND_RETEST_DUE, event, expire, event));
}

TEST(DeliveryRulesTest, RetryDelayDoublesUpToTheCap) {
  EXPECT_EQ(RetryDelay(1), absl::Seconds(30));
  EXPECT_EQ(RetryDelay(2), absl::Seconds(60));
  EXPECT_EQ(RetryDelay(3), absl::Seconds(120));
  EXPECT_EQ(RetryDelay(7), absl::Minutes(30));
  EXPECT_EQ(RetryDelay(100), absl::Minutes(30));
  EXPECT_EQ(RetryDelay(4, absl::Seconds(1), absl::Seconds(5)), absl::Seconds(5));
}

TEST(DeliveryRulesTest, ScheduleBoundIs400Days) { EXPECT_EQ(kMaxScheduleAhead, absl::Hours(24 * 400)); }

}  // namespace
}  // namespace clinic::notification::domain
