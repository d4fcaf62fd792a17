#include "services/notification/template_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/status/status.h"
#include "google/protobuf/util/field_mask_util.h"
#include "nlohmann/json.hpp"
#include "services/notification/domain/templates.h"
#include "services/notification/validation.h"

namespace clinic::notification::store {
namespace {

constexpr int64_t kActive = v1::Template::STATE_ACTIVE;

constexpr std::string_view kTemplateColumns =
    "template_id, kind, channel, language_code, subject, body, required_parameters, state, create_time_us, "
    "update_time_us, version";

std::string NamesJson(const google::protobuf::RepeatedPtrField<std::string>& names) {
  nlohmann::json j = nlohmann::json::array();
  for (const std::string& n : names) j.push_back(n);
  return j.dump();
}

v1::Template TemplateFromRow(const sql::Row& row) {
  v1::Template t;
  t.set_name("templates/" + row.GetText(0));
  t.set_kind(static_cast<v1::ReminderKind>(row.GetInt64(1)));
  t.set_channel(static_cast<type::v1::ContactChannel>(row.GetInt64(2)));
  t.set_language_code(row.GetText(3));
  t.set_subject(row.GetText(4));
  t.set_body(row.GetText(5));
  const nlohmann::json names = nlohmann::json::parse(row.GetText(6), nullptr, /*allow_exceptions=*/false);
  if (names.is_array()) {
    for (const nlohmann::json& n : names) {
      if (n.is_string()) t.add_required_parameters(n.get<std::string>());
    }
  }
  t.set_state(static_cast<v1::Template::State>(row.GetInt64(7)));
  *t.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(8));
  *t.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(9));
  t.set_etag(api::Etag(row.GetInt64(10)));
  return t;
}

constexpr std::string_view kContactColumns =
    "clinic_id, staff_contact_id, role, channel, address, display_name, disabled, create_time_us, update_time_us, "
    "version";

v1::StaffContact ContactFromRow(const sql::Row& row) {
  v1::StaffContact c;
  c.set_name(absl::StrCat("clinics/", row.GetText(0), "/staffContacts/", row.GetText(1)));
  c.set_role(row.GetText(2));
  c.set_channel(static_cast<type::v1::ContactChannel>(row.GetInt64(3)));
  c.set_address(row.GetText(4));
  c.set_display_name(row.GetText(5));
  c.set_disabled(row.GetBool(6));
  *c.mutable_create_time() = api::TimestampFromMicros(row.GetInt64(7));
  *c.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(8));
  c.set_etag(api::Etag(row.GetInt64(9)));
  return c;
}

absl::Status StaleEtag(std::string_view what) {
  return absl::AbortedError(std::string(what) + " changed since it was read (stale etag); read it again");
}

bool Stale(std::optional<int64_t> expected, const std::string& etag) {
  return expected.has_value() && api::Etag(*expected) != etag;
}

// Copies the fields named by `paths` from `from` into `to` (AIP-134).
void MergeFields(const google::protobuf::Message& from, const std::set<std::string>& paths,
                 google::protobuf::Message* to) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, options, to);
}

absl::Status ActiveExists(sql::Transaction& tx, const v1::Template& t, std::string_view except_id) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT template_id FROM templates WHERE kind = $1 AND channel = $2 AND language_code = $3 AND state = $4 "
      "AND template_id <> $5",
      {static_cast<int64_t>(t.kind()), static_cast<int64_t>(t.channel()), t.language_code(), kActive,
       std::string(except_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::OkStatus();
  return status::AlreadyExists("clinic.notification.v1.Template", "templates/" + (*rows)[0].GetText(0),
                               "an ACTIVE template exists for this kind, channel and language");
}

}  // namespace

absl::Status InsertTemplate(sql::Transaction& tx, const std::string& template_id, const v1::Template& t,
                            absl::Time now, v1::Template* out) {
  v1::Template stored = t;
  stored.set_language_code(domain::CanonicalLanguage(t.language_code()).value_or(t.language_code()));
  if (stored.state() == v1::Template::STATE_UNSPECIFIED) stored.set_state(v1::Template::STATE_ACTIVE);
  if (stored.state() == v1::Template::STATE_ACTIVE) {
    if (absl::Status s = ActiveExists(tx, stored, template_id); !s.ok()) return s;
  }
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO templates (template_id, kind, channel, language_code, subject, body, required_parameters, state, "
      "create_time_us, update_time_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING",
      {template_id, static_cast<int64_t>(stored.kind()), static_cast<int64_t>(stored.channel()),
       stored.language_code(), stored.subject(), stored.body(), NamesJson(stored.required_parameters()),
       static_cast<int64_t>(stored.state()), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    // The id is taken, or (a concurrent create) an ACTIVE template for the kind, channel
    // and language now exists: name whichever is there.
    if (stored.state() == v1::Template::STATE_ACTIVE) {
      if (absl::Status s = ActiveExists(tx, stored, template_id); !s.ok()) return s;
    }
    return status::AlreadyExists("clinic.notification.v1.Template", "templates/" + template_id,
                                 "a template with this id exists");
  }
  absl::StatusOr<v1::Template> r = GetTemplate(tx, template_id);
  if (!r.ok()) return r.status();
  *out = *std::move(r);
  return absl::OkStatus();
}

absl::StatusOr<v1::Template> GetTemplate(sql::Transaction& tx, std::string_view template_id) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kTemplateColumns) + " FROM templates WHERE template_id = $1", {std::string(template_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such template");
  return TemplateFromRow((*rows)[0]);
}

absl::Status ListTemplates(sql::Transaction& tx, const TemplateQuery& query, const PageRequest& page,
                           std::vector<v1::Template>* out, std::vector<std::string>* next_cursor) {
  const std::string after = page.after.size() == 1 ? page.after[0] : std::string();
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kTemplateColumns) +
          " FROM templates WHERE ($1 = 0 OR kind = $1) AND ($2 = 0 OR channel = $2) "
          "AND ($3 = '' OR language_code = $3) AND template_id > $4 ORDER BY template_id LIMIT $5",
      {static_cast<int64_t>(query.kind), static_cast<int64_t>(query.channel), query.language_code, after,
       page.limit});
  if (!rows.ok()) return rows.status();
  next_cursor->clear();
  for (const sql::Row& row : *rows) {
    out->push_back(TemplateFromRow(row));
    *next_cursor = {row.GetText(0)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::Status UpdateTemplate(sql::Transaction& tx, std::string_view template_id, const v1::Template& t,
                            const std::set<std::string>& paths, std::optional<int64_t> expected_version,
                            absl::Time now, v1::Template* out) {
  absl::StatusOr<v1::Template> current = GetTemplate(tx, template_id);
  if (!current.ok()) return current.status();
  if (Stale(expected_version, current->etag())) return StaleEtag("the template");
  MergeFields(t, paths, &*current);
  if (current->state() == v1::Template::STATE_UNSPECIFIED) current->set_state(v1::Template::STATE_ACTIVE);
  status::FieldViolations bad;
  CheckTemplate(*current, bad);
  if (!bad.empty()) return bad.ToStatus();
  if (current->state() == v1::Template::STATE_ACTIVE) {
    if (absl::Status s = ActiveExists(tx, *current, template_id); !s.ok()) return s;
  }
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE templates SET subject = $2, body = $3, required_parameters = $4, state = $5, update_time_us = $6, "
      "version = version + 1 WHERE template_id = $1",
      {std::string(template_id), current->subject(), current->body(), NamesJson(current->required_parameters()),
       static_cast<int64_t>(current->state()), absl::ToUnixMicros(now)});
  if (!n.ok()) return n.status();
  absl::StatusOr<v1::Template> r = GetTemplate(tx, template_id);
  if (!r.ok()) return r.status();
  *out = *std::move(r);
  return absl::OkStatus();
}

absl::Status DeleteTemplate(sql::Transaction& tx, std::string_view template_id,
                            std::optional<int64_t> expected_version) {
  absl::StatusOr<v1::Template> current = GetTemplate(tx, template_id);
  if (!current.ok()) return current.status();
  if (Stale(expected_version, current->etag())) return StaleEtag("the template");
  return tx.Execute("DELETE FROM templates WHERE template_id = $1", {std::string(template_id)}).status();
}

absl::StatusOr<std::vector<v1::Template>> ActiveTemplates(sql::Transaction& tx, v1::ReminderKind kind) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT " + std::string(kTemplateColumns) + " FROM templates WHERE kind = $1 AND state = $2 ORDER BY template_id",
               {static_cast<int64_t>(kind), kActive});
  if (!rows.ok()) return rows.status();
  std::vector<v1::Template> out;
  for (const sql::Row& row : *rows) out.push_back(TemplateFromRow(row));
  return out;
}

absl::Status InsertStaffContact(sql::Transaction& tx, const std::string& clinic_id, const std::string& contact_id,
                                const v1::StaffContact& c, absl::Time now, v1::StaffContact* out) {
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO staff_contacts (clinic_id, staff_contact_id, role, channel, address, display_name, disabled, "
      "create_time_us, update_time_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING",
      {clinic_id, contact_id, c.role(), static_cast<int64_t>(c.channel()), c.address(), c.display_name(), c.disabled(),
       absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    return status::AlreadyExists("clinic.notification.v1.StaffContact",
                                 absl::StrCat("clinics/", clinic_id, "/staffContacts/", contact_id),
                                 "a staff contact with this id exists");
  }
  absl::StatusOr<v1::StaffContact> r = GetStaffContact(tx, clinic_id, contact_id);
  if (!r.ok()) return r.status();
  *out = *std::move(r);
  return absl::OkStatus();
}

absl::StatusOr<v1::StaffContact> GetStaffContact(sql::Transaction& tx, std::string_view clinic_id,
                                                 std::string_view contact_id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query("SELECT " + std::string(kContactColumns) +
                   " FROM staff_contacts WHERE clinic_id = $1 AND staff_contact_id = $2",
               {std::string(clinic_id), std::string(contact_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such staff contact");
  return ContactFromRow((*rows)[0]);
}

absl::Status ListStaffContacts(sql::Transaction& tx, std::string_view clinic_id, const PageRequest& page,
                               std::vector<v1::StaffContact>* out, std::vector<std::string>* next_cursor) {
  const std::string after = page.after.size() == 1 ? page.after[0] : std::string();
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kContactColumns) +
          " FROM staff_contacts WHERE clinic_id = $1 AND staff_contact_id > $2 ORDER BY staff_contact_id LIMIT $3",
      {std::string(clinic_id), after, page.limit});
  if (!rows.ok()) return rows.status();
  next_cursor->clear();
  for (const sql::Row& row : *rows) {
    out->push_back(ContactFromRow(row));
    *next_cursor = {row.GetText(1)};
  }
  if (static_cast<int>(rows->size()) < page.limit) next_cursor->clear();
  return absl::OkStatus();
}

absl::Status UpdateStaffContact(sql::Transaction& tx, std::string_view clinic_id, std::string_view contact_id,
                                const v1::StaffContact& c, const std::set<std::string>& paths,
                                std::optional<int64_t> expected_version, absl::Time now, v1::StaffContact* out) {
  absl::StatusOr<v1::StaffContact> current = GetStaffContact(tx, clinic_id, contact_id);
  if (!current.ok()) return current.status();
  if (Stale(expected_version, current->etag())) return StaleEtag("the staff contact");
  MergeFields(c, paths, &*current);
  status::FieldViolations bad;
  CheckStaffContact(*current, bad);
  if (!bad.empty()) return bad.ToStatus();
  absl::StatusOr<int64_t> n = tx.Execute(
      "UPDATE staff_contacts SET role = $3, channel = $4, address = $5, display_name = $6, disabled = $7, "
      "update_time_us = $8, version = version + 1 WHERE clinic_id = $1 AND staff_contact_id = $2",
      {std::string(clinic_id), std::string(contact_id), current->role(), static_cast<int64_t>(current->channel()),
       current->address(), current->display_name(), current->disabled(), absl::ToUnixMicros(now)});
  if (!n.ok()) return n.status();
  absl::StatusOr<v1::StaffContact> r = GetStaffContact(tx, clinic_id, contact_id);
  if (!r.ok()) return r.status();
  *out = *std::move(r);
  return absl::OkStatus();
}

absl::Status DeleteStaffContact(sql::Transaction& tx, std::string_view clinic_id, std::string_view contact_id,
                                std::optional<int64_t> expected_version) {
  absl::StatusOr<v1::StaffContact> current = GetStaffContact(tx, clinic_id, contact_id);
  if (!current.ok()) return current.status();
  if (Stale(expected_version, current->etag())) return StaleEtag("the staff contact");
  return tx
      .Execute("DELETE FROM staff_contacts WHERE clinic_id = $1 AND staff_contact_id = $2",
               {std::string(clinic_id), std::string(contact_id)})
      .status();
}

absl::StatusOr<std::vector<v1::StaffContact>> AlertContacts(sql::Transaction& tx, std::string_view clinic_id,
                                                            std::string_view role, type::v1::ContactChannel channel) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT " + std::string(kContactColumns) +
          " FROM staff_contacts WHERE clinic_id = $1 AND role = $2 AND NOT disabled AND ($3 = 0 OR channel = $3) "
          "ORDER BY staff_contact_id",
      {std::string(clinic_id), std::string(role), static_cast<int64_t>(channel)});
  if (!rows.ok()) return rows.status();
  std::vector<v1::StaffContact> out;
  for (const sql::Row& row : *rows) out.push_back(ContactFromRow(row));
  return out;
}

}  // namespace clinic::notification::store
