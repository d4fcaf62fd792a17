#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "clinic/patient/v1/patient_service.clinic.h"
#include "common/clock/clock.h"
#include "common/sql/database.h"
#include "google/protobuf/message.h"
#include "services/patient/audit.h"
#include "services/patient/patient_cache.h"

namespace clinic::patient {

// The patient service's gRPC layer: patient records shared under consent, labs,
// eligibility, treatment plans, administrations, check-ins and the access audit log.
//
// Each handler checks the request's fields (domain/*_validation.h, validation.h), then
// runs one transaction that loads the record, authorises the caller against its home
// clinic and sharing consent (domain/access_policy.h, through CallAudit) and does the work
// with the stores (patient_store.h, access_log_store.h). A mutation appends the call's
// access log entries (audit.h) in its transaction, so that the change and its audit
// commit together, and goes through api::RunOnce so that a retry with the same request_id
// returns the first outcome. A read runs a read-only transaction (none on a cache hit
// that needs nothing else) and answers once its entries are committed by the
// AccessLogWriter, which groups concurrent reads' entries into one write transaction. Laboratories and regimens are not patient records: their RPCs write no access
// log entries.
// Every RPC is authenticated by the generated PatientServiceBase; an RPC whose Handle
// method is not overridden answers UNIMPLEMENTED (MergePatients, UnmergePatient: not
// written yet).
//
// With a `cache` (patient_cache.h), GetPatient and LookupContact read the record through
// it: the lookup happens before any transaction, the authorisation and the access log
// entries happen as on a miss (a hit that needs nothing else from the database runs no
// transaction), and a record read from the database is put after the call. Every call that
// changes records invalidates their entries after its commit (AuditedOnce).
//
// Thread-safe: handlers run concurrently on gRPC's threads; `db`, `clock` and `cache`
// (may be null: no cache) must be thread-safe and outlive the service.
class PatientService final : public v1::PatientServiceBase {
 public:
  PatientService(const server::CallRunner& calls, sql::Database& db, const Clock& clock,
                 PatientCache* cache = nullptr)
      : PatientServiceBase(calls), db_(db), clock_(clock), cache_(cache), access_log_writer_(db) {}

 protected:
  // Records (patient_handlers.cc).
  absl::Status HandleCreatePatient(const server::Call& call, const v1::CreatePatientRequest& request,
                                   v1::Patient* response) override;
  absl::Status HandleGetPatient(const server::Call& call, const v1::GetPatientRequest& request,
                                v1::Patient* response) override;
  absl::Status HandleUpdatePatient(const server::Call& call, const v1::UpdatePatientRequest& request,
                                   v1::Patient* response) override;
  absl::Status HandleSearchPatients(const server::Call& call, const v1::SearchPatientsRequest& request,
                                    v1::SearchPatientsResponse* response) override;
  absl::Status HandleErasePatient(const server::Call& call, const v1::ErasePatientRequest& request,
                                  v1::Patient* response) override;
  absl::Status HandleListAccessLog(const server::Call& call, const v1::ListAccessLogRequest& request,
                                   v1::ListAccessLogResponse* response) override;

  // Consent and contact (consent_handlers.cc).
  absl::Status HandleGetConsent(const server::Call& call, const v1::GetConsentRequest& request,
                                v1::Consent* response) override;
  absl::Status HandleUpdateSharingConsent(const server::Call& call, const v1::UpdateSharingConsentRequest& request,
                                          v1::Consent* response) override;
  absl::Status HandleWithdrawSharingConsent(const server::Call& call,
                                            const v1::WithdrawSharingConsentRequest& request,
                                            v1::Consent* response) override;
  absl::Status HandleUpdateContactConsent(const server::Call& call, const v1::UpdateContactConsentRequest& request,
                                          v1::Consent* response) override;
  absl::Status HandleRecordContactOptOut(const server::Call& call, const v1::RecordContactOptOutRequest& request,
                                         v1::RecordContactOptOutResponse* response) override;
  absl::Status HandleLookupContact(const server::Call& call, const v1::LookupContactRequest& request,
                                   v1::LookupContactResponse* response) override;

  // Clinical profile, laboratories, lab results, eligibility (clinical_handlers.cc).
  absl::Status HandleGetClinicalProfile(const server::Call& call, const v1::GetClinicalProfileRequest& request,
                                        v1::ClinicalProfile* response) override;
  absl::Status HandleUpdateClinicalProfile(const server::Call& call, const v1::UpdateClinicalProfileRequest& request,
                                           v1::ClinicalProfile* response) override;
  absl::Status HandleCreateLaboratory(const server::Call& call, const v1::CreateLaboratoryRequest& request,
                                      v1::Laboratory* response) override;
  absl::Status HandleGetLaboratory(const server::Call& call, const v1::GetLaboratoryRequest& request,
                                   v1::Laboratory* response) override;
  absl::Status HandleListLaboratories(const server::Call& call, const v1::ListLaboratoriesRequest& request,
                                      v1::ListLaboratoriesResponse* response) override;
  absl::Status HandleUpdateLaboratory(const server::Call& call, const v1::UpdateLaboratoryRequest& request,
                                      v1::Laboratory* response) override;
  absl::Status HandleRecordLabResult(const server::Call& call, const v1::RecordLabResultRequest& request,
                                     v1::LabResult* response) override;
  absl::Status HandleGetLabResult(const server::Call& call, const v1::GetLabResultRequest& request,
                                  v1::LabResult* response) override;
  absl::Status HandleListLabResults(const server::Call& call, const v1::ListLabResultsRequest& request,
                                    v1::ListLabResultsResponse* response) override;
  absl::Status HandleAssessEligibility(const server::Call& call, const v1::AssessEligibilityRequest& request,
                                       v1::EligibilityAssessment* response) override;
  absl::Status HandleOverrideEligibility(const server::Call& call, const v1::OverrideEligibilityRequest& request,
                                         v1::EligibilityAssessment* response) override;
  absl::Status HandleGetEligibilityAssessment(const server::Call& call,
                                              const v1::GetEligibilityAssessmentRequest& request,
                                              v1::EligibilityAssessment* response) override;
  absl::Status HandleListEligibilityAssessments(const server::Call& call,
                                                const v1::ListEligibilityAssessmentsRequest& request,
                                                v1::ListEligibilityAssessmentsResponse* response) override;

  // Regimens (treatment_handlers.cc).
  absl::Status HandleCreateRegimen(const server::Call& call, const v1::CreateRegimenRequest& request,
                                   v1::Regimen* response) override;
  absl::Status HandleGetRegimen(const server::Call& call, const v1::GetRegimenRequest& request,
                                v1::Regimen* response) override;
  absl::Status HandleListRegimens(const server::Call& call, const v1::ListRegimensRequest& request,
                                  v1::ListRegimensResponse* response) override;
  absl::Status HandleUpdateRegimen(const server::Call& call, const v1::UpdateRegimenRequest& request,
                                   v1::Regimen* response) override;

  // Treatment plans and administrations (plan_handlers.cc).
  absl::Status HandleCreateTreatmentPlan(const server::Call& call, const v1::CreateTreatmentPlanRequest& request,
                                         v1::TreatmentPlan* response) override;
  absl::Status HandleGetTreatmentPlan(const server::Call& call, const v1::GetTreatmentPlanRequest& request,
                                      v1::TreatmentPlan* response) override;
  absl::Status HandleListTreatmentPlans(const server::Call& call, const v1::ListTreatmentPlansRequest& request,
                                        v1::ListTreatmentPlansResponse* response) override;
  absl::Status HandleUpdateTreatmentPlan(const server::Call& call, const v1::UpdateTreatmentPlanRequest& request,
                                         v1::TreatmentPlan* response) override;
  absl::Status HandleListTreatmentPlanRevisions(const server::Call& call,
                                                const v1::ListTreatmentPlanRevisionsRequest& request,
                                                v1::ListTreatmentPlanRevisionsResponse* response) override;
  absl::Status HandleRecordAdministration(const server::Call& call, const v1::RecordAdministrationRequest& request,
                                          v1::Administration* response) override;
  absl::Status HandleGetAdministration(const server::Call& call, const v1::GetAdministrationRequest& request,
                                       v1::Administration* response) override;
  absl::Status HandleListAdministrations(const server::Call& call, const v1::ListAdministrationsRequest& request,
                                         v1::ListAdministrationsResponse* response) override;

  // Check-ins (check_in_handlers.cc).
  absl::Status HandleCreateCheckIn(const server::Call& call, const v1::CreateCheckInRequest& request,
                                   v1::CheckIn* response) override;
  absl::Status HandleListCheckIns(const server::Call& call, const v1::ListCheckInsRequest& request,
                                  v1::ListCheckInsResponse* response) override;

 private:
  using AuditedFn = absl::FunctionRef<absl::Status(sql::Transaction&, CallAudit&)>;

  // One record read through the cache: the hit looked up before the transaction, or what
  // the transaction loaded instead (put after the commit by FillCache).
  struct CacheRead {
    std::optional<CachedRecord> hit;
    std::optional<store::PatientRecord> loaded;
    std::optional<v1::Consent> loaded_consent;  // the record's consent, read in the transaction
  };
  CacheRead LookUpCache(const server::Call& call, std::string_view patient_id);
  // Puts what `read` loaded when the call succeeded.
  void FillCache(const server::Call& call, const CacheRead& read, const absl::Status& status);
  // In the call's transaction, after its changes: the changed records' revisions.
  absl::Status CollectChanged(sql::Transaction& tx, const CallAudit& audit,
                              std::vector<std::pair<std::string, int64_t>>* changed);
  // After the commit: drops the changed records' cache entries.
  void InvalidateChanged(const server::Call& call, const std::vector<std::pair<std::string, int64_t>>& changed);

  // A read: runs `fn` in a read-only transaction, then appends the call's access log
  // entries through the AccessLogWriter (returning once they are committed; UNAVAILABLE
  // if they cannot be written) when it succeeded, the refused or failed accesses
  // otherwise. With `try_without_database` (a cache hit), `fn` runs first without a
  // transaction (any statement fails), and again in one only if it tried a statement.
  // `fn` must not write.
  absl::Status AuditedRead(const server::Call& call, std::string_view method, AuditedFn fn,
                           bool try_without_database = false);

  // A mutation: runs `fn` in one read-write transaction with the call's access log
  // entries appended in it when it succeeds, the refused or failed accesses otherwise;
  // once per request_id (api::RunOnce; the key includes the caller, so
  // another principal reusing a request_id is INVALID_ARGUMENT rather than answered).
  absl::Status AuditedOnce(const server::Call& call, std::string_view method, const google::protobuf::Message& request,
                           const std::string& request_id, google::protobuf::Message* response, AuditedFn fn);

  // The record `patient_id` for `policy_action`, noted in `audit` as `action` on
  // `resource`: NOT_FOUND (naming `requested_name`) when it does not exist or the caller
  // may not see it, PERMISSION_DENIED as domain::Authorize decides. With `read`, the
  // record is its cache hit when it has one, and what was loaded is kept in it.
  absl::StatusOr<store::PatientRecord> LoadAuthorized(sql::Transaction& tx, CallAudit& audit,
                                                      std::string_view patient_id,
                                                      domain::PatientAction policy_action, v1::AccessAction action,
                                                      std::string resource, std::string_view requested_name,
                                                      CacheRead* read = nullptr);

  sql::Database& db_;
  const Clock& clock_;
  PatientCache* const cache_;
  AccessLogWriter access_log_writer_;
};

}  // namespace clinic::patient
