#pragma once

// The access log entries of one call: every record the call reads or writes is noted
// while the call runs, and the entries are appended when it succeeds (WriteAllowed).
// Either way, an allowed access whose entry cannot be written fails with UNAVAILABLE:
// its answer is not returned (a read) and nothing commits (a write).
//
// A call that changes records appends its entries in its own transaction, after the
// changes (WriteAllowed(tx)), so a change and its entry commit together.
//
// A read (a call that changes nothing) decides its answer from a read-only transaction
// or the cache, then appends its entries through the AccessLogWriter
// (WriteAllowed(writer)), which commits the entries of concurrent reads in one write
// transaction (group commit) and returns once the transaction holding them committed; the
// read answers only then. So an answer is never returned without its entry committed,
// but the entry is not in the transaction the record was read in: it records an access
// to the state the read saw, and may be sequenced after a change that committed in the
// meantime.
//
// A call refused by authorisation (NOT_FOUND for a record the caller may not see,
// PERMISSION_DENIED) or that failed after being allowed (stale etag, a precondition...)
// changes nothing, so its transaction rolls back; its entries (outcome DENIED or FAILED)
// are then appended through the AccessLogWriter (WriteRefused). That is best effort:
// the call has failed anyway, and answering differently when that append fails would
// tell a caller that an invisible record exists. A record that does not exist has no log,
// so nothing is written for it.
//
// Not thread-safe: one per call, used by the call's thread.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/patient/v1/access_log.pb.h"
#include "common/server/call.h"
#include "common/sql/database.h"
#include "services/patient/access_log_writer.h"
#include "services/patient/domain/access_policy.h"
#include "services/patient/patient_store.h"

namespace clinic::patient {

// The purpose of a call from its x-access-purpose metadata: "care", "administration",
// "reminder", "recall", "data_protection"; CARE when absent for staff roles, UNSPECIFIED
// when absent for service identities. INVALID_ARGUMENT (naming "x-access-purpose") for
// any other value.
absl::StatusOr<v1::AccessPurpose> AccessPurposeOf(const server::Call& call);

class CallAudit {
 public:
  // `method` is the RPC's short name, e.g. "GetPatient".
  CallAudit(const server::Call& call, std::string_view method, v1::AccessPurpose purpose, absl::Time now);

  // Forgets what an earlier attempt of the transaction noted (Transact may run it again).
  void Reset();

  // Notes an access (`action` on `resource`) to the record `patient_id`.
  void Note(std::string patient_id, v1::AccessAction action, std::string resource);

  // The caller doing `policy_action` to `record` (nullopt: no such record), noting the
  // access when the record exists: OK, or the status of the refusal (domain::Authorize:
  // PERMISSION_DENIED, or NOT_FOUND for `requested_name` exactly as for a missing record).
  absl::Status Authorize(const std::optional<store::PatientRecord>& record, domain::PatientAction policy_action,
                         v1::AccessAction action, std::string resource, std::string_view requested_name);

  // Appends the noted accesses with outcome ALLOWED in `tx`; UNAVAILABLE if they cannot
  // be written.
  absl::Status WriteAllowed(sql::Transaction& tx);

  // A read's: appends the noted accesses with outcome ALLOWED through `writer` and
  // returns once they are committed; UNAVAILABLE if they cannot be written.
  absl::Status WriteAllowed(AccessLogWriter& writer);

  // The status of the call whose transaction ended with `status`: UNAVAILABLE when the
  // access log could not be written (Transact returns the failed statement's own error),
  // `status` otherwise.
  absl::Status Outcome(absl::Status status) const;

  // After the call failed with `status`: appends the noted accesses with outcome DENIED
  // (refused by authorisation) or FAILED through `writer`. Best effort; nothing when the
  // call failed because its entries could not be written (the access did not happen).
  void WriteRefused(AccessLogWriter& writer, const absl::Status& status);

  const auth::Principal& principal() const { return principal_; }

  // The records noted with an action that may change them (anything but READ and
  // CREATE), each once, in the order first noted: the records whose cache entries the
  // call must invalidate after it commits.
  std::vector<std::string> ChangedPatients() const;

 private:
  struct Access {
    std::string patient_id;
    v1::AccessAction action;
    std::string resource;
  };
  std::vector<PendingAccessLogEntry> Entries(v1::AccessOutcome outcome) const;

  const auth::Principal& principal_;
  std::string method_;
  std::string request_id_;
  v1::AccessPurpose purpose_;
  absl::Time now_;
  std::vector<Access> accesses_;
  bool denied_ = false;
  bool write_failed_ = false;
};

}  // namespace clinic::patient
