#pragma once

// The reminder schedule in Redis. The database row of a reminder is the truth; Redis
// holds only which reminder ids are due when, which are being delivered (claimed) and
// which gave up. No personal data: members are reminder ids, nothing else.
//
// Keys (all share the hash tag of the prefix, so every script runs on Redis Cluster):
//   <prefix>:due       zset  id -> due time (Unix ms, rounded up: never claimed early)
//   <prefix>:inflight  zset  id -> visibility deadline of its claim (Unix ms)
//   <prefix>:dead      zset  id -> when it was dead-lettered (Unix ms)
//   <prefix>:attempts  hash  id -> claims so far (a release does not count)
//   <prefix>:claims    hash  id -> token of the id's latest claim
//   <prefix>:finished  zset  id -> when it was acked or removed (Unix ms), kept for
//                      kFinishedRetention, so that a reconcile that read the database
//                      before the id finished does not queue it again
//   <prefix>:marker    string set by MarkReconciled(); its absence means Redis lost
//                      its data (restart without persistence, flush, eviction)
// An id is in at most one of due / inflight / dead.
//
// Claims. Claim() atomically (one Lua script) moves due ids into inflight with a
// visibility deadline and gives each claim a random token. Ack / Retry / DeadLetter /
// Release act only while the token is still the id's latest claim token: a worker
// whose claim was reaped and claimed again by someone else, or whose id was
// re-enqueued or removed meanwhile, changes nothing (they answer false). A claim that
// was reaped but not yet claimed again is still honoured (its late Ack saves a second
// delivery).
//
// Delivery is at least once: a claim that expires (slow or dead worker) is reaped and
// delivered again, so the deliverer deduplicates by the reminder's database row.
//
// Threading: thread-safe; every method is one or a few Redis round trips and blocks
// for up to the client's timeouts. Errors are the client's (UNAVAILABLE when Redis is
// down: the outcome of a write is then unknown, and every write here is safe to
// repeat).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/redis/client.h"
#include "common/redis/script.h"

namespace clinic::notification::queue {

inline constexpr std::string_view kDefaultKeyPrefix = "{clinic:reminders}";

// One claimed id. Pass it back unchanged to Ack / Retry / DeadLetter / Release.
struct Claim {
  std::string id;
  int attempt = 0;          // 1 for the first claim since the id was (re-)enqueued
  std::string token;        // identifies this claim
  absl::Time due;           // when it was due (after a reap: when it was reaped)
  absl::Time visible_until; // the claim expires (becomes reapable) at this time
};

// An id the database says is scheduled, for EnsureQueued.
struct ScheduledReminder {
  std::string id;
  absl::Time due;
};

struct QueueCounts {
  int64_t due = 0;        // depth: ids waiting in the due set (now or later)
  int64_t due_now = 0;    // of which due at the time asked
  int64_t in_flight = 0;  // claimed, not yet acknowledged
  int64_t dead = 0;       // dead letters
};

// How long finished marks are kept (forgotten by Reap). A reconcile pass that takes
// longer may queue an id finished meanwhile once more (a harmless extra delivery).
inline constexpr absl::Duration kFinishedRetention = absl::Hours(1);

class ReminderQueue {
 public:
  // `client` must outlive the queue. `key_prefix` should contain a hash tag ("{…}") so
  // that all keys land in one Redis Cluster slot; tests use their own prefix.
  explicit ReminderQueue(redis::Client& client, std::string key_prefix = std::string(kDefaultKeyPrefix));
  ReminderQueue(const ReminderQueue&) = delete;
  ReminderQueue& operator=(const ReminderQueue&) = delete;

  // Schedules `reminder_id` at `due`: adds it to the due set or moves it there (from
  // in-flight or dead too), as a fresh schedule: its attempt count restarts and any
  // outstanding claim on it is void; a finished mark is cleared. For ScheduleReminder,
  // RescheduleReminder and RetryDeadLetter.
  absl::Status Enqueue(std::string_view reminder_id, absl::Time due);

  // Takes `reminder_id` out of every set (cancelled) and marks it finished at `now`. An
  // outstanding claim becomes void.
  absl::Status Remove(std::string_view reminder_id, absl::Time now);

  // Atomically claims up to `max` ids due at `now` (earliest first): each moves to the
  // in-flight set until now + visibility, its attempt count is incremented and it gets
  // a new token. Concurrent callers never get the same id.
  absl::StatusOr<std::vector<Claim>> ClaimDue(absl::Time now, int max, absl::Duration visibility);

  // Delivered: the id leaves the queue, marked finished at `now`. False (nothing
  // changed) when the claim is no longer the id's latest (see the top of this file).
  absl::StatusOr<bool> Ack(const Claim& claim, absl::Time now);
  // Ack of several claims in one round trip: for each, whether it was still held.
  absl::StatusOr<std::vector<bool>> Ack(absl::Span<const Claim> claims, absl::Time now);

  // Failed for now: back to the due set at `next_due`. With count_attempt false the
  // claim does not count as an attempt (a deferral, e.g. quiet hours). False as for Ack.
  absl::StatusOr<bool> Retry(const Claim& claim, absl::Time next_due, bool count_attempt = true);

  // Given up: to the dead set, stamped `now`. False as for Ack.
  absl::StatusOr<bool> DeadLetter(const Claim& claim, absl::Time now);

  // Returns claims not yet delivered to the due set, due at `now` (for shutdown); they
  // do not count as attempts. Claims no longer held are skipped. Returns how many were
  // returned.
  absl::StatusOr<int64_t> Release(absl::Span<const Claim> claims, absl::Time now);

  // Moves up to `max` claims whose visibility deadline is <= now back to the due set,
  // due at `now`. Returns how many; call again while it returns `max`. Also forgets
  // finished marks older than kFinishedRetention.
  absl::StatusOr<int64_t> Reap(absl::Time now, int max = 1000);

  // For reconcile: adds each id to the due set only when it is in none of due,
  // in-flight and dead (an id already there keeps its time: a retry's backoff, a claim
  // in progress), and was not finished (acked or removed) at or after `listed_at`, the
  // time the caller started reading the database. Returns how many were added.
  absl::StatusOr<bool> EnsureQueued(std::string_view reminder_id, absl::Time due,
                                    absl::Time listed_at = absl::InfiniteFuture());
  absl::StatusOr<int64_t> EnsureQueued(absl::Span<const ScheduledReminder> reminders,
                                       absl::Time listed_at = absl::InfiniteFuture());

  // The counts for metrics, in one round trip.
  absl::StatusOr<QueueCounts> Counts(absl::Time now);

  // Up to `max` dead-lettered ids, oldest first.
  absl::StatusOr<std::vector<std::string>> DeadIds(int max);

  // The marker that a reconcile has started against this Redis data set: MarkReconciled
  // sets it; NeedsReconcile answers true when it is missing (Redis lost its data since).
  absl::Status MarkReconciled();
  absl::StatusOr<bool> NeedsReconcile();

  // The attempt count of an id (0 when none), for tests and operators.
  absl::StatusOr<int> Attempts(std::string_view reminder_id);

  const std::string& key_prefix() const { return prefix_; }

 private:
  absl::StatusOr<bool> Finish(const redis::Script& script, const Claim& claim,
                              std::string_view arg3, std::string_view arg4);

  redis::Client& client_;
  const std::string prefix_;
  const std::string due_key_;
  const std::string inflight_key_;
  const std::string dead_key_;
  const std::string attempts_key_;
  const std::string claims_key_;
  const std::string finished_key_;
  const std::string marker_key_;
  // KEYS of every script: due, inflight, dead, attempts, claims, finished (views of the
  // above).
  const std::array<std::string_view, 6> keys_;

  const redis::Script enqueue_;
  const redis::Script remove_;
  const redis::Script claim_;
  const redis::Script ack_;
  const redis::Script ack_all_;
  const redis::Script retry_;
  const redis::Script dead_letter_;
  const redis::Script release_;
  const redis::Script reap_;
  const redis::Script ensure_queued_;
};

}  // namespace clinic::notification::queue
