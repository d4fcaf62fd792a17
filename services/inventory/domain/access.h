#pragma once

// Who may do what with the stock of the network: the rules of the contract's RPC
// comments (protos/clinic/inventory/v1/inventory_service.proto), in one table.
//
//   action            | allowed
//   ------------------+-----------------------------------------------------------------
//   kReadCatalogue    | every staff role, any service identity
//   kManageCatalogue  | network_admin
//   kReadClinic       | staff of the clinic, network_admin, any service identity
//   kConfigureClinic  | clinic_manager of the clinic, network_admin
//   kManageStock      | clinic_manager of the clinic, network_admin
//   kReceiveStock     | clinic_manager, reception, practitioner of the clinic; network_admin
//   kReserve          | staff of the clinic, network_admin, the scheduling service
//   kConsume          | practitioner, clinician of the clinic; the scheduling service
//   kRecall           | network_admin
//   kListRecipients   | network_admin, clinician (any clinic), the scheduling and patient
//                     | services
//   kReadAlerts       | staff of the clinic, network_admin
//
// "Staff of the clinic" means one of the clinic roles (reception, practitioner,
// clinician, clinic_manager) whose token's clinic is that clinic. A clinic of "-" (every
// clinic) is allowed only to those allowed without a clinic: network_admin and service
// identities. The DPO has no stock role.

#include <string_view>

#include "absl/status/status.h"
#include "common/auth/principal.h"

namespace clinic::inventory {

enum class Action {
  kReadCatalogue,
  kManageCatalogue,
  kReadClinic,
  kConfigureClinic,
  kManageStock,
  kReceiveStock,
  kReserve,
  kConsume,
  kRecall,
  kListRecipients,
  kReadAlerts,
};

// The service identities (token subjects with role "service") the table names.
inline constexpr std::string_view kSchedulingService = "scheduling";
inline constexpr std::string_view kPatientService = "patient";

// True when `principal` may do `action` at `clinic_id` ("-" for every clinic; ignored
// for actions that are not about one clinic).
bool Allowed(const auth::Principal& principal, Action action, std::string_view clinic_id);

// OK, or PERMISSION_DENIED naming the role (never personal data).
absl::Status Authorize(const auth::Principal& principal, Action action, std::string_view clinic_id = "-");

}  // namespace clinic::inventory
