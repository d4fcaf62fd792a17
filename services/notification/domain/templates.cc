#include "services/notification/domain/templates.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace clinic::notification::domain {
namespace {

constexpr std::string_view kOpen = "{{";
constexpr std::string_view kClose = "}}";

// Calls on_text(literal) and on_placeholder(name) in order; INVALID_ARGUMENT on bad
// syntax.
template <typename OnText, typename OnPlaceholder>
absl::Status Scan(std::string_view text, OnText on_text, OnPlaceholder on_placeholder) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find(kOpen, pos);
    if (open == std::string_view::npos) {
      on_text(text.substr(pos));
      break;
    }
    on_text(text.substr(pos, open - pos));
    const size_t close = text.find(kClose, open + kOpen.size());
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("unclosed \"{{\" at offset ", open));
    }
    const std::string_view name = text.substr(open + kOpen.size(), close - open - kOpen.size());
    if (!IsValidParameterName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("placeholder at offset ", open, " is not 1 to 40 characters of [a-z0-9_]"));
    }
    on_placeholder(name);
    pos = close + kClose.size();
  }
  return absl::OkStatus();
}

bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }
bool IsAlpha(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }

}  // namespace

bool IsBuiltinPlaceholder(std::string_view name) {
  return name == kEventDatePlaceholder || name == kEventTimePlaceholder;
}

bool IsValidParameterName(std::string_view name) {
  if (name.empty() || name.size() > 40) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

absl::StatusOr<std::vector<std::string>> Placeholders(std::string_view text) {
  std::vector<std::string> names;
  absl::Status s = Scan(
      text, [](std::string_view) {},
      [&](std::string_view name) {
        if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
      });
  if (!s.ok()) return s;
  return names;
}

std::map<std::string, std::string> BuiltinParameters(absl::Time event_time, absl::TimeZone zone) {
  // %e pads the day with a space; strip it so that "Tue 4 Jun 2024" reads naturally.
  std::string date = absl::FormatTime("%a %e %b %Y", event_time, zone);
  std::string::size_type double_space = date.find("  ");
  if (double_space != std::string::npos) date.erase(double_space, 1);
  return {{std::string(kEventDatePlaceholder), date},
          {std::string(kEventTimePlaceholder), absl::FormatTime("%H:%M", event_time, zone)}};
}

Rendered Render(std::string_view text, const std::map<std::string, std::string>& parameters) {
  Rendered out;
  absl::Status s = Scan(
      text, [&](std::string_view literal) { out.text.append(literal); },
      [&](std::string_view name) {
        auto it = parameters.find(std::string(name));
        if (it != parameters.end()) {
          out.text.append(it->second);
        } else if (std::find(out.missing.begin(), out.missing.end(), name) == out.missing.end()) {
          out.missing.emplace_back(name);
        }
      });
  if (!s.ok()) out.missing.emplace_back("{{syntax}}");  // not reached for a stored template
  return out;
}

std::optional<std::string> CanonicalLanguage(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(tag.data(), tag.size()), '-');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string& p = parts[i];
    if (p.empty() || p.size() > 8 || !std::all_of(p.begin(), p.end(), IsAlnum)) return std::nullopt;
    if (i == 0) {
      if (!std::all_of(p.begin(), p.end(), IsAlpha) || p.size() == 1 || p.size() == 4) return std::nullopt;
      absl::AsciiStrToLower(&p);
    } else if (p.size() == 2 && std::all_of(p.begin(), p.end(), IsAlpha)) {
      absl::AsciiStrToUpper(&p);  // region
    } else if (p.size() == 4 && std::all_of(p.begin(), p.end(), IsAlpha)) {
      absl::AsciiStrToLower(&p);  // script
      p[0] = absl::ascii_toupper(static_cast<unsigned char>(p[0]));
    } else {
      absl::AsciiStrToLower(&p);
    }
  }
  return absl::StrJoin(parts, "-");
}

std::vector<std::string> LanguageFallbacks(std::string_view language) {
  std::vector<std::string> out;
  std::string current(language);
  while (!current.empty()) {
    out.push_back(current);
    const size_t dash = current.rfind('-');
    if (dash == std::string::npos) break;
    current.resize(dash);
  }
  if (std::find(out.begin(), out.end(), kDefaultLanguage) == out.end()) out.emplace_back(kDefaultLanguage);
  return out;
}

std::optional<size_t> PickLanguage(const std::vector<std::string>& available, std::string_view wanted) {
  for (const std::string& language : LanguageFallbacks(wanted)) {
    auto it = std::find(available.begin(), available.end(), language);
    if (it != available.end()) return static_cast<size_t>(it - available.begin());
  }
  return std::nullopt;
}

}  // namespace clinic::notification::domain
