#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "clinic/inventory/v1/inventory_service.grpc.pb.h"
#include "tools/loadgen/workload.h"

namespace clinic::loadgen {

// ReserveDose of one unit for a new appointment, then ReleaseReservation of it: the
// inventory service's hot path (the booking's reservation and its undoing), leaving the
// stock as it found it. Each operation uses fresh request ids and appointment ids.
class ReserveWorkload final : public Workload {
 public:
  // `clinic_id` and `product_id` name the stock to use; `use_day` the day of use.
  ReserveWorkload(const std::vector<std::shared_ptr<grpc::Channel>>& channels, std::string clinic_id,
                  std::string product_id, absl::CivilDay use_day);

  // Registers the clinic (if new) and receives a large lot expiring a year after the use
  // day, so that the run never runs out. Needs a network_admin token in `settings`.
  absl::Status Prepare(const CallSettings& settings);

  std::string_view Name() const override { return "reserve_release"; }
  void Start(const CallSettings& settings, DoneCallback done) override;

 private:
  RoundRobinStubs<clinic::inventory::v1::InventoryService> stubs_;
  const std::string clinic_id_;
  const std::string product_id_;
  const absl::CivilDay use_day_;
  const std::string run_id_;  // keeps ids unique across runs against one database
  std::atomic<uint64_t> next_{0};
};

}  // namespace clinic::loadgen
