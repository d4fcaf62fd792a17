#include "tests/support/service_harness.h"

#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/clock/clock.h"
#include "common/server/call.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "tests/support/postgres_server.h"

namespace clinic::testing {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-service-test";

}  // namespace

std::string BackendName(Backend backend) { return backend == Backend::kSqlite ? "Sqlite" : "Postgres"; }

ServiceHarness::ServiceHarness(Backend backend) : backend_(backend) {
  key_file_ = dir_.File("hs256.key");
  std::ofstream(key_file_) << kSecret;
  auth::JwtVerifierOptions options;
  options.hs256_key_file = key_file_;
  // Tokens are checked against the real time: they are minted with absl::Now().
  static const SystemClock system_clock;
  absl::StatusOr<std::unique_ptr<auth::TokenVerifier>> verifier = auth::NewJwtVerifier(options, system_clock);
  if (!verifier.ok()) {
    ADD_FAILURE() << "JWT verifier: " << verifier.status();
    return;
  }
  verifier_ = *std::move(verifier);
  calls_ = std::make_unique<server::CallRunner>(*verifier_);
}

ServiceHarness::~ServiceHarness() {
  Shutdown();
  services_.clear();
}

absl::Status ServiceHarness::OpenDatabase(std::span<const sql::Migration> migrations) {
  database_url_ = backend_ == Backend::kSqlite ? "sqlite://" + dir_.File("service.db")
                                               : PostgresServer::Shared().CreateDatabase();
  absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Open(database_url_);
  if (!db.ok()) return db.status();
  db_ = *std::move(db);
  return sql::Migrate(*db_, migrations);
}

std::string ServiceHarness::Token(auth::Role role, std::string subject, std::optional<std::string> clinic) const {
  auth::Claims claims;
  claims.subject = std::move(subject);
  claims.role = role;
  claims.clinic = std::move(clinic);
  claims.issued_at = absl::Now();
  claims.expires_at = absl::Now() + absl::Hours(1);
  return auth::MintHs256(claims, kSecret).value();
}

std::shared_ptr<grpc::Channel> ServiceHarness::Serve(std::initializer_list<grpc::Service*> services) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    ADD_FAILURE() << "the test server did not start";
    return nullptr;
  }
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

void ServiceHarness::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_.reset();
}

}  // namespace clinic::testing
