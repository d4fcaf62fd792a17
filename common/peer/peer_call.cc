#include "common/peer/peer_call.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/server/call_metadata.h"
#include "grpcpp/support/time.h"

namespace clinic::peer {
namespace {

bool Retryable(const CallSpec& spec, grpc::StatusCode code) {
  if (!spec.idempotent) return false;
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

std::string CodeName(grpc::StatusCode code) { return absl::StatusCodeToString(static_cast<absl::StatusCode>(code)); }

}  // namespace

Origin Origin::ForCaller(const server::Call& call) {
  log::CallIds ids = call.ids();
  // The server interceptor always sets both; a Call built elsewhere may lack them.
  if (ids.request_id.empty()) ids.request_id = server::NewRequestId();
  if (ids.trace_id.empty() || ids.span_id.empty()) {
    ids.trace_id = server::NewTraceId();
    ids.span_id = server::NewSpanId();
  }
  return Origin(std::move(ids), call.deadline(), call.principal().token, nullptr);
}

Origin Origin::ForService(TokenSource& tokens, std::string request_id) {
  log::CallIds ids;
  ids.request_id = server::IsValidRequestId(request_id) ? std::move(request_id) : server::NewRequestId();
  ids.trace_id = server::NewTraceId();
  ids.span_id = server::NewSpanId();
  return Origin(std::move(ids), absl::InfiniteFuture(), std::string(), &tokens);
}

absl::StatusOr<std::string> Origin::Token() const {
  if (tokens_ != nullptr) return tokens_->Token();
  return token_;
}

absl::Status PrepareContext(const Origin& origin, absl::Time deadline, grpc::ClientContext& context) {
  absl::StatusOr<std::string> token = origin.Token();
  if (!token.ok()) return token.status();
  if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
  if (!token->empty()) context.AddMetadata(server::kAuthorizationHeader, absl::StrCat("Bearer ", *token));
  context.AddMetadata(server::kRequestIdHeader, origin.ids().request_id);
  context.AddMetadata(server::kTraceparentHeader,
                      server::FormatTraceparent(origin.ids().trace_id, origin.ids().span_id));
  return absl::OkStatus();
}

ClientMetrics::ClientMetrics(metrics::Registry& registry)
    : handled_(registry.AddCounter("grpc_client_handled_total",
                                   "Attempts of outgoing RPCs completed, by status code.",
                                   {"grpc_service", "grpc_method", "grpc_code"})) {}

void ClientMetrics::Record(std::string_view method, grpc::StatusCode code) {
  const size_t slash = method.find('/');
  const std::string_view service = slash == std::string_view::npos ? "unknown" : method.substr(0, slash);
  const std::string_view name = slash == std::string_view::npos ? method : method.substr(slash + 1);
  handled_.WithLabels({std::string(service), std::string(name), CodeName(code)}).Increment();
}

namespace internal {

Attempts::Attempts(const Origin& origin, const CallSpec& spec)
    : origin_(origin),
      spec_(spec),
      deadline_(std::min(origin.deadline(), absl::Now() + spec.timeout)),
      backoff_(spec.retry.initial_backoff) {}

absl::Status Attempts::Prepare(grpc::ClientContext& context) {
  const absl::Time now = absl::Now();
  if (now >= deadline_) {
    return absl::DeadlineExceededError(absl::StrCat(spec_.method, ": no time left for the call"));
  }
  ++attempt_;
  return PrepareContext(origin_, std::min(deadline_, now + spec_.attempt_timeout), context);
}

bool Attempts::RetryAfter(const grpc::Status& result) {
  if (spec_.metrics != nullptr) spec_.metrics->Record(spec_.method, result.error_code());
  if (result.ok() || attempt_ >= spec_.retry.max_attempts || !Retryable(spec_, result.error_code())) {
    return false;
  }
  thread_local absl::BitGen gen;
  const absl::Duration wait = backoff_ * absl::Uniform(gen, 0.5, 1.0);
  if (absl::Now() + wait >= deadline_) return false;
  log::Warn("retrying peer call", {{"grpc_method", spec_.method},
                                   {"grpc_code", CodeName(result.error_code())},
                                   {"attempt", absl::StrCat(attempt_)},
                                   {"backoff_ms", absl::StrCat(absl::ToInt64Milliseconds(wait))}});
  absl::SleepFor(wait);
  backoff_ = std::min(backoff_ * spec_.retry.backoff_multiplier, spec_.retry.max_backoff);
  return true;
}

}  // namespace internal
}  // namespace clinic::peer
