// CheckRequestId only: RunOnce and PurgeRequestKeys need a database (integration tests).
#include "common/api/idempotency.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "clinic/inventory/v1/inventory_service.pb.h"
#include "tests/support/field_violations.h"

namespace clinic::api {
namespace {

using ::clinic::testing::FieldNames;
using ::testing::ElementsAre;

TEST(CheckRequestIdTest, AcceptsAUuidAndTheWholeAlphabet) {
  status::FieldViolations bad;
  CheckRequestId("0f8fad5b-d9cb-469f-a165-70867728950e", bad);
  CheckRequestId("ABCxyz019._-", bad);
  CheckRequestId("a", bad);
  CheckRequestId(std::string(128, 'r'), bad);
  EXPECT_TRUE(bad.empty());
}

TEST(CheckRequestIdTest, EmptyIsRequired) {
  status::FieldViolations bad;
  CheckRequestId("", bad);
  ASSERT_THAT(FieldNames(bad), ElementsAre("request_id"));
  EXPECT_EQ(bad.violations()[0].description, "required");
}

TEST(CheckRequestIdTest, RefusesTooLongAndOtherCharacters) {
  for (const std::string& id : {std::string(129, 'r'), std::string("a b"), std::string("a/b"), std::string("a:b"),
                                std::string("caf\xc3\xa9"), std::string("a\nb")}) {
    status::FieldViolations bad;
    CheckRequestId(id, bad);
    EXPECT_THAT(FieldNames(bad), ElementsAre("request_id")) << id;
  }
}

TEST(KeyOfTest, CarriesRequestIdMethodAndFingerprintOfTheWholeRequest) {
  inventory::v1::CreateProductRequest request;
  request.set_request_id("req-1");
  request.mutable_product()->set_sku("HYDROXO-1MG-1ML");
  const RequestKey key = KeyOf("CreateProduct", request);
  EXPECT_EQ(key.request_id, "req-1");
  EXPECT_EQ(key.method, "CreateProduct");
  EXPECT_EQ(key.request_hash, Fingerprint(request));

  inventory::v1::CreateProductRequest other = request;
  other.mutable_product()->set_sku("CYANO-1MG-1ML");
  EXPECT_NE(KeyOf("CreateProduct", other).request_hash, key.request_hash);
}

}  // namespace
}  // namespace clinic::api
