// The catalogue RPCs: products, clinics, reorder levels.
#include <optional>
#include <string>
#include <vector>

#include "common/api/convert.h"
#include "common/api/field_mask.h"
#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "common/api/resource_name.h"
#include "services/inventory/catalogue_store.h"
#include "services/inventory/domain/access.h"
#include "services/inventory/handler_support.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/validation.h"

namespace clinic::inventory {

absl::Status InventoryService::HandleCreateProduct(const server::Call& call, const v1::CreateProductRequest& request,
                                                   v1::Product* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kManageCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  if (!request.has_product()) bad.Add("product", "required");
  CheckNewProduct(request.product(), bad);
  if (!request.product_id().empty() && !api::IsValidClientId(request.product_id())) {
    bad.Add("product_id", "1 to 63 characters of [a-z0-9-], starting with a letter");
  }
  if (!bad.empty()) return bad.ToStatus();
  const std::string id = request.product_id().empty() ? api::NewId() : request.product_id();
  return Mutate(db_, "CreateProduct", request, clock_.Now(), response, [&](sql::Transaction& tx) {
    return store::InsertProduct(tx, id, request.product(), clock_.Now(), response);
  });
}

absl::Status InventoryService::HandleGetProduct(const server::Call& call, const v1::GetProductRequest& request,
                                                v1::Product* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kReadCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("products/{product}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Product> product = store::GetProduct(tx, *id);
    if (!product.ok()) return AboutField("name", product.status());
    *response = *std::move(product);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleListProducts(const server::Call& call, const v1::ListProductsRequest& request,
                                                  v1::ListProductsResponse* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kReadCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  if (!v1::ProductCategory_IsValid(request.category())) bad.Add("category", "unknown value");
  store::PageRequest page;
  page.limit = api::PageSize(request.page_size(), 50, 200, bad);
  const uint64_t filters = api::FiltersOf(request);
  std::optional<std::vector<std::string>> after = api::DecodePageToken(request.page_token(), filters, bad);
  if (!bad.empty()) return bad.ToStatus();
  page.after = *after;
  ++page.limit;  // one more tells whether a next page exists
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Product> products;
    if (absl::Status s = store::ListProducts(tx, request.category(), request.show_discontinued(), page, &products); !s.ok()) {
      return s;
    }
    if (static_cast<int>(products.size()) == page.limit) {
      products.pop_back();
      const v1::Product& last = products.back();
      response->set_next_page_token(
          api::EncodePageToken(filters, {last.display_name(), last.name().substr(sizeof("products/") - 1)}));
    }
    for (v1::Product& p : products) *response->add_products() = std::move(p);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleUpdateProduct(const server::Call& call, const v1::UpdateProductRequest& request,
                                                   v1::Product* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kManageCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId("products/{product}", request.product().name(), "product.name", bad);
  const std::set<std::string> paths = api::CheckUpdateMask(
      request.update_mask(),
      {"display_name", "category", "substance", "form", "strength", "volume", "stock_unit", "prescription_only", "state"},
      bad);
  for (const std::string& path : paths) CheckProductField(request.product(), path, bad);
  if (!bad.empty()) return bad.ToStatus();
  return Mutate(db_, "UpdateProduct", request, clock_.Now(), response, [&](sql::Transaction& tx) {
    return AboutField("product.name", store::UpdateProduct(tx, *id, request.product(), paths,
                                                    ExpectedVersion(request.product().etag()), clock_.Now(), response));
  });
}

absl::Status InventoryService::HandleCreateClinic(const server::Call& call, const v1::CreateClinicRequest& request,
                                                  v1::Clinic* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kManageCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  if (!api::IsValidClientId(request.clinic_id())) {
    bad.Add("clinic_id", "required: 1 to 63 characters of [a-z0-9-], starting with a letter");
  }
  const v1::Clinic& clinic = request.clinic();
  api::ParseTimeZone(clinic.time_zone(), "clinic.time_zone", bad);
  if (clinic.expiry_warning_days() != 0) CheckClinicField(clinic, "expiry_warning_days", bad);
  if (clinic.has_reservation_hold()) CheckClinicField(clinic, "reservation_hold", bad);
  if (!clinic.alert_role().empty()) CheckClinicField(clinic, "alert_role", bad);
  if (!bad.empty()) return bad.ToStatus();
  return Mutate(db_, "CreateClinic", request, clock_.Now(), response, [&](sql::Transaction& tx) {
    return store::InsertClinic(tx, request.clinic_id(), clinic, clock_.Now(), response);
  });
}

absl::Status InventoryService::HandleGetClinic(const server::Call& call, const v1::GetClinicRequest& request,
                                               v1::Clinic* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("clinics/{clinic}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kReadClinic, *id); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Clinic> clinic = store::GetClinic(tx, *id);
    if (!clinic.ok()) return AboutField("name", clinic.status());
    *response = *std::move(clinic);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleListClinics(const server::Call& call, const v1::ListClinicsRequest& request,
                                                 v1::ListClinicsResponse* response) {
  if (absl::Status s = Authorize(call.principal(), Action::kReadCatalogue); !s.ok()) return s;
  status::FieldViolations bad;
  store::PageRequest page;
  page.limit = api::PageSize(request.page_size(), 50, 200, bad) + 1;
  const uint64_t filters = api::FiltersOf(request);
  std::optional<std::vector<std::string>> after = api::DecodePageToken(request.page_token(), filters, bad);
  if (!bad.empty()) return bad.ToStatus();
  page.after = *after;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Clinic> clinics;
    if (absl::Status s = store::ListClinics(tx, page, &clinics); !s.ok()) return s;
    if (static_cast<int>(clinics.size()) == page.limit) {
      clinics.pop_back();
      response->set_next_page_token(
          api::EncodePageToken(filters, {clinics.back().name().substr(sizeof("clinics/") - 1)}));
    }
    for (v1::Clinic& c : clinics) *response->add_clinics() = std::move(c);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleUpdateClinic(const server::Call& call, const v1::UpdateClinicRequest& request,
                                                  v1::Clinic* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId("clinics/{clinic}", request.clinic().name(), "clinic.name", bad);
  const std::set<std::string> paths = api::CheckUpdateMask(
      request.update_mask(), {"time_zone", "expiry_warning_days", "reservation_hold", "alert_role", "state"}, bad);
  for (const std::string& path : paths) {
    if (path == "time_zone") {
      api::ParseTimeZone(request.clinic().time_zone(), "clinic.time_zone", bad);
    } else {
      CheckClinicField(request.clinic(), path, bad);
    }
  }
  if (!bad.empty()) return bad.ToStatus();
  // A clinic manager tunes the settings; the zone and the state are the network's.
  const bool network_fields = paths.contains("time_zone") || paths.contains("state");
  if (absl::Status s = Authorize(call.principal(), network_fields ? Action::kManageCatalogue : Action::kConfigureClinic, *id);
      !s.ok()) {
    return s;
  }
  // The zone and the warning days decide which lots are expiring.
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "UpdateClinic", request, now, response, [&](sql::Transaction& tx, TouchedClinics& touched) {
    touched.Add(*id);
    return AboutField("clinic.name", store::UpdateClinic(tx, *id, request.clinic(), paths,
                                                  ExpectedVersion(request.clinic().etag()), now, response));
  });
}

absl::Status InventoryService::HandleUpdateReorderLevel(const server::Call& call,
                                                        const v1::UpdateReorderLevelRequest& request,
                                                        v1::ReorderLevel* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> ids = api::ParseName(
      "clinics/{clinic}/reorderLevels/{product}", request.reorder_level().name(), "reorder_level.name", bad);
  const std::set<std::string> paths = api::CheckUpdateMask(request.update_mask(), {"level", "reorder_quantity"}, bad);
  if (paths.contains("level") && request.reorder_level().level() < 0) {
    bad.Add("reorder_level.level", "must not be negative");
  }
  if (paths.contains("reorder_quantity") && request.reorder_level().reorder_quantity() < 0) {
    bad.Add("reorder_level.reorder_quantity", "must not be negative");
  }
  if (!bad.empty()) return bad.ToStatus();
  const std::string& clinic_id = (*ids)[0];
  const std::string& product_id = (*ids)[1];
  if (absl::Status s = Authorize(call.principal(), Action::kManageStock, clinic_id); !s.ok()) return s;
  // A new level may put the stock under it (or no longer): alerts follow at once.
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "UpdateReorderLevel", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) {
    touched.Add(clinic_id);
    return AboutField("reorder_level.name",
                      store::UpsertReorderLevel(tx, clinic_id, product_id, request.reorder_level(), paths,
                                         ExpectedVersion(request.reorder_level().etag()), request.allow_missing(),
                                         now, response));
  });
}

absl::Status InventoryService::HandleListReorderLevels(const server::Call& call,
                                                       const v1::ListReorderLevelsRequest& request,
                                                       v1::ListReorderLevelsResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad);
  store::PageRequest page;
  page.limit = api::PageSize(request.page_size(), 50, 200, bad) + 1;
  const uint64_t filters = api::FiltersOf(request);
  std::optional<std::vector<std::string>> after = api::DecodePageToken(request.page_token(), filters, bad);
  if (!bad.empty()) return bad.ToStatus();
  page.after = *after;
  if (absl::Status s = Authorize(call.principal(), Action::kReadClinic, *clinic_id); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    if (absl::StatusOr<v1::Clinic> c = store::GetClinic(tx, *clinic_id); !c.ok()) return AboutField("parent", c.status());
    std::vector<v1::ReorderLevel> levels;
    if (absl::Status s = store::ListReorderLevels(tx, *clinic_id, page, &levels); !s.ok()) return s;
    if (static_cast<int>(levels.size()) == page.limit) {
      levels.pop_back();
      response->set_next_page_token(
          api::EncodePageToken(filters, {levels.back().product().substr(sizeof("products/") - 1)}));
    }
    for (v1::ReorderLevel& l : levels) *response->add_reorder_levels() = std::move(l);
    return absl::OkStatus();
  });
}

}  // namespace clinic::inventory
