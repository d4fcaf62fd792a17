#pragma once

// Pagination (AIP-158) with keyset cursors: a page token carries the sort key of the
// last item returned and a fingerprint of the request's filters, so that a token is
// only accepted with the filters it was made for.
//
//   status::FieldViolations bad;
//   const int size = api::PageSize(request.page_size(), 50, 200, bad);
//   const uint64_t filters = api::FiltersOf(request);
//   std::optional<std::vector<std::string>> after = api::DecodePageToken(request.page_token(), filters, bad);
//   ... SELECT … WHERE (sort_key) > (after) ORDER BY sort_key LIMIT size + 1 …
//   if (rows.size() > size) response->set_next_page_token(api::EncodePageToken(filters, {last_key}));

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status/status.h"
#include "google/protobuf/message_lite.h"

namespace clinic::api {

// The effective page size: `default_size` for 0, at most `max_size`; a negative size adds
// a violation for "page_size".
int PageSize(int32_t requested, int default_size, int max_size, status::FieldViolations& bad);

// A stable 64-bit fingerprint (FNV-1a) of bytes; the same in every process and build.
uint64_t Fingerprint(std::string_view bytes);
// The fingerprint of a message's deterministic serialization.
uint64_t Fingerprint(const google::protobuf::MessageLite& message);

// The fingerprint of a List request's filters: the request without page_token and
// page_size.
template <typename Request>
uint64_t FiltersOf(const Request& request) {
  Request filters = request;
  filters.clear_page_token();
  filters.clear_page_size();
  return Fingerprint(filters);
}

// An opaque token for the page after the item whose sort key is `cursor`.
std::string EncodePageToken(uint64_t filters, const std::vector<std::string>& cursor);

// The cursor of `token`: empty for the first page (empty token). A token that does not
// decode, or that was made for other filters, adds a violation for "page_token" and
// returns nullopt.
std::optional<std::vector<std::string>> DecodePageToken(std::string_view token, uint64_t filters,
                                                        status::FieldViolations& bad);

}  // namespace clinic::api
