#include "services/patient/domain/contact_address.h"

#include <cstddef>
#include <cstdint>

#include "services/patient/domain/text.h"

namespace clinic::patient::domain {
namespace {

constexpr std::size_t kMinPhoneDigits = 8;
constexpr std::size_t kMaxPhoneDigits = 15;
constexpr std::size_t kMaxLocalPartLength = 64;
constexpr std::size_t kMaxLabelLength = 63;

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNonAscii(char c) { return static_cast<std::uint8_t>(c) >= 0x80; }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

bool HasSpaceOrControl(std::string_view text) {
  bool found = false;
  ForEachCodePoint(text, [&](char32_t c, std::size_t, std::size_t) {
    if (IsSpace(c) || IsControl(c)) found = true;
  });
  return found;
}

bool IsValidLocalPart(std::string_view local) {
  if (local.empty() || local.size() > kMaxLocalPartLength) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  if (local.find("..") != std::string_view::npos) return false;
  for (char c : local) {
    if (std::string_view("(),:;<>[]\\\"@").find(c) != std::string_view::npos) return false;
  }
  return true;
}

bool IsValidDomain(std::string_view domain) {
  std::size_t labels = 0;
  std::string_view last;
  while (true) {
    const std::size_t dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelLength) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!IsAsciiLetter(c) && !IsAsciiDigit(c) && c != '-' && !IsNonAscii(c)) return false;
    }
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  if (labels < 2) return false;
  for (char c : last) {
    if (!IsAsciiDigit(c)) return true;
  }
  return false;  // an all-digit top-level label: an IP address, not a domain
}

}  // namespace

std::optional<std::string> NormalisePhoneNumber(std::string_view input) {
  std::string_view text = TrimSpace(input);
  if (text.empty() || text.front() != '+') return std::nullopt;
  text.remove_prefix(1);
  std::string digits;
  bool in_parentheses = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsAsciiDigit(c)) {
      digits.push_back(c);
    } else if (c == '(' && text.substr(i, 3) == "(0)" && !digits.empty() && !in_parentheses) {
      i += 2;  // the trunk prefix written after the country code: not part of E.164
    } else if (c == '(') {
      if (in_parentheses) return std::nullopt;
      in_parentheses = true;
    } else if (c == ')') {
      if (!in_parentheses) return std::nullopt;
      in_parentheses = false;
    } else if (c == ' ' || c == '-' || c == '.' || c == '/') {
      // separators people write between digit groups
    } else {
      return std::nullopt;  // letters, a second "+", other space characters...
    }
  }
  if (in_parentheses) return std::nullopt;
  if (digits.size() < kMinPhoneDigits || digits.size() > kMaxPhoneDigits) return std::nullopt;
  if (digits.front() == '0') return std::nullopt;
  return "+" + digits;
}

std::optional<std::string> NormaliseEmail(std::string_view input) {
  const std::string_view text = TrimSpace(input);
  if (text.empty() || text.size() > kMaxEmailLength) return std::nullopt;
  if (!IsValidUtf8(text) || HasSpaceOrControl(text)) return std::nullopt;
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view local = text.substr(0, at);
  const std::string_view domain = text.substr(at + 1);
  if (!IsValidLocalPart(local) || !IsValidDomain(domain)) return std::nullopt;
  std::string out(local);
  out.push_back('@');
  for (char c : domain) out.push_back(AsciiLower(c));
  return out;
}

std::optional<std::string> EmailKey(std::string_view input) {
  std::optional<std::string> email = NormaliseEmail(input);
  if (!email) return std::nullopt;
  for (char& c : *email) c = AsciiLower(c);
  return email;
}

}  // namespace clinic::patient::domain
