// bare_echo_server: the echo service on a plain synchronous gRPC server — no
// interceptors, no auth, no metrics, no logging. It is the baseline of
// tools/bench/echo_vs_bare.sh: what gRPC alone costs on this machine.
//
// Synchronous API on purpose: the clinic services use it (their handlers block on SQLite,
// libpq and hiredis), so the baseline pays the same threading model.
//
// Prints {"listening":"ADDRESS:PORT"} on stdout once serving; SIGTERM or SIGINT shuts it
// down (in-flight calls get up to 5 s) and it exits 0.

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clinic/echo/v1/echo.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int, port, 0, "Port to listen on; 0 picks a free one (printed on stdout).");

namespace {

// Server settings shared with our bootstrap (common/server), so that the comparison is
// of interceptors and plumbing only. Keep them equal to the bootstrap's:
//   max receive and send message size: 4 MiB;
//   ResourceQuota max threads: 64 (bounds the sync server's thread pool).
// Keepalive and max-connection-age settings are left at gRPC's defaults here. Keepalive
// acts on idle connections only; max connection age is not free: it puts gRPC's
// max-age filter on every call (about 4k instructions a call, docs/BENCHMARKS.md), a
// cost of the bootstrap that this baseline does not pay.
constexpr int kMaxMessageBytes = 4 * 1024 * 1024;
constexpr int kMaxThreads = 64;

class EchoService final : public clinic::echo::v1::EchoService::Service {
  grpc::Status Echo(grpc::ServerContext* /*context*/, const clinic::echo::v1::EchoRequest* request,
                    clinic::echo::v1::EchoResponse* response) override {
    response->set_payload(request->payload());
    return grpc::Status::OK;
  }
};

std::string HostPort(const std::string& host, int port) {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Bare gRPC echo server (clinic.echo.v1.EchoService), the benchmark baseline.\n"
      "  bare_echo_server --port=0   # prints {\"listening\":\"127.0.0.1:PORT\"}");
  absl::ParseCommandLine(argc, argv);
  const std::string address = absl::GetFlag(FLAGS_address);
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) {
    std::cerr << "bare_echo_server: --port must be in [0, 65535]\n";
    return 2;
  }

  // Block the stop signals in every thread (gRPC's are created after this) and wait for
  // them below with sigwait, outside any signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EchoService service;
  grpc::ResourceQuota quota("bare_echo_server");
  quota.SetMaxThreads(kMaxThreads);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(HostPort(address, port), grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.SetResourceQuota(quota);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    std::cerr << "bare_echo_server: cannot listen on " << HostPort(address, port) << "\n";
    return 1;
  }
  // Machine-readable output for scripts, not a log line.
  std::cout << R"({"listening":")" << HostPort(address, selected_port) << R"("})" << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  return 0;
}
