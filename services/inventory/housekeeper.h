#pragma once

// Background upkeep of the inventory database, on one thread:
//   - expires the reservations whose hold passed, giving their units back (reservations
//     also expire at once when a write touches their clinic; this covers quiet clinics,
//     so that reads show them EXPIRED);
//   - brings every clinic's alerts in line with its stock (alert_store.h): raises the
//     expiry warnings that came due with the date, and low-stock alerts of lots that
//     expired, which no write notices; each clinic in a transaction of its own;
//   - forgets request_ids older than the retention (docs/API.md: at least 7 days).
// Failures (database down) are logged and retried at the next round.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/sql/database.h"

namespace clinic::inventory {

struct HousekeeperOptions {
  absl::Duration interval = absl::Seconds(30);
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
  void SyncAlerts(absl::Time now);
  void Loop();

  sql::Database& db_;
  const Clock& clock_;
  const HousekeeperOptions options_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace clinic::inventory
