#include "common/status/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace clinic::status {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

TEST(FieldViolationsTest, EmptyIsOk) { EXPECT_TRUE(FieldViolations().ToStatus().ok()); }

TEST(FieldViolationsTest, NamesEveryBadFieldInMessageAndDetails) {
  FieldViolations bad;
  bad.Add("patient.given_name", "must not be empty");
  bad.Add("patient.phone", "must be E.164");
  absl::Status s = bad.ToStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("patient.given_name"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("patient.phone"));
  EXPECT_THAT(GetFieldViolations(s),
              ElementsAre(Field(&FieldViolation::field, "patient.given_name"),
                          Field(&FieldViolation::field, "patient.phone")));
}

TEST(GrpcStatusTest, BadRequestTravelsInStatusDetails) {
  grpc::Status wire = ToGrpcStatus(InvalidField("page_size", "must not be negative"));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status detail;
  ASSERT_TRUE(detail.ParseFromString(wire.error_details()));
  EXPECT_EQ(detail.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  ASSERT_EQ(detail.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(detail.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "page_size");
}

TEST(GrpcStatusTest, RoundTripKeepsCodeMessageAndPayloads) {
  absl::Status original = AlreadyExists("clinic.patient.v1.Patient", "patients/42", "duplicate patient");
  absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
  EXPECT_EQ(back.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(back.message(), "duplicate patient");
  EXPECT_EQ(GetExistingResource(back), "patients/42");
}

TEST(GrpcStatusTest, OkAndPlainErrors) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status wire = ToGrpcStatus(absl::UnavailableError("database unreachable"));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(wire.error_details().empty());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace clinic::status
