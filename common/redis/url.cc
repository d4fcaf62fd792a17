#include "common/redis/url.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace clinic::redis {
namespace {

constexpr absl::string_view kScheme = "redis://";

absl::Status BadUrl(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad redis URL: ", why,
                                                 " (expected redis://[[user]:password@]host[:port][/db])"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view in, absl::string_view what) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return BadUrl(absl::StrCat("truncated %-escape in the ", what));
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return BadUrl(absl::StrCat("bad %-escape in the ", what));
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

std::string Endpoint::Address() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<Endpoint> ParseUrl(std::string_view url_text) {
  const absl::string_view url(url_text.data(), url_text.size());
  if (url.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    if (absl::StartsWithIgnoreCase(url, "rediss://")) {
      return BadUrl("TLS (rediss://) is not supported by this client");
    }
    return BadUrl("it must start with redis://");
  }
  absl::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return BadUrl("query strings and fragments are not supported");
  }

  // Authority ends at the first '/'; the credentials end at the last '@' before it.
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  absl::string_view path = slash == absl::string_view::npos ? absl::string_view() : rest.substr(slash + 1);

  Endpoint endpoint;
  const size_t at = authority.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) {
      return BadUrl("credentials must be [user]:password");
    }
    absl::StatusOr<std::string> user = PercentDecode(userinfo.substr(0, colon), "user name");
    if (!user.ok()) return user.status();
    absl::StatusOr<std::string> password = PercentDecode(userinfo.substr(colon + 1), "password");
    if (!password.ok()) return password.status();
    if (password->empty()) return BadUrl("the password is empty");
    endpoint.username = *std::move(user);
    endpoint.password = *std::move(password);
  }

  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return BadUrl("unterminated IPv6 address");
    endpoint.host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return BadUrl("unexpected characters after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return BadUrl("the port is empty");
    }
  } else {
    const size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return BadUrl("the port is empty");
    }
  }
  if (endpoint.host.empty()) return BadUrl("the host is empty");
  for (char c : endpoint.host) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' &&
        c != ':') {
      return BadUrl("the host has characters a host name cannot have");
    }
  }
  if (!port_text.empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(port_text[0]))) {
      return BadUrl("the port must be a number from 1 to 65535");
    }
    endpoint.port = port;
  }

  if (!path.empty()) {
    int db = 0;
    if (!absl::SimpleAtoi(path, &db) || db < 0 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(path[0]))) {
      return BadUrl("the database must be a non-negative number");
    }
    endpoint.db = db;
  }
  return endpoint;
}

}  // namespace clinic::redis
