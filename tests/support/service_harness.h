#pragma once

// What every service test over a real gRPC channel sets up the same way, so that each
// suite holds only its own cases:
//   - the database of the backend under test, migrated: a SQLite file in a temporary
//     folder, or a fresh database in this process's PostgreSQL cluster;
//   - an HS256 key file, a JWT verifier on it and the CallRunner that the service's
//     handlers authenticate with; tokens for any role;
//   - an in-process server on a free loopback port for the services under test.
//
//   class InventoryServiceTest : public ::testing::TestWithParam<Backend> {
//     void SetUp() override {
//       CLINIC_ASSERT_OK(harness_.OpenDatabase(Migrations()));
//       service_ = harness_.Adopt(std::make_unique<InventoryService>(harness_.calls(), harness_.db(), clock_));
//       stub_ = v1::InventoryService::NewStub(harness_.Serve({service_}));
//     }
//     FakeClock clock_{...};          // what the services use: declared before the harness
//     ServiceHarness harness_{GetParam()};
//     InventoryService* service_;
//   };
//   ... CallWith(*stub_, &Stub::GetLot, harness_.Token(auth::Role::kClinicManager, "m", "north"), req, &lot)
//
// The destructor stops the server, then destroys the adopted services, then the
// database: declare what the services use (clocks, fakes) before the harness.

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/auth/role.h"
#include "common/status/grpc_status.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/service_type.h"
#include "tests/support/field_violations.h"
#include "tests/support/temp_dir.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace clinic {
namespace auth {
class TokenVerifier;
}
namespace server {
class CallRunner;
}
namespace sql {
class Database;
struct Migration;
}  // namespace sql
}  // namespace clinic

namespace clinic::testing {

enum class Backend { kSqlite, kPostgres };

// "Sqlite" or "Postgres": the suffix of a parameterised test's name.
std::string BackendName(Backend backend);

class ServiceHarness {
 public:
  explicit ServiceHarness(Backend backend);
  ~ServiceHarness();
  ServiceHarness(const ServiceHarness&) = delete;
  ServiceHarness& operator=(const ServiceHarness&) = delete;

  // Opens the backend's database and applies `migrations`.
  absl::Status OpenDatabase(std::span<const sql::Migration> migrations);
  // The database's URL (valid after OpenDatabase), e.g. to open a second connection.
  const std::string& database_url() const { return database_url_; }
  sql::Database& db() { return *db_; }

  // The HS256 key file the verifier uses (e.g. for a service process's --jwt_key_file).
  const std::string& key_file() const { return key_file_; }
  server::CallRunner& calls() { return *calls_; }
  // The verifier the services authenticate with (e.g. to check a token a peer sent).
  const auth::TokenVerifier& verifier() const { return *verifier_; }
  // A token signed with the key, valid for an hour.
  std::string Token(auth::Role role, std::string subject, std::optional<std::string> clinic) const;

  // Keeps `service` until the harness is destroyed, after its server has stopped.
  template <typename S>
  S* Adopt(std::unique_ptr<S> service) {
    S* raw = service.get();
    services_.push_back(std::move(service));
    return raw;
  }

  // Starts a server on a free 127.0.0.1 port with `services` (adopted, or otherwise
  // outliving the server) and returns a channel to it; a test failure and nullptr if it
  // cannot start.
  std::shared_ptr<grpc::Channel> Serve(std::initializer_list<grpc::Service*> services);
  // Stops the server (in-flight calls get 5 s). Idempotent.
  void Shutdown();

  TempDir& dir() { return dir_; }

 private:
  const Backend backend_;
  TempDir dir_;
  std::string database_url_;
  std::unique_ptr<sql::Database> db_;
  std::string key_file_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<server::CallRunner> calls_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
};

// One unary RPC on `stub` with `token` as its bearer token and `metadata` added, a 30 s
// deadline; the status converted back to absl.
template <typename Stub, typename Request, typename Response>
absl::Status CallWith(Stub& stub,
                      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                      std::string_view token, const Request& request, Response* response,
                      std::initializer_list<std::pair<std::string, std::string>> metadata = {}) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context.AddMetadata("authorization", "Bearer " + std::string(token));
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  return status::FromGrpcStatus((stub.*method)(&context, request, response));
}

}  // namespace clinic::testing
