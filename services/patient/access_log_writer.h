#pragma once

// Group commit of access log entries for calls that change nothing (reads, and refused or
// failed calls).
//
// A read decides its answer from a read-only transaction (or the cache), then hands its
// entries to Append, which returns only once a transaction holding them has committed.
// Entries of concurrent calls share one write transaction, so the database commits (and,
// on SQLite, fsyncs) once per batch instead of once per read:
//   - the first caller to find no commit in progress commits its entries at once (no
//     timer: an idle service adds no latency);
//   - callers arriving while a commit runs queue behind it; when it ends, the oldest
//     waiter commits everything queued (at most `max_batch_entries`, whole calls), and so
//     on. A call's entries are never split across transactions.
// The batch appends through store::AppendAccessLog, which advances each patient's chain
// head in the batch's transaction: the head row is locked until commit (PostgreSQL) or
// the database's writer lock is held (SQLite), so a batch and the writes that append in
// their own transactions queue behind each other and the chain stays one sequence without
// gaps. Entries are appended by patient id (stable: one call's entries for a patient keep
// their order), so two batches of different processes lock heads in the same order.
//
// When the batch cannot be committed, every call in it gets UNAVAILABLE and none of its
// entries is written: a read whose entry was not written must not answer.
//
// Thread-safe. `db` must outlive the writer.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/sql/database.h"
#include "common/sync/mutex.h"
#include "services/patient/domain/access_log_chain.h"

namespace clinic::patient {

// One entry to append: `record` (every field but patient, sequence and the hashes) to the
// log of `patient_id`.
struct PendingAccessLogEntry {
  std::string patient_id;
  domain::AccessLogRecord record;
};

struct AccessLogWriterOptions {
  // Most entries in one transaction (a call with more is committed alone).
  size_t max_batch_entries = 512;
  // Most calls waiting; further calls wait for room before queueing.
  size_t max_queued_calls = 4096;
};

class AccessLogWriter {
 public:
  explicit AccessLogWriter(sql::Database& db, AccessLogWriterOptions options = {});
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  // Appends `entries` and blocks until the transaction holding them has committed: OK,
  // or UNAVAILABLE (with the database's message) when it could not be committed, in which
  // case none of them was written. OK at once for no entries.
  absl::Status Append(std::vector<PendingAccessLogEntry> entries);

  // Batches committed or failed, and calls in them, since construction; calls queued
  // now behind the running commit, and whether one runs (for tests).
  struct Stats {
    int64_t batches = 0;
    int64_t calls = 0;
    size_t queued = 0;
    bool committing = false;
  };
  Stats stats() const;

 private:
  struct Waiter {
    std::vector<PendingAccessLogEntry> entries;
    bool done = false;
    absl::Status status;
    sync::CondVar cv;
  };

  // One transaction with the entries of `batch`, in patient id order.
  absl::Status Commit(const std::vector<Waiter*>& batch);

  sql::Database& db_;
  const AccessLogWriterOptions options_;

  mutable sync::Mutex mu_;
  sync::CondVar room_;  // signalled when the queue shrinks
  std::deque<Waiter*> queue_ ABSL_GUARDED_BY(mu_);
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clinic::patient
