// The transactional outbox against a real SQLite file and a real PostgreSQL database:
// enqueue in the caller's transaction, ordered at-least-once delivery, retries with
// backoff, dead messages, two relays sharing one table, restarts. Time is a FakeClock.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/outbox/outbox.h"
#include "common/outbox/relay.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "common/sync/mutex.h"
#include "tests/support/fake_clock.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace clinic::outbox {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::PostgresServer;
using ::clinic::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

enum class Backend { kSqlite, kPostgres };

constexpr sql::Migration kMigrations[] = {
    {.version = 1, .name = "outbox", .sqlite_sql = kOutboxSqliteSql, .postgres_sql = kOutboxPostgresSql},
};

// What a delivery function saw, in order. Thread-safe.
class Recorder {
 public:
  void Add(const Message& m) {
    sync::MutexLock lock(&mu_);
    seen_.push_back(m);
  }
  std::vector<Message> seen() {
    sync::MutexLock lock(&mu_);
    return seen_;
  }
  std::vector<std::string> payloads() {
    std::vector<std::string> out;
    for (const Message& m : seen()) out.push_back(m.payload);
    return out;
  }

 private:
  sync::Mutex mu_;
  std::vector<Message> seen_ ABSL_GUARDED_BY(mu_);
};

struct Row {
  int64_t state = 0;
  int64_t attempts = 0;
  absl::Time next_attempt;
  std::string last_error;
};

class OutboxTest : public ::testing::TestWithParam<Backend> {
 protected:
  OutboxTest() : clock_(absl::FromUnixSeconds(1'795'600'000)) {}

  void SetUp() override {
    const std::string url =
        GetParam() == Backend::kSqlite ? "sqlite://" + dir_.File("outbox.db") : PostgresServer::Shared().CreateDatabase();
    absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Open(url);
    CLINIC_ASSERT_OK(db.status());
    db_ = *std::move(db);
    CLINIC_ASSERT_OK(sql::Migrate(*db_, kMigrations));
  }

  // Enqueues one message in a transaction of its own; returns its id.
  std::string Put(const std::string& topic, const std::string& payload, const std::string& key) {
    std::string id;
    EXPECT_THAT(db_->Transact([&](sql::Transaction& tx) -> absl::Status {
      absl::StatusOr<std::string> got = Enqueue(tx, topic, payload, key, clock_.Now());
      if (!got.ok()) return got.status();
      id = *got;
      return absl::OkStatus();
    }),
                IsOk());
    return id;
  }

  Row Get(const std::string& id) {
    absl::StatusOr<sql::ResultSet> rows = db_->Query(
        "SELECT state, attempts, next_attempt_us, last_error FROM outbox_messages WHERE message_id = $1", {id});
    EXPECT_THAT(rows, IsOk());
    Row row;
    if (!rows.ok() || rows->empty()) return row;
    row.state = (*rows)[0].GetInt64(0);
    row.attempts = (*rows)[0].GetInt64(1);
    row.next_attempt = absl::FromUnixMicros((*rows)[0].GetInt64(2));
    row.last_error = (*rows)[0].GetText(3);
    return row;
  }

  int64_t CountRows() {
    absl::StatusOr<sql::ResultSet> rows = db_->Query("SELECT COUNT(*) FROM outbox_messages");
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? (*rows)[0].GetInt64(0) : -1;
  }

  // Passes until one attempts nothing; returns how many were attempted in all.
  int Drain(Relay& relay) {
    int total = 0;
    for (int i = 0; i < 100; ++i) {
      absl::StatusOr<int> n = relay.RunOnce();
      EXPECT_THAT(n, IsOk());
      if (!n.ok() || *n == 0) break;
      total += *n;
    }
    return total;
  }

  static RelayOptions Options() {
    RelayOptions options;
    options.initial_backoff = absl::Seconds(1);
    options.max_backoff = absl::Seconds(60);
    options.max_attempts = 4;
    return options;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<sql::Database> db_;
};

TEST_P(OutboxTest, AMessageRolledBackWithItsTransactionIsNeverDelivered) {
  absl::Status s = db_->Transact([&](sql::Transaction& tx) -> absl::Status {
    if (absl::StatusOr<std::string> id = Enqueue(tx, "t", "rolled back", "k", clock_.Now()); !id.ok()) {
      return id.status();
    }
    return absl::FailedPreconditionError("the change that caused it failed");
  });
  EXPECT_FALSE(s.ok());
  Put("t", "committed", "k");
  Recorder recorder;
  Relay relay(*db_, clock_, Options());
  relay.Handle("t", [&](const Message& m) {
    recorder.Add(m);
    return absl::OkStatus();
  });
  EXPECT_EQ(Drain(relay), 1);
  EXPECT_THAT(recorder.payloads(), ElementsAre("committed"));
  EXPECT_EQ(CountRows(), 1);
}

TEST_P(OutboxTest, DeliversEachMessageOnceInOrderWithAStableId) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Put("t", absl::StrCat("a", i), "key-a"));
  Put("t", "b0", "key-b");
  Recorder recorder;
  Relay relay(*db_, clock_, Options());
  relay.Handle("t", [&](const Message& m) {
    recorder.Add(m);
    return absl::OkStatus();
  });
  EXPECT_EQ(Drain(relay), 6);
  EXPECT_EQ(Drain(relay), 0);  // nothing twice
  std::vector<std::string> a;
  for (const Message& m : recorder.seen()) {
    if (m.key == "key-a") a.push_back(m.payload);
    EXPECT_EQ(m.attempt, 1);
    EXPECT_EQ(m.topic, "t");
  }
  EXPECT_THAT(a, ElementsAre("a0", "a1", "a2", "a3", "a4"));
  EXPECT_EQ(recorder.seen()[0].id, ids[0]);
  for (const std::string& id : ids) EXPECT_EQ(Get(id).state, static_cast<int64_t>(State::kDelivered));
}

TEST_P(OutboxTest, ARetryableErrorIsRetriedWithBackoffAndHoldsBackItsKeyOnly) {
  const std::string first = Put("t", "first", "k");
  const std::string second = Put("t", "second", "k");
  const std::string other = Put("t", "other", "other-key");
  int failures_left = 2;
  Recorder recorder;
  Relay relay(*db_, clock_, Options());
  relay.Handle("t", [&](const Message& m) -> absl::Status {
    recorder.Add(m);
    if (m.payload == "first" && failures_left > 0) {
      --failures_left;
      return absl::UnavailableError("peer down");
    }
    return absl::OkStatus();
  });
  const absl::Time t0 = clock_.Now();
  EXPECT_EQ(Drain(relay), 2);  // "first" fails, "other" is delivered; "second" waits behind "first"
  Row row = Get(first);
  EXPECT_EQ(row.state, static_cast<int64_t>(State::kPending));
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.last_error, "UNAVAILABLE");
  EXPECT_GE(row.next_attempt, t0 + absl::Milliseconds(500));
  EXPECT_LE(row.next_attempt, t0 + absl::Seconds(1));
  EXPECT_EQ(Get(second).state, static_cast<int64_t>(State::kPending));
  EXPECT_EQ(Get(other).state, static_cast<int64_t>(State::kDelivered));

  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Drain(relay), 1);  // second failure: the backoff doubles
  row = Get(first);
  EXPECT_EQ(row.attempts, 2);
  EXPECT_GE(row.next_attempt, clock_.Now() + absl::Seconds(1));
  EXPECT_LE(row.next_attempt, clock_.Now() + absl::Seconds(2));
  clock_.Advance(absl::Milliseconds(900));
  EXPECT_EQ(Drain(relay), 0);  // not due yet
  clock_.Advance(absl::Milliseconds(1100));
  EXPECT_EQ(Drain(relay), 2);  // "first" at last, then "second"
  EXPECT_EQ(Get(first).state, static_cast<int64_t>(State::kDelivered));
  EXPECT_EQ(Get(second).state, static_cast<int64_t>(State::kDelivered));
  std::vector<int> attempts_of_first;
  for (const Message& m : recorder.seen()) {
    if (m.payload == "first") {
      attempts_of_first.push_back(m.attempt);
      EXPECT_EQ(m.id, first);
    }
  }
  EXPECT_THAT(attempts_of_first, ElementsAre(1, 2, 3));
  EXPECT_THAT(recorder.payloads(), ElementsAre("first", "other", "first", "first", "second"));
}

TEST_P(OutboxTest, AMessageIsDeadAfterMaxAttemptsOrAtOnceOnAPermanentError) {
  const std::string retried = Put("t", "retried", "k1");
  const std::string permanent = Put("t", "permanent", "k2");
  const std::string after = Put("t", "after", "k1");
  metrics::Registry registry;
  RelayMetrics metrics(registry);
  Relay relay(*db_, clock_, Options(), &metrics);
  Recorder recorder;
  relay.Handle("t", [&](const Message& m) -> absl::Status {
    recorder.Add(m);
    if (m.payload == "retried") return absl::DeadlineExceededError("slow");
    if (m.payload == "permanent") return absl::InvalidArgumentError("bad request");
    return absl::OkStatus();
  });
  for (int i = 0; i < 4; ++i) {
    Drain(relay);
    clock_.Advance(absl::Minutes(2));
  }
  Row row = Get(retried);
  EXPECT_EQ(row.state, static_cast<int64_t>(State::kDead));
  EXPECT_EQ(row.attempts, 4);
  EXPECT_EQ(row.last_error, "DEADLINE_EXCEEDED");
  row = Get(permanent);
  EXPECT_EQ(row.state, static_cast<int64_t>(State::kDead));
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.last_error, "INVALID_ARGUMENT");
  // A dead message no longer holds back its key.
  EXPECT_EQ(Get(after).state, static_cast<int64_t>(State::kDelivered));
  int retried_attempts = 0;
  for (const Message& m : recorder.seen()) retried_attempts += m.payload == "retried";
  EXPECT_EQ(retried_attempts, 4);
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("outbox_failed_total{topic=\"t\",outcome=\"dead\"} 2"));
  EXPECT_THAT(text, HasSubstr("outbox_failed_total{topic=\"t\",outcome=\"retry\"} 3"));
  EXPECT_THAT(text, HasSubstr("outbox_delivered_total{topic=\"t\"} 1"));
  EXPECT_THAT(text, HasSubstr("outbox_backlog_messages{topic=\"t\"} 0"));
}

TEST_P(OutboxTest, TwoRelaysOnOneDatabaseDeliverEachRowExactlyOnce) {
  constexpr int kMessages = 120;
  constexpr int kKeys = 6;
  for (int i = 0; i < kMessages; ++i) Put("t", absl::StrCat(i), absl::StrCat("key-", i % kKeys));
  sync::Mutex mu;
  std::map<std::string, int> deliveries;      // by message id
  std::map<std::string, std::vector<int>> by_key;  // payloads in delivery order
  int total = 0;
  const auto deliver = [&](const Message& m) {
    sync::MutexLock lock(&mu);
    ++deliveries[m.id];
    int value = 0;
    EXPECT_TRUE(absl::SimpleAtoi(m.payload, &value));
    by_key[m.key].push_back(value);
    ++total;
    return absl::OkStatus();
  };
  RelayOptions options = Options();
  options.poll_interval = absl::Milliseconds(5);
  options.batch_size = 4;
  Relay one(*db_, clock_, options);
  Relay two(*db_, clock_, options);
  one.Handle("t", deliver);
  two.Handle("t", deliver);
  one.Start();
  two.Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    {
      sync::MutexLock lock(&mu);
      if (total >= kMessages) break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  one.Stop();
  two.Stop();
  sync::MutexLock lock(&mu);
  EXPECT_EQ(total, kMessages);
  EXPECT_EQ(deliveries.size(), static_cast<size_t>(kMessages));
  for (const auto& [id, n] : deliveries) EXPECT_EQ(n, 1) << id;
  for (const auto& [key, values] : by_key) EXPECT_TRUE(std::is_sorted(values.begin(), values.end())) << key;
}

TEST_P(OutboxTest, ARestartedRelayPicksUpWhatWasLeftUndelivered) {
  const std::string failed = Put("t", "failed before the restart", "k1");
  const std::string claimed = Put("t", "claimed by a relay that died", "k2");
  const std::string fresh = Put("t", "never tried", "k3");
  {
    Relay before(*db_, clock_, Options());
    before.Handle("t", [&](const Message& m) -> absl::Status {
      if (m.id == failed) return absl::UnavailableError("peer down");
      return absl::OkStatus();
    });
    // Only the first message is attempted before "the process" goes away; a relay that
    // died holds the second one's lease.
    CLINIC_ASSERT_OK(db_->Execute(
        "UPDATE outbox_messages SET lease_owner = 'dead-relay', lease_until_us = $2 WHERE message_id = $1",
        {claimed, absl::ToUnixMicros(clock_.Now() + absl::Seconds(60))}));
    CLINIC_ASSERT_OK(db_->Execute("UPDATE outbox_messages SET next_attempt_us = $2 WHERE message_id = $1",
                                  {fresh, absl::ToUnixMicros(clock_.Now() + absl::Hours(1))}));
    EXPECT_EQ(Drain(before), 1);
  }
  Recorder recorder;
  Relay after(*db_, clock_, Options());
  after.Handle("t", [&](const Message& m) {
    recorder.Add(m);
    return absl::OkStatus();
  });
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Drain(after), 1);  // the retry is due; the lease of the dead relay is not over
  clock_.Advance(absl::Seconds(60));
  EXPECT_EQ(Drain(after), 1);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Drain(after), 1);
  EXPECT_THAT(recorder.payloads(),
              ElementsAre("failed before the restart", "claimed by a relay that died", "never tried"));
  for (const std::string& id : {failed, claimed, fresh}) {
    EXPECT_EQ(Get(id).state, static_cast<int64_t>(State::kDelivered));
  }
}

TEST_P(OutboxTest, TopicsWithoutADeliveryFunctionAreHeldAndDeliveredRowsArePurged) {
  const std::string held = Put("unhandled", "held", "k1");
  const std::string done = Put("t", "done", "k2");
  metrics::Registry registry;
  RelayMetrics metrics(registry);
  RelayOptions options = Options();
  options.retention = absl::Hours(24);
  options.purge_interval = absl::Minutes(1);
  Relay relay(*db_, clock_, options, &metrics);
  relay.Handle("t", [](const Message&) { return absl::OkStatus(); });
  EXPECT_EQ(Drain(relay), 1);
  EXPECT_EQ(Get(held).state, static_cast<int64_t>(State::kPending));
  clock_.Advance(absl::Minutes(10));
  Drain(relay);
  EXPECT_THAT(registry.Render(), HasSubstr("outbox_backlog_messages{topic=\"unhandled\"} 1"));
  EXPECT_THAT(registry.Render(), HasSubstr("outbox_oldest_pending_seconds{topic=\"unhandled\"} 600"));
  EXPECT_EQ(CountRows(), 2);
  clock_.Advance(absl::Hours(24));
  Drain(relay);
  EXPECT_EQ(CountRows(), 1);  // the delivered row is gone, the held one stays
  EXPECT_EQ(Get(held).state, static_cast<int64_t>(State::kPending));
}

TEST_P(OutboxTest, StopWakesAnIdleRelayAndIsIdempotent) {
  RelayOptions options = Options();
  options.poll_interval = absl::Hours(1);
  Relay relay(*db_, clock_, options);
  relay.Handle("t", [](const Message&) { return absl::OkStatus(); });
  relay.Start();
  // Returns without waiting for the hour-long poll interval (else the test times out).
  relay.Stop();
  relay.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return param_info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace clinic::outbox
