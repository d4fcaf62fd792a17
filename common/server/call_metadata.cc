#include "common/server/call_metadata.h"

#include <cstdint>
#include <cstring>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"

namespace clinic::server {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Fills out[0, digits) with random lowercase hex digits, never all zero; `digits` is a
// multiple of 16. Ids are made on every call: one 64-bit draw gives 16 digits.
void FillRandomHex(char* out, size_t digits) {
  thread_local absl::BitGen gen;
  uint64_t any_bits = 0;
  for (char* group = out; group < out + digits; group += 16) {
    const uint64_t bits = absl::Uniform<uint64_t>(gen);
    any_bits |= bits;
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) group[i] = kHex[(bits >> (4 * i)) & 0xf];
  }
  if (any_bits == 0) out[digits - 1] = '1';
}

std::string RandomHex(size_t digits) {
  std::string out(digits, '0');
  FillRandomHex(out.data(), digits);
  return out;
}

int HexValue(char lower_hex_digit) {
  return lower_hex_digit <= '9' ? lower_hex_digit - '0' : lower_hex_digit - 'a' + 10;
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
  // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: random digits but the version (4) and the
  // variant (V: binary 10xx).
  char hex[32];
  FillRandomHex(hex, sizeof(hex));
  std::string id(36, '-');
  int from = 0, to = 0;
  for (int length : {8, 4, 4, 4, 12}) {
    std::memcpy(&id[to], hex + from, length);
    from += length;
    to += length + 1;  // past the dash
  }
  id[14] = '4';
  id[19] = kHex[8 + HexValue(id[19]) % 4];
  return id;
}

std::string NewTraceId() { return RandomHex(32); }
std::string NewSpanId() { return RandomHex(16); }

bool ParseTraceparent(std::string_view value, std::string_view* trace_id, std::string_view* parent_span_id) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2)
  if (value.size() < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') return false;
  std::string_view version = value.substr(0, 2), trace = value.substr(3, 32), parent = value.substr(36, 16),
                   flags = value.substr(53, 2);
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace) || !IsLowerHex(parent) ||
      !IsLowerHex(flags) || AllZero(trace) || AllZero(parent)) {
    return false;
  }
  if (version == "00" && value.size() != 55) return false;
  *trace_id = trace;
  *parent_span_id = parent;
  return true;
}

bool ParseTraceparent(std::string_view value, std::string* trace_id, std::string* parent_span_id) {
  std::string_view trace, parent;
  if (!ParseTraceparent(value, &trace, &parent)) return false;
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

std::string ServerTraceparent(std::string_view incoming) {
  // The ids are written in place (this runs on every call), at the offsets that
  // ParseTraceparent reads.
  constexpr std::string_view kLayout = "00-################################-################-01";
  static_assert(kLayout.size() == 55);
  std::string out(kLayout);
  char* trace = out.data() + 3;
  char* span = out.data() + 36;
  std::string_view incoming_trace, incoming_parent;
  if (ParseTraceparent(incoming, &incoming_trace, &incoming_parent)) {
    incoming_trace.copy(trace, 32);
  } else {
    FillRandomHex(trace, 32);
  }
  FillRandomHex(span, 16);
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
