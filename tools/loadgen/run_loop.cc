#include "tools/loadgen/run_loop.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "common/sync/mutex.h"

namespace clinic::loadgen {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// Completions arrive on gRPC's threads; a few independently locked shards keep them from
// queueing on one lock.
constexpr std::size_t kShards = 16;

struct Shard {
  sync::Mutex mu;
  Stats stats ABSL_GUARDED_BY(mu);
};

// Shared with every operation's callback (held by shared_ptr), so that it outlives the
// last callback even after RunLoad has returned.
class Runner : public std::enable_shared_from_this<Runner> {
 public:
  Runner(Workload& workload, const CallSettings& settings, const RunOptions& options)
      : workload_(workload), settings_(settings), options_(options) {}

  Stats Run() {
    const TimePoint start = SteadyClock::now();
    measure_start_ = start + absl::ToChronoNanoseconds(options_.warmup);
    measure_end_ = measure_start_ + absl::ToChronoNanoseconds(options_.duration);

    if (options_.mode == LoadMode::kClosedLoop) {
      for (int i = 0; i < options_.concurrency; ++i) StartOne(SteadyClock::now());
      std::this_thread::sleep_until(measure_end_);
    } else {
      RunSchedule(start);
    }
    stopping_.store(true, std::memory_order_release);

    {
      sync::MutexLock lock(&done_mu_);
      while (outstanding_.load() != 0) done_.Wait(&done_mu_);
    }

    Stats total;
    for (Shard& shard : shards_) {
      sync::MutexLock lock(&shard.mu);
      total.Merge(shard.stats);
    }
    return total;
  }

 private:
  // Operation i is due at start + i / rate. Start every operation that is due, then
  // sleep until the next one is; when the generator falls behind it catches up at once
  // and the lag shows in the latencies, which count from the due time.
  void RunSchedule(TimePoint start) {
    const double nanos_per_op = 1e9 / options_.rate;
    for (std::int64_t i = 0;; ++i) {
      const TimePoint due =
          start + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(i) *
                                                                      nanos_per_op));
      if (due >= measure_end_) return;
      if (SteadyClock::now() < due) std::this_thread::sleep_until(due);
      StartOne(due);
    }
  }

  void StartOne(TimePoint scheduled) {
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    workload_.Start(settings_, [self = shared_from_this(), scheduled](const grpc::Status& status) {
      self->OnDone(scheduled, status);
    });
  }

  void OnDone(TimePoint scheduled, const grpc::Status& status) {
    const TimePoint now = SteadyClock::now();
    if (scheduled >= measure_start_ && scheduled < measure_end_) {
      Shard& shard = shards_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % kShards];
      sync::MutexLock lock(&shard.mu);
      if (status.ok()) {
        shard.stats.RecordOk(absl::FromChrono(now - scheduled));
      } else {
        shard.stats.RecordError(status.error_code());
      }
    }
    // Closed loop: the next operation starts before this one is counted out, so the
    // outstanding count reaches zero only once no more will start.
    if (options_.mode == LoadMode::kClosedLoop && !stopping_.load(std::memory_order_acquire)) {
      StartOne(SteadyClock::now());
    }
    if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the lock, so that the waiter in Run() is either still to check the count
      // or already waiting.
      sync::MutexLock lock(&done_mu_);
      done_.SignalAll();
    }
  }

  Workload& workload_;
  const CallSettings& settings_;
  const RunOptions options_;
  TimePoint measure_start_;
  TimePoint measure_end_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> outstanding_{0};
  sync::Mutex done_mu_;
  sync::CondVar done_;  // signalled when outstanding_ reaches zero
  std::array<Shard, kShards> shards_;
};

}  // namespace

absl::StatusOr<Stats> RunLoad(Workload& workload, const CallSettings& settings,
                              const RunOptions& options) {
  if (absl::Status status = Validate(options); !status.ok()) return status;
  return std::make_shared<Runner>(workload, settings, options)->Run();
}

}  // namespace clinic::loadgen
