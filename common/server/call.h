#pragma once

// The per-RPC context handed to handlers, and the one wrapper every handler goes
// through: authenticate, set the log context, run the handler, convert its status.
//
// Threading: handlers of the synchronous gRPC API run on gRPC's server threads, one call
// per thread at a time; a Call is used only by the thread serving it.

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/auth/token_verifier.h"
#include "common/log/log.h"
#include "common/status/grpc_status.h"
#include "grpcpp/server_context.h"

namespace clinic::server {

// What a handler knows about the call it serves.
class Call {
 public:
  Call(auth::Principal principal, log::CallIds ids, absl::Time deadline, std::string access_purpose = {})
      : principal_(std::move(principal)),
        ids_(std::move(ids)),
        deadline_(deadline),
        access_purpose_(std::move(access_purpose)) {}

  // Who is calling (verified bearer token).
  const auth::Principal& principal() const { return principal_; }
  // The request id and W3C trace context (this service's span) of the call.
  const log::CallIds& ids() const { return ids_; }
  // The caller's deadline (absl::InfiniteFuture() when none was set).
  absl::Time deadline() const { return deadline_; }
  // The caller's `x-access-purpose` metadata as sent (docs/API.md: "care",
  // "administration", ...), empty when absent; the service that records purposes checks
  // the value.
  const std::string& access_purpose() const { return access_purpose_; }

 private:
  auth::Principal principal_;
  log::CallIds ids_;
  absl::Time deadline_;
  std::string access_purpose_;
};

// Runs handlers. Every RPC of every service goes through Run():
//
//   grpc::Status GetPatient(grpc::ServerContext* ctx, const GetPatientRequest* request,
//                           Patient* response) override {
//     return calls_.Run(ctx, [&](const Call& call) {
//       return service_.GetPatient(call, *request, response);
//     });
//   }
class CallRunner {
 public:
  // `verifier` must outlive the runner.
  explicit CallRunner(const auth::TokenVerifier& verifier) : verifier_(verifier) {}

  // Authenticates the call (UNAUTHENTICATED without a valid bearer token), then runs
  // `handler(const Call&) -> absl::Status` with the call's ids in the log context, and
  // converts the result for the wire.
  template <typename Handler>
  grpc::Status Run(grpc::ServerContext* context, Handler&& handler) const {
    absl::StatusOr<Call> call = Begin(*context);
    if (!call.ok()) return status::ToGrpcStatus(call.status());
    log::ScopedCallContext scope(call->ids());
    return status::ToGrpcStatus(handler(*call));
  }

  // The ids and principal of a call; UNAUTHENTICATED when the token is missing or bad.
  absl::StatusOr<Call> Begin(const grpc::ServerContext& context) const;

 private:
  const auth::TokenVerifier& verifier_;
};

}  // namespace clinic::server
