#include "common/api/resource_name.h"

#include <random>

#include "absl/strings/str_split.h"

namespace clinic::api {
namespace {

bool IsIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

bool IsValidId(std::string_view id) {
  // AIP-122: no hyphen at either end (so "-", the wildcard, is never an id).
  if (id.empty() || id.size() > 63 || id.front() == '-' || id.back() == '-') return false;
  for (char c : id) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

bool IsValidClientId(std::string_view id) { return IsValidId(id) && id.front() >= 'a' && id.front() <= 'z'; }

std::optional<std::vector<std::string>> ParseName(std::string_view pattern, std::string_view name,
                                                  std::string_view field, status::FieldViolations& bad,
                                                  NameOptions options) {
  const auto fail = [&](std::string_view why) -> std::optional<std::vector<std::string>> {
    bad.Add(std::string(field), std::string(why) + "; expected \"" + std::string(pattern) + "\"");
    return std::nullopt;
  };
  if (name.empty()) return fail("required");
  const std::vector<absl::string_view> want = absl::StrSplit(absl::string_view(pattern.data(), pattern.size()), '/');
  const std::vector<absl::string_view> got = absl::StrSplit(absl::string_view(name.data(), name.size()), '/');
  if (want.size() != got.size()) return fail("malformed resource name");
  std::vector<std::string> ids;
  for (size_t i = 0; i < want.size(); ++i) {
    const bool is_id = want[i].size() >= 2 && want[i].front() == '{' && want[i].back() == '}';
    if (!is_id) {
      if (got[i] != want[i]) return fail("malformed resource name");
      continue;
    }
    const std::string_view id(got[i].data(), got[i].size());
    if (!(IsValidId(id) || (options.allow_wildcard && id == "-"))) return fail("malformed id in resource name");
    ids.emplace_back(id);
  }
  return ids;
}

std::optional<std::string> ParseId(std::string_view pattern, std::string_view name, std::string_view field,
                                   status::FieldViolations& bad, NameOptions options) {
  std::optional<std::vector<std::string>> ids = ParseName(pattern, name, field, bad, options);
  if (!ids.has_value() || ids->size() != 1) return std::nullopt;
  return std::move(ids->front());
}

std::string NewId() {
  static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyz";
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id(20, 'a');
  id[0] = kLetters[rng() % 26];
  for (size_t i = 1; i < id.size(); ++i) id[i] = kChars[rng() % 36];
  return id;
}

}  // namespace clinic::api
