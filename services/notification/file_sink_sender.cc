#include "services/notification/file_sink_sender.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/log/log.h"
#include "nlohmann/json.hpp"

namespace clinic::notification {
namespace {

// Holds an exclusive flock for its scope.
class FileLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {
    while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileSinkSender>> FileSinkSender::Open(const std::string& path, const Clock& clock,
                                                                     Options options) {
  const int fd = open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError("cannot open the sink file " + path);
  std::unique_ptr<FileSinkSender> sink(new FileSinkSender(fd, clock, options));
  sync::MutexLock lock(&sink->mu_);
  FileLock file_lock(fd);
  if (!sink->CatchUp()) return absl::UnavailableError("cannot read the sink file " + path);
  return sink;
}

FileSinkSender::~FileSinkSender() { close(fd_); }

bool FileSinkSender::CatchUp() {
  struct stat st;
  if (fstat(fd_, &st) != 0) return false;
  if (st.st_size <= read_offset_) return true;
  std::string data(static_cast<size_t>(st.st_size - read_offset_), '\0');
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(read_offset_ + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  last_byte_ = data.back();
  size_t start = 0;
  while (true) {
    const size_t end = data.find('\n', start);
    if (end == std::string::npos) break;  // an incomplete (possibly torn) last line
    const nlohmann::json line =
        nlohmann::json::parse(data.begin() + static_cast<std::ptrdiff_t>(start),
                              data.begin() + static_cast<std::ptrdiff_t>(end), nullptr, /*allow_exceptions=*/false);
    if (line.is_object() && line.contains("idempotency_key") && line["idempotency_key"].is_string()) {
      keys_.insert(line["idempotency_key"].get<std::string>());
    }
    start = end + 1;
  }
  read_offset_ += static_cast<long long>(start);
  return true;
}

SendOutcome FileSinkSender::Send(const OutgoingMessage& message) {
  return SendBatch(std::span<const OutgoingMessage>(&message, 1)).front();
}

std::vector<SendOutcome> FileSinkSender::SendBatch(std::span<const OutgoingMessage> messages) {
  std::vector<SendOutcome> outcomes(messages.size(), SendOutcome{SendOutcome::Kind::kDelivered, ""});
  if (messages.empty()) return outcomes;
  const auto fail = [&](const std::vector<size_t>& which) {
    for (size_t i : which) outcomes[i] = {SendOutcome::Kind::kRetryable, "SINK_IO"};
  };
  std::vector<size_t> appended;
  sync::MutexLock lock(&mu_);
  FileLock file_lock(fd_);
  if (!CatchUp()) {
    for (size_t i = 0; i < messages.size(); ++i) appended.push_back(i);
    fail(appended);
    return outcomes;
  }
  const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", clock_.Now(), absl::UTCTimeZone());
  std::string lines;
  // After a torn last line (no newline), start on a line of our own.
  if (last_byte_ != 0 && last_byte_ != '\n') lines.push_back('\n');
  std::set<std::string_view> in_batch;
  for (size_t i = 0; i < messages.size(); ++i) {
    const OutgoingMessage& message = messages[i];
    // Already in the file, or earlier in this batch: delivered under this key.
    if (keys_.count(message.idempotency_key) != 0 || !in_batch.insert(message.idempotency_key).second) continue;
    nlohmann::json j;
    j["idempotency_key"] = message.idempotency_key;
    j["reminder"] = message.reminder;
    j["channel"] = ChannelName(message.channel);
    j["to"] = message.address;
    j["subject"] = message.subject;
    j["body"] = message.body;
    j["time"] = time;
    lines += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    lines.push_back('\n');
    appended.push_back(i);
  }
  if (appended.empty()) return outcomes;
  if (!WriteAll(fd_, lines)) {
    // Some lines may be in the file: their resend is deduplicated.
    log::Error("cannot append to the sink file", {{"messages", std::to_string(appended.size())}});
    fail(appended);
    CatchUp();
    return outcomes;
  }
  if (options_.fsync) fdatasync(fd_);
  // Read our own lines back as everyone else's, so that the offset stays in step.
  if (!CatchUp() || keys_.count(messages[appended.back()].idempotency_key) == 0) {
    log::Error("the sink file did not read back", {{"messages", std::to_string(appended.size())}});
  }
  return outcomes;
}

}  // namespace clinic::notification
