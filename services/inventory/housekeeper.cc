#include "services/inventory/housekeeper.h"

#include <chrono>

#include "common/api/idempotency.h"
#include "common/log/log.h"
#include "services/inventory/handler_support.h"
#include "services/inventory/reservation_store.h"

namespace clinic::inventory {

Housekeeper::Housekeeper(sql::Database& db, const Clock& clock, HousekeeperOptions options)
    : db_(db), clock_(clock), options_(options), thread_([this] { Loop(); }) {}

Housekeeper::~Housekeeper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

void Housekeeper::RunOnce() {
  const absl::Time now = clock_.Now();
  absl::Status expired = db_.Transact(WriteOptions(), [&](sql::Transaction& tx) {
    return store::ExpireHolds(tx, "-", "", now).status();
  });
  if (!expired.ok()) log::Warn("expiring reservation holds failed", {{"error", expired.ToString()}});
  absl::StatusOr<int64_t> purged = api::PurgeRequestKeys(db_, now - options_.request_id_retention);
  if (!purged.ok()) log::Warn("forgetting old request ids failed", {{"error", purged.status().ToString()}});
}

void Housekeeper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    RunOnce();
    lock.lock();
    stop_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval), [this] { return stop_; });
  }
}

}  // namespace clinic::inventory
