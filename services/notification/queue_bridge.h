#pragma once

// Joins the service to its Redis queue (services/notification/queue/):
// - as the handlers' QueuePort: Enqueue and Remove go to the ReminderQueue;
// - as the dispatcher's queue::Deliverer: each claimed batch goes to the ReminderDeliverer.
//
// Attempts are counted once, in the reminder's row: the ReminderDeliverer decides when a
// reminder is DEAD (--delivery_max_attempts) and answers every "not now" (a retryable
// failure as well as a quiet-hours deferral) with a time, which the bridge passes on as
// a deferral so that the dispatcher does not count it a second time. The dispatcher's
// own limit then only catches a reminder whose workers keep dying before any outcome;
// DeadLettered() records it DEAD in the database too, so ListDeadLetters shows it.

#include <span>
#include <string_view>
#include <vector>

#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "services/notification/deliverer.h"
#include "services/notification/queue/deliverer.h"
#include "services/notification/queue/reminder_queue.h"
#include "services/notification/queue_port.h"

namespace clinic::notification {

class QueueBridge final : public QueuePort, public queue::Deliverer {
 public:
  // Every reference must outlive the bridge.
  QueueBridge(queue::ReminderQueue& queue, notification::Deliverer& deliverer, sql::Database& db,
              const Clock& clock)
      : queue_(queue), deliverer_(deliverer), db_(db), clock_(clock) {}

  absl::Status Enqueue(std::string_view reminder_id, absl::Time due) override;
  absl::Status Remove(std::string_view reminder_id) override;

  queue::DeliveryOutcome Deliver(std::string_view reminder_id, int attempt) override;
  // The whole batch goes to the deliverer at once (unless the dispatcher is stopping).
  std::vector<queue::DeliveryOutcome> DeliverBatch(std::span<const queue::Delivery> batch,
                                                   absl::FunctionRef<bool()> stopping) override;
  void DeadLettered(std::string_view reminder_id, int attempts) override;

 private:
  queue::ReminderQueue& queue_;
  notification::Deliverer& deliverer_;
  sql::Database& db_;
  const Clock& clock_;
};

}  // namespace clinic::notification
