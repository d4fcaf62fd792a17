// The regimen RPCs (regimens are data, not patient records: no access log entries).
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "services/patient/domain/treatment_validation.h"
#include "services/patient/handler_support.h"
#include "services/patient/patient_service.h"
#include "services/patient/treatment_store.h"

namespace clinic::patient {
namespace {

using domain::PatientAction;

}  // namespace

absl::Status PatientService::HandleCreateRegimen(const server::Call& call, const v1::CreateRegimenRequest& request,
                                                 v1::Regimen* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kManageRegimens); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  if (!request.has_regimen()) bad.Add("regimen", "required");
  domain::ValidateRegimen(request.regimen(), "regimen", bad);
  if (!request.regimen_id().empty() && !api::IsValidClientId(request.regimen_id())) {
    bad.Add("regimen_id", "1 to 63 characters of [a-z0-9-], starting with a letter");
  }
  if (!bad.empty()) return bad.ToStatus();
  const std::string id = request.regimen_id().empty() ? api::NewId() : request.regimen_id();
  return AuditedOnce(call, "CreateRegimen", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit&) -> absl::Status {
                       absl::StatusOr<v1::Regimen> regimen =
                           store::InsertRegimen(tx, id, request.regimen(), clock_.Now());
                       if (!regimen.ok()) return regimen.status();
                       *response = *std::move(regimen);
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleGetRegimen(const server::Call& call, const v1::GetRegimenRequest& request,
                                              v1::Regimen* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kReadRegimens); !s.ok()) return s;
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("regimens/{regimen}", request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Regimen> regimen = store::GetRegimen(tx, *id);
    if (!regimen.ok()) return AboutField("name", regimen.status());
    *response = *std::move(regimen);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleListRegimens(const server::Call& call, const v1::ListRegimensRequest& request,
                                                v1::ListRegimensResponse* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kReadRegimens); !s.ok()) return s;
  status::FieldViolations bad;
  store::PageRequest page;
  const uint64_t filters = api::FiltersOf(request);
  ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Regimen> regimens;
    if (absl::Status s = store::ListRegimens(tx, request.show_retired(), page, &regimens); !s.ok()) return s;
    if (static_cast<int>(regimens.size()) == page.limit) {
      regimens.pop_back();
      response->set_next_page_token(api::EncodePageToken(
          filters, {regimens.back().display_name(), regimens.back().name().substr(sizeof("regimens/") - 1)}));
    }
    for (v1::Regimen& r : regimens) *response->add_regimens() = std::move(r);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleUpdateRegimen(const server::Call& call, const v1::UpdateRegimenRequest& request,
                                                 v1::Regimen* response) {
  if (absl::Status s = RoleCheck(call.principal(), PatientAction::kManageRegimens); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  const v1::Regimen& regimen = request.regimen();
  std::optional<std::string> id = api::ParseId("regimens/{regimen}", regimen.name(), "regimen.name", bad);
  if (regimen.etag().empty()) bad.Add("regimen.etag", "required: the etag read last");
  domain::ValidateRegimenUpdate(regimen, request.update_mask(), "regimen", bad);
  if (!bad.empty()) return bad.ToStatus();
  const std::set<std::string> paths(request.update_mask().paths().begin(), request.update_mask().paths().end());
  return AuditedOnce(call, "UpdateRegimen", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit&) -> absl::Status {
                       absl::StatusOr<v1::Regimen> updated = store::UpdateRegimen(
                           tx, *id, regimen, paths, VersionOfEtag(regimen.etag()), clock_.Now());
                       if (!updated.ok()) return AboutField("regimen.name", updated.status());
                       *response = *std::move(updated);
                       return absl::OkStatus();
                     });
}

}  // namespace clinic::patient
