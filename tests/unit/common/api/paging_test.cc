#include "common/api/paging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "clinic/inventory/v1/inventory_service.pb.h"
#include "tests/support/field_violations.h"

namespace clinic::api {
namespace {

using ::clinic::testing::FieldNames;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

TEST(PageSizeTest, ZeroMeansTheDefault) {
  status::FieldViolations bad;
  EXPECT_EQ(PageSize(0, 50, 200, bad), 50);
  EXPECT_TRUE(bad.empty());
}

TEST(PageSizeTest, WithinTheMaximumIsKept) {
  status::FieldViolations bad;
  EXPECT_EQ(PageSize(1, 50, 200, bad), 1);
  EXPECT_EQ(PageSize(199, 50, 200, bad), 199);
  EXPECT_EQ(PageSize(200, 50, 200, bad), 200);
  EXPECT_TRUE(bad.empty());
}

TEST(PageSizeTest, AboveTheMaximumIsReducedToIt) {
  status::FieldViolations bad;
  EXPECT_EQ(PageSize(201, 50, 200, bad), 200);
  EXPECT_EQ(PageSize(2147483647, 50, 200, bad), 200);
  EXPECT_TRUE(bad.empty());
}

TEST(PageSizeTest, NegativeIsAViolation) {
  status::FieldViolations bad;
  PageSize(-1, 50, 200, bad);
  EXPECT_THAT(FieldNames(bad), ElementsAre("page_size"));
}

TEST(PageSizeTest, MostNegativeIsAViolation) {
  status::FieldViolations bad;
  PageSize(-2147483647 - 1, 50, 200, bad);
  EXPECT_THAT(FieldNames(bad), ElementsAre("page_size"));
}

// Published FNV-1a 64-bit test vectors (Fowler/Noll/Vo reference test suite).
TEST(FingerprintTest, MatchesPublishedFnv1a64Vectors) {
  EXPECT_EQ(Fingerprint(std::string_view("")), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fingerprint(std::string_view("a")), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fingerprint(std::string_view("foobar")), 0x85944171f73967e8ull);
}

TEST(FingerprintTest, HashesEveryByteIncludingNul) {
  EXPECT_NE(Fingerprint(std::string_view("a\0", 2)), Fingerprint(std::string_view("a")));
}

// ListProductsRequest{category: MEDICINE} serializes to the bytes 08 01; FNV-1a 64 of
// those two bytes, computed outside this code base, is 0x084db707b5028782.
TEST(FingerprintTest, OfAMessageIsTheFingerprintOfItsSerialization) {
  inventory::v1::ListProductsRequest request;
  request.set_category(inventory::v1::PRODUCT_CATEGORY_MEDICINE);
  EXPECT_EQ(Fingerprint(request), 0x084db707b5028782ull);
  EXPECT_EQ(Fingerprint(std::string_view("\x08\x01", 2)), 0x084db707b5028782ull);
}

TEST(FingerprintTest, OfAnEmptyMessageIsTheOffsetBasis) {
  EXPECT_EQ(Fingerprint(inventory::v1::ListProductsRequest()), 0xcbf29ce484222325ull);
}

TEST(FiltersOfTest, IgnoresPageTokenAndPageSize) {
  inventory::v1::ListProductsRequest first;
  first.set_category(inventory::v1::PRODUCT_CATEGORY_MEDICINE);
  inventory::v1::ListProductsRequest next = first;
  next.set_page_size(10);
  next.set_page_token("abc");
  EXPECT_EQ(FiltersOf(next), FiltersOf(first));
  EXPECT_EQ(FiltersOf(next), Fingerprint(first));
  // The request itself is unchanged.
  EXPECT_EQ(next.page_size(), 10);
  EXPECT_EQ(next.page_token(), "abc");
}

TEST(FiltersOfTest, DependsOnEveryOtherField) {
  inventory::v1::ListProductsRequest medicine;
  medicine.set_category(inventory::v1::PRODUCT_CATEGORY_MEDICINE);
  inventory::v1::ListProductsRequest consumable;
  consumable.set_category(inventory::v1::PRODUCT_CATEGORY_CONSUMABLE);
  inventory::v1::ListProductsRequest with_discontinued = medicine;
  with_discontinued.set_show_discontinued(true);

  EXPECT_NE(FiltersOf(medicine), FiltersOf(consumable));
  EXPECT_NE(FiltersOf(medicine), FiltersOf(with_discontinued));
  EXPECT_NE(FiltersOf(medicine), FiltersOf(inventory::v1::ListProductsRequest()));
}

TEST(PageTokenTest, RoundTripsTheCursor) {
  const uint64_t filters = 0x0123456789abcdefull;
  const std::string token = EncodePageToken(filters, {"2024-03-01", "lot-7"});
  status::FieldViolations bad;
  EXPECT_THAT(DecodePageToken(token, filters, bad), Optional(ElementsAre("2024-03-01", "lot-7")));
  EXPECT_TRUE(bad.empty());
}

TEST(PageTokenTest, RoundTripsOnePartCursorWithExtremeFilters) {
  for (uint64_t filters : {uint64_t{0}, uint64_t{1}, ~uint64_t{0}}) {
    const std::string token = EncodePageToken(filters, {"p1"});
    status::FieldViolations bad;
    EXPECT_THAT(DecodePageToken(token, filters, bad), Optional(ElementsAre("p1"))) << filters;
    EXPECT_TRUE(bad.empty()) << filters;
  }
}

TEST(PageTokenTest, IsOpaqueWebSafeText) {
  const std::string token = EncodePageToken(42, {"Some Name", "x/y+z"});
  EXPECT_FALSE(token.empty());
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token;
  EXPECT_EQ(token.find("Some"), std::string::npos);
}

TEST(PageTokenTest, EmptyTokenIsTheFirstPage) {
  status::FieldViolations bad;
  EXPECT_THAT(DecodePageToken("", 7, bad), Optional(IsEmpty()));
  EXPECT_TRUE(bad.empty());
}

TEST(PageTokenTest, TokenForOtherFiltersIsRefused) {
  inventory::v1::ListProductsRequest medicine;
  medicine.set_category(inventory::v1::PRODUCT_CATEGORY_MEDICINE);
  inventory::v1::ListProductsRequest consumable;
  consumable.set_category(inventory::v1::PRODUCT_CATEGORY_CONSUMABLE);
  const std::string token = EncodePageToken(FiltersOf(medicine), {"p1"});

  status::FieldViolations bad;
  EXPECT_EQ(DecodePageToken(token, FiltersOf(consumable), bad), std::nullopt);
  EXPECT_THAT(FieldNames(bad), ElementsAre("page_token"));
}

class GarbageTokenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GarbageTokenTest, IsRefusedWithOneViolation) {
  status::FieldViolations bad;
  EXPECT_EQ(DecodePageToken(GetParam(), 42, bad), std::nullopt);
  EXPECT_THAT(FieldNames(bad), ElementsAre("page_token"));
}

INSTANTIATE_TEST_SUITE_P(
    PageToken, GarbageTokenTest,
    ::testing::Values("!!!!",                                             // not base64
                      "not a token",                                      // spaces
                      absl::WebSafeBase64Escape("2a"),                    // no separator
                      absl::WebSafeBase64Escape("zz\x1fp1"),              // filters not hex
                      absl::WebSafeBase64Escape(std::string("\x1fp1")),   // filters empty
                      absl::WebSafeBase64Escape("12345678901234567\x1fp1")));  // > 64 bits

}  // namespace
}  // namespace clinic::api
