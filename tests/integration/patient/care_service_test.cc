// The patient service's care RPCs over a real gRPC channel, on both backends (a SQLite
// file and a fresh database in this process's PostgreSQL cluster): treatment plans and
// their revisions behind the eligibility gate, administrations idempotent by request_id,
// check-ins and their trend, with cross-clinic access and the access log. Time is a
// FakeClock.

#include <atomic>
#include <fstream>
#include <memory>
#include <optional>
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
#include "grpcpp/grpcpp.h"
#include "services/patient/access_log_store.h"
#include "services/patient/clinical_store.h"
#include "services/patient/domain/access_log_chain.h"
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

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-care-test";
constexpr char kNorth[] = "clinic-north";
constexpr char kSouth[] = "clinic-south";
constexpr char kProduct[] = "products/hydroxocobalamin-1mg-1ml";

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : status::GetFieldViolations(status)) fields.push_back(v.field);
  return fields;
}

using Stub = v1::PatientService::Stub;

class CareServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  // 10:00 UTC on 2026-11-25.
  CareServiceTest() : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 25, 10, 0, 0), absl::UTCTimeZone())) {}

  void SetUp() override {
    const std::string url = GetParam() == Backend::kSqlite ? "sqlite://" + dir_.File("patient.db")
                                                            : PostgresServer::Shared().CreateDatabase();
    absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Open(url);
    CLINIC_ASSERT_OK(db.status());
    db_ = *std::move(db);
    CLINIC_ASSERT_OK(sql::Migrate(*db_, Migrations()));
    CLINIC_ASSERT_OK(store::SeedReferenceData(*db_, clock_.Now()));
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
    north_practitioner_ = Token(auth::Role::kPractitioner, "nurse-north", kNorth);
    south_clinician_ = Token(auth::Role::kClinician, "doc-south", kSouth);
    dpo_ = Token(auth::Role::kDpo, "dpo-1", std::nullopt);
    scheduling_ = Token(auth::Role::kService, "scheduling", std::nullopt);
    portal_ = Token(auth::Role::kService, "portal", std::nullopt);
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

  template <typename Request, typename Response>
  absl::Status Rpc(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const std::string& token, const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    context.AddMetadata("authorization", "Bearer " + token);
    return status::FromGrpcStatus((stub_.get()->*method)(&context, request, response));
  }

  std::string NewRequestId() { return absl::StrCat("req-", ++request_counter_); }

  // Registers a patient at the north clinic.
  v1::Patient CreatePatient(const std::string& given = "Ada", const std::string& phone = "+447700900123") {
    v1::CreatePatientRequest request;
    request.set_request_id(NewRequestId());
    v1::Patient* p = request.mutable_patient();
    p->set_given_name(given);
    p->set_family_name("Lovelace");
    *p->mutable_birth_date() = api::ToDate(absl::CivilDay(1980, 4, 12));
    p->set_phone_number(phone);
    v1::Patient created;
    EXPECT_THAT(Rpc(&Stub::CreatePatient, north_reception_, request, &created), IsOk());
    return created;
  }

  absl::Status ShareWithNetwork(const std::string& patient) {
    v1::GetConsentRequest get;
    get.set_name(patient + "/consent");
    v1::Consent consent;
    if (absl::Status s = Rpc(&Stub::GetConsent, north_reception_, get, &consent); !s.ok()) return s;
    v1::UpdateSharingConsentRequest request;
    request.set_request_id(NewRequestId());
    request.set_name(patient + "/consent");
    request.set_etag(consent.etag());
    request.mutable_sharing()->set_scope(v1::SHARING_SCOPE_NETWORK);
    *request.mutable_sharing()->mutable_grant_time() = api::ToTimestamp(clock_.Now() - absl::Minutes(5));
    return Rpc(&Stub::UpdateSharingConsent, north_reception_, request, &consent);
  }

  // A deficient total B12 collected yesterday.
  void RecordDeficientResult(const std::string& patient) {
    v1::RecordLabResultRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(patient);
    v1::LabResult* r = request.mutable_lab_result();
    r->set_analyte(v1::ANALYTE_TOTAL_B12);
    r->mutable_value()->set_value("150");
    r->set_unit(v1::LAB_UNIT_NANOGRAMS_PER_LITRE);
    r->set_laboratory("laboratories/default");
    *r->mutable_collection_time() = api::ToTimestamp(clock_.Now() - absl::Hours(24));
    v1::LabResult result;
    EXPECT_THAT(Rpc(&Stub::RecordLabResult, north_clinician_, request, &result), IsOk());
  }

  v1::EligibilityAssessment Assess(const std::string& patient) {
    v1::AssessEligibilityRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(patient);
    request.set_product(kProduct);
    v1::EligibilityAssessment assessment;
    EXPECT_THAT(Rpc(&Stub::AssessEligibility, north_clinician_, request, &assessment), IsOk());
    return assessment;
  }

  // An ELIGIBLE assessment from a deficient result.
  v1::EligibilityAssessment Eligible(const std::string& patient) {
    RecordDeficientResult(patient);
    v1::EligibilityAssessment a = Assess(patient);
    EXPECT_EQ(a.effective_outcome(), v1::ELIGIBILITY_OUTCOME_ELIGIBLE);
    return a;
  }

  // A plan from the clinic standard regimen, starting tomorrow, everything else from it.
  v1::CreateTreatmentPlanRequest PlanRequest(const std::string& patient, const std::string& assessment) {
    v1::CreateTreatmentPlanRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(patient);
    v1::TreatmentPlan* plan = request.mutable_treatment_plan();
    plan->set_regimen("regimens/clinic-standard");
    plan->set_product(kProduct);
    plan->set_eligibility_assessment(assessment);
    *plan->mutable_start_date() = api::ToDate(absl::CivilDay(2026, 11, 26));
    plan->set_notes("Loading as standard.");
    return request;
  }

  absl::StatusOr<v1::TreatmentPlan> CreatePlan(const v1::CreateTreatmentPlanRequest& request,
                                               const std::string* token = nullptr) {
    v1::TreatmentPlan plan;
    absl::Status s = Rpc(&Stub::CreateTreatmentPlan, token ? *token : north_clinician_, request, &plan);
    if (!s.ok()) return s;
    return plan;
  }

  absl::StatusOr<v1::TreatmentPlan> GetPlan(const std::string& token, const std::string& name) {
    v1::GetTreatmentPlanRequest request;
    request.set_name(name);
    v1::TreatmentPlan plan;
    absl::Status s = Rpc(&Stub::GetTreatmentPlan, token, request, &plan);
    if (!s.ok()) return s;
    return plan;
  }

  v1::RecordAdministrationRequest AdministrationRequest(const std::string& patient, const std::string& plan) {
    v1::RecordAdministrationRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(patient);
    v1::Administration* a = request.mutable_administration();
    a->set_treatment_plan(plan);
    a->set_appointment("clinics/clinic-north/appointments/appt-1");
    a->set_product(kProduct);
    a->set_lot(absl::StrCat(kProduct, "/lots/lot-1"));
    a->set_lot_number("HX2291");
    *a->mutable_expiry_date() = api::ToDate(absl::CivilDay(2027, 3, 31));
    a->mutable_dose()->mutable_value()->set_value("1");
    a->mutable_dose()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
    a->set_route(v1::ROUTE_INTRAMUSCULAR);
    a->set_site(v1::INJECTION_SITE_LEFT_DELTOID);
    a->set_practitioner("practitioners/nurse-north");
    a->set_clinic("clinics/clinic-north");
    *a->mutable_administer_time() = api::ToTimestamp(clock_.Now() - absl::Minutes(10));
    return request;
  }

  v1::CreateCheckInRequest CheckInRequest(const std::string& patient, absl::CivilDay day, int energy, int skin,
                                          int mood) {
    v1::CreateCheckInRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(patient);
    v1::CheckIn* c = request.mutable_check_in();
    *c->mutable_check_in_date() = api::ToDate(day);
    c->set_energy_score(energy);
    c->set_skin_clarity_score(skin);
    c->set_mood_score(mood);
    c->set_note("Feeling it.");
    return request;
  }

  std::vector<v1::AccessLogEntry> AccessLog(const std::string& patient) {
    v1::ListAccessLogRequest request;
    request.set_parent(patient);
    request.set_page_size(1000);
    v1::ListAccessLogResponse response;
    EXPECT_THAT(Rpc(&Stub::ListAccessLog, dpo_, request, &response), IsOk());
    return {response.access_log_entries().begin(), response.access_log_entries().end()};
  }

  // The entry of `method` on `resource` with `outcome` is in the log.
  bool Logged(const std::string& patient, const std::string& method, const std::string& resource,
              v1::AccessOutcome outcome) {
    for (const v1::AccessLogEntry& e : AccessLog(patient)) {
      if (e.method() == "clinic.patient.v1.PatientService/" + method && e.resource() == resource &&
          e.outcome() == outcome) {
        return true;
      }
    }
    return false;
  }

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
  std::string north_reception_, north_clinician_, north_practitioner_, south_clinician_, dpo_, scheduling_, portal_;
  int request_counter_ = 0;
};

TEST_P(CareServiceTest, APlanNeedsAnEligibleAssessmentOrAClinicianOverride) {
  const v1::Patient ada = CreatePatient();
  // No result yet: NOT_ELIGIBLE, and the plan is refused with the ELIGIBILITY precondition.
  const v1::EligibilityAssessment refused = Assess(ada.name());
  ASSERT_EQ(refused.effective_outcome(), v1::ELIGIBILITY_OUTCOME_NOT_ELIGIBLE);
  const absl::StatusOr<v1::TreatmentPlan> without = CreatePlan(PlanRequest(ada.name(), refused.name()));
  EXPECT_THAT(without, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(without.status()), "ELIGIBILITY");
  EXPECT_EQ(CountRows("treatment_plans"), 0);
  EXPECT_EQ(CountRows("treatment_plan_revisions"), 0);
  // The refusal is audited as a failed access.
  bool refusal_logged = false;
  for (const v1::AccessLogEntry& e : AccessLog(ada.name())) {
    refusal_logged |= e.method() == "clinic.patient.v1.PatientService/CreateTreatmentPlan" &&
                      e.action() == v1::ACCESS_ACTION_CREATE && e.outcome() == v1::ACCESS_OUTCOME_FAILED &&
                      e.principal() == "doc-north";
  }
  EXPECT_TRUE(refusal_logged);

  // Another patient's eligible assessment does not open a plan for Ada.
  const v1::Patient mary = CreatePatient("Mary", "+447700900456");
  const v1::EligibilityAssessment marys = Eligible(mary.name());
  const absl::StatusOr<v1::TreatmentPlan> foreign = CreatePlan(PlanRequest(ada.name(), marys.name()));
  EXPECT_THAT(foreign, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(foreign.status()), "ELIGIBILITY");
  // An assessment that does not exist: NOT_FOUND naming the field.
  const absl::StatusOr<v1::TreatmentPlan> missing =
      CreatePlan(PlanRequest(ada.name(), ada.name() + "/eligibilityAssessments/nope"));
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(std::string(missing.status().message()), ::testing::HasSubstr("treatment_plan.eligibility_assessment"));

  // The clinician overrides with a reason: the same assessment now allows the plan.
  v1::OverrideEligibilityRequest override_request;
  override_request.set_request_id(NewRequestId());
  override_request.set_name(refused.name());
  override_request.set_etag(refused.etag());
  override_request.set_reason("Deficiency documented by the GP; result letter on file.");
  v1::EligibilityAssessment overridden;
  CLINIC_ASSERT_OK(Rpc(&Stub::OverrideEligibility, north_clinician_, override_request, &overridden));
  // Practitioners may not prescribe.
  EXPECT_THAT(CreatePlan(PlanRequest(ada.name(), refused.name()), &north_practitioner_),
              StatusIs(absl::StatusCode::kPermissionDenied));
  clock_.Advance(absl::Seconds(1));
  const v1::CreateTreatmentPlanRequest request = PlanRequest(ada.name(), refused.name());
  absl::StatusOr<v1::TreatmentPlan> plan = CreatePlan(request);
  CLINIC_ASSERT_OK(plan.status());
  EXPECT_THAT(plan->name(), ::testing::StartsWith(ada.name() + "/treatmentPlans/"));
  EXPECT_EQ(plan->revision_id(), "1");
  EXPECT_EQ(plan->state(), v1::TreatmentPlan::STATE_ACTIVE);
  EXPECT_EQ(plan->clinic(), absl::StrCat("clinics/", kNorth));
  EXPECT_EQ(plan->prescriber(), "doc-north");
  EXPECT_EQ(plan->eligibility_assessment(), refused.name());
  EXPECT_EQ(api::FromTimestamp(plan->create_time()), clock_.Now());
  EXPECT_FALSE(plan->etag().empty());
  // Dose, route and phases come from the regimen (4 weekly, then monthly).
  EXPECT_EQ(plan->dose().value().value(), "1");
  EXPECT_EQ(plan->route(), v1::ROUTE_INTRAMUSCULAR);
  ASSERT_THAT(plan->phases(), SizeIs(2));
  EXPECT_EQ(plan->phases(0).end().dose_count(), 4);
  EXPECT_EQ(plan->phases(1).frequency().unit(), v1::PERIOD_UNIT_MONTH);
  // A retry returns the same plan and stores nothing more.
  absl::StatusOr<v1::TreatmentPlan> again = CreatePlan(request);
  CLINIC_ASSERT_OK(again.status());
  EXPECT_EQ(again->name(), plan->name());
  EXPECT_EQ(CountRows("treatment_plans"), 1);
  EXPECT_TRUE(Logged(ada.name(), "CreateTreatmentPlan", plan->name(), v1::ACCESS_OUTCOME_ALLOWED));

  // A deficient result makes Mary's own assessment eligible: no override needed.
  CLINIC_ASSERT_OK(CreatePlan(PlanRequest(mary.name(), marys.name())).status());

  // Past its expiry (collection time + 90 days) the assessment no longer allows a plan.
  clock_.Advance(absl::Hours(24 * 91));
  v1::CreateTreatmentPlanRequest late = PlanRequest(mary.name(), marys.name());
  *late.mutable_treatment_plan()->mutable_start_date() = api::ToDate(absl::CivilDay(2027, 3, 1));
  EXPECT_THAT(CreatePlan(late), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(CountRows("treatment_plans"), 2);
  ExpectChainVerifies(ada.name());
}

TEST_P(CareServiceTest, BadPlansNameEachFieldAndStoreNothing) {
  const v1::Patient ada = CreatePatient();
  const v1::EligibilityAssessment eligible = Eligible(ada.name());
  v1::CreateTreatmentPlanRequest bad = PlanRequest(ada.name(), eligible.name());
  bad.set_request_id("");
  *bad.mutable_treatment_plan()->mutable_start_date() = api::ToDate(absl::CivilDay(2026, 11, 1));
  bad.mutable_treatment_plan()->set_product("hydroxocobalamin");
  v1::AddOn* add_on = bad.mutable_treatment_plan()->add_add_ons();
  add_on->set_route(v1::ROUTE_ORAL);
  bad.mutable_treatment_plan()->set_route(static_cast<v1::Route>(42));
  const absl::Status s = CreatePlan(bad).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s),
              UnorderedElementsAre("request_id", "treatment_plan.start_date", "treatment_plan.product",
                                   "treatment_plan.route", "treatment_plan.add_ons[0].product",
                                   "treatment_plan.add_ons[0].dose"));
  // Without regimen and assessment: both named.
  v1::CreateTreatmentPlanRequest bare = PlanRequest(ada.name(), eligible.name());
  bare.mutable_treatment_plan()->clear_regimen();
  bare.mutable_treatment_plan()->clear_eligibility_assessment();
  const absl::Status s2 = CreatePlan(bare).status();
  EXPECT_THAT(ViolatedFields(s2), ::testing::IsSupersetOf({"treatment_plan.regimen",
                                                           "treatment_plan.eligibility_assessment"}));
  // An unknown regimen: NOT_FOUND; a retired one: FAILED_PRECONDITION.
  v1::CreateTreatmentPlanRequest unknown = PlanRequest(ada.name(), eligible.name());
  unknown.mutable_treatment_plan()->set_regimen("regimens/nope");
  EXPECT_THAT(CreatePlan(unknown), StatusIs(absl::StatusCode::kNotFound));
  v1::GetRegimenRequest get_regimen;
  get_regimen.set_name("regimens/bnf-neurological");
  v1::Regimen regimen;
  CLINIC_ASSERT_OK(Rpc(&Stub::GetRegimen, north_clinician_, get_regimen, &regimen));
  v1::UpdateRegimenRequest retire;
  retire.set_request_id(NewRequestId());
  *retire.mutable_regimen() = regimen;
  retire.mutable_regimen()->set_state(v1::Regimen::STATE_RETIRED);
  retire.mutable_update_mask()->add_paths("state");
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateRegimen, north_clinician_, retire, &regimen));
  v1::CreateTreatmentPlanRequest retired = PlanRequest(ada.name(), eligible.name());
  retired.mutable_treatment_plan()->set_regimen("regimens/bnf-neurological");
  const absl::StatusOr<v1::TreatmentPlan> on_retired = CreatePlan(retired);
  EXPECT_THAT(on_retired, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(on_retired.status()), "STATE");
  EXPECT_EQ(CountRows("treatment_plans"), 0);
  EXPECT_EQ(CountRows("treatment_plan_revisions"), 0);
}

TEST_P(CareServiceTest, UpdatesMakeRevisionsAndKeepEveryEarlierOne) {
  const v1::Patient ada = CreatePatient();
  absl::StatusOr<v1::TreatmentPlan> created = CreatePlan(PlanRequest(ada.name(), Eligible(ada.name()).name()));
  CLINIC_ASSERT_OK(created.status());

  v1::UpdateTreatmentPlanRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_treatment_plan() = *created;
  update.mutable_treatment_plan()->mutable_phases(1)->mutable_frequency()->set_every(2);
  update.mutable_treatment_plan()->set_notes("Maintenance every 2 months after review.");
  update.mutable_treatment_plan()->set_product("products/changed");  // not in the mask: unchanged
  update.mutable_treatment_plan()->set_change_reason("  interval extended after review ");
  update.mutable_update_mask()->add_paths("phases");
  update.mutable_update_mask()->add_paths("notes");
  clock_.Advance(absl::Minutes(1));
  v1::TreatmentPlan revised;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateTreatmentPlan, north_clinician_, update, &revised));
  EXPECT_EQ(revised.name(), created->name());
  EXPECT_EQ(revised.revision_id(), "2");
  EXPECT_EQ(revised.phases(1).frequency().every(), 2);
  EXPECT_EQ(revised.notes(), "Maintenance every 2 months after review.");
  EXPECT_EQ(revised.product(), kProduct);
  EXPECT_EQ(revised.change_reason(), "interval extended after review");
  EXPECT_NE(revised.etag(), created->etag());
  EXPECT_EQ(api::FromTimestamp(revised.update_time()), clock_.Now());
  EXPECT_EQ(api::FromTimestamp(revised.create_time()), api::FromTimestamp(created->create_time()));

  // The old etag again: ABORTED, no revision added.
  v1::UpdateTreatmentPlanRequest stale = update;
  stale.set_request_id(NewRequestId());
  stale.mutable_treatment_plan()->set_notes("Lost update.");
  v1::TreatmentPlan ignored;
  EXPECT_THAT(Rpc(&Stub::UpdateTreatmentPlan, north_clinician_, stale, &ignored), StatusIs(absl::StatusCode::kAborted));
  // A missing change reason and an immutable path: named; nothing changed.
  v1::UpdateTreatmentPlanRequest bad = update;
  bad.set_request_id(NewRequestId());
  *bad.mutable_treatment_plan() = revised;
  bad.mutable_treatment_plan()->clear_change_reason();
  bad.mutable_update_mask()->add_paths("regimen");
  const absl::Status invalid = Rpc(&Stub::UpdateTreatmentPlan, north_clinician_, bad, &ignored);
  EXPECT_THAT(ViolatedFields(invalid), UnorderedElementsAre("treatment_plan.change_reason", "update_mask"));
  EXPECT_EQ(CountRows("treatment_plan_revisions"), 2);

  // Stopped is final.
  v1::UpdateTreatmentPlanRequest stop;
  stop.set_request_id(NewRequestId());
  *stop.mutable_treatment_plan() = revised;
  stop.mutable_treatment_plan()->set_state(v1::TreatmentPlan::STATE_STOPPED);
  stop.mutable_treatment_plan()->set_change_reason("Patient moved away.");
  stop.mutable_update_mask()->add_paths("state");
  clock_.Advance(absl::Minutes(1));
  v1::TreatmentPlan stopped;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateTreatmentPlan, north_clinician_, stop, &stopped));
  EXPECT_EQ(stopped.state(), v1::TreatmentPlan::STATE_STOPPED);
  EXPECT_EQ(stopped.revision_id(), "3");
  v1::UpdateTreatmentPlanRequest restart = stop;
  restart.set_request_id(NewRequestId());
  *restart.mutable_treatment_plan() = stopped;
  restart.mutable_treatment_plan()->set_state(v1::TreatmentPlan::STATE_ACTIVE);
  restart.mutable_treatment_plan()->set_change_reason("Back again.");
  const absl::Status final_state = Rpc(&Stub::UpdateTreatmentPlan, north_clinician_, restart, &ignored);
  EXPECT_THAT(final_state, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(final_state), "PLAN");

  // Every revision is kept: the latest by name, a past one by "@{revision_id}".
  absl::StatusOr<v1::TreatmentPlan> latest = GetPlan(scheduling_, created->name());
  CLINIC_ASSERT_OK(latest.status());
  EXPECT_EQ(latest->SerializeAsString(), stopped.SerializeAsString());
  absl::StatusOr<v1::TreatmentPlan> first = GetPlan(north_practitioner_, created->name() + "@1");
  CLINIC_ASSERT_OK(first.status());
  EXPECT_EQ(first->revision_id(), "1");
  EXPECT_EQ(first->name(), created->name());
  EXPECT_EQ(first->phases(1).frequency().every(), 1);
  EXPECT_EQ(first->notes(), "Loading as standard.");
  EXPECT_EQ(first->state(), v1::TreatmentPlan::STATE_ACTIVE);
  EXPECT_THAT(GetPlan(north_clinician_, created->name() + "@9"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(GetPlan(north_clinician_, created->name() + "@x"), StatusIs(absl::StatusCode::kInvalidArgument));
  // Reception may not read a plan.
  EXPECT_THAT(GetPlan(north_reception_, created->name()), StatusIs(absl::StatusCode::kPermissionDenied));

  v1::ListTreatmentPlanRevisionsRequest revisions;
  revisions.set_name(created->name());
  revisions.set_page_size(2);
  std::vector<std::string> ids;
  v1::ListTreatmentPlanRevisionsResponse page;
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListTreatmentPlanRevisions, north_clinician_, revisions, &page));
    for (const v1::TreatmentPlan& p : page.treatment_plans()) {
      ids.push_back(p.revision_id());
      EXPECT_EQ(p.name(), created->name());
    }
    revisions.set_page_token(page.next_page_token());
  } while (!revisions.page_token().empty());
  EXPECT_THAT(ids, ElementsAre("3", "2", "1"));

  // A second plan: listings give latest revisions, newest first, filtered by state.
  clock_.Advance(absl::Minutes(1));
  absl::StatusOr<v1::TreatmentPlan> second = CreatePlan(PlanRequest(ada.name(), Eligible(ada.name()).name()));
  CLINIC_ASSERT_OK(second.status());
  v1::ListTreatmentPlansRequest list;
  list.set_parent(ada.name());
  v1::ListTreatmentPlansResponse listed;
  CLINIC_ASSERT_OK(Rpc(&Stub::ListTreatmentPlans, north_reception_, list, &listed));
  ASSERT_THAT(listed.treatment_plans(), SizeIs(2));
  EXPECT_EQ(listed.treatment_plans(0).name(), second->name());
  EXPECT_EQ(listed.treatment_plans(1).revision_id(), "3");
  list.set_page_size(1);
  std::vector<std::string> names;
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListTreatmentPlans, scheduling_, list, &listed));
    for (const v1::TreatmentPlan& p : listed.treatment_plans()) names.push_back(p.name());
    list.set_page_token(listed.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(names, ElementsAre(second->name(), created->name()));
  list.set_page_size(0);
  list.add_states(v1::TreatmentPlan::STATE_ACTIVE);
  CLINIC_ASSERT_OK(Rpc(&Stub::ListTreatmentPlans, north_clinician_, list, &listed));
  ASSERT_THAT(listed.treatment_plans(), SizeIs(1));
  EXPECT_EQ(listed.treatment_plans(0).name(), second->name());
  list.add_states(static_cast<v1::TreatmentPlan::State>(0));
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::ListTreatmentPlans, north_clinician_, list, &listed)), ElementsAre("states"));
  ExpectChainVerifies(ada.name());
}

TEST_P(CareServiceTest, OfConcurrentUpdatesFromOneRevisionExactlyOneWins) {
  const v1::Patient ada = CreatePatient();
  absl::StatusOr<v1::TreatmentPlan> plan = CreatePlan(PlanRequest(ada.name(), Eligible(ada.name()).name()));
  CLINIC_ASSERT_OK(plan.status());
  constexpr int kWriters = 6;
  std::vector<v1::UpdateTreatmentPlanRequest> requests;
  for (int i = 0; i < kWriters; ++i) {
    v1::UpdateTreatmentPlanRequest update;
    update.set_request_id(NewRequestId());
    *update.mutable_treatment_plan() = *plan;
    update.mutable_treatment_plan()->set_notes(absl::StrCat("Writer ", i));
    update.mutable_treatment_plan()->set_change_reason("Concurrent review.");
    update.mutable_update_mask()->add_paths("notes");
    requests.push_back(update);
  }
  std::atomic<int> won{0}, aborted{0}, other{0};
  std::vector<std::thread> threads;
  for (const v1::UpdateTreatmentPlanRequest& request : requests) {
    threads.emplace_back([&, request] {
      v1::TreatmentPlan updated;
      const absl::Status s = Rpc(&Stub::UpdateTreatmentPlan, north_clinician_, request, &updated);
      if (s.ok()) {
        ++won;
      } else if (s.code() == absl::StatusCode::kAborted) {
        ++aborted;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(aborted.load(), kWriters - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(CountRows("treatment_plan_revisions"), 2);
  absl::StatusOr<v1::TreatmentPlan> latest = GetPlan(north_clinician_, plan->name());
  CLINIC_ASSERT_OK(latest.status());
  EXPECT_EQ(latest->revision_id(), "2");
  ExpectChainVerifies(ada.name());
}

TEST_P(CareServiceTest, AnAdministrationIsRecordedOnceWhateverTheRedeliveries) {
  const v1::Patient ada = CreatePatient();
  absl::StatusOr<v1::TreatmentPlan> plan = CreatePlan(PlanRequest(ada.name(), Eligible(ada.name()).name()));
  CLINIC_ASSERT_OK(plan.status());

  const v1::RecordAdministrationRequest request = AdministrationRequest(ada.name(), plan->name());
  v1::Administration recorded;
  CLINIC_ASSERT_OK(Rpc(&Stub::RecordAdministration, scheduling_, request, &recorded));
  EXPECT_THAT(recorded.name(), ::testing::StartsWith(ada.name() + "/administrations/"));
  EXPECT_EQ(recorded.treatment_plan_revision(), "1");
  EXPECT_EQ(recorded.recorded_by(), "scheduling");
  EXPECT_EQ(recorded.lot(), absl::StrCat(kProduct, "/lots/lot-1"));
  EXPECT_EQ(recorded.lot_number(), "HX2291");
  EXPECT_EQ(recorded.site(), v1::INJECTION_SITE_LEFT_DELTOID);
  EXPECT_EQ(api::FromTimestamp(recorded.create_time()), clock_.Now());

  // The outbox redelivers: the same administration, nothing more recorded.
  v1::Administration again;
  CLINIC_ASSERT_OK(Rpc(&Stub::RecordAdministration, scheduling_, request, &again));
  EXPECT_EQ(again.SerializeAsString(), recorded.SerializeAsString());
  // Even after the idempotency key was purged: the administration keeps its request_id.
  CLINIC_ASSERT_OK(db_->Execute("DELETE FROM idempotency_keys"));
  CLINIC_ASSERT_OK(Rpc(&Stub::RecordAdministration, scheduling_, request, &again));
  EXPECT_EQ(again.name(), recorded.name());
  EXPECT_EQ(CountRows("administrations"), 1);
  // The same request_id for another request: INVALID_ARGUMENT.
  v1::RecordAdministrationRequest reused = request;
  reused.mutable_administration()->set_lot_number("OTHER");
  EXPECT_THAT(Rpc(&Stub::RecordAdministration, scheduling_, reused, &again),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // Bad input names each field and stores nothing.
  v1::RecordAdministrationRequest bad = AdministrationRequest(ada.name(), plan->name());
  *bad.mutable_administration()->mutable_expiry_date() = api::ToDate(absl::CivilDay(2026, 11, 1));
  bad.mutable_administration()->set_site(v1::INJECTION_SITE_UNSPECIFIED);
  bad.mutable_administration()->set_lot("products/cyanocobalamin-1mg-1ml/lots/lot-9");
  bad.mutable_administration()->clear_practitioner();
  bad.mutable_administration()->mutable_dose()->mutable_value()->set_value("-1");
  *bad.mutable_administration()->mutable_administer_time() = api::ToTimestamp(clock_.Now() + absl::Hours(1));
  const absl::Status invalid = Rpc(&Stub::RecordAdministration, north_practitioner_, bad, &again);
  EXPECT_THAT(invalid, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(invalid),
              UnorderedElementsAre("administration.site", "administration.lot", "administration.practitioner",
                                   "administration.dose.value", "administration.administer_time"));
  v1::RecordAdministrationRequest expired = AdministrationRequest(ada.name(), plan->name());
  *expired.mutable_administration()->mutable_expiry_date() = api::ToDate(absl::CivilDay(2026, 11, 23));
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::RecordAdministration, north_practitioner_, expired, &again)),
              ElementsAre("administration.expiry_date"));
  // A plan of another patient is refused; an unknown plan is NOT_FOUND.
  v1::RecordAdministrationRequest elsewhere = AdministrationRequest(ada.name(), "patients/someone/treatmentPlans/p1");
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::RecordAdministration, north_practitioner_, elsewhere, &again)),
              ElementsAre("administration.treatment_plan"));
  v1::RecordAdministrationRequest unknown = AdministrationRequest(ada.name(), ada.name() + "/treatmentPlans/nope");
  EXPECT_THAT(Rpc(&Stub::RecordAdministration, north_practitioner_, unknown, &again),
              StatusIs(absl::StatusCode::kNotFound));
  // Reception may not record a dose.
  EXPECT_THAT(Rpc(&Stub::RecordAdministration, north_reception_, AdministrationRequest(ada.name(), plan->name()),
                  &again),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(CountRows("administrations"), 1);

  // A second dose by the practitioner, later; then read and list.
  clock_.Advance(absl::Hours(24 * 7));
  v1::Administration second;
  CLINIC_ASSERT_OK(
      Rpc(&Stub::RecordAdministration, north_practitioner_, AdministrationRequest(ada.name(), plan->name()), &second));
  EXPECT_EQ(second.recorded_by(), "nurse-north");
  v1::GetAdministrationRequest get;
  get.set_name(recorded.name());
  v1::Administration read;
  CLINIC_ASSERT_OK(Rpc(&Stub::GetAdministration, north_clinician_, get, &read));
  EXPECT_EQ(read.SerializeAsString(), recorded.SerializeAsString());
  EXPECT_THAT(Rpc(&Stub::GetAdministration, scheduling_, get, &read), StatusIs(absl::StatusCode::kPermissionDenied));
  get.set_name(ada.name() + "/administrations/nope");
  EXPECT_THAT(Rpc(&Stub::GetAdministration, north_clinician_, get, &read), StatusIs(absl::StatusCode::kNotFound));

  v1::ListAdministrationsRequest list;
  list.set_parent(ada.name());
  list.set_page_size(1);
  std::vector<std::string> names;
  v1::ListAdministrationsResponse listed;
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListAdministrations, north_practitioner_, list, &listed));
    for (const v1::Administration& a : listed.administrations()) names.push_back(a.name());
    list.set_page_token(listed.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(names, ElementsAre(second.name(), recorded.name()));
  list.set_page_size(0);
  list.set_treatment_plan(ada.name() + "/treatmentPlans/other");
  CLINIC_ASSERT_OK(Rpc(&Stub::ListAdministrations, north_practitioner_, list, &listed));
  EXPECT_THAT(listed.administrations(), IsEmpty());
  list.set_treatment_plan(plan->name());
  CLINIC_ASSERT_OK(Rpc(&Stub::ListAdministrations, north_practitioner_, list, &listed));
  EXPECT_THAT(listed.administrations(), SizeIs(2));
  EXPECT_TRUE(Logged(ada.name(), "RecordAdministration", recorded.name(), v1::ACCESS_OUTCOME_ALLOWED));
  ExpectChainVerifies(ada.name());
}

TEST_P(CareServiceTest, CheckInsAreListedNewestFirstWithTheTrendOfTheWholeRange) {
  const v1::Patient ada = CreatePatient();
  // Energy rises a point a week, skin is flat, mood falls a point a week.
  const absl::CivilDay start(2026, 10, 28);
  std::vector<std::string> names;
  for (int week = 0; week < 4; ++week) {
    v1::CheckIn created;
    CLINIC_ASSERT_OK(Rpc(&Stub::CreateCheckIn, week % 2 == 0 ? north_reception_ : north_practitioner_,
                         CheckInRequest(ada.name(), start + 7 * week, 4 + week, 6, 8 - week), &created));
    EXPECT_EQ(created.source(), v1::CHECK_IN_SOURCE_STAFF);
    names.push_back(created.name());
    clock_.Advance(absl::Seconds(1));
  }
  // The portal records one for the patient, today.
  v1::CheckIn from_portal;
  CLINIC_ASSERT_OK(Rpc(&Stub::CreateCheckIn, portal_, CheckInRequest(ada.name(), absl::CivilDay(2026, 11, 25), 8, 6, 4),
                       &from_portal));
  EXPECT_EQ(from_portal.source(), v1::CHECK_IN_SOURCE_PATIENT_PORTAL);
  EXPECT_EQ(from_portal.recorded_by(), "portal");
  EXPECT_EQ(from_portal.note(), "Feeling it.");
  names.push_back(from_portal.name());

  // Bad input: each field named, nothing stored.
  v1::CreateCheckInRequest bad = CheckInRequest(ada.name(), absl::CivilDay(2026, 11, 27), 0, 11, 5);
  bad.mutable_check_in()->set_note(std::string(2001, 'x'));
  v1::CheckIn ignored;
  const absl::Status invalid = Rpc(&Stub::CreateCheckIn, north_reception_, bad, &ignored);
  EXPECT_THAT(ViolatedFields(invalid),
              UnorderedElementsAre("check_in.check_in_date", "check_in.energy_score", "check_in.skin_clarity_score",
                                   "check_in.note"));
  EXPECT_EQ(CountRows("check_ins"), 5);

  v1::ListCheckInsRequest list;
  list.set_parent(ada.name());
  list.set_page_size(2);
  std::vector<std::string> listed_names;
  std::vector<v1::CheckInTrend> trends;
  v1::ListCheckInsResponse page;
  do {
    CLINIC_ASSERT_OK(Rpc(&Stub::ListCheckIns, north_practitioner_, list, &page));
    for (const v1::CheckIn& c : page.check_ins()) listed_names.push_back(c.name());
    trends.push_back(page.trend());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(listed_names, ElementsAre(names[4], names[3], names[2], names[1], names[0]));
  ASSERT_THAT(trends, SizeIs(3));
  for (const v1::CheckInTrend& t : trends) EXPECT_EQ(t.SerializeAsString(), trends[0].SerializeAsString());
  EXPECT_EQ(trends[0].check_in_count(), 5);
  EXPECT_EQ(trends[0].energy().direction(), v1::TREND_DIRECTION_IMPROVING);
  EXPECT_EQ(trends[0].energy().first(), 4);
  EXPECT_EQ(trends[0].energy().latest(), 8);
  EXPECT_EQ(trends[0].skin_clarity().direction(), v1::TREND_DIRECTION_STABLE);
  EXPECT_DOUBLE_EQ(trends[0].skin_clarity().mean(), 6.0);
  EXPECT_EQ(trends[0].mood().direction(), v1::TREND_DIRECTION_WORSENING);

  // A range: the first two weeks only; its trend is over those alone.
  v1::ListCheckInsRequest range;
  range.set_parent(ada.name());
  *range.mutable_date_range()->mutable_start_date() = api::ToDate(start);
  *range.mutable_date_range()->mutable_end_date() = api::ToDate(start + 7);
  CLINIC_ASSERT_OK(Rpc(&Stub::ListCheckIns, north_clinician_, range, &page));
  EXPECT_THAT(page.check_ins(), SizeIs(2));
  EXPECT_EQ(page.trend().check_in_count(), 2);
  EXPECT_NEAR(page.trend().energy().slope_per_week(), 1.0, 1e-9);
  // Open start; a single day: insufficient data.
  range.mutable_date_range()->clear_start_date();
  *range.mutable_date_range()->mutable_end_date() = api::ToDate(start);
  CLINIC_ASSERT_OK(Rpc(&Stub::ListCheckIns, portal_, range, &page));
  EXPECT_THAT(page.check_ins(), SizeIs(1));
  EXPECT_EQ(page.trend().mood().direction(), v1::TREND_DIRECTION_INSUFFICIENT_DATA);
  // An end before the start is named.
  *range.mutable_date_range()->mutable_start_date() = api::ToDate(start + 1);
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::ListCheckIns, north_clinician_, range, &page)),
              ElementsAre("date_range.end_date"));
  // Reception records check-ins but does not read them.
  EXPECT_THAT(Rpc(&Stub::ListCheckIns, north_reception_, list, &page), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(Logged(ada.name(), "ListCheckIns", ada.name() + "/checkIns", v1::ACCESS_OUTCOME_ALLOWED));
  ExpectChainVerifies(ada.name());
}

TEST_P(CareServiceTest, AnotherClinicSeesTheCareRecordOnlyUnderSharingConsent) {
  const v1::Patient ada = CreatePatient();
  absl::StatusOr<v1::TreatmentPlan> plan = CreatePlan(PlanRequest(ada.name(), Eligible(ada.name()).name()));
  CLINIC_ASSERT_OK(plan.status());
  v1::Administration given;
  CLINIC_ASSERT_OK(
      Rpc(&Stub::RecordAdministration, north_practitioner_, AdministrationRequest(ada.name(), plan->name()), &given));
  v1::CheckIn check_in;
  CLINIC_ASSERT_OK(Rpc(&Stub::CreateCheckIn, north_practitioner_,
                       CheckInRequest(ada.name(), absl::CivilDay(2026, 11, 20), 5, 5, 5), &check_in));

  // The south clinic cannot see the record: NOT_FOUND, exactly as a missing patient.
  const absl::StatusOr<v1::TreatmentPlan> hidden = GetPlan(south_clinician_, plan->name());
  EXPECT_THAT(hidden, StatusIs(absl::StatusCode::kNotFound));
  const absl::StatusOr<v1::TreatmentPlan> missing =
      GetPlan(south_clinician_, "patients/nobody/treatmentPlans/" + plan->name().substr(plan->name().rfind('/') + 1));
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound));
  v1::ListAdministrationsRequest administrations;
  administrations.set_parent(ada.name());
  v1::ListAdministrationsResponse listed;
  EXPECT_THAT(Rpc(&Stub::ListAdministrations, south_clinician_, administrations, &listed),
              StatusIs(absl::StatusCode::kNotFound));
  v1::ListCheckInsRequest check_ins;
  check_ins.set_parent(ada.name());
  v1::ListCheckInsResponse check_in_page;
  EXPECT_THAT(Rpc(&Stub::ListCheckIns, south_clinician_, check_ins, &check_in_page),
              StatusIs(absl::StatusCode::kNotFound));
  v1::CreateCheckInRequest create_elsewhere = CheckInRequest(ada.name(), absl::CivilDay(2026, 11, 21), 6, 6, 6);
  v1::CheckIn ignored;
  EXPECT_THAT(Rpc(&Stub::CreateCheckIn, south_clinician_, create_elsewhere, &ignored),
              StatusIs(absl::StatusCode::kNotFound));
  v1::UpdateTreatmentPlanRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_treatment_plan() = *plan;
  update.mutable_treatment_plan()->set_notes("From the south.");
  update.mutable_treatment_plan()->set_change_reason("Seen at the south clinic.");
  update.mutable_update_mask()->add_paths("notes");
  v1::TreatmentPlan updated;
  EXPECT_THAT(Rpc(&Stub::UpdateTreatmentPlan, south_clinician_, update, &updated),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(CountRows("check_ins"), 1);
  EXPECT_EQ(CountRows("treatment_plan_revisions"), 1);
  // The refused read is in the log, as denied.
  EXPECT_TRUE(Logged(ada.name(), "GetTreatmentPlan", plan->name(), v1::ACCESS_OUTCOME_DENIED));

  // Shared with the network: the south clinician reads and updates.
  CLINIC_ASSERT_OK(ShareWithNetwork(ada.name()));
  CLINIC_ASSERT_OK(GetPlan(south_clinician_, plan->name()).status());
  CLINIC_ASSERT_OK(Rpc(&Stub::ListAdministrations, south_clinician_, administrations, &listed));
  EXPECT_THAT(listed.administrations(), SizeIs(1));
  update.set_request_id(NewRequestId());
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateTreatmentPlan, south_clinician_, update, &updated));
  EXPECT_EQ(updated.prescriber(), "doc-south");
  EXPECT_EQ(updated.clinic(), absl::StrCat("clinics/", kNorth));  // the prescribing clinic stays
  bool south_read_logged = false;
  for (const v1::AccessLogEntry& e : AccessLog(ada.name())) {
    if (e.principal() == "doc-south" && e.outcome() == v1::ACCESS_OUTCOME_ALLOWED &&
        e.method() == "clinic.patient.v1.PatientService/GetTreatmentPlan") {
      south_read_logged = e.clinic() == absl::StrCat("clinics/", kSouth) && e.action() == v1::ACCESS_ACTION_READ;
    }
  }
  EXPECT_TRUE(south_read_logged);
  EXPECT_TRUE(Logged(ada.name(), "UpdateTreatmentPlan", plan->name(), v1::ACCESS_OUTCOME_ALLOWED));
  ExpectChainVerifies(ada.name());
}

INSTANTIATE_TEST_SUITE_P(Backends, CareServiceTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace clinic::patient
