#pragma once

// Health detail of the notification service's dependencies, shown as the server's health
// components (common/server/server.h): "redis_queue" and "patient_service". Neither
// changes whether the service serves: with Redis down reminders are still scheduled (and
// queued once it is back), with the patient service down sends are retried.

#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/server/health_components.h"
#include "common/sync/mutex.h"
#include "services/notification/contact_directory.h"
#include "services/notification/queue/dispatcher.h"

namespace clinic::notification {

// "redis_queue" from the dispatcher's view of Redis: SERVING while reachable (detail
// "reconcile pending" until the database has been reconciled into the queue), else
// NOT_SERVING "unreachable since <UTC time>: <last error>".
server::ComponentHealth RedisQueueHealth(const queue::DispatcherHealth& health);

// A ContactDirectory that remembers how its lookups go, for "patient_service": UNKNOWN
// before the first lookup; SERVING after the patient service answered (NOT_FOUND,
// INVALID_ARGUMENT and FAILED_PRECONDITION are answers too); NOT_SERVING "<CODE> since
// <UTC time>" while lookups fail otherwise. Thread-safe; `inner` and `clock` must outlive
// it.
class ObservedContactDirectory final : public ContactDirectory {
 public:
  ObservedContactDirectory(ContactDirectory& inner, const Clock& clock) : inner_(inner), clock_(clock) {}

  absl::StatusOr<domain::PatientContact> Lookup(std::string_view patient, type::v1::ContactChannel channel,
                                                std::string_view request_id) override;
  server::ComponentHealth health() const;

 private:
  ContactDirectory& inner_;
  const Clock& clock_;
  mutable sync::Mutex mu_;
  bool looked_up_ ABSL_GUARDED_BY(mu_) = false;
  absl::StatusCode failing_ ABSL_GUARDED_BY(mu_) = absl::StatusCode::kOk;  // the last failure's code
  absl::Time failing_since_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clinic::notification
