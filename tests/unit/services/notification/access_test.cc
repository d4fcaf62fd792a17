#include "services/notification/domain/access.h"

#include <gtest/gtest.h>

namespace clinic::notification::domain {
namespace {

using auth::Role;

auth::Principal P(Role role, std::string subject = "someone", std::optional<std::string> clinic = std::nullopt) {
  auth::Principal p;
  p.role = role;
  p.subject = std::move(subject);
  p.clinic = std::move(clinic);
  return p;
}

TEST(AccessTest, ManageReminders) {
  EXPECT_TRUE(Allowed(P(Role::kService, "scheduling"), Action::kManageReminders, "soho"));
  EXPECT_TRUE(Allowed(P(Role::kService, "inventory"), Action::kManageReminders, "soho"));
  EXPECT_FALSE(Allowed(P(Role::kService, "patient"), Action::kManageReminders, "soho"));
  EXPECT_TRUE(Allowed(P(Role::kNetworkAdmin), Action::kManageReminders, "soho"));
  EXPECT_TRUE(Allowed(P(Role::kReception, "r", "soho"), Action::kManageReminders, "soho"));
  EXPECT_TRUE(Allowed(P(Role::kClinician, "c", "soho"), Action::kManageReminders, "soho"));
  EXPECT_TRUE(Allowed(P(Role::kClinicManager, "m", "soho"), Action::kManageReminders, "soho"));
  EXPECT_FALSE(Allowed(P(Role::kPractitioner, "p", "soho"), Action::kManageReminders, "soho"));
  EXPECT_FALSE(Allowed(P(Role::kReception, "r", "soho"), Action::kManageReminders, "leeds"));
  EXPECT_FALSE(Allowed(P(Role::kDpo), Action::kManageReminders, "soho"));
}

TEST(AccessTest, ListReminders) {
  EXPECT_TRUE(Allowed(P(Role::kPractitioner, "p", "soho"), Action::kListReminders, "soho"));
  EXPECT_FALSE(Allowed(P(Role::kPractitioner, "p", "soho"), Action::kListReminders, "-"));
  EXPECT_TRUE(Allowed(P(Role::kNetworkAdmin), Action::kListReminders, "-"));
  EXPECT_TRUE(Allowed(P(Role::kService, "scheduling"), Action::kListReminders, "-"));
  EXPECT_TRUE(IsClinicBound(P(Role::kReception, "r", "soho")));
  EXPECT_FALSE(IsClinicBound(P(Role::kNetworkAdmin)));
}

TEST(AccessTest, CancelForAppointment) {
  EXPECT_TRUE(Allowed(P(Role::kService, "scheduling"), Action::kCancelForAppointment, "soho"));
  EXPECT_FALSE(Allowed(P(Role::kService, "inventory"), Action::kCancelForAppointment, "soho"));
  EXPECT_TRUE(Allowed(P(Role::kPractitioner, "p", "soho"), Action::kCancelForAppointment, "soho"));
  EXPECT_FALSE(Allowed(P(Role::kPractitioner, "p", "leeds"), Action::kCancelForAppointment, "soho"));
}

TEST(AccessTest, DeadLettersAndStaffContacts) {
  for (Action a : {Action::kDeadLetters, Action::kStaffContacts}) {
    EXPECT_TRUE(Allowed(P(Role::kNetworkAdmin), a, "soho"));
    EXPECT_TRUE(Allowed(P(Role::kClinicManager, "m", "soho"), a, "soho"));
    EXPECT_FALSE(Allowed(P(Role::kClinicManager, "m", "soho"), a, "leeds"));
    EXPECT_FALSE(Allowed(P(Role::kClinicManager, "m", "soho"), a, "-"));
    EXPECT_FALSE(Allowed(P(Role::kReception, "r", "soho"), a, "soho"));
  }
}

TEST(AccessTest, Templates) {
  EXPECT_TRUE(Allowed(P(Role::kNetworkAdmin), Action::kManageTemplates, "-"));
  EXPECT_FALSE(Allowed(P(Role::kClinicManager, "m", "soho"), Action::kManageTemplates, "-"));
  for (Role r : auth::kAllRoles) EXPECT_TRUE(Allowed(P(r, "x", "soho"), Action::kReadTemplates, "-"));
}

TEST(AccessTest, DeniedNamesTheRole) {
  const absl::Status s = Authorize(P(Role::kReception, "r", "soho"), Action::kManageTemplates);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("reception"), absl::string_view::npos);
}

}  // namespace
}  // namespace clinic::notification::domain
