#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace clinic::notification {

// The reminder queue as the RPC handlers see it: ids and due times only (no personal
// data). The database row is the truth; the queue is the schedule, and a reconcile step
// (store::ListPendingReminders) re-enqueues whatever it lost.
//
// Contract: both calls are idempotent. Enqueue adds `reminder_id` due at `due`, or moves
// it to `due` when it is already queued; a `due` in the past means "as soon as
// possible". Remove forgets it (OK when it is not queued). An error (UNAVAILABLE when
// Redis is down) means the change may not have happened; callers have already committed
// the row and rely on the reconcile. Thread-safe.
class QueuePort {
 public:
  virtual ~QueuePort() = default;
  virtual absl::Status Enqueue(std::string_view reminder_id, absl::Time due) = 0;  // add or move
  virtual absl::Status Remove(std::string_view reminder_id) = 0;                    // cancel
};

}  // namespace clinic::notification
