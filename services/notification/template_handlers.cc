// The template and staff contact RPCs.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/api/field_mask.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "services/notification/domain/access.h"
#include "services/notification/domain/templates.h"
#include "services/notification/handler_support.h"
#include "services/notification/notification_service.h"
#include "services/notification/template_store.h"
#include "services/notification/validation.h"

namespace clinic::notification {
namespace {

using domain::Action;

constexpr std::string_view kTemplatePattern = "templates/{template}";
constexpr std::string_view kContactPattern = "clinics/{clinic}/staffContacts/{staff_contact}";

}  // namespace

absl::Status NotificationService::HandleCreateTemplate(const server::Call& call,
                                                       const v1::CreateTemplateRequest& request,
                                                       v1::Template* response) {
  if (absl::Status s = domain::Authorize(call.principal(), Action::kManageTemplates); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  if (!request.has_template_()) bad.Add("template", "required");
  CheckTemplate(request.template_(), bad);
  if (!request.template_id().empty() && !api::IsValidClientId(request.template_id())) {
    bad.Add("template_id", "1 to 63 characters of [a-z0-9-], starting with a letter");
  }
  if (!bad.empty()) return bad.ToStatus();
  const std::string id = request.template_id().empty() ? api::NewId() : request.template_id();
  const absl::Time now = clock_.Now();
  return Mutate(db_, "CreateTemplate", request, now, response, [&](sql::Transaction& tx) {
    return store::InsertTemplate(tx, id, request.template_(), now, response);
  });
}

absl::Status NotificationService::HandleGetTemplate(const server::Call& call, const v1::GetTemplateRequest& request,
                                                    v1::Template* response) {
  if (absl::Status s = domain::Authorize(call.principal(), Action::kReadTemplates); !s.ok()) return s;
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId(kTemplatePattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::Template> t = store::GetTemplate(tx, *id);
    if (!t.ok()) return AboutField("name", t.status());
    *response = *std::move(t);
    return absl::OkStatus();
  });
}

absl::Status NotificationService::HandleListTemplates(const server::Call& call,
                                                      const v1::ListTemplatesRequest& request,
                                                      v1::ListTemplatesResponse* response) {
  if (absl::Status s = domain::Authorize(call.principal(), Action::kReadTemplates); !s.ok()) return s;
  status::FieldViolations bad;
  store::TemplateQuery query;
  if (!v1::ReminderKind_IsValid(request.kind())) bad.Add("kind", "unknown value");
  if (!type::v1::ContactChannel_IsValid(request.channel())) bad.Add("channel", "unknown value");
  query.kind = request.kind();
  query.channel = request.channel();
  if (!request.language_code().empty()) {
    std::optional<std::string> language = domain::CanonicalLanguage(request.language_code());
    if (!language.has_value()) bad.Add("language_code", "a BCP-47 language tag such as \"en-GB\"");
    query.language_code = language.value_or("");
  }
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad)) return bad.ToStatus();
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::Template> templates;
    std::vector<std::string> next;
    if (absl::Status s = store::ListTemplates(tx, query, page, &templates, &next); !s.ok()) return s;
    for (v1::Template& t : templates) *response->add_templates() = std::move(t);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

absl::Status NotificationService::HandleUpdateTemplate(const server::Call& call,
                                                       const v1::UpdateTemplateRequest& request,
                                                       v1::Template* response) {
  if (absl::Status s = domain::Authorize(call.principal(), Action::kManageTemplates); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kTemplatePattern, request.template_().name(), "template.name", bad);
  const std::set<std::string> paths =
      api::CheckUpdateMask(request.update_mask(), {"subject", "body", "required_parameters", "state"}, bad);
  if (paths.count("state") != 0 && (request.template_().state() == v1::Template::STATE_UNSPECIFIED ||
                                    !v1::Template::State_IsValid(request.template_().state()))) {
    bad.Add("template.state", "ACTIVE or DISABLED");
  }
  if (!bad.empty()) return bad.ToStatus();
  const absl::Time now = clock_.Now();
  return Mutate(db_, "UpdateTemplate", request, now, response, [&](sql::Transaction& tx) {
    return AboutField("template.name", store::UpdateTemplate(tx, *id, request.template_(), paths,
                                                             ExpectedVersion(request.template_().etag()), now,
                                                             response));
  });
}

absl::Status NotificationService::HandleDeleteTemplate(const server::Call& call,
                                                       const v1::DeleteTemplateRequest& request,
                                                       google::protobuf::Empty* response) {
  if (absl::Status s = domain::Authorize(call.principal(), Action::kManageTemplates); !s.ok()) return s;
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kTemplatePattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return Mutate(db_, "DeleteTemplate", request, clock_.Now(), response, [&](sql::Transaction& tx) {
    return AboutField("name", store::DeleteTemplate(tx, *id, ExpectedVersion(request.etag())));
  });
}

absl::Status NotificationService::HandleCreateStaffContact(const server::Call& call,
                                                           const v1::CreateStaffContactRequest& request,
                                                           v1::StaffContact* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad);
  if (!request.has_staff_contact()) bad.Add("staff_contact", "required");
  CheckStaffContact(request.staff_contact(), bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kStaffContacts, *clinic_id); !s.ok()) return s;
  const std::string id = api::NewId();
  const absl::Time now = clock_.Now();
  return Mutate(db_, "CreateStaffContact", request, now, response, [&](sql::Transaction& tx) {
    return store::InsertStaffContact(tx, *clinic_id, id, request.staff_contact(), now, response);
  });
}

absl::Status NotificationService::HandleGetStaffContact(const server::Call& call,
                                                        const v1::GetStaffContactRequest& request,
                                                        v1::StaffContact* response) {
  status::FieldViolations bad;
  std::optional<std::vector<std::string>> ids = api::ParseName(kContactPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kStaffContacts, (*ids)[0]); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    absl::StatusOr<v1::StaffContact> c = store::GetStaffContact(tx, (*ids)[0], (*ids)[1]);
    if (!c.ok()) return AboutField("name", c.status());
    *response = *std::move(c);
    return absl::OkStatus();
  });
}

absl::Status NotificationService::HandleListStaffContacts(const server::Call& call,
                                                          const v1::ListStaffContactsRequest& request,
                                                          v1::ListStaffContactsResponse* response) {
  status::FieldViolations bad;
  std::optional<std::string> clinic_id = api::ParseId("clinics/{clinic}", request.parent(), "parent", bad);
  const uint64_t filters = api::FiltersOf(request);
  store::PageRequest page;
  if (!ReadPage(request.page_size(), request.page_token(), filters, 50, 200, &page, bad)) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kStaffContacts, *clinic_id); !s.ok()) return s;
  return db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
    response->Clear();
    std::vector<v1::StaffContact> contacts;
    std::vector<std::string> next;
    if (absl::Status s = store::ListStaffContacts(tx, *clinic_id, page, &contacts, &next); !s.ok()) return s;
    for (v1::StaffContact& c : contacts) *response->add_staff_contacts() = std::move(c);
    response->set_next_page_token(NextToken(filters, next));
    return absl::OkStatus();
  });
}

absl::Status NotificationService::HandleUpdateStaffContact(const server::Call& call,
                                                           const v1::UpdateStaffContactRequest& request,
                                                           v1::StaffContact* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> ids =
      api::ParseName(kContactPattern, request.staff_contact().name(), "staff_contact.name", bad);
  const std::set<std::string> paths = api::CheckUpdateMask(
      request.update_mask(), {"role", "channel", "address", "display_name", "disabled"}, bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kStaffContacts, (*ids)[0]); !s.ok()) return s;
  const absl::Time now = clock_.Now();
  return Mutate(db_, "UpdateStaffContact", request, now, response, [&](sql::Transaction& tx) {
    return AboutField("staff_contact.name",
                      store::UpdateStaffContact(tx, (*ids)[0], (*ids)[1], request.staff_contact(), paths,
                                                ExpectedVersion(request.staff_contact().etag()), now, response));
  });
}

absl::Status NotificationService::HandleDeleteStaffContact(const server::Call& call,
                                                           const v1::DeleteStaffContactRequest& request,
                                                           google::protobuf::Empty* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::vector<std::string>> ids = api::ParseName(kContactPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  if (absl::Status s = domain::Authorize(call.principal(), Action::kStaffContacts, (*ids)[0]); !s.ok()) return s;
  return Mutate(db_, "DeleteStaffContact", request, clock_.Now(), response, [&](sql::Transaction& tx) {
    return AboutField("name", store::DeleteStaffContact(tx, (*ids)[0], (*ids)[1], ExpectedVersion(request.etag())));
  });
}

}  // namespace clinic::notification
