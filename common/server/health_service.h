#pragma once

// grpc.health.v1.Health on the synchronous API.
//
// gRPC's default health service (grpc::EnableDefaultHealthCheckService) is written on the
// callback API; a server with one callback method starts extra threads that also poll
// the connections, so every call of every service is handed between more threads (about
// 3.5 µs of CPU per echo call on our 2-core machines; docs/BENCHMARKS.md). This one is
// synchronous like the rest of the server:
// - Check answers the status of "" (the server) or a registered service name, NOT_FOUND
//   for any other name;
// - Watch sends the current status (SERVICE_UNKNOWN for an unknown name), then every
//   change, until the client cancels or the server shuts down. Each watch holds a server
//   thread, so at most `max_watchers` run at once; more answer RESOURCE_EXHAUSTED.
//   Kubernetes probes and load balancers use Check.
// Besides "" and the services, any name may be given a status with Set() (the server's
// health components, "<service>/<component>": server.h).
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/sync/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace clinic::server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // `services`: the names besides "" that have a status; all start NOT_SERVING.
  HealthService(const std::vector<std::string>& services, int max_watchers);

  // Sets the status of "" and of every service given to the constructor (not of the
  // names added with Set()).
  void SetAll(ServingStatus status);
  // Sets the status of `name`, adding the name when it is new.
  void Set(const std::string& name, ServingStatus status);
  // Ends every Watch (UNAVAILABLE) and makes new ones end at once, so that a draining
  // server does not wait for them. Statuses stay readable through Check.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context, const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  const int max_watchers_;
  const std::vector<std::string> services_;  // "" and the constructor's services
  sync::Mutex mu_;
  sync::CondVar changed_;
  absl::flat_hash_map<std::string, ServingStatus> status_ ABSL_GUARDED_BY(mu_);
  int watchers_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace clinic::server
