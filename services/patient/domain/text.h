#pragma once

// UTF-8 text helpers for validating what people type: well-formedness, length in code
// points, trimming and control characters. Pure functions; no locale is consulted.

#include <cstddef>
#include <string>
#include <string_view>

namespace clinic::patient::domain {

// True if `text` is well-formed UTF-8: no stray continuation bytes, no overlong forms, no
// surrogates (U+D800-U+DFFF) and nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text);

// The number of Unicode code points in `text`. Precondition: IsValidUtf8(text) (otherwise
// the count is that of the non-continuation bytes).
std::size_t CodePointCount(std::string_view text);

// Calls `f(code_point, byte_offset, byte_length)` for each code point of valid UTF-8
// `text`, in order. An invalid byte is reported as U+FFFD of length 1.
template <typename F>
void ForEachCodePoint(std::string_view text, F&& f);

// True for the Unicode White_Space characters (U+0009-U+000D, U+0020, U+0085, U+00A0,
// U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) and for the invisible
// characters people paste with text: zero width space U+200B and the byte order mark
// U+FEFF.
bool IsSpace(char32_t c);

// `text` without the IsSpace() characters at either end (a view into `text`).
std::string_view TrimSpace(std::string_view text);

// True for control characters: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
bool IsControl(char32_t c);

// True if `text` holds a control character. With `allow_line_breaks`, tab, line feed and
// carriage return are allowed (multi-line free text such as notes).
bool HasControlCharacter(std::string_view text, bool allow_line_breaks = false);

// Appends the UTF-8 encoding of `c` (a Unicode scalar value) to `out`.
void AppendUtf8(char32_t c, std::string& out);

// --- implementation ---

namespace internal {
// Decodes the code point starting at `text[pos]`; returns its length in bytes (at least 1)
// and stores U+FFFD in `*out` for an invalid sequence.
std::size_t DecodeOne(std::string_view text, std::size_t pos, char32_t* out);
}  // namespace internal

template <typename F>
void ForEachCodePoint(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    char32_t c = 0;
    std::size_t len = internal::DecodeOne(text, pos, &c);
    f(c, pos, len);
    pos += len;
  }
}

}  // namespace clinic::patient::domain
