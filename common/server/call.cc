#include "common/server/call.h"

#include "absl/strings/match.h"
#include "common/server/call_metadata.h"
#include "grpcpp/support/time.h"

namespace clinic::server {
namespace {

std::string_view Metadata(const grpc::ServerContext& context, std::string_view key) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

absl::StatusOr<Call> CallRunner::Begin(const grpc::ServerContext& context) const {
  // The server interceptor has already made x-request-id and traceparent valid, with
  // this service's span id in traceparent.
  log::CallIds ids;
  ids.request_id = std::string(Metadata(context, kRequestIdHeader));
  std::string_view trace_id, span_id;
  if (ParseTraceparent(Metadata(context, kTraceparentHeader), &trace_id, &span_id)) {
    ids.trace_id = std::string(trace_id);
    ids.span_id = std::string(span_id);
  }

  std::string_view authorization = Metadata(context, kAuthorizationHeader);
  std::string_view token;
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "bearer ";
    if (authorization.size() <= kBearer.size() ||
        !absl::EqualsIgnoreCase(absl::string_view(authorization.data(), kBearer.size()), "bearer ")) {
      return absl::UnauthenticatedError("the authorization metadata must be 'Bearer <token>'");
    }
    token = authorization.substr(kBearer.size());
  }
  absl::StatusOr<auth::Principal> principal = verifier_.Verify(token);
  if (!principal.ok()) {
    if (token.empty()) return absl::UnauthenticatedError("missing bearer token (authorization metadata)");
    return principal.status();
  }
  const gpr_timespec deadline = context.raw_deadline();
  absl::Time when = gpr_time_cmp(deadline, gpr_inf_future(deadline.clock_type)) == 0
                        ? absl::InfiniteFuture()
                        : absl::FromChrono(grpc::Timespec2Timepoint(deadline));
  return Call(*std::move(principal), std::move(ids), when, std::string(Metadata(context, kAccessPurposeHeader)));
}

}  // namespace clinic::server
