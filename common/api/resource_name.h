#pragma once

// Resource names (AIP-122) and ids, checked once at the edge of a service.
//
//   status::FieldViolations bad;
//   std::optional<std::vector<std::string>> ids =
//       api::ParseName("clinics/{clinic}/reservations/{reservation}", request.name(), "name", bad);
//   if (!bad.empty()) return bad.ToStatus();
//   const std::string& clinic_id = (*ids)[0];

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status/status.h"

namespace clinic::api {

// An id: 1 to 63 characters of [a-z0-9-], not starting or ending with "-" (what every
// service assigns and accepts).
bool IsValidId(std::string_view id);
// A client-chosen id on create additionally starts with a letter.
bool IsValidClientId(std::string_view id);

struct NameOptions {
  // Accept "-" (all that the caller may see) in place of an id.
  bool allow_wildcard = false;
};

// Matches `name` against `pattern` ("clinics/{clinic}/reservations/{reservation}": literal
// collection segments and `{…}` id segments) and returns the ids in order. On a
// mismatch — empty, wrong collections, a bad id — adds one violation for `field` to `bad`
// and returns nullopt. The violation's description never contains the value.
std::optional<std::vector<std::string>> ParseName(std::string_view pattern, std::string_view name,
                                                  std::string_view field, status::FieldViolations& bad,
                                                  NameOptions options = {});

// ParseName for a pattern with exactly one id ("clinics/{clinic}"): that id, or nullopt.
std::optional<std::string> ParseId(std::string_view pattern, std::string_view name, std::string_view field,
                                   status::FieldViolations& bad, NameOptions options = {});

// A new random id for a server-assigned resource: 20 characters of [a-z0-9], starting
// with a letter so that it is also a valid client id.
std::string NewId();

}  // namespace clinic::api
