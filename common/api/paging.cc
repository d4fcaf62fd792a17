#include "common/api/paging.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace clinic::api {
namespace {

// Separates the parts of a cursor; never valid in the text the cursors hold (ids,
// numbers).
constexpr char kSeparator = '\x1f';

}  // namespace

int PageSize(int32_t requested, int default_size, int max_size, status::FieldViolations& bad) {
  if (requested < 0) {
    bad.Add("page_size", "must not be negative");
    return default_size;
  }
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

uint64_t Fingerprint(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t Fingerprint(const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  return Fingerprint(bytes);
}

std::string EncodePageToken(uint64_t filters, const std::vector<std::string>& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(absl::Hex(filters), std::string(1, kSeparator),
                                                absl::StrJoin(cursor, std::string(1, kSeparator))));
}

std::optional<std::vector<std::string>> DecodePageToken(std::string_view token, uint64_t filters,
                                                        status::FieldViolations& bad) {
  if (token.empty()) return std::vector<std::string>();
  std::string raw;
  std::vector<std::string> parts;
  uint64_t got_filters = 0;
  if (absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw)) {
    parts = absl::StrSplit(raw, kSeparator);
  }
  if (parts.size() < 2 || !absl::SimpleHexAtoi(parts.front(), &got_filters)) {
    bad.Add("page_token", "not a token returned by this method");
    return std::nullopt;
  }
  if (got_filters != filters) {
    bad.Add("page_token", "made for other filters; repeat the first request's filters");
    return std::nullopt;
  }
  parts.erase(parts.begin());
  if (parts.size() == 1 && parts.front().empty()) parts.clear();  // an empty cursor
  return parts;
}

}  // namespace clinic::api
