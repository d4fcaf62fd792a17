#include "services/inventory/housekeeper.h"

#include <chrono>
#include <string>

#include "common/api/idempotency.h"
#include "common/log/log.h"
#include "services/inventory/alert_store.h"
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
  SyncAlerts(now);
  absl::StatusOr<int64_t> purged = api::PurgeRequestKeys(db_, now - options_.request_id_retention);
  if (!purged.ok()) log::Warn("forgetting old request ids failed", {{"error", purged.status().ToString()}});
}

void Housekeeper::SyncAlerts(absl::Time now) {
  absl::StatusOr<sql::ResultSet> clinics =
      db_.Query("SELECT clinic_id FROM clinics WHERE state = $1 ORDER BY clinic_id",
                {static_cast<int64_t>(v1::Clinic::STATE_ACTIVE)});
  if (!clinics.ok()) {
    log::Warn("listing clinics for alerts failed", {{"error", clinics.status().ToString()}});
    return;
  }
  for (const sql::Row& row : *clinics) {
    const std::string& clinic_id = row.GetText(0);
    absl::Status synced = db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
      absl::StatusOr<store::ClinicSettings> clinic = store::GetClinicSettings(tx, clinic_id);
      if (!clinic.ok()) return clinic.status();
      return store::SyncAlerts(tx, *clinic, now);
    });
    if (!synced.ok()) {
      log::Warn("syncing a clinic's alerts failed", {{"clinic", clinic_id}, {"error", synced.ToString()}});
    }
  }
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
