#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace clinic::loadgen {

// What every RPC of a run carries: a deadline and metadata (e.g. the bearer token).
struct CallSettings {
  absl::Duration deadline = absl::Seconds(1);  // per RPC, from its start
  bool wait_for_ready = false;
  std::vector<std::pair<std::string, std::string>> metadata;

  // Prepares a fresh context for one RPC: deadline from now, wait-for-ready, metadata.
  void Apply(grpc::ClientContext& context) const;
};

// 16 random hex digits that keep the records one run creates (request ids, names) apart
// from those of earlier runs against the same service.
std::string RandomRunId();

// One kind of operation the load generator repeats. An operation is one or more RPCs
// issued asynchronously (e.g. Echo; GetPatient; ReserveDose then ReleaseReservation),
// finished by one call of its completion callback.
//
// To add a workload: one class implementing this interface in its own file (see
// echo_workload.h), built from the run's channels, and one line in main.cc choosing it.
class Workload {
 public:
  // Called exactly once per operation with its final status: OK if every RPC succeeded,
  // otherwise the first failure. May run on any thread, including inside Start().
  using DoneCallback = std::function<void(const grpc::Status&)>;

  virtual ~Workload() = default;

  // Short name written in the report, e.g. "echo".
  virtual std::string_view Name() const = 0;

  // Starts one operation and returns without waiting for it. Every RPC uses a context
  // prepared by `settings.Apply`. `settings` outlives the operation. Must not block
  // (it runs on gRPC's callback threads in closed-loop mode). Thread-safe: called
  // concurrently. The workload must outlive every operation it started.
  virtual void Start(const CallSettings& settings, DoneCallback done) = 0;
};

// One stub per channel, handed out round-robin, so that a workload spreads its RPCs
// over all the run's channels. Thread-safe.
template <typename Service>
class RoundRobinStubs {
 public:
  // `channels` must not be empty.
  explicit RoundRobinStubs(const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
    stubs_.reserve(channels.size());
    for (const auto& channel : channels) stubs_.push_back(Service::NewStub(channel));
  }

  typename Service::Stub& Next() {
    return *stubs_[next_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()];
  }

 private:
  std::vector<std::unique_ptr<typename Service::Stub>> stubs_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace clinic::loadgen
