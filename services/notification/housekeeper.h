#pragma once

// Background upkeep of the notification database, on one thread: forgets request_ids
// older than the retention (docs/API.md: at least 7 days). Failures (database down) are
// logged and retried at the next round. (Re-enqueueing pending reminders is the queue's
// reconcile step: store::ForEachPendingReminder.)

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "common/sync/mutex.h"

namespace clinic::notification {

struct HousekeeperOptions {
  absl::Duration interval = absl::Minutes(10);
  absl::Duration request_id_retention = absl::Hours(24 * 8);
};

class Housekeeper {
 public:
  // Starts the thread; `db` and `clock` must outlive the housekeeper.
  Housekeeper(sql::Database& db, const Clock& clock, HousekeeperOptions options = {});
  // Stops the thread (waits for a round in progress).
  ~Housekeeper();
  Housekeeper(const Housekeeper&) = delete;
  Housekeeper& operator=(const Housekeeper&) = delete;

  // One round now, on the calling thread.
  void RunOnce();

 private:
  void Loop();

  sql::Database& db_;
  const Clock& clock_;
  const HousekeeperOptions options_;
  sync::Mutex mu_;
  sync::CondVar stop_cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace clinic::notification
