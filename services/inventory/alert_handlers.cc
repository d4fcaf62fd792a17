// The alert RPCs: staff alerts of a clinic (raised by stock writes, see alert_store.h).
#include <optional>
#include <string>
#include <vector>

#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "common/api/resource_name.h"
#include "common/status/status.h"
#include "services/inventory/alert_store.h"
#include "services/inventory/domain/access.h"
#include "services/inventory/handler_support.h"
#include "services/inventory/inventory_service.h"

namespace clinic::inventory {

absl::Status InventoryService::HandleListAlerts(const server::Call& call, const v1::ListAlertsRequest& request,
                                                v1::ListAlertsResponse* response) {
  status::FieldViolations bad;
  store::AlertQuery query;
  query.clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad, {.allow_wildcard = true}).value_or("");
  query.kind_mask = EnumMask(request.kinds(), v1::AlertKind_IsValid, "kinds", bad);
  query.state_mask = EnumMask(request.states(), v1::Alert::State_IsValid, "states", bad);
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 500, &page, bad)) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kReadAlerts, query.clinic_id); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    if (query.clinic_id != "-") {
      if (absl::StatusOr<store::ClinicSettings> c = store::GetClinicSettings(tx, query.clinic_id); !c.ok()) {
        return AboutField("parent", c.status());
      }
    }
    std::vector<v1::Alert> alerts;
    std::vector<std::string> next;
    if (absl::Status s = store::ListAlerts(tx, query, page, &alerts, &next); !s.ok()) return s;
    for (v1::Alert& a : alerts) *response->add_alerts() = std::move(a);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

absl::Status InventoryService::HandleAcknowledgeAlert(const server::Call& call,
                                                      const v1::AcknowledgeAlertRequest& request,
                                                      v1::Alert* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> ids =
      api::ParseName("clinics/{clinic}/alerts/{alert}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = Authorize(call.principal(), Action::kManageStock, (*ids)[0]); !s.ok()) return s;
  const absl::Time now = clock_.Now();
  return Mutate(db_, "AcknowledgeAlert", request, now, response, [&](sql::Transaction& tx) -> absl::Status {
    return AboutField("name",
                      store::AcknowledgeAlert(tx, (*ids)[0], (*ids)[1], call.principal().subject, now, response));
  });
}

}  // namespace clinic::inventory
