// The stock RPCs: receipts, adjustments, levels, the ledger, lots, recalls.
#include <optional>
#include <string>
#include <vector>

#include "common/api/convert.h"
#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "common/api/resource_name.h"
#include "common/status/status.h"
#include "services/inventory/alert_store.h"
#include "services/inventory/catalogue_store.h"
#include "services/inventory/domain/access.h"
#include "services/inventory/domain/expiry.h"
#include "services/inventory/handler_support.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/reservation_store.h"
#include "services/inventory/stock_store.h"
#include "services/inventory/validation.h"

namespace clinic::inventory {
namespace {

constexpr std::string_view kLotPattern = "products/{product}/lots/{lot}";

// NOT_FOUND naming `field` for an unknown clinic.
absl::StatusOr<store::ClinicSettings> ClinicOf(sql::Transaction& tx, const std::string& clinic_id, std::string_view field) {
  absl::StatusOr<store::ClinicSettings> clinic = store::GetClinicSettings(tx, clinic_id);
  if (!clinic.ok()) return AboutField(field, clinic.status());
  return clinic;
}

// A page of stock levels (ListStockLevels, ListExpiringLots) once the request is checked:
// authorises the caller at the clinic, and fills the response's levels and token.
template <typename Response>
absl::Status ListLevels(sql::Database& db, absl::Time now, const server::Call& call,
                        const store::StockLevelQuery& query, const store::PageRequest& page, uint64_t filters,
                        Response* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kReadClinic, query.clinic_id); !s.ok()) return s;
  return db.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    if (query.clinic_id != "-") {
      if (absl::StatusOr<store::ClinicSettings> c = ClinicOf(tx, query.clinic_id, "parent"); !c.ok()) return c.status();
    }
    std::vector<v1::StockLevel> levels;
    std::vector<std::string> next;
    if (absl::Status s = store::ListStockLevels(tx, query, page, now, &levels, &next); !s.ok()) return s;
    for (v1::StockLevel& l : levels) *response->add_stock_levels() = std::move(l);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

}  // namespace

absl::Status InventoryService::HandleReceiveStock(const server::Call& call, const v1::ReceiveStockRequest& request,
                                                  v1::ReceiveStockResponse* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad);
  std::optional<std::string> product_id = api::ParseId("products/{product}", request.product(), "product", bad);
  if (!IsValidLotNumber(request.lot_number())) {
    bad.Add("lot_number", "required: 1 to 64 characters of [A-Za-z0-9-/.], starting with a letter or digit");
  }
  std::optional<absl::CivilDay> expiry = api::ParseDate(request.expiry_date(), request.has_expiry_date(), "expiry_date", bad);
  CheckText(request.manufacturer(), "manufacturer", 200, false, bad);
  if (request.quantity() < 1 || request.quantity() > 1000000) bad.Add("quantity", "1 to 1000000");
  CheckText(request.supplier(), "supplier", 200, false, bad);
  CheckText(request.supplier_reference(), "supplier_reference", 100, false, bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kReceiveStock, *clinic_id); !s.ok()) return s;
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "ReceiveStock", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    absl::StatusOr<store::ClinicSettings> clinic = store::GetClinicSettings(tx, *clinic_id);
    if (!clinic.ok()) return status::InvalidField("parent", "no such clinic");
    touched.Add(*clinic_id);
    absl::StatusOr<v1::Product> product = store::GetProduct(tx, *product_id);
    if (!product.ok()) return status::InvalidField("product", "no such product");
    if (product->state() != v1::Product::STATE_ACTIVE) {
      return status::FailedPrecondition("STATE", request.product(), "the product is discontinued");
    }
    if (!UsableOn(*expiry, LocalDay(now, clinic->zone))) {
      return status::InvalidField("expiry_date", "already past in the clinic's time zone");
    }
    absl::StatusOr<store::LotRow> lot =
        store::FindOrCreateLot(tx, *product_id, request.lot_number(), *expiry, request.manufacturer(), now);
    if (!lot.ok()) return lot.status();
    store::MovementInput in;
    in.clinic_id = *clinic_id;
    in.product_id = *product_id;
    in.lot_id = lot->lot_id;
    in.type = v1::MOVEMENT_TYPE_RECEIPT;
    in.quantity_delta = request.quantity();
    in.supplier = request.supplier();
    in.supplier_reference = request.supplier_reference();
    in.request_id = request.request_id();
    in.principal = call.principal().subject;
    absl::StatusOr<v1::Movement> movement = store::AppendMovement(tx, in, now);
    if (!movement.ok()) return movement.status();
    if (absl::StatusOr<int64_t> served = store::ServeUnserved(tx, *clinic, *product_id, now); !served.ok()) {
      return served.status();
    }
    absl::StatusOr<v1::Lot> stored_lot = store::GetLot(tx, *product_id, lot->lot_id);
    if (!stored_lot.ok()) return stored_lot.status();
    absl::StatusOr<v1::StockLevel> level = store::GetLotLevel(tx, *clinic, lot->lot_id, now);
    if (!level.ok()) return level.status();
    *response->mutable_movement() = *std::move(movement);
    *response->mutable_lot() = *std::move(stored_lot);
    *response->mutable_stock_level() = *std::move(level);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleAdjustStock(const server::Call& call, const v1::AdjustStockRequest& request,
                                                 v1::AdjustStockResponse* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad);
  std::optional<std::vector<std::string>> lot = api::ParseName(kLotPattern, request.lot(), "lot", bad);
  if (request.quantity_delta() == 0) bad.Add("quantity_delta", "required: a positive or negative change, not 0");
  if (request.quantity_delta() < -1000000 || request.quantity_delta() > 1000000) {
    bad.Add("quantity_delta", "-1000000 to 1000000");
  }
  if (request.reason() == v1::ADJUSTMENT_REASON_UNSPECIFIED || !v1::AdjustmentReason_IsValid(request.reason()) ||
      request.reason() == v1::ADJUSTMENT_REASON_LOST_IN_TRANSIT) {
    bad.Add("reason", "required: DAMAGED, EXPIRED, COUNT_CORRECTION, RECALL_RETURN or OTHER");
  }
  CheckText(request.note(), "note", 500, request.reason() == v1::ADJUSTMENT_REASON_OTHER, bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kManageStock, *clinic_id); !s.ok()) return s;
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "AdjustStock", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    absl::StatusOr<store::ClinicSettings> clinic = ClinicOf(tx, *clinic_id, "parent");
    if (!clinic.ok()) return clinic.status();
    touched.Add(*clinic_id);
    absl::StatusOr<std::optional<store::LotRow>> found = store::FindLot(tx, (*lot)[0], (*lot)[1]);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::NotFoundError("lot: no such lot");
    store::MovementInput in;
    in.clinic_id = *clinic_id;
    in.product_id = (*lot)[0];
    in.lot_id = (*lot)[1];
    in.type = v1::MOVEMENT_TYPE_ADJUSTMENT;
    in.quantity_delta = request.quantity_delta();
    in.adjustment_reason = request.reason();
    in.note = request.note();
    in.request_id = request.request_id();
    in.principal = call.principal().subject;
    absl::StatusOr<v1::Movement> movement = store::AppendMovement(tx, in, now);
    if (!movement.ok()) return movement.status();
    if (request.quantity_delta() > 0) {
      if (absl::StatusOr<int64_t> served = store::ServeUnserved(tx, *clinic, in.product_id, now); !served.ok()) {
        return served.status();
      }
    }
    absl::StatusOr<v1::StockLevel> level = store::GetLotLevel(tx, *clinic, in.lot_id, now);
    if (!level.ok()) return level.status();
    *response->mutable_movement() = *std::move(movement);
    *response->mutable_stock_level() = *std::move(level);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleListStockLevels(const server::Call& call, const v1::ListStockLevelsRequest& request,
                                                     v1::ListStockLevelsResponse* response) {
  status::FieldViolations bad;
  store::StockLevelQuery query;
  query.clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad, {.allow_wildcard = true}).value_or("");
  if (!request.product().empty()) {
    query.product_id = api::ParseId("products/{product}", request.product(), "product", bad).value_or("");
  }
  if (!request.lot().empty()) {
    std::optional<std::vector<std::string>> lot = api::ParseName(kLotPattern, request.lot(), "lot", bad);
    if (lot.has_value()) query.lot_id = (*lot)[1];
  }
  if (!v1::StockLevelView_IsValid(request.view())) bad.Add("view", "unknown value");
  query.by_product = request.view() == v1::STOCK_LEVEL_VIEW_PRODUCT;
  query.show_empty = request.show_empty();
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 100, 1000, &page, bad)) return bad.ToStatus();
  return ListLevels(db_, clock_.Now(), call, query, page, filters, response);
}

absl::Status InventoryService::HandleListExpiringLots(const server::Call& call,
                                                      const v1::ListExpiringLotsRequest& request,
                                                      v1::ListExpiringLotsResponse* response) {
  status::FieldViolations bad;
  store::StockLevelQuery query;
  query.clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad, {.allow_wildcard = true}).value_or("");
  if (request.within_days() < 0 || request.within_days() > 365) bad.Add("within_days", "0 to 365");
  query.expiring_within_days = request.within_days();
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 100, 1000, &page, bad)) return bad.ToStatus();
  return ListLevels(db_, clock_.Now(), call, query, page, filters, response);
}

absl::Status InventoryService::HandleListMovements(const server::Call& call, const v1::ListMovementsRequest& request,
                                                   v1::ListMovementsResponse* response) {
  status::FieldViolations bad;
  store::MovementQuery query;
  query.clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad, {.allow_wildcard = true}).value_or("");
  if (!request.product().empty()) {
    query.product_id = api::ParseId("products/{product}", request.product(), "product", bad).value_or("");
  }
  if (!request.lot().empty()) {
    std::optional<std::vector<std::string>> lot = api::ParseName(kLotPattern, request.lot(), "lot", bad);
    if (lot.has_value()) query.lot_id = (*lot)[1];
  }
  query.type_mask = EnumMask(request.types(), v1::MovementType_IsValid, "types", bad);
  if (request.has_interval()) {
    if (request.interval().has_start_time()) query.start = api::FromTimestamp(request.interval().start_time());
    if (request.interval().has_end_time()) query.end = api::FromTimestamp(request.interval().end_time());
    if (query.start && query.end && *query.end <= *query.start) bad.Add("interval.end_time", "must be after start_time");
  }
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 100, 1000, &page, bad)) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kManageStock, query.clinic_id); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    if (query.clinic_id != "-") {
      if (absl::StatusOr<store::ClinicSettings> c = ClinicOf(tx, query.clinic_id, "parent"); !c.ok()) return c.status();
    }
    std::vector<v1::Movement> movements;
    std::vector<std::string> next;
    if (absl::Status s = store::ListMovements(tx, query, page, &movements, &next); !s.ok()) return s;
    for (v1::Movement& m : movements) *response->add_movements() = std::move(m);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleGetLot(const server::Call& call, const v1::GetLotRequest& request,
                                            v1::Lot* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kReadCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> lot = api::ParseName(kLotPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Lot> found = store::GetLot(tx, (*lot)[0], (*lot)[1]);
    if (!found.ok()) return AboutField("name", found.status());
    *response = *std::move(found);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleListLots(const server::Call& call, const v1::ListLotsRequest& request,
                                              v1::ListLotsResponse* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kReadCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  std::optional<std::string> product_id =
      api::ParseId("products/{product}", request.parent(), "parent", bad, {.allow_wildcard = true});
  if (!request.lot_number().empty() && !IsValidLotNumber(request.lot_number())) {
    bad.Add("lot_number", "1 to 64 characters of [A-Za-z0-9-/.], starting with a letter or digit");
  }
  const uint64_t states = EnumMask(request.states(), v1::Lot::State_IsValid, "states", bad);
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 500, &page, bad)) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Lot> lots;
    // One more row than the page tells whether a next page exists.
    store::PageRequest one_more = page;
    ++one_more.limit;
    if (absl::Status s = store::ListLots(tx, *product_id, request.lot_number(), states, one_more, &lots); !s.ok()) return s;
    if (static_cast<int>(lots.size()) > page.limit) {
      lots.pop_back();
      const v1::Lot& last = lots.back();
      const absl::CivilDay expiry(last.expiry_date().year(), last.expiry_date().month(), last.expiry_date().day());
      response->set_next_page_token(api::EncodePageToken(
          filters, {std::to_string(api::DayNumber(expiry)), last.name().substr(last.name().rfind('/') + 1)}));
    }
    for (v1::Lot& l : lots) *response->add_lots() = std::move(l);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleRecallLot(const server::Call& call, const v1::RecallLotRequest& request,
                                               v1::RecallLotResponse* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kRecall); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> lot = api::ParseName(kLotPattern, request.name(), "name", bad);
  CheckText(request.reason(), "reason", 500, true, bad);
  CheckText(request.reference(), "reference", 100, false, bad);
  if (!bad.empty()) return bad.ToStatus();
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "RecallLot", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    // Blocks the lot everywhere at once: every pick checks (and locks) the lot row.
    absl::StatusOr<int64_t> recalled = tx.Execute(
        "UPDATE lots SET recalled = TRUE, recall_reason = $3, recall_reference = $4, recall_time_us = $5 "
        "WHERE product_id = $1 AND lot_id = $2 AND NOT recalled",
        {(*lot)[0], (*lot)[1], request.reason(), request.reference(), absl::ToUnixMicros(now)});
    if (!recalled.ok()) return recalled.status();
    absl::StatusOr<v1::Lot> stored = store::GetLot(tx, (*lot)[0], (*lot)[1]);
    if (!stored.ok()) return AboutField("name", stored.status());
    *response->mutable_lot() = *std::move(stored);
    if (*recalled == 0) return absl::OkStatus();  // recalled before: nothing more to move
    // Every clinic holding the lot: a recall alert where it is on hand; the clinics'
    // other alerts (low stock now that the lot is unusable, unserved reservations) are
    // synced at the end.
    absl::StatusOr<std::vector<std::string>> holders = store::RaiseRecallAlerts(tx, (*lot)[1], now);
    if (!holders.ok()) return holders.status();
    for (const std::string& clinic_id : *holders) touched.Add(clinic_id);
    absl::StatusOr<store::RepickResult> moved = store::RepickRecalledLot(tx, (*lot)[1], now);
    if (!moved.ok()) return moved.status();
    for (const std::string& name : moved->repicked) response->add_repicked_reservations(name);
    for (const std::string& name : moved->unserved) response->add_unserved_reservations(name);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleListLotRecipients(const server::Call& call,
                                                       const v1::ListLotRecipientsRequest& request,
                                                       v1::ListLotRecipientsResponse* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kListRecipients); !s.ok()) return s;
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> lot = api::ParseName(kLotPattern, request.name(), "name", bad);
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 100, 1000, &page, bad)) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    if (absl::StatusOr<v1::Lot> l = store::GetLot(tx, (*lot)[0], (*lot)[1]); !l.ok()) return AboutField("name", l.status());
    std::vector<v1::LotRecipient> recipients;
    std::vector<std::string> next;
    if (absl::Status s = store::ListLotRecipients(tx, (*lot)[1], page, &recipients, &next); !s.ok()) return s;
    for (v1::LotRecipient& r : recipients) *response->add_recipients() = std::move(r);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

}  // namespace clinic::inventory
