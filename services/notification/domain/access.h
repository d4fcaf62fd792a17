#pragma once

// Who may do what with reminders, templates and staff contacts: the rules of the
// contract's RPC comments (protos/clinic/notification/v1/notification_service.proto),
// in one table.
//
//   action               | allowed
//   ---------------------+--------------------------------------------------------------
//   kManageReminders     | the scheduling and inventory services; clinic_manager,
//                        | reception, clinician of the reminder's clinic; network_admin
//                        | (Schedule, Get, Cancel, Reschedule)
//   kListReminders       | staff of the clinic filtered on; network_admin; the
//                        | scheduling and inventory services
//   kCancelForAppointment| the scheduling service; staff of the appointment's clinic
//   kDeadLetters         | network_admin; clinic_manager of the clinic
//   kReadTemplates       | every staff role (dpo and network_admin included); every
//                        | service identity
//   kManageTemplates     | network_admin
//   kStaffContacts       | network_admin; clinic_manager of the clinic
//
// "Staff of the clinic" means one of the clinic roles (reception, practitioner,
// clinician, clinic_manager) whose token's clinic is that clinic. A clinic of "-" (every
// clinic) is allowed only to those allowed without a clinic.

#include <string_view>

#include "absl/status/status.h"
#include "common/auth/principal.h"

namespace clinic::notification::domain {

enum class Action {
  kManageReminders,
  kListReminders,
  kCancelForAppointment,
  kDeadLetters,
  kReadTemplates,
  kManageTemplates,
  kStaffContacts,
};

// The service identities (token subjects with role "service") the table names.
inline constexpr std::string_view kSchedulingService = "scheduling";
inline constexpr std::string_view kInventoryService = "inventory";

// True when `principal` may do `action` at `clinic_id` ("-" for every clinic; ignored
// for actions that are not about one clinic).
bool Allowed(const auth::Principal& principal, Action action, std::string_view clinic_id);

// OK, or PERMISSION_DENIED naming the role (never personal data).
absl::Status Authorize(const auth::Principal& principal, Action action, std::string_view clinic_id = "-");

// True for callers whose listings must be filtered on their own clinic (the clinic
// staff roles).
bool IsClinicBound(const auth::Principal& principal);

}  // namespace clinic::notification::domain
