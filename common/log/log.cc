#include "common/log/log.h"

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace clinic::log {
namespace {

// spdlog gives us a thread-safe, line-atomic stdout sink; the JSON object is built here
// (spdlog's pattern formatter cannot escape a message for JSON).
struct State {
  std::string service = "unknown";
  std::shared_ptr<spdlog::logger> logger;
};

State& GetState() {
  static State* state = [] {
    auto* s = new State;
    s->logger = std::make_shared<spdlog::logger>(
        "clinic", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    s->logger->set_pattern("%v");
    s->logger->set_level(spdlog::level::trace);
    s->logger->flush_on(spdlog::level::trace);
    return s;
  }();
  return *state;
}

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

// The ids of the call served on this thread (see ScopedCallContext); null outside a call.
thread_local const CallIds* t_call = nullptr;

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

// Lines are built on every call when the access log is on: plain characters are
// appended in runs, not one by one.
void AppendEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t plain_from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain_from, i - plain_from));
    plain_from = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.substr(plain_from));
}

// Zero-padded to `width` digits; value >= 0.
void AppendDigits(std::string& out, int64_t value, int width) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i, value /= 10) digits[i] = static_cast<char>('0' + value % 10);
  out.append(digits, width);
}

// "2026-11-25T10:00:00.123456Z", by hand: absl::FormatTime took a quarter of the cost
// of a line.
void AppendTimestamp(std::string& out, absl::Time time) {
  const absl::TimeZone::CivilInfo utc = absl::UTCTimeZone().At(time);
  AppendDigits(out, utc.cs.year(), 4);
  out += '-';
  AppendDigits(out, utc.cs.month(), 2);
  out += '-';
  AppendDigits(out, utc.cs.day(), 2);
  out += 'T';
  AppendDigits(out, utc.cs.hour(), 2);
  out += ':';
  AppendDigits(out, utc.cs.minute(), 2);
  out += ':';
  AppendDigits(out, utc.cs.second(), 2);
  out += '.';
  AppendDigits(out, absl::ToInt64Microseconds(utc.subsecond), 6);
  out += 'Z';
}

void AppendField(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  AppendEscaped(out, key);
  out += "\":\"";
  AppendEscaped(out, value);
  out += '"';
}

}  // namespace

void Init(std::string_view service, Level min_level) {
  GetState().service = std::string(service);
  g_min_level.store(static_cast<int>(min_level), std::memory_order_relaxed);
}

bool ParseLevel(std::string_view text, Level* level) {
  for (int i = 0; i < 4; ++i) {
    if (text == kLevelNames[i]) {
      *level = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view message, Fields fields) {
  if (!Enabled(level)) return;
  State& state = GetState();
  std::string line;
  line.reserve(512 + message.size());  // an access line is about 350 bytes
  line += "{\"ts\":\"";
  AppendTimestamp(line, absl::Now());
  line += "\",\"level\":\"";
  line += kLevelNames[static_cast<int>(level)];
  line += '"';
  AppendField(line, "service", state.service);
  AppendField(line, "msg", message);
  const CallIds& call = CurrentCall();
  if (!call.request_id.empty()) AppendField(line, "request_id", call.request_id);
  if (!call.trace_id.empty()) AppendField(line, "trace_id", call.trace_id);
  if (!call.span_id.empty()) AppendField(line, "span_id", call.span_id);
  for (const auto& [key, value] : fields) AppendField(line, key, value);
  line += '}';
  state.logger->info(line);
}

ScopedCallContext::ScopedCallContext(const CallIds& ids) : previous_(t_call) { t_call = &ids; }

ScopedCallContext::~ScopedCallContext() { t_call = previous_; }

const CallIds& CurrentCall() {
  static const CallIds* const kNoCall = new CallIds;
  return t_call != nullptr ? *t_call : *kNoCall;
}

}  // namespace clinic::log
