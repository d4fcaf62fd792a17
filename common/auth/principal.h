#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/auth/role.h"

namespace clinic::auth {

// Who is calling, as established by a verified bearer token.
struct Principal {
  // The `sub` claim: a staff member's or service's stable identifier. Never empty.
  std::string subject;
  // The `clinic` claim. Always set for roles where RoleRequiresClinic(); may be set or
  // absent for network_admin, dpo and service.
  std::optional<std::string> clinic;
  Role role = Role::kReception;
  // The `exp` claim: the token is not accepted after this instant (plus leeway).
  absl::Time expiry;
  // The bearer token exactly as presented (without "Bearer "), so that a service acting
  // for this caller can forward it on peer calls. Secret: never log it.
  std::string token;
};

}  // namespace clinic::auth
