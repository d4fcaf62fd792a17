#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace clinic::auth {

// The URL-safe base64 alphabet of RFC 4648 §5 without padding, as JWTs use it.
std::string Base64UrlEncode(std::string_view data);

// Strict inverse of Base64UrlEncode: nullopt on any character outside the alphabet
// (including '=' padding), on an impossible length, or on non-zero unused trailing bits,
// so that every byte string has exactly one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view encoded);

}  // namespace clinic::auth
