// The audited transaction every handler runs in.
#include "services/patient/patient_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "services/patient/handler_support.h"

namespace clinic::patient {

absl::Status PatientService::Audited(const server::Call& call, std::string_view method, AuditedFn fn) {
  absl::StatusOr<v1::AccessPurpose> purpose = AccessPurposeOf(call);
  if (!purpose.ok()) return purpose.status();
  const absl::Time now = clock_.Now();
  CallAudit audit(call, method, *purpose, now);
  absl::Status status = db_.Transact(WriteOptions(), [&](sql::Transaction& tx) -> absl::Status {
    audit.Reset();
    if (absl::Status s = fn(tx, audit); !s.ok()) return s;
    return audit.WriteAllowed(tx);
  });
  status = audit.Outcome(std::move(status));
  if (!status.ok()) audit.WriteRefused(db_, status);
  return status;
}

absl::Status PatientService::AuditedOnce(const server::Call& call, std::string_view method,
                                         const google::protobuf::Message& request, const std::string& request_id,
                                         google::protobuf::Message* response, AuditedFn fn) {
  absl::StatusOr<v1::AccessPurpose> purpose = AccessPurposeOf(call);
  if (!purpose.ok()) return purpose.status();
  const absl::Time now = clock_.Now();
  CallAudit audit(call, method, *purpose, now);
  const api::RequestKey key{request_id, absl::StrCat(std::string(method), " ", call.principal().subject),
                            api::Fingerprint(request)};
  absl::Status status = api::RunOnce(db_, WriteOptions(), key, now, response, [&](sql::Transaction& tx) {
    audit.Reset();
    if (absl::Status s = fn(tx, audit); !s.ok()) return s;
    return audit.WriteAllowed(tx);
  });
  status = audit.Outcome(std::move(status));
  if (!status.ok()) audit.WriteRefused(db_, status);
  return status;
}

absl::StatusOr<store::PatientRecord> PatientService::LoadAuthorized(sql::Transaction& tx, CallAudit& audit,
                                                                    std::string_view patient_id,
                                                                    domain::PatientAction policy_action,
                                                                    v1::AccessAction action, std::string resource,
                                                                    std::string_view requested_name) {
  absl::StatusOr<std::optional<store::PatientRecord>> record = store::LoadPatient(tx, patient_id);
  if (!record.ok()) return record.status();
  if (absl::Status s = audit.Authorize(*record, policy_action, action, std::move(resource), requested_name); !s.ok()) {
    return s;
  }
  return **std::move(record);
}

}  // namespace clinic::patient
