#include "services/patient/domain/access_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tests/support/status_matchers.h"

namespace clinic::patient::domain {
namespace {

using auth::Principal;
using auth::Role;
using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;

// The matrix of access_policy.h, typed out independently of the implementation: for
// each action, the grant of reception, practitioner, clinician, clinic_manager,
// network_admin and dpo ('V' visible, 'H' home clinic only, '-' never), and the service
// identities allowed.
struct Row {
  PatientAction action;
  const char* grants;  // 6 characters
  std::set<std::string> services;
  bool record_action;
};

void PrintTo(const Row& row, std::ostream* os) { *os << PatientActionName(row.action); }

const std::vector<Row>& Matrix() {
  static const std::vector<Row> rows = {
      {PatientAction::kCreatePatient, "V-VV--", {}, false},
      {PatientAction::kSearchPatients, "VVVVVV", {}, false},
      {PatientAction::kReadDemographics, "VVVVVV", {"scheduling", "portal"}, true},
      {PatientAction::kUpdateDemographics, "V-VV--", {}, true},
      {PatientAction::kErase, "-----V", {}, true},
      {PatientAction::kMerge, "--HH-V", {}, true},
      {PatientAction::kReadConsent, "VVVVVV", {"portal"}, true},
      {PatientAction::kUpdateSharingConsent, "H-H---", {}, true},
      {PatientAction::kWithdrawSharingConsent, "H-H--V", {"portal"}, true},
      {PatientAction::kUpdateContactConsent, "V-V---", {"portal"}, true},
      {PatientAction::kRecordContactOptOut, "V-----", {"notification", "messaging-gateway"}, true},
      {PatientAction::kReadClinical, "-VV---", {}, true},
      {PatientAction::kWriteClinical, "--V---", {}, true},
      {PatientAction::kRecordLabResult, "-VV---", {}, true},
      {PatientAction::kAssessEligibility, "--V---", {"scheduling"}, true},
      {PatientAction::kReadEligibility, "-VV---", {"scheduling"}, true},
      {PatientAction::kReadTreatmentPlan, "-VV---", {"scheduling"}, true},
      {PatientAction::kListTreatmentPlans, "VVV---", {"scheduling"}, true},
      {PatientAction::kRecordAdministration, "-VV---", {"scheduling"}, true},
      {PatientAction::kRecordCheckIn, "VVV---", {"portal"}, true},
      {PatientAction::kReadCheckIns, "-VV---", {"portal"}, true},
      {PatientAction::kLookupContact, "------", {"notification"}, true},
      {PatientAction::kReadAccessLog, "---H-V", {"portal"}, true},
      {PatientAction::kReadLaboratories, "VVVVVV", {}, false},
      {PatientAction::kManageLaboratories, "--V-V-", {}, false},
      {PatientAction::kReadRegimens, "VVVVVV", {"scheduling", "portal"}, false},
      {PatientAction::kManageRegimens, "--V-V-", {}, false},
  };
  return rows;
}

constexpr Role kStaffAndNetworkRoles[] = {Role::kReception,    Role::kPractitioner,
                                          Role::kClinician,    Role::kClinicManager,
                                          Role::kNetworkAdmin, Role::kDpo};
const char* const kServices[] = {"scheduling",        "notification", "portal",
                                 "messaging-gateway", "inventory",    "unknown"};

Principal Staff(Role role, const char* clinic) {
  Principal p;
  p.subject = "someone";
  p.role = role;
  p.clinic = clinic;
  return p;
}

Principal Service(const char* name) {
  Principal p;
  p.subject = name;
  p.role = Role::kService;
  return p;
}

RecordSharing Record(v1::SharingScope scope, std::vector<std::string> clinics = {}) {
  return RecordSharing{"clinics/clinic-a", scope, std::move(clinics)};
}

// Situations of a record relative to a caller of clinic-a, -b or -c.
struct Situation {
  const char* name;
  const char* caller_clinic;
  std::optional<RecordSharing> record;  // nullopt: no such record
  bool visible_to_staff;
  bool home;
};

std::vector<Situation> Situations() {
  return {
      {"missing", "clinic-a", std::nullopt, false, false},
      {"home", "clinic-a", Record(v1::SHARING_SCOPE_NONE), true, true},
      {"home_scope_unspecified", "clinic-a", Record(v1::SHARING_SCOPE_UNSPECIFIED), true, true},
      {"shared_with_network", "clinic-b", Record(v1::SHARING_SCOPE_NETWORK), true, false},
      {"shared_with_my_clinic", "clinic-b",
       Record(v1::SHARING_SCOPE_NAMED_CLINICS, {"clinics/clinic-d", "clinics/clinic-b"}), true,
       false},
      {"shared_with_other_clinics", "clinic-c",
       Record(v1::SHARING_SCOPE_NAMED_CLINICS, {"clinics/clinic-b"}), false, false},
      {"not_shared", "clinic-b", Record(v1::SHARING_SCOPE_NONE), false, false},
  };
}

// What the documented rules say for one grant in one situation.
AccessDecision Expected(char grant, bool record_action, bool network_level, const Situation& s) {
  if (grant == '-') return AccessDecision::kPermissionDenied;
  if (!record_action) return AccessDecision::kAllow;
  if (!s.record) return AccessDecision::kNotFound;
  if (network_level) return AccessDecision::kAllow;
  if (!s.visible_to_staff) return AccessDecision::kNotFound;
  if (grant == 'H' && !s.home) return AccessDecision::kPermissionDenied;
  return AccessDecision::kAllow;
}

class AccessMatrixTest : public ::testing::TestWithParam<Row> {};

TEST_P(AccessMatrixTest, EveryRoleInEverySituation) {
  const Row& row = GetParam();
  EXPECT_EQ(IsRecordAction(row.action), row.record_action);
  for (const Situation& s : Situations()) {
    const RecordSharing* record = s.record ? &*s.record : nullptr;
    for (std::size_t i = 0; i < std::size(kStaffAndNetworkRoles); ++i) {
      const Role role = kStaffAndNetworkRoles[i];
      const bool network_level = !auth::RoleRequiresClinic(role);
      EXPECT_EQ(RoleMayPerform(Staff(role, s.caller_clinic), row.action), row.grants[i] != '-');
      EXPECT_EQ(Authorize(Staff(role, s.caller_clinic), row.action, record),
                Expected(row.grants[i], row.record_action, network_level, s))
          << PatientActionName(row.action) << " by " << role << " / " << s.name;
    }
    for (const char* service : kServices) {
      const char grant = row.services.count(service) ? 'V' : '-';
      EXPECT_EQ(RoleMayPerform(Service(service), row.action), grant != '-');
      EXPECT_EQ(Authorize(Service(service), row.action, record),
                Expected(grant, row.record_action, /*network_level=*/true, s))
          << PatientActionName(row.action) << " by service " << service << " / " << s.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, AccessMatrixTest, ::testing::ValuesIn(Matrix()),
                         [](const ::testing::TestParamInfo<Row>& param_info) {
                           return std::string(PatientActionName(param_info.param.action));
                         });

TEST(AccessPolicyTest, TheMatrixCoversEveryAction) {
  std::set<PatientAction> covered;
  for (const Row& row : Matrix()) covered.insert(row.action);
  for (PatientAction action : kAllPatientActions) {
    EXPECT_TRUE(covered.count(action)) << PatientActionName(action);
    EXPECT_NE(PatientActionName(action), "unknown");
  }
  EXPECT_EQ(covered.size(), std::size(kAllPatientActions));
}

TEST(AccessPolicyTest, WithdrawingConsentStopsAccessAtOnce) {
  const Principal other_clinic = Staff(Role::kClinician, "clinic-b");
  RecordSharing record = Record(v1::SHARING_SCOPE_NETWORK);
  EXPECT_EQ(Authorize(other_clinic, PatientAction::kReadClinical, &record), AccessDecision::kAllow);
  record = ToRecordSharing("clinics/clinic-a", v1::SharingConsent());  // withdrawn: scope unset
  EXPECT_EQ(Authorize(other_clinic, PatientAction::kReadClinical, &record),
            AccessDecision::kNotFound);
  EXPECT_EQ(Authorize(Staff(Role::kClinician, "clinic-a"), PatientAction::kReadClinical, &record),
            AccessDecision::kAllow);
}

TEST(AccessPolicyTest, ToRecordSharingCopiesTheConsent) {
  v1::SharingConsent consent;
  consent.set_scope(v1::SHARING_SCOPE_NAMED_CLINICS);
  consent.add_clinics("clinics/clinic-b");
  const RecordSharing r = ToRecordSharing("clinics/clinic-a", consent);
  EXPECT_EQ(r.home_clinic, "clinics/clinic-a");
  EXPECT_EQ(r.scope, v1::SHARING_SCOPE_NAMED_CLINICS);
  EXPECT_EQ(r.shared_clinics, std::vector<std::string>{"clinics/clinic-b"});
}

TEST(AccessPolicyTest, StaffWithoutAClinicSeeNothing) {
  Principal p = Staff(Role::kReception, "clinic-a");
  p.clinic.reset();
  const RecordSharing record = Record(v1::SHARING_SCOPE_NETWORK);
  EXPECT_FALSE(CanSee(p, record));
  EXPECT_EQ(Authorize(p, PatientAction::kReadDemographics, &record), AccessDecision::kNotFound);
  p.clinic = "";
  EXPECT_FALSE(CanSee(p, record));
}

TEST(AccessPolicyTest, ClinicClaimMayAlreadyBeAResourceName) {
  EXPECT_EQ(PrincipalClinicName(Staff(Role::kReception, "clinic-a")), "clinics/clinic-a");
  EXPECT_EQ(PrincipalClinicName(Staff(Role::kReception, "clinics/clinic-a")), "clinics/clinic-a");
  EXPECT_TRUE(CanSee(Staff(Role::kReception, "clinics/clinic-a"), Record(v1::SHARING_SCOPE_NONE)));
}

TEST(AccessPolicyTest, AServiceClinicClaimChangesNothing) {
  Principal notification = Service("notification");
  notification.clinic = "clinic-z";
  const RecordSharing record = Record(v1::SHARING_SCOPE_NONE);
  EXPECT_EQ(Authorize(notification, PatientAction::kLookupContact, &record),
            AccessDecision::kAllow);
}

TEST(AccessPolicyTest, InvisibleAndMissingRecordsAnswerTheSameStatus) {
  const Principal caller = Staff(Role::kClinician, "clinic-b");
  const RecordSharing invisible = Record(v1::SHARING_SCOPE_NONE);
  const absl::Status a =
      DecisionToStatus(Authorize(caller, PatientAction::kReadClinical, &invisible), caller,
                       PatientAction::kReadClinical, "patients/123");
  const absl::Status b = DecisionToStatus(Authorize(caller, PatientAction::kReadClinical, nullptr),
                                          caller, PatientAction::kReadClinical, "patients/123");
  EXPECT_THAT(a, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, RecordNotFound("patients/123"));
}

TEST(AccessPolicyTest, ARoleThatMayNeverActIsDeniedEvenForAMissingRecord) {
  const Principal reception = Staff(Role::kReception, "clinic-a");
  EXPECT_EQ(Authorize(reception, PatientAction::kLookupContact, nullptr),
            AccessDecision::kPermissionDenied);
  const absl::Status s = DecisionToStatus(AccessDecision::kPermissionDenied, reception,
                                          PatientAction::kLookupContact, "patients/123");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied,
                          ::testing::HasSubstr("reception may not lookup_contact")));
  EXPECT_THAT(s.message(), ::testing::Not(::testing::HasSubstr("clinic-a")));
  EXPECT_THAT(DecisionToStatus(AccessDecision::kAllow, reception, PatientAction::kLookupContact,
                               "patients/123"),
              IsOk());
}

}  // namespace
}  // namespace clinic::patient::domain
