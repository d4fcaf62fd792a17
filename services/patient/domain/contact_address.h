#pragma once

// Phone numbers and email addresses as people type them, and their canonical forms.
//
// Phone numbers: the contract stores E.164 ("+" then 8 to 15 digits, the first not 0).
// Input is accepted in the common international written forms and normalised: space,
// "-", "." and "/" between digits are dropped, parentheses are dropped (balanced, not
// nested), and the UK-style trunk prefix "(0)" after the country code is removed
// ("+44 (0)7700 900-123" -> "+447700900123"). A number without the leading "+" (a
// national number such as "07700 900123", or "0044 ...") is rejected: its country is
// unknown and guessing would store a wrong number.
//
// Email addresses: a pragmatic subset of RFC 5321/5322 that real mailboxes use: one
// "@"; a dot-atom local part (1 to 64 octets, no leading, trailing or doubled ".", none
// of the specials ( ) , : ; < > [ ] \ " and no space or control character; UTF-8 letters
// allowed, RFC 6531); a domain of at least two dot-separated labels of letters (UTF-8
// allowed), digits and inner hyphens, each 1 to 63 octets, the last not all digits; at
// most 254 octets in all. Quoted local parts and address literals ("[192.0.2.1]") are
// rejected.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace clinic::patient::domain {

// The longest email address accepted, in octets (RFC 5321 path limit minus "<>").
inline constexpr std::size_t kMaxEmailLength = 254;

// The E.164 form of `input` (surrounding space ignored), or nullopt if it is not a phone
// number in an accepted written form (see above).
std::optional<std::string> NormalisePhoneNumber(std::string_view input);

// The stored form of an email address: surrounding space trimmed and the domain's ASCII
// letters lower-cased (the local part is kept as typed: it is case-sensitive in
// principle). nullopt if `input` is not an acceptable address (see above).
std::optional<std::string> NormaliseEmail(std::string_view input);

// The comparison form of an email address (duplicate check, search, opt-out by
// address): NormaliseEmail with every ASCII letter lower-cased. nullopt if not acceptable.
std::optional<std::string> EmailKey(std::string_view input);

}  // namespace clinic::patient::domain
