// The notification service over a real gRPC channel, on both backends (a SQLite file and
// a fresh database in this process's PostgreSQL cluster), and its deliverer with a fake
// contact directory and the real file sink. Time is a FakeClock; the queue is an
// in-memory QueuePort (the Redis queue has its own tests).

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/notification/v1/notification_service.grpc.pb.h"
#include "common/api/convert.h"
#include "common/auth/jwt.h"
#include "common/metrics/metrics.h"
#include "common/sql/database.h"
#include "common/sql/migrations.h"
#include "common/status/grpc_status.h"
#include "common/status/status.h"
#include "common/sync/mutex.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "services/notification/contact_directory.h"
#include "services/notification/file_sink_sender.h"
#include "services/notification/housekeeper.h"
#include "services/notification/metrics.h"
#include "services/notification/notification_service.h"
#include "services/notification/queue_port.h"
#include "services/notification/reminder_deliverer.h"
#include "services/notification/reminder_store.h"
#include "services/notification/schema.h"
#include "tests/support/fake_clock.h"
#include "tests/support/postgres_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace clinic::notification {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::PostgresServer;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using Stub = v1::NotificationService::Stub;

enum class Backend { kSqlite, kPostgres };

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-notification-test";
constexpr type::v1::ContactChannel kSms = type::v1::CONTACT_CHANNEL_SMS;
constexpr type::v1::ContactChannel kEmail = type::v1::CONTACT_CHANNEL_EMAIL;

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const status::FieldViolation& v : status::GetFieldViolations(status)) fields.push_back(v.field);
  return fields;
}

absl::Time London(int y, int m, int d, int hh, int mm) {
  absl::TimeZone london;
  absl::LoadTimeZone("Europe/London", &london);
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), london);
}

std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// The queue as a map: what the handlers asked it to hold. Can be told to fail.
class FakeQueue final : public QueuePort {
 public:
  absl::Status Enqueue(std::string_view id, absl::Time due) override {
    sync::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("queue down");
    jobs_[std::string(id)] = due;
    return absl::OkStatus();
  }
  absl::Status Remove(std::string_view id) override {
    sync::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("queue down");
    jobs_.erase(std::string(id));
    return absl::OkStatus();
  }
  void SetDown(bool down) {
    sync::MutexLock lock(&mu_);
    down_ = down;
  }
  std::map<std::string, absl::Time> jobs() {
    sync::MutexLock lock(&mu_);
    return jobs_;
  }

 private:
  sync::Mutex mu_;
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, absl::Time> jobs_ ABSL_GUARDED_BY(mu_);
};

// The patient service's contact lookup, as a table; a patient not in it is NOT_FOUND.
class FakeDirectory final : public ContactDirectory {
 public:
  absl::StatusOr<domain::PatientContact> Lookup(std::string_view patient, type::v1::ContactChannel,
                                                std::string_view) override {
    sync::MutexLock lock(&mu_);
    ++lookups_;
    if (!available_) return absl::UnavailableError("patient service down");
    auto it = contacts_.find(std::string(patient));
    if (it == contacts_.end()) return absl::NotFoundError("no such patient");
    return it->second;
  }
  void Set(const std::string& patient, domain::PatientContact contact) {
    sync::MutexLock lock(&mu_);
    contacts_[patient] = std::move(contact);
  }
  void SetAvailable(bool available) {
    sync::MutexLock lock(&mu_);
    available_ = available;
  }
  int lookups() {
    sync::MutexLock lock(&mu_);
    return lookups_;
  }

 private:
  sync::Mutex mu_;
  bool available_ ABSL_GUARDED_BY(mu_) = true;
  int lookups_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, domain::PatientContact> contacts_ ABSL_GUARDED_BY(mu_);
};

// A sender in front of another: runs a hook before it, and can answer "retryable" after
// the message went through (an acknowledgement lost on the way back).
class HookedSender final : public Sender {
 public:
  explicit HookedSender(Sender& next) : next_(next) {}
  SendOutcome Send(const OutgoingMessage& m) override {
    if (before_) before_();
    SendOutcome o = next_.Send(m);
    if (lose_ack_) return {SendOutcome::Kind::kRetryable, "TIMEOUT"};
    if (fail_with_.has_value()) return *fail_with_;
    return o;
  }
  // The hook once per batch; the batch goes to the next sender whole.
  std::vector<SendOutcome> SendBatch(std::span<const OutgoingMessage> messages) override {
    ++batches_;
    if (before_) before_();
    std::vector<SendOutcome> outcomes = next_.SendBatch(messages);
    for (SendOutcome& o : outcomes) {
      if (lose_ack_) {
        o = {SendOutcome::Kind::kRetryable, "TIMEOUT"};
      } else if (fail_with_.has_value()) {
        o = *fail_with_;
      }
    }
    return outcomes;
  }
  std::atomic<int> batches_{0};
  std::function<void()> before_;
  bool lose_ack_ = false;
  std::optional<SendOutcome> fail_with_;

 private:
  Sender& next_;
};

// The service's database as the handlers see it, counting how often transaction
// functions run: more runs than transactions means conflicts were retried.
class CountingDatabase final : public sql::Database {
 public:
  explicit CountingDatabase(sql::Database& inner) : inner_(inner) {}
  using sql::Database::Transact;
  sql::Dialect dialect() const override { return inner_.dialect(); }
  absl::Status Ping() override { return inner_.Ping(); }
  absl::Status Transact(const sql::TransactionOptions& options,
                        absl::FunctionRef<absl::Status(sql::Transaction&)> fn) override {
    ++transactions_;
    return inner_.Transact(options, [&](sql::Transaction& tx) {
      ++runs_;
      return fn(tx);
    });
  }
  // Runs beyond the first of each transaction.
  int retries() const { return runs_ - transactions_; }

 private:
  sql::Database& inner_;
  std::atomic<int> transactions_{0};
  std::atomic<int> runs_{0};
};

// A real database whose write transactions can be made to fail (UNAVAILABLE, as when
// the connection breaks) from a given moment: a crash of the database between two of
// the deliverer's transactions.
class FlakyDatabase final : public sql::Database {
 public:
  explicit FlakyDatabase(sql::Database& db) : db_(db) {}
  using sql::Database::Transact;
  sql::Dialect dialect() const override { return db_.dialect(); }
  absl::Status Transact(const sql::TransactionOptions& options,
                        absl::FunctionRef<absl::Status(sql::Transaction&)> fn) override {
    if (!options.read_only && fail_writes_.load()) return absl::UnavailableError("the database went away");
    return db_.Transact(options, fn);
  }
  absl::Status Ping() override { return db_.Ping(); }
  void FailWrites(bool fail) { fail_writes_.store(fail); }

 private:
  sql::Database& db_;
  std::atomic<bool> fail_writes_{false};
};

domain::ContactPoint Point(type::v1::ContactChannel channel, domain::Consent consent, std::string address,
                           bool preferred = false) {
  return {channel, std::move(address), consent, preferred};
}

class NotificationServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  // 10:00 in London on 2026-11-25 (GMT): outside quiet hours.
  NotificationServiceTest() : clock_(London(2026, 11, 25, 10, 0)) {}

  void SetUp() override {
    const std::string url = GetParam() == Backend::kSqlite ? "sqlite://" + dir_.File("notification.db")
                                                            : PostgresServer::Shared().CreateDatabase();
    sql::OpenOptions open_options;
    open_options.pool_size = 32;  // as many transactions at once as ConcurrentSchedulesAllSucceed's callers
    absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Open(url, open_options);
    CLINIC_ASSERT_OK(db.status());
    db_ = *std::move(db);
    CLINIC_ASSERT_OK(sql::Migrate(*db_, Migrations()));
    const std::string key_file = dir_.File("hs256.key");
    std::ofstream(key_file) << kSecret;
    auth::JwtVerifierOptions options;
    options.hs256_key_file = key_file;
    absl::StatusOr<std::unique_ptr<auth::TokenVerifier>> verifier = auth::NewJwtVerifier(options, system_clock_);
    CLINIC_ASSERT_OK(verifier.status());
    verifier_ = *std::move(verifier);
    calls_ = std::make_unique<server::CallRunner>(*verifier_);
    metrics_ = std::make_unique<NotificationMetrics>(registry_);
    handler_db_ = std::make_unique<CountingDatabase>(*db_);
    service_ = std::make_unique<NotificationService>(*calls_, *handler_db_, clock_, queue_, *metrics_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::NotificationService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

    absl::StatusOr<std::unique_ptr<FileSinkSender>> sink = FileSinkSender::Open(SinkPath(), clock_, {});
    CLINIC_ASSERT_OK(sink.status());
    sink_ = *std::move(sink);
    sender_ = std::make_unique<HookedSender>(*sink_);
    ReminderDeliverer::Options delivery;
    delivery.max_attempts = 3;
    deliverer_ = std::make_unique<ReminderDeliverer>(*db_, clock_, directory_, *sender_, *metrics_, delivery);

    admin_ = Token(auth::Role::kNetworkAdmin, "admin-1", std::nullopt);
    scheduling_ = Token(auth::Role::kService, "scheduling", std::nullopt);
    reception_ = Token(auth::Role::kReception, "reception-1", "soho");
    manager_ = Token(auth::Role::kClinicManager, "manager-1", "soho");

    CreateTemplate(v1::REMINDER_KIND_APPOINTMENT_REMINDER, kSms, "en-GB", "",
                   "{{clinic_name}}: see you on {{event_date}} at {{event_time}}. Reply STOP to opt out.",
                   {"clinic_name"});
    CreateTemplate(v1::REMINDER_KIND_APPOINTMENT_REMINDER, kEmail, "en-GB", "Your appointment at {{clinic_name}}",
                   "See you on {{event_date}} at {{event_time}}.", {"clinic_name"});
    CreateTemplate(v1::REMINDER_KIND_NEXT_DOSE_DUE, kSms, "en-GB", "", "Your next B12 dose is due: book it.", {});
    CreateTemplate(v1::REMINDER_KIND_NEXT_DOSE_DUE, kSms, "cy", "", "Mae eich dos nesaf o B12 yn ddyledus.", {});
    CreateTemplate(v1::REMINDER_KIND_STAFF_ALERT, kSms, "en-GB", "", "Stock alert at {{clinic_name}}: {{product}}",
                   {"clinic_name", "product"});
    CreateTemplate(v1::REMINDER_KIND_STAFF_ALERT, kEmail, "en-GB", "Stock alert", "{{product}} is low.",
                   {"product"});

    domain::PatientContact consenting;
    consenting.language_code = "en-GB";
    consenting.points = {Point(kSms, domain::Consent::kGranted, "+447700900123", true),
                         Point(kEmail, domain::Consent::kGranted, "p1@example.org")};
    directory_.Set("patients/p-1", consenting);
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
  std::string SinkPath() const { return dir_.File("sink.jsonl"); }

  std::vector<nlohmann::json> SinkLines() const {
    std::ifstream in(SinkPath());
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  void CreateTemplate(v1::ReminderKind kind, type::v1::ContactChannel channel, const std::string& language,
                      const std::string& subject, const std::string& body, std::vector<std::string> required) {
    v1::CreateTemplateRequest request;
    request.set_request_id(NewRequestId());
    v1::Template* t = request.mutable_template_();
    t->set_kind(kind);
    t->set_channel(channel);
    t->set_language_code(language);
    t->set_subject(subject);
    t->set_body(body);
    for (const std::string& r : required) t->add_required_parameters(r);
    v1::Template created;
    CLINIC_ASSERT_OK(Rpc(&Stub::CreateTemplate, admin_, request, &created));
  }

  // An appointment reminder for patients/p-1 at soho: sent a day ahead of an
  // appointment two days from now.
  v1::ScheduleReminderRequest AppointmentRequest(const std::string& appointment = "a-42") {
    v1::ScheduleReminderRequest request;
    request.set_request_id(NewRequestId());
    v1::Reminder* r = request.mutable_reminder();
    r->set_kind(v1::REMINDER_KIND_APPOINTMENT_REMINDER);
    r->set_patient("patients/p-1");
    r->set_clinic("clinics/soho");
    r->set_time_zone("Europe/London");
    *r->mutable_send_time() = api::ToTimestamp(clock_.Now() + absl::Hours(24));
    *r->mutable_event_time() = api::ToTimestamp(clock_.Now() + absl::Hours(48));
    r->set_appointment("clinics/soho/appointments/" + appointment);
    (*r->mutable_template_parameters())["clinic_name"] = "Soho";
    return request;
  }

  // A next-dose reminder for `patient`, due now.
  v1::ScheduleReminderRequest DoseRequest(const std::string& patient = "patients/p-1") {
    v1::ScheduleReminderRequest request;
    request.set_request_id(NewRequestId());
    v1::Reminder* r = request.mutable_reminder();
    r->set_kind(v1::REMINDER_KIND_NEXT_DOSE_DUE);
    r->set_patient(patient);
    r->set_clinic("clinics/soho");
    r->set_time_zone("Europe/London");
    *r->mutable_send_time() = api::ToTimestamp(clock_.Now());
    return request;
  }

  v1::Reminder Schedule(const v1::ScheduleReminderRequest& request) {
    v1::Reminder r;
    EXPECT_THAT(Rpc(&Stub::ScheduleReminder, scheduling_, request, &r), IsOk());
    return r;
  }

  v1::Reminder Get(const std::string& name) {
    v1::GetReminderRequest request;
    request.set_name(name);
    v1::Reminder r;
    EXPECT_THAT(Rpc(&Stub::GetReminder, admin_, request, &r), IsOk());
    return r;
  }

  absl::Status Cancel(const std::string& name, v1::Reminder* out) {
    v1::CancelReminderRequest request;
    request.set_request_id(NewRequestId());
    request.set_name(name);
    request.set_reason("appointment_cancelled");
    return Rpc(&Stub::CancelReminder, scheduling_, request, out);
  }

  DeliveryOutcome Deliver(const v1::Reminder& r, int attempt = 1) { return deliverer_->Deliver(IdOf(r.name()), attempt); }

  std::vector<v1::Reminder> List(v1::ListRemindersRequest request, const std::string& token) {
    v1::ListRemindersResponse response;
    EXPECT_THAT(Rpc(&Stub::ListReminders, token, request, &response), IsOk());
    return {response.reminders().begin(), response.reminders().end()};
  }

  std::vector<store::PendingReminder> Pending() {
    std::vector<store::PendingReminder> pending;
    EXPECT_THAT(store::ForEachPendingReminder(*db_, 2, [&](const store::PendingReminder& p) {
      pending.push_back(p);
      return absl::OkStatus();
    }),
                IsOk());
    return pending;
  }

  TempDir dir_;
  SystemClock system_clock_;
  FakeClock clock_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<CountingDatabase> handler_db_;  // db_ as the RPC handlers use it
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<server::CallRunner> calls_;
  metrics::Registry registry_;
  std::unique_ptr<NotificationMetrics> metrics_;
  FakeQueue queue_;
  FakeDirectory directory_;
  std::unique_ptr<FileSinkSender> sink_;
  std::unique_ptr<HookedSender> sender_;
  std::unique_ptr<ReminderDeliverer> deliverer_;
  std::unique_ptr<NotificationService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
  std::string admin_, scheduling_, reception_, manager_;
  int request_counter_ = 0;
};

// --- Scheduling ---

TEST_P(NotificationServiceTest, ScheduleStoresThenQueuesOncePerRequestId) {
  const v1::ScheduleReminderRequest request = AppointmentRequest();
  const v1::Reminder first = Schedule(request);
  EXPECT_EQ(first.state(), v1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(first.created_by(), "scheduling");
  // Default expiry: the appointment.
  EXPECT_EQ(api::FromTimestamp(first.expire_time()), api::FromTimestamp(request.reminder().event_time()));
  EXPECT_EQ(api::FromTimestamp(first.next_attempt_time()), api::FromTimestamp(request.reminder().send_time()));
  EXPECT_THAT(queue_.jobs(), ElementsAre(std::pair(IdOf(first.name()), clock_.Now() + absl::Hours(24))));

  const v1::Reminder again = Schedule(request);  // a retry of the same call
  EXPECT_EQ(again.name(), first.name());
  v1::ListRemindersRequest all;
  EXPECT_EQ(List(all, admin_).size(), 1u);

  v1::ScheduleReminderRequest reused = AppointmentRequest("a-43");
  reused.set_request_id(request.request_id());
  v1::Reminder r;
  absl::Status s = Rpc(&Stub::ScheduleReminder, scheduling_, reused, &r);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), ElementsAre("request_id"));
}

TEST_P(NotificationServiceTest, ConcurrentSchedulesAllSucceed) {
  // 32 callers at once, each a different appointment (the booking flow under load).
  constexpr int kCallers = 32;
  std::vector<v1::ScheduleReminderRequest> requests;
  for (int i = 0; i < kCallers; ++i) requests.push_back(AppointmentRequest(absl::StrCat("a-c", i)));
  std::vector<absl::Status> results(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      v1::Reminder r;
      results[i] = Rpc(&Stub::ScheduleReminder, scheduling_, requests[i], &r);
    });
  }
  for (std::thread& t : callers) t.join();
  for (const absl::Status& s : results) EXPECT_THAT(s, IsOk());
  v1::ListRemindersRequest all;
  all.set_page_size(100);
  EXPECT_EQ(List(all, admin_).size(), static_cast<size_t>(kCallers));
  EXPECT_EQ(queue_.jobs().size(), static_cast<size_t>(kCallers));
}

// The booking flow under load, with the callers' retries arriving while the first try is
// still running: 64 schedules of one clinic at once, each also sent by a second caller
// with the same request_id, while 16 due reminders are delivered. Every call succeeds, both calls of a request_id answer the
// same reminder, and each request_id stores one reminder and one idempotency key. On
// PostgreSQL no transaction had to be run again (ScheduleReminder is READ COMMITTED:
// handler_support.h). Under SERIALIZABLE it was: the schedules' reads of what they had
// just inserted (by primary key: idempotency_keys, reminders, delivery_attempts) took
// predicate locks on the very index pages the others were inserting into, and this test
// saw 20 to 60 retries per run (ABORTED after 10 attempts of one call under more load);
// a duplicate also failed once with 40001 on its ON CONFLICT.
TEST_P(NotificationServiceTest, ConcurrentSchedulesWithDuplicateRequestIdsAllSucceedOnce) {
  constexpr int kRequests = 64;
  constexpr int kCopies = 2;
  std::vector<v1::ScheduleReminderRequest> requests;
  for (int i = 0; i < kRequests; ++i) requests.push_back(AppointmentRequest(absl::StrCat("a-d", i)));
  // Deliveries at the same time, as the dispatcher's workers would run them.
  constexpr int kDue = 16;
  constexpr int kWorkers = 4;
  std::vector<v1::Reminder> due;
  for (int i = 0; i < kDue; ++i) {
    v1::ScheduleReminderRequest dose = DoseRequest();
    dose.mutable_reminder()->set_dedupe_key(absl::StrCat("dose-", i));
    due.push_back(Schedule(dose));
  }
  std::vector<DeliveryOutcome::Kind> delivered(kDue, DeliveryOutcome::kDead);
  std::vector<absl::Status> results(kRequests * kCopies);
  std::vector<v1::Reminder> answers(kRequests * kCopies);
  std::vector<std::thread> callers;
  for (int w = 0; w < kWorkers; ++w) {
    callers.emplace_back([&, w] {
      for (int j = w; j < kDue; j += kWorkers) delivered[j] = Deliver(due[j]).kind;
    });
  }
  for (int copy = 0; copy < kCopies; ++copy) {
    for (int i = 0; i < kRequests; ++i) {
      const int slot = copy * kRequests + i;
      callers.emplace_back([&, i, slot] {
        results[slot] = Rpc(&Stub::ScheduleReminder, scheduling_, requests[i], &answers[slot]);
      });
    }
  }
  for (std::thread& t : callers) t.join();
  for (int j = 0; j < kDue; ++j) EXPECT_EQ(delivered[j], DeliveryOutcome::kDone) << "due reminder " << j;
  std::set<std::string> names;
  for (int i = 0; i < kRequests; ++i) {
    for (int copy = 0; copy < kCopies; ++copy) EXPECT_THAT(results[copy * kRequests + i], IsOk()) << "request " << i;
    EXPECT_EQ(answers[kRequests + i].name(), answers[i].name()) << "request " << i;
    EXPECT_EQ(answers[kRequests + i].etag(), answers[i].etag()) << "request " << i;
    names.insert(answers[i].name());
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kRequests));
  v1::ListRemindersRequest all;
  all.set_page_size(200);
  EXPECT_EQ(List(all, admin_).size(), static_cast<size_t>(kRequests + kDue));
  absl::StatusOr<sql::ResultSet> keys =
      db_->Query("SELECT COUNT(*) FROM idempotency_keys WHERE method = 'ScheduleReminder'");
  CLINIC_ASSERT_OK(keys.status());
  EXPECT_EQ((*keys)[0].GetInt64(0), kRequests + kDue);
  // SQLite runs one writer at a time (a busy timeout could still retry there).
  if (GetParam() == Backend::kPostgres) {
    EXPECT_EQ(handler_db_->retries(), 0);
  }
}

TEST_P(NotificationServiceTest, ScheduleSucceedsWhileTheQueueIsDownAndReconcileFindsIt) {
  queue_.SetDown(true);
  const v1::Reminder r = Schedule(AppointmentRequest());
  EXPECT_EQ(r.state(), v1::REMINDER_STATE_SCHEDULED);
  EXPECT_THAT(queue_.jobs(), IsEmpty());
  EXPECT_NE(registry_.Render().find("notification_queue_port_errors_total{operation=\"enqueue\"} 1"),
            std::string::npos);
  const std::vector<store::PendingReminder> pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].reminder_id, IdOf(r.name()));
  EXPECT_EQ(pending[0].due, api::FromTimestamp(r.send_time()));
}

TEST_P(NotificationServiceTest, BadInputNamesEachFieldAndStoresNothing) {
  v1::ScheduleReminderRequest request;
  request.set_request_id(NewRequestId());
  v1::Reminder* r = request.mutable_reminder();
  r->set_kind(static_cast<v1::ReminderKind>(17));
  r->set_channel(static_cast<type::v1::ContactChannel>(9));
  r->set_clinic("clinics/soho");
  r->set_time_zone("Europe/London");
  v1::Reminder out;
  absl::Status s = Rpc(&Stub::ScheduleReminder, scheduling_, request, &out);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s),
              UnorderedElementsAre("reminder.kind", "reminder.patient", "reminder.send_time", "reminder.channel"));

  v1::ScheduleReminderRequest far = AppointmentRequest();
  *far.mutable_reminder()->mutable_send_time() = api::ToTimestamp(clock_.Now() + absl::Hours(24 * 401));
  *far.mutable_reminder()->mutable_event_time() = api::ToTimestamp(clock_.Now() + absl::Hours(24 * 402));
  far.mutable_reminder()->clear_patient();
  s = Rpc(&Stub::ScheduleReminder, scheduling_, far, &out);
  EXPECT_THAT(ViolatedFields(s), UnorderedElementsAre("reminder.send_time", "reminder.patient"));

  v1::ScheduleReminderRequest no_parameter = AppointmentRequest();
  no_parameter.mutable_reminder()->mutable_template_parameters()->clear();
  s = Rpc(&Stub::ScheduleReminder, scheduling_, no_parameter, &out);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), ElementsAre("reminder.template_parameters", "reminder.template_parameters"));

  EXPECT_THAT(List(v1::ListRemindersRequest(), admin_), IsEmpty());
  EXPECT_THAT(queue_.jobs(), IsEmpty());
}

TEST_P(NotificationServiceTest, DedupeKeyIsUniqueAmongRemindersNotCancelled) {
  v1::ScheduleReminderRequest request = DoseRequest();
  request.mutable_reminder()->set_dedupe_key("patients/p-1/course/c1/dose/3");
  const v1::Reminder first = Schedule(request);
  v1::ScheduleReminderRequest second = DoseRequest();
  second.mutable_reminder()->set_dedupe_key("patients/p-1/course/c1/dose/3");
  v1::Reminder out;
  absl::Status s = Rpc(&Stub::ScheduleReminder, scheduling_, second, &out);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(status::GetExistingResource(s), first.name());

  v1::Reminder cancelled;
  CLINIC_ASSERT_OK(Cancel(first.name(), &cancelled));
  second.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::ScheduleReminder, scheduling_, second, &out), IsOk());
}

TEST_P(NotificationServiceTest, ScheduleIsAuthorisedByClinic) {
  v1::Reminder out;
  EXPECT_THAT(Rpc(&Stub::ScheduleReminder, reception_, AppointmentRequest(), &out), IsOk());
  const std::string leeds = Token(auth::Role::kReception, "reception-2", "leeds");
  EXPECT_THAT(Rpc(&Stub::ScheduleReminder, leeds, AppointmentRequest("a-2"), &out),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const std::string patient_service = Token(auth::Role::kService, "patient", std::nullopt);
  EXPECT_THAT(Rpc(&Stub::ScheduleReminder, patient_service, AppointmentRequest("a-3"), &out),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::GetReminderRequest get;
  get.set_name(out.name());
  EXPECT_THAT(Rpc(&Stub::GetReminder, leeds, get, &out), StatusIs(absl::StatusCode::kPermissionDenied));
  get.set_name("reminders/nope");
  EXPECT_THAT(Rpc(&Stub::GetReminder, admin_, get, &out), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(NotificationServiceTest, RequestIdsAreForgottenAfterTheRetention) {
  const v1::ScheduleReminderRequest request = DoseRequest();
  const v1::Reminder first = Schedule(request);
  Housekeeper housekeeper(*db_, clock_, {.interval = absl::Hours(1000)});
  housekeeper.RunOnce();
  EXPECT_EQ(Schedule(request).name(), first.name());  // still remembered
  clock_.Advance(absl::Hours(24 * 9));
  housekeeper.RunOnce();
  // Forgotten: the call runs again, and meets the first reminder's dedupe key.
  v1::Reminder out;
  EXPECT_THAT(Rpc(&Stub::ScheduleReminder, scheduling_, request, &out), StatusIs(absl::StatusCode::kAlreadyExists));
}

// --- Cancel and reschedule ---

TEST_P(NotificationServiceTest, CancelledReminderLeavesTheQueueAndIsNeverSent) {
  const v1::Reminder r = Schedule(DoseRequest());
  v1::Reminder cancelled;
  CLINIC_ASSERT_OK(Cancel(r.name(), &cancelled));
  EXPECT_EQ(cancelled.state(), v1::REMINDER_STATE_CANCELLED);
  EXPECT_EQ(cancelled.cancel_reason(), "appointment_cancelled");
  EXPECT_TRUE(cancelled.has_cancel_time());
  EXPECT_THAT(queue_.jobs(), IsEmpty());
  CLINIC_EXPECT_OK(Cancel(r.name(), &cancelled));  // again: answered as it is
  EXPECT_EQ(cancelled.state(), v1::REMINDER_STATE_CANCELLED);

  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_THAT(SinkLines(), IsEmpty());
  EXPECT_EQ(directory_.lookups(), 0);
}

TEST_P(NotificationServiceTest, CancelAfterSendingIsRefused) {
  const v1::Reminder r = Schedule(DoseRequest());
  ASSERT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  v1::Reminder out;
  EXPECT_THAT(Cancel(r.name(), &out), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_SENT);
}

TEST_P(NotificationServiceTest, CancelRemindersForAppointment) {
  const v1::Reminder day_before = Schedule(AppointmentRequest("a-1"));
  v1::ScheduleReminderRequest hour_before_request = AppointmentRequest("a-1");
  *hour_before_request.mutable_reminder()->mutable_send_time() = api::ToTimestamp(clock_.Now());
  const v1::Reminder hour_before = Schedule(hour_before_request);
  const v1::Reminder other = Schedule(AppointmentRequest("a-2"));
  ASSERT_EQ(Deliver(hour_before).kind, DeliveryOutcome::kDone);
  ASSERT_EQ(Get(hour_before.name()).state(), v1::REMINDER_STATE_SENT);

  v1::CancelRemindersForAppointmentRequest request;
  request.set_request_id(NewRequestId());
  request.set_appointment("clinics/soho/appointments/a-1");
  request.set_reason("appointment_cancelled");
  v1::CancelRemindersForAppointmentResponse response;
  CLINIC_ASSERT_OK(Rpc(&Stub::CancelRemindersForAppointment, scheduling_, request, &response));
  EXPECT_THAT(response.cancelled_reminders(), ElementsAre(day_before.name()));
  EXPECT_THAT(response.sent_reminders(), ElementsAre(hour_before.name()));
  EXPECT_EQ(Get(day_before.name()).state(), v1::REMINDER_STATE_CANCELLED);
  EXPECT_EQ(Get(other.name()).state(), v1::REMINDER_STATE_SCHEDULED);
  // (The sent one is still in the fake queue: acknowledging it is the dispatcher's.)
  const std::map<std::string, absl::Time> jobs = queue_.jobs();
  EXPECT_EQ(jobs.count(IdOf(day_before.name())), 0u);
  EXPECT_EQ(jobs.count(IdOf(other.name())), 1u);

  request.set_request_id(NewRequestId());
  request.set_appointment("clinics/soho/appointments/none");
  CLINIC_ASSERT_OK(Rpc(&Stub::CancelRemindersForAppointment, scheduling_, request, &response));
  EXPECT_THAT(response.cancelled_reminders(), IsEmpty());
  request.set_appointment("appointments/x");
  EXPECT_THAT(Rpc(&Stub::CancelRemindersForAppointment, scheduling_, request, &response),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(NotificationServiceTest, RescheduleMovesTheReminderAndTheQueue) {
  const v1::Reminder r = Schedule(AppointmentRequest());
  v1::RescheduleReminderRequest request;
  request.set_request_id(NewRequestId());
  request.set_name(r.name());
  request.set_etag(r.etag());
  const absl::Time new_send = clock_.Now() + absl::Hours(72);
  const absl::Time new_event = clock_.Now() + absl::Hours(96);
  *request.mutable_send_time() = api::ToTimestamp(new_send);
  *request.mutable_event_time() = api::ToTimestamp(new_event);
  v1::Reminder moved;
  CLINIC_ASSERT_OK(Rpc(&Stub::RescheduleReminder, scheduling_, request, &moved));
  EXPECT_EQ(api::FromTimestamp(moved.send_time()), new_send);
  EXPECT_EQ(api::FromTimestamp(moved.expire_time()), new_event);  // recomputed from the new event
  EXPECT_NE(moved.etag(), r.etag());
  EXPECT_THAT(queue_.jobs(), ElementsAre(std::pair(IdOf(r.name()), new_send)));

  // A job claimed at the old time finds the reminder moved.
  clock_.Advance(absl::Hours(24));
  const DeliveryOutcome early = Deliver(r);
  EXPECT_EQ(early.kind, DeliveryOutcome::kRetryAt);
  EXPECT_EQ(early.retry_at, new_send);
  EXPECT_THAT(SinkLines(), IsEmpty());

  request.set_request_id(NewRequestId());  // the etag read first is stale now
  EXPECT_THAT(Rpc(&Stub::RescheduleReminder, scheduling_, request, &moved), StatusIs(absl::StatusCode::kAborted));
  request.clear_etag();
  request.clear_event_time();
  *request.mutable_send_time() = api::ToTimestamp(clock_.Now() + absl::Hours(24 * 500));
  absl::Status s = Rpc(&Stub::RescheduleReminder, scheduling_, request, &moved);
  EXPECT_THAT(ViolatedFields(s), ElementsAre("send_time"));

  v1::Reminder cancelled;
  CLINIC_ASSERT_OK(Cancel(r.name(), &cancelled));
  request.set_request_id(NewRequestId());
  *request.mutable_send_time() = api::ToTimestamp(new_send);
  EXPECT_THAT(Rpc(&Stub::RescheduleReminder, scheduling_, request, &moved),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// --- Listing ---

TEST_P(NotificationServiceTest, ListRemindersFiltersAndPages) {
  const v1::Reminder a1 = Schedule(AppointmentRequest("a-1"));
  clock_.Advance(absl::Minutes(1));
  const v1::Reminder a2 = Schedule(AppointmentRequest("a-2"));
  const v1::Reminder dose = Schedule(DoseRequest());
  v1::ScheduleReminderRequest leeds = DoseRequest("patients/p-2");
  leeds.mutable_reminder()->set_clinic("clinics/leeds");
  const v1::Reminder other_clinic = Schedule(leeds);
  v1::Reminder cancelled;
  CLINIC_ASSERT_OK(Cancel(a1.name(), &cancelled));

  const auto names = [](const std::vector<v1::Reminder>& rs) {
    std::vector<std::string> out;
    for (const v1::Reminder& r : rs) out.push_back(r.name());
    return out;
  };
  v1::ListRemindersRequest request;
  request.set_clinic("clinics/soho");
  // Newest send time first.
  EXPECT_THAT(names(List(request, reception_)), ElementsAre(a2.name(), a1.name(), dose.name()));
  request.add_kinds(v1::REMINDER_KIND_APPOINTMENT_REMINDER);
  request.add_states(v1::REMINDER_STATE_SCHEDULED);
  EXPECT_THAT(names(List(request, reception_)), ElementsAre(a2.name()));
  v1::ListRemindersRequest by_appointment;
  by_appointment.set_appointment("clinics/soho/appointments/a-1");
  EXPECT_THAT(names(List(by_appointment, admin_)), ElementsAre(a1.name()));
  v1::ListRemindersRequest by_patient;
  by_patient.set_patient("patients/p-2");
  EXPECT_THAT(names(List(by_patient, admin_)), ElementsAre(other_clinic.name()));
  v1::ListRemindersRequest by_time;
  *by_time.mutable_send_interval()->mutable_end_time() = api::ToTimestamp(clock_.Now() + absl::Hours(1));
  EXPECT_THAT(names(List(by_time, admin_)), UnorderedElementsAre(dose.name(), other_clinic.name()));

  // Pages of one, with the same filters.
  v1::ListRemindersRequest paged;
  paged.set_page_size(1);
  std::vector<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    v1::ListRemindersResponse page;
    CLINIC_ASSERT_OK(Rpc(&Stub::ListReminders, admin_, paged, &page));
    for (const v1::Reminder& r : page.reminders()) seen.push_back(r.name());
    if (page.next_page_token().empty()) break;
    paged.set_page_token(page.next_page_token());
  }
  EXPECT_THAT(seen, UnorderedElementsAre(a1.name(), a2.name(), dose.name(), other_clinic.name()));
  paged.set_clinic("clinics/soho");  // a token is only good with its filters
  v1::ListRemindersResponse page;
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::ListReminders, admin_, paged, &page)), ElementsAre("page_token"));

  // Clinic staff must filter on their own clinic.
  v1::ListRemindersRequest unfiltered;
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::ListReminders, reception_, unfiltered, &page)), ElementsAre("clinic"));
  unfiltered.set_clinic("clinics/leeds");
  EXPECT_THAT(Rpc(&Stub::ListReminders, reception_, unfiltered, &page), StatusIs(absl::StatusCode::kPermissionDenied));
}

// --- Delivery ---

TEST_P(NotificationServiceTest, ConsentedReminderIsSentOnceOnThePreferredChannel) {
  v1::ScheduleReminderRequest request = AppointmentRequest();
  *request.mutable_reminder()->mutable_send_time() = api::ToTimestamp(clock_.Now());
  *request.mutable_reminder()->mutable_event_time() = api::ToTimestamp(London(2026, 11, 27, 9, 30));
  const v1::Reminder r = Schedule(request);
  const DeliveryOutcome outcome = Deliver(r);
  EXPECT_EQ(outcome.kind, DeliveryOutcome::kDone);
  EXPECT_EQ(Deliver(r, 2).kind, DeliveryOutcome::kDone);  // the job delivered twice

  const std::vector<nlohmann::json> lines = SinkLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["channel"], "SMS");
  EXPECT_EQ(lines[0]["to"], "+447700900123");
  EXPECT_EQ(lines[0]["body"], "Soho: see you on Fri 27 Nov 2026 at 09:30. Reply STOP to opt out.");
  EXPECT_EQ(lines[0]["reminder"], r.name());

  const v1::Reminder sent = Get(r.name());
  EXPECT_EQ(sent.state(), v1::REMINDER_STATE_SENT);
  EXPECT_EQ(sent.sent_channel(), kSms);
  EXPECT_EQ(api::FromTimestamp(sent.sent_time()), clock_.Now());
  EXPECT_EQ(sent.attempt_count(), 1);
  ASSERT_EQ(sent.attempts_size(), 1);
  EXPECT_EQ(sent.attempts(0).outcome(), v1::ATTEMPT_OUTCOME_DELIVERED);
  EXPECT_EQ(sent.attempts(0).channel(), kSms);
  EXPECT_NE(registry_.Render().find("notification_deliveries_total{outcome=\"sent\",channel=\"sms\"} 1"),
            std::string::npos);
}

TEST_P(NotificationServiceTest, RequestedChannelAndLanguageFallback) {
  domain::PatientContact welsh;
  welsh.language_code = "cy-GB";
  welsh.points = {Point(kSms, domain::Consent::kGranted, "+447700900999", true)};
  directory_.Set("patients/p-cy", welsh);
  const v1::Reminder dose = Schedule(DoseRequest("patients/p-cy"));
  ASSERT_EQ(Deliver(dose).kind, DeliveryOutcome::kDone);

  v1::ScheduleReminderRequest by_email = AppointmentRequest();
  *by_email.mutable_reminder()->mutable_send_time() = api::ToTimestamp(clock_.Now());
  by_email.mutable_reminder()->set_channel(kEmail);
  const v1::Reminder appointment = Schedule(by_email);
  ASSERT_EQ(Deliver(appointment).kind, DeliveryOutcome::kDone);

  const std::vector<nlohmann::json> lines = SinkLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["body"], "Mae eich dos nesaf o B12 yn ddyledus.");  // "cy-GB" -> "cy"
  EXPECT_EQ(lines[1]["channel"], "EMAIL");
  EXPECT_EQ(lines[1]["to"], "p1@example.org");
  EXPECT_EQ(lines[1]["subject"], "Your appointment at Soho");
}

TEST_P(NotificationServiceTest, NoConsentOptOutAndUnknownPatientAreSkipped) {
  domain::PatientContact withdrawn;
  withdrawn.points = {Point(kSms, domain::Consent::kWithdrawn, "+447700900001", true)};
  directory_.Set("patients/p-no", withdrawn);
  domain::PatientContact stopped;
  stopped.points = {Point(kSms, domain::Consent::kOptedOut, "+447700900002", true)};
  directory_.Set("patients/p-stop", stopped);
  domain::PatientContact erased;
  erased.erased = true;
  directory_.Set("patients/p-erased", erased);

  const std::vector<std::pair<std::string, v1::SkipReason>> cases = {
      {"patients/p-no", v1::SKIP_REASON_NO_CONSENT},
      {"patients/p-stop", v1::SKIP_REASON_OPTED_OUT},
      {"patients/p-erased", v1::SKIP_REASON_PATIENT_ERASED},
      {"patients/p-unknown", v1::SKIP_REASON_PATIENT_NOT_FOUND}};
  for (const auto& [patient, reason] : cases) {
    const v1::Reminder r = Schedule(DoseRequest(patient));
    EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone) << patient;
    const v1::Reminder skipped = Get(r.name());
    EXPECT_EQ(skipped.state(), v1::REMINDER_STATE_SKIPPED) << patient;
    EXPECT_EQ(skipped.skip_reason(), reason) << patient;
    ASSERT_EQ(skipped.attempts_size(), 1);
    EXPECT_EQ(skipped.attempts(0).outcome(), v1::ATTEMPT_OUTCOME_SKIPPED);
  }
  EXPECT_THAT(SinkLines(), IsEmpty());
}

TEST_P(NotificationServiceTest, PatientServiceDownRetriesWithBackoffThenSends) {
  const v1::Reminder r = Schedule(DoseRequest());
  directory_.SetAvailable(false);
  const absl::Time t0 = clock_.Now();
  const DeliveryOutcome first = Deliver(r);
  ASSERT_EQ(first.kind, DeliveryOutcome::kRetryAt);
  EXPECT_GE(first.retry_at, t0 + absl::Seconds(15));  // 30 s with jitter in [0.5, 1]
  EXPECT_LE(first.retry_at, t0 + absl::Seconds(30));
  v1::Reminder waiting = Get(r.name());
  EXPECT_EQ(waiting.state(), v1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(waiting.attempt_count(), 1);
  EXPECT_EQ(waiting.last_error(), "PATIENT_UNAVAILABLE");
  EXPECT_EQ(api::FromTimestamp(waiting.next_attempt_time()), first.retry_at);

  // Claimed again before it is due (e.g. by the reconcile): not yet.
  EXPECT_EQ(Deliver(r).retry_at, first.retry_at);

  clock_.Set(first.retry_at);
  const DeliveryOutcome second = Deliver(r);
  ASSERT_EQ(second.kind, DeliveryOutcome::kRetryAt);
  EXPECT_GE(second.retry_at, first.retry_at + absl::Seconds(30));  // 60 s with jitter
  EXPECT_LE(second.retry_at, first.retry_at + absl::Seconds(60));

  directory_.SetAvailable(true);
  clock_.Set(second.retry_at);
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  const v1::Reminder sent = Get(r.name());
  EXPECT_EQ(sent.state(), v1::REMINDER_STATE_SENT);
  EXPECT_EQ(sent.attempt_count(), 3);
  ASSERT_EQ(sent.attempts_size(), 3);
  EXPECT_EQ(sent.attempts(0).outcome(), v1::ATTEMPT_OUTCOME_RETRYABLE_ERROR);
  EXPECT_EQ(sent.attempts(0).error_code(), "PATIENT_UNAVAILABLE");
  EXPECT_EQ(sent.attempts(2).outcome(), v1::ATTEMPT_OUTCOME_DELIVERED);
  EXPECT_EQ(SinkLines().size(), 1u);
}

TEST_P(NotificationServiceTest, ExhaustedRetriesAreDeadUntilRetried) {
  const v1::Reminder r = Schedule(DoseRequest());
  directory_.SetAvailable(false);
  DeliveryOutcome outcome{DeliveryOutcome::kRetryAt, clock_.Now()};
  for (int attempt = 1; attempt <= 3 && outcome.kind == DeliveryOutcome::kRetryAt; ++attempt) {
    clock_.Set(outcome.retry_at);
    outcome = Deliver(r, attempt);
  }
  EXPECT_EQ(outcome.kind, DeliveryOutcome::kDead);
  EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_DEAD);
  EXPECT_THAT(Pending(), IsEmpty());

  v1::ListDeadLettersRequest list;
  list.set_clinic("clinics/soho");
  v1::ListDeadLettersResponse dead;
  CLINIC_ASSERT_OK(Rpc(&Stub::ListDeadLetters, manager_, list, &dead));
  ASSERT_EQ(dead.reminders_size(), 1);
  EXPECT_EQ(dead.reminders(0).name(), r.name());
  EXPECT_EQ(dead.reminders(0).attempts_size(), 3);
  EXPECT_THAT(Rpc(&Stub::ListDeadLetters, reception_, list, &dead), StatusIs(absl::StatusCode::kPermissionDenied));

  v1::RetryDeadLetterRequest retry;
  retry.set_request_id(NewRequestId());
  retry.set_name(r.name());
  v1::Reminder revived;
  CLINIC_ASSERT_OK(Rpc(&Stub::RetryDeadLetter, manager_, retry, &revived));
  EXPECT_EQ(revived.state(), v1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(revived.attempt_count(), 0);
  EXPECT_THAT(queue_.jobs(), ElementsAre(std::pair(IdOf(r.name()), clock_.Now())));
  retry.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::RetryDeadLetter, manager_, retry, &revived),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  directory_.SetAvailable(true);
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_SENT);
  EXPECT_EQ(SinkLines().size(), 1u);
}

TEST_P(NotificationServiceTest, QuietHoursDeferToTheirEndInTheClinicZone) {
  clock_.Set(London(2026, 11, 25, 22, 15));
  const v1::Reminder r = Schedule(DoseRequest());
  const DeliveryOutcome outcome = Deliver(r);
  ASSERT_EQ(outcome.kind, DeliveryOutcome::kRetryAt);
  EXPECT_EQ(outcome.retry_at, London(2026, 11, 26, 8, 0));
  const v1::Reminder deferred = Get(r.name());
  EXPECT_EQ(deferred.state(), v1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(deferred.attempt_count(), 0);  // a deferral is not an attempt
  ASSERT_EQ(deferred.attempts_size(), 1);
  EXPECT_EQ(deferred.attempts(0).outcome(), v1::ATTEMPT_OUTCOME_DEFERRED_QUIET_HOURS);
  EXPECT_EQ(api::FromTimestamp(deferred.next_attempt_time()), London(2026, 11, 26, 8, 0));
  EXPECT_THAT(SinkLines(), IsEmpty());
  EXPECT_EQ(directory_.lookups(), 0);

  clock_.Set(outcome.retry_at);
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(SinkLines().size(), 1u);
}

TEST_P(NotificationServiceTest, ClinicQuietHoursAcrossDaylightSavingChange) {
  // Sunday 2026-03-29, London springs forward at 01:00 GMT: quiet until 07:30 local (BST).
  clock_.Set(absl::FromUnixSeconds(0) + (London(2026, 3, 28, 23, 0) - absl::FromUnixSeconds(0)));
  v1::ScheduleReminderRequest request = DoseRequest();
  v1::Reminder* reminder = request.mutable_reminder();
  reminder->mutable_quiet_hours()->mutable_start_time()->set_hours(22);
  reminder->mutable_quiet_hours()->mutable_end_time()->set_hours(7);
  reminder->mutable_quiet_hours()->mutable_end_time()->set_minutes(30);
  const v1::Reminder r = Schedule(request);
  const DeliveryOutcome outcome = Deliver(r);
  ASSERT_EQ(outcome.kind, DeliveryOutcome::kRetryAt);
  EXPECT_EQ(outcome.retry_at, absl::FromCivil(absl::CivilSecond(2026, 3, 29, 6, 30, 0), absl::UTCTimeZone()));
}

TEST_P(NotificationServiceTest, PastAppointmentIsExpiredNotSent) {
  v1::ScheduleReminderRequest request = AppointmentRequest();
  *request.mutable_reminder()->mutable_send_time() = api::ToTimestamp(clock_.Now());
  *request.mutable_reminder()->mutable_event_time() = api::ToTimestamp(clock_.Now() + absl::Hours(2));
  const v1::Reminder r = Schedule(request);
  clock_.Advance(absl::Hours(2));  // the worker got to it too late
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_EXPIRED);
  EXPECT_THAT(SinkLines(), IsEmpty());
}

TEST_P(NotificationServiceTest, LostAcknowledgementNeverReachesTheSinkTwice) {
  const v1::Reminder r = Schedule(DoseRequest());
  sender_->lose_ack_ = true;  // the sink wrote it; the answer was lost
  const DeliveryOutcome lost = Deliver(r);
  ASSERT_EQ(lost.kind, DeliveryOutcome::kRetryAt);
  EXPECT_EQ(SinkLines().size(), 1u);

  // A worker died after sending again: the row is left SENDING, and the reconcile finds it.
  CLINIC_ASSERT_OK(db_->Execute("UPDATE reminders SET state = 2 WHERE reminder_id = $1", {IdOf(r.name())}));
  const std::vector<store::PendingReminder> pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].reminder_id, IdOf(r.name()));

  sender_->lose_ack_ = false;
  EXPECT_EQ(Deliver(r, 2).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_SENT);
  EXPECT_EQ(SinkLines().size(), 1u);
}

TEST_P(NotificationServiceTest, CancelWhileSendingAppliesWhenTheSendFails) {
  const v1::Reminder r = Schedule(DoseRequest());
  v1::Reminder answer;
  sender_->before_ = [&] { EXPECT_THAT(Cancel(r.name(), &answer), IsOk()); };
  sender_->fail_with_ = SendOutcome{SendOutcome::Kind::kRetryable, "HTTP_503"};
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(answer.state(), v1::REMINDER_STATE_SENDING);  // the cancel could not stop the send
  const v1::Reminder cancelled = Get(r.name());
  EXPECT_EQ(cancelled.state(), v1::REMINDER_STATE_CANCELLED);
  EXPECT_EQ(cancelled.cancel_reason(), "appointment_cancelled");
}

TEST_P(NotificationServiceTest, ProviderRejectionFails) {
  const v1::Reminder r = Schedule(DoseRequest());
  sender_->fail_with_ = SendOutcome{SendOutcome::Kind::kPermanent, "HTTP_400"};
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  const v1::Reminder failed = Get(r.name());
  EXPECT_EQ(failed.state(), v1::REMINDER_STATE_FAILED);
  EXPECT_EQ(failed.last_error(), "HTTP_400");
}

TEST_P(NotificationServiceTest, StaffAlertGoesToEveryEnabledContactWithTheRole) {
  const auto contact = [&](const std::string& role, type::v1::ContactChannel channel, const std::string& address,
                           bool disabled) {
    v1::CreateStaffContactRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent("clinics/soho");
    request.mutable_staff_contact()->set_role(role);
    request.mutable_staff_contact()->set_channel(channel);
    request.mutable_staff_contact()->set_address(address);
    request.mutable_staff_contact()->set_disabled(disabled);
    v1::StaffContact created;
    EXPECT_THAT(Rpc(&Stub::CreateStaffContact, manager_, request, &created), IsOk());
    return created;
  };
  contact("clinic_manager", kSms, "+447700900500", false);
  contact("clinic_manager", kEmail, "stock@soho.example", false);
  contact("clinic_manager", kSms, "+447700900501", true);
  contact("reception", kSms, "+447700900502", false);

  v1::ScheduleReminderRequest request;
  request.set_request_id(NewRequestId());
  v1::Reminder* alert = request.mutable_reminder();
  alert->set_kind(v1::REMINDER_KIND_STAFF_ALERT);
  alert->set_clinic("clinics/soho");
  alert->mutable_staff()->set_clinic("clinics/soho");
  alert->mutable_staff()->set_role("clinic_manager");
  alert->set_time_zone("Europe/London");
  *alert->mutable_send_time() = api::ToTimestamp(clock_.Now());
  (*alert->mutable_template_parameters())["clinic_name"] = "Soho";
  (*alert->mutable_template_parameters())["product"] = "Hydroxocobalamin 1 mg/1 mL";
  v1::Reminder r;
  CLINIC_ASSERT_OK(Rpc(&Stub::ScheduleReminder, Token(auth::Role::kService, "inventory", std::nullopt), request, &r));
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  const std::vector<nlohmann::json> lines = SinkLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT((std::vector<std::string>{lines[0]["to"], lines[1]["to"]}),
              UnorderedElementsAre("+447700900500", "stock@soho.example"));
  EXPECT_NE(lines[0]["idempotency_key"], lines[1]["idempotency_key"]);
  EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_SENT);

  request.set_request_id(NewRequestId());
  alert->mutable_staff()->set_role("practitioner");
  CLINIC_ASSERT_OK(Rpc(&Stub::ScheduleReminder, admin_, request, &r));
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(Get(r.name()).skip_reason(), v1::SKIP_REASON_NO_STAFF_CONTACT);
}

TEST_P(NotificationServiceTest, NoTemplateForTheKindIsSkipped) {
  v1::ScheduleReminderRequest request = DoseRequest();
  request.mutable_reminder()->set_kind(v1::REMINDER_KIND_RETEST_DUE);
  const v1::Reminder r = Schedule(request);
  EXPECT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  EXPECT_EQ(Get(r.name()).skip_reason(), v1::SKIP_REASON_NO_TEMPLATE);
}

TEST_P(NotificationServiceTest, ReminderAfterTheSameThingWasSentIsADuplicate) {
  v1::ScheduleReminderRequest request = DoseRequest();
  request.mutable_reminder()->set_dedupe_key("course/c1/dose/4");
  const v1::Reminder first = Schedule(request);
  // Cancelled while being sent, yet the send went through.
  v1::Reminder answer;
  sender_->before_ = [&] { EXPECT_THAT(Cancel(first.name(), &answer), IsOk()); };
  ASSERT_EQ(Deliver(first).kind, DeliveryOutcome::kDone);
  sender_->before_ = nullptr;
  ASSERT_EQ(Get(first.name()).state(), v1::REMINDER_STATE_SENT);
  // Being SENT it still holds its key, so a new one with the key is refused...
  request.set_request_id(NewRequestId());
  v1::Reminder out;
  EXPECT_THAT(Rpc(&Stub::ScheduleReminder, scheduling_, request, &out), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(SinkLines().size(), 1u);
}

// --- Batches ---

TEST_P(NotificationServiceTest, ABatchGivesEachReminderItsOwnOutcomeAndSendsTogether) {
  domain::PatientContact withdrawn;
  withdrawn.points = {Point(kSms, domain::Consent::kWithdrawn, "+447700900001", true)};
  directory_.Set("patients/p-no", withdrawn);
  domain::PatientContact second;
  second.language_code = "en-GB";
  second.points = {Point(kSms, domain::Consent::kGranted, "+447700900222", true)};
  directory_.Set("patients/p-2", second);
  const auto dose = [&](const std::string& patient, const std::string& key) {
    v1::ScheduleReminderRequest request = DoseRequest(patient);
    request.mutable_reminder()->set_dedupe_key(key);
    return request;
  };

  const v1::Reminder sendable = Schedule(dose("patients/p-1", "batch/sendable"));
  const v1::Reminder cancelled = Schedule(dose("patients/p-1", "batch/cancelled"));
  v1::Reminder answer;
  CLINIC_ASSERT_OK(Cancel(cancelled.name(), &answer));
  v1::ScheduleReminderRequest quiet_request = dose("patients/p-1", "batch/quiet");
  quiet_request.mutable_reminder()->mutable_quiet_hours()->mutable_start_time()->set_hours(9);
  quiet_request.mutable_reminder()->mutable_quiet_hours()->mutable_end_time()->set_hours(11);
  const v1::Reminder quiet = Schedule(quiet_request);  // it is 10:00 in London
  const v1::Reminder no_consent = Schedule(dose("patients/p-no", "batch/no-consent"));
  const v1::Reminder duplicate = Schedule(dose("patients/p-1", "batch/duplicate"));
  // Another reminder (of another replica, say) has sent the same thing already.
  CLINIC_ASSERT_OK(db_->Execute("INSERT INTO sent_keys (dedupe_key, reminder_id, claim_time_us, sent_time_us) "
                                "VALUES ($1, $2, $3, $3)",
                                {"batch/duplicate", "r-elsewhere", absl::ToUnixMicros(clock_.Now())})
                       .status());
  const v1::Reminder sendable2 = Schedule(dose("patients/p-2", "batch/sendable-2"));

  const std::vector<std::string> ids = {IdOf(sendable.name()), IdOf(cancelled.name()),  IdOf(quiet.name()),
                                        "no-such-reminder",    IdOf(no_consent.name()), IdOf(duplicate.name()),
                                        IdOf(sendable2.name())};
  std::vector<Deliverer::Job> jobs;
  for (const std::string& id : ids) jobs.push_back({id, 1});
  std::vector<DeliveryOutcome> outcomes = deliverer_->DeliverBatch(jobs);
  ASSERT_EQ(outcomes.size(), jobs.size());
  for (size_t i : {0, 1, 3, 4, 5, 6}) EXPECT_EQ(outcomes[i].kind, DeliveryOutcome::kDone) << ids[i];
  EXPECT_EQ(outcomes[2].kind, DeliveryOutcome::kRetryAt);
  EXPECT_EQ(outcomes[2].retry_at, London(2026, 11, 25, 11, 0));
  EXPECT_EQ(sender_->batches_.load(), 1);  // both sends in one batch

  std::vector<nlohmann::json> lines = SinkLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT((std::vector<std::string>{lines[0]["to"], lines[1]["to"]}),
              UnorderedElementsAre("+447700900123", "+447700900222"));
  for (const v1::Reminder* r : {&sendable, &sendable2}) {
    const v1::Reminder sent = Get(r->name());
    EXPECT_EQ(sent.state(), v1::REMINDER_STATE_SENT);
    EXPECT_EQ(sent.attempt_count(), 1);
    ASSERT_EQ(sent.attempts_size(), 1);
    EXPECT_EQ(sent.attempts(0).outcome(), v1::ATTEMPT_OUTCOME_DELIVERED);
  }
  const v1::Reminder still_cancelled = Get(cancelled.name());
  EXPECT_EQ(still_cancelled.state(), v1::REMINDER_STATE_CANCELLED);
  EXPECT_EQ(still_cancelled.attempts_size(), 0);
  const v1::Reminder deferred = Get(quiet.name());
  EXPECT_EQ(deferred.state(), v1::REMINDER_STATE_SCHEDULED);
  EXPECT_EQ(deferred.attempt_count(), 0);
  ASSERT_EQ(deferred.attempts_size(), 1);
  EXPECT_EQ(deferred.attempts(0).outcome(), v1::ATTEMPT_OUTCOME_DEFERRED_QUIET_HOURS);
  const v1::Reminder skipped = Get(no_consent.name());
  EXPECT_EQ(skipped.state(), v1::REMINDER_STATE_SKIPPED);
  EXPECT_EQ(skipped.skip_reason(), v1::SKIP_REASON_NO_CONSENT);
  const v1::Reminder dup = Get(duplicate.name());
  EXPECT_EQ(dup.state(), v1::REMINDER_STATE_SKIPPED);
  EXPECT_EQ(dup.skip_reason(), v1::SKIP_REASON_DUPLICATE);

  // The same batch again (the claims outlived their visibility): nothing new happens.
  outcomes = deliverer_->DeliverBatch(jobs);
  ASSERT_EQ(outcomes.size(), jobs.size());
  for (size_t i : {0, 1, 3, 4, 5, 6}) EXPECT_EQ(outcomes[i].kind, DeliveryOutcome::kDone) << ids[i];
  EXPECT_EQ(outcomes[2].kind, DeliveryOutcome::kRetryAt);
  EXPECT_EQ(outcomes[2].retry_at, London(2026, 11, 25, 11, 0));
  EXPECT_EQ(Get(quiet.name()).attempts_size(), 1);
  EXPECT_EQ(SinkLines().size(), 2u);
  EXPECT_EQ(Get(sendable.name()).attempts_size(), 1);
}

TEST_P(NotificationServiceTest, OneBatchDeliveredByTwoDeliverersAtOnceReachesTheSinkOnce) {
  constexpr int kReminders = 12;
  std::vector<v1::Reminder> reminders;
  std::vector<std::string> ids;
  for (int i = 0; i < kReminders; ++i) {
    v1::ScheduleReminderRequest request = DoseRequest();
    request.mutable_reminder()->set_dedupe_key(absl::StrCat("batch/concurrent/", i));
    reminders.push_back(Schedule(request));
    ids.push_back(IdOf(reminders.back().name()));
  }
  std::vector<Deliverer::Job> jobs;
  for (const std::string& id : ids) jobs.push_back({id, 1});
  // A second replica: its own deliverer and its own handle on the sink file.
  absl::StatusOr<std::unique_ptr<FileSinkSender>> other_sink = FileSinkSender::Open(SinkPath(), clock_, {});
  CLINIC_ASSERT_OK(other_sink.status());
  ReminderDeliverer::Options options;
  options.max_attempts = 3;
  ReminderDeliverer other(*db_, clock_, directory_, **other_sink, *metrics_, options);

  std::vector<DeliveryOutcome> first, second;
  std::thread a([&] { first = deliverer_->DeliverBatch(jobs); });
  std::thread b([&] { second = other.DeliverBatch(jobs); });
  a.join();
  b.join();
  ASSERT_EQ(first.size(), jobs.size());
  ASSERT_EQ(second.size(), jobs.size());
  for (const std::vector<DeliveryOutcome>* outcomes : {&first, &second}) {
    // Done, or (having lost every race) back in a moment; never dead.
    for (const DeliveryOutcome& o : *outcomes) EXPECT_NE(o.kind, DeliveryOutcome::kDead);
  }
  // And once more, one after the other (a job delivered twice).
  for (const DeliveryOutcome& o : other.DeliverBatch(jobs)) EXPECT_EQ(o.kind, DeliveryOutcome::kDone);
  for (const DeliveryOutcome& o : deliverer_->DeliverBatch(jobs)) EXPECT_EQ(o.kind, DeliveryOutcome::kDone);

  const std::vector<nlohmann::json> lines = SinkLines();
  EXPECT_EQ(lines.size(), static_cast<size_t>(kReminders));
  std::set<std::string> keys;
  for (const nlohmann::json& line : lines) keys.insert(line["idempotency_key"].get<std::string>());
  EXPECT_EQ(keys.size(), static_cast<size_t>(kReminders));
  for (const v1::Reminder& r : reminders) {
    const v1::Reminder sent = Get(r.name());
    EXPECT_EQ(sent.state(), v1::REMINDER_STATE_SENT) << r.name();
    EXPECT_EQ(sent.attempt_count(), 1) << r.name();
  }
}

TEST_P(NotificationServiceTest, ADatabaseFailureAroundTheSendsNeverSendsTwice) {
  FlakyDatabase flaky(*db_);
  ReminderDeliverer::Options options;
  options.max_attempts = 3;
  ReminderDeliverer deliverer(flaky, clock_, directory_, *sender_, *metrics_, options);
  std::vector<v1::Reminder> reminders;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    v1::ScheduleReminderRequest request = DoseRequest();
    request.mutable_reminder()->set_dedupe_key(absl::StrCat("batch/flaky/", i));
    reminders.push_back(Schedule(request));
    ids.push_back(IdOf(reminders.back().name()));
  }
  std::vector<Deliverer::Job> jobs;
  for (const std::string& id : ids) jobs.push_back({id, 1});

  // Down before SENDING: nothing is sent, nothing changes, each comes back shortly.
  flaky.FailWrites(true);
  for (const DeliveryOutcome& o : deliverer.DeliverBatch(jobs)) {
    EXPECT_EQ(o.kind, DeliveryOutcome::kRetryAt);
    EXPECT_EQ(o.retry_at, clock_.Now() + options.database_retry);
  }
  EXPECT_THAT(SinkLines(), IsEmpty());
  for (const v1::Reminder& r : reminders) EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_SCHEDULED);

  // Down between SENDING and the record: sent, left SENDING, back shortly.
  flaky.FailWrites(false);
  sender_->before_ = [&] { flaky.FailWrites(true); };
  for (const DeliveryOutcome& o : deliverer.DeliverBatch(jobs)) EXPECT_EQ(o.kind, DeliveryOutcome::kRetryAt);
  EXPECT_EQ(SinkLines().size(), 3u);
  for (const v1::Reminder& r : reminders) EXPECT_EQ(Get(r.name()).state(), v1::REMINDER_STATE_SENDING);
  EXPECT_EQ(Pending().size(), 3u);  // so a reconcile queues them again if Redis forgot them

  // Redelivered once the database is back: recorded SENT, nothing sent twice.
  sender_->before_ = nullptr;
  flaky.FailWrites(false);
  for (const DeliveryOutcome& o : deliverer.DeliverBatch(jobs)) EXPECT_EQ(o.kind, DeliveryOutcome::kDone);
  EXPECT_EQ(SinkLines().size(), 3u);
  for (const v1::Reminder& r : reminders) {
    const v1::Reminder sent = Get(r.name());
    EXPECT_EQ(sent.state(), v1::REMINDER_STATE_SENT);
    EXPECT_EQ(sent.attempt_count(), 1);
  }
  EXPECT_THAT(Pending(), IsEmpty());
}

// --- Templates and staff contacts ---

TEST_P(NotificationServiceTest, TemplateLifecycle) {
  v1::CreateTemplateRequest create;
  create.set_request_id(NewRequestId());
  create.set_template_id("retest-sms-en-gb");
  v1::Template* t = create.mutable_template_();
  t->set_kind(v1::REMINDER_KIND_RETEST_DUE);
  t->set_channel(kSms);
  t->set_language_code("en-gb");
  t->set_body("Time for your B12 blood test at {{clinic_name}}.");
  t->add_required_parameters("clinic_name");
  v1::Template created;
  CLINIC_ASSERT_OK(Rpc(&Stub::CreateTemplate, admin_, create, &created));
  EXPECT_EQ(created.name(), "templates/retest-sms-en-gb");
  EXPECT_EQ(created.language_code(), "en-GB");
  EXPECT_EQ(created.state(), v1::Template::STATE_ACTIVE);

  create.set_request_id(NewRequestId());
  create.set_template_id("retest-sms-en-gb-2");
  absl::Status s = Rpc(&Stub::CreateTemplate, admin_, create, &created);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(status::GetExistingResource(s), "templates/retest-sms-en-gb");
  EXPECT_THAT(Rpc(&Stub::CreateTemplate, manager_, create, &created), StatusIs(absl::StatusCode::kPermissionDenied));

  v1::CreateTemplateRequest bad = create;
  bad.set_request_id(NewRequestId());
  bad.mutable_template_()->set_body("Hello {{name}}");
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::CreateTemplate, admin_, bad, &created)), ElementsAre("template.body"));

  v1::UpdateTemplateRequest update;
  update.set_request_id(NewRequestId());
  update.mutable_template_()->set_name("templates/retest-sms-en-gb");
  update.mutable_template_()->set_etag(api::Etag(1));
  update.mutable_template_()->set_body("Your B12 retest is due.");
  update.mutable_template_()->clear_required_parameters();
  update.mutable_update_mask()->add_paths("body");
  update.mutable_update_mask()->add_paths("required_parameters");
  v1::Template updated;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateTemplate, admin_, update, &updated));
  EXPECT_EQ(updated.body(), "Your B12 retest is due.");
  update.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::UpdateTemplate, admin_, update, &updated), StatusIs(absl::StatusCode::kAborted));

  v1::ListTemplatesRequest list;
  list.set_kind(v1::REMINDER_KIND_RETEST_DUE);
  v1::ListTemplatesResponse listed;
  CLINIC_ASSERT_OK(Rpc(&Stub::ListTemplates, reception_, list, &listed));
  ASSERT_EQ(listed.templates_size(), 1);

  // A reminder sent with the new text.
  v1::ScheduleReminderRequest retest = DoseRequest();
  retest.mutable_reminder()->set_kind(v1::REMINDER_KIND_RETEST_DUE);
  const v1::Reminder r = Schedule(retest);
  ASSERT_EQ(Deliver(r).kind, DeliveryOutcome::kDone);
  ASSERT_EQ(SinkLines().size(), 1u);
  EXPECT_EQ(SinkLines()[0]["body"], "Your B12 retest is due.");

  v1::DeleteTemplateRequest del;
  del.set_request_id(NewRequestId());
  del.set_name("templates/retest-sms-en-gb");
  google::protobuf::Empty empty;
  CLINIC_ASSERT_OK(Rpc(&Stub::DeleteTemplate, admin_, del, &empty));
  v1::GetTemplateRequest get;
  get.set_name("templates/retest-sms-en-gb");
  EXPECT_THAT(Rpc(&Stub::GetTemplate, admin_, get, &created), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(NotificationServiceTest, StaffContactLifecycle) {
  v1::CreateStaffContactRequest create;
  create.set_request_id(NewRequestId());
  create.set_parent("clinics/soho");
  create.mutable_staff_contact()->set_role("clinic_manager");
  create.mutable_staff_contact()->set_channel(kEmail);
  create.mutable_staff_contact()->set_address("stock@soho.example");
  create.mutable_staff_contact()->set_display_name("Soho stock mailbox");
  v1::StaffContact created;
  CLINIC_ASSERT_OK(Rpc(&Stub::CreateStaffContact, manager_, create, &created));
  EXPECT_THAT(created.name(), ::testing::StartsWith("clinics/soho/staffContacts/"));
  const std::string leeds_manager = Token(auth::Role::kClinicManager, "manager-2", "leeds");
  create.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&Stub::CreateStaffContact, leeds_manager, create, &created),
              StatusIs(absl::StatusCode::kPermissionDenied));
  create.mutable_staff_contact()->set_address("not an address");
  EXPECT_THAT(ViolatedFields(Rpc(&Stub::CreateStaffContact, manager_, create, &created)),
              ElementsAre("staff_contact.address"));

  v1::UpdateStaffContactRequest update;
  update.set_request_id(NewRequestId());
  update.mutable_staff_contact()->set_name(created.name());
  update.mutable_staff_contact()->set_etag(created.etag());
  update.mutable_staff_contact()->set_disabled(true);
  update.mutable_update_mask()->add_paths("disabled");
  v1::StaffContact updated;
  CLINIC_ASSERT_OK(Rpc(&Stub::UpdateStaffContact, manager_, update, &updated));
  EXPECT_TRUE(updated.disabled());
  EXPECT_EQ(updated.address(), "stock@soho.example");

  v1::ListStaffContactsRequest list;
  list.set_parent("clinics/soho");
  v1::ListStaffContactsResponse listed;
  CLINIC_ASSERT_OK(Rpc(&Stub::ListStaffContacts, manager_, list, &listed));
  ASSERT_EQ(listed.staff_contacts_size(), 1);

  v1::DeleteStaffContactRequest del;
  del.set_request_id(NewRequestId());
  del.set_name(created.name());
  del.set_etag(created.etag());  // stale
  google::protobuf::Empty empty;
  EXPECT_THAT(Rpc(&Stub::DeleteStaffContact, manager_, del, &empty), StatusIs(absl::StatusCode::kAborted));
  del.set_etag(updated.etag());
  del.set_request_id(NewRequestId());
  CLINIC_ASSERT_OK(Rpc(&Stub::DeleteStaffContact, manager_, del, &empty));
  v1::GetStaffContactRequest get;
  get.set_name(created.name());
  EXPECT_THAT(Rpc(&Stub::GetStaffContact, manager_, get, &created), StatusIs(absl::StatusCode::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(Backends, NotificationServiceTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& backend) {
                           return backend.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace clinic::notification
