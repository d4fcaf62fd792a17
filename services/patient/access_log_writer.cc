#include "services/patient/access_log_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/patient/access_log_store.h"

namespace clinic::patient {

AccessLogWriter::AccessLogWriter(sql::Database& db, AccessLogWriterOptions options)
    : db_(db), options_(options) {}

absl::Status AccessLogWriter::Append(std::vector<PendingAccessLogEntry> entries) {
  if (entries.empty()) return absl::OkStatus();
  Waiter self;
  self.entries = std::move(entries);
  std::vector<Waiter*> batch;
  {
    sync::MutexLock lock(&mu_);
    while (queue_.size() >= options_.max_queued_calls) room_.Wait(&mu_);
    queue_.push_back(&self);
    // The oldest waiter commits when no commit runs; the others wait for it.
    while (!self.done && (committing_ || queue_.front() != &self)) self.cv.Wait(&mu_);
    if (self.done) return self.status;
    committing_ = true;
    size_t count = 0;
    while (!queue_.empty() &&
           (batch.empty() || count + queue_.front()->entries.size() <= options_.max_batch_entries)) {
      count += queue_.front()->entries.size();
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    room_.SignalAll();
  }
  const absl::Status status = Commit(batch);
  sync::MutexLock lock(&mu_);
  for (Waiter* waiter : batch) {
    waiter->status = status;
    waiter->done = true;
    if (waiter != &self) waiter->cv.Signal();
  }
  committing_ = false;
  ++stats_.batches;
  stats_.calls += static_cast<int64_t>(batch.size());
  if (!queue_.empty()) queue_.front()->cv.Signal();
  return self.status;
}

AccessLogWriter::Stats AccessLogWriter::stats() const {
  sync::MutexLock lock(&mu_);
  Stats stats = stats_;
  stats.queued = queue_.size();
  stats.committing = committing_;
  return stats;
}

absl::Status AccessLogWriter::Commit(const std::vector<Waiter*>& batch) {
  std::vector<const PendingAccessLogEntry*> entries;
  for (const Waiter* waiter : batch) {
    for (const PendingAccessLogEntry& entry : waiter->entries) entries.push_back(&entry);
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const PendingAccessLogEntry* a, const PendingAccessLogEntry* b) {
                     return a->patient_id < b->patient_id;
                   });
  sql::TransactionOptions options;
  options.isolation = sql::TransactionOptions::Isolation::kReadCommitted;
  absl::Status status = db_.Transact(options, [&](sql::Transaction& tx) -> absl::Status {
    for (const PendingAccessLogEntry* entry : entries) {
      if (absl::Status s = store::AppendAccessLog(tx, entry->patient_id, entry->record); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  if (status.ok()) return status;
  return absl::UnavailableError(absl::StrCat("the access log could not be written: ", status.message()));
}

}  // namespace clinic::patient
