#pragma once

// Serves GET /metrics (Prometheus text format) from a Registry on its own HTTP port, and
// any other GET routes its owner adds (the server's /healthz: common/server/server.h).

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace httplib {
class Server;
}

namespace clinic::metrics {

// The answer of an extra route.
struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A GET route besides /metrics: its path (plain, e.g. "/healthz") and its handler, called on the exporter's
// threads (so it must be thread-safe, and quick).
struct HttpRoute {
  std::string path;
  std::function<HttpResponse()> handler;
};

class HttpExporter {
 public:
  // Binds address:port (port 0 picks a free port) and serves on a background thread.
  // UNAVAILABLE if the port cannot be bound. `registry` must outlive the exporter.
  static absl::StatusOr<std::unique_ptr<HttpExporter>> Start(const std::string& address, int port,
                                                              const Registry& registry,
                                                              std::vector<HttpRoute> routes = {});
  // Stops serving and joins the thread.
  ~HttpExporter();
  HttpExporter(const HttpExporter&) = delete;
  HttpExporter& operator=(const HttpExporter&) = delete;

  int port() const { return port_; }

 private:
  HttpExporter() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace clinic::metrics
