#include "common/outbox/relay.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api/resource_name.h"
#include "common/log/log.h"

namespace clinic::outbox {
namespace {

// Claims and outcomes are guarded UPDATEs: at READ COMMITTED a concurrent claim of the
// same row waits for the other one and then re-checks the guard (no serialization
// failures to retry). SQLite serialises writers anyway.
sql::TransactionOptions WriteOptions() {
  sql::TransactionOptions options;
  options.isolation = sql::TransactionOptions::Isolation::kReadCommitted;
  return options;
}

std::string CodeName(const absl::Status& status) { return absl::StatusCodeToString(status.code()); }

}  // namespace

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kDataLoss:
      return false;
    default:
      return true;
  }
}

RelayMetrics::RelayMetrics(metrics::Registry& registry)
    : backlog_(registry.AddGauge("outbox_backlog_messages", "Outbox messages not yet delivered (nor dead).",
                                 {"topic"})),
      oldest_(registry.AddGauge("outbox_oldest_pending_seconds",
                                "Age of the oldest outbox message not yet delivered (0 when none).", {"topic"})),
      delivered_(registry.AddCounter("outbox_delivered_total", "Outbox messages delivered.", {"topic"})),
      failed_(registry.AddCounter("outbox_failed_total",
                                  "Failed outbox deliveries: outcome=retry (tried again later) or dead (given up).",
                                  {"topic", "outcome"})) {}

void RelayMetrics::Delivered(const std::string& topic) { delivered_.WithLabels({topic}).Increment(); }

void RelayMetrics::Failed(const std::string& topic, bool dead) {
  failed_.WithLabels({topic, dead ? "dead" : "retry"}).Increment();
}

void RelayMetrics::Backlog(const std::string& topic, double pending, double oldest_seconds) {
  backlog_.WithLabels({topic}).Set(pending);
  oldest_.WithLabels({topic}).Set(oldest_seconds);
}

Relay::Relay(sql::Database& db, const Clock& clock, RelayOptions options, RelayMetrics* metrics)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      owner_(options_.owner.empty() ? "relay-" + api::NewId() : options_.owner),
      metrics_(metrics) {}

Relay::~Relay() { Stop(); }

void Relay::Handle(std::string topic, DeliverFn deliver) {
  handlers_[std::move(topic)] = std::move(deliver);
  // Due, unclaimed messages of our topics whose key has no earlier message pending, in
  // sequence order. $1: now; $2...: the topics; last: the batch size.
  std::string topics;
  int n = 2;
  for (size_t i = 0; i < handlers_.size(); ++i) absl::StrAppend(&topics, i == 0 ? "" : ", ", "$", n++);
  claim_sql_ = absl::StrCat(
      "SELECT o.seq FROM outbox_messages o WHERE o.state = 1 AND o.next_attempt_us <= $1 AND o.lease_until_us <= $1 "
      "AND o.topic IN (", topics, ") AND NOT EXISTS (SELECT 1 FROM outbox_messages e WHERE e.state = 1 "
      "AND e.message_key = o.message_key AND e.seq < o.seq) ORDER BY o.seq LIMIT $", n);
}

void Relay::Start() {
  sync::MutexLock lock(&mu_);
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void Relay::Stop() {
  {
    sync::MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void Relay::Wake() {
  {
    sync::MutexLock lock(&mu_);
    wake_ = true;
  }
  cv_.SignalAll();
}

bool Relay::Stopping() {
  sync::MutexLock lock(&mu_);
  return stop_;
}

absl::Duration Relay::Backoff(int64_t failed_attempts) {
  absl::Duration base = options_.initial_backoff;
  for (int64_t i = 1; i < failed_attempts && base < options_.max_backoff; ++i) base *= 2;
  base = std::min(base, options_.max_backoff);
  sync::MutexLock lock(&mu_);
  return base * absl::Uniform(rng_, 0.5, 1.0);
}

absl::StatusOr<std::vector<Relay::Claimed>> Relay::Claim(absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  const int64_t until_us = absl::ToUnixMicros(now + options_.lease);
  std::vector<sql::Value> params;
  params.emplace_back(now_us);
  for (const auto& entry : handlers_) params.emplace_back(entry.first);
  params.emplace_back(options_.batch_size);
  std::vector<Claimed> claimed;
  absl::Status status = db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
    claimed.clear();
    absl::StatusOr<sql::ResultSet> due = tx.Query(claim_sql_, params);
    if (!due.ok()) return due.status();
    for (const sql::Row& row : *due) {
      // The guard re-checks the row: another relay may have claimed or finished it since.
      absl::StatusOr<sql::ResultSet> got = tx.Query(
          "UPDATE outbox_messages SET lease_owner = $2, lease_until_us = $3 "
          "WHERE seq = $1 AND state = 1 AND lease_until_us <= $4 AND next_attempt_us <= $4 "
          "RETURNING message_id, topic, message_key, payload, attempts, create_time_us",
          {row.GetInt64(0), owner_, until_us, now_us});
      if (!got.ok()) return got.status();
      if (got->empty()) continue;
      const sql::Row& r = (*got)[0];
      Claimed c;
      c.seq = row.GetInt64(0);
      c.attempts = r.GetInt64(4);
      c.message.id = r.GetText(0);
      c.message.topic = r.GetText(1);
      c.message.key = r.GetText(2);
      c.message.payload = r.GetBytes(3);
      c.message.attempt = static_cast<int>(c.attempts + 1);
      c.message.create_time = absl::FromUnixMicros(r.GetInt64(5));
      claimed.push_back(std::move(c));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return claimed;
}

absl::Status Relay::Record(const Claimed& c, const absl::Status& outcome) {
  const absl::Time now = clock_.Now();
  const int64_t now_us = absl::ToUnixMicros(now);
  const int64_t attempts = c.attempts + 1;
  const std::string& topic = c.message.topic;
  absl::StatusOr<int64_t> n;
  if (outcome.ok()) {
    n = db_.Execute(
        "UPDATE outbox_messages SET state = 2, attempts = $3, finish_time_us = $4, lease_owner = '', "
        "lease_until_us = 0, last_error = '' WHERE seq = $1 AND lease_owner = $2 AND state = 1",
        {c.seq, owner_, attempts, now_us});
    if (n.ok() && metrics_ != nullptr) metrics_->Delivered(topic);
  } else if (IsRetryable(outcome) && attempts < options_.max_attempts) {
    const absl::Duration wait = Backoff(attempts);
    n = db_.Execute(
        "UPDATE outbox_messages SET attempts = $3, next_attempt_us = $4, lease_owner = '', lease_until_us = 0, "
        "last_error = $5 WHERE seq = $1 AND lease_owner = $2 AND state = 1",
        {c.seq, owner_, attempts, absl::ToUnixMicros(now + wait), CodeName(outcome)});
    if (n.ok() && metrics_ != nullptr) metrics_->Failed(topic, false);
    log::Warn("outbox delivery failed; retrying later", {{"message_id", c.message.id},
                                                        {"topic", topic},
                                                        {"attempt", absl::StrCat(attempts)},
                                                        {"code", CodeName(outcome)},
                                                        {"backoff_ms", absl::StrCat(absl::ToInt64Milliseconds(wait))}});
  } else {
    n = db_.Execute(
        "UPDATE outbox_messages SET state = 3, attempts = $3, finish_time_us = $4, lease_owner = '', "
        "lease_until_us = 0, last_error = $5 WHERE seq = $1 AND lease_owner = $2 AND state = 1",
        {c.seq, owner_, attempts, now_us, CodeName(outcome)});
    if (n.ok() && metrics_ != nullptr) metrics_->Failed(topic, true);
    log::Error("outbox message dead: delivery given up", {{"message_id", c.message.id},
                                                          {"topic", topic},
                                                          {"attempts", absl::StrCat(attempts)},
                                                          {"code", CodeName(outcome)}});
  }
  if (!n.ok()) return n.status();
  if (*n == 0) {
    // The lease ran out during the delivery and another relay took the row: it delivers
    // again (at least once) and records its own outcome.
    log::Warn("outbox lease lost before the outcome was recorded", {{"message_id", c.message.id}, {"topic", topic}});
  }
  return absl::OkStatus();
}

void Relay::Release(const std::vector<Claimed>& claimed, size_t from) {
  if (from >= claimed.size()) return;
  absl::Status s = db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
    for (size_t i = from; i < claimed.size(); ++i) {
      absl::StatusOr<int64_t> n = tx.Execute(
          "UPDATE outbox_messages SET lease_owner = '', lease_until_us = 0 WHERE seq = $1 AND lease_owner = $2 "
          "AND state = 1",
          {claimed[i].seq, owner_});
      if (!n.ok()) return n.status();
    }
    return absl::OkStatus();
  });
  // Not fatal: the leases run out on their own.
  if (!s.ok()) log::Warn("outbox: giving back claimed messages failed", {{"code", CodeName(s)}});
}

absl::Status Relay::UpdateBacklog(absl::Time now) {
  if (metrics_ == nullptr) return absl::OkStatus();
  absl::StatusOr<sql::ResultSet> rows =
      db_.Query("SELECT topic, COUNT(*), MIN(create_time_us) FROM outbox_messages WHERE state = 1 GROUP BY topic");
  if (!rows.ok()) return rows.status();
  sync::MutexLock lock(&mu_);
  std::set<std::string> present;
  for (const sql::Row& row : *rows) {
    const std::string& topic = row.GetText(0);
    present.insert(topic);
    topics_seen_.insert(topic);
    const absl::Duration age = now - absl::FromUnixMicros(row.GetInt64(2));
    metrics_->Backlog(topic, static_cast<double>(row.GetInt64(1)),
                      std::max(0.0, absl::ToDoubleSeconds(age)));
  }
  for (const std::string& topic : topics_seen_) {
    if (!present.contains(topic)) metrics_->Backlog(topic, 0, 0);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Relay::RunOnce() {
  const absl::Time now = clock_.Now();
  int attempted = 0;
  if (!handlers_.empty()) {
    absl::StatusOr<std::vector<Claimed>> claimed = Claim(now);
    if (!claimed.ok()) return claimed.status();
    for (size_t i = 0; i < claimed->size(); ++i) {
      if (Stopping()) {
        Release(*claimed, i);
        break;
      }
      const Claimed& c = (*claimed)[i];
      const absl::Status outcome = handlers_.at(c.message.topic)(c.message);
      ++attempted;
      if (absl::Status s = Record(c, outcome); !s.ok()) {
        Release(*claimed, i + 1);
        return s;
      }
    }
  }
  bool purge = false;
  {
    sync::MutexLock lock(&mu_);
    if (now >= next_purge_) {
      purge = true;
      next_purge_ = now + options_.purge_interval;
    }
  }
  if (purge) {
    absl::StatusOr<int64_t> purged = db_.Execute(
        "DELETE FROM outbox_messages WHERE state = 2 AND finish_time_us < $1",
        {absl::ToUnixMicros(now - options_.retention)});
    if (!purged.ok()) return purged.status();
  }
  if (absl::Status s = UpdateBacklog(clock_.Now()); !s.ok()) return s;
  return attempted;
}

void Relay::Loop() {
  bool failing = false;
  while (!Stopping()) {
    absl::StatusOr<int> attempted = RunOnce();
    if (!attempted.ok() && !failing) {
      log::Warn("outbox relay pass failed; retrying", {{"code", CodeName(attempted.status())}});
    } else if (attempted.ok() && failing) {
      log::Info("outbox relay passes succeed again");
    }
    failing = !attempted.ok();
    const bool more = attempted.ok() && *attempted >= options_.batch_size;
    sync::MutexLock lock(&mu_);
    if (more) continue;
    const absl::Time deadline = absl::Now() + options_.poll_interval;
    while (!stop_ && !wake_) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) break;
    }
    wake_ = false;
  }
}

}  // namespace clinic::outbox
