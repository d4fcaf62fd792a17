#pragma once

// Building blocks shared by the request validators of this directory: each checks one
// field and adds a violation naming it (its proto path) to a FieldViolations. Nothing is
// reported for a field that passes. Descriptions never quote the value (it may be
// personal data, and error messages reach logs).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "common/status/status.h"
#include "google/protobuf/field_mask.pb.h"

namespace clinic::patient::domain {

// "prefix.field", or just `field` when `prefix` is empty. Repeated elements are written
// by the caller as "field[i]".
std::string FieldPath(std::string_view prefix, std::string_view field);

// How a text field may look.
enum class TextKind {
  kSingleLine,  // no control characters at all (names, references)
  kMultiLine,   // tab, line feed and carriage return allowed (notes)
};

// A required text: valid UTF-8, at most `max_length` code points and not empty once
// trimmed (text.h TrimSpace), and free of control characters as `kind` says. The length
// counts the trimmed text.
void CheckRequiredText(std::string_view value, std::size_t max_length, TextKind kind,
                       std::string field, status::FieldViolations& violations);

// As CheckRequiredText, but an empty (or all-space) value is accepted.
void CheckOptionalText(std::string_view value, std::size_t max_length, TextKind kind,
                       std::string field, status::FieldViolations& violations);

// The distinct paths of an Update request's mask, in the mask's order, each one of
// `allowed`. Adds a violation naming "update_mask" for an empty mask and for each path
// not in `allowed` ("*" and sub-paths such as "postal_address.locality" included). (The
// same rule as clinic::api::CheckUpdateMask, which this pure library cannot link: it
// depends on clinic::sql.) The views point into `allowed`.
std::vector<std::string_view> UpdateMaskPaths(const google::protobuf::FieldMask& mask,
                                              absl::Span<const std::string_view> allowed,
                                              status::FieldViolations& violations);

}  // namespace clinic::patient::domain
