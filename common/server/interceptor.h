#pragma once

// The server interceptor that every call passes, including health and reflection:
// - makes sure the call has a valid x-request-id (made if absent) and a traceparent
//   carrying this service's span (a new trace if absent), before the handler runs, and
//   echoes x-request-id in the response headers;
// - counts grpc_server_handled_total{grpc_service,grpc_method,grpc_code} and observes
//   grpc_server_handling_seconds{grpc_service,grpc_method}; calls to methods that this
//   binary does not implement all count as grpc_service="unknown",grpc_method="unknown"
//   (their names come from clients and would make unbounded series);
// - logs one access line per call: debug when the call succeeded or failed by the
//   client's doing, warn when the server failed it (INTERNAL, UNKNOWN, DATA_LOSS,
//   UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED).

#include <memory>

#include "common/metrics/metrics.h"
#include "grpcpp/support/server_interceptor.h"

namespace clinic::server {

// `registry` must outlive the factory and the server using it.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallInterceptorFactory(
    metrics::Registry& registry);

}  // namespace clinic::server
