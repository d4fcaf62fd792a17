#include "services/notification/queue/dispatcher.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "common/log/log.h"
#include "services/notification/queue/backoff.h"

namespace clinic::notification::queue {
namespace {

// Reap at most this many claims per script run (one run must not hold Redis long).
constexpr int kReapBatch = 1000;
// Reconcile sends ids to Redis in groups of this many.
constexpr size_t kReconcileBatch = 500;
// A claim update (ack, retry, dead letter, release) is tried this many times while
// Redis is unavailable; after that the claim expires and is reaped and delivered
// again, which the deliverer turns into a no-op.
constexpr int kClaimUpdateTries = 3;

std::vector<double> LatenessBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
}

}  // namespace

struct Dispatcher::Metrics {
  explicit Metrics(metrics::Registry& registry)
      : depth(registry.AddGauge("notification_queue_depth", "Reminder ids waiting in the due set.").WithLabels({})),
        due_now(registry.AddGauge("notification_queue_due_now", "Reminder ids due now and not yet claimed.")
                    .WithLabels({})),
        in_flight(registry.AddGauge("notification_queue_in_flight", "Reminder ids claimed by a worker.")
                      .WithLabels({})),
        dead(registry.AddGauge("notification_queue_dead_letters", "Reminder ids in the dead-letter set.")
                 .WithLabels({})),
        redis_up(registry.AddGauge("notification_queue_redis_up", "1 while the queue's Redis calls succeed.")
                     .WithLabels({})),
        lateness(registry
                     .AddHistogram("notification_queue_lateness_seconds",
                                   "Time from a reminder's due time to its claim.", {}, LatenessBuckets())
                     .WithLabels({})),
        reaped(registry.AddCounter("notification_queue_reaped_total", "Expired claims returned to the due set.")
                   .WithLabels({})),
        reconciled(registry
                       .AddCounter("notification_queue_reconciled_total",
                                   "Reminder ids re-added to the queue from the database.")
                       .WithLabels({})),
        redis_errors(registry.AddCounter("notification_queue_redis_errors_total", "Failed Redis calls of the queue.")
                         .WithLabels({})) {
    metrics::Family<metrics::Counter>& deliveries = registry.AddCounter(
        "notification_queue_deliveries_total", "Claimed reminders by what became of them.", {"outcome"});
    done = &deliveries.WithLabels({"done"});
    retry = &deliveries.WithLabels({"retry"});
    deferred = &deliveries.WithLabels({"deferred"});
    dead_lettered = &deliveries.WithLabels({"dead"});
    stale = &deliveries.WithLabels({"stale"});
    released = &deliveries.WithLabels({"released"});
    redis_up.Set(1);
  }

  metrics::Gauge& depth;
  metrics::Gauge& due_now;
  metrics::Gauge& in_flight;
  metrics::Gauge& dead;
  metrics::Gauge& redis_up;
  metrics::Histogram& lateness;
  metrics::Counter& reaped;
  metrics::Counter& reconciled;
  metrics::Counter& redis_errors;
  metrics::Counter* done;
  metrics::Counter* retry;
  metrics::Counter* deferred;
  metrics::Counter* dead_lettered;
  metrics::Counter* stale;
  metrics::Counter* released;
};

Dispatcher::Dispatcher(ReminderQueue& queue, Deliverer& deliverer, const Clock& clock,
                       metrics::Registry& registry, ScheduledLister list_scheduled,
                       DispatcherOptions options)
    : queue_(queue),
      deliverer_(deliverer),
      clock_(clock),
      list_scheduled_(std::move(list_scheduled)),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>(registry)) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  sync::MutexLock lock(&mu_);
  if (started_ || stop_) return;
  started_ = true;
  threads_.emplace_back([this] { HousekeepingLoop(); });
  for (int i = 0; i < std::max(1, options_.workers); ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

void Dispatcher::Stop() {
  std::vector<std::thread> threads;
  {
    sync::MutexLock lock(&mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  stop_cv_.SignalAll();
  for (std::thread& thread : threads) thread.join();
}

bool Dispatcher::Stopping() const {
  sync::MutexLock lock(&mu_);
  return stop_;
}

bool Dispatcher::WaitForStop(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  sync::MutexLock lock(&mu_);
  while (!stop_ && absl::Now() < deadline) stop_cv_.WaitWithDeadline(&mu_, deadline);
  return stop_;
}

void Dispatcher::WorkerLoop() {
  absl::BitGen gen;
  const auto uniform = [&gen] { return absl::Uniform(gen, 0.0, 1.0); };
  int failures = 0;
  while (!Stopping()) {
    absl::StatusOr<std::vector<Claim>> claims =
        queue_.ClaimDue(clock_.Now(), std::max(1, options_.batch_size), options_.visibility);
    if (!claims.ok()) {
      NoteRedisFailure("claim", claims.status());
      ++failures;
      WaitForStop(NextAttemptDelay(failures, options_.redis_retry_base, options_.redis_retry_cap,
                                   Jitter::kFull, uniform));
      continue;
    }
    failures = 0;
    NoteRedisOk();
    if (claims->empty()) {
      WaitForStop(options_.poll_interval);
      continue;
    }
    const absl::Time now = clock_.Now();
    for (const Claim& claim : *claims) {
      metrics_->lateness.Observe(absl::ToDoubleSeconds(std::max(absl::ZeroDuration(), now - claim.due)));
    }
    ProcessBatch(*claims);
  }
}

void Dispatcher::ProcessBatch(const std::vector<Claim>& claims) {
  // Claimed this often without an outcome: their deliveries keep crashing or stalling.
  std::vector<const Claim*> to_deliver;
  to_deliver.reserve(claims.size());
  for (const Claim& claim : claims) {
    if (claim.attempt > options_.max_attempts) {
      DeadLetter(claim, /*tell_deliverer=*/true);
    } else {
      to_deliver.push_back(&claim);
    }
  }
  std::vector<Delivery> batch;
  batch.reserve(to_deliver.size());
  for (const Claim* claim : to_deliver) batch.push_back(Delivery{claim->id, claim->attempt});
  std::vector<DeliveryOutcome> outcomes;
  if (!batch.empty() && !Stopping()) outcomes = deliverer_.DeliverBatch(batch, [this] { return Stopping(); });
  const size_t attempted = std::min(outcomes.size(), to_deliver.size());

  std::vector<Claim> delivered;  // done: acknowledged together
  for (size_t i = 0; i < attempted; ++i) {
    if (ApplyOutcome(*to_deliver[i], outcomes[i])) delivered.push_back(*to_deliver[i]);
  }
  AckDelivered(&delivered);
  if (attempted < to_deliver.size()) {
    std::vector<Claim> rest;
    for (size_t i = attempted; i < to_deliver.size(); ++i) rest.push_back(*to_deliver[i]);
    ReleaseClaims(rest);
  }
}

void Dispatcher::AckDelivered(std::vector<Claim>* delivered) {
  if (delivered->empty()) return;
  absl::StatusOr<std::vector<bool>> held =
      UpdateClaim<std::vector<bool>>([&] { return queue_.Ack(*delivered, clock_.Now()); });
  delivered->clear();
  if (!held.ok()) return;  // noted by UpdateClaim; the claims will be reaped
  for (bool one : *held) (one ? metrics_->done : metrics_->stale)->Increment();
}

bool Dispatcher::ApplyOutcome(const Claim& claim, const DeliveryOutcome& outcome) {
  absl::StatusOr<bool> held = true;
  metrics::Counter* counter = nullptr;
  switch (outcome.kind()) {
    case DeliveryOutcome::Kind::kDone:
      return true;
    case DeliveryOutcome::Kind::kRetry:
      if (claim.attempt >= options_.max_attempts) {
        DeadLetter(claim, /*tell_deliverer=*/true);
        return false;
      }
      held = UpdateClaim<bool>([&] { return queue_.Retry(claim, outcome.when()); });
      counter = metrics_->retry;
      break;
    case DeliveryOutcome::Kind::kDefer:
      held = UpdateClaim<bool>([&] { return queue_.Retry(claim, outcome.when(), /*count_attempt=*/false); });
      counter = metrics_->deferred;
      break;
    case DeliveryOutcome::Kind::kDead:
      DeadLetter(claim, /*tell_deliverer=*/false);
      return false;
  }
  if (!held.ok()) return false;  // noted by UpdateClaim; the claim will be reaped
  // Not held: reaped and claimed again, re-enqueued or cancelled meanwhile; the newer
  // state wins.
  (*held ? counter : metrics_->stale)->Increment();
  return false;
}

void Dispatcher::DeadLetter(const Claim& claim, bool tell_deliverer) {
  absl::StatusOr<bool> held = UpdateClaim<bool>([&] { return queue_.DeadLetter(claim, clock_.Now()); });
  if (!held.ok()) return;
  if (!*held) {
    metrics_->stale->Increment();
    return;
  }
  metrics_->dead_lettered->Increment();
  log::Warn("reminder dead-lettered",
            {{"reminder_id", claim.id}, {"attempts", absl::StrCat(claim.attempt)}});
  if (tell_deliverer) deliverer_.DeadLettered(claim.id, claim.attempt);
}

template <typename T>
absl::StatusOr<T> Dispatcher::UpdateClaim(const std::function<absl::StatusOr<T>()>& update) {
  absl::StatusOr<T> result = update();
  for (int attempt = 1; attempt < kClaimUpdateTries && absl::IsUnavailable(result.status()); ++attempt) {
    NoteRedisFailure("claim update", result.status());
    // Not cut short by Stop(): finishing the delivery in progress includes recording it.
    absl::SleepFor(BackoffCeiling(attempt, options_.redis_retry_base, options_.redis_retry_cap));
    result = update();
  }
  if (result.ok()) {
    NoteRedisOk();
  } else {
    NoteRedisFailure("claim update", result.status());
  }
  return result;
}

void Dispatcher::ReleaseClaims(const std::vector<Claim>& claims) {
  absl::StatusOr<int64_t> released = queue_.Release(claims, clock_.Now());
  if (!released.ok()) {
    // They come back when their visibility deadline passes (the reaper of any replica).
    NoteRedisFailure("release", released.status());
    return;
  }
  NoteRedisOk();
  metrics_->released->Increment(static_cast<double>(*released));
}

void Dispatcher::HousekeepingLoop() {
  absl::BitGen gen;
  const auto uniform = [&gen] { return absl::Uniform(gen, 0.0, 1.0); };
  absl::Time next_full_reconcile = absl::Now() + options_.reconcile_interval;
  int failures = 0;
  while (!Stopping()) {
    const bool reconcile = reconcile_pending_.load() || absl::Now() >= next_full_reconcile;
    bool reconciled = false;
    if (HousekeepOnce(reconcile, &reconciled)) {
      failures = 0;
    } else {
      ++failures;
    }
    if (reconciled) next_full_reconcile = absl::Now() + options_.reconcile_interval;
    const absl::Duration wait =
        failures == 0 ? options_.housekeeping_interval
                      : std::min(options_.housekeeping_interval,
                                 NextAttemptDelay(failures, options_.redis_retry_base, options_.redis_retry_cap,
                                                  Jitter::kFull, uniform));
    WaitForStop(wait);
  }
}

// One round: reconcile when asked or when Redis lost its data (`*reconciled` tells
// whether one succeeded), reap, refresh the gauges. Whether every step succeeded.
bool Dispatcher::HousekeepOnce(bool reconcile, bool* reconciled) {
  absl::StatusOr<bool> lost = queue_.NeedsReconcile();
  if (!lost.ok()) {
    NoteRedisFailure("reconcile check", lost.status());
    return false;
  }
  NoteRedisOk();
  if (*lost) {
    if (!reconcile_pending_.exchange(true)) log::Warn("reminder queue data missing in Redis; reconciling");
    reconcile = true;
  }
  bool ok = true;
  if (reconcile) {
    *reconciled = Reconcile().ok();
    ok = *reconciled;
  }
  for (;;) {
    absl::StatusOr<int64_t> reaped = queue_.Reap(clock_.Now(), kReapBatch);
    if (!reaped.ok()) {
      NoteRedisFailure("reap", reaped.status());
      return false;
    }
    metrics_->reaped.Increment(static_cast<double>(*reaped));
    if (*reaped > 0) log::Info("expired reminder claims returned to the queue", {{"count", absl::StrCat(*reaped)}});
    if (*reaped < kReapBatch) break;
  }
  RefreshGauges();
  return ok;
}

void Dispatcher::RefreshGauges() {
  absl::StatusOr<QueueCounts> counts = queue_.Counts(clock_.Now());
  if (!counts.ok()) {
    NoteRedisFailure("counts", counts.status());
    return;
  }
  metrics_->depth.Set(static_cast<double>(counts->due));
  metrics_->due_now.Set(static_cast<double>(counts->due_now));
  metrics_->in_flight.Set(static_cast<double>(counts->in_flight));
  metrics_->dead.Set(static_cast<double>(counts->dead));
}

absl::StatusOr<int64_t> Dispatcher::Reconcile() {
  // The marker goes first: if Redis loses its data while this runs, the marker goes
  // with it and the next round reconciles again.
  if (absl::Status marked = queue_.MarkReconciled(); !marked.ok()) {
    NoteRedisFailure("reconcile", marked);
    return marked;
  }
  const absl::Time listed_at = clock_.Now();
  int64_t added = 0;
  absl::Status redis_status;
  std::vector<ScheduledReminder> batch;
  batch.reserve(kReconcileBatch);
  const auto flush = [&] {
    if (batch.empty() || !redis_status.ok()) return;
    absl::StatusOr<int64_t> n = queue_.EnsureQueued(batch, listed_at);
    batch.clear();
    if (!n.ok()) {
      redis_status = n.status();
      return;
    }
    added += *n;
  };
  absl::Status listed = list_scheduled_([&](std::string_view reminder_id, absl::Time due) {
    if (!redis_status.ok()) return;  // Redis failed: the rest waits for the next round
    batch.push_back(ScheduledReminder{std::string(reminder_id), due});
    if (batch.size() >= kReconcileBatch) flush();
  });
  flush();
  metrics_->reconciled.Increment(static_cast<double>(added));
  if (!redis_status.ok()) {
    NoteRedisFailure("reconcile", redis_status);
    return redis_status;
  }
  NoteRedisOk();
  if (!listed.ok()) {
    log::Warn("reconcile could not list the scheduled reminders", {{"error", listed.ToString()}});
    return listed;
  }
  reconcile_pending_.store(false);
  log::Info("reminder queue reconciled", {{"added", absl::StrCat(added)}});
  return added;
}

bool Dispatcher::redis_healthy() const {
  sync::MutexLock lock(&health_mu_);
  return redis_healthy_;
}

DispatcherHealth Dispatcher::health() const {
  sync::MutexLock lock(&health_mu_);
  return DispatcherHealth{redis_healthy_, unhealthy_since_, last_error_, reconcile_pending_.load()};
}

void Dispatcher::NoteRedisOk() {
  {
    sync::MutexLock lock(&health_mu_);
    if (redis_healthy_) return;
    redis_healthy_ = true;
    unhealthy_since_ = absl::InfinitePast();
  }
  metrics_->redis_up.Set(1);
  log::Info("reminder queue: redis is reachable again");
}

void Dispatcher::NoteRedisFailure(std::string_view operation, const absl::Status& status) {
  metrics_->redis_errors.Increment();
  bool was_healthy = false;
  {
    sync::MutexLock lock(&health_mu_);
    // The client's messages never carry command arguments, so no ids leak here.
    last_error_ = status.ToString();
    was_healthy = redis_healthy_;
    if (was_healthy) {
      redis_healthy_ = false;
      unhealthy_since_ = absl::Now();
    }
  }
  if (was_healthy) {
    metrics_->redis_up.Set(0);
    log::Warn("reminder queue: redis call failed; retrying with backoff",
              {{"operation", operation}, {"error", status.ToString()}});
  }
}

}  // namespace clinic::notification::queue
