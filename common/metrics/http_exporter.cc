#include "common/metrics/http_exporter.h"

#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace clinic::metrics {

absl::StatusOr<std::unique_ptr<HttpExporter>> HttpExporter::Start(const std::string& address, int port,
                                                                   const Registry& registry,
                                                                   std::vector<HttpRoute> routes) {
  std::unique_ptr<HttpExporter> exporter(new HttpExporter);
  exporter->server_ = std::make_unique<httplib::Server>();
  exporter->server_->Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  for (HttpRoute& route : routes) {
    exporter->server_->Get(route.path, [handler = std::move(route.handler)](const httplib::Request&,
                                                                           httplib::Response& res) {
      HttpResponse answer = handler();
      res.status = answer.status;
      res.set_content(answer.body, answer.content_type);
    });
  }
  // httplib's default also sets SO_REUSEPORT, which would let two processes share the
  // port silently; keep only SO_REUSEADDR.
  exporter->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  int bound = port == 0 ? exporter->server_->bind_to_any_port(address)
                        : (exporter->server_->bind_to_port(address, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot bind the metrics port ", address, ":", port));
  }
  exporter->port_ = bound;
  exporter->thread_ = std::thread([server = exporter->server_.get()] { server->listen_after_bind(); });
  // stop() is a no-op until the listener runs: wait for it so that the destructor can
  // always stop it.
  while (!exporter->server_->is_running()) std::this_thread::yield();
  return exporter;
}

HttpExporter::~HttpExporter() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace clinic::metrics
