#pragma once

// Who may do what to a patient record: a pure decision from the caller (role, clinic,
// subject), the record's home clinic and sharing consent, and the kind of action.
//
// Visibility. Network-level principals (network_admin, dpo, service identities) see every
// record. Clinic staff (reception, practitioner, clinician, clinic_manager) see a record
// when their clinic is its home clinic, or the patient shares it with the whole network,
// or with a list of clinics that names theirs; a staff token without a clinic sees
// nothing. A withdrawn consent is scope NONE: other clinics lose access at once.
//
// Decision, in this order (so that nothing about a record leaks through the answer):
//   1. the caller's role (or service identity) may never do this  -> PERMISSION_DENIED,
//      whether or not the record exists;
//   2. the record does not exist, or the caller cannot see it     -> NOT_FOUND, the very
//      same answer (RecordNotFound) in both cases;
//   3. the action is reserved to the home clinic and the caller is staff of another
//      (visible) clinic                                           -> PERMISSION_DENIED;
//   4. otherwise                                                  -> allowed.
//
// The matrix ("V": on a record the caller can see; "H": only at the record's home clinic;
// "-": never; for actions on no particular record "V" just means allowed). Service
// identities are told apart by their token subject (kSchedulingService...).
//
//   action                   rec prac clin mgr net dpo  services
//   kCreatePatient            V   -    V    V   -   -   -
//   kSearchPatients           V   V    V    V   V   V   -
//   kReadDemographics         V   V    V    V   V   V   scheduling, portal
//   kUpdateDemographics       V   -    V    V   -   -   -
//   kErase                    -   -    -    -   -   V   -
//   kMerge                    -   -    H    H   -   V   -
//   kReadConsent              V   V    V    V   V   V   portal
//   kUpdateSharingConsent     H   -    H    -   -   -   -
//   kWithdrawSharingConsent   H   -    H    -   -   V   portal
//   kUpdateContactConsent     V   -    V    -   -   -   portal
//   kRecordContactOptOut      V   -    -    -   -   -   notification, messaging-gateway
//   kReadClinical             -   V    V    -   -   -   -
//   kWriteClinical            -   -    V    -   -   -   -
//   kRecordLabResult          -   V    V    -   -   -   -
//   kAssessEligibility        -   -    V    -   -   -   scheduling
//   kReadEligibility          -   V    V    -   -   -   scheduling
//   kReadTreatmentPlan        -   V    V    -   -   -   scheduling
//   kListTreatmentPlans       V   V    V    -   -   -   scheduling
//   kRecordAdministration     -   V    V    -   -   -   scheduling
//   kRecordCheckIn            V   V    V    -   -   -   portal
//   kReadCheckIns             -   V    V    -   -   -   portal
//   kLookupContact            -   -    -    -   -   -   notification
//   kReadAccessLog            -   -    -    H   -   V   portal
//   kReadLaboratories         V   V    V    V   V   V   -
//   kManageLaboratories       -   -    V    -   V   -   -
//   kReadRegimens             V   V    V    V   V   V   scheduling, portal
//   kManageRegimens           -   -    V    -   V   -   -
//
// The RPCs of each action:
//   kCreatePatient: CreatePatient          kSearchPatients: SearchPatients (each hit
//   kReadDemographics: GetPatient            filtered with CanSee)
//   kUpdateDemographics: UpdatePatient     kErase: ErasePatient
//   kMerge: MergePatients, UnmergePatient (the record is the survivor, resp. the duplicate)
//   kReadConsent: GetConsent               kUpdateSharingConsent: UpdateSharingConsent
//   kWithdrawSharingConsent: WithdrawSharingConsent
//   kUpdateContactConsent: UpdateContactConsent
//   kRecordContactOptOut: RecordContactOptOut (by address, which spans records: check
//     RoleMayPerform, then answer only the patients the caller CanSee)
//   kReadClinical: GetClinicalProfile, GetLabResult, ListLabResults,
//     ListEligibilityAssessments, ListTreatmentPlanRevisions, GetAdministration,
//     ListAdministrations
//   kWriteClinical: UpdateClinicalProfile, OverrideEligibility, CreateTreatmentPlan,
//     UpdateTreatmentPlan
//   kRecordLabResult: RecordLabResult      kAssessEligibility: AssessEligibility
//   kReadEligibility: GetEligibilityAssessment
//   kReadTreatmentPlan: GetTreatmentPlan   kListTreatmentPlans: ListTreatmentPlans
//   kRecordAdministration: RecordAdministration
//   kRecordCheckIn: CreateCheckIn          kReadCheckIns: ListCheckIns
//   kLookupContact: LookupContact          kReadAccessLog: ListAccessLog
//   kReadLaboratories: GetLaboratory, ListLaboratories
//   kManageLaboratories: CreateLaboratory, UpdateLaboratory
//   kReadRegimens: GetRegimen, ListRegimens
//   kManageRegimens: CreateRegimen, UpdateRegimen
//
// The rows follow the roles listed on each RPC in patient_service.proto, narrowed for
// service identities to what their calls need: the notification service only looks
// contacts up and records opt-outs, scheduling only reads eligibility and plans,
// assesses and records administrations, the portal acts for the patient. An unknown
// service identity may do nothing.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "clinic/patient/v1/consent.pb.h"
#include "common/auth/principal.h"

namespace clinic::patient::domain {

// What the caller wants to do (rows of the matrix above).
enum class PatientAction {
  kCreatePatient,
  kSearchPatients,
  kReadDemographics,
  kUpdateDemographics,
  kErase,
  kMerge,
  kReadConsent,
  kUpdateSharingConsent,
  kWithdrawSharingConsent,
  kUpdateContactConsent,
  kRecordContactOptOut,
  kReadClinical,
  kWriteClinical,
  kRecordLabResult,
  kAssessEligibility,
  kReadEligibility,
  kReadTreatmentPlan,
  kListTreatmentPlans,
  kRecordAdministration,
  kRecordCheckIn,
  kReadCheckIns,
  kLookupContact,
  kReadAccessLog,
  kReadLaboratories,
  kManageLaboratories,
  kReadRegimens,
  kManageRegimens,
};

// Every action, in declaration order.
inline constexpr PatientAction kAllPatientActions[] = {
    PatientAction::kCreatePatient,
    PatientAction::kSearchPatients,
    PatientAction::kReadDemographics,
    PatientAction::kUpdateDemographics,
    PatientAction::kErase,
    PatientAction::kMerge,
    PatientAction::kReadConsent,
    PatientAction::kUpdateSharingConsent,
    PatientAction::kWithdrawSharingConsent,
    PatientAction::kUpdateContactConsent,
    PatientAction::kRecordContactOptOut,
    PatientAction::kReadClinical,
    PatientAction::kWriteClinical,
    PatientAction::kRecordLabResult,
    PatientAction::kAssessEligibility,
    PatientAction::kReadEligibility,
    PatientAction::kReadTreatmentPlan,
    PatientAction::kListTreatmentPlans,
    PatientAction::kRecordAdministration,
    PatientAction::kRecordCheckIn,
    PatientAction::kReadCheckIns,
    PatientAction::kLookupContact,
    PatientAction::kReadAccessLog,
    PatientAction::kReadLaboratories,
    PatientAction::kManageLaboratories,
    PatientAction::kReadRegimens,
    PatientAction::kManageRegimens,
};

// A stable name for logs and tests, e.g. "read_demographics".
std::string_view PatientActionName(PatientAction action);

// True for the actions on one patient record (Authorize needs the record); false for
// kCreatePatient, kSearchPatients and the laboratory and regimen actions.
bool IsRecordAction(PatientAction action);

// The token subjects of the service identities the matrix names.
inline constexpr std::string_view kSchedulingService = "scheduling";
inline constexpr std::string_view kNotificationService = "notification";
inline constexpr std::string_view kPortalService = "portal";
inline constexpr std::string_view kMessagingGatewayService = "messaging-gateway";

// What decides who may see a record.
struct RecordSharing {
  // The home clinic, "clinics/{clinic}".
  std::string home_clinic;
  // The sharing consent in force (UNSPECIFIED reads as NONE).
  v1::SharingScope scope = v1::SHARING_SCOPE_NONE;
  // With SHARING_SCOPE_NAMED_CLINICS: the clinics, "clinics/{clinic}" each.
  std::vector<std::string> shared_clinics;
};

// The record's sharing facts from its home clinic and its consent.
RecordSharing ToRecordSharing(std::string home_clinic, const v1::SharingConsent& consent);

// The caller's clinic as a resource name, "clinics/{clinic}" (the JWT claim is the id), or
// empty if the principal has no clinic.
std::string PrincipalClinicName(const auth::Principal& principal);

// True if `principal` can see a record shared as `record` (visibility rules above).
bool CanSee(const auth::Principal& principal, const RecordSharing& record);

enum class AccessDecision {
  kAllow,
  kNotFound,          // answer exactly as for a missing record
  kPermissionDenied,  // visible, but the caller may not do this
};

// Step 1 alone: whether the caller's role (or service identity) may ever do `action`.
// For checks that concern no single record, e.g. an opt-out by address.
bool RoleMayPerform(const auth::Principal& principal, PatientAction action);

// The decision for `principal` doing `action` on `record` (nullptr: the record does not
// exist; ignored for actions that are not IsRecordAction). Steps as above.
AccessDecision Authorize(const auth::Principal& principal, PatientAction action,
                         const RecordSharing* record);

// NOT_FOUND for `resource_name` (e.g. "patients/123"): the one status a missing record and
// a record the caller cannot see both answer.
absl::Status RecordNotFound(std::string_view resource_name);

// The status of a decision: OK, RecordNotFound(resource_name), or PERMISSION_DENIED
// naming the role and action (never the record's clinic or anything about the patient).
absl::Status DecisionToStatus(AccessDecision decision, const auth::Principal& principal,
                              PatientAction action, std::string_view resource_name);

}  // namespace clinic::patient::domain
