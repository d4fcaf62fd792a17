#include "services/patient/domain/field_checks.h"

#include <algorithm>
#include <utility>

#include "services/patient/domain/text.h"

namespace clinic::patient::domain {
namespace {

void CheckText(std::string_view value, std::size_t max_length, TextKind kind, bool required,
               std::string field, status::FieldViolations& violations) {
  if (!IsValidUtf8(value)) {
    violations.Add(std::move(field), "must be valid UTF-8");
    return;
  }
  const std::string_view trimmed = TrimSpace(value);
  if (trimmed.empty()) {
    if (required) violations.Add(std::move(field), "is required and must not be blank");
    return;
  }
  if (CodePointCount(trimmed) > max_length) {
    violations.Add(std::move(field),
                   "must be at most " + std::to_string(max_length) + " characters");
    return;
  }
  if (HasControlCharacter(trimmed, kind == TextKind::kMultiLine)) {
    violations.Add(std::move(field), kind == TextKind::kMultiLine
                                         ? "must not contain control characters other than "
                                           "tab and line breaks"
                                         : "must not contain control characters or line breaks");
  }
}

}  // namespace

std::string FieldPath(std::string_view prefix, std::string_view field) {
  if (prefix.empty()) return std::string(field);
  std::string path(prefix);
  path += '.';
  path += field;
  return path;
}

void CheckRequiredText(std::string_view value, std::size_t max_length, TextKind kind,
                       std::string field, status::FieldViolations& violations) {
  CheckText(value, max_length, kind, /*required=*/true, std::move(field), violations);
}

void CheckOptionalText(std::string_view value, std::size_t max_length, TextKind kind,
                       std::string field, status::FieldViolations& violations) {
  CheckText(value, max_length, kind, /*required=*/false, std::move(field), violations);
}

std::vector<std::string_view> UpdateMaskPaths(const google::protobuf::FieldMask& mask,
                                              absl::Span<const std::string_view> allowed,
                                              status::FieldViolations& violations) {
  std::vector<std::string_view> named;
  if (mask.paths_size() == 0) {
    violations.Add("update_mask", "must name at least one field");
    return named;
  }
  for (const std::string& path : mask.paths()) {
    const auto known = std::find(allowed.begin(), allowed.end(), path);
    if (known == allowed.end()) {
      violations.Add("update_mask", "path \"" + path + "\" cannot be updated");
    } else if (std::find(named.begin(), named.end(), *known) == named.end()) {
      named.push_back(*known);
    }
  }
  return named;
}

}  // namespace clinic::patient::domain
