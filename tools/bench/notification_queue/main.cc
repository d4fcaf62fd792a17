// Drains a queue of reminders due at once through the real Dispatcher and a no-op
// Deliverer, against a Redis given by URL, and prints one JSON object:
//   {"reminders":100000,"workers":4,"batch_size":100,"enqueue_seconds":…,
//    "dispatch_seconds":…,"reminders_per_second":…}
// dispatch_seconds runs from Dispatcher::Start() until every reminder was delivered and
// acknowledged (due and in-flight both empty). The keys under --key_prefix are deleted
// before and after. See tools/bench/notification_queue.sh.

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/redis/hiredis_client.h"
#include "services/notification/queue/dispatcher.h"
#include "services/notification/queue/reminder_queue.h"

ABSL_FLAG(std::string, redis_url, "", "Redis to use, e.g. redis://127.0.0.1:6379 (required).");
ABSL_FLAG(int, count, 100000, "Reminders enqueued, all due now.");
ABSL_FLAG(int, workers, 4, "Dispatcher worker threads.");
ABSL_FLAG(int, batch_size, 100, "Ids claimed per round trip.");
ABSL_FLAG(absl::Duration, poll_interval, absl::Milliseconds(50), "Idle wait of a worker.");
ABSL_FLAG(std::string, key_prefix, "{bench:reminders}", "Key prefix (deleted before and after).");

namespace {

using clinic::notification::queue::DeliveryOutcome;

class NoopDeliverer final : public clinic::notification::queue::Deliverer {
 public:
  DeliveryOutcome Deliver(std::string_view, int) override {
    delivered_.fetch_add(1, std::memory_order_relaxed);
    return DeliveryOutcome::Done();
  }
  void DeadLettered(std::string_view, int) override {}
  int64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> delivered_{0};
};

bool DeleteKeys(clinic::redis::Client& client, const std::string& prefix) {
  std::vector<std::string> keys;
  for (const char* suffix : {"due", "inflight", "dead", "attempts", "claims", "finished", "marker"}) {
    keys.push_back(absl::StrCat(prefix, ":", suffix));
  }
  std::vector<std::string_view> args = {"DEL"};
  args.insert(args.end(), keys.begin(), keys.end());
  return client.Command(args).ok();
}

int Fail(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(), status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Times the reminder dispatcher draining a queue of reminders due at once.");
  absl::ParseCommandLine(argc, argv);
  const int count = absl::GetFlag(FLAGS_count);
  const int workers = absl::GetFlag(FLAGS_workers);
  const int batch_size = absl::GetFlag(FLAGS_batch_size);
  const std::string prefix = absl::GetFlag(FLAGS_key_prefix);
  if (absl::GetFlag(FLAGS_redis_url).empty() || count <= 0 || workers <= 0 || batch_size <= 0) {
    std::fprintf(stderr, "--redis_url is required; --count, --workers, --batch_size must be > 0\n");
    return 2;
  }

  clinic::redis::ClientOptions options;
  options.url = absl::GetFlag(FLAGS_redis_url);
  options.pool_size = workers + 4;
  options.command_timeout = absl::Seconds(5);
  auto client = clinic::redis::HiredisClient::Create(options);
  if (!client.ok()) return Fail("redis client", client.status());
  if (!DeleteKeys(**client, prefix)) return Fail("redis", absl::UnavailableError("cannot delete the bench keys"));

  clinic::SystemClock clock;
  clinic::notification::queue::ReminderQueue queue(**client, prefix);
  const absl::Time due = clock.Now();
  std::vector<clinic::notification::queue::ScheduledReminder> reminders;
  reminders.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) reminders.push_back({absl::StrCat("bench-reminder-", i), due});
  const absl::Time enqueue_start = absl::Now();
  absl::StatusOr<int64_t> added = queue.EnsureQueued(reminders);
  if (!added.ok()) return Fail("enqueue", added.status());
  const absl::Duration enqueue_time = absl::Now() - enqueue_start;

  NoopDeliverer deliverer;
  clinic::metrics::Registry registry;
  clinic::notification::queue::DispatcherOptions dispatcher_options;
  dispatcher_options.workers = workers;
  dispatcher_options.batch_size = batch_size;
  dispatcher_options.poll_interval = absl::GetFlag(FLAGS_poll_interval);
  dispatcher_options.housekeeping_interval = absl::Seconds(1);
  auto nothing_scheduled = [](const std::function<void(std::string_view, absl::Time)>&) {
    return absl::OkStatus();
  };
  clinic::notification::queue::Dispatcher dispatcher(queue, deliverer, clock, registry, nothing_scheduled,
                                                      dispatcher_options);
  const absl::Time start = absl::Now();
  dispatcher.Start();
  for (;;) {
    if (deliverer.delivered() >= count) {
      absl::StatusOr<clinic::notification::queue::QueueCounts> counts = queue.Counts(clock.Now());
      if (counts.ok() && counts->due == 0 && counts->in_flight == 0) break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  const absl::Duration dispatch_time = absl::Now() - start;
  dispatcher.Stop();
  DeleteKeys(**client, prefix);

  const double seconds = absl::ToDoubleSeconds(dispatch_time);
  std::printf("%s\n",
              absl::StrFormat("{\"reminders\":%d,\"workers\":%d,\"batch_size\":%d,\"enqueue_seconds\":%.3f,"
                              "\"dispatch_seconds\":%.3f,\"reminders_per_second\":%.0f,\"delivered\":%d}",
                              count, workers, batch_size, absl::ToDoubleSeconds(enqueue_time), seconds,
                              count / seconds, deliverer.delivered())
                  .c_str());
  return 0;
}
