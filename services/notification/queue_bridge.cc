#include "services/notification/queue_bridge.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "services/notification/reminder_store.h"

namespace clinic::notification {

absl::Status QueueBridge::Enqueue(std::string_view reminder_id, absl::Time due) {
  return queue_.Enqueue(reminder_id, due);
}

absl::Status QueueBridge::Remove(std::string_view reminder_id) { return queue_.Remove(reminder_id, clock_.Now()); }

namespace {

queue::DeliveryOutcome ToQueue(const DeliveryOutcome& outcome) {
  switch (outcome.kind) {
    case DeliveryOutcome::kDone: return queue::DeliveryOutcome::Done();
    case DeliveryOutcome::kDead: return queue::DeliveryOutcome::Dead();
    case DeliveryOutcome::kRetryAt: return queue::DeliveryOutcome::DeferTo(outcome.retry_at);
  }
  return queue::DeliveryOutcome::Done();  // not reached
}

}  // namespace

queue::DeliveryOutcome QueueBridge::Deliver(std::string_view reminder_id, int attempt) {
  return ToQueue(deliverer_.Deliver(reminder_id, attempt));
}

std::vector<queue::DeliveryOutcome> QueueBridge::DeliverBatch(std::span<const queue::Delivery> batch,
                                                              absl::FunctionRef<bool()> stopping) {
  std::vector<queue::DeliveryOutcome> outcomes;
  if (stopping()) return outcomes;
  std::vector<notification::Deliverer::Job> jobs;
  jobs.reserve(batch.size());
  for (const queue::Delivery& d : batch) jobs.push_back({d.reminder_id, d.attempt});
  const std::vector<DeliveryOutcome> delivered = deliverer_.DeliverBatch(jobs);
  outcomes.reserve(delivered.size());
  for (const DeliveryOutcome& o : delivered) outcomes.push_back(ToQueue(o));
  return outcomes;
}

void QueueBridge::DeadLettered(std::string_view reminder_id, int attempts) {
  const absl::Time now = clock_.Now();
  absl::Status s = db_.Transact([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<store::StoredReminder> stored = store::LoadReminder(tx, reminder_id);
    if (absl::IsNotFound(stored.status())) return absl::OkStatus();
    if (!stored.ok()) return stored.status();
    const v1::ReminderState state = stored->reminder.state();
    if (state != v1::REMINDER_STATE_SCHEDULED && state != v1::REMINDER_STATE_SENDING) return absl::OkStatus();
    store::Transition t;
    t.state = v1::REMINDER_STATE_DEAD;
    t.last_error = "CLAIMS_EXHAUSTED";
    store::AttemptRecord attempt;
    attempt.attempt_number = stored->reminder.attempt_count() + 1;
    attempt.start_time = now;
    attempt.end_time = now;
    attempt.outcome = v1::ATTEMPT_OUTCOME_CLAIM_EXPIRED;
    attempt.error_code = t.last_error;
    t.attempt = attempt;
    return store::ApplyTransition(tx, *stored, t, now);
  });
  if (!s.ok()) {
    // The row stays SCHEDULED/SENDING; the next reconcile queues it again.
    log::Error("cannot record a dead-lettered reminder",
               {{"reminder_id", reminder_id}, {"claims", absl::StrCat(attempts)}, {"error", std::string(s.message())}});
  }
}

}  // namespace clinic::notification
