#include "services/patient/audit.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/auth/role.h"
#include "common/status/status.h"
#include "services/patient/access_log_store.h"

namespace clinic::patient {

absl::StatusOr<v1::AccessPurpose> AccessPurposeOf(const server::Call& call) {
  const std::string& value = call.access_purpose();
  if (value.empty()) {
    return call.principal().role == auth::Role::kService ? v1::ACCESS_PURPOSE_UNSPECIFIED : v1::ACCESS_PURPOSE_CARE;
  }
  if (value == "care") return v1::ACCESS_PURPOSE_CARE;
  if (value == "administration") return v1::ACCESS_PURPOSE_ADMINISTRATION;
  if (value == "reminder") return v1::ACCESS_PURPOSE_REMINDER;
  if (value == "recall") return v1::ACCESS_PURPOSE_RECALL;
  if (value == "data_protection") return v1::ACCESS_PURPOSE_DATA_PROTECTION;
  return status::InvalidField("x-access-purpose",
                              "must be one of care, administration, reminder, recall, data_protection");
}

CallAudit::CallAudit(const server::Call& call, std::string_view method, v1::AccessPurpose purpose, absl::Time now)
    : principal_(call.principal()),
      method_(absl::StrCat("clinic.patient.v1.PatientService/", std::string(method))),
      request_id_(call.ids().request_id),
      purpose_(purpose),
      now_(now) {}

void CallAudit::Reset() {
  accesses_.clear();
  denied_ = false;
  write_failed_ = false;
}

void CallAudit::Note(std::string patient_id, v1::AccessAction action, std::string resource) {
  accesses_.push_back({std::move(patient_id), action, std::move(resource)});
}

std::vector<std::string> CallAudit::ChangedPatients() const {
  std::vector<std::string> ids;
  for (const Access& access : accesses_) {
    if (access.action == v1::ACCESS_ACTION_READ || access.action == v1::ACCESS_ACTION_CREATE) continue;
    if (std::find(ids.begin(), ids.end(), access.patient_id) == ids.end()) ids.push_back(access.patient_id);
  }
  return ids;
}

absl::Status CallAudit::Authorize(const std::optional<store::PatientRecord>& record,
                                  domain::PatientAction policy_action, v1::AccessAction action, std::string resource,
                                  std::string_view requested_name) {
  const domain::AccessDecision decision =
      domain::Authorize(principal_, policy_action, record.has_value() ? &record->sharing : nullptr);
  if (record.has_value()) Note(record->patient_id, action, std::move(resource));
  if (decision == domain::AccessDecision::kAllow) return absl::OkStatus();
  if (record.has_value()) denied_ = true;
  return domain::DecisionToStatus(decision, principal_, policy_action, requested_name);
}

std::vector<PendingAccessLogEntry> CallAudit::Entries(v1::AccessOutcome outcome) const {
  std::vector<PendingAccessLogEntry> entries;
  entries.reserve(accesses_.size());
  for (const Access& access : accesses_) {
    PendingAccessLogEntry& entry = entries.emplace_back();
    entry.patient_id = access.patient_id;
    domain::AccessLogRecord& record = entry.record;
    record.principal = principal_.subject;
    record.role = std::string(auth::RoleName(principal_.role));
    record.clinic = domain::PrincipalClinicName(principal_);
    record.action = access.action;
    record.method = method_;
    record.resource = access.resource;
    record.purpose = purpose_;
    record.outcome = outcome;
    record.request_id = request_id_;
    record.access_time = now_;
  }
  return entries;
}

absl::Status CallAudit::WriteAllowed(sql::Transaction& tx) {
  for (PendingAccessLogEntry& entry : Entries(v1::ACCESS_OUTCOME_ALLOWED)) {
    if (absl::Status s = store::AppendAccessLog(tx, entry.patient_id, std::move(entry.record)); !s.ok()) {
      write_failed_ = true;
      return absl::UnavailableError(absl::StrCat("the access log could not be written: ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status CallAudit::WriteAllowed(AccessLogWriter& writer) {
  absl::Status s = writer.Append(Entries(v1::ACCESS_OUTCOME_ALLOWED));
  if (!s.ok()) write_failed_ = true;
  return s;
}

absl::Status CallAudit::Outcome(absl::Status status) const {
  if (status.ok() || !write_failed_ || status.code() == absl::StatusCode::kUnavailable) return status;
  return absl::UnavailableError(absl::StrCat("the access log could not be written: ", status.message()));
}

void CallAudit::WriteRefused(AccessLogWriter& writer, const absl::Status& status) {
  if (accesses_.empty() || status.ok() || write_failed_) return;
  (void)writer.Append(Entries(denied_ ? v1::ACCESS_OUTCOME_DENIED : v1::ACCESS_OUTCOME_FAILED));
}

}  // namespace clinic::patient
