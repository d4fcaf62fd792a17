#include "common/redis/reply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "common/redis/client.h"
#include "common/redis/script.h"
#include "tests/integration/redis/reply_printer.h"
#include "tests/support/status_matchers.h"

namespace clinic::redis {
namespace {

using ::clinic::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedisReplyTest, Accessors) {
  EXPECT_TRUE(Reply().is_nil());
  EXPECT_EQ(Reply::Nil().AsString(), std::nullopt);

  const Reply s = Reply::String(std::string("a\0b", 3));
  EXPECT_TRUE(s.is_string());
  EXPECT_EQ(s.str(), std::string("a\0b", 3));
  EXPECT_EQ(s.AsString(), std::string_view("a\0b", 3));
  EXPECT_EQ(s.AsInteger(), std::nullopt);

  const Reply i = Reply::Integer(-7);
  EXPECT_EQ(i.integer(), -7);
  EXPECT_EQ(i.AsInteger(), -7);

  const Reply a = Reply::Array({Reply::Status("OK"), Reply::Nil(), Reply::Integer(1)});
  ASSERT_TRUE(a.is_array());
  ASSERT_EQ(a.size(), 3u);
  EXPECT_TRUE(a[0].is_status());
  EXPECT_EQ(a[0].AsString(), "OK");
  EXPECT_TRUE(a[1].is_nil());
  EXPECT_EQ(a[2].integer(), 1);
  EXPECT_EQ(a, Reply::Array({Reply::Status("OK"), Reply::Nil(), Reply::Integer(1)}));
  EXPECT_NE(a, Reply::Array({Reply::String("OK"), Reply::Nil(), Reply::Integer(1)}));

  Reply taken = Reply::String("value");
  EXPECT_EQ(std::move(taken).TakeString(), "value");
}

TEST(RedisReplyDeathTest, WrongTypeAccessAborts) {
  EXPECT_DEATH((void)Reply::Nil().str(), "str called on a nil reply");
  EXPECT_DEATH((void)Reply::String("1").integer(), "integer called on a string reply");
}

TEST(RedisErrorReplyTest, Codes) {
  EXPECT_THAT(ErrorReplyToStatus("WRONGTYPE Operation against a key holding the wrong kind of value"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("WRONGTYPE")));
  EXPECT_THAT(ErrorReplyToStatus("OOM command not allowed"), StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(ErrorReplyToStatus("LOADING Redis is loading the dataset in memory"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ErrorReplyToStatus("NOSCRIPT No matching script"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ErrorReplyToStatus("ERR syntax error"), StatusIs(absl::StatusCode::kInternal, "redis: ERR syntax error"));
  EXPECT_THAT(ErrorReplyToStatus("ERR unknown command 'FOO', with args beginning with: 'patient-4711' "),
              StatusIs(absl::StatusCode::kInternal, Not(HasSubstr("patient-4711"))));
}

TEST(RedisScriptTest, Sha1IsLowercaseHexOfTheSource) {
  // sha1("") is well known.
  EXPECT_EQ(Script("").sha1(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Script("return 1").source(), "return 1");
  EXPECT_EQ(Script("return 1").sha1().size(), 40u);
}

TEST(RedisPipelineTest, KeepsCommandsApart) {
  Pipeline p;
  p.Add({"SET", "k", std::string_view("v\0", 2)}).Add({"GET", "k"});
  ASSERT_EQ(p.size(), 2u);
  ASSERT_EQ(p.command(0).size(), 3u);
  EXPECT_EQ(p.command(0)[2], std::string("v\0", 2));
  ASSERT_EQ(p.command(1).size(), 2u);
  EXPECT_EQ(p.command(1)[0], "GET");
}

}  // namespace
}  // namespace clinic::redis
