#pragma once

// The relay of the transactional outbox (outbox.h): a background thread that hands each
// due message to the delivery function of its topic and records the outcome.
//
//   outbox::RelayMetrics metrics(registry);           // once per registry
//   outbox::Relay relay(*db, clock, {}, &metrics);
//   relay.Handle("inventory.staff_alert", [&](const outbox::Message& m) { return sender.Deliver(m); });
//   relay.Start();
//   ...
//   relay.Stop();                                      // or let the destructor do it
//
// What it promises:
// - At least once: a message is marked delivered only after its function returned OK,
//   in a transaction of its own; a crash in between means it is delivered again.
// - Never concurrently twice: a relay claims a row (a lease: lease_owner and
//   lease_until_us, set by a guarded UPDATE) before delivering it, so several replicas
//   (or several relays) on one database share the work and never deliver the same row at
//   the same time. A lease that runs out (the relay died) lets another relay take the
//   row. Keep RelayOptions::lease well above the longest delivery (the delivery
//   function's own deadline).
// - Outcomes of a delivery function, by status code:
//     OK                                   delivered;
//     INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS, OUT_OF_RANGE,
//     DATA_LOSS                            permanent: the message is dead at once;
//     anything else (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
//     INTERNAL, UNKNOWN, UNIMPLEMENTED, UNAUTHENTICATED, PERMISSION_DENIED, CANCELLED)
//                                          retryable: tried again after an exponential
//                                          backoff with jitter, and dead after
//                                          RelayOptions::max_attempts attempts in all.
//   So a delivery function maps "already done" to OK and its caller's mistakes to a
//   permanent code; configuration and availability problems stay retryable.
// - Dead messages stay in the table (state 3, last_error holds the status code name) for
//   operators; each is logged once at error level with its id, topic and attempts only.
// - Messages of a topic with no delivery function here are held (left pending), e.g. a
//   peer whose address is not configured; they are delivered once a relay handles it.
// - Delivered rows are deleted RelayOptions::retention after delivery.
// - Metrics (RelayMetrics): outbox_backlog_messages{topic} (pending rows),
//   outbox_oldest_pending_seconds{topic}, outbox_delivered_total{topic},
//   outbox_failed_total{topic,outcome="retry"|"dead"}.
//
// Times of the rows (due, lease, retention) come from the injected Clock; the thread's
// idle wait between polls is real time.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/outbox/outbox.h"
#include "common/sql/database.h"
#include "common/sync/mutex.h"

namespace clinic::outbox {

struct RelayOptions {
  // Names this relay in lease_owner; empty: a random id (each relay must have its own).
  std::string owner;
  // Most messages claimed per pass.
  int batch_size = 32;
  // How long the thread waits between passes when there was nothing (more) to do.
  absl::Duration poll_interval = absl::Seconds(1);
  // How long a claimed message is reserved for this relay.
  absl::Duration lease = absl::Seconds(60);
  // Attempts in all before a message that keeps failing with a retryable error is dead.
  int max_attempts = 12;
  // Backoff before attempt n + 1 (n >= 1 failed attempts): random in [½, 1] of
  // min(max_backoff, initial_backoff * 2^(n-1)).
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(10);
  // Delivered rows older than this are deleted, checked every purge_interval.
  absl::Duration retention = absl::Hours(24 * 7);
  absl::Duration purge_interval = absl::Minutes(10);
};

// The relay's metrics; registers them, so make one per registry. Thread-safe.
class RelayMetrics {
 public:
  explicit RelayMetrics(metrics::Registry& registry);

  void Delivered(const std::string& topic);
  void Failed(const std::string& topic, bool dead);
  void Backlog(const std::string& topic, double pending, double oldest_seconds);

 private:
  metrics::Family<metrics::Gauge>& backlog_;
  metrics::Family<metrics::Gauge>& oldest_;
  metrics::Family<metrics::Counter>& delivered_;
  metrics::Family<metrics::Counter>& failed_;
};

// True for the status codes a relay retries (see above).
bool IsRetryable(const absl::Status& status);

class Relay {
 public:
  // Delivers one message. Called on the relay's thread (or RunOnce's caller), one
  // message at a time; may block (bounded by its own deadline, below the lease).
  using DeliverFn = std::function<absl::Status(const Message&)>;

  // `db`, `clock` and `metrics` (may be null) must outlive the relay. Does not start it.
  Relay(sql::Database& db, const Clock& clock, RelayOptions options = {}, RelayMetrics* metrics = nullptr);
  // Stop().
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Sets the delivery function of `topic`. Call before Start() (not thread-safe with a
  // running relay).
  void Handle(std::string topic, DeliverFn deliver);

  // Starts the background thread (once).
  void Start();
  // Wakes the thread, lets the delivery in progress finish, gives back the other messages
  // it claimed, and joins it. Idempotent.
  void Stop();
  // Makes the thread poll now rather than at the end of its idle wait (e.g. after a
  // commit that enqueued something).
  void Wake();

  // One pass on the calling thread: claims up to batch_size due messages, delivers them
  // in order, records each outcome; then updates the backlog metrics and purges when due.
  // Returns how many messages were attempted. Errors are the database's (the pass stops
  // there; claimed messages come back when their lease runs out).
  absl::StatusOr<int> RunOnce();

 private:
  struct Claimed {
    int64_t seq = 0;
    int64_t attempts = 0;  // before this attempt
    Message message;
  };

  absl::StatusOr<std::vector<Claimed>> Claim(absl::Time now);
  absl::Status Record(const Claimed& claimed, const absl::Status& outcome);
  void Release(const std::vector<Claimed>& claimed, size_t from);
  absl::Status UpdateBacklog(absl::Time now);
  absl::Duration Backoff(int64_t failed_attempts);
  bool Stopping();
  void Loop();

  sql::Database& db_;
  const Clock& clock_;
  const RelayOptions options_;
  const std::string owner_;
  RelayMetrics* const metrics_;
  // Written before Start() only.
  std::map<std::string, DeliverFn> handlers_;
  std::string claim_sql_;

  sync::Mutex mu_;
  sync::CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_purge_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::set<std::string> topics_seen_ ABSL_GUARDED_BY(mu_);
  absl::BitGen rng_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace clinic::outbox
