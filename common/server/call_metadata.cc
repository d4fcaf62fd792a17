#include "common/server/call_metadata.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"

namespace clinic::server {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Hex digits from 64-bit draws (16 digits per draw): ids are made on every call.
std::string RandomHex(size_t digits) {
  thread_local absl::BitGen gen;
  std::string out(digits, '0');
  uint64_t bits = 0;
  bool all_zero = true;
  for (size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = absl::Uniform<uint64_t>(gen);
    out[i] = kHex[bits & 0xf];
    bits >>= 4;
    if (out[i] != '0') all_zero = false;
  }
  if (all_zero) out.back() = '1';
  return out;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

std::string NewRequestId() {
  std::string hex = RandomHex(32);
  hex[12] = '4';                           // version 4
  hex[16] = kHex[8 + (hex[16] - '0') % 4];  // variant 10xx
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) +
         "-" + hex.substr(20);
}

std::string NewTraceId() { return RandomHex(32); }
std::string NewSpanId() { return RandomHex(16); }

bool ParseTraceparent(std::string_view value, std::string* trace_id, std::string* parent_span_id) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2)
  if (value.size() < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') return false;
  std::string_view version = value.substr(0, 2), trace = value.substr(3, 32), parent = value.substr(36, 16),
                   flags = value.substr(53, 2);
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace) || !IsLowerHex(parent) ||
      !IsLowerHex(flags) || AllZero(trace) || AllZero(parent)) {
    return false;
  }
  if (version == "00" && value.size() != 55) return false;
  *trace_id = std::string(trace);
  *parent_span_id = std::string(parent);
  return true;
}

std::string FormatTraceparent(std::string_view trace_id, std::string_view span_id) {
  std::string out = "00-";
  out.append(trace_id);
  out += '-';
  out.append(span_id);
  out += "-01";
  return out;
}

bool IsValidRequestId(std::string_view value) {
  if (value.empty() || value.size() > 128) return false;
  for (char c : value) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace clinic::server
