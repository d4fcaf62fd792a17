// Inventory staff alerts over a real gRPC channel, on both backends (a SQLite file and a
// fresh database in this process's PostgreSQL cluster): one alert per crossing, each
// with one outbox message in the same transaction; expiry warnings from the
// housekeeper; acknowledgement and access; and the relay delivering to an in-process
// fake NotificationService over gRPC. Time is a FakeClock.

#include <atomic>
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
#include "clinic/inventory/v1/inventory_service.grpc.pb.h"
#include "clinic/notification/v1/notification_service.grpc.pb.h"
#include "common/api/convert.h"
#include "common/auth/token_verifier.h"
#include "common/clock/clock.h"
#include "common/outbox/relay.h"
#include "common/peer/token_source.h"
#include "common/sql/database.h"
#include "common/status/status.h"
#include "common/sync/mutex.h"
#include "grpcpp/grpcpp.h"
#include "services/inventory/alert_sender.h"
#include "services/inventory/alert_store.h"
#include "services/inventory/housekeeper.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/schema.h"
#include "tests/support/fake_clock.h"
#include "tests/support/service_harness.h"
#include "tests/support/status_matchers.h"

namespace clinic::inventory {
namespace {

namespace nv1 = ::clinic::notification::v1;

using ::clinic::testing::Backend;
using ::clinic::testing::BackendName;
using ::clinic::testing::CallWith;
using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::ServiceHarness;
using ::clinic::testing::StatusIs;
using ::clinic::testing::ViolatedFields;
using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr char kNorth[] = "clinic-north";
constexpr char kSouth[] = "clinic-south";
constexpr char kB12[] = "test-b12";

// The notification service as far as staff alerts go: records every ScheduleReminder
// call with its metadata and answers UNAVAILABLE to the first `fail` calls.
class FakeNotificationService final : public nv1::NotificationService::Service {
 public:
  struct Call {
    nv1::ScheduleReminderRequest request;
    std::string authorization;
    std::string request_id_header;
  };

  grpc::Status ScheduleReminder(grpc::ServerContext* context, const nv1::ScheduleReminderRequest* request,
                                nv1::Reminder* response) override {
    Call call;
    call.request = *request;
    const auto& metadata = context->client_metadata();
    if (auto it = metadata.find("authorization"); it != metadata.end()) {
      call.authorization = std::string(it->second.data(), it->second.size());
    }
    if (auto it = metadata.find("x-request-id"); it != metadata.end()) {
      call.request_id_header = std::string(it->second.data(), it->second.size());
    }
    sync::MutexLock lock(&mu_);
    calls_.push_back(std::move(call));
    if (fail_ > 0) {
      --fail_;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "notification service restarting");
    }
    *response = request->reminder();
    response->set_name("reminders/r-" + request->request_id());
    return grpc::Status::OK;
  }

  void FailNext(int n) {
    sync::MutexLock lock(&mu_);
    fail_ = n;
  }
  std::vector<Call> calls() {
    sync::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  sync::Mutex mu_;
  int fail_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

class AlertsTest : public ::testing::TestWithParam<Backend> {
 protected:
  // 10:00 in London on 2026-11-25 (GMT).
  AlertsTest() : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 25, 10, 0, 0), absl::UTCTimeZone())) {}

  void SetUp() override {
    CLINIC_ASSERT_OK(harness_.OpenDatabase(Migrations()));
    db_ = &harness_.db();
    service_ = harness_.Adopt(std::make_unique<InventoryService>(harness_.calls(), *db_, clock_));
    stub_ = v1::InventoryService::NewStub(harness_.Serve({service_}));
    ASSERT_NE(stub_, nullptr);

    admin_ = Token(auth::Role::kNetworkAdmin, "admin-1", std::nullopt);
    manager_ = Token(auth::Role::kClinicManager, "manager-1", kNorth);
    south_manager_ = Token(auth::Role::kClinicManager, "manager-2", kSouth);
    reception_ = Token(auth::Role::kReception, "reception-1", kNorth);
    scheduling_ = Token(auth::Role::kService, "scheduling", std::nullopt);
    CreateClinic(kNorth);
    CreateClinic(kSouth);
    CreateProduct();
  }

  void TearDown() override {
    if (notification_server_) notification_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  std::string Token(auth::Role role, std::string subject, std::optional<std::string> clinic) {
    return harness_.Token(role, std::move(subject), std::move(clinic));
  }

  template <typename Request, typename Response>
  absl::Status Rpc(grpc::Status (v1::InventoryService::Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const std::string& token, const Request& request, Response* response) {
    return CallWith(*stub_, method, token, request, response);
  }

  std::string NewRequestId() { return absl::StrCat("req-", ++request_counter_); }
  absl::CivilDay Today() const { return absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone()); }

  void CreateClinic(const std::string& id) {
    v1::CreateClinicRequest request;
    request.set_request_id(NewRequestId());
    request.set_clinic_id(id);
    request.mutable_clinic()->set_time_zone("Europe/London");
    v1::Clinic clinic;
    CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::CreateClinic, admin_, request, &clinic));
  }

  void CreateProduct() {
    v1::CreateProductRequest request;
    request.set_request_id(NewRequestId());
    request.set_product_id(kB12);
    v1::Product* p = request.mutable_product();
    p->set_sku("TEST-B12-1MG");
    p->set_display_name("Hydroxocobalamin 1 mg/1 mL ampoule");
    p->set_category(v1::PRODUCT_CATEGORY_MEDICINE);
    p->set_substance(v1::ACTIVE_SUBSTANCE_HYDROXOCOBALAMIN);
    p->set_form(v1::PRODUCT_FORM_AMPOULE);
    p->mutable_strength()->mutable_value()->set_value("1");
    p->mutable_strength()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
    p->set_stock_unit("ampoule");
    p->set_prescription_only(true);
    v1::Product product;
    CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::CreateProduct, admin_, request, &product));
  }

  void SetReorderLevel(const std::string& clinic, int64_t level) {
    v1::UpdateReorderLevelRequest request;
    request.set_request_id(NewRequestId());
    request.mutable_reorder_level()->set_name(absl::StrCat("clinics/", clinic, "/reorderLevels/", kB12));
    request.mutable_reorder_level()->set_level(level);
    request.mutable_reorder_level()->set_reorder_quantity(20);
    request.mutable_update_mask()->add_paths("level");
    request.mutable_update_mask()->add_paths("reorder_quantity");
    request.set_allow_missing(true);
    v1::ReorderLevel response;
    CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::UpdateReorderLevel, admin_, request, &response));
  }

  // Receives stock; returns the lot's name.
  std::string Receive(const std::string& clinic, const std::string& lot_number, absl::CivilDay expiry,
                      int64_t quantity) {
    v1::ReceiveStockRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(absl::StrCat("clinics/", clinic));
    request.set_product(absl::StrCat("products/", kB12));
    request.set_lot_number(lot_number);
    *request.mutable_expiry_date() = api::ToDate(expiry);
    request.set_quantity(quantity);
    v1::ReceiveStockResponse response;
    EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ReceiveStock, admin_, request, &response), IsOk());
    return response.lot().name();
  }

  absl::Status Adjust(const std::string& clinic, const std::string& lot, int64_t delta) {
    v1::AdjustStockRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(absl::StrCat("clinics/", clinic));
    request.set_lot(lot);
    request.set_quantity_delta(delta);
    request.set_reason(v1::ADJUSTMENT_REASON_DAMAGED);
    v1::AdjustStockResponse response;
    return Rpc(&v1::InventoryService::Stub::AdjustStock, admin_, request, &response);
  }

  absl::StatusOr<v1::Reservation> Reserve(const std::string& appointment) {
    v1::ReserveDoseRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(absl::StrCat("clinics/", kNorth));
    request.set_product(absl::StrCat("products/", kB12));
    request.set_quantity(1);
    *request.mutable_use_date() = api::ToDate(Today() + 1);
    request.set_appointment(absl::StrCat("clinics/", kNorth, "/appointments/", appointment));
    request.set_patient("patients/p-1");
    v1::Reservation reservation;
    absl::Status s = Rpc(&v1::InventoryService::Stub::ReserveDose, scheduling_, request, &reservation);
    if (!s.ok()) return s;
    return reservation;
  }

  absl::Status Release(const std::string& reservation) {
    v1::ReleaseReservationRequest request;
    request.set_request_id(NewRequestId());
    request.set_name(reservation);
    v1::Reservation released;
    return Rpc(&v1::InventoryService::Stub::ReleaseReservation, scheduling_, request, &released);
  }

  std::vector<v1::Alert> Alerts(const std::string& clinic = kNorth) {
    v1::ListAlertsRequest request;
    request.set_parent(absl::StrCat("clinics/", clinic));
    v1::ListAlertsResponse response;
    EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListAlerts, admin_, request, &response), IsOk());
    return {response.alerts().begin(), response.alerts().end()};
  }

  std::vector<v1::Alert> AlertsOf(v1::AlertKind kind, const std::string& clinic = kNorth) {
    std::vector<v1::Alert> out;
    for (v1::Alert& a : Alerts(clinic)) {
      if (a.kind() == kind) out.push_back(std::move(a));
    }
    return out;
  }

  // The staff-alert messages written to the outbox, oldest first.
  std::vector<nv1::ScheduleReminderRequest> OutboxMessages() {
    absl::StatusOr<sql::ResultSet> rows =
        db_->Query("SELECT payload FROM outbox_messages WHERE topic = $1 ORDER BY seq", {store::kStaffAlertTopic});
    EXPECT_THAT(rows, IsOk());
    std::vector<nv1::ScheduleReminderRequest> out;
    if (!rows.ok()) return out;
    for (const sql::Row& row : *rows) {
      nv1::ScheduleReminderRequest request;
      EXPECT_TRUE(request.ParseFromString(row.GetBytes(0)));
      out.push_back(std::move(request));
    }
    return out;
  }

  bool Below(const std::string& clinic) {
    absl::StatusOr<sql::ResultSet> rows = db_->Query(
        "SELECT below FROM reorder_levels WHERE clinic_id = $1 AND product_id = $2", {clinic, std::string(kB12)});
    EXPECT_THAT(rows, IsOk());
    return rows.ok() && !rows->empty() && (*rows)[0].GetBool(0);
  }

  // Starts the fake notification service and a relay delivering to it through the real
  // StaffAlertSender (one attempt per delivery, so that retries are the outbox's).
  void StartNotification(outbox::RelayOptions options = {}) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&notification_);
    notification_server_ = builder.BuildAndStart();
    ASSERT_NE(notification_server_, nullptr);
    peer::Hs256TokenOptions token_options;
    token_options.key_file = harness_.key_file();
    token_options.service_name = "inventory";
    absl::StatusOr<std::unique_ptr<peer::TokenSource>> tokens = peer::NewHs256TokenSource(token_options, system_clock_);
    CLINIC_ASSERT_OK(tokens.status());
    tokens_ = *std::move(tokens);
    StaffAlertSenderOptions sender_options;
    sender_options.retry.max_attempts = 1;
    sender_ = std::make_unique<StaffAlertSender>(
        nv1::NotificationService::NewStub(
            grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials())),
        *tokens_, nullptr, sender_options);
    relay_ = std::make_unique<outbox::Relay>(*db_, clock_, options);
    relay_->Handle(store::kStaffAlertTopic, [this](const outbox::Message& m) { return sender_->Deliver(m); });
  }

  SystemClock system_clock_;
  FakeClock clock_;
  ServiceHarness harness_{GetParam()};
  sql::Database* db_ = nullptr;
  InventoryService* service_ = nullptr;
  std::unique_ptr<v1::InventoryService::Stub> stub_;
  std::string admin_, manager_, south_manager_, reception_, scheduling_;
  std::atomic<int> request_counter_{0};

  FakeNotificationService notification_;
  std::unique_ptr<grpc::Server> notification_server_;
  std::unique_ptr<peer::TokenSource> tokens_;
  std::unique_ptr<StaffAlertSender> sender_;
  std::unique_ptr<outbox::Relay> relay_;
};

TEST_P(AlertsTest, CrossingUnderTheReorderLevelRaisesOneAlertAndOneMessage) {
  Receive(kNorth, "LOT-A", Today() + 200, 5);
  SetReorderLevel(kNorth, 3);
  EXPECT_THAT(Alerts(), SizeIs(0));
  ASSERT_THAT(Reserve("a1"), IsOk());  // available 4
  ASSERT_THAT(Reserve("a2"), IsOk());  // available 3: at the level is not under
  EXPECT_THAT(Alerts(), SizeIs(0));
  EXPECT_FALSE(Below(kNorth));
  ASSERT_THAT(Reserve("a3"), IsOk());  // available 2: crossed under
  std::vector<v1::Alert> alerts = Alerts();
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0].kind(), v1::ALERT_KIND_LOW_STOCK);
  EXPECT_EQ(alerts[0].state(), v1::Alert::STATE_OPEN);
  EXPECT_EQ(alerts[0].product(), absl::StrCat("products/", kB12));
  EXPECT_EQ(alerts[0].available(), 2);
  EXPECT_EQ(alerts[0].reorder_level(), 3);
  EXPECT_EQ(alerts[0].create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_TRUE(Below(kNorth));
  std::vector<nv1::ScheduleReminderRequest> messages = OutboxMessages();
  ASSERT_THAT(messages, SizeIs(1));
  const std::string alert_id = alerts[0].name().substr(alerts[0].name().rfind('/') + 1);
  EXPECT_EQ(messages[0].request_id(), "inventory-alert-" + alert_id);
  EXPECT_EQ(messages[0].reminder().template_parameters().at("available"), "2");

  // More reservations, a consumption and a refused reservation while under: nothing new.
  ASSERT_THAT(Reserve("a4"), IsOk());
  absl::StatusOr<v1::Reservation> last = Reserve("a5");
  ASSERT_THAT(last, IsOk());
  EXPECT_THAT(Reserve("a6"), StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::ConsumeReservationRequest consume;
  consume.set_request_id(NewRequestId());
  consume.set_name(last->name());
  v1::Reservation consumed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ConsumeReservation, scheduling_, consume, &consumed));
  EXPECT_THAT(Alerts(), SizeIs(1));
  EXPECT_THAT(OutboxMessages(), SizeIs(1));
}

TEST_P(AlertsTest, BackAtTheLevelResolvesAndTheNextCrossingRaisesASecondAlert) {
  const std::string lot = Receive(kNorth, "LOT-A", Today() + 200, 4);
  SetReorderLevel(kNorth, 3);
  absl::StatusOr<v1::Reservation> r1 = Reserve("a1");
  absl::StatusOr<v1::Reservation> r2 = Reserve("a2");  // available 2: under
  ASSERT_THAT(r2, IsOk());
  ASSERT_THAT(AlertsOf(v1::ALERT_KIND_LOW_STOCK), SizeIs(1));

  // Released: available 3, back at the level.
  CLINIC_ASSERT_OK(Release(r2->name()));
  std::vector<v1::Alert> alerts = AlertsOf(v1::ALERT_KIND_LOW_STOCK);
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0].state(), v1::Alert::STATE_RESOLVED);
  EXPECT_TRUE(alerts[0].has_resolve_time());
  EXPECT_FALSE(Below(kNorth));

  // Damaged stock takes it under again: a second alert (and a second message).
  clock_.Advance(absl::Minutes(1));
  CLINIC_ASSERT_OK(Adjust(kNorth, lot, -1));
  alerts = AlertsOf(v1::ALERT_KIND_LOW_STOCK);
  ASSERT_THAT(alerts, SizeIs(2));
  EXPECT_EQ(alerts[0].state(), v1::Alert::STATE_OPEN);  // newest first
  EXPECT_EQ(alerts[0].available(), 2);
  EXPECT_EQ(alerts[1].state(), v1::Alert::STATE_RESOLVED);
  EXPECT_THAT(OutboxMessages(), SizeIs(2));

  // A receipt resolves it; raising the level above the stock raises a third at once.
  Receive(kNorth, "LOT-B", Today() + 300, 10);
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_LOW_STOCK)[0].state(), v1::Alert::STATE_RESOLVED);
  clock_.Advance(absl::Minutes(1));
  SetReorderLevel(kNorth, 50);
  alerts = AlertsOf(v1::ALERT_KIND_LOW_STOCK);
  ASSERT_THAT(alerts, SizeIs(3));
  EXPECT_EQ(alerts[0].state(), v1::Alert::STATE_OPEN);
  EXPECT_EQ(alerts[0].reorder_level(), 50);
  EXPECT_THAT(OutboxMessages(), SizeIs(3));
}

TEST_P(AlertsTest, ConcurrentWritesCrossingTheLevelRaiseExactlyOneAlert) {
  // Several lots, so that the writers do not all queue on one lot's row.
  for (int i = 0; i < 4; ++i) Receive(kNorth, absl::StrCat("LOT-", i), Today() + 200 + i, 5);
  SetReorderLevel(kNorth, 12);
  constexpr int kWriters = 20;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([this, i, &ok] {
      if (Reserve(absl::StrCat("c", i)).ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), kWriters);
  std::vector<v1::Alert> alerts = AlertsOf(v1::ALERT_KIND_LOW_STOCK);
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0].state(), v1::Alert::STATE_OPEN);
  EXPECT_LT(alerts[0].available(), 12);
  EXPECT_THAT(OutboxMessages(), SizeIs(1));
  EXPECT_TRUE(Below(kNorth));
}

TEST_P(AlertsTest, TransfersCrossAtTheSourceAndRefillTheDestination) {
  const std::string lot = Receive(kNorth, "LOT-T", Today() + 200, 5);
  SetReorderLevel(kNorth, 3);
  SetReorderLevel(kSouth, 1);  // south holds nothing: under at once
  ASSERT_THAT(AlertsOf(v1::ALERT_KIND_LOW_STOCK, kSouth), SizeIs(1));
  v1::TransferStockRequest ship;
  ship.set_request_id(NewRequestId());
  ship.mutable_transfer()->set_source_clinic(absl::StrCat("clinics/", kNorth));
  ship.mutable_transfer()->set_destination_clinic(absl::StrCat("clinics/", kSouth));
  v1::TransferItem* item = ship.mutable_transfer()->add_items();
  item->set_lot(lot);
  item->set_quantity(3);
  v1::Transfer transfer;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::TransferStock, admin_, ship, &transfer));
  ASSERT_THAT(AlertsOf(v1::ALERT_KIND_LOW_STOCK, kNorth), SizeIs(1));  // 2 left at the source
  // In transit is not available: south stays under until it receives.
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_LOW_STOCK, kSouth)[0].state(), v1::Alert::STATE_OPEN);
  v1::ReceiveTransferRequest receive;
  receive.set_request_id(NewRequestId());
  receive.set_name(transfer.name());
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ReceiveTransfer, admin_, receive, &transfer));
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_LOW_STOCK, kSouth)[0].state(), v1::Alert::STATE_RESOLVED);
  EXPECT_THAT(OutboxMessages(), SizeIs(2));
}

TEST_P(AlertsTest, AnExpiringLotRaisesOneAlertPerClinicAndLot) {
  HousekeeperOptions options;
  options.interval = absl::Hours(1);  // rounds run by hand below
  Housekeeper housekeeper(*db_, clock_, options);
  const std::string lot = Receive(kNorth, "LATE", Today() + 40, 3);
  housekeeper.RunOnce();
  EXPECT_THAT(AlertsOf(v1::ALERT_KIND_LOT_EXPIRING), SizeIs(0));
  // Ten days later the lot is 30 days (the clinic's default warning) from expiry.
  clock_.Advance(absl::Hours(24 * 10));
  housekeeper.RunOnce();
  housekeeper.RunOnce();
  std::vector<v1::Alert> alerts = AlertsOf(v1::ALERT_KIND_LOT_EXPIRING);
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0].lot(), lot);
  EXPECT_EQ(alerts[0].lot_number(), "LATE");
  EXPECT_EQ(api::DayNumber(absl::CivilDay(alerts[0].expiry_date().year(), alerts[0].expiry_date().month(),
                                          alerts[0].expiry_date().day())),
            api::DayNumber(Today() + 30));
  std::vector<nv1::ScheduleReminderRequest> messages = OutboxMessages();
  ASSERT_THAT(messages, SizeIs(1));
  EXPECT_EQ(messages[0].reminder().template_parameters().at("alert_kind"), "LOT_EXPIRING");
  EXPECT_EQ(messages[0].reminder().template_parameters().at("lot_number"), "LATE");
  EXPECT_EQ(messages[0].reminder().template_parameters().at("days_left"), "30");
  // Writes at the clinic do not raise it again; the same lot at another clinic does.
  Receive(kNorth, "LATE", Today() + 30, 1);
  Receive(kSouth, "LATE", Today() + 30, 1);  // on receipt, without waiting for a round
  EXPECT_THAT(AlertsOf(v1::ALERT_KIND_LOT_EXPIRING), SizeIs(1));
  EXPECT_THAT(AlertsOf(v1::ALERT_KIND_LOT_EXPIRING, kSouth), SizeIs(1));
  // Disposed of: resolved.
  CLINIC_ASSERT_OK(Adjust(kNorth, lot, -4));
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_LOT_EXPIRING)[0].state(), v1::Alert::STATE_RESOLVED);
  housekeeper.RunOnce();
  EXPECT_THAT(AlertsOf(v1::ALERT_KIND_LOT_EXPIRING), SizeIs(1));
  EXPECT_THAT(OutboxMessages(), SizeIs(2));
}

TEST_P(AlertsTest, TheHousekeeperNoticesStockThatExpiredUnderTheLevel) {
  Receive(kNorth, "SHORT", Today() + 1, 2);
  Receive(kNorth, "LONG", Today() + 200, 2);
  SetReorderLevel(kNorth, 3);  // 4 available
  HousekeeperOptions options;
  options.interval = absl::Hours(1);
  Housekeeper housekeeper(*db_, clock_, options);
  housekeeper.RunOnce();
  EXPECT_THAT(AlertsOf(v1::ALERT_KIND_LOW_STOCK), SizeIs(0));
  clock_.Advance(absl::Hours(24 * 2));  // SHORT expired: 2 available
  housekeeper.RunOnce();
  housekeeper.RunOnce();
  std::vector<v1::Alert> alerts = AlertsOf(v1::ALERT_KIND_LOW_STOCK);
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0].available(), 2);
  // A check that read the clock before SHORT expired but commits after this one (a slow
  // request, a round started before midnight) counts with the later day: no flapping.
  CLINIC_ASSERT_OK(db_->Transact([&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<store::ClinicSettings> clinic = store::GetClinicSettings(tx, kNorth);
    if (!clinic.ok()) return clinic.status();
    return store::SyncAlerts(tx, *clinic, clock_.Now() - absl::Hours(48));
  }));
  housekeeper.RunOnce();
  alerts = AlertsOf(v1::ALERT_KIND_LOW_STOCK);
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0].state(), v1::Alert::STATE_OPEN);
}

TEST_P(AlertsTest, ARecallAlertsEveryHolderAndEachReservationLeftUnserved) {
  const std::string bad = Receive(kNorth, "BAD", Today() + 200, 1);
  Receive(kSouth, "BAD", Today() + 200, 2);
  absl::StatusOr<v1::Reservation> r = Reserve("a1");
  ASSERT_THAT(r, IsOk());
  v1::RecallLotRequest recall;
  recall.set_request_id(NewRequestId());
  recall.set_name(bad);
  recall.set_reason("contamination");
  v1::RecallLotResponse recalled;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::RecallLot, admin_, recall, &recalled));
  ASSERT_THAT(recalled.unserved_reservations(), ElementsAre(r->name()));
  std::vector<v1::Alert> unserved = AlertsOf(v1::ALERT_KIND_RESERVATION_UNSERVED);
  ASSERT_THAT(unserved, SizeIs(1));
  EXPECT_EQ(unserved[0].reservation(), r->name());
  EXPECT_EQ(unserved[0].state(), v1::Alert::STATE_OPEN);
  ASSERT_THAT(AlertsOf(v1::ALERT_KIND_LOT_RECALLED), SizeIs(1));
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_LOT_RECALLED)[0].lot(), bad);
  EXPECT_THAT(AlertsOf(v1::ALERT_KIND_LOT_RECALLED, kSouth), SizeIs(1));
  // Template parameters hold ids and numbers only: never the patient or appointment.
  for (const nv1::ScheduleReminderRequest& m : OutboxMessages()) {
    for (const auto& [key, value] : m.reminder().template_parameters()) {
      EXPECT_THAT(key, ::testing::AnyOf("alert_kind", "alert", "product", "lot", "lot_number", "expiry_date",
                                        "reservation", "quantity", "on_hand", "available", "reorder_level",
                                        "reorder_quantity", "days_left"));
      EXPECT_EQ(value.find("patients/"), std::string::npos);
      EXPECT_EQ(value.find("appointments/"), std::string::npos);
    }
    EXPECT_TRUE(m.reminder().has_staff());
  }
  // Stock arrives: the reservation is served again and its alert resolved.
  Receive(kNorth, "GOOD", Today() + 200, 3);
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_RESERVATION_UNSERVED)[0].state(), v1::Alert::STATE_RESOLVED);
  // The recalled units returned: the recall alert clears at the north clinic.
  v1::AdjustStockRequest adjust;
  adjust.set_request_id(NewRequestId());
  adjust.set_parent(absl::StrCat("clinics/", kNorth));
  adjust.set_lot(bad);
  adjust.set_quantity_delta(-1);
  adjust.set_reason(v1::ADJUSTMENT_REASON_RECALL_RETURN);
  v1::AdjustStockResponse adjusted;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::AdjustStock, admin_, adjust, &adjusted));
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_LOT_RECALLED)[0].state(), v1::Alert::STATE_RESOLVED);
  EXPECT_EQ(AlertsOf(v1::ALERT_KIND_LOT_RECALLED, kSouth)[0].state(), v1::Alert::STATE_OPEN);
}

TEST_P(AlertsTest, AcknowledgingIsIdempotentAndForTheClinicsManager) {
  SetReorderLevel(kNorth, 1);
  std::vector<v1::Alert> alerts = Alerts();
  ASSERT_THAT(alerts, SizeIs(1));
  v1::AcknowledgeAlertRequest request;
  request.set_request_id(NewRequestId());
  request.set_name(alerts[0].name());
  v1::Alert acknowledged;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::AcknowledgeAlert, reception_, request, &acknowledged),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::AcknowledgeAlert, south_manager_, request, &acknowledged),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::AcknowledgeAlert, manager_, request, &acknowledged));
  EXPECT_EQ(acknowledged.state(), v1::Alert::STATE_ACKNOWLEDGED);
  EXPECT_EQ(acknowledged.acknowledged_by(), "manager-1");
  EXPECT_EQ(acknowledged.acknowledge_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  // Again, later, under another request_id: answered as it is.
  clock_.Advance(absl::Minutes(5));
  request.set_request_id(NewRequestId());
  v1::Alert again;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::AcknowledgeAlert, admin_, request, &again));
  EXPECT_EQ(again.acknowledged_by(), "manager-1");
  EXPECT_EQ(again.acknowledge_time().seconds(), acknowledged.acknowledge_time().seconds());
  // Back at the level: resolved, acknowledged or not.
  Receive(kNorth, "LOT-Z", Today() + 200, 1);
  EXPECT_EQ(Alerts()[0].state(), v1::Alert::STATE_RESOLVED);

  request.set_request_id(NewRequestId());
  request.set_name(absl::StrCat("clinics/", kNorth, "/alerts/nosuchalert"));
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::AcknowledgeAlert, manager_, request, &again),
              StatusIs(absl::StatusCode::kNotFound));
  v1::AcknowledgeAlertRequest bad;
  bad.set_name("alerts/x");
  absl::Status s = Rpc(&v1::InventoryService::Stub::AcknowledgeAlert, manager_, bad, &again);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), ::testing::UnorderedElementsAre("request_id", "name"));
}

TEST_P(AlertsTest, ListingIsForTheClinicsStaffFiltersAndPages) {
  SetReorderLevel(kNorth, 1);
  clock_.Advance(absl::Minutes(1));
  Receive(kNorth, "SOON", Today() + 5, 1);  // resolves the low-stock alert, raises an expiry one
  v1::ListAlertsRequest request;
  request.set_parent(absl::StrCat("clinics/", kNorth));
  v1::ListAlertsResponse response;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListAlerts, reception_, request, &response));
  ASSERT_THAT(response.alerts(), SizeIs(2));
  EXPECT_EQ(response.alerts(0).kind(), v1::ALERT_KIND_LOT_EXPIRING);  // newest first
  EXPECT_EQ(response.alerts(1).kind(), v1::ALERT_KIND_LOW_STOCK);

  request.add_states(v1::Alert::STATE_OPEN);
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListAlerts, reception_, request, &response));
  ASSERT_THAT(response.alerts(), SizeIs(1));
  EXPECT_EQ(response.alerts(0).kind(), v1::ALERT_KIND_LOT_EXPIRING);
  request.clear_states();
  request.add_kinds(v1::ALERT_KIND_LOW_STOCK);
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListAlerts, reception_, request, &response));
  ASSERT_THAT(response.alerts(), SizeIs(1));
  EXPECT_EQ(response.alerts(0).state(), v1::Alert::STATE_RESOLVED);

  // One per page.
  request.clear_kinds();
  request.set_page_size(1);
  std::vector<std::string> names;
  do {
    CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListAlerts, admin_, request, &response));
    for (const v1::Alert& a : response.alerts()) names.push_back(a.name());
    request.set_page_token(response.next_page_token());
  } while (!response.next_page_token().empty() && names.size() < 10);
  EXPECT_THAT(names, SizeIs(2));
  EXPECT_NE(names[0], names[1]);

  // Access: another clinic's staff, the network listing and service identities.
  v1::ListAlertsRequest other;
  other.set_parent(absl::StrCat("clinics/", kSouth));
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListAlerts, reception_, other, &response),
              StatusIs(absl::StatusCode::kPermissionDenied));
  other.set_parent("clinics/-");
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListAlerts, manager_, other, &response),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListAlerts, scheduling_, other, &response),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListAlerts, admin_, other, &response));
  EXPECT_THAT(response.alerts(), SizeIs(2));
  other.set_parent("clinics/nowhere");
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListAlerts, admin_, other, &response),
              StatusIs(absl::StatusCode::kNotFound));
  // Bad filters name their field.
  v1::ListAlertsRequest bad;
  bad.set_parent("nonsense");
  bad.add_kinds(static_cast<v1::AlertKind>(99));
  bad.set_page_token("garbage");
  absl::Status s = Rpc(&v1::InventoryService::Stub::ListAlerts, admin_, bad, &response);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), ::testing::UnorderedElementsAre("parent", "kinds", "page_token"));
}

TEST_P(AlertsTest, TheRelayDeliversAStaffAlertAndRetriesWhileTheServiceIsUnavailable) {
  StartNotification();
  notification_.FailNext(1);
  Receive(kNorth, "LOT-A", Today() + 200, 2);
  SetReorderLevel(kNorth, 3);
  std::vector<v1::Alert> alerts = Alerts();
  ASSERT_THAT(alerts, SizeIs(1));
  const std::string alert_id = alerts[0].name().substr(alerts[0].name().rfind('/') + 1);

  absl::StatusOr<int> attempted = relay_->RunOnce();
  ASSERT_THAT(attempted, IsOk());
  EXPECT_EQ(*attempted, 1);
  ASSERT_THAT(notification_.calls(), SizeIs(1));  // answered UNAVAILABLE
  absl::StatusOr<sql::ResultSet> row = db_->Query("SELECT state, attempts, last_error FROM outbox_messages");
  ASSERT_THAT(row, IsOk());
  ASSERT_EQ(row->size(), 1u);
  EXPECT_EQ((*row)[0].GetInt64(0), 1);  // still pending
  EXPECT_EQ((*row)[0].GetInt64(1), 1);
  EXPECT_EQ((*row)[0].GetText(2), "UNAVAILABLE");
  EXPECT_EQ(*relay_->RunOnce(), 0);  // backing off
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(*relay_->RunOnce(), 1);
  EXPECT_EQ(*relay_->RunOnce(), 0);

  std::vector<FakeNotificationService::Call> calls = notification_.calls();
  ASSERT_THAT(calls, SizeIs(2));
  for (const FakeNotificationService::Call& call : calls) {
    const nv1::ScheduleReminderRequest& request = call.request;
    // The same request_id on every attempt, derived from the alert, also sent as the
    // call's request id; a service token for "inventory".
    EXPECT_EQ(request.request_id(), "inventory-alert-" + alert_id);
    EXPECT_EQ(call.request_id_header, request.request_id());
    ASSERT_EQ(call.authorization.rfind("Bearer ", 0), 0u);
    absl::StatusOr<auth::Principal> principal = harness_.verifier().Verify(call.authorization.substr(7));
    ASSERT_THAT(principal, IsOk());
    EXPECT_EQ(principal->subject, "inventory");
    EXPECT_EQ(principal->role, auth::Role::kService);
    const nv1::Reminder& reminder = request.reminder();
    EXPECT_EQ(reminder.kind(), nv1::REMINDER_KIND_STAFF_ALERT);
    ASSERT_TRUE(reminder.has_staff());
    EXPECT_EQ(reminder.staff().clinic(), absl::StrCat("clinics/", kNorth));
    EXPECT_EQ(reminder.staff().role(), "clinic_manager");
    EXPECT_EQ(reminder.clinic(), absl::StrCat("clinics/", kNorth));
    EXPECT_EQ(reminder.time_zone(), "Europe/London");
    EXPECT_EQ(reminder.send_time().seconds(), alerts[0].create_time().seconds());
    EXPECT_EQ(reminder.dedupe_key(), "inventory/" + alerts[0].name());
    EXPECT_EQ(reminder.template_parameters().at("alert_kind"), "LOW_STOCK");
    EXPECT_EQ(reminder.template_parameters().at("alert"), alerts[0].name());
    EXPECT_EQ(reminder.template_parameters().at("product"), absl::StrCat("products/", kB12));
    EXPECT_EQ(reminder.template_parameters().at("available"), "2");
    EXPECT_EQ(reminder.template_parameters().at("reorder_level"), "3");
  }
  row = db_->Query("SELECT state, attempts FROM outbox_messages");
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ((*row)[0].GetInt64(0), 2);  // delivered
  EXPECT_EQ((*row)[0].GetInt64(1), 2);
}

TEST_P(AlertsTest, TheRelayThreadDeliversInTheBackground) {
  outbox::RelayOptions options;
  options.poll_interval = absl::Milliseconds(10);
  StartNotification(options);
  relay_->Start();
  SetReorderLevel(kNorth, 1);  // nothing on hand: under at once
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (notification_.calls().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  relay_->Stop();
  ASSERT_THAT(notification_.calls(), SizeIs(1));
  EXPECT_EQ(notification_.calls()[0].request.reminder().template_parameters().at("alert_kind"), "LOW_STOCK");
}

INSTANTIATE_TEST_SUITE_P(Backends, AlertsTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param_info) {
                           return BackendName(param_info.param);
                         });

}  // namespace
}  // namespace clinic::inventory
