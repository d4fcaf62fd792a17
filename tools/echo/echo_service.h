#pragma once

#include "clinic/echo/v1/echo.grpc.pb.h"
#include "common/server/call.h"

namespace clinic::echo {

// The echo service on our bootstrap: every call is authenticated and goes through the
// same CallRunner and interceptor as the clinic services.
class EchoService final : public clinic::echo::v1::EchoService::Service {
 public:
  explicit EchoService(const server::CallRunner& calls) : calls_(calls) {}

  grpc::Status Echo(grpc::ServerContext* context, const v1::EchoRequest* request,
                    v1::EchoResponse* response) override;

 private:
  const server::CallRunner& calls_;
};

}  // namespace clinic::echo
