// Request ids and W3C trace context values: pure functions, no server.

#include "common/server/call_metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

namespace clinic::server {
namespace {

using ::testing::MatchesRegex;

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kParent[] = "00f067aa0ba902b7";

TEST(CallMetadataTest, NewRequestIdIsAVersion4Uuid) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewRequestId();
    EXPECT_THAT(id, MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    EXPECT_TRUE(IsValidRequestId(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(CallMetadataTest, NewTraceAndSpanIdsAreLowercaseHex) {
  EXPECT_THAT(NewTraceId(), MatchesRegex("[0-9a-f]{32}"));
  EXPECT_THAT(NewSpanId(), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_NE(NewTraceId(), NewTraceId());
}

TEST(CallMetadataTest, ParseTraceparentSplitsAValidValue) {
  const std::string value = FormatTraceparent(kTrace, kParent);
  std::string_view trace, parent;
  ASSERT_TRUE(ParseTraceparent(value, &trace, &parent));
  EXPECT_EQ(trace, kTrace);
  EXPECT_EQ(parent, kParent);
  std::string trace_copy, parent_copy;
  ASSERT_TRUE(ParseTraceparent("00-" + std::string(kTrace) + "-" + kParent + "-00", &trace_copy, &parent_copy));
  EXPECT_EQ(trace_copy, kTrace);
  EXPECT_EQ(parent_copy, kParent);
}

TEST(CallMetadataTest, ParseTraceparentRejectsMalformedValues) {
  const std::string zero_trace(32, '0'), zero_span(16, '0');
  for (const std::string& bad : {std::string(), std::string("garbage"), FormatTraceparent(zero_trace, kParent),
                                 FormatTraceparent(kTrace, zero_span), FormatTraceparent(kTrace, kParent) + "x",
                                 "ff-" + std::string(kTrace) + "-" + kParent + "-01",
                                 FormatTraceparent("4BF92F3577B34DA6A3CE929D0E0E4736", kParent)}) {
    std::string_view trace, parent;
    EXPECT_FALSE(ParseTraceparent(bad, &trace, &parent)) << bad;
  }
}

TEST(CallMetadataTest, ServerTraceparentKeepsTheIncomingTraceWithANewSpan) {
  const std::string incoming = FormatTraceparent(kTrace, kParent);
  const std::string ours = ServerTraceparent(incoming);
  std::string_view trace, span;
  ASSERT_TRUE(ParseTraceparent(ours, &trace, &span)) << ours;
  EXPECT_EQ(trace, kTrace);
  EXPECT_NE(span, kParent);
  EXPECT_THAT(ours, MatchesRegex("00-[0-9a-f]{32}-[0-9a-f]{16}-01"));
  EXPECT_NE(ServerTraceparent(incoming), ours);
}

TEST(CallMetadataTest, ServerTraceparentStartsANewTraceWithoutAValidOne) {
  for (std::string_view incoming : {std::string_view(), std::string_view("garbage")}) {
    const std::string ours = ServerTraceparent(incoming);
    std::string_view trace, span;
    ASSERT_TRUE(ParseTraceparent(ours, &trace, &span)) << ours;
    EXPECT_THAT(ours, MatchesRegex("00-[0-9a-f]{32}-[0-9a-f]{16}-01"));
    EXPECT_NE(ServerTraceparent(incoming), ours);
  }
}

TEST(CallMetadataTest, RequestIdsMustBeSafeToLogAndEcho) {
  EXPECT_TRUE(IsValidRequestId("req-42.a_b"));
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidRequestId("has spaces; and {json}"));
  EXPECT_FALSE(IsValidRequestId("quote\""));
}

}  // namespace
}  // namespace clinic::server
