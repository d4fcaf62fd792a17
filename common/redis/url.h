#pragma once

// Parsing of Redis connection URLs, for the client and for validating configuration
// early (e.g. a --redis_url flag).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace clinic::redis {

// Where and how to connect.
struct Endpoint {
  std::string host;      // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 6379;
  std::string username;  // empty: the default user (AUTH <password>)
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECTed after connecting when not 0

  // "host:port" (IPv6 in brackets): safe to log, never contains the credentials.
  std::string Address() const;
};

// Parses redis://[[username]:password@]host[:port][/db]
//
// The user name and password may be percent-encoded (needed for '@', ':' or '/').
// The host may be an IPv6 literal in brackets. The port defaults to 6379, the db to 0.
// Anything else (another scheme such as rediss://, which hiredis 0.14 cannot speak, a
// query string, a bad port or db) is INVALID_ARGUMENT. The message never repeats the
// URL, which may hold a password.
absl::StatusOr<Endpoint> ParseUrl(std::string_view url);

}  // namespace clinic::redis
