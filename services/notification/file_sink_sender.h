#pragma once

#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/clock/clock.h"
#include "common/sync/mutex.h"
#include "services/notification/sender.h"

namespace clinic::notification {

// The local "provider": appends each message to a file as one JSON line
//   {"idempotency_key":"…","reminder":"reminders/…","channel":"SMS","to":"+44…",
//    "subject":"","body":"…","time":"2026-11-25T10:00:00Z"}
// and delivers each idempotency key at most once: the keys already in the file are read
// at start and, under an exclusive flock, again before every append (so several
// processes may share one file). A process killed at any point leaves the file with
// every line it had appended (each append is one write(2) of whole lines); a torn last
// line (a machine crash, or a kill during a long write) is ignored, its message counts
// as not sent, and the next line starts on a line of its own.
//
// The file holds addresses and message texts: it is a development and test tool, kept
// where personal data may be.
class FileSinkSender final : public Sender {
 public:
  struct Options {
    // fdatasync after every append (one per batch): durable across machine crashes, at a
    // cost per append.
    bool fsync = false;
  };

  // Opens (creating) `path` for appending. UNAVAILABLE when it cannot be opened or read.
  static absl::StatusOr<std::unique_ptr<FileSinkSender>> Open(const std::string& path, const Clock& clock,
                                                              Options options);
  ~FileSinkSender() override;
  FileSinkSender(const FileSinkSender&) = delete;
  FileSinkSender& operator=(const FileSinkSender&) = delete;

  // kDelivered once the line is in the file (or already was, under the same key);
  // kRetryable ("SINK_IO") when the file cannot be written.
  SendOutcome Send(const OutgoingMessage& message) override;
  // The same for each message, with one write(2) (and one fdatasync with `fsync`) for
  // the lines of all the messages not yet in the file. A process killed during that
  // write leaves whole lines and at most one torn last line.
  std::vector<SendOutcome> SendBatch(std::span<const OutgoingMessage> messages) override;

 private:
  FileSinkSender(int fd, const Clock& clock, Options options) : fd_(fd), clock_(clock), options_(options) {}
  // Reads what was appended since the last read (by anyone) and records its keys.
  bool CatchUp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int fd_;
  const Clock& clock_;
  const Options options_;
  sync::Mutex mu_;
  std::set<std::string> keys_ ABSL_GUARDED_BY(mu_);
  // How far the file has been read: the start of the first line not yet complete.
  long long read_offset_ ABSL_GUARDED_BY(mu_) = 0;
  // The file's last byte as last seen ('\n' or 0 for an empty file).
  char last_byte_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace clinic::notification
