#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace clinic::notification {

// What the dispatcher does with a claimed job after Deliver():
//   kDone     acknowledge and forget it: the reminder reached a final state (sent,
//             skipped, expired, cancelled, failed), recorded in the database;
//   kRetryAt  put it back due at `retry_at` (a retryable failure, a quiet-hours
//             deferral, or a reschedule seen at send time);
//   kDead     move it to the dead-letter set (the database row is already DEAD).
struct DeliveryOutcome { enum Kind { kDone, kRetryAt, kDead } kind; absl::Time retry_at; };

// Delivers one reminder by id. Called by the queue's dispatcher for each claimed job,
// from several worker threads at once (thread-safe), possibly twice for the same id (a
// claim that expired while its worker was still busy): implementations send at most once
// per reminder regardless. `attempt` is the dispatcher's 1-based delivery count of the
// job. Blocks while it sends.
class Deliverer {
 public:
  // One job of a batch.
  struct Job {
    std::string_view reminder_id;
    int attempt = 1;
  };

  virtual ~Deliverer() = default;
  virtual DeliveryOutcome Deliver(std::string_view reminder_id, int attempt) = 0;

  // Delivers a claimed batch (distinct ids): one outcome per job, in order, each meaning
  // exactly what Deliver's would for that job. Same threading and at-most-once rules.
  // The default delivers one job at a time.
  virtual std::vector<DeliveryOutcome> DeliverBatch(std::span<const Job> jobs) {
    std::vector<DeliveryOutcome> outcomes;
    outcomes.reserve(jobs.size());
    for (const Job& job : jobs) outcomes.push_back(Deliver(job.reminder_id, job.attempt));
    return outcomes;
  }
};

}  // namespace clinic::notification
