#include "services/notification/domain/access.h"

#include <string>

namespace clinic::notification::domain {
namespace {

using auth::Role;

bool OfClinic(const auth::Principal& p, std::string_view clinic_id) {
  return clinic_id != "-" && !clinic_id.empty() && p.clinic.has_value() && *p.clinic == clinic_id;
}

bool StaffOf(const auth::Principal& p, std::string_view clinic_id) {
  return auth::RoleRequiresClinic(p.role) && OfClinic(p, clinic_id);
}

bool IsService(const auth::Principal& p, std::string_view name) {
  return p.role == Role::kService && p.subject == name;
}

bool IsReminderService(const auth::Principal& p) {
  return IsService(p, kSchedulingService) || IsService(p, kInventoryService);
}

}  // namespace

bool IsClinicBound(const auth::Principal& principal) { return auth::RoleRequiresClinic(principal.role); }

bool Allowed(const auth::Principal& p, Action action, std::string_view clinic_id) {
  const bool admin = p.role == Role::kNetworkAdmin;
  switch (action) {
    case Action::kManageReminders:
      return admin || IsReminderService(p) ||
             ((p.role == Role::kClinicManager || p.role == Role::kReception || p.role == Role::kClinician) &&
              OfClinic(p, clinic_id));
    case Action::kListReminders:
      return admin || IsReminderService(p) || StaffOf(p, clinic_id);
    case Action::kCancelForAppointment:
      return IsService(p, kSchedulingService) || StaffOf(p, clinic_id);
    case Action::kDeadLetters:
    case Action::kStaffContacts:
      return admin || (p.role == Role::kClinicManager && OfClinic(p, clinic_id));
    case Action::kReadTemplates:
      return true;  // every role is a staff role or a service identity
    case Action::kManageTemplates:
      return admin;
  }
  return false;
}

absl::Status Authorize(const auth::Principal& principal, Action action, std::string_view clinic_id) {
  if (Allowed(principal, action, clinic_id)) return absl::OkStatus();
  const std::string_view role = auth::RoleName(principal.role);
  return absl::PermissionDeniedError(
      clinic_id == "-" || clinic_id.empty()
          ? "role " + std::string(role) + " may not do this"
          : "role " + std::string(role) + " may not do this at clinic " + std::string(clinic_id));
}

}  // namespace clinic::notification::domain
