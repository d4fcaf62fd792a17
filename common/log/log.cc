#include "common/log/log.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
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

thread_local CallIds t_call;

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

void AppendEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
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
  line.reserve(160 + message.size());
  line += "{\"ts\":\"";
  line += absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  line += "\",\"level\":\"";
  line += kLevelNames[static_cast<int>(level)];
  line += '"';
  AppendField(line, "service", state.service);
  AppendField(line, "msg", message);
  const CallIds& call = t_call;
  if (!call.request_id.empty()) AppendField(line, "request_id", call.request_id);
  if (!call.trace_id.empty()) AppendField(line, "trace_id", call.trace_id);
  if (!call.span_id.empty()) AppendField(line, "span_id", call.span_id);
  for (const auto& [key, value] : fields) AppendField(line, key, value);
  line += '}';
  state.logger->info(line);
}

ScopedCallContext::ScopedCallContext(CallIds ids) : previous_(std::move(t_call)) {
  t_call = std::move(ids);
}

ScopedCallContext::~ScopedCallContext() { t_call = std::move(previous_); }

const CallIds& CurrentCall() { return t_call; }

}  // namespace clinic::log
