#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "clinic/patient/v1/patient_service.grpc.pb.h"
#include "tools/loadgen/workload.h"

namespace clinic::loadgen {

// GetPatient of one of the run's patients, round-robin over them: the patient service's
// hot read. With the service's Redis cache, every read after Prepare's warming pass is a
// cache hit (the authorisation and the access log entry still happen on each call); with
// --cache_enabled=false on the service, every read is a database read.
class GetPatientWorkload final : public Workload {
 public:
  explicit GetPatientWorkload(const std::vector<std::shared_ptr<grpc::Channel>>& channels);

  // Registers `count` patients at the token's clinic with CreatePatient, `parallelism`
  // calls at a time, then reads each once (warming the cache). Needs a token of a role
  // that registers and reads patients (reception) with a clinic claim. Blocks.
  absl::Status Prepare(const CallSettings& settings, int count, int parallelism);

  std::string_view Name() const override { return "get_patient"; }
  void Start(const CallSettings& settings, DoneCallback done) override;

 private:
  RoundRobinStubs<clinic::patient::v1::PatientService> stubs_;
  const std::string run_id_;  // keeps names unique across runs against one database
  std::vector<std::string> names_;  // written by Prepare only, before any Start
  std::atomic<uint64_t> next_{0};
};

}  // namespace clinic::loadgen
