// The transfer RPCs: stock shipped between clinics.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "common/status/status.h"
#include "services/inventory/catalogue_store.h"
#include "services/inventory/domain/access.h"
#include "services/inventory/handler_support.h"
#include "services/inventory/inventory_service.h"
#include "services/inventory/transfer_store.h"
#include "services/inventory/validation.h"

namespace clinic::inventory {
namespace {

// The clinics of a transfer, for authorisation; NOT_FOUND naming "name".
absl::StatusOr<v1::Transfer> TransferFor(sql::Transaction& tx, const std::string& id) {
  absl::StatusOr<v1::Transfer> t = store::GetTransfer(tx, id);
  if (!t.ok()) return AboutField("name", t.status());
  return t;
}

std::string ClinicIdOf(const std::string& name) { return name.substr(sizeof("clinics/") - 1); }

}  // namespace

absl::Status InventoryService::HandleTransferStock(const server::Call& call, const v1::TransferStockRequest& request,
                                                   v1::Transfer* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  const v1::Transfer& transfer = request.transfer();
  std::optional<std::string> source =
      api::ParseId("clinics/{clinic}", transfer.source_clinic(), "transfer.source_clinic", bad);
  std::optional<std::string> destination =
      api::ParseId("clinics/{clinic}", transfer.destination_clinic(), "transfer.destination_clinic", bad);
  if (source && destination && *source == *destination) {
    bad.Add("transfer.destination_clinic", "must differ from the source clinic");
  }
  if (transfer.items_size() < 1 || transfer.items_size() > 100) bad.Add("transfer.items", "1 to 100 lines");
  std::vector<store::TransferLine> lines;
  std::set<std::string> lots;
  for (int i = 0; i < transfer.items_size(); ++i) {
    const v1::TransferItem& item = transfer.items(i);
    const std::string prefix = absl::StrCat("transfer.items[", i, "]");
    std::optional<std::vector<std::string>> lot =
        api::ParseName("products/{product}/lots/{lot}", item.lot(), prefix + ".lot", bad);
    if (item.quantity() < 1 || item.quantity() > 1000000) bad.Add(prefix + ".quantity", "1 to 1000000");
    if (!lot.has_value()) continue;
    if (!lots.insert((*lot)[1]).second) bad.Add(prefix + ".lot", "one line per lot");
    lines.push_back({(*lot)[0], (*lot)[1], item.quantity()});
  }
  CheckText(transfer.note(), "transfer.note", 500, false, bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kManageStock, *source); !s.ok()) return s;
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "TransferStock", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    absl::StatusOr<store::ClinicSettings> from = store::GetClinicSettings(tx, *source);
    if (!from.ok()) return AboutField("transfer.source_clinic", from.status());
    absl::StatusOr<store::ClinicSettings> to = store::GetClinicSettings(tx, *destination);
    if (!to.ok()) return AboutField("transfer.destination_clinic", to.status());
    touched.Add(*source);  // the destination's in-transit units are not available yet
    return store::ShipTransfer(tx, *from, *to, lines, transfer.note(), call.principal().subject, request.request_id(),
                               now, response);
  });
}

absl::Status InventoryService::HandleReceiveTransfer(const server::Call& call,
                                                     const v1::ReceiveTransferRequest& request,
                                                     v1::Transfer* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId("transfers/{transfer}", request.name(), "name", bad);
  std::map<std::string, int64_t> received;
  for (const auto& [lot_name, units] : request.received_quantities()) {
    std::optional<std::vector<std::string>> lot =
        api::ParseName("products/{product}/lots/{lot}", lot_name, "received_quantities", bad);
    if (units < 0) bad.Add("received_quantities", "units must not be negative");
    if (lot.has_value()) received[(*lot)[1]] = units;
  }
  if (!bad.empty()) return bad.ToStatus();
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "ReceiveTransfer", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    absl::StatusOr<v1::Transfer> transfer = TransferFor(tx, *id);
    if (!transfer.ok()) return transfer.status();
    touched.Add(ClinicIdOf(transfer->destination_clinic()));
    if (absl::Status s =
            Authorize(call.principal(), Action::kReceiveStock, ClinicIdOf(transfer->destination_clinic()));
        !s.ok()) {
      return s;
    }
    return store::ReceiveTransfer(tx, *id, received, ExpectedVersion(request.etag()), call.principal().subject,
                                  request.request_id(), now, response);
  });
}

absl::Status InventoryService::HandleCancelTransfer(const server::Call& call, const v1::CancelTransferRequest& request,
                                                    v1::Transfer* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId("transfers/{transfer}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  const absl::Time now = clock_.Now();
  return MutateStock(db_, "CancelTransfer", request, now, response,
                     [&](sql::Transaction& tx, TouchedClinics& touched) -> absl::Status {
    absl::StatusOr<v1::Transfer> transfer = TransferFor(tx, *id);
    if (!transfer.ok()) return transfer.status();
    touched.Add(ClinicIdOf(transfer->source_clinic()));
    if (absl::Status s = Authorize(call.principal(), Action::kManageStock, ClinicIdOf(transfer->source_clinic()));
        !s.ok()) {
      return s;
    }
    return store::CancelTransfer(tx, *id, ExpectedVersion(request.etag()), call.principal().subject,
                                 request.request_id(), now, response);
  });
}

absl::Status InventoryService::HandleGetTransfer(const server::Call& call, const v1::GetTransferRequest& request,
                                                 v1::Transfer* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("transfers/{transfer}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Transfer> transfer = TransferFor(tx, *id);
    if (!transfer.ok()) return transfer.status();
    if (!Allowed(call.principal(), Action::kReadClinic, ClinicIdOf(transfer->source_clinic())) &&
        !Allowed(call.principal(), Action::kReadClinic, ClinicIdOf(transfer->destination_clinic()))) {
      return Authorize(call.principal(), Action::kReadClinic, ClinicIdOf(transfer->source_clinic()));
    }
    *response = *std::move(transfer);
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleListTransfers(const server::Call& call, const v1::ListTransfersRequest& request,
                                                   v1::ListTransfersResponse* response) {
  status::FieldViolations bad;
  std::string clinic_id = "-";
  if (!request.clinic().empty()) {
    clinic_id = api::ParseId("clinics/{clinic}", request.clinic(), "clinic", bad).value_or("");
  }
  const uint64_t states = EnumMask(request.states(), v1::Transfer::State_IsValid, "states", bad);
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad)) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kReadClinic, clinic_id); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Transfer> transfers;
    std::vector<std::string> next;
    if (absl::Status s = store::ListTransfers(tx, clinic_id, states, page, &transfers, &next); !s.ok()) return s;
    for (v1::Transfer& t : transfers) *response->add_transfers() = std::move(t);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

}  // namespace clinic::inventory
