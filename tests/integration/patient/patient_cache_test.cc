// The patient record cache against a real redis-server: the cache module directly (its
// Lua scripts, the breaker, undelivered invalidations), and the patient service reading
// through it over a real gRPC channel on both backends (SQLite file, PostgreSQL).

#include <atomic>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/patient/v1/patient_service.grpc.pb.h"
#include "common/api/convert.h"
#include "common/auth/jwt.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/redis/hiredis_client.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "common/status/grpc_status.h"
#include "grpcpp/grpcpp.h"
#include "services/patient/clinical_store.h"
#include "services/patient/patient_cache.h"
#include "services/patient/patient_service.h"
#include "services/patient/schema.h"
#include "tests/support/fake_clock.h"
#include "tests/support/postgres_server.h"
#include "tests/support/redis_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace clinic::patient {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::PostgresServer;
using ::clinic::testing::RedisServer;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-patient-cache-test";
constexpr char kNorth[] = "clinic-north";
constexpr char kSouth[] = "clinic-south";

// The value of the series `series` (e.g. `patient_cache_lookups_total{result="hit"}`)
// in `registry`'s exposition; 0 when absent.
double MetricValue(const metrics::Registry& registry, const std::string& series) {
  const std::string rendered = registry.Render();
  for (absl::string_view line : absl::StrSplit(rendered, '\n')) {
    if (!absl::StartsWith(line, series + " ")) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return 0;
}

double Lookups(const metrics::Registry& registry, const std::string& result) {
  return MetricValue(registry, absl::StrCat("patient_cache_lookups_total{result=\"", result, "\"}"));
}

std::unique_ptr<redis::HiredisClient> Connect(const RedisServer& server) {
  redis::ClientOptions options;
  options.url = server.url();
  options.connect_timeout = options.command_timeout = options.pool_wait_timeout = absl::Milliseconds(200);
  return redis::HiredisClient::Create(options).value();
}

store::PatientRecord Record(const std::string& id, int64_t revision, const std::string& given) {
  store::PatientRecord record;
  record.patient_id = id;
  record.patient.set_name(store::PatientName(id));
  record.patient.set_given_name(given);
  record.patient.set_etag(api::Etag(revision));
  record.sharing.home_clinic = "clinics/north";
  record.sharing.scope = v1::SHARING_SCOPE_NAMED_CLINICS;
  record.sharing.shared_clinics = {"clinics/east", "clinics/south"};
  record.version = revision;
  record.revision = revision;
  return record;
}

// ---------------------------------------------------------------------------------------
// The cache module directly.

class PatientCacheModuleTest : public ::testing::Test {
 protected:
  PatientCacheModuleTest() : client_(Connect(redis_)) {}

  std::unique_ptr<PatientCache> MakeCache(PatientCacheOptions options = {}) {
    return std::make_unique<PatientCache>(*client_, clock_, registry_, options);
  }

  std::optional<int64_t> CachedRevision(PatientCache& cache, const std::string& id) {
    std::optional<CachedRecord> hit = cache.Get(id, absl::InfiniteFuture());
    if (!hit.has_value()) return std::nullopt;
    return hit->record.revision;
  }

  RedisServer redis_;
  std::unique_ptr<redis::HiredisClient> client_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  metrics::Registry registry_;
};

TEST_F(PatientCacheModuleTest, EncodingRoundTripsAndRejectsForeignBytes) {
  const store::PatientRecord record = Record("p1", 7, "Ada");
  std::optional<store::PatientRecord> back = DecodeCachedRecord("p1", EncodeCachedRecord(record));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->patient_id, "p1");
  EXPECT_EQ(back->revision, 7);
  EXPECT_EQ(back->version, 7);
  EXPECT_EQ(back->patient.given_name(), "Ada");
  EXPECT_EQ(back->sharing.home_clinic, "clinics/north");
  EXPECT_EQ(back->sharing.scope, v1::SHARING_SCOPE_NAMED_CLINICS);
  EXPECT_THAT(back->sharing.shared_clinics, ::testing::ElementsAre("clinics/east", "clinics/south"));
  EXPECT_FALSE(DecodeCachedRecord("p2", EncodeCachedRecord(record)).has_value());  // another key's value
  EXPECT_FALSE(DecodeCachedRecord("p1", "garbage").has_value());
  std::string truncated = EncodeCachedRecord(record);
  truncated.resize(truncated.size() - 3);
  EXPECT_FALSE(DecodeCachedRecord("p1", truncated).has_value());
}

TEST_F(PatientCacheModuleTest, PutNeverReplacesANewerRevision) {
  std::unique_ptr<PatientCache> cache = MakeCache();
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_TRUE(cache->Put(Record("p1", 2, "new"), nullptr, absl::InfiniteFuture()));
  EXPECT_FALSE(cache->Put(Record("p1", 1, "old"), nullptr, absl::InfiniteFuture()));
  std::optional<CachedRecord> hit = cache->Get("p1", absl::InfiniteFuture());
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.revision, 2);
  EXPECT_EQ(hit->record.patient.given_name(), "new");
  EXPECT_FALSE(hit->consent.has_value());

  // The same revision again changes nothing, but fills in the consent it lacked.
  EXPECT_FALSE(cache->Put(Record("p1", 2, "other"), nullptr, absl::InfiniteFuture()));
  v1::Consent consent;
  consent.set_name("patients/p1/consent");
  consent.set_etag("consent-etag");
  EXPECT_TRUE(cache->Put(Record("p1", 2, "other"), &consent, absl::InfiniteFuture()));
  hit = cache->Get("p1", absl::InfiniteFuture());
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.patient.given_name(), "new");
  ASSERT_TRUE(hit->consent.has_value());
  EXPECT_EQ(hit->consent->etag(), "consent-etag");

  // A newer revision replaces the entry, consent included.
  EXPECT_TRUE(cache->Put(Record("p1", 3, "newer"), nullptr, absl::InfiniteFuture()));
  hit = cache->Get("p1", absl::InfiniteFuture());
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->record.revision, 3);
  EXPECT_FALSE(hit->consent.has_value());
  EXPECT_EQ(Lookups(registry_, "hit"), 3);
  EXPECT_EQ(Lookups(registry_, "miss"), 1);
}

TEST_F(PatientCacheModuleTest, InvalidationLeavesATombstoneThatRefusesOlderPuts) {
  std::unique_ptr<PatientCache> cache = MakeCache();
  ASSERT_TRUE(cache->Put(Record("p1", 4, "v4"), nullptr, absl::InfiniteFuture()));
  cache->Invalidate("p1", 5, absl::InfiniteFuture());
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  // A reader that loaded revision 4 before the change puts it after the invalidation.
  EXPECT_FALSE(cache->Put(Record("p1", 4, "v4"), nullptr, absl::InfiniteFuture()));
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_TRUE(cache->Put(Record("p1", 5, "v5"), nullptr, absl::InfiniteFuture()));
  EXPECT_EQ(CachedRevision(*cache, "p1"), 5);
  // An invalidation older than what is cached changes nothing.
  cache->Invalidate("p1", 3, absl::InfiniteFuture());
  EXPECT_EQ(CachedRevision(*cache, "p1"), 5);

  // Entries and tombstones expire.
  std::unique_ptr<redis::HiredisClient> raw = Connect(redis_);
  const std::string_view ttl[] = {"PTTL", "patient:record:p1"};
  absl::StatusOr<redis::Reply> left = raw->Command(ttl);
  CLINIC_ASSERT_OK(left.status());
  EXPECT_GT(left->integer(), 0);
  EXPECT_LE(left->integer(), absl::ToInt64Milliseconds(PatientCacheOptions().ttl));
}

TEST_F(PatientCacheModuleTest, ScriptsSurviveAScriptFlush) {
  std::unique_ptr<PatientCache> cache = MakeCache();
  ASSERT_TRUE(cache->Put(Record("p1", 1, "v1"), nullptr, absl::InfiniteFuture()));
  std::unique_ptr<redis::HiredisClient> raw = Connect(redis_);
  const std::string_view flush[] = {"SCRIPT", "FLUSH"};
  CLINIC_ASSERT_OK(raw->Command(flush).status());
  EXPECT_TRUE(cache->Put(Record("p1", 2, "v2"), nullptr, absl::InfiniteFuture()));  // NOSCRIPT → EVAL
  cache->Invalidate("p1", 3, absl::InfiniteFuture());
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_FALSE(cache->Put(Record("p1", 2, "v2"), nullptr, absl::InfiniteFuture()));
}

TEST_F(PatientCacheModuleTest, BreakerOpensAfterConsecutiveFailuresAndProbesAfterTheCooldown) {
  PatientCacheOptions options;
  options.breaker_failures = 3;
  options.breaker_cooldown = absl::Seconds(5);
  std::unique_ptr<PatientCache> cache = MakeCache(options);
  ASSERT_TRUE(cache->Put(Record("p1", 1, "v1"), nullptr, absl::InfiniteFuture()));
  redis_.Kill();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_TRUE(cache->breaker_open());
  EXPECT_EQ(Lookups(registry_, "error"), 3);
  EXPECT_EQ(MetricValue(registry_, "patient_cache_breaker_open"), 1);
  EXPECT_EQ(MetricValue(registry_, "patient_cache_breaker_opens_total"), 1);
  // Open: Redis is not called at all.
  const double errors = MetricValue(registry_, "patient_cache_errors_total{op=\"get\"}");
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_errors_total{op=\"get\"}"), errors);
  EXPECT_EQ(Lookups(registry_, "bypassed"), 10);

  // After the cool-down one probe goes out; it fails while Redis is down: open again.
  clock_.Advance(absl::Seconds(5));
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_errors_total{op=\"get\"}"), errors + 1);
  EXPECT_TRUE(cache->breaker_open());
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_errors_total{op=\"get\"}"), errors + 1);

  // Redis back (empty): the next probe closes the breaker.
  redis_.Start();
  clock_.Advance(absl::Seconds(5));
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());  // the probe: a miss
  EXPECT_FALSE(cache->breaker_open());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_breaker_open"), 0);
  ASSERT_TRUE(cache->Put(Record("p1", 2, "v2"), nullptr, absl::InfiniteFuture()));
  EXPECT_EQ(CachedRevision(*cache, "p1"), 2);
}

TEST_F(PatientCacheModuleTest, AnUndeliveredInvalidationIsDeliveredBeforeTheNextHit) {
  std::unique_ptr<PatientCache> cache = MakeCache();
  ASSERT_TRUE(cache->Put(Record("p1", 1, "v1"), nullptr, absl::InfiniteFuture()));
  // Redis refuses the cache's scripts but still answers reads (and keeps the stale
  // entry): an ACL that denies EVAL and EVALSHA to the default user.
  std::unique_ptr<redis::HiredisClient> admin = Connect(redis_);
  const std::string_view deny[] = {"ACL", "SETUSER", "default", "-eval", "-evalsha"};
  CLINIC_ASSERT_OK(admin->Command(deny).status());
  cache->Invalidate("p1", 2, absl::InfiniteFuture());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_pending_invalidations"), 1);
  EXPECT_EQ(MetricValue(registry_, "patient_cache_errors_total{op=\"invalidate\"}"), 1);
  // The stale revision is never served while the invalidation is pending.
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_EQ(Lookups(registry_, "bypassed"), 1);
  EXPECT_EQ(Lookups(registry_, "hit"), 0);
  EXPECT_FALSE(cache->Put(Record("p1", 1, "v1"), nullptr, absl::InfiniteFuture()));

  const std::string_view allow[] = {"ACL", "SETUSER", "default", "+@all"};
  CLINIC_ASSERT_OK(admin->Command(allow).status());
  // Delivered before the lookup: a miss, not revision 1.
  EXPECT_FALSE(CachedRevision(*cache, "p1").has_value());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_pending_invalidations"), 0);
  EXPECT_EQ(Lookups(registry_, "miss"), 1);
  EXPECT_FALSE(cache->Put(Record("p1", 1, "v1"), nullptr, absl::InfiniteFuture()));
  EXPECT_TRUE(cache->Put(Record("p1", 2, "v2"), nullptr, absl::InfiniteFuture()));
  EXPECT_EQ(CachedRevision(*cache, "p1"), 2);
}

TEST_F(PatientCacheModuleTest, TimeoutIsAFractionOfTheRemainingDeadline) {
  std::unique_ptr<PatientCache> cache = MakeCache();
  ASSERT_TRUE(cache->Put(Record("p1", 1, "v1"), nullptr, absl::InfiniteFuture()));
  // A deadline already past leaves no budget: Redis is not called.
  EXPECT_FALSE(cache->Get("p1", absl::Now() - absl::Seconds(1)).has_value());
  EXPECT_EQ(Lookups(registry_, "bypassed"), 1);
  EXPECT_TRUE(cache->Get("p1", absl::Now() + absl::Seconds(30)).has_value());
}

// ---------------------------------------------------------------------------------------
// The service reading through the cache.

enum class Backend { kSqlite, kPostgres };
using Stub = v1::PatientService::Stub;

class PatientServiceCacheTest : public ::testing::TestWithParam<Backend> {
 protected:
  PatientServiceCacheTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 25, 10, 0, 0), absl::UTCTimeZone())),
        cache_clock_(absl::FromUnixSeconds(1'800'000'000)) {}

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
    client_ = Connect(redis_);
    PatientCacheOptions cache_options;
    cache_options.breaker_failures = 3;
    cache_options.breaker_cooldown = absl::Seconds(5);
    cache_ = std::make_unique<PatientCache>(*client_, cache_clock_, registry_, cache_options);
    calls_ = std::make_unique<server::CallRunner>(*verifier_);
    service_ = std::make_unique<PatientService>(*calls_, *db_, clock_, cache_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::PatientService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    north_reception_ = Token(auth::Role::kReception, "rec-north", kNorth);
    south_reception_ = Token(auth::Role::kReception, "rec-south", kSouth);
    notification_ = Token(auth::Role::kService, "notification", std::nullopt);
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

  v1::Patient Create(const std::string& given, const std::string& phone) {
    v1::CreatePatientRequest request;
    request.set_request_id(NewRequestId());
    v1::Patient* p = request.mutable_patient();
    p->set_given_name(given);
    p->set_family_name("Cached");
    *p->mutable_birth_date() = api::ToDate(absl::CivilDay(1980, 4, 12));
    p->set_phone_number(phone);
    p->set_language_code("en-GB");
    v1::Patient created;
    EXPECT_THAT(Rpc(&Stub::CreatePatient, north_reception_, request, &created), IsOk());
    return created;
  }

  absl::StatusOr<v1::Patient> Get(const std::string& token, const std::string& name) {
    v1::GetPatientRequest request;
    request.set_name(name);
    v1::Patient patient;
    if (absl::Status s = Rpc(&Stub::GetPatient, token, request, &patient); !s.ok()) return s;
    return patient;
  }

  absl::StatusOr<v1::Patient> Rename(const v1::Patient& current, const std::string& given) {
    v1::UpdatePatientRequest request;
    request.set_request_id(NewRequestId());
    *request.mutable_patient() = current;
    request.mutable_patient()->set_given_name(given);
    request.mutable_update_mask()->add_paths("given_name");
    v1::Patient updated;
    if (absl::Status s = Rpc(&Stub::UpdatePatient, north_reception_, request, &updated); !s.ok()) return s;
    return updated;
  }

  absl::Status Consent(const std::string& name, v1::SharingScope scope) {
    v1::GetConsentRequest get;
    get.set_name(name + "/consent");
    v1::Consent consent;
    if (absl::Status s = Rpc(&Stub::GetConsent, north_reception_, get, &consent); !s.ok()) return s;
    if (scope == v1::SHARING_SCOPE_NONE) {
      v1::WithdrawSharingConsentRequest request;
      request.set_request_id(NewRequestId());
      request.set_name(name + "/consent");
      return Rpc(&Stub::WithdrawSharingConsent, north_reception_, request, &consent);
    }
    v1::UpdateSharingConsentRequest request;
    request.set_request_id(NewRequestId());
    request.set_name(name + "/consent");
    request.set_etag(consent.etag());
    request.mutable_sharing()->set_scope(scope);
    *request.mutable_sharing()->mutable_grant_time() = api::ToTimestamp(clock_.Now() - absl::Minutes(5));
    return Rpc(&Stub::UpdateSharingConsent, north_reception_, request, &consent);
  }

  // The number of access log entries of `name` (read with the DPO's rights).
  int AccessLogSize(const std::string& name) {
    const std::string dpo = Token(auth::Role::kDpo, "dpo-1", std::nullopt);
    v1::ListAccessLogRequest request;
    request.set_parent(name);
    request.set_page_size(1000);
    v1::ListAccessLogResponse response;
    EXPECT_THAT(Rpc(&Stub::ListAccessLog, dpo, request, &response), IsOk());
    return response.access_log_entries_size();
  }

  TempDir dir_;
  FakeClock clock_;
  FakeClock cache_clock_;
  SystemClock system_clock_;
  RedisServer redis_;
  std::unique_ptr<redis::HiredisClient> client_;
  metrics::Registry registry_;
  std::unique_ptr<PatientCache> cache_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<server::CallRunner> calls_;
  std::unique_ptr<PatientService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
  std::string north_reception_, south_reception_, notification_;
  std::atomic<int> request_counter_{0};
};

TEST_P(PatientServiceCacheTest, ReadsHitAfterTheFirstAndEveryReadIsStillAudited) {
  const v1::Patient ada = Create("Ada", "+447700900123");
  const int log_before = AccessLogSize(ada.name());
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<v1::Patient> got = Get(north_reception_, ada.name());
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->given_name(), "Ada");
    EXPECT_EQ(got->etag(), ada.etag());
  }
  EXPECT_EQ(Lookups(registry_, "miss"), 1);
  EXPECT_EQ(Lookups(registry_, "hit"), 2);
  // Three reads, three access log entries (plus the DPO's own listing of the log).
  EXPECT_EQ(AccessLogSize(ada.name()), log_before + 1 + 3);

  // Authorisation still applies on a hit: another clinic sees nothing.
  EXPECT_THAT(Get(south_reception_, ada.name()), StatusIs(absl::StatusCode::kNotFound));

  // LookupContact reads through the same entry; the first one adds the consent to it.
  v1::LookupContactRequest lookup;
  lookup.set_name(ada.name());
  for (int i = 0; i < 2; ++i) {
    v1::LookupContactResponse contact;
    ASSERT_THAT(Rpc(&Stub::LookupContact, notification_, lookup, &contact), IsOk());
    EXPECT_EQ(contact.patient(), ada.name());
    ASSERT_GE(contact.contact_points_size(), 1);
    EXPECT_EQ(contact.contact_points(0).address(), "+447700900123");
  }
  EXPECT_EQ(Lookups(registry_, "hit"), 2 + 1 + 2);
  std::optional<CachedRecord> entry = cache_->Get(ada.name().substr(sizeof("patients/") - 1), absl::InfiniteFuture());
  ASSERT_TRUE(entry.has_value());
  EXPECT_TRUE(entry->consent.has_value());
}

TEST_P(PatientServiceCacheTest, AfterAnUpdateReturnsNoReadReturnsAnOlderVersion) {
  const v1::Patient ada = Create("Ada", "+447700900123");
  ASSERT_THAT(Get(north_reception_, ada.name()), IsOk());  // cached
  constexpr int kReaders = 4;
  constexpr int kUpdates = 8;
  // The version of the last update that has returned.
  std::atomic<int64_t> returned{api::ParseEtag(ada.etag()).value()};
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> violations{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      int64_t last_seen = 0;
      while (!done.load()) {
        const int64_t floor = returned.load();
        absl::StatusOr<v1::Patient> got = Get(north_reception_, ada.name());
        if (!got.ok()) {
          failures.fetch_add(1);
          continue;
        }
        const int64_t version = api::ParseEtag(got->etag()).value_or(-1);
        if (version < floor || version < last_seen) violations.fetch_add(1);
        last_seen = std::max(last_seen, version);
        reads.fetch_add(1);
      }
    });
  }
  v1::Patient current = ada;
  for (int i = 0; i < kUpdates; ++i) {
    absl::StatusOr<v1::Patient> updated = Rename(current, absl::StrCat("Ada", i));
    ASSERT_THAT(updated, IsOk());
    current = *updated;
    returned.store(api::ParseEtag(current.etag()).value());
    // Let the readers race this version before the next update.
    const int target = reads.load() + kReaders;
    while (reads.load() < target && failures.load() == 0) std::this_thread::yield();
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(violations.load(), 0);
  absl::StatusOr<v1::Patient> last = Get(north_reception_, ada.name());
  ASSERT_THAT(last, IsOk());
  EXPECT_EQ(last->etag(), current.etag());
  EXPECT_EQ(last->given_name(), absl::StrCat("Ada", kUpdates - 1));
  EXPECT_GT(Lookups(registry_, "hit"), 0);
}

TEST_P(PatientServiceCacheTest, ConsentWithdrawalTakesEffectAtOnceDespiteTheCache) {
  const v1::Patient ada = Create("Ada", "+447700900123");
  ASSERT_THAT(Consent(ada.name(), v1::SHARING_SCOPE_NETWORK), IsOk());
  ASSERT_THAT(Get(south_reception_, ada.name()), IsOk());  // a miss: cached with NETWORK sharing
  const double hits = Lookups(registry_, "hit");
  ASSERT_THAT(Get(south_reception_, ada.name()), IsOk());
  ASSERT_EQ(Lookups(registry_, "hit"), hits + 1);
  ASSERT_THAT(Consent(ada.name(), v1::SHARING_SCOPE_NONE), IsOk());
  EXPECT_THAT(Get(south_reception_, ada.name()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Get(south_reception_, ada.name()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Get(north_reception_, ada.name()), IsOk());
}

TEST_P(PatientServiceCacheTest, RedisStoppedMidRunEveryCallSucceedsAndHitsResumeWhenItIsBack) {
  std::vector<v1::Patient> patients;
  for (int i = 0; i < 3; ++i) patients.push_back(Create(absl::StrCat("P", i), absl::StrCat("+44770090010", i)));
  for (const v1::Patient& p : patients) ASSERT_THAT(Get(north_reception_, p.name()), IsOk());
  for (const v1::Patient& p : patients) ASSERT_THAT(Get(north_reception_, p.name()), IsOk());
  ASSERT_EQ(Lookups(registry_, "hit"), 3);

  redis_.Kill();
  for (int round = 0; round < 5; ++round) {
    for (const v1::Patient& p : patients) {
      absl::StatusOr<v1::Patient> got = Get(north_reception_, p.name());
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(got->given_name(), p.given_name());
    }
  }
  // Changes still work (their invalidations are kept), reads see them.
  absl::StatusOr<v1::Patient> renamed = Rename(patients[0], "Renamed");
  ASSERT_THAT(renamed, IsOk());
  absl::StatusOr<v1::Patient> got = Get(north_reception_, patients[0].name());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->given_name(), "Renamed");
  EXPECT_TRUE(cache_->breaker_open());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_breaker_open"), 1);
  EXPECT_GE(MetricValue(registry_, "patient_cache_breaker_opens_total"), 1);
  // A few failures (lookups and puts), then the breaker stopped calling Redis.
  EXPECT_GE(Lookups(registry_, "error"), 1);
  EXPECT_LE(Lookups(registry_, "error"), 3);
  EXPECT_GT(Lookups(registry_, "bypassed"), 0);

  redis_.Start();
  cache_clock_.Advance(absl::Seconds(5));
  const double hits = Lookups(registry_, "hit");
  for (int round = 0; round < 3; ++round) {
    for (const v1::Patient& p : patients) ASSERT_THAT(Get(north_reception_, p.name()), IsOk());
  }
  EXPECT_FALSE(cache_->breaker_open());
  EXPECT_EQ(MetricValue(registry_, "patient_cache_breaker_open"), 0);
  EXPECT_GE(Lookups(registry_, "hit"), hits + 3);
  got = Get(north_reception_, patients[0].name());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->given_name(), "Renamed");
}

INSTANTIATE_TEST_SUITE_P(Backends, PatientServiceCacheTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace clinic::patient
