#include "services/notification/domain/templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"

namespace clinic::notification::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(TemplatesTest, PlaceholdersInOrderOfFirstUse) {
  absl::StatusOr<std::vector<std::string>> names =
      Placeholders("Hi! {{clinic_name}} on {{event_date}} at {{event_time}}. {{clinic_name}} x2");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ElementsAre("clinic_name", "event_date", "event_time"));
  EXPECT_THAT(*Placeholders("no placeholders { } }} {"), IsEmpty());
}

TEST(TemplatesTest, MalformedPlaceholdersAreRejected) {
  EXPECT_EQ(Placeholders("Hello {{name").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Placeholders("Hello {{Name}}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Placeholders("Hello {{}}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Placeholders("Hello {{ name }}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Placeholders("{{" + std::string(41, 'a') + "}}").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TemplatesTest, RenderFillsEveryPlaceholder) {
  const Rendered r = Render("See you at {{clinic_name}}, {{local_start}}. Reply STOP to {{clinic_name}}.",
                            {{"clinic_name", "Soho"}, {"local_start", "Tue 4 Jun 09:30"}, {"unused", "x"}});
  EXPECT_EQ(r.text, "See you at Soho, Tue 4 Jun 09:30. Reply STOP to Soho.");
  EXPECT_THAT(r.missing, IsEmpty());
}

TEST(TemplatesTest, RenderReportsEachMissingParameterOnce) {
  const Rendered r = Render("{{a}} {{b}} {{a}} {{c}}", {{"b", "B"}});
  EXPECT_THAT(r.missing, ElementsAre("a", "c"));
}

TEST(TemplatesTest, BuiltinParametersAreTheEventInTheClinicZone) {
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  // 2024-06-04 08:30 UTC is 09:30 BST.
  const auto p = BuiltinParameters(absl::FromCivil(absl::CivilSecond(2024, 6, 4, 8, 30, 0), absl::UTCTimeZone()), london);
  EXPECT_EQ(p.at("event_date"), "Tue 4 Jun 2024");
  EXPECT_EQ(p.at("event_time"), "09:30");
  EXPECT_TRUE(IsBuiltinPlaceholder("event_date"));
  EXPECT_FALSE(IsBuiltinPlaceholder("clinic_name"));
}

TEST(TemplatesTest, CanonicalLanguage) {
  EXPECT_EQ(CanonicalLanguage("en-gb"), "en-GB");
  EXPECT_EQ(CanonicalLanguage("EN"), "en");
  EXPECT_EQ(CanonicalLanguage("cy"), "cy");
  EXPECT_EQ(CanonicalLanguage("zh-hant-tw"), "zh-Hant-TW");
  EXPECT_EQ(CanonicalLanguage("es-419"), "es-419");
  EXPECT_EQ(CanonicalLanguage(""), std::nullopt);
  EXPECT_EQ(CanonicalLanguage("e"), std::nullopt);
  EXPECT_EQ(CanonicalLanguage("en_GB"), std::nullopt);
  EXPECT_EQ(CanonicalLanguage("en--GB"), std::nullopt);
  EXPECT_EQ(CanonicalLanguage("12"), std::nullopt);
}

TEST(TemplatesTest, LanguageFallsBackToItsPrefixThenEnGb) {
  EXPECT_THAT(LanguageFallbacks("en-GB"), ElementsAre("en-GB", "en"));
  EXPECT_THAT(LanguageFallbacks("cy-GB"), ElementsAre("cy-GB", "cy", "en-GB"));
  EXPECT_THAT(LanguageFallbacks("en-US"), ElementsAre("en-US", "en", "en-GB"));
  EXPECT_THAT(LanguageFallbacks("zh-Hant-TW"), ElementsAre("zh-Hant-TW", "zh-Hant", "zh", "en-GB"));
}

TEST(TemplatesTest, PickLanguage) {
  const std::vector<std::string> available = {"en-GB", "en", "cy"};
  EXPECT_EQ(PickLanguage(available, "cy-GB"), 2u);
  EXPECT_EQ(PickLanguage(available, "en-GB"), 0u);
  EXPECT_EQ(PickLanguage(available, "en-US"), 1u);   // "en" before the default
  EXPECT_EQ(PickLanguage(available, "fr"), 0u);      // the default
  EXPECT_EQ(PickLanguage({"fr", "de"}, "pl"), std::nullopt);
}

}  // namespace
}  // namespace clinic::notification::domain
