#pragma once

// The reminders table and its delivery attempts: what the RPCs and the deliverer read
// and change.
//
// Functions run inside a transaction the caller opens (sql::Database::Transact, usually
// through api::RunOnce) so that they compose; they may be run again when the transaction
// is retried. Inputs are validated by the caller (validation.h); these functions enforce
// what needs stored state: existence, uniqueness, state rules and etags. Why no separate
// store interface: sql::Database already is the interface to the outside (SQLite or
// PostgreSQL), and the tests run on both.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/notification/v1/notification_service.pb.h"
#include "clinic/notification/v1/reminder.pb.h"
#include "common/sql/database.h"
#include "services/notification/domain/quiet_hours.h"
#include "services/notification/validation.h"

namespace clinic::notification::store {

// A page of a listing: at most `limit` items after `after` (the sort key of the last item
// of the previous page; empty for the first page).
struct PageRequest {
  std::vector<std::string> after;
  int limit = 50;
};

// A reminder as stored: its contract form (without attempts) and what only the service
// sees.
struct StoredReminder {
  std::string id;
  v1::Reminder reminder;
  int64_t version = 0;
  bool cancel_requested = false;
  absl::TimeZone zone;
  domain::QuietHours quiet_hours;  // the default when the reminder has none
  std::map<std::string, std::string> template_parameters;
  std::optional<absl::Time> event_time;
  absl::Time expire_time;
  absl::Time next_attempt_time;  // meaningful while SCHEDULED or SENDING
};

// Stores a new SCHEDULED reminder due at its send time. ALREADY_EXISTS naming the other
// reminder (google.rpc.ResourceInfo) when one not CANCELLED has the same dedupe key.
absl::Status InsertReminder(sql::Transaction& tx, const std::string& reminder_id, const ReminderInput& in,
                            const std::string& created_by, absl::Time now, v1::Reminder* out);

// NOT_FOUND when there is no such reminder.
absl::StatusOr<StoredReminder> LoadReminder(sql::Transaction& tx, std::string_view reminder_id);
// The reminders of `reminder_ids` that exist, by id (a few statements for any number of
// ids; for the deliverer's batches).
absl::StatusOr<std::map<std::string, StoredReminder>> LoadReminders(sql::Transaction& tx,
                                                                    std::span<const std::string> reminder_ids);
// The contract form with its attempts.
absl::StatusOr<v1::Reminder> GetReminder(sql::Transaction& tx, std::string_view reminder_id);

struct ReminderQuery {
  std::string clinic_id;  // "" for every clinic
  std::string patient;    // "patients/{patient}" or ""
  std::string appointment;
  uint64_t kind_mask = 0;   // bit (1 << kind); 0 for all
  uint64_t state_mask = 0;  // bit (1 << state); 0 for all
  std::optional<absl::Time> send_from;   // inclusive
  std::optional<absl::Time> send_until;  // exclusive
};
// By send time, newest first (then id); the cursor is {send_time_us, reminder_id}.
// Attempts are not filled. `next_cursor` is empty when this is the last page.
absl::Status ListReminders(sql::Transaction& tx, const ReminderQuery& query, const PageRequest& page,
                           std::vector<v1::Reminder>* out, std::vector<std::string>* next_cursor);
// DEAD reminders of a clinic ("" for all), oldest death first; the cursor is
// {update_time_us, reminder_id}.
absl::Status ListDeadLetters(sql::Transaction& tx, std::string_view clinic_id, const PageRequest& page,
                             std::vector<v1::Reminder>* out, std::vector<std::string>* next_cursor);

// Cancels by the contract's rules: SCHEDULED or DEAD become CANCELLED; a SENDING one
// keeps sending and is cancelled only if its send fails (the answer says SENDING);
// CANCELLED is answered as it is; FAILED_PRECONDITION (type "STATE") for the other final
// states.
absl::Status CancelReminder(sql::Transaction& tx, std::string_view reminder_id, std::string_view reason,
                            absl::Time now, v1::Reminder* out);
// Cancels every SCHEDULED or DEAD reminder of the appointment (listed in
// cancelled_reminders); SENT and SENDING ones are listed in sent_reminders (a SENDING one
// is cancelled if its send fails).
absl::Status CancelRemindersForAppointment(sql::Transaction& tx, std::string_view appointment,
                                           std::string_view reason, absl::Time now,
                                           v1::CancelRemindersForAppointmentResponse* out);

struct RescheduleInput {
  absl::Time send_time;
  std::optional<absl::Time> event_time;   // unchanged when unset
  std::optional<absl::Time> expire_time;  // the default from the (new) times when unset
  std::optional<std::map<std::string, std::string>> template_parameters;  // unchanged when unset
};
// Moves a SCHEDULED reminder. INVALID_ARGUMENT when the times no longer fit together
// (event before send, expiry not after send, an appointment reminder after its
// appointment); ABORTED on a stale `expected_version`; FAILED_PRECONDITION when not
// SCHEDULED.
absl::Status RescheduleReminder(sql::Transaction& tx, std::string_view reminder_id,
                                std::optional<int64_t> expected_version, const RescheduleInput& in, absl::Time now,
                                v1::Reminder* out);
// Returns a DEAD reminder to SCHEDULED, due at `due`, with its attempt count reset.
// FAILED_PRECONDITION when not DEAD.
absl::Status RetryDeadLetter(sql::Transaction& tx, std::string_view reminder_id, absl::Time due, absl::Time now,
                             v1::Reminder* out);

// A reminder the queue must hold: SCHEDULED (due at its next attempt), or SENDING (a
// worker may have died mid-send: due at once, the deliverer resumes it safely).
struct PendingReminder {
  std::string reminder_id;
  absl::Time due;
};
// Pending reminders by id after `after_id` ("" for the first page), at most `limit`.
absl::Status ListPendingReminders(sql::Transaction& tx, std::string_view after_id, int limit,
                                  std::vector<PendingReminder>* out);
// Every pending reminder, `page_size` per read-only transaction, for the reconcile step;
// stops at fn's first error and returns it.
absl::Status ForEachPendingReminder(sql::Database& db, int page_size,
                                    absl::FunctionRef<absl::Status(const PendingReminder&)> fn);

// The reminder's resource name.
std::string ReminderName(std::string_view reminder_id);

// --- Delivery (the deliverer's side) ---

// One row of the attempt history (DeliveryAttempt).
struct AttemptRecord {
  int attempt_number = 1;
  absl::Time start_time;
  absl::Time end_time;
  type::v1::ContactChannel channel = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  v1::AttemptOutcome outcome = v1::ATTEMPT_OUTCOME_UNSPECIFIED;
  std::string error_code;
};

// A change of a reminder's delivery state.
struct Transition {
  v1::ReminderState state = v1::REMINDER_STATE_UNSPECIFIED;
  v1::SkipReason skip_reason = v1::SKIP_REASON_UNSPECIFIED;  // SKIPPED only
  std::string last_error;                                     // kept when empty
  bool count_attempt = false;                                 // attempt_count + 1
  absl::Time next_attempt_time;                               // SCHEDULED and SENDING
  type::v1::ContactChannel sent_channel = type::v1::CONTACT_CHANNEL_UNSPECIFIED;  // SENT only
  std::optional<AttemptRecord> attempt;                       // appended when set
};

// Applies `t` to the reminder read as `from`, if it has not changed since (same
// version); ABORTED otherwise, and nothing changes: read it again and decide again.
// SENT marks its dedupe key sent; a final state other than SENT, and DEAD, release the
// reminder's unsent claim; CANCELLED records the cancel time.
absl::Status ApplyTransition(sql::Transaction& tx, const StoredReminder& from, const Transition& t, absl::Time now);

// --- Delivery of a batch: the same changes as ApplyTransition, a few statements for
// many reminders, each version-checked (safe at READ COMMITTED); ABORTED when any
// reminder is no longer as read (then roll the transaction back: some were changed).

// ApplyTransition to SENDING (with the row's own next attempt time) for each.
absl::Status MarkSending(sql::Transaction& tx, std::span<const StoredReminder* const> reminders, absl::Time now);
// ApplyTransition of a SENT transition with a DELIVERED attempt and no error to the
// SENDING reminder read as `from`.
struct SentChange {
  const StoredReminder* from = nullptr;
  const Transition* transition = nullptr;
};
absl::Status ApplySent(sql::Transaction& tx, std::span<const SentChange> changes, absl::Time now);

// Who holds a dedupe key: the reminder that claimed it, and whether it was sent.
struct KeyClaim {
  std::string reminder_id;
  bool sent = false;
};
absl::StatusOr<std::optional<KeyClaim>> FindKeyClaim(sql::Transaction& tx, std::string_view dedupe_key);
// ClaimKey for each (dedupe key, reminder id); the holders afterwards, by key.
absl::StatusOr<std::map<std::string, KeyClaim>> ClaimKeys(
    sql::Transaction& tx, std::span<const std::pair<std::string, std::string>> keys_and_reminders, absl::Time now);
// The claims of those of `dedupe_keys` that are claimed, by key.
absl::StatusOr<std::map<std::string, KeyClaim>> FindKeyClaims(sql::Transaction& tx,
                                                              std::span<const std::string> dedupe_keys);
// Claims `dedupe_key` for the reminder unless someone holds it; returns the holder
// afterwards (the reminder itself when the claim is, or was already, its own).
absl::StatusOr<KeyClaim> ClaimKey(sql::Transaction& tx, std::string_view dedupe_key, std::string_view reminder_id,
                                  absl::Time now);

}  // namespace clinic::notification::store
