// Health detail (common/server/health_components.h): the component registry, names and
// the JSON of GET /healthz.
#include "common/server/health_components.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "nlohmann/json.hpp"

namespace clinic::server {
namespace {

TEST(HealthComponentsTest, SetAddsAndReportsOnlyRealChanges) {
  HealthComponents components;
  EXPECT_TRUE(components.Snapshot().empty());
  EXPECT_TRUE(components.Set("redis_queue", {ComponentState::kServing, ""}));
  EXPECT_FALSE(components.Set("redis_queue", {ComponentState::kServing, ""}));
  EXPECT_TRUE(components.Set("redis_queue", {ComponentState::kNotServing, "unreachable since X"}));
  EXPECT_TRUE(components.Set("redis_queue", {ComponentState::kNotServing, "unreachable since Y"}));  // detail
  EXPECT_TRUE(components.Set("database", {ComponentState::kServing, ""}));
  const auto snapshot = components.Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot.at("redis_queue").state, ComponentState::kNotServing);
  EXPECT_EQ(snapshot.at("redis_queue").detail, "unreachable since Y");
  EXPECT_EQ(snapshot.at("database").state, ComponentState::kServing);
}

TEST(HealthComponentsTest, StateNamesAreTheGrpcHealthNames) {
  EXPECT_EQ(ComponentStateName(ComponentState::kServing), "SERVING");
  EXPECT_EQ(ComponentStateName(ComponentState::kNotServing), "NOT_SERVING");
  EXPECT_EQ(ComponentStateName(ComponentState::kUnknown), "UNKNOWN");
}

TEST(HealthComponentsTest, ComponentNamesAreLowercaseWordsOfAtMost64) {
  EXPECT_TRUE(IsComponentName("database"));
  EXPECT_TRUE(IsComponentName("redis_queue2"));
  EXPECT_TRUE(IsComponentName(std::string(64, 'a')));
  EXPECT_FALSE(IsComponentName(""));
  EXPECT_FALSE(IsComponentName(std::string(65, 'a')));
  EXPECT_FALSE(IsComponentName("Redis"));
  EXPECT_FALSE(IsComponentName("redis/queue"));
  EXPECT_FALSE(IsComponentName("redis queue"));
}

TEST(HealthJsonTest, ServingWithComponentsAndDetailOnlyWhenGiven) {
  const std::string text =
      HealthJson(true, {{"database", {ComponentState::kServing, ""}},
                        {"redis_queue", {ComponentState::kNotServing, "unreachable since 2026-11-25T13:02:11Z"}},
                        {"patient_service", {ComponentState::kUnknown, "no lookup yet"}}});
  EXPECT_EQ(text,
            R"({"status":"SERVING","components":{"database":{"status":"SERVING"},)"
            R"("patient_service":{"status":"UNKNOWN","detail":"no lookup yet"},)"
            R"("redis_queue":{"status":"NOT_SERVING","detail":"unreachable since 2026-11-25T13:02:11Z"}}})");
}

TEST(HealthJsonTest, NotServingWithoutComponents) {
  EXPECT_EQ(HealthJson(false, {}), R"({"status":"NOT_SERVING","components":{}})");
}

TEST(HealthJsonTest, DetailIsEscapedAndBadUtf8IsReplaced) {
  const std::string text = HealthJson(true, {{"database", {ComponentState::kNotServing, "say \"no\"\n\xff"}}});
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(parsed.is_object()) << text;
  EXPECT_EQ(parsed["components"]["database"]["detail"], "say \"no\"\n\xEF\xBF\xBD");
}

}  // namespace
}  // namespace clinic::server
