#include "services/patient/domain/name_folding.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace clinic::patient::domain {
namespace {

struct FoldCase {
  std::string input;
  std::string folded;
};

void PrintTo(const FoldCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.input); }

class FoldNameTest : public ::testing::TestWithParam<FoldCase> {};

TEST_P(FoldNameTest, Folds) { EXPECT_EQ(FoldName(GetParam().input), GetParam().folded); }

INSTANTIATE_TEST_SUITE_P(
    Cases, FoldNameTest,
    ::testing::Values(FoldCase{"Ann", "ann"}, FoldCase{"  ANN  ", "ann"},
                      FoldCase{"Mary  \t Jane", "mary jane"},     // inner space collapsed
                      FoldCase{"Mary\xC2\xA0Jane", "mary jane"},  // no-break space
                      FoldCase{"Zoë", "zoe"}, FoldCase{"ZOË", "zoe"},
                      FoldCase{"Zoe\xCC\x88", "zoe"},  // decomposed e + combining diaeresis
                      FoldCase{"Élodie", "elodie"}, FoldCase{"Łukasz", "lukasz"},
                      FoldCase{"Straße", "strasse"}, FoldCase{"Ærøskøbing", "aeroskobing"},
                      FoldCase{"Þóra", "thora"}, FoldCase{"Œuvre", "oeuvre"},
                      FoldCase{"Dvořák", "dvorak"}, FoldCase{"Şahin", "sahin"},
                      FoldCase{"O\xE2\x80\x99"
                               "Brien",
                               "o'brien"},                                // typographic apostrophe
                      FoldCase{"Smith\xE2\x80\x90Jones", "smith-jones"},  // U+2010 hyphen
                      FoldCase{"ИВАН", "иван"}, FoldCase{"Ёлкин", "елкин"},
                      FoldCase{"ΣΟΦΙΑ", "σοφια"}, FoldCase{"日本", "日本"}, FoldCase{"", ""},
                      FoldCase{"   ", ""}));

TEST(FoldNameTest, DifferentNamesStayDifferent) {
  EXPECT_NE(FoldName("Ann"), FoldName("Anne"));
  EXPECT_NE(FoldName("Mary Jane"), FoldName("MaryJane"));
  EXPECT_NE(FoldName("O'Brien"), FoldName("OBrien"));
}

}  // namespace
}  // namespace clinic::patient::domain
