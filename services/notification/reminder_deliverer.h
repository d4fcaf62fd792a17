#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "services/notification/contact_directory.h"
#include "services/notification/deliverer.h"
#include "services/notification/metrics.h"
#include "services/notification/reminder_store.h"
#include "services/notification/sender.h"

namespace clinic::notification {

// Sends reminders, by the contract's rules, and records each outcome in its row:
//   - final (SENT, SKIPPED, EXPIRED, FAILED, CANCELLED) or DEAD, or no such reminder:
//     nothing to do (kDone);
//   - SCHEDULED but due later (rescheduled since it was queued): kRetryAt its due time;
//   - at or after expire_time, or an appointment reminder at or after the appointment:
//     EXPIRED (or CANCELLED when a cancel is pending);
//   - its dedupe key already sent by another reminder: SKIPPED (DUPLICATE);
//   - inside the clinic's quiet hours: a DEFERRED_QUIET_HOURS attempt, kRetryAt their end
//     (EXPIRED if that is too late);
//   - the recipients: for a patient, the ContactDirectory's channel, address, consent
//     and language (SKIPPED with NO_CONSENT, OPTED_OUT, NO_ADDRESS, PATIENT_ERASED,
//     PATIENT_NOT_FOUND; the directory unavailable: a retry); for a staff alert the
//     clinic's staff contacts with the role (SKIPPED NO_STAFF_CONTACT);
//   - the ACTIVE template per channel and language with fallback (SKIPPED NO_TEMPLATE),
//     rendered with the reminder's parameters (a parameter missing: FAILED
//     "TEMPLATE_PARAMETER_MISSING");
//   - then it claims the dedupe key and marks the reminder SENDING, sends through the
//     Sender with an idempotency key derived from the reminder id and dedupe key, and
//     records SENT (kDone), a retry (SCHEDULED, exponential backoff with jitter:
//     kRetryAt), DEAD after `max_attempts` retryable failures (kDead), or FAILED for a
//     permanent error. A cancel that arrived while sending makes a failed send
//     CANCELLED.
// At most once: the idempotency key is the same on every attempt, so a job delivered
// twice (a crash between the send and its record) reaches the sink once; the dedupe
// key's claim keeps two reminders with one key from both sending; and a reminder is
// SENDING (committed) before any of its messages goes out.
//
// A batch (DeliverBatch) shares the database work: one read-only transaction loads every
// row, dedupe claim, template and staff contact the batch needs; the rules above are
// applied to each reminder (patient lookups happen here, up to 16 at once, with no
// transaction open); one write transaction records every outcome that needs no send,
// claims the dedupe keys and marks every sendable reminder SENDING; the messages go to Sender::SendBatch; one write
// transaction records every send's outcome. So a batch costs two commits, whatever its
// size. Deliver is a batch of one.
//
// Every change is version-checked: a reminder changed meanwhile (cancel, reschedule,
// another worker) is read again and decided again, the others of its batch go on. A
// database error ends the attempt of the reminders it concerns with kRetryAt a short
// delay (before the sends: nothing was sent; after them: the rows stay SENDING and the
// resend is deduplicated by the sink). Thread-safe; `db`, `clock`, `contacts`, `sender`
// and `metrics` must outlive it.
class ReminderDeliverer final : public Deliverer {
 public:
  struct Options {
    // Retryable failures (counted in the row's attempt_count) before DEAD.
    int max_attempts = 8;
    // The wait after the n-th retryable failure: initial_retry * 2^(n-1), at most
    // max_retry, times a random factor in [0.5, 1].
    absl::Duration initial_retry = absl::Seconds(30);
    absl::Duration max_retry = absl::Minutes(30);
    // The wait after a database error.
    absl::Duration database_retry = absl::Seconds(5);
  };

  ReminderDeliverer(sql::Database& db, const Clock& clock, ContactDirectory& contacts, Sender& sender,
                    NotificationMetrics& metrics, Options options);

  // `attempt` (the dispatcher's count) is only logged: attempts are counted in the row,
  // where RetryDeadLetter resets them.
  DeliveryOutcome Deliver(std::string_view reminder_id, int attempt) override;
  std::vector<DeliveryOutcome> DeliverBatch(std::span<const Job> jobs) override;

 private:
  struct Item;
  struct BatchData;

  // One try for the items not yet decided: read, decide, (send) and record. Sets the
  // outcome of each item it finished; the others (changed meanwhile) are tried again.
  void Round(std::span<Item* const> items, absl::Time start);
  // Resolves the recipients, templates and texts into `messages`; or returns the
  // transition that ends the attempt without sending.
  // `contact` is the patient's lookup (null for a staff alert).
  std::optional<store::Transition> Plan(const store::StoredReminder& s, absl::Time start, const BatchData& data,
                                        const absl::StatusOr<domain::PatientContact>* contact,
                                        std::vector<OutgoingMessage>* messages);
  // What follows a retryable failure: a retry, DEAD after the last attempt, or
  // CANCELLED when a cancel is pending.
  store::Transition RetryOrGiveUp(const store::StoredReminder& s, std::string_view error_code,
                                  type::v1::ContactChannel channel, absl::Time start) const;
  // What follows the sends of one attempt.
  store::Transition AfterSend(const store::StoredReminder& s, type::v1::ContactChannel delivered,
                              const std::string& retryable_error, const std::string& permanent_error,
                              absl::Time start) const;
  // Reports the transition `t`, applied to the reminder read as `s` (log, metrics).
  DeliveryOutcome Report(const store::StoredReminder& s, const store::Transition& t);
  // The outcome of an attempt a database error interrupted.
  DeliveryOutcome Interrupted(const Item& item, const absl::Status& status);

  sql::Database& db_;
  const Clock& clock_;
  ContactDirectory& contacts_;
  Sender& sender_;
  NotificationMetrics& metrics_;
  const Options options_;
};

// The key a message is sent under: the same on every attempt, different for any other
// reminder, dedupe key or staff contact. Printable ASCII.
std::string IdempotencyKey(std::string_view reminder_id, std::string_view dedupe_key, std::string_view contact_id);

}  // namespace clinic::notification
