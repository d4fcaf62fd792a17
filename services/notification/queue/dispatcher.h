#pragma once

// The reminder dispatcher: worker threads that claim due reminder ids from the
// ReminderQueue in batches and hand each batch to a Deliverer; a housekeeping thread that
// reaps expired claims, refreshes the queue gauges and reconciles Redis with the
// database.
//
//   queue::ReminderQueue queue(redis_client);
//   queue::Dispatcher dispatcher(queue, deliverer, clock, registry, list_scheduled, options);
//   dispatcher.Start();
//   ...                      // health detail: dispatcher.health()
//   dispatcher.Stop();       // on SIGTERM, before the deliverer's dependencies go away
//
// Outcomes: kDone acks; kRetry retries at the given time, or dead-letters (and calls
// Deliverer::DeadLettered) when the attempt was the options' max_attempts-th; kDefer
// re-queues without counting an attempt; kDead dead-letters. A claim found with an
// attempt beyond max_attempts (claimed and reaped that often: its workers crashed or
// stalled) is dead-lettered without delivery.
//
// Reconcile: the database is the truth. At start, every reconcile_interval, and at once
// when the queue's marker key is missing (Redis restarted without persistence, was
// flushed or evicted the queue), the dispatcher sets the marker, asks `list_scheduled`
// for every reminder the database says is scheduled and EnsureQueued's each (added
// only when in none of the queue's sets).
//
// Redis down: every loop keeps going, retrying with backoff (full jitter between
// redis_retry_base and redis_retry_cap); health() says Redis is unavailable and since
// when, the gauge notification_queue_redis_up is 0, and one warning is logged when it
// goes down and one line when it is back (no ids, no personal data).
//
// Time: queue scores (due, visibility deadlines, lateness) come from the Clock; the
// cadence of polling and housekeeping is real elapsed time.
//
// Metrics (registered on the registry given; one dispatcher per registry):
//   notification_queue_depth, notification_queue_due_now, notification_queue_in_flight,
//   notification_queue_dead_letters (gauges, refreshed every housekeeping_interval),
//   notification_queue_redis_up (gauge), notification_queue_lateness_seconds
//   (histogram of now − due at claim time), notification_queue_deliveries_total
//   {outcome=done|retry|deferred|dead|stale|released}, notification_queue_reaped_total,
//   notification_queue_reconciled_total (ids re-added), notification_queue_redis_errors_total.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/sync/mutex.h"
#include "services/notification/queue/deliverer.h"
#include "services/notification/queue/reminder_queue.h"

namespace clinic::notification::queue {

struct DispatcherOptions {
  // Worker threads, each claiming and delivering one batch at a time.
  int workers = 4;
  // Ids claimed per round trip, and handed to Deliverer::DeliverBatch together. The
  // notification service's deliverer costs two commits per batch, so bigger batches
  // send faster (docs/BENCHMARKS.md, issue 5: 16 -> 128 took ~1.4k to ~4k reminders/s);
  // beyond 128 the gain was lost in the noise.
  int batch_size = 128;
  // How long an idle worker waits before claiming again. Bounds the lateness of a
  // reminder when the queue is idle.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // How long a claim is reserved for its worker. Must exceed the slowest delivery of a
  // whole batch, or claims are reaped and delivered again while still being worked on.
  absl::Duration visibility = absl::Minutes(2);
  // Retryable failures allowed before a reminder is dead-lettered (>= 1).
  int max_attempts = 8;
  // Reap, check the reconcile marker and refresh the gauges this often.
  absl::Duration housekeeping_interval = absl::Seconds(5);
  // A full reconcile this often, on top of the one at start and those after Redis lost
  // its data.
  absl::Duration reconcile_interval = absl::Minutes(10);
  // Backoff of a loop whose Redis calls fail.
  absl::Duration redis_retry_base = absl::Milliseconds(100);
  absl::Duration redis_retry_cap = absl::Seconds(5);
};

// Calls `emit(id, due)` for every reminder the database says is scheduled (not sent,
// skipped, cancelled or dead); an error if it could not list them all (what was
// emitted before the error is still queued).
using ScheduledLister = std::function<absl::Status(
    const std::function<void(std::string_view reminder_id, absl::Time due)>& emit)>;

struct DispatcherHealth {
  bool redis_healthy = true;
  absl::Time unhealthy_since = absl::InfinitePast();  // when redis_healthy is false
  std::string last_error;                             // the last Redis error, no personal data
  bool reconcile_pending = true;                      // no reconcile has succeeded since start
                                                      // or since Redis lost its data
};

class Dispatcher {
 public:
  // Every reference must outlive the dispatcher. Threads start with Start().
  Dispatcher(ReminderQueue& queue, Deliverer& deliverer, const Clock& clock,
             metrics::Registry& registry, ScheduledLister list_scheduled,
             DispatcherOptions options = {});
  // Stop()s.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the workers and the housekeeping thread (which reconciles first). Call once.
  void Start();

  // For shutdown: each worker finishes the delivery in progress (and its ack), returns
  // the rest of its claimed batch to the due set (what DeliverBatch did not attempt; a
  // batching deliverer that already started finishes its whole batch), and exits; then the threads are
  // joined. Blocks until then. Idempotent; safe without Start().
  void Stop();

  // One reconcile pass on the calling thread (see the top of this file): the number of
  // ids re-added to the queue. Thread-safe, also while the dispatcher runs.
  absl::StatusOr<int64_t> Reconcile();

  // Whether Stop() has been called (the service is draining).
  bool stopping() const { return Stopping(); }

  // Whether the last Redis call of any loop succeeded.
  bool redis_healthy() const;
  DispatcherHealth health() const;

 private:
  struct Metrics;

  void WorkerLoop();
  void HousekeepingLoop();
  // Dead-letters the claims past max_attempts, hands the rest to DeliverBatch, applies
  // each outcome, acks the done ones together and releases those not attempted (Stop()).
  void ProcessBatch(const std::vector<Claim>& claims);
  // Applies one claim's outcome; true when it is done and awaits its ack.
  bool ApplyOutcome(const Claim& claim, const DeliveryOutcome& outcome);
  void AckDelivered(std::vector<Claim>* delivered);
  void DeadLetter(const Claim& claim, bool tell_deliverer);
  // Runs a claim update, retrying a few times while Redis is unavailable.
  template <typename T>
  absl::StatusOr<T> UpdateClaim(const std::function<absl::StatusOr<T>()>& update);
  void ReleaseClaims(const std::vector<Claim>& claims);
  bool HousekeepOnce(bool reconcile, bool* reconciled);
  void RefreshGauges();

  void NoteRedisOk();
  void NoteRedisFailure(std::string_view operation, const absl::Status& status);

  // Waits up to `timeout` for Stop(); whether Stop() was called.
  bool WaitForStop(absl::Duration timeout);
  bool Stopping() const;

  ReminderQueue& queue_;
  Deliverer& deliverer_;
  const Clock& clock_;
  const ScheduledLister list_scheduled_;
  const DispatcherOptions options_;
  std::unique_ptr<Metrics> metrics_;

  mutable sync::Mutex mu_;
  sync::CondVar stop_cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);

  mutable sync::Mutex health_mu_;
  bool redis_healthy_ ABSL_GUARDED_BY(health_mu_) = true;
  absl::Time unhealthy_since_ ABSL_GUARDED_BY(health_mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(health_mu_);
  std::atomic<bool> reconcile_pending_{true};
};

}  // namespace clinic::notification::queue
