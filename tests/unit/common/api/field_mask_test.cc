#include "common/api/field_mask.h"
#include "tests/support/field_violations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clinic::api {
namespace {

using ::clinic::testing::FieldNames;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* path : paths) mask.add_paths(path);
  return mask;
}

TEST(CheckUpdateMaskTest, EmptyMaskIsAViolation) {
  status::FieldViolations bad;
  EXPECT_THAT(CheckUpdateMask(google::protobuf::FieldMask(), {"display_name", "strength"}, bad), IsEmpty());
  EXPECT_THAT(FieldNames(bad), ElementsAre("update_mask"));
}

TEST(CheckUpdateMaskTest, StarIsAViolation) {
  status::FieldViolations bad;
  EXPECT_THAT(CheckUpdateMask(Mask({"*"}), {"display_name", "strength"}, bad), IsEmpty());
  EXPECT_THAT(FieldNames(bad), ElementsAre("update_mask"));
}

TEST(CheckUpdateMaskTest, AllowedPathsAreReturned) {
  status::FieldViolations bad;
  EXPECT_THAT(CheckUpdateMask(Mask({"strength", "display_name"}), {"display_name", "strength", "volume"}, bad),
              ElementsAre("display_name", "strength"));
  EXPECT_TRUE(bad.empty());
}

TEST(CheckUpdateMaskTest, RepeatedPathIsReturnedOnce) {
  status::FieldViolations bad;
  EXPECT_THAT(CheckUpdateMask(Mask({"volume", "volume"}), {"volume"}, bad), ElementsAre("volume"));
  EXPECT_TRUE(bad.empty());
}

TEST(CheckUpdateMaskTest, UnknownPathIsAViolationNamingItAndTheOthersAreStillReturned) {
  status::FieldViolations bad;
  EXPECT_THAT(CheckUpdateMask(Mask({"display_name", "sku"}), {"display_name", "strength"}, bad),
              ElementsAre("display_name"));
  ASSERT_THAT(FieldNames(bad), ElementsAre("update_mask"));
  EXPECT_THAT(bad.violations()[0].description, HasSubstr("\"sku\""));
  EXPECT_THAT(bad.violations()[0].description, HasSubstr("display_name, strength"));
}

TEST(CheckUpdateMaskTest, EachUnknownPathIsItsOwnViolation) {
  status::FieldViolations bad;
  EXPECT_THAT(CheckUpdateMask(Mask({"sku", "name", "DISPLAY_NAME"}), {"display_name"}, bad), IsEmpty());
  EXPECT_THAT(FieldNames(bad), ElementsAre("update_mask", "update_mask", "update_mask"));
}

TEST(CheckUpdateMaskTest, SubPathOfAnAllowedPathIsNotAllowed) {
  status::FieldViolations bad;
  EXPECT_THAT(CheckUpdateMask(Mask({"strength.value"}), {"strength"}, bad), IsEmpty());
  EXPECT_THAT(FieldNames(bad), ElementsAre("update_mask"));
}

}  // namespace
}  // namespace clinic::api
