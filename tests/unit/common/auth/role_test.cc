#include "common/auth/role.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace clinic::auth {
namespace {

TEST(RoleTest, NamesAreTheStableClaimValues) {
  EXPECT_EQ(RoleName(Role::kReception), "reception");
  EXPECT_EQ(RoleName(Role::kPractitioner), "practitioner");
  EXPECT_EQ(RoleName(Role::kClinician), "clinician");
  EXPECT_EQ(RoleName(Role::kClinicManager), "clinic_manager");
  EXPECT_EQ(RoleName(Role::kNetworkAdmin), "network_admin");
  EXPECT_EQ(RoleName(Role::kDpo), "dpo");
  EXPECT_EQ(RoleName(Role::kService), "service");
}

TEST(RoleTest, ParseIsTheInverseOfName) {
  for (Role role : kAllRoles) EXPECT_EQ(ParseRole(RoleName(role)), role);
}

TEST(RoleTest, ParseRejectsUnknownAndWrongCase) {
  EXPECT_EQ(ParseRole(""), std::nullopt);
  EXPECT_EQ(ParseRole("admin"), std::nullopt);
  EXPECT_EQ(ParseRole("Clinician"), std::nullopt);
  EXPECT_EQ(ParseRole("clinician "), std::nullopt);
}

TEST(RoleTest, ClinicStaffRolesRequireAClinic) {
  EXPECT_TRUE(RoleRequiresClinic(Role::kReception));
  EXPECT_TRUE(RoleRequiresClinic(Role::kPractitioner));
  EXPECT_TRUE(RoleRequiresClinic(Role::kClinician));
  EXPECT_TRUE(RoleRequiresClinic(Role::kClinicManager));
  EXPECT_FALSE(RoleRequiresClinic(Role::kNetworkAdmin));
  EXPECT_FALSE(RoleRequiresClinic(Role::kDpo));
  EXPECT_FALSE(RoleRequiresClinic(Role::kService));
}

}  // namespace
}  // namespace clinic::auth
