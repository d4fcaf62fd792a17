// The notification service's faults that must lose nothing, with the real processes:
// a private redis-server, patient_service and notification_service on SQLite files in a
// temp dir, the file sink in the same dir. Each test kills something for real
// (kill -9 of the service while it dispatches, Redis restarted empty, Redis down, the
// patient service down) and then waits — with generous deadlines, no timing asserted —
// until every reminder is SENT and the sink holds exactly one line per reminder.

#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clinic/notification/v1/notification_service.grpc.pb.h"
#include "clinic/patient/v1/patient_service.grpc.pb.h"
#include "common/api/convert.h"
#include "common/auth/jwt.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace clinic {
namespace {

namespace nv1 = ::clinic::notification::v1;
namespace pv1 = ::clinic::patient::v1;
using ::clinic::testing::PickFreePort;
using ::clinic::testing::Process;
using ::clinic::testing::RedisServer;
using ::clinic::testing::TempDir;
using ::clinic::testing::WaitFor;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-notification-faults";
constexpr char kClinic[] = "clinic-north";
constexpr char kNotificationService[] = "clinic.notification.v1.NotificationService";
// Generous: a loaded CI machine is slow, and nothing here asserts a duration.
constexpr auto kStartPatience = std::chrono::seconds(30);
constexpr auto kSendPatience = std::chrono::seconds(90);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string Tail(const std::string& path) {
  const std::string text = ReadFile(path);
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

// One of the service binaries as a child process, restartable with the same flags (and
// so the same port, database and sink).
class Service {
 public:
  Service(std::string binary, std::vector<std::string> flags, std::string log_base)
      : binary_(std::move(binary)), flags_(std::move(flags)), log_base_(std::move(log_base)) {}

  // Starts the process and waits for its "listening" log line. Each run logs to a file
  // of its own (<log>.1, <log>.2, ...).
  void Start() {
    log_file_ = absl::StrCat(log_base_, ".", ++runs_);
    std::vector<std::string> argv = {binary_};
    argv.insert(argv.end(), flags_.begin(), flags_.end());
    process_ = std::make_unique<Process>(argv, log_file_);
    std::optional<nlohmann::json> listening;
    const bool up = WaitFor(
        [&] {
          listening = Listening();
          return listening.has_value() || !process_->Running();
        },
        kStartPatience);
    if (!up || !listening.has_value()) {
      ADD_FAILURE() << binary_ << " did not start:\n" << Tail(log_file_);
      return;
    }
    address_ = listening->value("address", "");
    metrics_port_ = std::stoi(listening->value("metrics_port", "0"));
  }

  // kill -9: no drain, no shutdown code runs.
  void Kill9() {
    if (!process_) return;
    process_->Signal(SIGKILL);
    process_->Wait(kStartPatience);
    process_.reset();
  }

  // SIGTERM: drain, return unfinished claims, exit. Returns the exit status.
  int Terminate() {
    if (!process_) return -1;
    process_->Signal(SIGTERM);
    const int status = process_->Wait(kStartPatience);
    process_.reset();
    return status;
  }

  bool Running() const { return process_ != nullptr && process_->Running(); }
  const std::string& address() const { return address_; }
  int metrics_port() const { return metrics_port_; }
  const std::string& log_file() const { return log_file_; }

  std::string Metrics() const {
    httplib::Client client("127.0.0.1", metrics_port_);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(5));
    auto scraped = client.Get("/metrics");
    return scraped && scraped->status == 200 ? scraped->body : "";
  }

  // GET /healthz on the metrics port: the HTTP status (0 when nothing answered) and the
  // parsed JSON body.
  std::pair<int, nlohmann::json> Healthz() const {
    httplib::Client client("127.0.0.1", metrics_port_);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(5));
    auto answered = client.Get("/healthz");
    if (!answered) return {0, nlohmann::json()};
    return {answered->status, nlohmann::json::parse(answered->body, nullptr, /*allow_exceptions=*/false)};
  }

 private:
  std::optional<nlohmann::json> Listening() const {
    std::istringstream lines(ReadFile(log_file_));
    for (std::string line; std::getline(lines, line);) {
      nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object() && parsed.value("msg", "") == "listening") return parsed;
    }
    return std::nullopt;
  }

  const std::string binary_;
  const std::vector<std::string> flags_;
  const std::string log_base_;
  int runs_ = 0;
  std::string log_file_;
  std::unique_ptr<Process> process_;
  std::string address_;
  int metrics_port_ = 0;
};

class NotificationFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_.File("hs256.key");
    std::ofstream(key_file_) << kSecret << "\n";
    admin_ = Token(auth::Role::kNetworkAdmin, "admin-1", std::nullopt);
    scheduling_ = Token(auth::Role::kService, "scheduling", std::nullopt);
    manager_ = Token(auth::Role::kClinicManager, "manager-1", kClinic);
    reception_ = Token(auth::Role::kReception, "reception-1", kClinic);
    // Quiet hours of one minute half a day away (UTC): the sends of these tests are
    // never deferred, whatever the time of day the test runs.
    const absl::CivilMinute quiet = absl::ToCivilMinute(absl::Now() + absl::Hours(12), absl::UTCTimeZone());
    quiet_start_.set_hours(quiet.hour());
    quiet_start_.set_minutes(quiet.minute());
    quiet_end_ = quiet_start_;
    quiet_end_.set_seconds(59);
  }

  std::string Token(auth::Role role, std::string subject, std::optional<std::string> clinic) const {
    auth::Claims claims;
    claims.subject = std::move(subject);
    claims.role = role;
    claims.clinic = std::move(clinic);
    claims.issued_at = absl::Now();
    claims.expires_at = absl::Now() + absl::Hours(1);
    return auth::MintHs256(claims, kSecret).value();
  }

  std::vector<std::string> CommonFlags(int port) const {
    return {"--address=127.0.0.1",
            absl::StrCat("--port=", port),
            "--metrics_address=127.0.0.1",
            "--metrics_port=0",
            "--jwt_hs256_key_file=" + key_file_,
            "--shutdown_delay=0s",
            "--redis_url=" + redis_.url()};
  }

  // The patient service on a port of its own, kept across restarts (the notification
  // service is pointed at it once).
  void StartPatientService() {
    if (!patient_) {
      std::vector<std::string> flags = CommonFlags(PickFreePort());
      flags.push_back("--database_url=sqlite://" + dir_.File("patient.db"));
      patient_ = std::make_unique<Service>(CLINIC_PATIENT_SERVICE, flags, dir_.File("patient.log"));
    }
    patient_->Start();
    ASSERT_TRUE(patient_->Running()) << Tail(patient_->log_file());
    patient_channel_ = grpc::CreateChannel(patient_->address(), grpc::InsecureChannelCredentials());
  }

  void StartNotificationService(std::vector<std::string> extra = {}) {
    if (!notification_) {
      std::vector<std::string> flags = CommonFlags(0);
      flags.push_back("--database_url=sqlite://" + dir_.File("notification.db"));
      flags.push_back("--sink_path=" + SinkPath());
      if (patient_) flags.push_back("--patient_address=" + patient_->address());
      flags.push_back("--dispatch_poll_interval=50ms");
      // A claim of a killed process comes back after this long.
      flags.push_back("--dispatch_visibility=3s");
      flags.push_back("--delivery_initial_retry=200ms");
      flags.push_back("--delivery_max_retry=1s");
      flags.push_back("--delivery_max_attempts=1000");
      flags.insert(flags.end(), extra.begin(), extra.end());
      notification_ = std::make_unique<Service>(CLINIC_NOTIFICATION_SERVICE, flags, dir_.File("notification.log"));
    }
    notification_->Start();
    ASSERT_TRUE(notification_->Running()) << Tail(notification_->log_file());
    // A new channel per start: the port is new (--port=0).
    notification_channel_ = grpc::CreateChannel(notification_->address(), grpc::InsecureChannelCredentials());
  }

  std::string SinkPath() const { return dir_.File("sink.jsonl"); }

  // The sink's lines as idempotency key → how many lines carry it.
  std::map<std::string, int> SinkKeys() const {
    std::ifstream in(SinkPath());
    std::map<std::string, int> keys;
    for (std::string line; std::getline(in, line);) {
      nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_object()) {
        ADD_FAILURE() << "a sink line that is not JSON: " << line;
        continue;
      }
      ++keys[parsed.value("idempotency_key", "")];
    }
    return keys;
  }

  // The reminders named by each sink line (one reminder, one line: its key).
  std::map<std::string, int> SinkReminders() const {
    std::ifstream in(SinkPath());
    std::map<std::string, int> reminders;
    for (std::string line; std::getline(in, line);) {
      nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_object()) ++reminders[parsed.value("reminder", "")];
    }
    return reminders;
  }

  size_t SinkLineCount() const {
    std::ifstream in(SinkPath());
    size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const std::string& token, const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    context.AddMetadata("authorization", "Bearer " + token);
    return (stub.*method)(&context, request, response);
  }

  template <typename Request, typename Response>
  grpc::Status Notify(grpc::Status (nv1::NotificationService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                                              Response*),
                      const std::string& token, const Request& request, Response* response) {
    auto stub = nv1::NotificationService::NewStub(notification_channel_);
    return Call(*stub, method, token, request, response);
  }

  template <typename Request, typename Response>
  grpc::Status Patient(grpc::Status (pv1::PatientService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                                         Response*),
                       const std::string& token, const Request& request, Response* response) {
    auto stub = pv1::PatientService::NewStub(patient_channel_);
    return Call(*stub, method, token, request, response);
  }

  std::string NewRequestId() { return absl::StrCat("req-", ++request_counter_); }

  void CreateTemplate(nv1::ReminderKind kind) {
    nv1::CreateTemplateRequest request;
    request.set_request_id(NewRequestId());
    nv1::Template* t = request.mutable_template_();
    t->set_kind(kind);
    t->set_channel(type::v1::CONTACT_CHANNEL_SMS);
    t->set_language_code("en-GB");
    t->set_body("A message from the clinic.");
    nv1::Template created;
    const grpc::Status s = Notify(&nv1::NotificationService::Stub::CreateTemplate, admin_, request, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // One SMS staff contact for clinic managers of the clinic: a staff alert is one line.
  void CreateStaffContact() {
    nv1::CreateStaffContactRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(absl::StrCat("clinics/", kClinic));
    request.mutable_staff_contact()->set_role("clinic_manager");
    request.mutable_staff_contact()->set_channel(type::v1::CONTACT_CHANNEL_SMS);
    request.mutable_staff_contact()->set_address("+447700900500");
    nv1::StaffContact created;
    const grpc::Status s = Notify(&nv1::NotificationService::Stub::CreateStaffContact, manager_, request, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // A patient with SMS contact consent, at the patient service.
  std::string CreatePatientWithSmsConsent(int i) {
    pv1::CreatePatientRequest create;
    create.set_request_id(NewRequestId());
    pv1::Patient* p = create.mutable_patient();
    p->set_given_name(absl::StrCat("Test", i));
    p->set_family_name("Patient");
    *p->mutable_birth_date() = api::ToDate(absl::CivilDay(1980, 4, 12));
    p->set_phone_number(absl::StrCat("+4477009", 10000 + i));
    p->set_language_code("en-GB");
    pv1::Patient created;
    grpc::Status s = Patient(&pv1::PatientService::Stub::CreatePatient, reception_, create, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return "";

    pv1::GetConsentRequest get;
    get.set_name(created.name() + "/consent");
    pv1::Consent consent;
    s = Patient(&pv1::PatientService::Stub::GetConsent, reception_, get, &consent);
    EXPECT_TRUE(s.ok()) << s.error_message();
    pv1::UpdateContactConsentRequest grant;
    grant.set_request_id(NewRequestId());
    grant.set_name(created.name() + "/consent");
    grant.set_etag(consent.etag());
    grant.mutable_contact()->set_channel(type::v1::CONTACT_CHANNEL_SMS);
    grant.mutable_contact()->set_state(pv1::CONTACT_CONSENT_STATE_GRANTED);
    grant.mutable_contact()->set_preferred(true);
    s = Patient(&pv1::PatientService::Stub::UpdateContactConsent, reception_, grant, &consent);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.name();
  }

  nv1::Reminder BaseReminder(absl::Time send_time) const {
    nv1::Reminder r;
    r.set_clinic(absl::StrCat("clinics/", kClinic));
    r.set_time_zone("UTC");
    *r.mutable_quiet_hours()->mutable_start_time() = quiet_start_;
    *r.mutable_quiet_hours()->mutable_end_time() = quiet_end_;
    *r.mutable_send_time() = api::ToTimestamp(send_time);
    return r;
  }

  // Schedules a staff alert (to the clinic managers); returns its name.
  std::string ScheduleStaffAlert(absl::Time send_time) {
    nv1::ScheduleReminderRequest request;
    request.set_request_id(NewRequestId());
    *request.mutable_reminder() = BaseReminder(send_time);
    request.mutable_reminder()->set_kind(nv1::REMINDER_KIND_STAFF_ALERT);
    request.mutable_reminder()->mutable_staff()->set_clinic(absl::StrCat("clinics/", kClinic));
    request.mutable_reminder()->mutable_staff()->set_role("clinic_manager");
    return Schedule(request);
  }

  // Schedules a next-dose reminder to `patient`; returns its name.
  std::string ScheduleDoseReminder(const std::string& patient, absl::Time send_time) {
    nv1::ScheduleReminderRequest request;
    request.set_request_id(NewRequestId());
    *request.mutable_reminder() = BaseReminder(send_time);
    request.mutable_reminder()->set_kind(nv1::REMINDER_KIND_NEXT_DOSE_DUE);
    request.mutable_reminder()->set_patient(patient);
    return Schedule(request);
  }

  // Each reminder its own dedupe key (the default one is per recipient and send time,
  // and these tests send many to one recipient at one time).
  std::string Schedule(nv1::ScheduleReminderRequest request) {
    request.mutable_reminder()->set_dedupe_key(absl::StrCat("fault-test-", request.request_id()));
    nv1::Reminder scheduled;
    const grpc::Status s =
        Notify(&nv1::NotificationService::Stub::ScheduleReminder, scheduling_, request, &scheduled);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return scheduled.name();
  }

  std::optional<nv1::Reminder> Get(const std::string& name) {
    nv1::GetReminderRequest request;
    request.set_name(name);
    nv1::Reminder r;
    if (!Notify(&nv1::NotificationService::Stub::GetReminder, admin_, request, &r).ok()) return std::nullopt;
    return r;
  }

  // Every reminder of the clinic: name → state (empty when the service does not answer).
  std::map<std::string, nv1::ReminderState> States() {
    std::map<std::string, nv1::ReminderState> states;
    nv1::ListRemindersRequest request;
    request.set_clinic(absl::StrCat("clinics/", kClinic));
    request.set_page_size(500);
    do {
      nv1::ListRemindersResponse page;
      if (!Notify(&nv1::NotificationService::Stub::ListReminders, admin_, request, &page).ok()) return {};
      for (const nv1::Reminder& r : page.reminders()) states[r.name()] = r.state();
      request.set_page_token(page.next_page_token());
    } while (!request.page_token().empty());
    return states;
  }

  // Waits until every reminder in `names` is SENT; false (with what is not) otherwise.
  ::testing::AssertionResult AllSent(const std::vector<std::string>& names) {
    std::map<std::string, nv1::ReminderState> states;
    const bool sent = WaitFor(
        [&] {
          states = States();
          for (const std::string& name : names) {
            auto it = states.find(name);
            if (it == states.end() || it->second != nv1::REMINDER_STATE_SENT) return false;
          }
          return true;
        },
        kSendPatience);
    if (sent) return ::testing::AssertionSuccess();
    std::map<nv1::ReminderState, int> by_state;
    for (const std::string& name : names) ++by_state[states.count(name) ? states[name] : nv1::REMINDER_STATE_UNSPECIFIED];
    auto failure = ::testing::AssertionFailure() << "not every reminder was sent; by state:";
    for (const auto& [state, n] : by_state) failure << " " << nv1::ReminderState_Name(state) << "=" << n;
    return failure << "\nnotification log:\n" << Tail(notification_->log_file());
  }

  // Exactly one sink line per reminder in `names`, and no other line; no key twice.
  void ExpectOneLineEach(const std::vector<std::string>& names) {
    const std::map<std::string, int> keys = SinkKeys();
    for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << "idempotency key sent twice: " << key;
    const std::map<std::string, int> reminders = SinkReminders();
    EXPECT_EQ(reminders.size(), names.size());
    for (const std::string& name : names) {
      auto it = reminders.find(name);
      EXPECT_TRUE(it != reminders.end() && it->second == 1)
          << name << " has " << (it == reminders.end() ? 0 : it->second) << " sink lines";
    }
    EXPECT_EQ(SinkLineCount(), names.size());
  }

  // The grpc.health.v1 status of `service` on the notification service (nullopt when the
  // check failed).
  std::optional<grpc::health::v1::HealthCheckResponse::ServingStatus> Health(const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(notification_channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, request, &response).ok()) return std::nullopt;
    return response.status();
  }

  // The health component `name` in a /healthz body (an empty object when absent).
  static nlohmann::json Component(const nlohmann::json& healthz, const std::string& name) {
    if (!healthz.is_object()) return nlohmann::json::object();
    nlohmann::json components = healthz.value("components", nlohmann::json::object());
    return components.is_object() ? components.value(name, nlohmann::json::object()) : nlohmann::json::object();
  }

  // The status of the health component `name` in /healthz ("" when absent).
  std::string HealthzComponent(const std::string& name) const {
    return Component(notification_->Healthz().second, name).value("status", "");
  }

  // The value of an unlabelled gauge or counter on /metrics, if present.
  std::optional<double> Gauge(const std::string& name) const {
    std::istringstream lines(notification_->Metrics());
    for (std::string line; std::getline(lines, line);) {
      for (const std::string& prefix : {name + " ", name + "{} "}) {
        if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(prefix.size()));
      }
    }
    return std::nullopt;
  }

  TempDir dir_;
  std::string key_file_;
  std::string admin_, scheduling_, manager_, reception_;
  type::v1::TimeOfDay quiet_start_, quiet_end_;
  RedisServer redis_;
  std::unique_ptr<Service> patient_;
  std::unique_ptr<Service> notification_;
  std::shared_ptr<grpc::Channel> patient_channel_;
  std::shared_ptr<grpc::Channel> notification_channel_;
  int request_counter_ = 0;
};

TEST_F(NotificationFaultsTest, KilledWhileDispatchingSendsEveryReminderOnceAfterRestarts) {
  ASSERT_NO_FATAL_FAILURE(StartPatientService());
  // Two workers, fsync per line: a slower dispatch, so the kill lands in the middle.
  ASSERT_NO_FATAL_FAILURE(StartNotificationService({"--dispatch_workers=2", "--sink_fsync=true"}));
  ASSERT_NO_FATAL_FAILURE(CreateTemplate(nv1::REMINDER_KIND_NEXT_DOSE_DUE));
  std::vector<std::string> patients;
  for (int i = 0; i < 20; ++i) patients.push_back(CreatePatientWithSmsConsent(i));
  ASSERT_FALSE(HasFailure());

  // 300 reminders, all due at the same moment a little after they are all scheduled.
  const absl::Time due = absl::Now() + absl::Seconds(4);
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back(ScheduleDoseReminder(patients[i % patients.size()], due));
  ASSERT_FALSE(HasFailure());

  // kill -9 once the first sends are in the sink, restart; twice more further on.
  std::string kills;
  for (const size_t threshold : {10u, 100u, 200u}) {
    ASSERT_TRUE(WaitFor([&] { return SinkLineCount() >= threshold; }, kSendPatience))
        << Tail(notification_->log_file());
    notification_->Kill9();
    absl::StrAppend(&kills, kills.empty() ? "" : ",", SinkLineCount());
    ASSERT_NO_FATAL_FAILURE(StartNotificationService());
  }
  RecordProperty("sent_at_each_kill", kills);

  EXPECT_TRUE(AllSent(names));
  ExpectOneLineEach(names);
}

TEST_F(NotificationFaultsTest, SigtermWhileDispatchingExitsZeroAndLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartPatientService());
  // A long visibility: what the stopped process claimed must come back because it was
  // released at shutdown, not because its claim expired.
  ASSERT_NO_FATAL_FAILURE(StartNotificationService({"--dispatch_workers=2", "--sink_fsync=true",
                                                    "--dispatch_visibility=10m"}));
  ASSERT_NO_FATAL_FAILURE(CreateTemplate(nv1::REMINDER_KIND_NEXT_DOSE_DUE));
  std::vector<std::string> patients;
  for (int i = 0; i < 10; ++i) patients.push_back(CreatePatientWithSmsConsent(i));
  ASSERT_FALSE(HasFailure());
  const absl::Time due = absl::Now() + absl::Seconds(4);
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back(ScheduleDoseReminder(patients[i % patients.size()], due));
  ASSERT_FALSE(HasFailure());

  ASSERT_TRUE(WaitFor([&] { return SinkLineCount() >= 10; }, kSendPatience)) << Tail(notification_->log_file());
  const std::string stopped_log = notification_->log_file();
  RecordProperty("sent_at_sigterm", static_cast<int>(SinkLineCount()));
  EXPECT_EQ(notification_->Terminate(), 0) << Tail(stopped_log);
  // The workers keep sending while gRPC drains; what they still held is released.
  RecordProperty("sent_at_exit", static_cast<int>(SinkLineCount()));

  ASSERT_NO_FATAL_FAILURE(StartNotificationService());
  EXPECT_TRUE(AllSent(names)) << "stopped run:\n" << Tail(stopped_log);
  ExpectOneLineEach(names);
}

TEST_F(NotificationFaultsTest, RedisRestartedEmptyIsReconciledFromTheDatabase) {
  ASSERT_NO_FATAL_FAILURE(StartNotificationService({"--reconcile_interval=2s"}));
  ASSERT_NO_FATAL_FAILURE(CreateTemplate(nv1::REMINDER_KIND_STAFF_ALERT));
  ASSERT_NO_FATAL_FAILURE(CreateStaffContact());

  // Some due now (sent before or after the restart), most due after it.
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(ScheduleStaffAlert(absl::Now()));
  const absl::Time later = absl::Now() + absl::Seconds(5);
  for (int i = 0; i < 50; ++i) names.push_back(ScheduleStaffAlert(later));
  ASSERT_FALSE(HasFailure());

  // Redis loses everything: killed, started again on the same port with no data. The
  // reminders not yet sent at that moment can only come back from the database.
  redis_.Kill();
  // The ones due later that were still scheduled then were only in Redis's due set (not
  // claimable yet): they can only have come back through the reconcile. (One due now
  // may have been in a worker's hands at that moment and sent without it.)
  const bool killed_before_later = absl::Now() < later;
  const std::set<std::string> due_later(names.begin() + 10, names.end());
  int unsent_later = 0;
  for (const auto& [name, state] : States()) {
    unsent_later += due_later.contains(name) && state == nv1::REMINDER_STATE_SCHEDULED ? 1 : 0;
  }
  RecordProperty("unsent_due_later_when_redis_lost_its_data", unsent_later);
  redis_.Start();

  EXPECT_TRUE(AllSent(names));
  ExpectOneLineEach(names);
  if (killed_before_later) {
    EXPECT_GE(Gauge("notification_queue_reconciled_total").value_or(0), unsent_later) << notification_->Metrics();
  }
}

TEST_F(NotificationFaultsTest, RedisDownStillSchedulesSaysSoAndSendsWhenBack) {
  ASSERT_NO_FATAL_FAILURE(StartNotificationService());
  ASSERT_NO_FATAL_FAILURE(CreateTemplate(nv1::REMINDER_KIND_STAFF_ALERT));
  ASSERT_NO_FATAL_FAILURE(CreateStaffContact());
  EXPECT_TRUE(WaitFor([&] { return Gauge("notification_queue_redis_up") == 1.0; }, kSendPatience))
      << notification_->Metrics();
  using ::grpc::health::v1::HealthCheckResponse;
  const std::string redis_component = std::string(kNotificationService) + "/redis_queue";
  EXPECT_TRUE(WaitFor([&] { return Health(redis_component) == HealthCheckResponse::SERVING; }, kSendPatience));
  EXPECT_EQ(HealthzComponent("redis_queue"), "SERVING");
  EXPECT_EQ(HealthzComponent("database"), "SERVING");

  redis_.Kill();
  // The reminder is stored (and answered) while Redis is down.
  const std::string name = ScheduleStaffAlert(absl::Now());
  ASSERT_FALSE(name.empty());
  const std::optional<nv1::Reminder> stored = Get(name);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->state(), nv1::REMINDER_STATE_SCHEDULED);
  // The metrics say Redis is down.
  EXPECT_TRUE(WaitFor([&] { return Gauge("notification_queue_redis_up") == 0.0; }, kSendPatience))
      << notification_->Metrics();
  // And its log (one warning, no ids).
  EXPECT_THAT(ReadFile(notification_->log_file()), ::testing::HasSubstr("reminder queue: redis call failed"));
  EXPECT_EQ(SinkLineCount(), 0u);
  // So does its health detail, while the service as a whole stays SERVING.
  EXPECT_TRUE(WaitFor([&] { return Health(redis_component) == HealthCheckResponse::NOT_SERVING; }, kSendPatience));
  EXPECT_EQ(Health(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(kNotificationService), HealthCheckResponse::SERVING);
  {
    const auto [code, json] = notification_->Healthz();
    ASSERT_TRUE(json.is_object()) << code;
    EXPECT_EQ(code, 200) << json;
    EXPECT_EQ(json.value("status", ""), "SERVING") << json;
    EXPECT_EQ(Component(json, "redis_queue").value("status", ""), "NOT_SERVING") << json;
    EXPECT_THAT(Component(json, "redis_queue").value("detail", ""), ::testing::StartsWith("unreachable since "));
    EXPECT_EQ(Component(json, "database").value("status", ""), "SERVING") << json;
  }

  redis_.Start();
  EXPECT_TRUE(AllSent({name}));
  ExpectOneLineEach({name});
  EXPECT_TRUE(WaitFor([&] { return Gauge("notification_queue_redis_up") == 1.0; }, kSendPatience))
      << notification_->Metrics();
  EXPECT_THAT(ReadFile(notification_->log_file()), ::testing::HasSubstr("reminder queue: redis is reachable again"));
  EXPECT_TRUE(WaitFor([&] { return Health(redis_component) == HealthCheckResponse::SERVING; }, kSendPatience));
  EXPECT_EQ(HealthzComponent("redis_queue"), "SERVING");
}

TEST_F(NotificationFaultsTest, PatientServiceDownRetriesWithBackoffThenSends) {
  ASSERT_NO_FATAL_FAILURE(StartPatientService());
  ASSERT_NO_FATAL_FAILURE(StartNotificationService());
  ASSERT_NO_FATAL_FAILURE(CreateTemplate(nv1::REMINDER_KIND_NEXT_DOSE_DUE));
  std::vector<std::string> patients;
  for (int i = 0; i < 3; ++i) patients.push_back(CreatePatientWithSmsConsent(i));
  ASSERT_FALSE(HasFailure());

  patient_->Kill9();
  std::vector<std::string> names;
  for (const std::string& patient : patients) names.push_back(ScheduleDoseReminder(patient, absl::Now()));
  ASSERT_FALSE(HasFailure());

  // Each reminder fails its contact lookup more than once and stays SCHEDULED for the
  // next attempt (not SKIPPED, not DEAD, nothing in the sink).
  for (const std::string& name : names) {
    std::optional<nv1::Reminder> r;
    EXPECT_TRUE(WaitFor(
        [&] {
          r = Get(name);
          return r.has_value() && r->attempt_count() >= 2;
        },
        kSendPatience))
        << Tail(notification_->log_file());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->state(), nv1::REMINDER_STATE_SCHEDULED);
    EXPECT_FALSE(r->last_error().empty());
    EXPECT_TRUE(r->has_next_attempt_time());
  }
  EXPECT_EQ(SinkLineCount(), 0u);

  // The patient service comes back on the same port: every reminder is sent, once.
  ASSERT_NO_FATAL_FAILURE(StartPatientService());
  EXPECT_TRUE(AllSent(names));
  ExpectOneLineEach(names);
}

}  // namespace
}  // namespace clinic
