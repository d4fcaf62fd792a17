// The audited transactions the handlers run in: AuditedRead (reads) and AuditedOnce (changes).
#include "services/patient/patient_service.h"

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api/idempotency.h"
#include "common/api/paging.h"
#include "services/patient/handler_support.h"

namespace clinic::patient {
namespace {

// Stands for a transaction where a cache hit should need none: every statement fails,
// and used() says whether one was tried.
class NoTransaction final : public sql::Transaction {
 public:
  explicit NoTransaction(sql::Dialect dialect) : dialect_(dialect) {}

  sql::Dialect dialect() const override { return dialect_; }
  absl::StatusOr<sql::ResultSet> Query(std::string_view, std::span<const sql::Value>) override { return Refuse(); }
  absl::StatusOr<int64_t> Execute(std::string_view, std::span<const sql::Value>) override { return Refuse(); }
  absl::Status ExecuteScript(std::string_view) override { return Refuse(); }

  bool used() const { return used_; }

 private:
  absl::Status Refuse() {
    used_ = true;
    return absl::FailedPreconditionError("no transaction");
  }

  const sql::Dialect dialect_;
  bool used_ = false;
};

}  // namespace

absl::Status PatientService::AuditedRead(const server::Call& call, std::string_view method, AuditedFn fn,
                                         bool try_without_database) {
  absl::StatusOr<v1::AccessPurpose> purpose = AccessPurposeOf(call);
  if (!purpose.ok()) return purpose.status();
  CallAudit audit(call, method, *purpose, clock_.Now());
  absl::Status status;
  bool answered = false;
  if (try_without_database) {
    NoTransaction none(db_.dialect());
    audit.Reset();
    status = fn(none, audit);
    answered = !none.used();
  }
  if (!answered) {
    status = db_.Transact(ReadOptions(), [&](sql::Transaction& tx) -> absl::Status {
      audit.Reset();
      return fn(tx, audit);
    });
  }
  if (status.ok()) status = audit.WriteAllowed(access_log_writer_);
  if (!status.ok()) audit.WriteRefused(access_log_writer_, status);
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
  std::vector<std::pair<std::string, int64_t>> changed;
  absl::Status status = api::RunOnce(db_, WriteOptions(), key, now, response, [&](sql::Transaction& tx) {
    audit.Reset();
    changed.clear();
    if (absl::Status s = fn(tx, audit); !s.ok()) return s;
    if (absl::Status s = CollectChanged(tx, audit, &changed); !s.ok()) return s;
    return audit.WriteAllowed(tx);
  });
  status = audit.Outcome(std::move(status));
  if (!status.ok()) audit.WriteRefused(access_log_writer_, status);
  // Also after a failure that came after the changes (a commit whose outcome is unknown):
  // a tombstone for a change that did not commit only keeps the record out of the cache.
  InvalidateChanged(call, changed);
  return status;
}

absl::StatusOr<store::PatientRecord> PatientService::LoadAuthorized(sql::Transaction& tx, CallAudit& audit,
                                                                    std::string_view patient_id,
                                                                    domain::PatientAction policy_action,
                                                                    v1::AccessAction action, std::string resource,
                                                                    std::string_view requested_name, CacheRead* read) {
  std::optional<store::PatientRecord> record;
  if (read != nullptr && read->hit.has_value()) {
    record = read->hit->record;
  } else {
    absl::StatusOr<std::optional<store::PatientRecord>> loaded = store::LoadPatient(tx, patient_id);
    if (!loaded.ok()) return loaded.status();
    record = *std::move(loaded);
    if (read != nullptr) read->loaded = record;
  }
  if (absl::Status s = audit.Authorize(record, policy_action, action, std::move(resource), requested_name); !s.ok()) {
    return s;
  }
  return *std::move(record);
}

PatientService::CacheRead PatientService::LookUpCache(const server::Call& call, std::string_view patient_id) {
  CacheRead read;
  if (cache_ != nullptr) read.hit = cache_->Get(patient_id, call.deadline());
  return read;
}

void PatientService::FillCache(const server::Call& call, const CacheRead& read, const absl::Status& status) {
  if (cache_ == nullptr || !status.ok()) return;
  const v1::Consent* consent = read.loaded_consent.has_value() ? &*read.loaded_consent : nullptr;
  if (read.loaded.has_value()) {
    cache_->Put(*read.loaded, consent, call.deadline());
  } else if (read.hit.has_value() && !read.hit->consent.has_value() && consent != nullptr) {
    // Fills in the consent of the entry at the hit's revision (never a newer one).
    cache_->Put(read.hit->record, consent, call.deadline());
  }
}

absl::Status PatientService::CollectChanged(sql::Transaction& tx, const CallAudit& audit,
                                            std::vector<std::pair<std::string, int64_t>>* changed) {
  if (cache_ == nullptr) return absl::OkStatus();
  // The revision this transaction leaves, so that the tombstone refuses any older put.
  for (std::string& id : audit.ChangedPatients()) {
    absl::StatusOr<std::optional<store::PatientRecord>> record = store::LoadPatient(tx, id);
    if (!record.ok()) return record.status();
    if (record->has_value()) changed->emplace_back(std::move(id), (*record)->revision);
  }
  return absl::OkStatus();
}

void PatientService::InvalidateChanged(const server::Call& call,
                                       const std::vector<std::pair<std::string, int64_t>>& changed) {
  if (cache_ == nullptr) return;
  for (const auto& [id, revision] : changed) cache_->Invalidate(id, revision, call.deadline());
}

}  // namespace clinic::patient
