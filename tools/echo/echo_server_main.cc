// echo_server: the benchmark baseline on the production bootstrap (see echo_service.h).
#include "common/config/flags.h"
#include "common/server/runtime.h"
#include "common/server/server.h"
#include "tools/echo/echo_service.h"

int main(int argc, char** argv) {
  clinic::server::BlockShutdownSignals();
  clinic::config::ParseFlags(argc, argv, "echo_server: the echo benchmark service on the clinic server bootstrap.");
  auto runtime = clinic::server::RuntimeFromFlags("echo");
  clinic::server::CallRunner calls(*runtime->verifier);
  clinic::echo::EchoService service(calls);
  clinic::server::Server server(runtime->options, runtime->registry);
  server.AddService(&service, "clinic.echo.v1.EchoService");
  return clinic::server::ServeUntilShutdown(server);
}
