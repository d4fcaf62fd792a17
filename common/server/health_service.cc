#include "common/server/health_service.h"

#include "absl/time/time.h"

namespace clinic::server {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// How often a Watch with nothing to send looks whether its client has gone (the
// synchronous API has no cancellation callback).
constexpr absl::Duration kCancelPoll = absl::Seconds(1);

}  // namespace

HealthService::HealthService(const std::vector<std::string>& services, int max_watchers)
    : max_watchers_(max_watchers), services_([&services] {
        std::vector<std::string> names = {""};
        names.insert(names.end(), services.begin(), services.end());
        return names;
      }()) {
  for (const std::string& name : services_) status_[name] = HealthCheckResponse::NOT_SERVING;
}

void HealthService::SetAll(ServingStatus status) {
  sync::MutexLock lock(&mu_);
  for (const std::string& name : services_) status_[name] = status;
  changed_.SignalAll();
}

void HealthService::Set(const std::string& name, ServingStatus status) {
  sync::MutexLock lock(&mu_);
  status_[name] = status;
  changed_.SignalAll();
}

void HealthService::Shutdown() {
  sync::MutexLock lock(&mu_);
  shut_down_ = true;
  changed_.SignalAll();
}

grpc::Status HealthService::Check(grpc::ServerContext*, const HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  sync::MutexLock lock(&mu_);
  auto it = status_.find(request->service());
  if (it == status_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  response->set_status(it->second);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context, const HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  mu_.Lock();
  if (watchers_ >= max_watchers_) {
    mu_.Unlock();
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many health watches; use Check");
  }
  ++watchers_;
  grpc::Status result = grpc::Status::OK;
  bool sent = false;
  ServingStatus last = HealthCheckResponse::UNKNOWN;
  while (true) {
    if (shut_down_) {
      result = grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
      break;
    }
    auto it = status_.find(request->service());
    const ServingStatus current = it == status_.end() ? HealthCheckResponse::SERVICE_UNKNOWN : it->second;
    if (!sent || current != last) {
      HealthCheckResponse response;
      response.set_status(current);
      mu_.Unlock();  // a slow client must not block status changes
      const bool written = writer->Write(response);
      mu_.Lock();
      if (!written) break;  // the client has gone
      sent = true;
      last = current;
      continue;
    }
    if (context->IsCancelled()) break;
    changed_.WaitWithTimeout(&mu_, kCancelPoll);
  }
  --watchers_;
  mu_.Unlock();
  return result;
}

}  // namespace clinic::server
