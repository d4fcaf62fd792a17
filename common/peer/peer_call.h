#pragma once

// Outgoing calls to peer services: deadline, credentials, request id, trace context and
// retries, in one place.
//
//   // In a handler, acting for its caller:
//   peer::CallSpec spec{.method = "clinic.inventory.v1.InventoryService/GetStock",
//                       .idempotent = true, .timeout = absl::Seconds(2)};
//   GetStockResponse response;
//   absl::Status s = peer::CallPeer(peer::Origin::ForCaller(call), spec, [&](grpc::ClientContext& ctx) {
//     return stub_->GetStock(&ctx, request, &response);
//   });
//
//   // In a background worker, as the service itself:
//   peer::Origin origin = peer::Origin::ForService(*token_source);
//
// Retries (RetryPolicy), only where repeating the request cannot do harm:
// - Non-idempotent calls are never retried: a mutation without a request_id may have
//   been applied even when the answer is lost. (gRPC itself still retries transparently
//   when a request never left the client.)
// - Idempotent calls (reads, and mutations carrying a request_id that the peer
//   deduplicates) are retried on UNAVAILABLE (peer down, restarting, draining or
//   unreachable), and on DEADLINE_EXCEEDED while the overall deadline has not passed
//   (an attempt_timeout shorter than the call's cut a slow attempt short).
// - Never on ABORTED: in our services it means "re-read and retry the whole
//   transaction" (e.g. an etag mismatch); resending the same request fails the same way,
//   so that decision belongs to the caller. Never on RESOURCE_EXHAUSTED (retries would
//   add load to an overloaded peer) nor on any other code.
// - Backoff: exponential with jitter (each wait uniform in [½, 1] of the current
//   backoff), and no attempt starts when the wait would reach the overall deadline,
//   which is the smaller of now + CallSpec::timeout and the caller's deadline.

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/peer/token_source.h"
#include "common/server/call.h"
#include "common/status/grpc_status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace clinic::peer {

// On whose behalf an outgoing call is made, and the ids it carries. Cheap to copy; make
// one per unit of work, so that all its peer calls share a request id and a trace.
class Origin {
 public:
  // Acting for the caller of `call`: its bearer token (none when it presented none, e.g.
  // under --insecure_dev_auth), its request id, its trace with this service's span as the
  // parent, and its deadline as an upper bound.
  static Origin ForCaller(const server::Call& call);
  // Acting as the service (background work): a token from `tokens` (which must outlive
  // the Origin and its calls), `request_id` when it is a valid request id (e.g. the id
  // of the job being processed) or else a new one, and a new trace. No deadline but
  // CallSpec::timeout.
  static Origin ForService(TokenSource& tokens, std::string request_id = {});

  // request_id; trace_id and span_id (the parent span of outgoing calls).
  const log::CallIds& ids() const { return ids_; }
  // The latest instant a call may end (absl::InfiniteFuture() when unbounded).
  absl::Time deadline() const { return deadline_; }
  // The bearer token to send: the caller's, or one from the TokenSource. Empty: none.
  absl::StatusOr<std::string> Token() const;

 private:
  Origin(log::CallIds ids, absl::Time deadline, std::string token, TokenSource* tokens)
      : ids_(std::move(ids)), deadline_(deadline), token_(std::move(token)), tokens_(tokens) {}

  log::CallIds ids_;
  absl::Time deadline_;
  std::string token_;
  TokenSource* tokens_;
};

// Sets `context`'s deadline (when finite) and metadata: authorization (Bearer token),
// x-request-id and traceparent. Errors come from the TokenSource.
absl::Status PrepareContext(const Origin& origin, absl::Time deadline, grpc::ClientContext& context);

struct RetryPolicy {
  // Attempts in all, the first included (1: no retries).
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);
  double backoff_multiplier = 2;
};

// Counts the attempts of outgoing calls:
//   grpc_client_handled_total{grpc_service,grpc_method,grpc_code}
// Registers the metric, so make one per registry. Thread-safe.
class ClientMetrics {
 public:
  explicit ClientMetrics(metrics::Registry& registry);
  // `method` is "package.Service/Method".
  void Record(std::string_view method, grpc::StatusCode code);

 private:
  metrics::Family<metrics::Counter>& handled_;
};

// What kind of call is made; usually one constant per peer method.
struct CallSpec {
  // "package.Service/Method", for metrics and logs.
  std::string method;
  // True only for reads and for mutations that carry a request_id the peer deduplicates.
  bool idempotent = false;
  // Time for the whole call, retries included; the caller's deadline may cut it shorter.
  absl::Duration timeout = absl::Seconds(5);
  // Time for each attempt (capped by what remains of the whole).
  absl::Duration attempt_timeout = absl::InfiniteDuration();
  RetryPolicy retry;
  // Where attempts are counted; not owned, may be null.
  ClientMetrics* metrics = nullptr;
};

namespace internal {

// The retry loop of CallPeer without the template parts. Used by one thread.
class Attempts {
 public:
  Attempts(const Origin& origin, const CallSpec& spec);
  // Prepares a fresh context for the next attempt. DEADLINE_EXCEEDED when no time is left
  // before the first attempt; errors from the TokenSource.
  absl::Status Prepare(grpc::ClientContext& context);
  // Records an attempt's outcome. True when another attempt should follow; it has then
  // already waited the backoff.
  bool RetryAfter(const grpc::Status& result);

 private:
  const Origin& origin_;
  const CallSpec& spec_;
  const absl::Time deadline_;
  int attempt_ = 0;
  absl::Duration backoff_;
};

}  // namespace internal

// Calls `attempt(grpc::ClientContext&) -> grpc::Status` (one stub call on the context it
// is given, which is fresh for each attempt) and retries by the rules above. Returns the
// last attempt's status through status::FromGrpcStatus, so the peer's error details
// (e.g. google.rpc.BadRequest field violations) survive. Blocks the calling thread,
// including during backoff.
template <class Fn>
absl::Status CallPeer(const Origin& origin, const CallSpec& spec, Fn&& attempt) {
  internal::Attempts attempts(origin, spec);
  while (true) {
    grpc::ClientContext context;
    if (absl::Status prepared = attempts.Prepare(context); !prepared.ok()) return prepared;
    const grpc::Status result = attempt(context);
    if (!attempts.RetryAfter(result)) return status::FromGrpcStatus(result);
  }
}

}  // namespace clinic::peer
