#include "common/sync/mutex.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace clinic::sync {
namespace {

// Long enough for a loaded sanitizer build; a lost wake-up fails the test after it.
constexpr absl::Duration kPatience = absl::Seconds(30);

TEST(MutexTest, ThreadsIncrementingAGuardedCounterLoseNoUpdate) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 20'000;
  struct {
    Mutex mu;
    long value ABSL_GUARDED_BY(mu) = 0;
  } counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock lock(&counter.mu);
        ++counter.value;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  MutexLock lock(&counter.mu);
  EXPECT_EQ(counter.value, long{kThreads} * kIncrements);
}

// What gRPC's threads do: absl::Mutex itself, not through clinic::sync. In TSan builds
// this checks that the interposition (tsan_support.cc) covers it too.
TEST(MutexTest, RawAbslMutexOrdersAccessesToo) {
  struct {
    absl::Mutex mu;
    long value ABSL_GUARDED_BY(mu) = 0;
  } counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        absl::MutexLock lock(&counter.mu);
        ++counter.value;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::MutexLock lock(&counter.mu);
  EXPECT_EQ(counter.value, 20'000);
}

TEST(MutexTest, ReadersNeverSeeAHalfDoneWrite) {
  struct {
    Mutex mu;
    std::string first ABSL_GUARDED_BY(mu);  // equal to `second` whenever mu is free
    std::string second ABSL_GUARDED_BY(mu);
  } pair;
  int mismatches = 0;  // written by the reader thread only, read after join
  std::thread writer([&] {
    for (int i = 0; i < 2'000; ++i) {
      MutexLock lock(&pair.mu);
      pair.first = std::to_string(i);
      pair.second = pair.first;
    }
  });
  std::thread reader([&] {
    for (int i = 0; i < 2'000; ++i) {
      ReaderMutexLock lock(&pair.mu);
      if (pair.first != pair.second) ++mismatches;
    }
  });
  writer.join();
  reader.join();
  EXPECT_EQ(mismatches, 0);
}

TEST(CondVarTest, WaiterIsWokenBySignalAndSeesWhatWasWrittenBefore) {
  Mutex mu;
  CondVar cv;
  bool ready = false;  // guarded by mu
  std::string message;  // written before `ready`, read after it: ordered by mu alone
  bool timed_out = false;
  std::string received;
  std::thread waiter([&] {
    const absl::Time deadline = absl::Now() + kPatience;
    MutexLock lock(&mu);
    while (!ready) {
      if (cv.WaitWithDeadline(&mu, deadline)) {
        timed_out = true;
        break;
      }
    }
    received = message;
  });
  {
    MutexLock lock(&mu);
    message = "hello";
    ready = true;
  }
  cv.Signal();
  waiter.join();
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(received, "hello");
}

TEST(CondVarTest, SignalAllWakesEveryWaiter) {
  constexpr int kWaiters = 3;
  Mutex mu;
  CondVar cv;
  // Guarded by mu (locals cannot carry ABSL_GUARDED_BY).
  bool go = false;
  int waiting = 0;
  int woken = 0;
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      const absl::Time deadline = absl::Now() + kPatience;
      MutexLock lock(&mu);
      ++waiting;
      cv.SignalAll();  // tells the main thread another waiter is in
      while (!go) {
        if (cv.WaitWithDeadline(&mu, deadline)) return;
      }
      ++woken;
    });
  }
  {
    const absl::Time deadline = absl::Now() + kPatience;
    MutexLock lock(&mu);
    while (waiting < kWaiters && !cv.WaitWithDeadline(&mu, deadline)) {
    }
    ASSERT_EQ(waiting, kWaiters);
    go = true;
  }
  cv.SignalAll();
  for (std::thread& waiter : waiters) waiter.join();
  MutexLock lock(&mu);
  EXPECT_EQ(woken, kWaiters);
}

TEST(CondVarTest, WaitWithoutSignalTimesOutAndHoldsTheMutexAgain) {
  Mutex mu;
  CondVar cv;
  int value = 0;  // guarded by mu
  MutexLock lock(&mu);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(cv.WaitWithTimeout(&mu, absl::Milliseconds(20)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
  EXPECT_TRUE(cv.WaitWithDeadline(&mu, absl::Now() - absl::Seconds(1)));
  mu.AssertHeld();
  ++value;  // still ours: the wait took the mutex again
  EXPECT_EQ(value, 1);
}

}  // namespace
}  // namespace clinic::sync
