// The patient service over a real gRPC channel, on both backends: a SQLite file and a
// fresh database in this process's PostgreSQL cluster. Time is a FakeClock.

#include <atomic>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/patient/v1/patient_service.grpc.pb.h"
#include "common/api/convert.h"
#include "common/auth/jwt.h"
#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "common/status/grpc_status.h"
#include "common/status/status.h"
#include "common/sync/notification.h"
#include "grpcpp/grpcpp.h"
#include "services/patient/access_log_store.h"
#include "services/patient/access_log_writer.h"
#include "services/patient/clinical_store.h"
#include "services/patient/domain/access_log_chain.h"
#include "services/patient/handler_support.h"
#include "services/patient/patient_service.h"
#include "services/patient/schema.h"
#include "tests/support/fake_clock.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace clinic::patient {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::PostgresServer;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

enum class Backend { kSqlite, kPostgres };

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-patient-test";
constexpr char kNorth[] = "clinic-north";
constexpr char kSouth[] = "clinic-south";
constexpr char kEast[] = "clinic-east";

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : status::GetFieldViolations(status)) fields.push_back(v.field);
  return fields;
}

using Stub = v1::PatientService::Stub;

class PatientServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  // 10:00 UTC on 2026-11-25.
  PatientServiceTest() : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 25, 10, 0, 0), absl::UTCTimeZone())) {}

  void SetUp() override {
    const std::string url = GetParam() == Backend::kSqlite ? "sqlite://" + dir_.File("patient.db")
                                                            : PostgresServer::Shared().CreateDatabase();
    absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Open(url);
    CLINIC_ASSERT_OK(db.status());
    db_ = *std::move(db);
    CLINIC_ASSERT_OK(sql::Migrate(*db_, Migrations()));
    CLINIC_ASSERT_OK(store::SeedReferenceData(*db_, clock_.Now()));
    CLINIC_ASSERT_OK(store::SeedReferenceData(*db_, clock_.Now()));  // idempotent
    const std::string key_file = dir_.File("hs256.key");
    std::ofstream(key_file) << kSecret;
    auth::JwtVerifierOptions options;
    options.hs256_key_file = key_file;
    absl::StatusOr<std::unique_ptr<auth::TokenVerifier>> verifier = auth::NewJwtVerifier(options, system_clock_);
    CLINIC_ASSERT_OK(verifier.status());
    verifier_ = *std::move(verifier);
    calls_ = std::make_unique<server::CallRunner>(*verifier_);
    service_ = std::make_unique<PatientService>(*calls_, *db_, clock_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::PatientService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

    north_reception_ = Token(auth::Role::kReception, "rec-north", kNorth);
    north_clinician_ = Token(auth::Role::kClinician, "doc-north", kNorth);
    north_manager_ = Token(auth::Role::kClinicManager, "mgr-north", kNorth);
    south_reception_ = Token(auth::Role::kReception, "rec-south", kSouth);
    south_clinician_ = Token(auth::Role::kClinician, "doc-south", kSouth);
    east_reception_ = Token(auth::Role::kReception, "rec-east", kEast);
    dpo_ = Token(auth::Role::kDpo, "dpo-1", std::nullopt);
    notification_ = Token(auth::Role::kService, "notification", std::nullopt);
    scheduling_ = Token(auth::Role::kService, "scheduling", std::nullopt);
    network_admin_ = Token(auth::Role::kNetworkAdmin, "admin-1", std::nullopt);
    north_practitioner_ = Token(auth::Role::kPractitioner, "nurse-north", kNorth);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  std::string Token(auth::Role role, std::string subject, std::optional<std::string> clinic) {
    auth::Claims claims;
    claims.subject = std::move(subject);
    claims.role = role;
    claims.clinic = std::move(clinic);
    claims.issued_at = absl::Now();
    claims.expires_at = absl::Now() + absl::Hours(1);
    return auth::MintHs256(claims, kSecret).value();
  }

  // One RPC with `token` (and the x-access-purpose metadata when given).
  template <typename Request, typename Response>
  absl::Status Rpc(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const std::string& token, const Request& request, Response* response,
                   const std::string& purpose = "") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context.AddMetadata("authorization", "Bearer " + token);
    if (!purpose.empty()) context.AddMetadata("x-access-purpose", purpose);
    return status::FromGrpcStatus((stub_.get()->*method)(&context, request, response));
  }

  std::string NewRequestId() { return absl::StrCat("req-", ++request_counter_); }

  static v1::Patient Person(const std::string& given, const std::string& family, const std::string& phone) {
    v1::Patient p;
    p.set_given_name(given);
    p.set_family_name(family);
    *p.mutable_birth_date() = api::ToDate(absl::CivilDay(1980, 4, 12));
    p.set_phone_number(phone);
    p.set_email("");
    p.set_language_code("en-GB");
    return p;
  }

  v1::CreatePatientRequest CreateRequest(const v1::Patient& patient) {
    v1::CreatePatientRequest request;
    request.set_request_id(NewRequestId());
    *request.mutable_patient() = patient;
    return request;
  }

  absl::StatusOr<v1::Patient> Create(const std::string& token, const v1::Patient& patient) {
    v1::Patient created;
    absl::Status s = Rpc(&Stub::CreatePatient, token, CreateRequest(patient), &created);
    if (!s.ok()) return s;
    return created;
  }

  // Registers Ada Lovelace at the north clinic.
  v1::Patient CreateAda() {
    absl::StatusOr<v1::Patient> created = Create(north_reception_, Person("Ada", "Lovelace", "+447700900123"));
    EXPECT_THAT(created, IsOk());
    return created.value_or(v1::Patient());
  }

  absl::StatusOr<v1::Patient> Get(const std::string& token, const std::string& name) {
    v1::GetPatientRequest request;
    request.set_name(name);
    v1::Patient patient;
    absl::Status s = Rpc(&Stub::GetPatient, token, request, &patient);
    if (!s.ok()) return s;
    return patient;
  }

  absl::StatusOr<std::vector<std::string>> SearchNames(const std::string& token, v1::SearchPatientsRequest request) {
    std::vector<std::string> names;
    do {
      v1::SearchPatientsResponse response;
      if (absl::Status s = Rpc(&Stub::SearchPatients, token, request, &response); !s.ok()) return s;
      for (const v1::Patient& p : response.patients()) names.push_back(p.name());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return names;
  }

  // The names SearchNames finds (expected to succeed).
  std::vector<std::string> Found(const std::string& token, const v1::SearchPatientsRequest& request) {
    absl::StatusOr<std::vector<std::string>> names = SearchNames(token, request);
    EXPECT_THAT(names, IsOk());
    return names.value_or(std::vector<std::string>());
  }

  v1::Consent GetConsent(const std::string& token, const std::string& patient) {
    v1::GetConsentRequest request;
    request.set_name(patient + "/consent");
    v1::Consent consent;
    EXPECT_THAT(Rpc(&Stub::GetConsent, token, request, &consent), IsOk());
    return consent;
  }

  absl::Status Share(const std::string& token, const std::string& patient, v1::SharingScope scope,
                     std::vector<std::string> clinics = {}) {
    v1::UpdateSharingConsentRequest request;
    request.set_request_id(NewRequestId());
    request.set_name(patient + "/consent");
    request.set_etag(GetConsent(token, patient).etag());
    request.mutable_sharing()->set_scope(scope);
    for (const std::string& c : clinics) request.mutable_sharing()->add_clinics(c);
    *request.mutable_sharing()->mutable_grant_time() = api::ToTimestamp(clock_.Now() - absl::Minutes(5));
    v1::Consent consent;
    return Rpc(&Stub::UpdateSharingConsent, token, request, &consent);
  }

  absl::Status Withdraw(const std::string& token, const std::string& patient) {
    v1::WithdrawSharingConsentRequest request;
    request.set_request_id(NewRequestId());
    request.set_name(patient + "/consent");
    v1::Consent consent;
    return Rpc(&Stub::WithdrawSharingConsent, token, request, &consent);
  }

  std::vector<v1::AccessLogEntry> AccessLog(const std::string& patient) {
    v1::ListAccessLogRequest request;
    request.set_parent(patient);
    request.set_page_size(1000);
    v1::ListAccessLogResponse response;
    EXPECT_THAT(Rpc(&Stub::ListAccessLog, dpo_, request, &response), IsOk());
    return {response.access_log_entries().begin(), response.access_log_entries().end()};
  }

  // The stored chain of `patient` verifies from its first entry.
  void ExpectChainVerifies(const std::string& patient) {
    const std::string id = patient.substr(sizeof("patients/") - 1);
    std::vector<domain::AccessLogRecord> records;
    CLINIC_ASSERT_OK(db_->Transact([&](sql::Transaction& tx) -> absl::Status {
      absl::StatusOr<std::vector<domain::AccessLogRecord>> chain = store::ReadAccessLogChain(tx, id);
      if (!chain.ok()) return chain.status();
      records = *std::move(chain);
      return absl::OkStatus();
    }));
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(domain::VerifyChain(records), std::nullopt);
  }

  v1::RecordLabResultRequest LabRequest(const std::string& patient, v1::Analyte analyte, const std::string& value,
                                       v1::LabUnit unit, const std::string& laboratory = "laboratories/default") {
    v1::RecordLabResultRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(patient);
    v1::LabResult* r = request.mutable_lab_result();
    r->set_analyte(analyte);
    r->mutable_value()->set_value(value);
    r->set_unit(unit);
    r->set_laboratory(laboratory);
    *r->mutable_collection_time() = api::ToTimestamp(clock_.Now() - absl::Hours(24));
    return request;
  }

  absl::StatusOr<v1::LabResult> RecordLab(const v1::RecordLabResultRequest& request) {
    v1::LabResult result;
    absl::Status s = Rpc(&Stub::RecordLabResult, north_clinician_, request, &result);
    if (!s.ok()) return s;
    return result;
  }

  absl::StatusOr<v1::EligibilityAssessment> Assess(const std::string& token, const std::string& patient,
                                                    const std::string& product = "") {
    v1::AssessEligibilityRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(patient);
    request.set_product(product);
    v1::EligibilityAssessment assessment;
    absl::Status s = Rpc(&Stub::AssessEligibility, token, request, &assessment);
    if (!s.ok()) return s;
    return assessment;
  }

  int64_t CountRows(const std::string& table) {
    absl::StatusOr<sql::ResultSet> rows = db_->Query("SELECT COUNT(*) FROM " + table);
    EXPECT_THAT(rows, IsOk());
    return rows.ok() ? (*rows)[0].GetInt64(0) : -1;
  }

  TempDir dir_;
  SystemClock system_clock_;
  FakeClock clock_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<server::CallRunner> calls_;
  std::unique_ptr<PatientService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
  std::string north_reception_, north_clinician_, north_manager_, south_reception_, south_clinician_,
      east_reception_, dpo_, notification_, scheduling_, network_admin_, north_practitioner_;
  std::atomic<int> request_counter_{0};
};

TEST_P(PatientServiceTest, CreateThenGetReturnsTheCanonicalRecordAtTheCallersClinic) {
  v1::Patient input = Person("  Ada ", "Lovelace", "+44 (0)7700 900-123");
  input.set_email("Ada@Example.COM");
  input.mutable_postal_address()->add_address_lines("12 St James's Square");
  input.mutable_postal_address()->set_locality("London");
  input.mutable_postal_address()->set_postal_code("SW1Y 4JH");
  input.mutable_postal_address()->set_region_code("gb");
  input.set_home_clinic("clinics/elsewhere");  // output only: ignored
  v1::CreatePatientRequest request = CreateRequest(input);
  v1::Patient created;
  CLINIC_ASSERT_OK(Rpc(&Stub::CreatePatient, north_reception_, request, &created));
  EXPECT_THAT(created.name(), ::testing::StartsWith("patients/"));
  EXPECT_EQ(created.given_name(), "Ada");
  EXPECT_EQ(created.phone_number(), "+447700900123");
  EXPECT_EQ(created.email(), "Ada@example.com");
  EXPECT_EQ(created.postal_address().region_code(), "GB");
  EXPECT_EQ(created.home_clinic(), absl::StrCat("clinics/", kNorth));
  EXPECT_EQ(created.state(), v1::Patient::STATE_ACTIVE);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_EQ(api::FromTimestamp(created.create_time()), clock_.Now());

  // A retry with the same request_id: the same record, nothing more stored.
  v1::Patient again;
  CLINIC_ASSERT_OK(Rpc(&Stub::CreatePatient, north_reception_, request, &again));
  EXPECT_EQ(again.name(), created.name());
  EXPECT_EQ(CountRows("patients"), 1);

  absl::StatusOr<v1::Patient> read = Get(north_clinician_, created.name());
  CLINIC_ASSERT_OK(read.status());
  EXPECT_EQ(read->SerializeAsString(), created.SerializeAsString());
  // Network-level and service identities that may read demographics see it too.
  EXPECT_THAT(Get(dpo_, created.name()), IsOk());
  EXPECT_THAT(Get(scheduling_, created.name()), IsOk());
  // The notification service may only look contacts up.
  EXPECT_THAT(Get(notification_, created.name()), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(PatientServiceTest, BadPatientNamesEachFieldAndStoresNothing) {
  v1::Patient bad = Person("", "Lovelace", "07700 900123");
  *bad.mutable_birth_date() = api::ToDate(absl::CivilDay(2027, 1, 1));
  bad.set_email("not an email");
  bad.set_sex(static_cast<v1::Sex>(42));
  v1::CreatePatientRequest request = CreateRequest(bad);
  request.set_request_id("");
  v1::Patient created;
  const absl::Status s = Rpc(&Stub::CreatePatient, north_reception_, request, &created);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), UnorderedElementsAre("request_id", "patient.given_name", "patient.birth_date",
                                                      "patient.phone_number", "patient.email", "patient.sex"));
  // Neither a phone number nor an email: both named.
  v1::Patient no_contact = Person("Ada", "Lovelace", "");
  const absl::Status s2 = Rpc(&Stub::CreatePatient, north_reception_, CreateRequest(no_contact), &created);
  EXPECT_THAT(ViolatedFields(s2), UnorderedElementsAre("patient.phone_number", "patient.email"));
  // A name too long, a date before 1900.
  v1::Patient old = Person(std::string(201, 'a'), "Lovelace", "+447700900123");
  *old.mutable_birth_date() = api::ToDate(absl::CivilDay(1899, 12, 31));
  const absl::Status s3 = Rpc(&Stub::CreatePatient, north_reception_, CreateRequest(old), &created);
  EXPECT_THAT(ViolatedFields(s3), UnorderedElementsAre("patient.given_name", "patient.birth_date"));
  EXPECT_EQ(CountRows("patients"), 0);
  EXPECT_EQ(CountRows("access_log"), 0);
  // Roles that may not register.
  EXPECT_THAT(Create(dpo_, Person("Ada", "Lovelace", "+447700900123")), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Create(scheduling_, Person("Ada", "Lovelace", "+447700900123")),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_P(PatientServiceTest, DuplicateAmongVisibleRecordsIsAlreadyExistsNamingTheRecord) {
  const v1::Patient ada = CreateAda();
  // Same person: names folded (case, accents, spacing), the phone written differently.
  v1::Patient same = Person("ADÁ", "  lovelace ", "+44 7700 900123");
  same.set_email("ada@example.com");
  const absl::StatusOr<v1::Patient> duplicate = Create(north_clinician_, same);
  EXPECT_THAT(duplicate, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(status::GetExistingResource(duplicate.status()), ada.name());
  // The same name and birth date with another phone and no common email: another person.
  EXPECT_THAT(Create(north_reception_, Person("Ada", "Lovelace", "+447700900999")), IsOk());

  // South cannot see the north record: registering the same person there is allowed,
  // and the answer does not reveal the north record.
  absl::StatusOr<v1::Patient> at_south = Create(south_reception_, same);
  CLINIC_ASSERT_OK(at_south.status());
  // Once north shares with the network, east sees both and is refused.
  CLINIC_ASSERT_OK(Share(north_reception_, ada.name(), v1::SHARING_SCOPE_NETWORK));
  const absl::StatusOr<v1::Patient> at_east = Create(east_reception_, same);
  EXPECT_THAT(at_east, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(status::GetExistingResource(at_east.status()), ada.name());
  EXPECT_EQ(CountRows("patients"), 3);
}

TEST_P(PatientServiceTest, UpdateChangesTheMaskedFieldsAndRefusesAStaleEtag) {
  const v1::Patient ada = CreateAda();
  v1::UpdatePatientRequest request;
  request.set_request_id(NewRequestId());
  *request.mutable_patient() = ada;
  request.mutable_patient()->set_email("ada@example.org");
  request.mutable_patient()->set_given_name("Augusta");  // not in the mask: unchanged
  request.mutable_update_mask()->add_paths("email");
  clock_.Advance(absl::Minutes(1));
  v1::Patient updated;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdatePatient, north_reception_, request, &updated));
  EXPECT_EQ(updated.email(), "ada@example.org");
  EXPECT_EQ(updated.given_name(), "Ada");
  EXPECT_NE(updated.etag(), ada.etag());
  EXPECT_EQ(api::FromTimestamp(updated.update_time()), clock_.Now());

  // The old etag again: ABORTED, nothing changed.
  v1::UpdatePatientRequest stale = request;
  stale.set_request_id(NewRequestId());
  stale.mutable_patient()->set_email("ada@example.net");
  EXPECT_THAT(Rpc(&Stub::UpdatePatient, north_reception_, stale, &updated), StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Get(north_reception_, ada.name())->email(), "ada@example.org");

  // Bad input names each field; nothing changed.
  v1::UpdatePatientRequest bad = request;
  bad.set_request_id(NewRequestId());
  *bad.mutable_patient() = *Get(north_reception_, ada.name());
  bad.mutable_patient()->set_phone_number("");
  bad.mutable_patient()->set_email("");
  bad.mutable_update_mask()->clear_paths();
  bad.mutable_update_mask()->add_paths("phone_number");
  bad.mutable_update_mask()->add_paths("email");
  const absl::Status no_contact = Rpc(&Stub::UpdatePatient, north_reception_, bad, &updated);
  EXPECT_THAT(no_contact, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(no_contact), UnorderedElementsAre("patient.phone_number", "patient.email"));
  bad.mutable_update_mask()->add_paths("home_clinic");
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::UpdatePatient, north_reception_, bad, &updated)),
              ::testing::Contains("update_mask"));
  EXPECT_EQ(Get(north_reception_, ada.name())->phone_number(), "+447700900123");

  // A change that makes it a duplicate of another visible record.
  absl::StatusOr<v1::Patient> other = Create(north_reception_, Person("Charles", "Babbage", "+447700900555"));
  CLINIC_ASSERT_OK(other.status());
  v1::UpdatePatientRequest dup;
  dup.set_request_id(NewRequestId());
  *dup.mutable_patient() = *other;
  dup.mutable_patient()->set_given_name("Ada");
  dup.mutable_patient()->set_family_name("Lovelace");
  dup.mutable_patient()->set_phone_number("+447700900123");
  for (const char* path : {"given_name", "family_name", "phone_number"}) dup.mutable_update_mask()->add_paths(path);
  const absl::Status duplicate = Rpc(&Stub::UpdatePatient, north_reception_, dup, &updated);
  EXPECT_THAT(duplicate, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(status::GetExistingResource(duplicate), ada.name());
  EXPECT_EQ(Get(north_reception_, other->name())->given_name(), "Charles");
}

TEST_P(PatientServiceTest, AnotherClinicSeesTheRecordOnlyUnderSharingConsent) {
  const v1::Patient ada = CreateAda();
  // Without consent: exactly the answer for an id that does not exist.
  const absl::Status hidden = Get(south_reception_, ada.name()).status();
  const absl::Status missing = Get(south_reception_, "patients/no-such-patient").status();
  EXPECT_THAT(hidden, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(hidden.message(), absl::StrCat(ada.name(), " not found"));
  EXPECT_EQ(missing.message(), "patients/no-such-patient not found");
  v1::SearchPatientsRequest search;
  search.set_name_prefix("lov");
  EXPECT_THAT(Found(south_reception_, search), IsEmpty());
  EXPECT_THAT(Found(north_reception_, search), ElementsAre(ada.name()));

  // Named clinics: south only.
  CLINIC_ASSERT_OK(Share(north_reception_, ada.name(), v1::SHARING_SCOPE_NAMED_CLINICS,
                         {absl::StrCat("clinics/", kSouth)}));
  EXPECT_THAT(Get(south_reception_, ada.name()), IsOk());
  EXPECT_THAT(Get(east_reception_, ada.name()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Found(south_reception_, search), ElementsAre(ada.name()));
  EXPECT_THAT(Found(east_reception_, search), IsEmpty());
  // Sharing is the home clinic's to change.
  EXPECT_THAT(Share(south_reception_, ada.name(), v1::SHARING_SCOPE_NETWORK),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // The whole network.
  CLINIC_ASSERT_OK(Share(north_reception_, ada.name(), v1::SHARING_SCOPE_NETWORK));
  EXPECT_THAT(Get(east_reception_, ada.name()), IsOk());
  EXPECT_THAT(Found(east_reception_, search), ElementsAre(ada.name()));

  // Withdrawal: gone at once, for reads and searches alike.
  CLINIC_ASSERT_OK(Withdraw(north_reception_, ada.name()));
  EXPECT_THAT(Get(east_reception_, ada.name()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Get(south_reception_, ada.name()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Found(east_reception_, search), IsEmpty());
  v1::Consent consent = GetConsent(north_reception_, ada.name());
  EXPECT_EQ(consent.sharing().scope(), v1::SHARING_SCOPE_NONE);
  EXPECT_TRUE(consent.sharing().clinics().empty());
  EXPECT_EQ(api::FromTimestamp(consent.sharing().withdraw_time()), clock_.Now());
  // Withdrawing again changes nothing and succeeds.
  EXPECT_THAT(Withdraw(north_reception_, ada.name()), IsOk());
  EXPECT_EQ(GetConsent(north_reception_, ada.name()).etag(), consent.etag());
  // Nor can another clinic update a record it cannot see.
  v1::UpdatePatientRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_patient() = ada;
  update.mutable_update_mask()->add_paths("language_code");
  v1::Patient updated;
  EXPECT_THAT(Rpc(&Stub::UpdatePatient, south_reception_, update, &updated), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(PatientServiceTest, SearchMatchesPrefixBirthDateAndPhoneInNameOrderAcrossPages) {
  const v1::Patient ada = CreateAda();
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<v1::Patient> p = Create(north_reception_, Person(absl::StrCat("Émile", i), absl::StrCat("Zola", i),
                                                                    absl::StrCat("+44770090020", i)));
    CLINIC_ASSERT_OK(p.status());
    expected.push_back(p->name());
  }
  v1::SearchPatientsRequest by_name;
  by_name.set_name_prefix("EMI");  // accent- and case-insensitive, on the given name
  by_name.set_page_size(2);
  EXPECT_THAT(Found(north_reception_, by_name), ::testing::ElementsAreArray(expected));
  v1::SearchPatientsRequest by_family;
  by_family.set_name_prefix("zola3");
  EXPECT_THAT(Found(north_reception_, by_family), ElementsAre(expected[3]));
  v1::SearchPatientsRequest by_phone;
  by_phone.set_phone_number("+44 7700 900123");
  EXPECT_THAT(Found(north_reception_, by_phone), ElementsAre(ada.name()));
  v1::SearchPatientsRequest by_birth;
  *by_birth.mutable_birth_date() = api::ToDate(absl::CivilDay(1980, 4, 12));
  by_birth.set_name_prefix("lo");
  EXPECT_THAT(Found(north_reception_, by_birth), ElementsAre(ada.name()));
  *by_birth.mutable_birth_date() = api::ToDate(absl::CivilDay(1981, 4, 12));
  EXPECT_THAT(Found(north_reception_, by_birth), IsEmpty());

  v1::SearchPatientsResponse response;
  const absl::Status none = Rpc(&Stub::SearchPatients, north_reception_, v1::SearchPatientsRequest(), &response);
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kInvalidArgument));
  v1::SearchPatientsRequest bad;
  bad.set_name_prefix("a");
  bad.set_phone_number("12");
  bad.set_page_size(-1);
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::SearchPatients, north_reception_, bad, &response)),
              UnorderedElementsAre("name_prefix", "phone_number", "page_size"));
  // A page token is only good with the criteria it was made for.
  v1::SearchPatientsResponse first;
  CLINIC_ASSERT_OK(Rpc(&Stub::SearchPatients, north_reception_, by_name, &first));
  ASSERT_FALSE(first.next_page_token().empty());
  by_family.set_page_token(first.next_page_token());
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::SearchPatients, north_reception_, by_family, &response)),
              ElementsAre("page_token"));
}

TEST_P(PatientServiceTest, EveryReadAndWriteIsInTheHashChainedAccessLog) {
  const v1::Patient ada = CreateAda();
  clock_.Advance(absl::Seconds(1));
  v1::GetPatientRequest get;
  get.set_name(ada.name());
  v1::Patient read;
  CLINIC_ASSERT_OK(Rpc(&Stub::GetPatient, north_clinician_, get, &read, "care"));
  clock_.Advance(absl::Seconds(1));
  CLINIC_ASSERT_OK(Rpc(&Stub::GetPatient, north_reception_, get, &read, "administration"));
  clock_.Advance(absl::Seconds(1));
  // A refused read of an existing record is logged as denied.
  EXPECT_THAT(Get(south_reception_, ada.name()), StatusIs(absl::StatusCode::kNotFound));
  clock_.Advance(absl::Seconds(1));
  v1::SearchPatientsRequest search;
  search.set_name_prefix("ada");
  CLINIC_ASSERT_OK(SearchNames(north_reception_, search).status());
  clock_.Advance(absl::Seconds(1));
  CLINIC_ASSERT_OK(Share(north_reception_, ada.name(), v1::SHARING_SCOPE_NETWORK));
  // A purpose not in the list is refused, before anything is read.
  EXPECT_THAT(Rpc(&Stub::GetPatient, north_clinician_, get, &read, "curiosity"),
              StatusIs(absl::StatusCode::kInvalidArgument));

  const std::vector<v1::AccessLogEntry> log = AccessLog(ada.name());
  // Newest first: the consent change (and the GetConsent it read the etag with), the
  // search hit, the denied read, the two reads, the creation.
  ASSERT_THAT(log, SizeIs(7));
  EXPECT_EQ(log[0].action(), v1::ACCESS_ACTION_CONSENT_CHANGE);
  EXPECT_EQ(log[0].method(), "clinic.patient.v1.PatientService/UpdateSharingConsent");
  EXPECT_EQ(log[0].resource(), ada.name() + "/consent");
  EXPECT_EQ(log[1].method(), "clinic.patient.v1.PatientService/GetConsent");
  EXPECT_EQ(log[2].method(), "clinic.patient.v1.PatientService/SearchPatients");
  EXPECT_EQ(log[2].action(), v1::ACCESS_ACTION_READ);
  EXPECT_EQ(log[3].principal(), "rec-south");
  EXPECT_EQ(log[3].clinic(), absl::StrCat("clinics/", kSouth));
  EXPECT_EQ(log[3].outcome(), v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(log[4].principal(), "rec-north");
  EXPECT_EQ(log[4].purpose(), v1::ACCESS_PURPOSE_ADMINISTRATION);
  EXPECT_EQ(log[5].principal(), "doc-north");
  EXPECT_EQ(log[5].role(), "clinician");
  EXPECT_EQ(log[5].action(), v1::ACCESS_ACTION_READ);
  EXPECT_EQ(log[5].purpose(), v1::ACCESS_PURPOSE_CARE);
  EXPECT_EQ(log[5].outcome(), v1::ACCESS_OUTCOME_ALLOWED);
  EXPECT_EQ(api::FromTimestamp(log[5].access_time()), api::FromTimestamp(ada.create_time()) + absl::Seconds(1));
  EXPECT_EQ(log[6].action(), v1::ACCESS_ACTION_CREATE);
  EXPECT_EQ(log[6].sequence(), 1);
  EXPECT_EQ(log[6].previous_hash(), std::string(domain::kGenesisHash));
  for (size_t i = 0; i + 1 < log.size(); ++i) {
    EXPECT_EQ(log[i].sequence(), log[i + 1].sequence() + 1);
    EXPECT_EQ(log[i].previous_hash(), log[i + 1].hash());
  }
  ExpectChainVerifies(ada.name());

  // The DPO's listing was itself a read, logged after it.
  EXPECT_THAT(AccessLog(ada.name()), SizeIs(8));
  // Who may read the log: the DPO, the home clinic's manager; not reception.
  v1::ListAccessLogRequest list;
  list.set_parent(ada.name());
  v1::ListAccessLogResponse response;
  EXPECT_THAT(Rpc(&Stub::ListAccessLog, north_manager_, list, &response), IsOk());
  EXPECT_THAT(Rpc(&Stub::ListAccessLog, north_reception_, list, &response),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Paging and an interval.
  list.set_page_size(3);
  std::vector<int64_t> sequences;
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListAccessLog, dpo_, list, &response));
    for (const v1::AccessLogEntry& e : response.access_log_entries()) sequences.push_back(e.sequence());
    list.set_page_token(response.next_page_token());
  } while (!list.page_token().empty());
  ASSERT_GE(sequences.size(), 10u);
  for (size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], static_cast<int64_t>(sequences.size() - i));
  v1::ListAccessLogRequest window;
  window.set_parent(ada.name());
  *window.mutable_interval()->mutable_start_time() = api::ToTimestamp(api::FromTimestamp(ada.create_time()) + absl::Seconds(1));
  *window.mutable_interval()->mutable_end_time() = api::ToTimestamp(api::FromTimestamp(ada.create_time()) + absl::Seconds(3));
  CLINIC_ASSERT_OK(Rpc(&Stub::ListAccessLog, dpo_, window, &response));
  EXPECT_THAT(response.access_log_entries(), SizeIs(2));
  ExpectChainVerifies(ada.name());
}

TEST_P(PatientServiceTest, ConcurrentAccessesKeepOneChainWithoutGaps) {
  const v1::Patient ada = CreateAda();
  constexpr int kThreads = 6;
  constexpr int kReadsEach = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kReadsEach; ++i) {
        if (!Get(north_clinician_, ada.name()).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<sql::ResultSet> rows = db_->Query(
      "SELECT COUNT(*), MIN(sequence), MAX(sequence) FROM access_log WHERE patient_id = $1",
      {ada.name().substr(sizeof("patients/") - 1)});
  CLINIC_ASSERT_OK(rows.status());
  EXPECT_EQ((*rows)[0].GetInt64(0), 1 + kThreads * kReadsEach);
  EXPECT_EQ((*rows)[0].GetInt64(1), 1);
  EXPECT_EQ((*rows)[0].GetInt64(2), 1 + kThreads * kReadsEach);
  ExpectChainVerifies(ada.name());
}

TEST_P(PatientServiceTest, WhenTheAuditCannotBeWrittenTheCallFailsAndChangesNothing) {
  const v1::Patient ada = CreateAda();
  CLINIC_ASSERT_OK(db_->Execute("ALTER TABLE access_log RENAME TO access_log_elsewhere"));
  EXPECT_THAT(Get(north_reception_, ada.name()), StatusIs(absl::StatusCode::kUnavailable));
  v1::UpdatePatientRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_patient() = ada;
  update.mutable_patient()->set_language_code("cy");
  update.mutable_update_mask()->add_paths("language_code");
  v1::Patient updated;
  EXPECT_THAT(Rpc(&Stub::UpdatePatient, north_reception_, update, &updated), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(Create(north_reception_, Person("Mary", "Somerville", "+447700900777")),
              StatusIs(absl::StatusCode::kUnavailable));
  CLINIC_ASSERT_OK(db_->Execute("ALTER TABLE access_log_elsewhere RENAME TO access_log"));
  absl::StatusOr<v1::Patient> now = Get(north_reception_, ada.name());
  CLINIC_ASSERT_OK(now.status());
  EXPECT_EQ(now->language_code(), "en-GB");
  EXPECT_EQ(now->etag(), ada.etag());
  EXPECT_EQ(CountRows("patients"), 1);
  // The retry of the failed update (same request_id) now goes through.
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdatePatient, north_reception_, update, &updated));
  EXPECT_EQ(updated.language_code(), "cy");
  ExpectChainVerifies(ada.name());
}

TEST_P(PatientServiceTest, SharingConsentRejectsBadInputAndStaleEtags) {
  const v1::Patient ada = CreateAda();
  const v1::Consent initial = GetConsent(north_reception_, ada.name());
  EXPECT_EQ(initial.name(), ada.name() + "/consent");
  EXPECT_EQ(initial.sharing().scope(), v1::SHARING_SCOPE_NONE);
  EXPECT_TRUE(initial.contact().empty());

  v1::UpdateSharingConsentRequest request;
  request.set_request_id(NewRequestId());
  request.set_name(ada.name() + "/consent");
  request.mutable_sharing()->set_scope(v1::SHARING_SCOPE_NETWORK);
  request.mutable_sharing()->add_clinics("clinics/clinic-south");
  *request.mutable_sharing()->mutable_grant_time() = api::ToTimestamp(clock_.Now() + absl::Hours(1));
  v1::Consent consent;
  const absl::Status bad = Rpc(&Stub::UpdateSharingConsent, north_reception_, request, &consent);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(bad), UnorderedElementsAre("etag", "sharing.clinics", "sharing.grant_time"));
  // The home clinic among the named ones.
  request.set_etag(initial.etag());
  request.mutable_sharing()->set_scope(v1::SHARING_SCOPE_NAMED_CLINICS);
  request.mutable_sharing()->add_clinics(absl::StrCat("clinics/", kNorth));
  *request.mutable_sharing()->mutable_grant_time() = api::ToTimestamp(clock_.Now());
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::UpdateSharingConsent, north_reception_, request, &consent)),
              ElementsAre("sharing.clinics[1]"));
  EXPECT_EQ(GetConsent(north_reception_, ada.name()).etag(), initial.etag());

  request.mutable_sharing()->mutable_clinics()->RemoveLast();
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateSharingConsent, north_reception_, request, &consent));
  EXPECT_EQ(consent.sharing().scope(), v1::SHARING_SCOPE_NAMED_CLINICS);
  EXPECT_THAT(consent.sharing().clinics(), ElementsAre("clinics/clinic-south"));
  EXPECT_EQ(consent.sharing().recorded_by(), "rec-north");
  // The same etag again is stale.
  request.set_request_id(NewRequestId());
  request.mutable_sharing()->set_scope(v1::SHARING_SCOPE_NETWORK);
  request.mutable_sharing()->clear_clinics();
  EXPECT_THAT(Rpc(&Stub::UpdateSharingConsent, north_reception_, request, &consent),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(GetConsent(north_reception_, ada.name()).sharing().scope(), v1::SHARING_SCOPE_NAMED_CLINICS);
}

TEST_P(PatientServiceTest, ContactConsentOptOutAndTheLookupForReminders) {
  v1::Patient input = Person("Ada", "Lovelace", "+447700900123");
  input.set_email("ada@example.com");
  absl::StatusOr<v1::Patient> ada = Create(north_reception_, input);
  CLINIC_ASSERT_OK(ada.status());
  // Another patient with the same phone number (a shared family phone).
  absl::StatusOr<v1::Patient> byron = Create(north_reception_, Person("Byron", "Lovelace", "+447700900123"));
  CLINIC_ASSERT_OK(byron.status());

  v1::UpdateContactConsentRequest grant;
  grant.set_request_id(NewRequestId());
  grant.set_name(ada->name() + "/consent");
  grant.set_etag(GetConsent(north_reception_, ada->name()).etag());
  grant.mutable_contact()->set_channel(type::v1::CONTACT_CHANNEL_SMS);
  grant.mutable_contact()->set_state(v1::CONTACT_CONSENT_STATE_GRANTED);
  grant.mutable_contact()->set_preferred(true);
  v1::Consent consent;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateContactConsent, north_reception_, grant, &consent));
  ASSERT_THAT(consent.contact(), SizeIs(1));
  EXPECT_EQ(consent.contact(0).state(), v1::CONTACT_CONSENT_STATE_GRANTED);
  EXPECT_EQ(api::FromTimestamp(consent.contact(0).grant_time()), clock_.Now());
  // Stale etag, and bad input naming each field.
  EXPECT_THAT(Rpc(&Stub::UpdateContactConsent, north_reception_, [&] {
                v1::UpdateContactConsentRequest r = grant;
                r.set_request_id(NewRequestId());
                return r;
              }(), &consent),
              StatusIs(absl::StatusCode::kAborted));
  v1::UpdateContactConsentRequest bad = grant;
  bad.set_request_id(NewRequestId());
  bad.mutable_contact()->set_channel(type::v1::CONTACT_CHANNEL_UNSPECIFIED);
  bad.mutable_contact()->set_state(v1::CONTACT_CONSENT_STATE_OPTED_OUT);
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::UpdateContactConsent, north_reception_, bad, &consent)),
              UnorderedElementsAre("contact.channel", "contact.state", "contact.preferred"));

  // The lookup: the notification service only.
  v1::LookupContactRequest lookup;
  lookup.set_name(ada->name());
  v1::LookupContactResponse contact;
  CLINIC_ASSERT_OK(Rpc(&Stub::LookupContact, notification_, lookup, &contact));
  EXPECT_EQ(contact.patient(), ada->name());
  EXPECT_EQ(contact.language_code(), "en-GB");
  ASSERT_THAT(contact.contact_points(), SizeIs(2));
  EXPECT_EQ(contact.contact_points(0).channel(), type::v1::CONTACT_CHANNEL_SMS);
  EXPECT_EQ(contact.contact_points(0).address(), "+447700900123");
  EXPECT_EQ(contact.contact_points(0).consent_state(), v1::CONTACT_CONSENT_STATE_GRANTED);
  EXPECT_TRUE(contact.contact_points(0).preferred());
  EXPECT_EQ(contact.contact_points(1).address(), "ada@example.com");
  EXPECT_EQ(contact.contact_points(1).consent_state(), v1::CONTACT_CONSENT_STATE_UNSPECIFIED);
  for (const std::string* token : {&north_reception_, &north_clinician_, &dpo_, &scheduling_}) {
    EXPECT_THAT(Rpc(&Stub::LookupContact, *token, lookup, &contact), StatusIs(absl::StatusCode::kPermissionDenied));
  }
  v1::LookupContactRequest missing;
  missing.set_name("patients/nobody");
  EXPECT_THAT(Rpc(&Stub::LookupContact, north_reception_, missing, &contact),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Rpc(&Stub::LookupContact, notification_, missing, &contact), StatusIs(absl::StatusCode::kNotFound));

  // STOP from the shared phone: both patients opted out at once.
  v1::RecordContactOptOutRequest stop;
  stop.set_request_id(NewRequestId());
  stop.set_address("+447700900123");
  stop.set_channel(type::v1::CONTACT_CHANNEL_SMS);
  stop.set_source(v1::OPT_OUT_SOURCE_SMS_STOP);
  *stop.mutable_opt_out_time() = api::ToTimestamp(clock_.Now() - absl::Minutes(2));
  v1::RecordContactOptOutResponse stopped;
  CLINIC_ASSERT_OK(Rpc(&Stub::RecordContactOptOut, notification_, stop, &stopped));
  EXPECT_THAT(stopped.patients(), UnorderedElementsAre(ada->name(), byron->name()));
  lookup.set_channel(type::v1::CONTACT_CHANNEL_SMS);
  CLINIC_ASSERT_OK(Rpc(&Stub::LookupContact, notification_, lookup, &contact));
  ASSERT_THAT(contact.contact_points(), SizeIs(1));
  EXPECT_EQ(contact.contact_points(0).consent_state(), v1::CONTACT_CONSENT_STATE_OPTED_OUT);
  EXPECT_EQ(api::FromTimestamp(contact.contact_points(0).opt_out_time()), clock_.Now() - absl::Minutes(2));
  EXPECT_FALSE(contact.contact_points(0).preferred());
  // An unknown address is not an error; a malformed one is.
  stop.set_request_id(NewRequestId());
  stop.set_address("+447700900999");
  CLINIC_ASSERT_OK(Rpc(&Stub::RecordContactOptOut, notification_, stop, &stopped));
  EXPECT_THAT(stopped.patients(), IsEmpty());
  stop.set_request_id(NewRequestId());
  stop.set_address("no number");
  stop.clear_opt_out_time();
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::RecordContactOptOut, notification_, stop, &stopped)),
              UnorderedElementsAre("address", "opt_out_time"));
  // Clinicians may not record opt-outs.
  stop.set_address("+447700900123");
  *stop.mutable_opt_out_time() = api::ToTimestamp(clock_.Now());
  EXPECT_THAT(Rpc(&Stub::RecordContactOptOut, north_clinician_, stop, &stopped),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Every opt-out is in each patient's log, and the lookups too.
  const std::vector<v1::AccessLogEntry> log = AccessLog(byron->name());
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log[0].action(), v1::ACCESS_ACTION_CONSENT_CHANGE);
  EXPECT_EQ(log[0].principal(), "notification");
  ExpectChainVerifies(ada->name());
}

TEST_P(PatientServiceTest, ErasureIsForTheDpoAndKeepsTheRecordPseudonymised) {
  const v1::Patient ada = CreateAda();
  v1::ErasePatientRequest erase;
  erase.set_request_id(NewRequestId());
  erase.set_name(ada.name());
  erase.set_etag(ada.etag());
  erase.set_reason("DP case 2026-118");
  v1::Patient erased;
  EXPECT_THAT(Rpc(&Stub::ErasePatient, north_manager_, erase, &erased), StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&Stub::ErasePatient, dpo_, erase, &erased, "data_protection"));
  EXPECT_EQ(erased.state(), v1::Patient::STATE_ERASED);
  EXPECT_NE(erased.given_name(), "Ada");
  EXPECT_EQ(erased.birth_date().year(), 1980);
  EXPECT_EQ(erased.birth_date().month(), 0);
  EXPECT_TRUE(erased.phone_number().empty());
  EXPECT_EQ(api::FromTimestamp(erased.erase_time()), clock_.Now());
  erase.set_request_id(NewRequestId());
  erase.set_etag(erased.etag());
  EXPECT_THAT(Rpc(&Stub::ErasePatient, dpo_, erase, &erased), StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::SearchPatientsRequest search;
  search.set_name_prefix("lovelace");
  search.set_show_inactive(true);
  EXPECT_THAT(Found(north_reception_, search), IsEmpty());
  v1::LookupContactRequest lookup;
  lookup.set_name(ada.name());
  v1::LookupContactResponse contact;
  CLINIC_ASSERT_OK(Rpc(&Stub::LookupContact, notification_, lookup, &contact));
  EXPECT_TRUE(contact.erased());
  EXPECT_TRUE(contact.contact_points(0).address().empty());
  const std::vector<v1::AccessLogEntry> log = AccessLog(ada.name());
  ASSERT_GE(log.size(), 3u);
  EXPECT_EQ(log[2].action(), v1::ACCESS_ACTION_ERASE);
  EXPECT_EQ(log[2].purpose(), v1::ACCESS_PURPOSE_DATA_PROTECTION);
  ExpectChainVerifies(ada.name());
}

TEST_P(PatientServiceTest, TheClinicalProfileIsForCliniciansWithEtagsAndNamedViolations) {
  const v1::Patient ada = CreateAda();
  v1::GetClinicalProfileRequest get;
  get.set_name(ada.name() + "/clinicalProfile");
  v1::ClinicalProfile profile;
  EXPECT_THAT(Rpc(&Stub::GetClinicalProfile, north_reception_, get, &profile),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&Stub::GetClinicalProfile, north_clinician_, get, &profile));
  EXPECT_EQ(profile.name(), ada.name() + "/clinicalProfile");
  EXPECT_EQ(profile.diet(), v1::DIET_UNSPECIFIED);

  v1::UpdateClinicalProfileRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_clinical_profile() = profile;
  update.mutable_clinical_profile()->set_diet(v1::DIET_VEGAN);
  update.mutable_clinical_profile()->add_symptoms()->set_code(v1::SYMPTOM_CODE_FATIGUE);
  v1::Contraindication* c = update.mutable_clinical_profile()->add_contraindications();
  c->set_code(v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY);
  c->set_substance(v1::SUBSTANCE_CYANOCOBALAMIN);
  for (const char* path : {"diet", "symptoms", "contraindications"}) update.mutable_update_mask()->add_paths(path);
  v1::ClinicalProfile updated;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateClinicalProfile, north_clinician_, update, &updated));
  EXPECT_EQ(updated.diet(), v1::DIET_VEGAN);
  EXPECT_EQ(updated.updated_by(), "doc-north");
  EXPECT_EQ(api::FromTimestamp(updated.symptoms(0).record_time()), clock_.Now());
  EXPECT_NE(updated.etag(), profile.etag());
  // The same etag again: ABORTED, nothing changed.
  update.set_request_id(NewRequestId());
  update.mutable_clinical_profile()->set_diet(v1::DIET_OMNIVORE);
  EXPECT_THAT(Rpc(&Stub::UpdateClinicalProfile, north_clinician_, update, &updated),
              StatusIs(absl::StatusCode::kAborted));
  // Bad input names each field.
  v1::UpdateClinicalProfileRequest bad = update;
  bad.set_request_id(NewRequestId());
  bad.mutable_clinical_profile()->set_etag(updated.etag());
  bad.mutable_clinical_profile()->add_conditions()->set_code(v1::CONDITION_CODE_UNSPECIFIED);
  bad.mutable_clinical_profile()->mutable_contraindications(0)->set_substance(v1::SUBSTANCE_UNSPECIFIED);
  bad.mutable_update_mask()->add_paths("conditions");
  const absl::Status invalid = Rpc(&Stub::UpdateClinicalProfile, north_clinician_, bad, &profile);
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(invalid), UnorderedElementsAre("clinical_profile.conditions[0].code",
                                                            "clinical_profile.contraindications[0].substance"));
  CLINIC_ASSERT_OK(Rpc(&Stub::GetClinicalProfile, north_clinician_, get, &profile));
  EXPECT_EQ(profile.diet(), v1::DIET_VEGAN);
  EXPECT_EQ(profile.etag(), updated.etag());
  // Another clinic's clinician: not without consent.
  EXPECT_THAT(Rpc(&Stub::GetClinicalProfile, south_clinician_, get, &profile), StatusIs(absl::StatusCode::kNotFound));
  CLINIC_ASSERT_OK(Share(north_reception_, ada.name(), v1::SHARING_SCOPE_NETWORK));
  EXPECT_THAT(Rpc(&Stub::GetClinicalProfile, south_clinician_, get, &profile), IsOk());
  const std::vector<v1::AccessLogEntry> log = AccessLog(ada.name());
  EXPECT_EQ(log[0].method(), "clinic.patient.v1.PatientService/GetClinicalProfile");
  EXPECT_EQ(log[0].principal(), "doc-south");
  ExpectChainVerifies(ada.name());
}

TEST_P(PatientServiceTest, LabResultsAreReadWithTheLaboratorysRangesAndKeepTheirReading) {
  const v1::Patient ada = CreateAda();
  v1::GetLaboratoryRequest get_lab;
  get_lab.set_name("laboratories/default");
  v1::Laboratory lab;
  CLINIC_ASSERT_OK(Rpc(&Stub::GetLaboratory, north_reception_, get_lab, &lab));
  EXPECT_THAT(lab.reference_ranges(), SizeIs(4));

  absl::StatusOr<v1::LabResult> low =
      RecordLab(LabRequest(ada.name(), v1::ANALYTE_TOTAL_B12, "150", v1::LAB_UNIT_NANOGRAMS_PER_LITRE));
  CLINIC_ASSERT_OK(low.status());
  EXPECT_EQ(low->interpretation(), v1::INTERPRETATION_DEFICIENT);
  EXPECT_EQ(low->applied_range().deficient_below().value(), "180");
  EXPECT_EQ(low->clinic(), absl::StrCat("clinics/", kNorth));
  EXPECT_EQ(low->recorded_by(), "doc-north");
  // In pmol/L: converted for the comparison only, stored as reported.
  absl::StatusOr<v1::LabResult> molar =
      RecordLab(LabRequest(ada.name(), v1::ANALYTE_TOTAL_B12, "132.8", v1::LAB_UNIT_PICOMOLES_PER_LITRE));
  CLINIC_ASSERT_OK(molar.status());
  EXPECT_EQ(molar->interpretation(), v1::INTERPRETATION_DEFICIENT);
  EXPECT_EQ(molar->value().value(), "132.8");
  EXPECT_EQ(molar->compared_value().value(), "179.944");

  // Bad input: named fields, nothing stored.
  v1::RecordLabResultRequest bad = LabRequest(ada.name(), v1::ANALYTE_ACTIVE_B12, "-1", v1::LAB_UNIT_NANOGRAMS_PER_LITRE);
  *bad.mutable_lab_result()->mutable_collection_time() = api::ToTimestamp(clock_.Now() + absl::Hours(1));
  const absl::Status invalid = RecordLab(bad).status();
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(invalid),
              UnorderedElementsAre("lab_result.unit", "lab_result.value", "lab_result.collection_time"));
  EXPECT_THAT(RecordLab(LabRequest(ada.name(), v1::ANALYTE_TOTAL_B12, "150", v1::LAB_UNIT_NANOGRAMS_PER_LITRE,
                                   "laboratories/nowhere")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(CountRows("lab_results"), 2);
  // Reception may not record results.
  v1::LabResult result;
  EXPECT_THAT(Rpc(&Stub::RecordLabResult, north_reception_,
                  LabRequest(ada.name(), v1::ANALYTE_TOTAL_B12, "150", v1::LAB_UNIT_NANOGRAMS_PER_LITRE), &result),
              StatusIs(absl::StatusCode::kPermissionDenied));

  // A laboratory with its own, lower cut-off for total B12.
  v1::CreateLaboratoryRequest create_lab;
  create_lab.set_request_id(NewRequestId());
  create_lab.set_laboratory_id("low-cutoff");
  create_lab.mutable_laboratory()->set_display_name("Low cut-off pathology");
  v1::ReferenceRange* range = create_lab.mutable_laboratory()->add_reference_ranges();
  range->set_analyte(v1::ANALYTE_TOTAL_B12);
  range->set_unit(v1::LAB_UNIT_NANOGRAMS_PER_LITRE);
  range->mutable_deficient_below()->set_value("150");
  range->mutable_indeterminate_up_to()->set_value("300");
  EXPECT_THAT(Rpc(&Stub::CreateLaboratory, north_reception_, create_lab, &lab),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&Stub::CreateLaboratory, network_admin_, create_lab, &lab));
  create_lab.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::CreateLaboratory, network_admin_, create_lab, &lab),
              StatusIs(absl::StatusCode::kAlreadyExists));
  absl::StatusOr<v1::LabResult> at_low = RecordLab(
      LabRequest(ada.name(), v1::ANALYTE_TOTAL_B12, "170", v1::LAB_UNIT_NANOGRAMS_PER_LITRE, "laboratories/low-cutoff"));
  CLINIC_ASSERT_OK(at_low.status());
  EXPECT_EQ(at_low->interpretation(), v1::INTERPRETATION_INDETERMINATE);
  // Folate falls back to the default laboratory's range.
  absl::StatusOr<v1::LabResult> folate = RecordLab(LabRequest(ada.name(), v1::ANALYTE_SERUM_FOLATE, "2.5",
                                                              v1::LAB_UNIT_MICROGRAMS_PER_LITRE, "laboratories/low-cutoff"));
  CLINIC_ASSERT_OK(folate.status());
  EXPECT_EQ(folate->interpretation(), v1::INTERPRETATION_DEFICIENT);

  // Changing the ranges leaves recorded results as they were read.
  v1::UpdateLaboratoryRequest update_lab;
  update_lab.set_request_id(NewRequestId());
  *update_lab.mutable_laboratory() = lab;
  update_lab.mutable_laboratory()->mutable_reference_ranges(0)->mutable_deficient_below()->set_value("175");
  update_lab.mutable_update_mask()->add_paths("reference_ranges");
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateLaboratory, north_clinician_, update_lab, &lab));
  update_lab.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::UpdateLaboratory, north_clinician_, update_lab, &lab), StatusIs(absl::StatusCode::kAborted));
  v1::GetLabResultRequest get_result;
  get_result.set_name(at_low->name());
  CLINIC_ASSERT_OK(Rpc(&Stub::GetLabResult, north_practitioner_, get_result, &result));
  EXPECT_EQ(result.interpretation(), v1::INTERPRETATION_INDETERMINATE);
  EXPECT_EQ(result.applied_range().deficient_below().value(), "150");

  // A correction supersedes the wrong result, which the listing then leaves out.
  clock_.Advance(absl::Minutes(1));
  v1::RecordLabResultRequest correction =
      LabRequest(ada.name(), v1::ANALYTE_TOTAL_B12, "250", v1::LAB_UNIT_NANOGRAMS_PER_LITRE);
  correction.mutable_lab_result()->set_supersedes(low->name());
  absl::StatusOr<v1::LabResult> corrected = RecordLab(correction);
  CLINIC_ASSERT_OK(corrected.status());
  v1::ListLabResultsRequest list;
  list.set_parent(ada.name());
  list.add_analytes(v1::ANALYTE_TOTAL_B12);
  list.set_page_size(1);
  std::vector<std::string> names;
  v1::ListLabResultsResponse listed;
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListLabResults, north_clinician_, list, &listed));
    for (const v1::LabResult& r : listed.lab_results()) names.push_back(r.name());
    list.set_page_token(listed.next_page_token());
  } while (!list.page_token().empty());
  // Newest collection first (the correction was collected a minute later).
  EXPECT_THAT(names, ElementsAre(corrected->name(), ::testing::AnyOf(molar->name(), at_low->name()),
                                 ::testing::AnyOf(molar->name(), at_low->name())));
  list.set_show_superseded(true);
  list.set_page_size(50);
  list.clear_page_token();
  CLINIC_ASSERT_OK(Rpc(&Stub::ListLabResults, north_clinician_, list, &listed));
  EXPECT_THAT(listed.lab_results(), SizeIs(4));
  ExpectChainVerifies(ada.name());
}

TEST_P(PatientServiceTest, EligibilityNeedsARecentQualifyingResultOrAnAuditedOverride) {
  const v1::Patient ada = CreateAda();
  absl::StatusOr<v1::EligibilityAssessment> none = Assess(north_clinician_, ada.name());
  CLINIC_ASSERT_OK(none.status());
  EXPECT_EQ(none->outcome(), v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_EQ(none->effective_outcome(), v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  ASSERT_FALSE(none->reasons().empty());
  EXPECT_EQ(none->reasons(0).code(), v1::ELIGIBILITY_REASON_CODE_NO_RECENT_RESULT);
  EXPECT_EQ(none->assessed_by(), "doc-north");
  EXPECT_EQ(none->result_window().seconds(), 90 * 24 * 3600);
  clock_.Advance(absl::Seconds(1));  // listings order assessments by creation time

  absl::StatusOr<v1::LabResult> low =
      RecordLab(LabRequest(ada.name(), v1::ANALYTE_TOTAL_B12, "150", v1::LAB_UNIT_NANOGRAMS_PER_LITRE));
  CLINIC_ASSERT_OK(low.status());
  absl::StatusOr<v1::EligibilityAssessment> eligible =
      Assess(scheduling_, ada.name(), "products/hydroxocobalamin-1mg-1ml");
  CLINIC_ASSERT_OK(eligible.status());
  EXPECT_EQ(eligible->outcome(), v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_EQ(eligible->qualifying_lab_result(), low->name());
  EXPECT_EQ(api::FromTimestamp(eligible->expire_time()),
            api::FromTimestamp(low->collection_time()) + absl::Hours(24 * 90));
  EXPECT_THAT(Assess(north_reception_, ada.name()), StatusIs(absl::StatusCode::kPermissionDenied));
  clock_.Advance(absl::Seconds(1));

  // A hypersensitivity to the product's substance blocks.
  v1::GetClinicalProfileRequest get;
  get.set_name(ada.name() + "/clinicalProfile");
  v1::ClinicalProfile profile;
  CLINIC_ASSERT_OK(Rpc(&Stub::GetClinicalProfile, north_clinician_, get, &profile));
  v1::UpdateClinicalProfileRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_clinical_profile() = profile;
  v1::Contraindication* c = update.mutable_clinical_profile()->add_contraindications();
  c->set_code(v1::CONTRAINDICATION_CODE_HYPERSENSITIVITY);
  c->set_substance(v1::SUBSTANCE_HYDROXOCOBALAMIN);
  update.mutable_update_mask()->add_paths("contraindications");
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateClinicalProfile, north_clinician_, update, &profile));
  absl::StatusOr<v1::EligibilityAssessment> blocked =
      Assess(north_clinician_, ada.name(), "products/hydroxocobalamin-1mg-1ml");
  CLINIC_ASSERT_OK(blocked.status());
  EXPECT_EQ(blocked->outcome(), v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_EQ(blocked->reasons(0).code(), v1::ELIGIBILITY_REASON_CODE_HYPERSENSITIVITY);

  // Past the window the result no longer qualifies.
  clock_.Advance(absl::Hours(24 * 90));
  absl::StatusOr<v1::EligibilityAssessment> stale = Assess(north_clinician_, ada.name(), "products/cyanocobalamin-x");
  CLINIC_ASSERT_OK(stale.status());
  EXPECT_EQ(stale->outcome(), v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);

  // The clinician's override: reason checked, etag checked, audited.
  v1::OverrideEligibilityRequest override_request;
  override_request.set_request_id(NewRequestId());
  override_request.set_name(stale->name());
  override_request.set_etag(stale->etag());
  override_request.set_reason("short");
  v1::EligibilityAssessment overridden;
  const absl::Status short_reason = Rpc(&Stub::OverrideEligibility, north_clinician_, override_request, &overridden);
  EXPECT_THAT(short_reason, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(short_reason), ElementsAre("reason"));
  override_request.set_request_id(NewRequestId());
  override_request.set_reason("Treated elsewhere on a documented deficiency; letter on file.");
  EXPECT_THAT(Rpc(&Stub::OverrideEligibility, north_practitioner_, override_request, &overridden),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&Stub::OverrideEligibility, north_clinician_, override_request, &overridden));
  EXPECT_EQ(overridden.outcome(), v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  EXPECT_EQ(overridden.effective_outcome(), v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  EXPECT_EQ(overridden.override().clinician(), "doc-north");
  EXPECT_EQ(api::FromTimestamp(overridden.expire_time()), clock_.Now() + absl::Hours(24 * 90));
  EXPECT_NE(overridden.etag(), stale->etag());
  override_request.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::OverrideEligibility, north_clinician_, override_request, &overridden),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::GetEligibilityAssessmentRequest get_assessment;
  get_assessment.set_name(stale->name());
  v1::EligibilityAssessment read;
  CLINIC_ASSERT_OK(Rpc(&Stub::GetEligibilityAssessment, scheduling_, get_assessment, &read));
  EXPECT_EQ(read.effective_outcome(), v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
  bool override_logged = false;
  for (const v1::AccessLogEntry& e : AccessLog(ada.name())) {
    if (e.action() == v1::ACCESS_ACTION_OVERRIDE && e.outcome() == v1::ACCESS_OUTCOME_ALLOWED) {
      override_logged = e.principal() == "doc-north" && e.resource() == stale->name();
    }
  }
  EXPECT_TRUE(override_logged);

  v1::ListEligibilityAssessmentsRequest list;
  list.set_parent(ada.name());
  list.set_page_size(2);
  std::vector<std::string> names;
  v1::ListEligibilityAssessmentsResponse listed;
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListEligibilityAssessments, north_practitioner_, list, &listed));
    for (const v1::EligibilityAssessment& a : listed.eligibility_assessments()) names.push_back(a.name());
    list.set_page_token(listed.next_page_token());
  } while (!list.page_token().empty());
  ASSERT_THAT(names, SizeIs(4));
  EXPECT_EQ(names[0], stale->name());
  EXPECT_EQ(names[3], none->name());
  ExpectChainVerifies(ada.name());
}

TEST_P(PatientServiceTest, RegimensAreSeededDataThatCliniciansExtendAndRetire) {
  v1::ListRegimensRequest list;
  v1::ListRegimensResponse listed;
  CLINIC_ASSERT_OK(Rpc(&Stub::ListRegimens, scheduling_, list, &listed));
  std::vector<std::string> names;
  for (const v1::Regimen& r : listed.regimens()) names.push_back(r.name());
  EXPECT_THAT(names, UnorderedElementsAre("regimens/clinic-standard", "regimens/bnf-no-neurological",
                                          "regimens/bnf-neurological"));
  v1::GetRegimenRequest get;
  get.set_name("regimens/bnf-no-neurological");
  v1::Regimen bnf;
  CLINIC_ASSERT_OK(Rpc(&Stub::GetRegimen, north_reception_, get, &bnf));
  ASSERT_THAT(bnf.phases(), SizeIs(2));
  EXPECT_EQ(bnf.phases(0).frequency().times(), 3);
  EXPECT_EQ(bnf.phases(1).frequency().every_max(), 3);
  EXPECT_EQ(bnf.state(), v1::Regimen::STATE_ACTIVE);

  v1::CreateRegimenRequest create;
  create.set_request_id(NewRequestId());
  create.set_regimen_id("fortnightly");
  *create.mutable_regimen() = bnf;
  create.mutable_regimen()->clear_name();
  create.mutable_regimen()->set_display_name("Fortnightly maintenance");
  create.mutable_regimen()->mutable_phases(1)->mutable_frequency()->set_unit(v1::PERIOD_UNIT_WEEK);
  create.mutable_regimen()->mutable_phases(1)->mutable_frequency()->set_every_max(0);
  v1::Regimen created;
  EXPECT_THAT(Rpc(&Stub::CreateRegimen, north_reception_, create, &created),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::CreateRegimenRequest bad = create;
  bad.mutable_regimen()->clear_display_name();
  bad.mutable_regimen()->mutable_phases(0)->mutable_frequency()->set_times(0);
  const absl::Status invalid = Rpc(&Stub::CreateRegimen, north_clinician_, bad, &created);
  EXPECT_THAT(ViolatedFields(invalid),
              UnorderedElementsAre("regimen.display_name", "regimen.phases[0].frequency.times"));
  CLINIC_ASSERT_OK(Rpc(&Stub::CreateRegimen, north_clinician_, create, &created));
  EXPECT_EQ(created.name(), "regimens/fortnightly");
  create.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::CreateRegimen, north_clinician_, create, &created),
              StatusIs(absl::StatusCode::kAlreadyExists));

  // Retired: out of the default listing; a stale etag is refused.
  v1::UpdateRegimenRequest retire;
  retire.set_request_id(NewRequestId());
  *retire.mutable_regimen() = created;
  retire.mutable_regimen()->set_state(v1::Regimen::STATE_RETIRED);
  retire.mutable_update_mask()->add_paths("state");
  v1::Regimen retired;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateRegimen, network_admin_, retire, &retired));
  EXPECT_EQ(retired.state(), v1::Regimen::STATE_RETIRED);
  EXPECT_EQ(retired.display_name(), "Fortnightly maintenance");
  retire.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::UpdateRegimen, network_admin_, retire, &retired), StatusIs(absl::StatusCode::kAborted));
  list.set_page_size(1);
  names.clear();
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListRegimens, north_clinician_, list, &listed));
    for (const v1::Regimen& r : listed.regimens()) names.push_back(r.name());
    list.set_page_token(listed.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(names, SizeIs(3));
  list.set_show_retired(true);
  list.set_page_size(50);
  CLINIC_ASSERT_OK(Rpc(&Stub::ListRegimens, north_clinician_, list, &listed));
  EXPECT_THAT(listed.regimens(), SizeIs(4));
}

// The number of entries in `patient`'s log, and that they are sequenced 1..n.
int64_t ChainLength(sql::Database& db, const std::string& patient) {
  absl::StatusOr<sql::ResultSet> rows =
      db.Query("SELECT COUNT(*), MIN(sequence), MAX(sequence) FROM access_log WHERE patient_id = $1",
               {patient.substr(sizeof("patients/") - 1)});
  EXPECT_THAT(rows, IsOk());
  if (!rows.ok()) return -1;
  EXPECT_EQ((*rows)[0].GetInt64(1), 1);
  EXPECT_EQ((*rows)[0].GetInt64(2), (*rows)[0].GetInt64(0));
  return (*rows)[0].GetInt64(0);
}

TEST_P(PatientServiceTest, ConcurrentReadsWriteExactlyOneEntryEachAndTheChainsVerify) {
  std::vector<v1::Patient> patients = {CreateAda(),
                                       Create(north_reception_, Person("Mary", "Somerville", "+447700900777")).value(),
                                       Create(north_reception_, Person("Emmy", "Noether", "+447700900778")).value()};
  constexpr int kThreads = 32;
  constexpr int kReadsEach = 12;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kReadsEach; ++i) {
        const v1::Patient& patient = patients[(t + i) % patients.size()];
        absl::StatusOr<v1::Patient> read = Get(north_clinician_, patient.name());
        if (!read.ok() || read->etag() != patient.etag()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  int64_t reads = 0;
  for (const v1::Patient& patient : patients) {
    const int64_t length = ChainLength(*db_, patient.name());
    reads += length - 1;  // the creation's entry
    ExpectChainVerifies(patient.name());
  }
  EXPECT_EQ(reads, kThreads * kReadsEach);
  absl::StatusOr<sql::ResultSet> read_entries = db_->Query(
      "SELECT COUNT(*), COUNT(DISTINCT request_id) FROM access_log WHERE method = $1 AND outcome = $2",
      {"clinic.patient.v1.PatientService/GetPatient", static_cast<int64_t>(v1::ACCESS_OUTCOME_ALLOWED)});
  CLINIC_ASSERT_OK(read_entries.status());
  EXPECT_EQ((*read_entries)[0].GetInt64(0), kThreads * kReadsEach);
}

TEST_P(PatientServiceTest, ReadsMixedWithConcurrentUpdatesKeepEveryChainIntact) {
  std::vector<v1::Patient> patients = {CreateAda(),
                                       Create(north_reception_, Person("Mary", "Somerville", "+447700900777")).value()};
  constexpr int kReaders = 16;
  constexpr int kReadsEach = 10;
  constexpr int kUpdates = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (size_t p = 0; p < patients.size(); ++p) {
    // One writer per record, each update with the etag the previous one returned.
    threads.emplace_back([&, p] {
      v1::Patient current = patients[p];
      for (int i = 0; i < kUpdates; ++i) {
        v1::UpdatePatientRequest update;
        update.set_request_id(NewRequestId());
        *update.mutable_patient() = current;
        update.mutable_patient()->set_language_code(i % 2 == 0 ? "cy" : "en-GB");
        update.mutable_update_mask()->add_paths("language_code");
        if (!Rpc(&Stub::UpdatePatient, north_reception_, update, &current).ok()) ++failures;
      }
    });
  }
  std::atomic<int> reads_of[2] = {0, 0};
  for (int t = 0; t < kReaders; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kReadsEach; ++i) {
        const size_t p = static_cast<size_t>(t + i) % patients.size();
        if (Get(north_clinician_, patients[p].name()).ok()) {
          ++reads_of[p];
        } else {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (size_t p = 0; p < patients.size(); ++p) {
    EXPECT_EQ(ChainLength(*db_, patients[p].name()), 1 + kUpdates + reads_of[p].load());
    ExpectChainVerifies(patients[p].name());
  }
}

TEST_P(PatientServiceTest, WhenConcurrentReadsCannotWriteTheirEntriesEveryOneFailsUnavailable) {
  const v1::Patient ada = CreateAda();
  CLINIC_ASSERT_OK(db_->Execute("ALTER TABLE access_log RENAME TO access_log_elsewhere"));
  constexpr int kThreads = 16;
  constexpr int kReadsEach = 4;
  std::atomic<int> unavailable{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kReadsEach; ++i) {
        absl::StatusOr<v1::Patient> read = Get(north_clinician_, ada.name());
        if (read.ok()) ++answered;
        if (read.status().code() == absl::StatusCode::kUnavailable) ++unavailable;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(answered.load(), 0);
  EXPECT_EQ(unavailable.load(), kThreads * kReadsEach);
  CLINIC_ASSERT_OK(db_->Execute("ALTER TABLE access_log_elsewhere RENAME TO access_log"));
  EXPECT_EQ(ChainLength(*db_, ada.name()), 1);
  CLINIC_ASSERT_OK(Get(north_clinician_, ada.name()).status());
  EXPECT_EQ(ChainLength(*db_, ada.name()), 2);
  ExpectChainVerifies(ada.name());
}

// AccessLogWriter itself: calls that arrive while a commit runs are committed together in
// the next transaction; when a batch cannot commit, each call in it fails and none of
// its entries is written.
class AccessLogWriterTest : public PatientServiceTest {
 protected:
  static PendingAccessLogEntry Entry(const std::string& patient, const std::string& request_id) {
    PendingAccessLogEntry entry;
    entry.patient_id = patient.substr(sizeof("patients/") - 1);
    entry.record.principal = "doc-north";
    entry.record.role = "clinician";
    entry.record.clinic = absl::StrCat("clinics/", kNorth);
    entry.record.action = v1::ACCESS_ACTION_READ;
    entry.record.method = "clinic.patient.v1.PatientService/GetPatient";
    entry.record.resource = patient;
    entry.record.purpose = v1::ACCESS_PURPOSE_CARE;
    entry.record.outcome = v1::ACCESS_OUTCOME_ALLOWED;
    entry.record.request_id = request_id;
    entry.record.access_time = absl::Now();
    return entry;
  }

  // Holds `patient`'s chain head locked (and, on SQLite, the database's write lock) in a
  // transaction that runs `then` before it commits; while it is held, one call commits
  // (blocked on the lock) and `kQueued` calls queue behind it, each appending to
  // `patient` and `other`. Then the holder commits, and every call returns.
  static constexpr int kQueued = 8;
  std::vector<absl::Status> QueueBehindALockedHead(AccessLogWriter& writer, const std::string& patient,
                                                   const std::string& other, const std::string& then_sql) {
    const std::string id = patient.substr(sizeof("patients/") - 1);
    sync::Notification locked, release;
    std::thread holder([&] {
      bool first = true;
      CLINIC_EXPECT_OK(db_->Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
        absl::StatusOr<int64_t> n =
            tx.Execute("UPDATE access_log_heads SET last_sequence = last_sequence WHERE patient_id = $1", {id});
        if (!n.ok()) return n.status();
        if (first) {
          first = false;
          locked.Notify();
          release.WaitForNotification();
        }
        if (then_sql.empty()) return absl::OkStatus();
        return tx.Execute(then_sql, {id}).status();
      }));
    });
    locked.WaitForNotification();
    std::vector<absl::Status> results(1 + kQueued);
    std::vector<std::thread> callers;
    callers.emplace_back([&] {
      results[0] = writer.Append({Entry(patient, "call-0"), Entry(other, "call-0")});
    });
    while (!writer.stats().committing) absl::SleepFor(absl::Milliseconds(1));
    for (int i = 1; i <= kQueued; ++i) {
      callers.emplace_back([&, i] {
        const std::string request_id = absl::StrCat("call-", i);
        results[i] = writer.Append({Entry(other, request_id), Entry(patient, request_id)});
      });
    }
    while (writer.stats().queued < static_cast<size_t>(kQueued)) absl::SleepFor(absl::Milliseconds(1));
    release.Notify();
    holder.join();
    for (std::thread& t : callers) t.join();
    return results;
  }
};

TEST_P(AccessLogWriterTest, CallsQueuedBehindACommitAreCommittedTogetherInOneTransaction) {
  const v1::Patient ada = CreateAda();
  const v1::Patient mary = Create(north_reception_, Person("Mary", "Somerville", "+447700900777")).value();
  AccessLogWriter writer(*db_);
  for (const absl::Status& status : QueueBehindALockedHead(writer, ada.name(), mary.name(), "")) {
    EXPECT_THAT(status, IsOk());
  }
  const AccessLogWriter::Stats stats = writer.stats();
  EXPECT_EQ(stats.calls, 1 + kQueued);
  EXPECT_EQ(stats.batches, 2);  // the call that found no commit running, then all the others
  EXPECT_EQ(ChainLength(*db_, ada.name()), 2 + kQueued);
  EXPECT_EQ(ChainLength(*db_, mary.name()), 2 + kQueued);
  ExpectChainVerifies(ada.name());
  ExpectChainVerifies(mary.name());
}

TEST_P(AccessLogWriterTest, WhenABatchCannotCommitEveryCallInItFailsUnavailableAndNothingIsWritten) {
  const v1::Patient ada = CreateAda();
  const v1::Patient mary = Create(north_reception_, Person("Mary", "Somerville", "+447700900777")).value();
  AccessLogWriter writer(*db_);
  // The holder deletes Ada's chain head: every batch appending to her log fails.
  const std::vector<absl::Status> results =
      QueueBehindALockedHead(writer, ada.name(), mary.name(), "DELETE FROM access_log_heads WHERE patient_id = $1");
  for (const absl::Status& status : results) EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(writer.stats().batches, 2);
  // Mary's entries were in the failed batches too: none was written.
  EXPECT_EQ(ChainLength(*db_, mary.name()), 1);
  EXPECT_EQ(ChainLength(*db_, ada.name()), 1);
  // Calls that do not touch the broken log commit again.
  CLINIC_EXPECT_OK(writer.Append({Entry(mary.name(), "after")}));
  EXPECT_EQ(ChainLength(*db_, mary.name()), 2);
  ExpectChainVerifies(mary.name());
}

INSTANTIATE_TEST_SUITE_P(Backends, AccessLogWriterTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

INSTANTIATE_TEST_SUITE_P(Backends, PatientServiceTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace clinic::patient
