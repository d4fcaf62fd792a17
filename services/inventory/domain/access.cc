#include "services/inventory/domain/access.h"

#include <string>

namespace clinic::inventory {
namespace {

using auth::Role;

bool IsStaffRole(Role role) { return auth::RoleRequiresClinic(role); }

bool OfClinic(const auth::Principal& p, std::string_view clinic_id) {
  return clinic_id != "-" && p.clinic.has_value() && *p.clinic == clinic_id;
}

bool StaffOf(const auth::Principal& p, std::string_view clinic_id) { return IsStaffRole(p.role) && OfClinic(p, clinic_id); }

bool IsService(const auth::Principal& p, std::string_view name) {
  return p.role == Role::kService && p.subject == name;
}

}  // namespace

bool Allowed(const auth::Principal& p, Action action, std::string_view clinic_id) {
  const bool admin = p.role == Role::kNetworkAdmin;
  switch (action) {
    case Action::kReadCatalogue:
      return IsStaffRole(p.role) || admin || p.role == Role::kService;
    case Action::kManageCatalogue:
    case Action::kRecall:
      return admin;
    case Action::kReadClinic:
      return admin || p.role == Role::kService || StaffOf(p, clinic_id);
    case Action::kConfigureClinic:
    case Action::kManageStock:
      return admin || (p.role == Role::kClinicManager && OfClinic(p, clinic_id));
    case Action::kReceiveStock:
      return admin || ((p.role == Role::kClinicManager || p.role == Role::kReception ||
                        p.role == Role::kPractitioner) &&
                       OfClinic(p, clinic_id));
    case Action::kReserve:
      return admin || IsService(p, kSchedulingService) || StaffOf(p, clinic_id);
    case Action::kConsume:
      return IsService(p, kSchedulingService) ||
             ((p.role == Role::kPractitioner || p.role == Role::kClinician) && OfClinic(p, clinic_id));
    case Action::kListRecipients:
      return admin || p.role == Role::kClinician || IsService(p, kSchedulingService) ||
             IsService(p, kPatientService);
    case Action::kReadAlerts:
      return admin || StaffOf(p, clinic_id);
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

}  // namespace clinic::inventory
