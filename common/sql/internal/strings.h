#pragma once

// Internal: Debian's Abseil keeps its own absl::string_view (not an alias of
// std::string_view), so std::string_view arguments need this bridge into absl::StrCat,
// absl::StartsWith and heterogeneous flat_hash_map lookups.

#include <string_view>

#include "absl/strings/string_view.h"

namespace clinic::sql::internal {

inline absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace clinic::sql::internal
