// The inventory service over a real gRPC channel, on both backends: a SQLite file and a
// fresh database in this process's PostgreSQL cluster. Time is a FakeClock.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "clinic/inventory/v1/inventory_service.grpc.pb.h"
#include "common/api/convert.h"
#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "common/status/status.h"
#include "grpcpp/grpcpp.h"
#include "services/inventory/housekeeper.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/schema.h"
#include "tests/support/fake_clock.h"
#include "tests/support/service_harness.h"
#include "tests/support/status_matchers.h"

namespace clinic::inventory {
namespace {

using ::clinic::testing::Backend;
using ::clinic::testing::BackendName;
using ::clinic::testing::CallWith;
using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::ServiceHarness;
using ::clinic::testing::StatusIs;
using ::clinic::testing::ViolatedFields;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr char kNorth[] = "clinic-north";
constexpr char kSouth[] = "clinic-south";
constexpr char kB12[] = "test-b12";
constexpr char kB12Sku[] = "TEST-B12-1MG";

using Stub = v1::InventoryService::Stub;

class InventoryServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  // 10:00 in London on 2026-11-25 (GMT).
  InventoryServiceTest() : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 25, 10, 0, 0), absl::UTCTimeZone())) {}

  void SetUp() override {
    CLINIC_ASSERT_OK(harness_.OpenDatabase(Migrations()));
    db_ = &harness_.db();
    service_ = harness_.Adopt(std::make_unique<InventoryService>(harness_.calls(), *db_, clock_));
    stub_ = v1::InventoryService::NewStub(harness_.Serve({service_}));
    ASSERT_NE(stub_, nullptr);

    admin_ = Token(auth::Role::kNetworkAdmin, "admin-1", std::nullopt);
    manager_ = Token(auth::Role::kClinicManager, "manager-1", kNorth);
    scheduling_ = Token(auth::Role::kService, "scheduling", std::nullopt);
    CreateClinic(kNorth);
    CreateClinic(kSouth);
    CreateProduct(kB12, kB12Sku);
  }

  std::string Token(auth::Role role, std::string subject, std::optional<std::string> clinic) {
    return harness_.Token(role, std::move(subject), std::move(clinic));
  }

  // One RPC with `token`; returns its status converted back to absl.
  template <typename Request, typename Response>
  absl::Status Rpc(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const std::string& token, const Request& request, Response* response) {
    return CallWith(*stub_, method, token, request, response);
  }

  std::string NewRequestId() { return absl::StrCat("req-", ++request_counter_); }

  void CreateClinic(const std::string& id) {
    v1::CreateClinicRequest request;
    request.set_request_id(NewRequestId());
    request.set_clinic_id(id);
    request.mutable_clinic()->set_time_zone("Europe/London");
    v1::Clinic clinic;
    CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::CreateClinic, admin_, request, &clinic));
  }

  v1::CreateProductRequest ProductRequest(const std::string& id, const std::string& sku) {
    v1::CreateProductRequest request;
    request.set_request_id(NewRequestId());
    request.set_product_id(id);
    v1::Product* p = request.mutable_product();
    p->set_sku(sku);
    p->set_display_name("Hydroxocobalamin 1 mg/1 mL ampoule");
    p->set_category(v1::PRODUCT_CATEGORY_MEDICINE);
    p->set_substance(v1::ACTIVE_SUBSTANCE_HYDROXOCOBALAMIN);
    p->set_form(v1::PRODUCT_FORM_AMPOULE);
    p->mutable_strength()->mutable_value()->set_value("1");
    p->mutable_strength()->set_unit(type::v1::QUANTITY_UNIT_MILLIGRAM);
    p->set_stock_unit("ampoule");
    p->set_prescription_only(true);
    return request;
  }

  void CreateProduct(const std::string& id, const std::string& sku) {
    v1::Product product;
    CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::CreateProduct, admin_, ProductRequest(id, sku), &product));
  }

  absl::CivilDay Today() const { return absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone()); }

  v1::ReceiveStockRequest ReceiveRequest(const std::string& clinic, const std::string& lot_number,
                                         absl::CivilDay expiry, int64_t quantity) {
    v1::ReceiveStockRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(absl::StrCat("clinics/", clinic));
    request.set_product(absl::StrCat("products/", kB12));
    request.set_lot_number(lot_number);
    *request.mutable_expiry_date() = api::ToDate(expiry);
    request.set_quantity(quantity);
    request.set_supplier("Pharma Ltd");
    return request;
  }

  // Receives stock at a clinic; returns the lot's name.
  std::string Receive(const std::string& clinic, const std::string& lot_number, absl::CivilDay expiry,
                      int64_t quantity) {
    v1::ReceiveStockResponse response;
    EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ReceiveStock, admin_,
                    ReceiveRequest(clinic, lot_number, expiry, quantity), &response),
                IsOk());
    return response.lot().name();
  }

  v1::ReserveDoseRequest ReserveRequest(const std::string& appointment, absl::CivilDay use_day) {
    v1::ReserveDoseRequest request;
    request.set_request_id(NewRequestId());
    request.set_parent(absl::StrCat("clinics/", kNorth));
    request.set_product(absl::StrCat("products/", kB12));
    request.set_quantity(1);
    *request.mutable_use_date() = api::ToDate(use_day);
    request.set_appointment(absl::StrCat("clinics/", kNorth, "/appointments/", appointment));
    request.set_patient("patients/p-1");
    return request;
  }

  absl::StatusOr<v1::Reservation> Reserve(const std::string& appointment, absl::CivilDay use_day) {
    v1::Reservation reservation;
    absl::Status s = Rpc(&v1::InventoryService::Stub::ReserveDose, scheduling_, ReserveRequest(appointment, use_day),
                         &reservation);
    if (!s.ok()) return s;
    return reservation;
  }

  // The lot-level stock of `lot` at the north clinic.
  v1::StockLevel Level(const std::string& lot) {
    v1::ListStockLevelsRequest request;
    request.set_parent(absl::StrCat("clinics/", kNorth));
    request.set_lot(lot);
    request.set_show_empty(true);
    v1::ListStockLevelsResponse response;
    EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListStockLevels, admin_, request, &response), IsOk());
    return response.stock_levels_size() == 1 ? response.stock_levels(0) : v1::StockLevel();
  }

  // Every stock row's on-hand equals the sum of its ledger, and its reserved units the
  // sum of its open reservations.
  void ExpectLedgerConsistent() {
    absl::StatusOr<sql::ResultSet> rows = db_->Query(
        "SELECT s.clinic_id, s.lot_id, s.on_hand, s.reserved, "
        "(SELECT COALESCE(SUM(m.quantity_delta), 0) FROM movements m WHERE m.clinic_id = s.clinic_id AND m.lot_id = s.lot_id), "
        "(SELECT COALESCE(SUM(r.quantity), 0) FROM reservations r WHERE r.clinic_id = s.clinic_id AND r.lot_id = s.lot_id "
        "AND r.state IN (1, 2)) FROM stock s");
    ASSERT_THAT(rows, IsOk());
    for (const sql::Row& row : *rows) {
      EXPECT_EQ(row.GetInt64(2), row.GetInt64(4)) << "on_hand vs ledger of " << row.GetText(1);
      EXPECT_EQ(row.GetInt64(3), row.GetInt64(5)) << "reserved vs reservations of " << row.GetText(1);
      EXPECT_GE(row.GetInt64(2), 0);
    }
  }

  FakeClock clock_;
  ServiceHarness harness_{GetParam()};
  sql::Database* db_ = nullptr;
  InventoryService* service_ = nullptr;
  std::unique_ptr<v1::InventoryService::Stub> stub_;
  std::string admin_, manager_, scheduling_;
  std::atomic<int> request_counter_{0};
};

TEST_P(InventoryServiceTest, CatalogueNeedsTheNetworkRoleAndRefusesDuplicates) {
  v1::Product product;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::CreateProduct, manager_, ProductRequest("cyano", "CYANO-1MG"), &product),
              StatusIs(absl::StatusCode::kPermissionDenied));
  const absl::Status duplicate =
      Rpc(&v1::InventoryService::Stub::CreateProduct, admin_, ProductRequest("other-id", kB12Sku), &product);
  EXPECT_THAT(duplicate, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(status::GetExistingResource(duplicate), absl::StrCat("products/", kB12));

  v1::GetProductRequest get;
  get.set_name(absl::StrCat("products/", kB12));
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetProduct, manager_, get, &product));
  EXPECT_EQ(product.sku(), kB12Sku);
  EXPECT_EQ(product.state(), v1::Product::STATE_ACTIVE);
  EXPECT_EQ(product.strength().value().value(), "1");
}

TEST_P(InventoryServiceTest, TheStandardCatalogueIsThereFromTheStart) {
  v1::ListProductsRequest list;
  list.set_category(v1::PRODUCT_CATEGORY_MEDICINE);
  v1::ListProductsResponse listed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListProducts, manager_, list, &listed));
  std::vector<std::string> skus;
  for (const v1::Product& p : listed.products()) skus.push_back(p.sku());
  EXPECT_THAT(skus, UnorderedElementsAre("HYDROXO-1MG-1ML", "CYANO-1MG-1ML", "METHYL-1MG-1ML", kB12Sku));
  list.set_category(v1::PRODUCT_CATEGORY_CONSUMABLE);
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListProducts, manager_, list, &listed));
  EXPECT_THAT(listed.products(), SizeIs(3));
  v1::GetProductRequest get;
  get.set_name("products/hydroxocobalamin-1mg-1ml");
  v1::Product product;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetProduct, manager_, get, &product));
  EXPECT_EQ(product.form(), v1::PRODUCT_FORM_AMPOULE);
  EXPECT_EQ(product.strength().unit(), type::v1::QUANTITY_UNIT_MILLIGRAM);
}

TEST_P(InventoryServiceTest, UpdateProductChangesOnlyTheMaskedFieldsUnderItsEtag) {
  v1::GetProductRequest get;
  get.set_name(absl::StrCat("products/", kB12));
  v1::Product before;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetProduct, admin_, get, &before));

  v1::UpdateProductRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_product() = before;
  update.mutable_product()->set_display_name("Hydroxocobalamin 1 mg/1 mL (renamed)");
  update.mutable_product()->set_sku("IGNORED-NOT-IN-MASK");
  update.mutable_update_mask()->add_paths("display_name");
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::UpdateProduct, manager_, update, &before),
              StatusIs(absl::StatusCode::kPermissionDenied));  // the catalogue is network-wide
  v1::Product after;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::UpdateProduct, admin_, update, &after));
  EXPECT_EQ(after.display_name(), "Hydroxocobalamin 1 mg/1 mL (renamed)");
  EXPECT_EQ(after.sku(), kB12Sku);
  EXPECT_NE(after.etag(), before.etag());

  // The same request again answers the same; a new one with the old etag is refused.
  v1::Product again;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::UpdateProduct, admin_, update, &again));
  EXPECT_EQ(again.etag(), after.etag());
  update.set_request_id(NewRequestId());
  update.mutable_product()->set_display_name("Stale");
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::UpdateProduct, admin_, update, &again),
              StatusIs(absl::StatusCode::kAborted));
  // A field outside the allowed list is named.
  update.set_request_id(NewRequestId());
  *update.mutable_product() = after;
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("sku");
  EXPECT_THAT(ViolatedFields(Rpc(&v1::InventoryService::Stub::UpdateProduct, admin_, update, &again)),
              Contains(HasSubstr("update_mask")));

  v1::Product read;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetProduct, admin_, get, &read));
  EXPECT_EQ(read.display_name(), after.display_name());
  EXPECT_EQ(read.etag(), after.etag());
}

TEST_P(InventoryServiceTest, UpdateClinicChangesSettingsAndRefusesBadOnes) {
  v1::GetClinicRequest get;
  get.set_name(absl::StrCat("clinics/", kNorth));
  v1::Clinic before;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetClinic, admin_, get, &before));

  v1::UpdateClinicRequest update;
  update.set_request_id(NewRequestId());
  *update.mutable_clinic() = before;
  update.mutable_clinic()->set_time_zone("Europe/Dublin");
  update.mutable_clinic()->set_expiry_warning_days(45);
  update.mutable_update_mask()->add_paths("time_zone");
  update.mutable_update_mask()->add_paths("expiry_warning_days");
  v1::Clinic after;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::UpdateClinic, admin_, update, &after));
  EXPECT_EQ(after.time_zone(), "Europe/Dublin");
  EXPECT_EQ(after.expiry_warning_days(), 45);

  // Not an IANA zone: named, nothing changed.
  update.set_request_id(NewRequestId());
  *update.mutable_clinic() = after;
  update.mutable_clinic()->set_time_zone("Mars/Olympus");
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("time_zone");
  v1::Clinic refused;
  EXPECT_THAT(ViolatedFields(Rpc(&v1::InventoryService::Stub::UpdateClinic, admin_, update, &refused)),
              Contains("clinic.time_zone"));
  // Stale etag.
  update.set_request_id(NewRequestId());
  *update.mutable_clinic() = before;
  update.mutable_clinic()->set_expiry_warning_days(10);
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("expiry_warning_days");
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::UpdateClinic, admin_, update, &refused),
              StatusIs(absl::StatusCode::kAborted));

  v1::Clinic read;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetClinic, admin_, get, &read));
  EXPECT_EQ(read.time_zone(), "Europe/Dublin");
  EXPECT_EQ(read.expiry_warning_days(), 45);
  EXPECT_EQ(read.etag(), after.etag());
}

TEST_P(InventoryServiceTest, BadProductNamesEachFieldAndStoresNothing) {
  v1::ListProductsRequest list;
  v1::ListProductsResponse before;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListProducts, admin_, list, &before));
  v1::CreateProductRequest request = ProductRequest("Bad Id", "lower-case");
  request.mutable_product()->clear_display_name();
  request.mutable_product()->mutable_strength()->mutable_value()->set_value("-1");
  v1::Product product;
  const absl::Status s = Rpc(&v1::InventoryService::Stub::CreateProduct, admin_, request, &product);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), UnorderedElementsAre("product.sku", "product.display_name",
                                                      "product.strength.value", "product_id"));
  v1::ListProductsResponse listed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListProducts, admin_, list, &listed));
  EXPECT_EQ(listed.products_size(), before.products_size());
}

TEST_P(InventoryServiceTest, ReceiptsAndAdjustmentsKeepOnHandEqualToTheLedger) {
  const std::string lot = Receive(kNorth, "LOT-A", Today() + 60, 10);
  v1::AdjustStockRequest adjust;
  adjust.set_request_id(NewRequestId());
  adjust.set_parent(absl::StrCat("clinics/", kNorth));
  adjust.set_lot(lot);
  adjust.set_quantity_delta(-3);
  adjust.set_reason(v1::ADJUSTMENT_REASON_DAMAGED);
  v1::AdjustStockResponse adjusted;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::AdjustStock, manager_, adjust, &adjusted));
  EXPECT_EQ(adjusted.stock_level().on_hand(), 7);
  EXPECT_EQ(adjusted.movement().on_hand_after(), 7);
  EXPECT_EQ(adjusted.movement().sequence(), 2);

  // The same request again: the first answer, nothing changed.
  v1::AdjustStockResponse again;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::AdjustStock, manager_, adjust, &again));
  EXPECT_EQ(again.movement().name(), adjusted.movement().name());
  EXPECT_EQ(Level(lot).on_hand(), 7);

  // The same request_id for a different request is refused.
  v1::AdjustStockRequest changed = adjust;
  changed.set_quantity_delta(-1);
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::AdjustStock, manager_, changed, &again),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // Never below zero.
  v1::AdjustStockRequest too_much = adjust;
  too_much.set_request_id(NewRequestId());
  too_much.set_quantity_delta(-8);
  const absl::Status refused = Rpc(&v1::InventoryService::Stub::AdjustStock, manager_, too_much, &again);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(refused), "STOCK");
  EXPECT_EQ(Level(lot).on_hand(), 7);

  v1::ListMovementsRequest movements;
  movements.set_parent(absl::StrCat("clinics/", kNorth));
  v1::ListMovementsResponse listed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListMovements, manager_, movements, &listed));
  ASSERT_THAT(listed.movements(), SizeIs(2));
  EXPECT_EQ(listed.movements(0).type(), v1::MOVEMENT_TYPE_ADJUSTMENT);  // newest first
  EXPECT_EQ(listed.movements(1).type(), v1::MOVEMENT_TYPE_RECEIPT);
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, BadReceiptNamesEachFieldAndStoresNothing) {
  v1::ReceiveStockRequest request = ReceiveRequest(kNorth, "-BAD LOT", Today() - 1, 0);
  v1::ReceiveStockResponse response;
  const absl::Status s = Rpc(&v1::InventoryService::Stub::ReceiveStock, admin_, request, &response);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ViolatedFields(s), UnorderedElementsAre("lot_number", "quantity"));

  // Expiry in the past in the clinic's zone, and an unknown product: checked with the
  // stored state, still INVALID_ARGUMENT naming the field.
  request = ReceiveRequest(kNorth, "LOT-OLD", Today() - 1, 5);
  EXPECT_THAT(ViolatedFields(Rpc(&v1::InventoryService::Stub::ReceiveStock, admin_, request, &response)),
              ElementsAre("expiry_date"));
  request = ReceiveRequest(kNorth, "LOT-X", Today() + 10, 5);
  request.set_product("products/no-such-product");
  EXPECT_THAT(ViolatedFields(Rpc(&v1::InventoryService::Stub::ReceiveStock, admin_, request, &response)),
              ElementsAre("product"));
  absl::StatusOr<sql::ResultSet> rows = db_->Query("SELECT COUNT(*) FROM movements");
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ((*rows)[0].GetInt64(0), 0);
}

TEST_P(InventoryServiceTest, ReservesTheFirstExpiringUsableLot) {
  const std::string late = Receive(kNorth, "LATE", Today() + 90, 5);
  const std::string early = Receive(kNorth, "EARLY", Today() + 30, 5);
  absl::StatusOr<v1::Reservation> r = Reserve("a1", Today() + 7);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->lot(), early);
  EXPECT_EQ(r->state(), v1::Reservation::STATE_HELD);
  // After the early lot's expiry only the late one serves.
  r = Reserve("a2", Today() + 31);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->lot(), late);
  EXPECT_EQ(Level(early).reserved(), 1);
  EXPECT_EQ(Level(early).available(), 4);
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, ALotExpiringOnDayDServesDayDAndNeverDayDPlusOne) {
  const absl::CivilDay d = Today() + 10;
  Receive(kNorth, "LOT-D", d, 5);
  EXPECT_THAT(Reserve("on-d", d), IsOk());
  const absl::StatusOr<v1::Reservation> after = Reserve("after-d", d + 1);
  EXPECT_THAT(after, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(after.status()), "STOCK");
}

TEST_P(InventoryServiceTest, AnUnconfirmedHoldExpiresAndGivesItsUnitBack) {
  const std::string lot = Receive(kNorth, "ONE", Today() + 60, 1);
  ASSERT_THAT(Reserve("a1", Today() + 1), IsOk());
  EXPECT_THAT(Reserve("a2", Today() + 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  clock_.Advance(absl::Minutes(16));  // the default hold is 15 minutes
  EXPECT_THAT(Reserve("a2", Today() + 1), IsOk());
  v1::ListReservationsRequest list;
  list.set_parent(absl::StrCat("clinics/", kNorth));
  list.add_states(v1::Reservation::STATE_EXPIRED);
  v1::ListReservationsResponse listed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListReservations, scheduling_, list, &listed));
  ASSERT_THAT(listed.reservations(), SizeIs(1));
  EXPECT_EQ(listed.reservations(0).appointment(), absl::StrCat("clinics/", kNorth, "/appointments/a1"));
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, TheHousekeeperExpiresHoldsOfQuietClinics) {
  const std::string lot = Receive(kNorth, "ONE", Today() + 60, 2);
  absl::StatusOr<v1::Reservation> r = Reserve("a1", Today() + 1);
  ASSERT_THAT(r, IsOk());
  HousekeeperOptions options;
  options.interval = absl::Hours(1);  // rounds run by hand below
  Housekeeper housekeeper(*db_, clock_, options);
  clock_.Advance(absl::Minutes(14));
  housekeeper.RunOnce();
  EXPECT_EQ(Level(lot).reserved(), 1);
  clock_.Advance(absl::Minutes(2));
  housekeeper.RunOnce();
  EXPECT_EQ(Level(lot).reserved(), 0);
  v1::GetReservationRequest get;
  get.set_name(r->name());
  v1::Reservation expired;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetReservation, scheduling_, get, &expired));
  EXPECT_EQ(expired.state(), v1::Reservation::STATE_EXPIRED);
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, ConsumptionRecordsTheRecipientOnceAndAnswersTheLot) {
  const std::string lot = Receive(kNorth, "LOT-C", Today() + 60, 3);
  absl::StatusOr<v1::Reservation> r = Reserve("visit", Today());
  ASSERT_THAT(r, IsOk());
  v1::ConfirmReservationRequest confirm;
  confirm.set_request_id(NewRequestId());
  confirm.set_name(r->name());
  v1::Reservation confirmed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ConfirmReservation, scheduling_, confirm, &confirmed));
  EXPECT_EQ(confirmed.state(), v1::Reservation::STATE_CONFIRMED);
  clock_.Advance(absl::Hours(2));  // confirmed: no longer expires

  v1::ConsumeReservationRequest consume;
  consume.set_request_id(NewRequestId());
  consume.set_name(r->name());
  v1::Reservation consumed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ConsumeReservation, scheduling_, consume, &consumed));
  EXPECT_EQ(consumed.state(), v1::Reservation::STATE_CONSUMED);
  EXPECT_EQ(consumed.lot(), lot);
  EXPECT_EQ(consumed.lot_number(), "LOT-C");
  EXPECT_EQ(absl::CivilDay(consumed.expiry_date().year(), consumed.expiry_date().month(), consumed.expiry_date().day()),
            Today() + 60);
  // Retried: the same answer. Another consumption of it: refused.
  v1::Reservation again;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ConsumeReservation, scheduling_, consume, &again));
  EXPECT_EQ(again.consume_time().seconds(), consumed.consume_time().seconds());
  consume.set_request_id(NewRequestId());
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ConsumeReservation, scheduling_, consume, &again),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Level(lot).on_hand(), 2);
  EXPECT_EQ(Level(lot).reserved(), 0);

  v1::ListLotRecipientsRequest recipients;
  recipients.set_name(lot);
  v1::ListLotRecipientsResponse listed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListLotRecipients, admin_, recipients, &listed));
  ASSERT_THAT(listed.recipients(), SizeIs(1));
  EXPECT_EQ(listed.recipients(0).patient(), "patients/p-1");
  EXPECT_EQ(listed.recipients(0).appointment(), absl::StrCat("clinics/", kNorth, "/appointments/visit"));
  EXPECT_EQ(listed.recipients(0).clinic(), absl::StrCat("clinics/", kNorth));
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, ARecallBlocksTheLotAndRepicksWhereAnotherLotServes) {
  const std::string recalled = Receive(kNorth, "BAD", Today() + 20, 5);
  const std::string spare = Receive(kNorth, "SPARE", Today() + 60, 1);
  absl::StatusOr<v1::Reservation> first = Reserve("a1", Today() + 1);
  absl::StatusOr<v1::Reservation> second = Reserve("a2", Today() + 2);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  ASSERT_EQ(first->lot(), recalled);
  ASSERT_EQ(second->lot(), recalled);

  v1::RecallLotRequest recall;
  recall.set_request_id(NewRequestId());
  recall.set_name(recalled);
  recall.set_reason("supplier notice: particulates");
  v1::RecallLotResponse response;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::RecallLot, manager_, recall, &response),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::RecallLot, admin_, recall, &response));
  EXPECT_EQ(response.lot().state(), v1::Lot::STATE_RECALLED);
  EXPECT_THAT(response.repicked_reservations(), ElementsAre(first->name()));
  EXPECT_THAT(response.unserved_reservations(), ElementsAre(second->name()));
  EXPECT_EQ(Level(spare).reserved(), 1);
  EXPECT_EQ(Level(recalled).reserved(), 0);
  EXPECT_EQ(Level(recalled).available(), 0);
  EXPECT_TRUE(Level(recalled).recalled());
  // Never reserved again.
  EXPECT_THAT(Reserve("a3", Today() + 1), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Stock that arrives serves the unserved reservation.
  Receive(kNorth, "FRESH", Today() + 90, 2);
  v1::GetReservationRequest get;
  get.set_name(second->name());
  v1::Reservation served;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::GetReservation, scheduling_, get, &served));
  EXPECT_EQ(served.state(), v1::Reservation::STATE_HELD);
  EXPECT_EQ(served.lot_number(), "FRESH");
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, RescheduleRepicksWhenTheHeldLotWouldBeExpired) {
  Receive(kNorth, "SOON", Today() + 5, 1);
  const std::string later = Receive(kNorth, "LATER", Today() + 50, 1);
  absl::StatusOr<v1::Reservation> r = Reserve("a1", Today() + 1);
  ASSERT_THAT(r, IsOk());
  v1::RescheduleReservationRequest reschedule;
  reschedule.set_request_id(NewRequestId());
  reschedule.set_name(r->name());
  *reschedule.mutable_use_date() = api::ToDate(Today() + 20);
  v1::Reservation moved;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::RescheduleReservation, scheduling_, reschedule, &moved));
  EXPECT_EQ(moved.lot(), later);
  EXPECT_EQ(moved.repick_count(), 1);
  // No lot serves day +60: refused, unchanged.
  reschedule.set_request_id(NewRequestId());
  *reschedule.mutable_use_date() = api::ToDate(Today() + 60);
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::RescheduleReservation, scheduling_, reschedule, &moved),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(Level(later).reserved(), 1);
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, FiftyConcurrentReservationsOnTenDosesExactlyTenSucceed) {
  Receive(kNorth, "LOT-1", Today() + 30, 4);
  Receive(kNorth, "LOT-2", Today() + 60, 6);
  std::atomic<int> ok{0}, no_stock{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<v1::Reservation> r = Reserve(absl::StrCat("c", i), Today() + 1);
      if (r.ok()) {
        ++ok;
      } else if (r.status().code() == absl::StatusCode::kFailedPrecondition) {
        ++no_stock;
      } else {
        ++other;
        ADD_FAILURE() << r.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, 10);
  EXPECT_EQ(no_stock, 40);
  EXPECT_EQ(other, 0);
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, ConcurrentRetriesOfOneReservationReserveOnce) {
  Receive(kNorth, "LOT-1", Today() + 30, 10);
  const v1::ReserveDoseRequest request = ReserveRequest("once", Today() + 1);
  std::vector<std::string> names(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      v1::Reservation r;
      absl::Status s = Rpc(&v1::InventoryService::Stub::ReserveDose, scheduling_, request, &r);
      EXPECT_THAT(s, IsOk());
      names[i] = r.name();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& name : names) EXPECT_EQ(name, names[0]);
  absl::StatusOr<sql::ResultSet> rows = db_->Query("SELECT SUM(reserved) FROM stock");
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ((*rows)[0].GetInt64(0), 1);
}

TEST_P(InventoryServiceTest, AReservedDoseIsNeverConsumedTwice) {
  Receive(kNorth, "LOT-1", Today() + 30, 5);
  absl::StatusOr<v1::Reservation> r = Reserve("v", Today());
  ASSERT_THAT(r, IsOk());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      v1::ConsumeReservationRequest consume;
      consume.set_request_id(NewRequestId());
      consume.set_name(r->name());
      v1::Reservation consumed;
      if (Rpc(&v1::InventoryService::Stub::ConsumeReservation, scheduling_, consume, &consumed).ok()) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, 1);
  absl::StatusOr<sql::ResultSet> rows = db_->Query("SELECT SUM(on_hand) FROM stock");
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ((*rows)[0].GetInt64(0), 4);
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, ClinicStaffActOnlyOnTheirOwnClinic) {
  const std::string lot = Receive(kSouth, "SOUTH-1", Today() + 30, 5);
  v1::AdjustStockRequest adjust;
  adjust.set_request_id(NewRequestId());
  adjust.set_parent(absl::StrCat("clinics/", kSouth));
  adjust.set_lot(lot);
  adjust.set_quantity_delta(-1);
  adjust.set_reason(v1::ADJUSTMENT_REASON_COUNT_CORRECTION);
  v1::AdjustStockResponse response;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::AdjustStock, manager_, adjust, &response),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::ListStockLevelsRequest list;
  list.set_parent("clinics/-");
  v1::ListStockLevelsResponse levels;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListStockLevels, manager_, list, &levels),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListStockLevels, admin_, list, &levels));
  EXPECT_THAT(levels.stock_levels(), SizeIs(1));
}

TEST_P(InventoryServiceTest, TransfersCarryLotAndExpiryAndRecordWhatWasLost) {
  const std::string lot = Receive(kNorth, "SHIP", Today() + 40, 10);
  v1::TransferStockRequest ship;
  ship.set_request_id(NewRequestId());
  ship.mutable_transfer()->set_source_clinic(absl::StrCat("clinics/", kNorth));
  ship.mutable_transfer()->set_destination_clinic(absl::StrCat("clinics/", kSouth));
  v1::TransferItem* item = ship.mutable_transfer()->add_items();
  item->set_lot(lot);
  item->set_quantity(4);
  v1::Transfer shipped;
  const std::string south_manager = Token(auth::Role::kClinicManager, "manager-2", kSouth);
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::TransferStock, south_manager, ship, &shipped),
              StatusIs(absl::StatusCode::kPermissionDenied));
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::TransferStock, manager_, ship, &shipped));
  EXPECT_EQ(shipped.state(), v1::Transfer::STATE_IN_TRANSIT);
  ASSERT_THAT(shipped.items(), SizeIs(1));
  EXPECT_EQ(shipped.items(0).lot_number(), "SHIP");
  EXPECT_EQ(Level(lot).on_hand(), 6);

  v1::ListStockLevelsRequest south;
  south.set_parent(absl::StrCat("clinics/", kSouth));
  v1::ListStockLevelsResponse levels;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListStockLevels, admin_, south, &levels));
  ASSERT_THAT(levels.stock_levels(), SizeIs(1));
  EXPECT_EQ(levels.stock_levels(0).in_transit(), 4);
  EXPECT_EQ(levels.stock_levels(0).on_hand(), 0);

  v1::ReceiveTransferRequest receive;
  receive.set_request_id(NewRequestId());
  receive.set_name(shipped.name());
  receive.set_etag(shipped.etag());
  (*receive.mutable_received_quantities())[lot] = 5;
  v1::Transfer received;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ReceiveTransfer, south_manager, receive, &received),
              StatusIs(absl::StatusCode::kInvalidArgument));  // more than shipped
  receive.set_request_id(NewRequestId());
  (*receive.mutable_received_quantities())[lot] = 3;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ReceiveTransfer, south_manager, receive, &received));
  EXPECT_EQ(received.state(), v1::Transfer::STATE_RECEIVED);
  EXPECT_EQ(received.items(0).received_quantity(), 3);
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListStockLevels, admin_, south, &levels));
  ASSERT_THAT(levels.stock_levels(), SizeIs(1));
  EXPECT_EQ(levels.stock_levels(0).lot(), lot);  // the same lot, the same expiry
  EXPECT_EQ(levels.stock_levels(0).on_hand(), 3);
  EXPECT_EQ(levels.stock_levels(0).in_transit(), 0);

  v1::ListMovementsRequest movements;
  movements.set_parent(absl::StrCat("clinics/", kSouth));
  v1::ListMovementsResponse listed;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListMovements, admin_, movements, &listed));
  ASSERT_THAT(listed.movements(), SizeIs(2));
  EXPECT_EQ(listed.movements(0).adjustment_reason(), v1::ADJUSTMENT_REASON_LOST_IN_TRANSIT);
  EXPECT_EQ(listed.movements(0).quantity_delta(), -1);
  EXPECT_EQ(listed.movements(1).type(), v1::MOVEMENT_TYPE_TRANSFER_IN);

  // Received already: not again.
  receive.set_request_id(NewRequestId());
  receive.clear_etag();
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ReceiveTransfer, south_manager, receive, &received),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, ACancelledTransferReturnsToTheSourceAndShippingIsBoundedByAvailable) {
  const std::string lot = Receive(kNorth, "BACK", Today() + 40, 3);
  ASSERT_THAT(Reserve("held", Today() + 1), IsOk());  // 1 of the 3 is reserved
  v1::TransferStockRequest ship;
  ship.set_request_id(NewRequestId());
  ship.mutable_transfer()->set_source_clinic(absl::StrCat("clinics/", kNorth));
  ship.mutable_transfer()->set_destination_clinic(absl::StrCat("clinics/", kSouth));
  v1::TransferItem* item = ship.mutable_transfer()->add_items();
  item->set_lot(lot);
  item->set_quantity(3);
  v1::Transfer shipped;
  const absl::Status too_many = Rpc(&v1::InventoryService::Stub::TransferStock, manager_, ship, &shipped);
  EXPECT_THAT(too_many, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(status::GetPreconditionType(too_many), "STOCK");
  ship.set_request_id(NewRequestId());
  item->set_quantity(2);
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::TransferStock, manager_, ship, &shipped));
  EXPECT_EQ(Level(lot).on_hand(), 1);
  v1::CancelTransferRequest cancel;
  cancel.set_request_id(NewRequestId());
  cancel.set_name(shipped.name());
  cancel.set_etag("\"999\"");
  v1::Transfer cancelled;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::CancelTransfer, manager_, cancel, &cancelled),
              StatusIs(absl::StatusCode::kAborted));
  cancel.set_request_id(NewRequestId());
  cancel.set_etag(shipped.etag());
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::CancelTransfer, manager_, cancel, &cancelled));
  EXPECT_EQ(cancelled.state(), v1::Transfer::STATE_CANCELLED);
  EXPECT_EQ(Level(lot).on_hand(), 3);
  v1::ListTransfersRequest list;
  list.set_clinic(absl::StrCat("clinics/", kSouth));
  v1::ListTransfersResponse transfers;
  CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListTransfers, admin_, list, &transfers));
  ASSERT_THAT(transfers.transfers(), SizeIs(1));
  EXPECT_EQ(transfers.transfers(0).state(), v1::Transfer::STATE_CANCELLED);
  ExpectLedgerConsistent();
}

TEST_P(InventoryServiceTest, StockLevelsPageThroughEveryLot) {
  for (int i = 0; i < 7; ++i) Receive(kNorth, absl::StrCat("P", i), Today() + 10 + i, 1);
  v1::ListStockLevelsRequest list;
  list.set_parent(absl::StrCat("clinics/", kNorth));
  list.set_page_size(3);
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    v1::ListStockLevelsResponse response;
    CLINIC_ASSERT_OK(Rpc(&v1::InventoryService::Stub::ListStockLevels, admin_, list, &response));
    for (const v1::StockLevel& l : response.stock_levels()) seen.push_back(l.lot_number());
    if (response.next_page_token().empty()) break;
    list.set_page_token(response.next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre("P0", "P1", "P2", "P3", "P4", "P5", "P6"));
  // A token is only good for the filters it was made with.
  list.set_show_empty(true);
  v1::ListStockLevelsResponse response;
  EXPECT_THAT(Rpc(&v1::InventoryService::Stub::ListStockLevels, admin_, list, &response),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

INSTANTIATE_TEST_SUITE_P(Backends, InventoryServiceTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return BackendName(param.param);
                         });

}  // namespace
}  // namespace clinic::inventory
