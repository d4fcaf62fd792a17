#include "services/notification/housekeeper.h"

#include "common/api/idempotency.h"
#include "common/log/log.h"

namespace clinic::notification {

Housekeeper::Housekeeper(sql::Database& db, const Clock& clock, HousekeeperOptions options)
    : db_(db), clock_(clock), options_(options), thread_([this] { Loop(); }) {}

Housekeeper::~Housekeeper() {
  {
    sync::MutexLock lock(&mu_);
    stop_ = true;
  }
  stop_cv_.SignalAll();
  thread_.join();
}

void Housekeeper::RunOnce() {
  absl::StatusOr<int64_t> purged = api::PurgeRequestKeys(db_, clock_.Now() - options_.request_id_retention);
  if (!purged.ok()) log::Warn("forgetting old request ids failed", {{"error", purged.status().ToString()}});
}

void Housekeeper::Loop() {
  while (true) {
    RunOnce();
    const absl::Time next = absl::Now() + options_.interval;
    sync::MutexLock lock(&mu_);
    while (!stop_ && absl::Now() < next) stop_cv_.WaitWithDeadline(&mu_, next);
    if (stop_) return;
  }
}

}  // namespace clinic::notification
