#pragma once

// Structured JSON logging: one JSON object per line on stdout.
//
//   {"ts":"2026-11-25T10:00:00.123456Z","level":"info","service":"patient",
//    "msg":"reminder claimed","request_id":"…","trace_id":"…","reminder_id":"r-1"}
//
// Every line carries the request id and trace id of the call being served on the
// calling thread (see ScopedCallContext), so a line can be followed across services.
//
// NEVER log personal data: names, dates of birth, phone numbers, email addresses,
// addresses, clinical values or free text typed by staff. Ids only.
//
// Thread-safe. Before Init() is called, lines go to stdout at level info with
// service "unknown".

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace clinic::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Extra key/value pairs of a line. Values are strings: format numbers at the call site.
using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Sets the service name written on every line and the minimum level. Call once from
// main() before starting threads.
void Init(std::string_view service, Level min_level);

// Parses "debug", "info", "warn" or "error". Returns false for anything else.
bool ParseLevel(std::string_view text, Level* level);

bool Enabled(Level level);
void Write(Level level, std::string_view message, Fields fields = {});

inline void Debug(std::string_view message, Fields fields = {}) { Write(Level::kDebug, message, fields); }
inline void Info(std::string_view message, Fields fields = {}) { Write(Level::kInfo, message, fields); }
inline void Warn(std::string_view message, Fields fields = {}) { Write(Level::kWarn, message, fields); }
inline void Error(std::string_view message, Fields fields = {}) { Write(Level::kError, message, fields); }

// The request id and W3C trace context of the call served on this thread.
struct CallIds {
  std::string request_id;
  std::string trace_id;  // 32 lowercase hex digits, or empty
  std::string span_id;   // 16 lowercase hex digits of this service's span, or empty
};

// Makes `ids` the thread's current call ids for its lifetime and restores the previous
// ones when destroyed. The server sets one around every handler. `ids` is referred to,
// not copied: it must outlive the scope (hence no constructor from a temporary).
class ScopedCallContext {
 public:
  explicit ScopedCallContext(const CallIds& ids);
  explicit ScopedCallContext(CallIds&&) = delete;
  ~ScopedCallContext();
  ScopedCallContext(const ScopedCallContext&) = delete;
  ScopedCallContext& operator=(const ScopedCallContext&) = delete;

 private:
  const CallIds* previous_;
};

// The ids of the call served on this thread (empty strings outside a call).
const CallIds& CurrentCall();

}  // namespace clinic::log
