// The reminder queue and its dispatcher against a real redis-server, one per test.
// Queue scores follow a FakeClock; the dispatcher's polling runs on real time, so tests
// wait for conditions (never for durations).

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/metrics/metrics.h"
#include "common/redis/hiredis_client.h"
#include "common/sync/mutex.h"
#include "common/sync/notification.h"
#include "services/notification/queue/backoff.h"
#include "services/notification/queue/deliverer.h"
#include "services/notification/queue/dispatcher.h"
#include "services/notification/queue/reminder_queue.h"
#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/status_matchers.h"

namespace clinic::notification::queue {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::RedisServer;
using ::clinic::testing::StatusIs;
using ::clinic::testing::WaitFor;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAreArray;

constexpr auto kWait = std::chrono::seconds(30);
constexpr char kPrefix[] = "{test:reminders}";

// A StatusOr that is OK and whose value matches `inner`.
MATCHER_P(IsOkAndHolds, inner, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

std::vector<std::string> IdsOf(const std::vector<Claim>& claims) {
  std::vector<std::string> ids;
  for (const Claim& claim : claims) ids.push_back(claim.id);
  return ids;
}

std::string Id(int i) { return absl::StrCat("rem-", i); }

// The value of one series in a rendered registry ("name{labels}"), or -1 if absent.
double MetricValue(const metrics::Registry& registry, const std::string& series) {
  const std::string text = registry.Render();
  const std::string prefix = "\n" + std::string(series) + " ";
  const size_t pos = text.find(prefix);
  if (pos == std::string::npos) return -1;
  const size_t start = pos + prefix.size();
  double value = -1;
  if (!absl::SimpleAtod(text.substr(start, text.find('\n', start) - start), &value)) return -1;
  return value;
}

// Records every delivery; answers with `decide` (kDone by default). Thread-safe.
class RecordingDeliverer final : public Deliverer {
 public:
  using Decide = std::function<DeliveryOutcome(std::string_view id, int attempt)>;
  explicit RecordingDeliverer(Decide decide = nullptr) : decide_(std::move(decide)) {}

  DeliveryOutcome Deliver(std::string_view reminder_id, int attempt) override {
    {
      sync::MutexLock lock(&mu_);
      deliveries_.emplace_back(std::string(reminder_id), attempt);
    }
    return decide_ ? decide_(reminder_id, attempt) : DeliveryOutcome::Done();
  }
  void DeadLettered(std::string_view reminder_id, int attempts) override {
    sync::MutexLock lock(&mu_);
    dead_lettered_.emplace_back(std::string(reminder_id), attempts);
  }

  std::vector<std::pair<std::string, int>> deliveries() const {
    sync::MutexLock lock(&mu_);
    return deliveries_;
  }
  size_t count() const {
    sync::MutexLock lock(&mu_);
    return deliveries_.size();
  }
  std::vector<std::pair<std::string, int>> dead_lettered() const {
    sync::MutexLock lock(&mu_);
    return dead_lettered_;
  }

 private:
  const Decide decide_;
  mutable sync::Mutex mu_;
  std::vector<std::pair<std::string, int>> deliveries_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, int>> dead_lettered_ ABSL_GUARDED_BY(mu_);
};

// What the notification database would say is scheduled: the reconcile source.
class ScheduledRows {
 public:
  void Add(const std::string& id, absl::Time due) {
    sync::MutexLock lock(&mu_);
    rows_[id] = due;
  }
  ScheduledLister Lister() {
    return [this](const std::function<void(std::string_view, absl::Time)>& emit) {
      std::map<std::string, absl::Time> rows;
      {
        sync::MutexLock lock(&mu_);
        rows = rows_;
      }
      for (const auto& [id, due] : rows) emit(id, due);
      return absl::OkStatus();
    };
  }

 private:
  sync::Mutex mu_;
  std::map<std::string, absl::Time> rows_ ABSL_GUARDED_BY(mu_);
};

class ReminderQueueTest : public ::testing::Test {
 protected:
  ReminderQueueTest() {
    redis::ClientOptions options;
    options.url = server_.url();
    options.pool_size = 16;
    client_ = *redis::HiredisClient::Create(options);
    queue_ = std::make_unique<ReminderQueue>(*client_, std::string(kPrefix));
  }

  absl::Time t0() const { return start_; }

  QueueCounts Counts() {
    absl::StatusOr<QueueCounts> counts = queue_->Counts(clock_.Now());
    EXPECT_THAT(counts, IsOk());
    return counts.ok() ? *counts : QueueCounts{-1, -1, -1, -1};
  }

  // The due time of an id in the due set, or InfinitePast when it is not there.
  absl::Time DueScore(std::string_view id) {
    const std::string key = absl::StrCat(kPrefix, ":due");
    absl::StatusOr<redis::Reply> score = client_->Command({"ZSCORE", key, id});
    EXPECT_THAT(score, IsOk());
    if (!score.ok() || score->is_nil()) return absl::InfinitePast();
    int64_t ms = 0;
    EXPECT_TRUE(absl::SimpleAtoi(score->str(), &ms));
    return absl::FromUnixMillis(ms);
  }

  std::vector<Claim> MustClaim(absl::Time now, int max, absl::Duration visibility = absl::Seconds(30)) {
    absl::StatusOr<std::vector<Claim>> claims = queue_->ClaimDue(now, max, visibility);
    EXPECT_THAT(claims, IsOk());
    return claims.ok() ? *claims : std::vector<Claim>{};
  }

  bool MustFinish(absl::StatusOr<bool> result) {
    EXPECT_THAT(result, IsOk());
    return result.ok() && *result;
  }

  RedisServer server_;
  std::unique_ptr<redis::HiredisClient> client_;
  std::unique_ptr<ReminderQueue> queue_;
  const absl::Time start_ = absl::FromUnixSeconds(1'790'000'000);
  FakeClock clock_{start_};
};

// --- The queue itself -------------------------------------------------------------

TEST_F(ReminderQueueTest, ClaimTakesDueIdsEarliestFirstUpToMax) {
  CLINIC_ASSERT_OK(queue_->Enqueue("c", t0() + absl::Seconds(3)));
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0() + absl::Seconds(1)));
  CLINIC_ASSERT_OK(queue_->Enqueue("b", t0() + absl::Seconds(2)));
  CLINIC_ASSERT_OK(queue_->Enqueue("later", t0() + absl::Hours(1)));

  EXPECT_THAT(MustClaim(t0(), 10), IsEmpty());  // nothing due yet
  const std::vector<Claim> first = MustClaim(t0() + absl::Seconds(5), 2, absl::Seconds(30));
  ASSERT_THAT(IdsOf(first), ElementsAre("a", "b"));
  EXPECT_EQ(first[0].attempt, 1);
  EXPECT_EQ(first[0].due, t0() + absl::Seconds(1));
  EXPECT_EQ(first[0].visible_until, t0() + absl::Seconds(35));
  EXPECT_NE(first[0].token, first[1].token);
  EXPECT_THAT(IdsOf(MustClaim(t0() + absl::Seconds(5), 10)), ElementsAre("c"));

  clock_.Set(t0() + absl::Seconds(5));
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.due, 1);
  EXPECT_EQ(counts.due_now, 0);
  EXPECT_EQ(counts.in_flight, 3);
  EXPECT_EQ(counts.dead, 0);
}

TEST_F(ReminderQueueTest, ConcurrentClaimersGetEveryIdExactlyOnce) {
  constexpr int kIds = 3000;
  std::vector<ScheduledReminder> all;
  for (int i = 0; i < kIds; ++i) all.push_back({Id(i), t0() - absl::Seconds(i % 50)});
  ASSERT_THAT(queue_->EnsureQueued(all), IsOkAndHolds(kIds));

  constexpr int kThreads = 8;
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        absl::StatusOr<std::vector<Claim>> claims = queue_->ClaimDue(t0(), 7, absl::Minutes(1));
        if (!claims.ok() || claims->empty()) return;
        for (Claim& claim : *claims) got[t].push_back(std::move(claim.id));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::string> merged;
  for (const auto& ids : got) merged.insert(merged.end(), ids.begin(), ids.end());
  std::vector<std::string> expected;
  for (int i = 0; i < kIds; ++i) expected.push_back(Id(i));
  EXPECT_THAT(merged, UnorderedElementsAreArray(expected));  // each once, none missing
  EXPECT_EQ(Counts().in_flight, kIds);
  EXPECT_EQ(Counts().due, 0);
}

TEST_F(ReminderQueueTest, AckRemovesTheIdFromEverySet) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  const std::vector<Claim> claims = MustClaim(t0(), 1);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_TRUE(MustFinish(queue_->Ack(claims[0], t0())));
  EXPECT_FALSE(MustFinish(queue_->Ack(claims[0], t0())));  // a second ack changes nothing
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.due + counts.in_flight + counts.dead, 0);
  EXPECT_THAT(queue_->Attempts("a"), IsOkAndHolds(0));
}

TEST_F(ReminderQueueTest, AckOfSeveralClaimsAnswersForEachInOneCall) {
  for (const char* id : {"a", "b", "c"}) CLINIC_ASSERT_OK(queue_->Enqueue(id, t0()));
  const std::vector<Claim> claims = MustClaim(t0(), 3);
  ASSERT_EQ(claims.size(), 3u);
  CLINIC_ASSERT_OK(queue_->Remove("b", t0()));  // cancelled while being delivered
  EXPECT_THAT(queue_->Ack(claims, t0()), IsOkAndHolds(ElementsAre(true, false, true)));
  EXPECT_THAT(queue_->Ack(std::vector<Claim>{}, t0()), IsOkAndHolds(IsEmpty()));
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.due + counts.in_flight + counts.dead, 0);
}

TEST_F(ReminderQueueTest, EveryKeySharesTheHashTag) {
  CLINIC_ASSERT_OK(queue_->MarkReconciled());
  for (const char* id : {"a", "b", "c", "d"}) CLINIC_ASSERT_OK(queue_->Enqueue(id, t0()));
  const std::vector<Claim> claims = MustClaim(t0(), 3);
  ASSERT_EQ(claims.size(), 3u);
  ASSERT_TRUE(MustFinish(queue_->DeadLetter(claims[0], t0())));
  ASSERT_TRUE(MustFinish(queue_->Ack(claims[1], t0())));

  absl::StatusOr<redis::Reply> keys = client_->Command({"KEYS", "*"});
  ASSERT_THAT(keys, IsOk());
  std::vector<std::string> names;
  for (const redis::Reply& key : keys->elements()) names.push_back(key.str());
  EXPECT_THAT(names, UnorderedElementsAreArray(std::vector<std::string>{
                         "{test:reminders}:due", "{test:reminders}:inflight", "{test:reminders}:dead",
                         "{test:reminders}:attempts", "{test:reminders}:claims", "{test:reminders}:finished",
                         "{test:reminders}:marker"}));
}

TEST_F(ReminderQueueTest, ExpiredClaimIsReapedAndClaimedAgainWithTheNextAttempt) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  const std::vector<Claim> first = MustClaim(t0(), 1, absl::Seconds(30));
  ASSERT_EQ(first.size(), 1u);

  EXPECT_THAT(queue_->Reap(t0() + absl::Seconds(29)), IsOkAndHolds(0));
  EXPECT_THAT(MustClaim(t0() + absl::Seconds(29), 1), IsEmpty());  // still held
  EXPECT_THAT(queue_->Reap(t0() + absl::Seconds(30)), IsOkAndHolds(1));
  EXPECT_EQ(DueScore("a"), t0() + absl::Seconds(30));  // due again at the reap

  const std::vector<Claim> second = MustClaim(t0() + absl::Seconds(31), 1, absl::Seconds(30));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, "a");
  EXPECT_EQ(second[0].attempt, 2);
  EXPECT_NE(second[0].token, first[0].token);
}

TEST_F(ReminderQueueTest, ReapReturnsAtMostMaxPerRun) {
  for (int i = 0; i < 5; ++i) CLINIC_ASSERT_OK(queue_->Enqueue(Id(i), t0()));
  ASSERT_EQ(MustClaim(t0(), 5, absl::Seconds(1)).size(), 5u);
  EXPECT_THAT(queue_->Reap(t0() + absl::Seconds(2), 3), IsOkAndHolds(3));
  EXPECT_THAT(queue_->Reap(t0() + absl::Seconds(2), 3), IsOkAndHolds(2));
  EXPECT_THAT(queue_->Reap(t0() + absl::Seconds(2), 3), IsOkAndHolds(0));
}

TEST_F(ReminderQueueTest, LateResultOfAReapedAndReclaimedClaimChangesNothing) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  const std::vector<Claim> stale = MustClaim(t0(), 1, absl::Seconds(10));
  ASSERT_EQ(stale.size(), 1u);
  ASSERT_THAT(queue_->Reap(t0() + absl::Seconds(11)), IsOkAndHolds(1));
  const std::vector<Claim> current = MustClaim(t0() + absl::Seconds(11), 1, absl::Seconds(10));
  ASSERT_EQ(current.size(), 1u);

  // The first worker wakes up and reports: every kind of report is refused.
  EXPECT_FALSE(MustFinish(queue_->Ack(stale[0], t0())));
  EXPECT_FALSE(MustFinish(queue_->Retry(stale[0], t0() + absl::Hours(1))));
  EXPECT_FALSE(MustFinish(queue_->DeadLetter(stale[0], t0())));
  EXPECT_THAT(queue_->Release(stale, t0()), IsOkAndHolds(0));
  clock_.Set(t0() + absl::Seconds(11));
  QueueCounts counts = Counts();
  EXPECT_EQ(counts.in_flight, 1);
  EXPECT_EQ(counts.due, 0);
  EXPECT_EQ(counts.dead, 0);
  EXPECT_THAT(queue_->Attempts("a"), IsOkAndHolds(2));

  // The new claim is intact: its own retry works.
  EXPECT_TRUE(MustFinish(queue_->Retry(current[0], t0() + absl::Minutes(5))));
  EXPECT_EQ(DueScore("a"), t0() + absl::Minutes(5));
  counts = Counts();
  EXPECT_EQ(counts.in_flight, 0);
  EXPECT_EQ(counts.due, 1);
}

TEST_F(ReminderQueueTest, LateAckOfAReapedClaimNotYetReclaimedStillCounts) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  const std::vector<Claim> claims = MustClaim(t0(), 1, absl::Seconds(10));
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_THAT(queue_->Reap(t0() + absl::Seconds(11)), IsOkAndHolds(1));
  EXPECT_TRUE(MustFinish(queue_->Ack(claims[0], t0())));  // saves a second delivery
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.due + counts.in_flight + counts.dead, 0);
  EXPECT_THAT(MustClaim(t0() + absl::Minutes(1), 10), IsEmpty());
}

TEST_F(ReminderQueueTest, RetriesComeBackInTheOrderOfTheirNextDueTime) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  CLINIC_ASSERT_OK(queue_->Enqueue("b", t0()));
  const std::vector<Claim> claims = MustClaim(t0(), 2);
  ASSERT_THAT(IdsOf(claims), ElementsAre("a", "b"));
  ASSERT_TRUE(MustFinish(queue_->Retry(claims[0], t0() + absl::Seconds(10))));
  ASSERT_TRUE(MustFinish(queue_->Retry(claims[1], t0() + absl::Seconds(5))));

  EXPECT_THAT(MustClaim(t0() + absl::Seconds(4), 10), IsEmpty());
  const std::vector<Claim> b = MustClaim(t0() + absl::Seconds(6), 10);
  ASSERT_THAT(IdsOf(b), ElementsAre("b"));
  EXPECT_EQ(b[0].attempt, 2);
  const std::vector<Claim> a = MustClaim(t0() + absl::Seconds(10), 10);
  ASSERT_THAT(IdsOf(a), ElementsAre("a"));
  EXPECT_EQ(a[0].attempt, 2);
}

TEST_F(ReminderQueueTest, DueTimesAreRoundedUpToTheMillisecondSoNoIdIsClaimedEarly) {
  // Due 1.5 ms after t0: a claim at 1.2 ms (the same whole millisecond) is too early.
  const absl::Time due = t0() + absl::Microseconds(1500);
  CLINIC_ASSERT_OK(queue_->Enqueue("a", due));
  EXPECT_EQ(DueScore("a"), t0() + absl::Milliseconds(2));
  EXPECT_THAT(MustClaim(t0() + absl::Microseconds(1200), 1), IsEmpty());
  EXPECT_THAT(MustClaim(t0() + absl::Microseconds(1999), 1), IsEmpty());
  std::vector<Claim> claims = MustClaim(t0() + absl::Milliseconds(2), 1);
  ASSERT_THAT(IdsOf(claims), ElementsAre("a"));
  EXPECT_GE(claims[0].due, due);

  // Retries and the reconcile round up as well; a whole millisecond stays as it is.
  ASSERT_TRUE(MustFinish(queue_->Retry(claims[0], due + absl::Seconds(1))));
  EXPECT_EQ(DueScore("a"), t0() + absl::Seconds(1) + absl::Milliseconds(2));
  EXPECT_THAT(queue_->EnsureQueued("b", t0() + absl::Microseconds(3001), t0()), IsOkAndHolds(true));
  EXPECT_EQ(DueScore("b"), t0() + absl::Milliseconds(4));
  CLINIC_ASSERT_OK(queue_->Enqueue("c", t0() + absl::Milliseconds(7)));
  EXPECT_EQ(DueScore("c"), t0() + absl::Milliseconds(7));
}

TEST_F(ReminderQueueTest, ADeferralDoesNotCountAsAnAttempt) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  std::vector<Claim> claims = MustClaim(t0(), 1);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_TRUE(MustFinish(queue_->Retry(claims[0], t0() + absl::Hours(8), /*count_attempt=*/false)));
  EXPECT_THAT(queue_->Attempts("a"), IsOkAndHolds(0));
  claims = MustClaim(t0() + absl::Hours(8), 1);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].attempt, 1);
}

TEST_F(ReminderQueueTest, DeadLetteredIdsAreListedAndEnqueueRevivesThemAfresh) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  std::vector<Claim> claims = MustClaim(t0(), 1);
  ASSERT_EQ(claims.size(), 1u);
  ASSERT_TRUE(MustFinish(queue_->DeadLetter(claims[0], t0())));
  QueueCounts counts = Counts();
  EXPECT_EQ(counts.dead, 1);
  EXPECT_EQ(counts.in_flight, 0);
  EXPECT_THAT(queue_->DeadIds(10), IsOkAndHolds(ElementsAre("a")));
  EXPECT_THAT(queue_->Attempts("a"), IsOkAndHolds(1));  // kept for operators
  EXPECT_THAT(MustClaim(t0() + absl::Hours(1), 10), IsEmpty());

  // RetryDeadLetter: a fresh schedule.
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0() + absl::Hours(1)));
  counts = Counts();
  EXPECT_EQ(counts.dead, 0);
  EXPECT_EQ(counts.due, 1);
  claims = MustClaim(t0() + absl::Hours(1), 1);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].attempt, 1);
}

TEST_F(ReminderQueueTest, RemoveCancelsEverywhereAndVoidsAnOutstandingClaim) {
  for (const char* id : {"p", "q", "r"}) CLINIC_ASSERT_OK(queue_->Enqueue(id, t0()));
  std::vector<Claim> claims = MustClaim(t0(), 3);
  ASSERT_THAT(IdsOf(claims), ElementsAre("p", "q", "r"));
  ASSERT_TRUE(MustFinish(queue_->Retry(claims[1], t0() + absl::Hours(1))));  // q: due later
  ASSERT_TRUE(MustFinish(queue_->DeadLetter(claims[2], t0())));              // r: dead
  // p: still claimed by its worker.
  for (const char* id : {"p", "q", "r", "never-queued"}) CLINIC_ASSERT_OK(queue_->Remove(id, t0()));

  // The worker that held p finishes: its retry must not bring it back.
  EXPECT_FALSE(MustFinish(queue_->Retry(claims[0], t0())));
  EXPECT_FALSE(MustFinish(queue_->Ack(claims[0], t0())));
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.due + counts.in_flight + counts.dead, 0);
  EXPECT_THAT(queue_->Attempts("r"), IsOkAndHolds(0));
}

TEST_F(ReminderQueueTest, EnqueueOfAClaimedIdReschedulesItAndVoidsTheClaim) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  const std::vector<Claim> claims = MustClaim(t0(), 1);
  ASSERT_EQ(claims.size(), 1u);
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0() + absl::Minutes(50)));  // RescheduleReminder
  EXPECT_FALSE(MustFinish(queue_->Ack(claims[0], t0())));
  EXPECT_EQ(DueScore("a"), t0() + absl::Minutes(50));
  EXPECT_EQ(Counts().in_flight, 0);
}

TEST_F(ReminderQueueTest, ReleaseReturnsClaimsAtTheirDueTimeWithoutCountingAnAttempt) {
  for (int i = 0; i < 3; ++i) CLINIC_ASSERT_OK(queue_->Enqueue(Id(i), t0() + absl::Seconds(i)));
  const std::vector<Claim> claims = MustClaim(t0() + absl::Seconds(10), 3);
  ASSERT_EQ(claims.size(), 3u);
  ASSERT_TRUE(MustFinish(queue_->Ack(claims[0], t0())));
  // A claim already finished is skipped; the others go back.
  EXPECT_THAT(queue_->Release(claims, t0() + absl::Seconds(10)), IsOkAndHolds(2));
  EXPECT_EQ(DueScore(Id(1)), t0() + absl::Seconds(1));
  EXPECT_EQ(DueScore(Id(2)), t0() + absl::Seconds(2));
  EXPECT_EQ(Counts().in_flight, 0);
  const std::vector<Claim> again = MustClaim(t0() + absl::Seconds(10), 3);
  ASSERT_THAT(IdsOf(again), ElementsAre(Id(1), Id(2)));
  EXPECT_EQ(again[0].attempt, 1);
  EXPECT_EQ(again[1].attempt, 1);
}

TEST_F(ReminderQueueTest, EnsureQueuedAddsOnlyIdsInNoSet) {
  CLINIC_ASSERT_OK(queue_->Enqueue("waiting", t0() + absl::Hours(2)));  // e.g. a retry's backoff
  CLINIC_ASSERT_OK(queue_->Enqueue("claimed", t0()));
  CLINIC_ASSERT_OK(queue_->Enqueue("dead", t0() - absl::Seconds(1)));
  std::vector<Claim> claims = MustClaim(t0(), 2);
  ASSERT_THAT(IdsOf(claims), ElementsAre("dead", "claimed"));
  ASSERT_TRUE(MustFinish(queue_->DeadLetter(claims[0], t0())));

  EXPECT_THAT(queue_->EnsureQueued("waiting", t0()), IsOkAndHolds(false));
  EXPECT_THAT(queue_->EnsureQueued("claimed", t0()), IsOkAndHolds(false));
  EXPECT_THAT(queue_->EnsureQueued("dead", t0()), IsOkAndHolds(false));
  EXPECT_THAT(queue_->EnsureQueued("lost", t0() + absl::Minutes(1)), IsOkAndHolds(true));
  EXPECT_THAT(queue_->EnsureQueued("lost", t0()), IsOkAndHolds(false));

  EXPECT_EQ(DueScore("waiting"), t0() + absl::Hours(2));  // kept its time
  EXPECT_EQ(DueScore("lost"), t0() + absl::Minutes(1));
  EXPECT_EQ(DueScore("claimed"), absl::InfinitePast());    // not duplicated into due
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.in_flight, 1);
  EXPECT_EQ(counts.due, 2);
  EXPECT_EQ(counts.dead, 1);
  // The claim is untouched and can still be acknowledged.
  EXPECT_TRUE(MustFinish(queue_->Ack(claims[1], t0())));
}

TEST_F(ReminderQueueTest, EnsureQueuedSkipsIdsFinishedSinceTheDatabaseWasRead) {
  for (const char* id : {"cancelled", "resent", "sent"}) CLINIC_ASSERT_OK(queue_->Enqueue(id, t0()));
  const std::vector<Claim> claims = MustClaim(t0(), 3);
  ASSERT_THAT(IdsOf(claims), ElementsAre("cancelled", "resent", "sent"));
  // "resent" was sent before the reconcile read the database (and has since been
  // rescheduled there while Redis was unreachable); "sent" and "cancelled" finished
  // while it was reading, so the rows it read are stale.
  ASSERT_TRUE(MustFinish(queue_->Ack(claims[1], t0() + absl::Seconds(1))));
  const absl::Time listed_at = t0() + absl::Seconds(2);
  ASSERT_TRUE(MustFinish(queue_->Ack(claims[2], t0() + absl::Seconds(3))));
  CLINIC_ASSERT_OK(queue_->Remove("cancelled", t0() + absl::Seconds(3)));

  const std::vector<ScheduledReminder> rows = {
      {"cancelled", t0()}, {"resent", t0() + absl::Hours(1)}, {"sent", t0()}};
  EXPECT_THAT(queue_->EnsureQueued(rows, listed_at), IsOkAndHolds(1));
  EXPECT_EQ(DueScore("resent"), t0() + absl::Hours(1));
  EXPECT_EQ(DueScore("sent"), absl::InfinitePast());
  EXPECT_EQ(DueScore("cancelled"), absl::InfinitePast());

  // Finished marks are forgotten by the reaper after kFinishedRetention...
  ASSERT_THAT(queue_->Reap(t0() + kFinishedRetention + absl::Seconds(4)), IsOkAndHolds(0));
  EXPECT_THAT(queue_->EnsureQueued("cancelled", t0(), listed_at), IsOkAndHolds(true));
  // ...and ignored without a listing time.
  EXPECT_THAT(queue_->EnsureQueued("sent", t0()), IsOkAndHolds(true));
}

TEST_F(ReminderQueueTest, EnsureQueuedInBulkCrossesBatches) {
  std::vector<ScheduledReminder> reminders;
  for (int i = 0; i < 1234; ++i) reminders.push_back({Id(i), t0() + absl::Seconds(i)});
  CLINIC_ASSERT_OK(queue_->Enqueue(Id(7), t0() + absl::Hours(24)));
  EXPECT_THAT(queue_->EnsureQueued(reminders), IsOkAndHolds(1233));
  EXPECT_THAT(queue_->EnsureQueued(reminders), IsOkAndHolds(0));
  EXPECT_EQ(Counts().due, 1234);
  EXPECT_EQ(DueScore(Id(1233)), t0() + absl::Seconds(1233));
}

TEST_F(ReminderQueueTest, TheMarkerTellsWhenRedisLostItsData) {
  EXPECT_THAT(queue_->NeedsReconcile(), IsOkAndHolds(true));
  CLINIC_ASSERT_OK(queue_->MarkReconciled());
  EXPECT_THAT(queue_->NeedsReconcile(), IsOkAndHolds(false));
  server_.Kill();
  server_.Start();  // empty: no persistence
  EXPECT_TRUE(WaitFor([&] { return queue_->NeedsReconcile().value_or(false); }, kWait));
}

TEST_F(ReminderQueueTest, RedisDownIsUnavailable) {
  server_.Kill();
  EXPECT_THAT(queue_->ClaimDue(t0(), 1, absl::Seconds(1)), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(queue_->Enqueue("a", t0()), StatusIs(absl::StatusCode::kUnavailable));
}

// --- The dispatcher ---------------------------------------------------------------

class DispatcherTest : public ReminderQueueTest {
 protected:
  DispatcherOptions FastOptions() {
    DispatcherOptions options;
    options.workers = 4;
    options.batch_size = 8;
    options.poll_interval = absl::Milliseconds(5);
    options.visibility = absl::Minutes(1);
    options.max_attempts = 3;
    options.housekeeping_interval = absl::Milliseconds(20);
    options.redis_retry_base = absl::Milliseconds(5);
    options.redis_retry_cap = absl::Milliseconds(50);
    return options;
  }

  std::unique_ptr<Dispatcher> MakeDispatcher(Deliverer& deliverer, DispatcherOptions options) {
    return std::make_unique<Dispatcher>(*queue_, deliverer, clock_, registry_, rows_.Lister(), options);
  }

  // The due-set size, or -1 while Redis does not answer (e.g. just restarted).
  int64_t DueCount() {
    absl::StatusOr<QueueCounts> counts = queue_->Counts(clock_.Now());
    return counts.ok() ? counts->due : -1;
  }

  bool Drained() {
    absl::StatusOr<QueueCounts> counts = queue_->Counts(clock_.Now());
    return counts.ok() && counts->due == 0 && counts->in_flight == 0;
  }

  metrics::Registry registry_;
  ScheduledRows rows_;
};

TEST_F(DispatcherTest, ConcurrentWorkersDeliverEveryIdExactlyOnce) {
  constexpr int kIds = 1500;
  std::vector<std::string> expected;
  for (int i = 0; i < kIds; ++i) {
    expected.push_back(Id(i));
    rows_.Add(Id(i), t0());
    CLINIC_ASSERT_OK(queue_->Enqueue(Id(i), t0() - absl::Seconds(2)));
  }
  RecordingDeliverer deliverer;
  DispatcherOptions options = FastOptions();
  options.workers = 6;
  auto dispatcher = MakeDispatcher(deliverer, options);
  dispatcher->Start();
  ASSERT_TRUE(WaitFor([&] { return deliverer.count() >= kIds && Drained(); }, kWait));
  dispatcher->Stop();

  std::vector<std::string> delivered;
  for (const auto& [id, attempt] : deliverer.deliveries()) {
    delivered.push_back(id);
    EXPECT_EQ(attempt, 1);
  }
  EXPECT_THAT(delivered, UnorderedElementsAreArray(expected));
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"done\"}"), kIds);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_lateness_seconds_count"), kIds);
  // Everything was 2 s late by the fake clock: no observation at or below 1 s.
  EXPECT_EQ(MetricValue(registry_, "notification_queue_lateness_seconds_bucket{le=\"1\"}"), 0);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_lateness_seconds_bucket{le=\"2.5\"}"), kIds);
  EXPECT_TRUE(dispatcher->redis_healthy());
}

// Delivers whole batches only (the notification service's deliverer does); answers by
// the id's prefix: "retry" retries and "quiet" defers an hour later, "dead" is dead,
// anything else is done.
class BatchingDeliverer final : public Deliverer {
 public:
  explicit BatchingDeliverer(const Clock& clock) : clock_(clock) {}

  DeliveryOutcome Deliver(std::string_view, int) override {
    ADD_FAILURE() << "the dispatcher delivered one reminder alone";
    return DeliveryOutcome::Done();
  }
  std::vector<DeliveryOutcome> DeliverBatch(std::span<const Delivery> batch, absl::FunctionRef<bool()>) override {
    std::vector<DeliveryOutcome> outcomes;
    std::vector<std::string> ids;
    for (const Delivery& d : batch) {
      const std::string id(d.reminder_id);
      ids.push_back(id);
      if (id.starts_with("retry")) {
        outcomes.push_back(DeliveryOutcome::RetryAt(clock_.Now() + absl::Hours(1)));
      } else if (id.starts_with("quiet")) {
        outcomes.push_back(DeliveryOutcome::DeferTo(clock_.Now() + absl::Hours(1)));
      } else if (id.starts_with("dead")) {
        outcomes.push_back(DeliveryOutcome::Dead());
      } else {
        outcomes.push_back(DeliveryOutcome::Done());
      }
    }
    sync::MutexLock lock(&mu_);
    batches_.push_back(std::move(ids));
    return outcomes;
  }
  void DeadLettered(std::string_view, int) override { ADD_FAILURE() << "not dead-lettered by the dispatcher"; }

  std::vector<std::vector<std::string>> batches() const {
    sync::MutexLock lock(&mu_);
    return batches_;
  }

 private:
  const Clock& clock_;
  mutable sync::Mutex mu_;
  std::vector<std::vector<std::string>> batches_ ABSL_GUARDED_BY(mu_);
};

TEST_F(DispatcherTest, ABatchingDelivererGetsTheClaimedBatchWholeAndEachOutcomeIsApplied) {
  for (const char* id : {"done-1", "done-2", "retry", "quiet", "dead"}) CLINIC_ASSERT_OK(queue_->Enqueue(id, t0()));
  BatchingDeliverer deliverer(clock_);
  DispatcherOptions options = FastOptions();
  options.workers = 1;
  options.batch_size = 8;
  auto dispatcher = MakeDispatcher(deliverer, options);
  dispatcher->Start();
  ASSERT_TRUE(WaitFor([&] {
    const QueueCounts counts = Counts();
    return counts.due == 2 && counts.dead == 1 && counts.in_flight == 0;
  }, kWait));
  dispatcher->Stop();

  const std::vector<std::vector<std::string>> batches = deliverer.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_THAT(batches[0], ::testing::UnorderedElementsAre("done-1", "done-2", "retry", "quiet", "dead"));
  EXPECT_EQ(DueScore("retry"), t0() + absl::Hours(1));
  EXPECT_THAT(queue_->Attempts("retry"), IsOkAndHolds(1));
  EXPECT_EQ(DueScore("quiet"), t0() + absl::Hours(1));
  EXPECT_THAT(queue_->Attempts("quiet"), IsOkAndHolds(0));
  EXPECT_THAT(queue_->DeadIds(10), IsOkAndHolds(ElementsAre("dead")));
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"done\"}"), 2);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"retry\"}"), 1);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"deferred\"}"), 1);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"dead\"}"), 1);
}

TEST_F(DispatcherTest, RetriesFollowTheDeliverersBackoffThenDeadLetterAfterMaxAttempts) {
  // The deliverer fails every time and asks for exponential backoff (no jitter): 10 s,
  // 20 s, ... after attempts 1, 2, ...
  const auto backoff = [](int attempt) {
    return NextAttemptDelay(attempt, absl::Seconds(10), absl::Hours(1), Jitter::kNone, [] { return 0.0; });
  };
  RecordingDeliverer deliverer([&](std::string_view, int attempt) {
    return DeliveryOutcome::RetryAt(clock_.Now() + backoff(attempt));
  });
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  CLINIC_ASSERT_OK(queue_->Enqueue("b", t0() + absl::Seconds(5)));
  auto dispatcher = MakeDispatcher(deliverer, FastOptions());  // max_attempts 3
  dispatcher->Start();

  const auto attempts_of = [&](std::string_view id) {
    int n = 0;
    for (const auto& [got, attempt] : deliverer.deliveries()) n += got == id;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return DueScore("a") == t0() + absl::Seconds(10); }, kWait));
  clock_.Set(t0() + absl::Seconds(5));
  ASSERT_TRUE(WaitFor([&] { return DueScore("b") == t0() + absl::Seconds(15); }, kWait));
  clock_.Set(t0() + absl::Seconds(10));  // a's retry is due, b's not yet
  ASSERT_TRUE(WaitFor([&] { return DueScore("a") == t0() + absl::Seconds(30); }, kWait));
  EXPECT_EQ(attempts_of("b"), 1);
  clock_.Set(t0() + absl::Seconds(15));
  ASSERT_TRUE(WaitFor([&] { return DueScore("b") == t0() + absl::Seconds(35); }, kWait));
  clock_.Set(t0() + absl::Seconds(40));  // third attempt of both: dead letters
  ASSERT_TRUE(WaitFor([&] { return Counts().dead == 2; }, kWait));
  dispatcher->Stop();

  std::vector<std::pair<std::string, int>> deliveries = deliverer.deliveries();
  std::vector<int> a_attempts;
  for (const auto& [id, attempt] : deliveries) {
    if (id == "a") a_attempts.push_back(attempt);
  }
  EXPECT_THAT(a_attempts, ElementsAre(1, 2, 3));
  EXPECT_EQ(attempts_of("b"), 3);
  EXPECT_THAT(deliverer.dead_lettered(), ::testing::UnorderedElementsAre(Pair("a", 3), Pair("b", 3)));
  EXPECT_EQ(Counts().due, 0);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"retry\"}"), 4);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"dead\"}"), 2);
}

TEST_F(DispatcherTest, DeferralsAndDeliverersDeadOutcome) {
  // "quiet": deferred twice then sent; "broken": the deliverer says it is dead.
  RecordingDeliverer deliverer([&](std::string_view id, int) {
    if (id == "broken") return DeliveryOutcome::Dead();
    return clock_.Now() < t0() + absl::Hours(2) ? DeliveryOutcome::DeferTo(clock_.Now() + absl::Hours(1))
                                                 : DeliveryOutcome::Done();
  });
  CLINIC_ASSERT_OK(queue_->Enqueue("quiet", t0()));
  CLINIC_ASSERT_OK(queue_->Enqueue("broken", t0()));
  DispatcherOptions options = FastOptions();
  options.max_attempts = 1;  // deferrals must not use it up
  auto dispatcher = MakeDispatcher(deliverer, options);
  dispatcher->Start();
  ASSERT_TRUE(WaitFor([&] { return DueScore("quiet") == t0() + absl::Hours(1) && Counts().dead == 1; }, kWait));
  clock_.Set(t0() + absl::Hours(1));
  ASSERT_TRUE(WaitFor([&] { return DueScore("quiet") == t0() + absl::Hours(2); }, kWait));
  clock_.Set(t0() + absl::Hours(2));
  ASSERT_TRUE(WaitFor([&] { return Drained(); }, kWait));
  dispatcher->Stop();

  EXPECT_THAT(deliverer.deliveries(),
              ::testing::UnorderedElementsAre(Pair("broken", 1), Pair("quiet", 1), Pair("quiet", 1),
                                              Pair("quiet", 1)));
  EXPECT_THAT(deliverer.dead_lettered(), IsEmpty());  // the deliverer decided "broken" itself
  EXPECT_THAT(queue_->DeadIds(10), IsOkAndHolds(ElementsAre("broken")));
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"deferred\"}"), 2);
}

TEST_F(DispatcherTest, AReminderWhoseClaimsKeepExpiringIsDeadLetteredWithoutDelivery) {
  CLINIC_ASSERT_OK(queue_->Enqueue("poison", t0()));
  // Three workers took it and died (claimed, never finished, reaped).
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(MustClaim(clock_.Now(), 1, absl::Seconds(10)).size(), 1u);
    clock_.Advance(absl::Seconds(11));
    ASSERT_THAT(queue_->Reap(clock_.Now()), IsOkAndHolds(1));
  }
  RecordingDeliverer deliverer;
  auto dispatcher = MakeDispatcher(deliverer, FastOptions());  // max_attempts 3
  dispatcher->Start();
  ASSERT_TRUE(WaitFor([&] { return Counts().dead == 1; }, kWait));
  dispatcher->Stop();
  EXPECT_EQ(deliverer.count(), 0u);
  EXPECT_THAT(deliverer.dead_lettered(), ElementsAre(Pair("poison", 4)));
}

TEST_F(DispatcherTest, TheReaperReturnsExpiredClaimsToWorkers) {
  CLINIC_ASSERT_OK(queue_->Enqueue("a", t0()));
  const std::vector<Claim> crashed = MustClaim(t0(), 1, absl::Seconds(30));  // a worker that died
  ASSERT_EQ(crashed.size(), 1u);
  RecordingDeliverer deliverer;
  auto dispatcher = MakeDispatcher(deliverer, FastOptions());
  dispatcher->Start();
  clock_.Set(t0() + absl::Seconds(31));
  ASSERT_TRUE(WaitFor([&] { return deliverer.count() == 1 && Drained(); }, kWait));
  dispatcher->Stop();
  EXPECT_THAT(deliverer.deliveries(), ElementsAre(Pair("a", 2)));
  EXPECT_GE(MetricValue(registry_, "notification_queue_reaped_total"), 1);
  // The dead worker's late ack is refused... unless nothing changed since: here the id
  // was delivered and acknowledged, so it is gone either way.
  EXPECT_FALSE(MustFinish(queue_->Ack(crashed[0], t0())));
}

TEST_F(DispatcherTest, StopFinishesTheDeliveryInProgressAndReleasesTheRestOfTheBatch) {
  for (int i = 0; i < 5; ++i) CLINIC_ASSERT_OK(queue_->Enqueue(Id(i), t0() + absl::Milliseconds(i)));
  sync::Notification entered;
  sync::Notification proceed;
  RecordingDeliverer deliverer([&](std::string_view, int) {
    if (!entered.HasBeenNotified()) entered.Notify();
    proceed.WaitForNotification();
    return DeliveryOutcome::Done();
  });
  DispatcherOptions options = FastOptions();
  options.workers = 1;
  options.batch_size = 5;
  auto dispatcher = MakeDispatcher(deliverer, options);
  clock_.Set(t0() + absl::Seconds(1));  // all five due: one batch
  dispatcher->Start();
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(30)));

  std::thread stopper([&] { dispatcher->Stop(); });
  ASSERT_TRUE(WaitFor([&] { return dispatcher->stopping(); }, kWait));
  proceed.Notify();
  stopper.join();

  EXPECT_THAT(deliverer.deliveries(), ElementsAre(Pair(Id(0), 1)));
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.in_flight, 0);
  EXPECT_EQ(counts.due, 4);  // the first was acknowledged, the rest are back
  for (int i = 1; i < 5; ++i) {
    EXPECT_EQ(DueScore(Id(i)), t0() + absl::Milliseconds(i));
    EXPECT_THAT(queue_->Attempts(Id(i)), IsOkAndHolds(0));
  }
  EXPECT_EQ(MetricValue(registry_, "notification_queue_deliveries_total{outcome=\"released\"}"), 4);
}

TEST_F(DispatcherTest, ReconcileQueuesWhatTheDatabaseHasAndRedisLacks) {
  for (const char* id : {"in-due", "claimed", "lost-1", "lost-2"}) rows_.Add(id, t0() + absl::Minutes(1));
  CLINIC_ASSERT_OK(queue_->Enqueue("in-due", t0() + absl::Minutes(1)));
  CLINIC_ASSERT_OK(queue_->Enqueue("claimed", t0()));
  ASSERT_EQ(MustClaim(t0(), 1).size(), 1u);
  RecordingDeliverer deliverer;
  auto dispatcher = MakeDispatcher(deliverer, FastOptions());  // not started
  EXPECT_THAT(dispatcher->Reconcile(), IsOkAndHolds(2));
  EXPECT_THAT(dispatcher->Reconcile(), IsOkAndHolds(0));
  const QueueCounts counts = Counts();
  EXPECT_EQ(counts.due, 3);
  EXPECT_EQ(counts.in_flight, 1);
  EXPECT_THAT(queue_->NeedsReconcile(), IsOkAndHolds(false));
  EXPECT_FALSE(dispatcher->health().reconcile_pending);
}

TEST_F(DispatcherTest, RedisRestartedWithoutPersistenceLosesNoReminder) {
  constexpr int kIds = 40;
  for (int i = 0; i < kIds; ++i) {
    rows_.Add(Id(i), t0() + absl::Hours(1));
    CLINIC_ASSERT_OK(queue_->Enqueue(Id(i), t0() + absl::Hours(1)));
  }
  RecordingDeliverer deliverer;
  auto dispatcher = MakeDispatcher(deliverer, FastOptions());
  dispatcher->Start();
  ASSERT_TRUE(WaitFor([&] { return !dispatcher->health().reconcile_pending; }, kWait));

  server_.Kill();
  server_.Start();  // empty
  // The dispatcher notices the missing marker and re-enqueues from the database.
  ASSERT_TRUE(WaitFor([&] { return DueCount() == kIds; }, kWait));
  clock_.Set(t0() + absl::Hours(1));
  ASSERT_TRUE(WaitFor([&] { return deliverer.count() >= kIds && Drained(); }, kWait));
  dispatcher->Stop();

  std::vector<std::string> expected;
  for (int i = 0; i < kIds; ++i) expected.push_back(Id(i));
  std::vector<std::string> delivered;
  for (const auto& [id, attempt] : deliverer.deliveries()) delivered.push_back(id);
  EXPECT_THAT(delivered, UnorderedElementsAreArray(expected));
  EXPECT_GE(MetricValue(registry_, "notification_queue_reconciled_total"), kIds);
}

TEST_F(DispatcherTest, RedisDownIsReportedAndTheDispatcherRecovers) {
  RecordingDeliverer deliverer;
  auto dispatcher = MakeDispatcher(deliverer, FastOptions());
  dispatcher->Start();
  ASSERT_TRUE(WaitFor([&] { return !dispatcher->health().reconcile_pending; }, kWait));
  EXPECT_EQ(MetricValue(registry_, "notification_queue_redis_up"), 1);

  server_.Kill();
  ASSERT_TRUE(WaitFor([&] { return !dispatcher->redis_healthy(); }, kWait));
  const DispatcherHealth down = dispatcher->health();
  EXPECT_FALSE(down.redis_healthy);
  EXPECT_NE(down.unhealthy_since, absl::InfinitePast());
  EXPECT_THAT(down.last_error, ::testing::HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(MetricValue(registry_, "notification_queue_redis_up"), 0);

  // Scheduled while Redis is down: only in the database.
  rows_.Add("while-down", t0());
  server_.Start();
  ASSERT_TRUE(WaitFor([&] { return deliverer.count() == 1; }, kWait));
  EXPECT_TRUE(WaitFor([&] { return dispatcher->redis_healthy(); }, kWait));
  dispatcher->Stop();
  EXPECT_THAT(deliverer.deliveries(), ElementsAre(Pair("while-down", 1)));
  EXPECT_EQ(MetricValue(registry_, "notification_queue_redis_up"), 1);
  EXPECT_GT(MetricValue(registry_, "notification_queue_redis_errors_total"), 0);
}

TEST_F(DispatcherTest, GaugesShowTheQueue) {
  CLINIC_ASSERT_OK(queue_->Enqueue("later", t0() + absl::Hours(1)));
  CLINIC_ASSERT_OK(queue_->Enqueue("held", t0()));
  ASSERT_EQ(MustClaim(t0(), 1).size(), 1u);  // another replica's claim
  RecordingDeliverer deliverer;
  auto dispatcher = MakeDispatcher(deliverer, FastOptions());
  dispatcher->Start();
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(registry_, "notification_queue_depth") == 1 &&
           MetricValue(registry_, "notification_queue_in_flight") == 1;
  }, kWait));
  dispatcher->Stop();
  EXPECT_EQ(MetricValue(registry_, "notification_queue_due_now"), 0);
  EXPECT_EQ(MetricValue(registry_, "notification_queue_dead_letters"), 0);
}

}  // namespace
}  // namespace clinic::notification::queue
