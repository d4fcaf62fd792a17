#include "tools/echo/echo_service.h"

namespace clinic::echo {

absl::Status EchoService::HandleEcho(const server::Call&, const v1::EchoRequest& request,
                                     v1::EchoResponse* response) {
  response->set_payload(request.payload());
  return absl::OkStatus();
}

}  // namespace clinic::echo
