#include "tools/loadgen/echo_workload.h"

#include <utility>

namespace clinic::loadgen {
namespace {

// Everything one Echo call needs alive until its callback.
struct EchoCall {
  grpc::ClientContext context;
  clinic::echo::v1::EchoRequest request;
  clinic::echo::v1::EchoResponse response;
  Workload::DoneCallback done;
};

}  // namespace

EchoWorkload::EchoWorkload(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                           std::size_t payload_bytes)
    : stubs_(channels), payload_(payload_bytes, 'x') {}

void EchoWorkload::Start(const CallSettings& settings, DoneCallback done) {
  auto call = std::make_unique<EchoCall>();
  settings.Apply(call->context);
  call->request.set_payload(payload_);
  call->done = std::move(done);
  // The callback takes ownership back; gRPC calls it exactly once.
  EchoCall* raw = call.release();
  stubs_.Next().async()->Echo(
      &raw->context, &raw->request, &raw->response, [raw](grpc::Status status) {
        std::unique_ptr<EchoCall> owned(raw);
        if (status.ok() && owned->response.payload() != owned->request.payload()) {
          status = grpc::Status(grpc::StatusCode::INTERNAL, "echo returned another payload");
        }
        DoneCallback callback = std::move(owned->done);
        owned.reset();  // free the call before reporting: the run may end on this callback
        callback(status);
      });
}

}  // namespace clinic::loadgen
