#include "common/redis/url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/status_matchers.h"

namespace clinic::redis {
namespace {

using ::clinic::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedisUrlTest, HostAndPort) {
  absl::StatusOr<Endpoint> e = ParseUrl("redis://cache.internal:6380");
  CLINIC_ASSERT_OK(e);
  EXPECT_EQ(e->host, "cache.internal");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->db, 0);
  EXPECT_EQ(e->password, "");
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->Address(), "cache.internal:6380");
}

TEST(RedisUrlTest, DefaultsPort) {
  absl::StatusOr<Endpoint> e = ParseUrl("redis://127.0.0.1");
  CLINIC_ASSERT_OK(e);
  EXPECT_EQ(e->port, 6379);
  EXPECT_EQ(ParseUrl("redis://127.0.0.1/")->db, 0);
}

TEST(RedisUrlTest, PasswordUserAndDb) {
  absl::StatusOr<Endpoint> e = ParseUrl("redis://:s3cret@10.0.0.5:6379/4");
  CLINIC_ASSERT_OK(e);
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->username, "");
  EXPECT_EQ(e->db, 4);

  e = ParseUrl("redis://app:p%40ss%3Aw%2Ford@host:1/0");
  CLINIC_ASSERT_OK(e);
  EXPECT_EQ(e->username, "app");
  EXPECT_EQ(e->password, "p@ss:w/ord");
  EXPECT_EQ(e->host, "host");
  EXPECT_EQ(e->port, 1);
}

TEST(RedisUrlTest, Ipv6) {
  absl::StatusOr<Endpoint> e = ParseUrl("redis://[::1]:7000/2");
  CLINIC_ASSERT_OK(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(e->db, 2);
  EXPECT_EQ(e->Address(), "[::1]:7000");
}

TEST(RedisUrlTest, BadUrlsAreInvalidArgumentAndNeverEchoThePassword) {
  for (const char* url : {
           "",
           "127.0.0.1:6379",
           "http://127.0.0.1:6379",
           "rediss://:s3cret@127.0.0.1:6379",
           "redis://",
           "redis://:s3cret@",
           "redis://:s3cret@:6379",
           "redis://:s3cret@host:",
           "redis://:s3cret@host:0",
           "redis://:s3cret@host:65536",
           "redis://:s3cret@host:12ab",
           "redis://:s3cret@host:+12",
           "redis://:s3cret@host:6379/x",
           "redis://:s3cret@host:6379/-1",
           "redis://:s3cret@host:6379/1/2",
           "redis://:s3cret@host:6379?db=1",
           "redis://s3cret@host:6379",
           "redis://:@host:6379",
           "redis://:s3cret%zz@host:6379",
           "redis://:s3cret%4@host:6379",
           "redis://[::1:6379",
           "redis://ho st:6379",
       }) {
    SCOPED_TRACE(url);
    absl::StatusOr<Endpoint> e = ParseUrl(url);
    EXPECT_THAT(e, StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("s3cret"))));
  }
}

}  // namespace
}  // namespace clinic::redis
