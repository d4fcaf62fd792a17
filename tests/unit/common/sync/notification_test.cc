#include "common/sync/notification.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace clinic::sync {
namespace {

TEST(NotificationTest, WaiterSeesWhatWasWrittenBeforeNotify) {
  Notification done;
  std::string result;  // ordered by the notification alone
  EXPECT_FALSE(done.HasBeenNotified());
  std::thread producer([&] {
    result = "computed";
    done.Notify();
  });
  done.WaitForNotification();
  EXPECT_EQ(result, "computed");
  EXPECT_TRUE(done.HasBeenNotified());
  producer.join();
}

TEST(NotificationTest, PollingSeesWhatWasWrittenBeforeNotify) {
  Notification done;
  std::string result;
  std::thread producer([&] {
    result = "computed";
    done.Notify();
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool notified = false;
  while (!(notified = done.HasBeenNotified()) && absl::Now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(notified);
  EXPECT_EQ(result, "computed");
  producer.join();
}

TEST(NotificationTest, TimedWaitsReportWhetherNotified) {
  Notification done;
  const absl::Time start = absl::Now();
  EXPECT_FALSE(done.WaitForNotificationWithTimeout(absl::Milliseconds(20)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
  EXPECT_FALSE(done.WaitForNotificationWithDeadline(absl::Now() - absl::Seconds(1)));
  done.Notify();
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Milliseconds(20)));
  EXPECT_TRUE(done.WaitForNotificationWithDeadline(absl::Now() - absl::Seconds(1)));
}

}  // namespace
}  // namespace clinic::sync
