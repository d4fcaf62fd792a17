#pragma once

// Serves GET /metrics (Prometheus text format) from a Registry on its own HTTP port.

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"

namespace httplib {
class Server;
}

namespace clinic::metrics {

class HttpExporter {
 public:
  // Binds address:port (port 0 picks a free port) and serves on a background thread.
  // UNAVAILABLE if the port cannot be bound. `registry` must outlive the exporter.
  static absl::StatusOr<std::unique_ptr<HttpExporter>> Start(const std::string& address, int port,
                                                              const Registry& registry);
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
