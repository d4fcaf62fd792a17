#include "common/auth/role.h"

namespace clinic::auth {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReception:
      return "reception";
    case Role::kPractitioner:
      return "practitioner";
    case Role::kClinician:
      return "clinician";
    case Role::kClinicManager:
      return "clinic_manager";
    case Role::kNetworkAdmin:
      return "network_admin";
    case Role::kDpo:
      return "dpo";
    case Role::kService:
      return "service";
  }
  return "unknown";  // Unreachable for a valid enumerator.
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : kAllRoles) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

bool RoleRequiresClinic(Role role) {
  switch (role) {
    case Role::kReception:
    case Role::kPractitioner:
    case Role::kClinician:
    case Role::kClinicManager:
      return true;
    case Role::kNetworkAdmin:
    case Role::kDpo:
    case Role::kService:
      return false;
  }
  return true;
}

}  // namespace clinic::auth
