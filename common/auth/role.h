#pragma once

#include <optional>
#include <ostream>
#include <string_view>

namespace clinic::auth {

// What a principal may do. The string names (RoleName) are the values of the JWT `role`
// claim: they are part of the token format and must never change once issued.
enum class Role {
  kReception,      // "reception": front desk — demographics, contact, consent, bookings.
  kPractitioner,   // "practitioner": gives injections, records administrations.
  kClinician,      // "clinician": prescribes; reads and writes clinical records.
  kClinicManager,  // "clinic_manager": stock and staff of one clinic.
  kNetworkAdmin,   // "network_admin": network-level — recalls, clinics.
  kDpo,            // "dpo": data-protection officer — erasure, access logs.
  kService,        // "service": a service identity (peer calls, background work).
};

// Every role, in declaration order.
inline constexpr Role kAllRoles[] = {Role::kReception,     Role::kPractitioner, Role::kClinician,
                                     Role::kClinicManager, Role::kNetworkAdmin, Role::kDpo,
                                     Role::kService};

// The stable claim value of `role`, e.g. "clinic_manager".
std::string_view RoleName(Role role);

// The role whose claim value is exactly `name` (case-sensitive); nullopt if none.
std::optional<Role> ParseRole(std::string_view name);

// True for the clinic staff roles (reception, practitioner, clinician, clinic_manager),
// whose tokens must carry a `clinic` claim. Network-level roles, the DPO and service
// identities may carry one but need not.
bool RoleRequiresClinic(Role role);

inline std::ostream& operator<<(std::ostream& os, Role role) { return os << RoleName(role); }

}  // namespace clinic::auth
