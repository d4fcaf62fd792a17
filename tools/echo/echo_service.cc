#include "tools/echo/echo_service.h"

namespace clinic::echo {

grpc::Status EchoService::Echo(grpc::ServerContext* context, const v1::EchoRequest* request,
                               v1::EchoResponse* response) {
  return calls_.Run(context, [&](const server::Call&) {
    response->set_payload(request->payload());
    return absl::OkStatus();
  });
}

}  // namespace clinic::echo
