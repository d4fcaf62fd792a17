#include "services/patient/domain/text.h"

#include <cstdint>

namespace clinic::patient::domain {
namespace internal {

std::size_t DecodeOne(std::string_view text, std::size_t pos, char32_t* out) {
  constexpr char32_t kReplacement = 0xFFFD;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t b0 = byte(pos);
  if (b0 < 0x80) {
    *out = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t c = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, c = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, c = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, c = b0 & 0x07, min = 0x10000;
  } else {
    *out = kReplacement;
    return 1;
  }
  if (pos + len > text.size()) {
    *out = kReplacement;
    return 1;
  }
  for (std::size_t i = 1; i < len; ++i) {
    const std::uint8_t b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      *out = kReplacement;
      return 1;
    }
    c = (c << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and values beyond Unicode are not UTF-8.
  if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) {
    *out = kReplacement;
    return 1;
  }
  *out = c;
  return len;
}

}  // namespace internal

bool IsValidUtf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = 0;
    std::size_t len = internal::DecodeOne(text, pos, &c);
    // A genuine U+FFFD is three bytes long; a one-byte U+FFFD is a decoding error.
    if (c == 0xFFFD && len == 1) return false;
    pos += len;
  }
  return true;
}

std::size_t CodePointCount(std::string_view text) {
  std::size_t count = 0;
  for (char ch : text) {
    if ((static_cast<std::uint8_t>(ch) & 0xC0) != 0x80) ++count;
  }
  return count;
}

bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

std::string_view TrimSpace(std::string_view text) {
  std::size_t begin = text.size();
  std::size_t end = 0;
  ForEachCodePoint(text, [&](char32_t c, std::size_t pos, std::size_t len) {
    if (IsSpace(c)) return;
    if (begin == text.size()) begin = pos;
    end = pos + len;
  });
  if (begin == text.size()) return text.substr(text.size());
  return text.substr(begin, end - begin);
}

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool HasControlCharacter(std::string_view text, bool allow_line_breaks) {
  bool found = false;
  ForEachCodePoint(text, [&](char32_t c, std::size_t, std::size_t) {
    if (!IsControl(c)) return;
    if (allow_line_breaks && (c == '\t' || c == '\n' || c == '\r')) return;
    found = true;
  });
  return found;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace clinic::patient::domain
