// grpc.health.v1.Health on the synchronous API (common/server/health_service.h), served
// by a plain in-process gRPC server.
#include "common/server/health_service.h"

#include <memory>
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace clinic::server {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;

constexpr char kService[] = "clinic.test.v1.TestService";
constexpr int kMaxWatchers = 2;

class HealthServiceTest : public ::testing::Test {
 protected:
  HealthServiceTest() : health_({kService}, kMaxWatchers) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    stub_ = Health::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                grpc::InsecureChannelCredentials()));
  }
  ~HealthServiceTest() override {
    health_.Shutdown();
    server_->Shutdown();
  }

  grpc::Status Check(const std::string& service, HealthCheckResponse* response) {
    grpc::ClientContext context;
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Check(&context, request, response);
  }

  // An open Watch and its context.
  struct Watch {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader;
    HealthCheckResponse::ServingStatus Next() {
      HealthCheckResponse response;
      return reader->Read(&response) ? response.status() : HealthCheckResponse::UNKNOWN;
    }
  };
  std::unique_ptr<Watch> StartWatch(const std::string& service) {
    auto watch = std::make_unique<Watch>();
    HealthCheckRequest request;
    request.set_service(service);
    watch->reader = stub_->Watch(&watch->context, request);
    return watch;
  }

  HealthService health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, CheckAnswersTheServerAndEachServiceAndNotFoundForOthers) {
  HealthCheckResponse response;
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);  // until told otherwise
  health_.SetAll(HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check("", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check(kService, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check("clinic.other.v1.Other", &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HealthServiceTest, SetAddsANameThatSetAllLeavesAlone) {
  const std::string component = std::string(kService) + "/redis_queue";
  HealthCheckResponse response;
  EXPECT_EQ(Check(component, &response).error_code(), grpc::StatusCode::NOT_FOUND);
  health_.Set(component, HealthCheckResponse::NOT_SERVING);
  health_.SetAll(HealthCheckResponse::SERVING);
  ASSERT_TRUE(Check(component, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  ASSERT_TRUE(Check(kService, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  auto watch = StartWatch(component);
  EXPECT_EQ(watch->Next(), HealthCheckResponse::NOT_SERVING);
  health_.Set(component, HealthCheckResponse::SERVING);
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
  watch->context.TryCancel();
  watch->reader->Finish();
}

TEST_F(HealthServiceTest, WatchSendsTheCurrentStatusThenEveryChange) {
  health_.SetAll(HealthCheckResponse::SERVING);
  auto watch = StartWatch(kService);
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
  health_.SetAll(HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(watch->Next(), HealthCheckResponse::NOT_SERVING);
  health_.SetAll(HealthCheckResponse::SERVING);
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVING);
  watch->context.TryCancel();
  EXPECT_EQ(watch->reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(HealthServiceTest, WatchOfAnUnknownServiceSaysServiceUnknown) {
  auto watch = StartWatch("clinic.other.v1.Other");
  EXPECT_EQ(watch->Next(), HealthCheckResponse::SERVICE_UNKNOWN);
  watch->context.TryCancel();
  watch->reader->Finish();
}

TEST_F(HealthServiceTest, WatchesBeyondTheCapAreRefusedAndACancelledOneFreesItsPlace) {
  auto first = StartWatch("");
  auto second = StartWatch("");
  ASSERT_EQ(first->Next(), HealthCheckResponse::NOT_SERVING);
  ASSERT_EQ(second->Next(), HealthCheckResponse::NOT_SERVING);
  auto third = StartWatch("");
  EXPECT_EQ(third->Next(), HealthCheckResponse::UNKNOWN);  // no message
  EXPECT_EQ(third->reader->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  first->context.TryCancel();
  first->reader->Finish();
  // The cancelled watch notices within its poll interval and frees its place.
  HealthCheckResponse::ServingStatus status = HealthCheckResponse::UNKNOWN;
  for (int attempt = 0; attempt < 100 && status == HealthCheckResponse::UNKNOWN; ++attempt) {
    auto again = StartWatch("");
    status = again->Next();
    if (status == HealthCheckResponse::UNKNOWN) {
      again->reader->Finish();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else {
      again->context.TryCancel();
      again->reader->Finish();
    }
  }
  EXPECT_EQ(status, HealthCheckResponse::NOT_SERVING);
  second->context.TryCancel();
  second->reader->Finish();
}

TEST_F(HealthServiceTest, ShutdownEndsOpenWatchesWithUnavailable) {
  auto watch = StartWatch("");
  ASSERT_EQ(watch->Next(), HealthCheckResponse::NOT_SERVING);
  health_.Shutdown();
  EXPECT_EQ(watch->Next(), HealthCheckResponse::UNKNOWN);  // the stream ends
  EXPECT_EQ(watch->reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  HealthCheckResponse response;
  EXPECT_TRUE(Check("", &response).ok());  // Check still answers while draining
}

}  // namespace
}  // namespace clinic::server
