#include "services/notification/dependency_health.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace clinic::notification {
namespace {

std::string Utc(absl::Time t) { return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", t, absl::UTCTimeZone()); }

// Whether `code` is the patient service answering (rather than failing to).
bool IsAnswer(absl::StatusCode code) {
  return code == absl::StatusCode::kOk || code == absl::StatusCode::kNotFound ||
         code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kFailedPrecondition;
}

}  // namespace

server::ComponentHealth RedisQueueHealth(const queue::DispatcherHealth& health) {
  if (health.redis_healthy) {
    return {server::ComponentState::kServing, health.reconcile_pending ? "reconcile pending" : ""};
  }
  std::string detail = absl::StrCat("unreachable since ", Utc(health.unhealthy_since));
  if (!health.last_error.empty()) absl::StrAppend(&detail, ": ", health.last_error);
  return {server::ComponentState::kNotServing, std::move(detail)};
}

absl::StatusOr<domain::PatientContact> ObservedContactDirectory::Lookup(std::string_view patient,
                                                                        type::v1::ContactChannel channel,
                                                                        std::string_view request_id) {
  absl::StatusOr<domain::PatientContact> contact = inner_.Lookup(patient, channel, request_id);
  const absl::StatusCode code = contact.status().code();
  sync::MutexLock lock(&mu_);
  looked_up_ = true;
  if (IsAnswer(code)) {
    failing_ = absl::StatusCode::kOk;
  } else if (failing_ != code) {
    if (failing_ == absl::StatusCode::kOk) failing_since_ = clock_.Now();
    failing_ = code;
  }
  return contact;
}

server::ComponentHealth ObservedContactDirectory::health() const {
  sync::MutexLock lock(&mu_);
  if (!looked_up_) return {server::ComponentState::kUnknown, "no lookup yet"};
  if (failing_ == absl::StatusCode::kOk) return {server::ComponentState::kServing, ""};
  return {server::ComponentState::kNotServing,
          absl::StrCat(absl::StatusCodeToString(failing_), " since ", Utc(failing_since_))};
}

}  // namespace clinic::notification
