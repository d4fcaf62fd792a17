#pragma once

#include "clinic/echo/v1/echo.clinic.h"

namespace clinic::echo {

// The echo service on our bootstrap: every call is authenticated and goes through the
// same generated gRPC layer, CallRunner and interceptor as the clinic services.
class EchoService final : public v1::EchoServiceBase {
 public:
  using EchoServiceBase::EchoServiceBase;

 protected:
  absl::Status HandleEcho(const server::Call& call, const v1::EchoRequest& request,
                          v1::EchoResponse* response) override;
};

}  // namespace clinic::echo
