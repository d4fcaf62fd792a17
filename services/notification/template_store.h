#pragma once

// The templates and staff_contacts tables. Functions run inside a transaction the caller
// opens (see reminder_store.h); inputs are validated by the caller (validation.h).

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/notification/v1/template.pb.h"
#include "common/sql/database.h"
#include "services/notification/reminder_store.h"

namespace clinic::notification::store {

// Templates. Names are "templates/{template_id}". ALREADY_EXISTS (naming the other
// template) when the id is taken or an ACTIVE template exists for the kind, channel and
// language.
absl::Status InsertTemplate(sql::Transaction& tx, const std::string& template_id, const v1::Template& t,
                            absl::Time now, v1::Template* out);
absl::StatusOr<v1::Template> GetTemplate(sql::Transaction& tx, std::string_view template_id);
struct TemplateQuery {
  v1::ReminderKind kind = v1::REMINDER_KIND_UNSPECIFIED;  // all when unspecified
  type::v1::ContactChannel channel = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  std::string language_code;  // canonical; all when empty
};
// By id; the cursor is {template_id}.
absl::Status ListTemplates(sql::Transaction& tx, const TemplateQuery& query, const PageRequest& page,
                           std::vector<v1::Template>* out, std::vector<std::string>* next_cursor);
// Changes `paths` of the stored template to those of `t`, checks the result
// (validation.h CheckTemplate: INVALID_ARGUMENT) and writes it. ABORTED on a stale
// version; ALREADY_EXISTS as InsertTemplate when it becomes ACTIVE beside another.
absl::Status UpdateTemplate(sql::Transaction& tx, std::string_view template_id, const v1::Template& t,
                            const std::set<std::string>& paths, std::optional<int64_t> expected_version,
                            absl::Time now, v1::Template* out);
absl::Status DeleteTemplate(sql::Transaction& tx, std::string_view template_id,
                            std::optional<int64_t> expected_version);
// Every ACTIVE template of a kind (all channels and languages).
absl::StatusOr<std::vector<v1::Template>> ActiveTemplates(sql::Transaction& tx, v1::ReminderKind kind);

// Staff contacts. Names are "clinics/{clinic_id}/staffContacts/{staff_contact_id}".
absl::Status InsertStaffContact(sql::Transaction& tx, const std::string& clinic_id, const std::string& contact_id,
                                const v1::StaffContact& c, absl::Time now, v1::StaffContact* out);
absl::StatusOr<v1::StaffContact> GetStaffContact(sql::Transaction& tx, std::string_view clinic_id,
                                                 std::string_view contact_id);
// By id; the cursor is {staff_contact_id}.
absl::Status ListStaffContacts(sql::Transaction& tx, std::string_view clinic_id, const PageRequest& page,
                               std::vector<v1::StaffContact>* out, std::vector<std::string>* next_cursor);
// Changes `paths`, checks the result (CheckStaffContact) and writes it; ABORTED on a
// stale version.
absl::Status UpdateStaffContact(sql::Transaction& tx, std::string_view clinic_id, std::string_view contact_id,
                                const v1::StaffContact& c, const std::set<std::string>& paths,
                                std::optional<int64_t> expected_version, absl::Time now, v1::StaffContact* out);
absl::Status DeleteStaffContact(sql::Transaction& tx, std::string_view clinic_id, std::string_view contact_id,
                                std::optional<int64_t> expected_version);
// The contacts a staff alert goes to: the clinic's, with the role, not disabled, on
// `channel` (every channel when unspecified); by id.
absl::StatusOr<std::vector<v1::StaffContact>> AlertContacts(sql::Transaction& tx, std::string_view clinic_id,
                                                            std::string_view role, type::v1::ContactChannel channel);

}  // namespace clinic::notification::store
