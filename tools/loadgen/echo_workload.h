#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "clinic/echo/v1/echo.grpc.pb.h"
#include "tools/loadgen/workload.h"

namespace clinic::loadgen {

// One Echo RPC with a payload of `payload_bytes` bytes. The operation fails with
// INTERNAL if the response's payload is not the request's.
class EchoWorkload final : public Workload {
 public:
  // `channels` must not be empty.
  EchoWorkload(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
               std::size_t payload_bytes);

  std::string_view Name() const override { return "echo"; }
  void Start(const CallSettings& settings, DoneCallback done) override;

 private:
  RoundRobinStubs<clinic::echo::v1::EchoService> stubs_;
  std::string payload_;
};

}  // namespace clinic::loadgen
