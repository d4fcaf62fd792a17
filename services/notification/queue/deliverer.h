#pragma once

// What the dispatcher (dispatcher.h) calls for each claimed batch of reminder ids, and
// what the call may answer for each. The notification service implements Deliverer: it
// loads the reminders' rows, checks consent, quiet hours and the appointment, sends, and
// records the attempts in its database.

#include <span>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"

namespace clinic::notification::queue {

// The result of one delivery attempt.
class DeliveryOutcome {
 public:
  enum class Kind {
    kDone,   // finished (sent, or skipped for good: cancelled, no consent, past): ack
    kRetry,  // failed for now (sender or patient service down): try again at when();
             // counts as an attempt, so after the configured maximum it is dead-lettered
    kDefer,  // not now (quiet hours): due again at when(); does not count as an attempt
    kDead,   // will never succeed (e.g. the row is missing): to the dead-letter set
  };

  static DeliveryOutcome Done() { return DeliveryOutcome(Kind::kDone, absl::InfinitePast()); }
  static DeliveryOutcome RetryAt(absl::Time when) { return DeliveryOutcome(Kind::kRetry, when); }
  static DeliveryOutcome DeferTo(absl::Time when) { return DeliveryOutcome(Kind::kDefer, when); }
  static DeliveryOutcome Dead() { return DeliveryOutcome(Kind::kDead, absl::InfinitePast()); }

  Kind kind() const { return kind_; }
  // When to try again, for kRetry and kDefer.
  absl::Time when() const { return when_; }

 private:
  DeliveryOutcome(Kind kind, absl::Time when) : kind_(kind), when_(when) {}

  Kind kind_;
  absl::Time when_;
};

// One claimed reminder handed to the deliverer.
struct Delivery {
  std::string_view reminder_id;
  int attempt = 1;  // as for Deliverer::Deliver
};

class Deliverer {
 public:
  virtual ~Deliverer() = default;

  // Attempts the delivery of a claimed batch (distinct ids) and answers one outcome per
  // reminder, in the batch's order. Each outcome means for its reminder exactly what
  // Deliver's answer would: the dispatcher applies them one by one. The answer may be
  // shorter than the batch when `stopping()` turned true (the service is shutting down):
  // the reminders without an outcome were not attempted, and the dispatcher releases
  // them. Same threading, duplicate-delivery and blocking rules as Deliver; the whole
  // batch should return well within the visibility timeout.
  //
  // The default delivers one reminder at a time through Deliver and checks `stopping()`
  // before each; an implementation that can share work across the batch (one database
  // transaction for many reminders) overrides it.
  virtual std::vector<DeliveryOutcome> DeliverBatch(std::span<const Delivery> batch,
                                                    absl::FunctionRef<bool()> stopping) {
    std::vector<DeliveryOutcome> outcomes;
    outcomes.reserve(batch.size());
    for (const Delivery& d : batch) {
      if (stopping()) break;
      outcomes.push_back(Deliver(d.reminder_id, d.attempt));
    }
    return outcomes;
  }

  // Attempts the delivery of one reminder. `attempt` is 1 on the first claim since the
  // reminder was (re)scheduled and grows with each retry (deferrals do not count).
  //
  // Called from several worker threads at once, for different ids; the same id may
  // still be delivered twice, one after the other or even concurrently (a claim that
  // outlived its visibility timeout was given to another worker; Redis lost the
  // acknowledgement; reconcile re-queued a reminder just being sent), so the
  // implementation must make a second delivery of a sent reminder a no-op (e.g. by the
  // row's state in a transaction, and an idempotency key at the sink).
  // Must not throw. May block (it runs on the dispatcher's own threads), but should
  // return well within the visibility timeout.
  virtual DeliveryOutcome Deliver(std::string_view reminder_id, int attempt) = 0;

  // Called after the dispatcher itself dead-lettered a reminder: a kRetry outcome on the
  // last allowed attempt, or a reminder claimed more often than allowed without an
  // outcome (its workers died or stalled). The implementation records the reminder as
  // dead in its database. Not called for a kDead outcome (the deliverer decided that
  // itself). Same threading as Deliver.
  virtual void DeadLettered(std::string_view reminder_id, int attempts) = 0;
};

}  // namespace clinic::notification::queue
