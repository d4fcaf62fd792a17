#include "services/patient/domain/access_policy.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/auth/role.h"

namespace clinic::patient::domain {
namespace {

using auth::Role;

// Where a role may do an action.
enum class Scope : std::uint8_t {
  kNever,
  kVisible,  // on any record the caller can see
  kHome,     // only on records of the caller's own (home) clinic
};

// Service identities, as bits.
enum ServiceBit : std::uint8_t {
  kScheduling = 1 << 0,
  kNotification = 1 << 1,
  kPortal = 1 << 2,
  kMessagingGateway = 1 << 3,
};

struct Grant {
  PatientAction action;
  bool record_action;
  Scope reception, practitioner, clinician, clinic_manager, network_admin, dpo;
  std::uint8_t services;
};

constexpr Scope N = Scope::kNever;
constexpr Scope V = Scope::kVisible;
constexpr Scope H = Scope::kHome;

// The matrix of access_policy.h, row for row.
constexpr Grant kGrants[] = {
    // action                               record rec prac clin mgr net dpo services
    {PatientAction::kCreatePatient, false, V, N, V, V, N, N, 0},
    {PatientAction::kSearchPatients, false, V, V, V, V, V, V, 0},
    {PatientAction::kReadDemographics, true, V, V, V, V, V, V, kScheduling | kPortal},
    {PatientAction::kUpdateDemographics, true, V, N, V, V, N, N, 0},
    {PatientAction::kErase, true, N, N, N, N, N, V, 0},
    {PatientAction::kMerge, true, N, N, H, H, N, V, 0},
    {PatientAction::kReadConsent, true, V, V, V, V, V, V, kPortal},
    {PatientAction::kUpdateSharingConsent, true, H, N, H, N, N, N, 0},
    {PatientAction::kWithdrawSharingConsent, true, H, N, H, N, N, V, kPortal},
    {PatientAction::kUpdateContactConsent, true, V, N, V, N, N, N, kPortal},
    {PatientAction::kRecordContactOptOut, true, V, N, N, N, N, N,
     kNotification | kMessagingGateway},
    {PatientAction::kReadClinical, true, N, V, V, N, N, N, 0},
    {PatientAction::kWriteClinical, true, N, N, V, N, N, N, 0},
    {PatientAction::kRecordLabResult, true, N, V, V, N, N, N, 0},
    {PatientAction::kAssessEligibility, true, N, N, V, N, N, N, kScheduling},
    {PatientAction::kReadEligibility, true, N, V, V, N, N, N, kScheduling},
    {PatientAction::kReadTreatmentPlan, true, N, V, V, N, N, N, kScheduling},
    {PatientAction::kListTreatmentPlans, true, V, V, V, N, N, N, kScheduling},
    {PatientAction::kRecordAdministration, true, N, V, V, N, N, N, kScheduling},
    {PatientAction::kRecordCheckIn, true, V, V, V, N, N, N, kPortal},
    {PatientAction::kReadCheckIns, true, N, V, V, N, N, N, kPortal},
    {PatientAction::kLookupContact, true, N, N, N, N, N, N, kNotification},
    {PatientAction::kReadAccessLog, true, N, N, N, H, N, V, kPortal},
    {PatientAction::kReadLaboratories, false, V, V, V, V, V, V, 0},
    {PatientAction::kManageLaboratories, false, N, N, V, N, V, N, 0},
    {PatientAction::kReadRegimens, false, V, V, V, V, V, V, kScheduling | kPortal},
    {PatientAction::kManageRegimens, false, N, N, V, N, V, N, 0},
};

const Grant& GrantFor(PatientAction action) {
  for (const Grant& g : kGrants) {
    if (g.action == action) return g;
  }
  // Every enumerator has a row (a unit test checks it); reaching here is a bug.
  std::abort();
}

std::uint8_t ServiceBitOf(std::string_view subject) {
  if (subject == kSchedulingService) return kScheduling;
  if (subject == kNotificationService) return kNotification;
  if (subject == kPortalService) return kPortal;
  if (subject == kMessagingGatewayService) return kMessagingGateway;
  return 0;
}

Scope ScopeFor(const Grant& g, const auth::Principal& principal) {
  switch (principal.role) {
    case Role::kReception:
      return g.reception;
    case Role::kPractitioner:
      return g.practitioner;
    case Role::kClinician:
      return g.clinician;
    case Role::kClinicManager:
      return g.clinic_manager;
    case Role::kNetworkAdmin:
      return g.network_admin;
    case Role::kDpo:
      return g.dpo;
    case Role::kService: {
      const std::uint8_t bit = ServiceBitOf(principal.subject);
      return bit != 0 && (g.services & bit) != 0 ? Scope::kVisible : Scope::kNever;
    }
  }
  return Scope::kNever;
}

}  // namespace

std::string_view PatientActionName(PatientAction action) {
  switch (action) {
    case PatientAction::kCreatePatient:
      return "create_patient";
    case PatientAction::kSearchPatients:
      return "search_patients";
    case PatientAction::kReadDemographics:
      return "read_demographics";
    case PatientAction::kUpdateDemographics:
      return "update_demographics";
    case PatientAction::kErase:
      return "erase";
    case PatientAction::kMerge:
      return "merge";
    case PatientAction::kReadConsent:
      return "read_consent";
    case PatientAction::kUpdateSharingConsent:
      return "update_sharing_consent";
    case PatientAction::kWithdrawSharingConsent:
      return "withdraw_sharing_consent";
    case PatientAction::kUpdateContactConsent:
      return "update_contact_consent";
    case PatientAction::kRecordContactOptOut:
      return "record_contact_opt_out";
    case PatientAction::kReadClinical:
      return "read_clinical";
    case PatientAction::kWriteClinical:
      return "write_clinical";
    case PatientAction::kRecordLabResult:
      return "record_lab_result";
    case PatientAction::kAssessEligibility:
      return "assess_eligibility";
    case PatientAction::kReadEligibility:
      return "read_eligibility";
    case PatientAction::kReadTreatmentPlan:
      return "read_treatment_plan";
    case PatientAction::kListTreatmentPlans:
      return "list_treatment_plans";
    case PatientAction::kRecordAdministration:
      return "record_administration";
    case PatientAction::kRecordCheckIn:
      return "record_check_in";
    case PatientAction::kReadCheckIns:
      return "read_check_ins";
    case PatientAction::kLookupContact:
      return "lookup_contact";
    case PatientAction::kReadAccessLog:
      return "read_access_log";
    case PatientAction::kReadLaboratories:
      return "read_laboratories";
    case PatientAction::kManageLaboratories:
      return "manage_laboratories";
    case PatientAction::kReadRegimens:
      return "read_regimens";
    case PatientAction::kManageRegimens:
      return "manage_regimens";
  }
  return "unknown";
}

bool IsRecordAction(PatientAction action) { return GrantFor(action).record_action; }

RecordSharing ToRecordSharing(std::string home_clinic, const v1::SharingConsent& consent) {
  RecordSharing sharing;
  sharing.home_clinic = std::move(home_clinic);
  sharing.scope = consent.scope();
  sharing.shared_clinics.assign(consent.clinics().begin(), consent.clinics().end());
  return sharing;
}

std::string PrincipalClinicName(const auth::Principal& principal) {
  if (!principal.clinic || principal.clinic->empty()) return "";
  constexpr std::string_view kPrefix = "clinics/";
  if (principal.clinic->rfind(kPrefix, 0) == 0) return *principal.clinic;
  return std::string(kPrefix) + *principal.clinic;
}

bool CanSee(const auth::Principal& principal, const RecordSharing& record) {
  if (!auth::RoleRequiresClinic(principal.role)) return true;  // network-level principals
  const std::string clinic = PrincipalClinicName(principal);
  if (clinic.empty()) return false;
  if (clinic == record.home_clinic) return true;
  switch (record.scope) {
    case v1::SHARING_SCOPE_NETWORK:
      return true;
    case v1::SHARING_SCOPE_NAMED_CLINICS:
      return std::find(record.shared_clinics.begin(), record.shared_clinics.end(), clinic) !=
             record.shared_clinics.end();
    default:
      return false;
  }
}

bool RoleMayPerform(const auth::Principal& principal, PatientAction action) {
  return ScopeFor(GrantFor(action), principal) != Scope::kNever;
}

AccessDecision Authorize(const auth::Principal& principal, PatientAction action,
                         const RecordSharing* record) {
  const Grant& grant = GrantFor(action);
  const Scope scope = ScopeFor(grant, principal);
  if (scope == Scope::kNever) return AccessDecision::kPermissionDenied;
  if (!grant.record_action) return AccessDecision::kAllow;
  if (record == nullptr || !CanSee(principal, *record)) return AccessDecision::kNotFound;
  if (scope == Scope::kHome && auth::RoleRequiresClinic(principal.role) &&
      PrincipalClinicName(principal) != record->home_clinic) {
    return AccessDecision::kPermissionDenied;
  }
  return AccessDecision::kAllow;
}

absl::Status RecordNotFound(std::string_view resource_name) {
  return absl::NotFoundError(
      absl::StrCat(absl::string_view(resource_name.data(), resource_name.size()), " not found"));
}

absl::Status DecisionToStatus(AccessDecision decision, const auth::Principal& principal,
                              PatientAction action, std::string_view resource_name) {
  switch (decision) {
    case AccessDecision::kAllow:
      return absl::OkStatus();
    case AccessDecision::kNotFound:
      return RecordNotFound(resource_name);
    case AccessDecision::kPermissionDenied:
      break;
  }
  const std::string_view role = auth::RoleName(principal.role);
  const std::string_view name = PatientActionName(action);
  return absl::PermissionDeniedError(
      absl::StrCat("role ", absl::string_view(role.data(), role.size()), " may not ",
                   absl::string_view(name.data(), name.size()), " here"));
}

}  // namespace clinic::patient::domain
