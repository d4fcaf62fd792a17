#pragma once

// Request id and W3C trace context: parsing and making the metadata values.

#include <string>
#include <string_view>

namespace clinic::server {

inline constexpr char kRequestIdHeader[] = "x-request-id";
inline constexpr char kTraceparentHeader[] = "traceparent";
inline constexpr char kAuthorizationHeader[] = "authorization";
// Why the caller accesses a record (docs/API.md), for services that audit accesses.
inline constexpr char kAccessPurposeHeader[] = "x-access-purpose";

// A new random request id (UUID version 4 text form).
std::string NewRequestId();
// 32 / 16 random lowercase hex digits (never all zero).
std::string NewTraceId();
std::string NewSpanId();

// Parses a W3C traceparent "00-<trace-id>-<parent-id>-<flags>". Returns false for
// anything malformed (which the server then replaces with a new trace). The views point
// into `value`.
bool ParseTraceparent(std::string_view value, std::string_view* trace_id, std::string_view* parent_span_id);
bool ParseTraceparent(std::string_view value, std::string* trace_id, std::string* parent_span_id);
// "00-<trace_id>-<span_id>-01".
std::string FormatTraceparent(std::string_view trace_id, std::string_view span_id);
// The traceparent of this service's span of a call that arrived with the traceparent
// `incoming` (empty when absent): a new span id in the incoming trace, or in a new trace
// when `incoming` is not a valid traceparent.
std::string ServerTraceparent(std::string_view incoming);

// Accepts request ids that are safe to log and echo: 1-128 characters of [A-Za-z0-9._-].
bool IsValidRequestId(std::string_view value);

}  // namespace clinic::server
