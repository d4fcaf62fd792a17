#pragma once

// Request id and W3C trace context: parsing and making the metadata values.

#include <string>
#include <string_view>

#include "common/log/log.h"

namespace clinic::server {

inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr char kTraceparentHeader[] = "traceparent";
inline constexpr char kAuthorizationHeader[] = "authorization";

// A new random request id (UUID version 4 text form).
std::string NewRequestId();
// 32 / 16 random lowercase hex digits (never all zero).
std::string NewTraceId();
std::string NewSpanId();

// Parses a W3C traceparent "00-<trace-id>-<parent-id>-<flags>". Returns false for
// anything malformed (which the server then replaces with a new trace).
bool ParseTraceparent(std::string_view value, std::string* trace_id, std::string* parent_span_id);
// "00-<trace_id>-<span_id>-01".
std::string FormatTraceparent(std::string_view trace_id, std::string_view span_id);

// Accepts request ids that are safe to log and echo: 1-128 characters of [A-Za-z0-9._-].
bool IsValidRequestId(std::string_view value);

}  // namespace clinic::server
