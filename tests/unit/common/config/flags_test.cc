#include "common/config/flags.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "absl/flags/flag.h"

ABSL_FLAG(int, config_test_port, 50051, "A port, for the test.");
ABSL_FLAG(std::string, config_test_url, "redis://default", "A URL, for the test.");

namespace clinic::config {
namespace {

TEST(FlagsTest, EnvironmentVariableName) {
  EXPECT_EQ(EnvironmentVariableFor("redis_url"), "CLINIC_REDIS_URL");
}

TEST(FlagsTest, EnvironmentSetsFlags) {
  ::setenv("CLINIC_CONFIG_TEST_PORT", "7000", 1);
  ::setenv("CLINIC_CONFIG_TEST_URL", "redis://127.0.0.1:6400", 1);
  ASSERT_TRUE(ApplyEnvironment().ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_config_test_port), 7000);
  EXPECT_EQ(absl::GetFlag(FLAGS_config_test_url), "redis://127.0.0.1:6400");
  ::unsetenv("CLINIC_CONFIG_TEST_PORT");
  ::unsetenv("CLINIC_CONFIG_TEST_URL");
}

TEST(FlagsTest, CommandLineWinsOverEnvironment) {
  ::setenv("CLINIC_CONFIG_TEST_PORT", "7000", 1);
  char arg0[] = "prog";
  char arg1[] = "--config_test_port=8000";
  char* argv[] = {arg0, arg1};
  ParseFlags(2, argv, "test");
  EXPECT_EQ(absl::GetFlag(FLAGS_config_test_port), 8000);
  ::unsetenv("CLINIC_CONFIG_TEST_PORT");
}

TEST(FlagsTest, BadEnvironmentValueNamesTheVariable) {
  ::setenv("CLINIC_CONFIG_TEST_PORT", "not-a-number", 1);
  absl::Status s = ApplyEnvironment();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("CLINIC_CONFIG_TEST_PORT"), std::string::npos);
  ::unsetenv("CLINIC_CONFIG_TEST_PORT");
}

TEST(FlagsDeathTest, BadSettingStopsStartUpNamingIt) {
  EXPECT_EXIT(FailSetting("database_url", "unsupported scheme"), ::testing::ExitedWithCode(2),
              "--database_url \\(CLINIC_DATABASE_URL\\): unsupported scheme");
}

}  // namespace
}  // namespace clinic::config
