#include "common/server/interceptor.h"

#include <array>
#include <atomic>
#include <chrono>
#include <iterator>
#include <map>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/server/call_metadata.h"
#include "common/sync/mutex.h"
#include "google/protobuf/descriptor.h"

namespace clinic::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr int kNumCodes = 17;
constexpr std::array<const char*, kNumCodes> kCodeNames = {
    "OK",        "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

bool IsServerFault(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

// The request headers as the handler sees them (ServerContext::client_metadata).
using ClientMetadata = std::multimap<grpc::string_ref, grpc::string_ref>;

std::string_view Find(const ClientMetadata& md, const char* key) {
  auto it = md.find(key);
  return it == md.end() ? std::string_view() : std::string_view(it->second.data(), it->second.size());
}

// Leaves exactly one entry `key`, whose value is `value` (which must outlive the map's
// use). An existing entry is reused: no allocation.
void Replace(ClientMetadata& md, const char* key, std::string_view value) {
  const grpc::string_ref ref(value.data(), value.size());
  auto [first, last] = md.equal_range(key);
  if (first == last) {
    md.emplace(key, ref);
    return;
  }
  first->second = ref;
  md.erase(std::next(first), last);
}

// The series of one method, looked up once per method and then shared by its calls.
struct MethodMetrics {
  std::string service;
  std::string method;
  metrics::Family<metrics::Counter>* handled = nullptr;
  metrics::Histogram* latency = nullptr;
  std::array<std::atomic<metrics::Counter*>, kNumCodes> by_code{};

  metrics::Counter& ForCode(int code) {
    if (code < 0 || code >= kNumCodes) code = static_cast<int>(grpc::StatusCode::UNKNOWN);
    metrics::Counter* counter = by_code[code].load(std::memory_order_acquire);
    if (counter == nullptr) {
      // WithLabels is idempotent, so two threads racing here store the same pointer.
      counter = &handled->WithLabels({service, method, kCodeNames[code]});
      by_code[code].store(counter, std::memory_order_release);
    }
    return *counter;
  }
};

class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit CallInterceptor(MethodMetrics& metrics) : metrics_(metrics) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      start_ = std::chrono::steady_clock::now();
      PrepareIds(methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA) &&
        !request_id_.empty()) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdHeader, request_id_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void PrepareIds(ClientMetadata* md) {
    if (md == nullptr) return;
    const std::string_view incoming_id = Find(*md, kRequestIdHeader);
    request_id_ = IsValidRequestId(incoming_id) ? std::string(incoming_id) : NewRequestId();
    traceparent_ = ServerTraceparent(Find(*md, kTraceparentHeader));
    // The handler reads these back from the same map (ServerContext::client_metadata),
    // so it sees exactly the ids this interceptor logs. The strings are members: they
    // outlive the call's use of the map.
    Replace(*md, kRequestIdHeader, request_id_);
    Replace(*md, kTraceparentHeader, traceparent_);
  }

  void Finish(grpc::StatusCode code) {
    const double seconds =
        start_ == std::chrono::steady_clock::time_point()
            ? 0
            : std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    metrics_.ForCode(static_cast<int>(code)).Increment();
    metrics_.latency->Observe(seconds);
    const log::Level level = IsServerFault(code) ? log::Level::kWarn : log::Level::kDebug;
    if (log::Enabled(level)) {
      const int index = static_cast<int>(code);
      std::string_view trace_id, span_id;
      ParseTraceparent(traceparent_, &trace_id, &span_id);
      const absl::AlphaNum duration_ms(seconds * 1000);  // formatted in place
      log::Write(level, "rpc finished",
                 {{"grpc_service", metrics_.service},
                  {"grpc_method", metrics_.method},
                  {"grpc_code", index >= 0 && index < kNumCodes ? kCodeNames[index] : "UNKNOWN"},
                  {"duration_ms", std::string_view(duration_ms.data(), duration_ms.size())},
                  {"request_id", request_id_},
                  {"trace_id", trace_id},
                  {"span_id", span_id}});
    }
  }

  MethodMetrics& metrics_;
  std::chrono::steady_clock::time_point start_{};
  std::string request_id_;
  std::string traceparent_;  // "00-<trace id>-<this service's span id>-01"
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(metrics::Registry& registry)
      : handled_(registry.AddCounter("grpc_server_handled_total",
                                     "RPCs completed on the server, by status code.",
                                     {"grpc_service", "grpc_method", "grpc_code"})),
        latency_(registry.AddHistogram("grpc_server_handling_seconds",
                                       "Time from receiving the request headers to sending the status.",
                                       {"grpc_service", "grpc_method"}, metrics::LatencyBuckets())),
        unknown_(NewMethodMetrics("unknown", "unknown")) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    // gRPC owns and deletes the interceptor when the call ends.
    return new CallInterceptor(ForMethod(info->method() == nullptr ? "" : info->method()));
  }

 private:
  std::unique_ptr<MethodMetrics> NewMethodMetrics(std::string service, std::string method) {
    auto metrics = std::make_unique<MethodMetrics>();
    metrics->service = std::move(service);
    metrics->method = std::move(method);
    metrics->handled = &handled_;
    metrics->latency = &latency_.WithLabels({metrics->service, metrics->method});
    return metrics;
  }

  // The method name comes from the client, and unimplemented methods reach interceptors
  // too: only methods compiled into this binary get their own series (and a cache
  // entry), so that a client cannot create series (or grow memory) without bound.
  static bool IsKnownMethod(std::string_view service, std::string_view method) {
    // The default health service is not a generated protobuf service.
    if (service == "grpc.health.v1.Health") return method == "Check" || method == "Watch";
    std::string full_name(service);
    full_name += '.';
    full_name += method;
    return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name) != nullptr;
  }

  MethodMetrics& ForMethod(absl::string_view full_method) {
    {
      sync::ReaderMutexLock lock(&mu_);
      auto it = methods_.find(full_method);
      if (it != methods_.end()) return *it->second;
    }
    // "/package.Service/Method"
    std::string_view name(full_method.data(), full_method.size());
    if (!name.empty() && name.front() == '/') name.remove_prefix(1);
    const size_t slash = name.find('/');
    if (slash == std::string_view::npos) return *unknown_;
    const std::string_view service = name.substr(0, slash), method = name.substr(slash + 1);
    if (!IsKnownMethod(service, method)) return *unknown_;
    sync::MutexLock lock(&mu_);
    auto& slot = methods_[full_method];
    if (slot == nullptr) slot = NewMethodMetrics(std::string(service), std::string(method));
    return *slot;
  }

  metrics::Family<metrics::Counter>& handled_;
  metrics::Family<metrics::Histogram>& latency_;
  sync::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodMetrics>> methods_ ABSL_GUARDED_BY(mu_);
  // Shared by every method this binary does not implement.
  const std::unique_ptr<MethodMetrics> unknown_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallInterceptorFactory(
    metrics::Registry& registry) {
  return std::make_unique<Factory>(registry);
}

}  // namespace clinic::server
