#include "services/inventory/domain/access.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/status_matchers.h"

namespace clinic::inventory {
namespace {

using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// The callers of the table. Clinic staff carry the clinic claim "c1"; network_admin,
// the DPO and service identities carry none.
enum class Caller {
  kReception,
  kPractitioner,
  kClinician,
  kClinicManager,
  kNetworkAdmin,
  kDpo,
  kSchedulingService,
  kPatientService,
  kNotificationService,
};

constexpr Caller kAllCallers[] = {Caller::kReception,         Caller::kPractitioner,    Caller::kClinician,
                                  Caller::kClinicManager,     Caller::kNetworkAdmin,    Caller::kDpo,
                                  Caller::kSchedulingService, Caller::kPatientService, Caller::kNotificationService};

constexpr Action kAllActions[] = {Action::kReadCatalogue, Action::kManageCatalogue, Action::kReadClinic,
                                  Action::kConfigureClinic, Action::kManageStock,   Action::kReceiveStock,
                                  Action::kReserve,       Action::kConsume,         Action::kRecall,
                                  Action::kListRecipients, Action::kReadAlerts};

const char* Name(Caller caller) {
  switch (caller) {
    case Caller::kReception: return "reception";
    case Caller::kPractitioner: return "practitioner";
    case Caller::kClinician: return "clinician";
    case Caller::kClinicManager: return "clinic_manager";
    case Caller::kNetworkAdmin: return "network_admin";
    case Caller::kDpo: return "dpo";
    case Caller::kSchedulingService: return "service_scheduling";
    case Caller::kPatientService: return "service_patient";
    case Caller::kNotificationService: return "service_notification";
  }
  return "?";
}

const char* Name(Action action) {
  switch (action) {
    case Action::kReadCatalogue: return "ReadCatalogue";
    case Action::kManageCatalogue: return "ManageCatalogue";
    case Action::kReadClinic: return "ReadClinic";
    case Action::kConfigureClinic: return "ConfigureClinic";
    case Action::kManageStock: return "ManageStock";
    case Action::kReceiveStock: return "ReceiveStock";
    case Action::kReserve: return "Reserve";
    case Action::kConsume: return "Consume";
    case Action::kRecall: return "Recall";
    case Action::kListRecipients: return "ListRecipients";
    case Action::kReadAlerts: return "ReadAlerts";
  }
  return "?";
}

auth::Principal PrincipalOf(Caller caller) {
  auth::Principal p;
  p.subject = "user-1";
  p.expiry = absl::InfiniteFuture();
  p.token = "token";
  const auto staff = [&p](auth::Role role) {
    p.role = role;
    p.clinic = "c1";
  };
  const auto service = [&p](const char* name) {
    p.role = auth::Role::kService;
    p.subject = name;
  };
  switch (caller) {
    case Caller::kReception: staff(auth::Role::kReception); break;
    case Caller::kPractitioner: staff(auth::Role::kPractitioner); break;
    case Caller::kClinician: staff(auth::Role::kClinician); break;
    case Caller::kClinicManager: staff(auth::Role::kClinicManager); break;
    case Caller::kNetworkAdmin: p.role = auth::Role::kNetworkAdmin; break;
    case Caller::kDpo: p.role = auth::Role::kDpo; break;
    case Caller::kSchedulingService: service("scheduling"); break;
    case Caller::kPatientService: service("patient"); break;
    case Caller::kNotificationService: service("notification"); break;
  }
  return p;
}

struct Row {
  Action action;
  Caller caller;
  // Allowed at the caller's own clinic "c1", at another clinic "c2", at every clinic "-":
  // 'Y' or 'N' each.
  const char* own_other_all;
};

// The table of access.h, written out: every action × every caller.
constexpr Row kTable[] = {
    // kReadCatalogue: every staff role, any service identity (not about one clinic).
    {Action::kReadCatalogue, Caller::kReception, "YYY"},
    {Action::kReadCatalogue, Caller::kPractitioner, "YYY"},
    {Action::kReadCatalogue, Caller::kClinician, "YYY"},
    {Action::kReadCatalogue, Caller::kClinicManager, "YYY"},
    {Action::kReadCatalogue, Caller::kNetworkAdmin, "YYY"},
    {Action::kReadCatalogue, Caller::kDpo, "NNN"},
    {Action::kReadCatalogue, Caller::kSchedulingService, "YYY"},
    {Action::kReadCatalogue, Caller::kPatientService, "YYY"},
    {Action::kReadCatalogue, Caller::kNotificationService, "YYY"},
    // kManageCatalogue: network_admin.
    {Action::kManageCatalogue, Caller::kReception, "NNN"},
    {Action::kManageCatalogue, Caller::kPractitioner, "NNN"},
    {Action::kManageCatalogue, Caller::kClinician, "NNN"},
    {Action::kManageCatalogue, Caller::kClinicManager, "NNN"},
    {Action::kManageCatalogue, Caller::kNetworkAdmin, "YYY"},
    {Action::kManageCatalogue, Caller::kDpo, "NNN"},
    {Action::kManageCatalogue, Caller::kSchedulingService, "NNN"},
    {Action::kManageCatalogue, Caller::kPatientService, "NNN"},
    {Action::kManageCatalogue, Caller::kNotificationService, "NNN"},
    // kReadClinic: staff of the clinic, network_admin, any service identity.
    {Action::kReadClinic, Caller::kReception, "YNN"},
    {Action::kReadClinic, Caller::kPractitioner, "YNN"},
    {Action::kReadClinic, Caller::kClinician, "YNN"},
    {Action::kReadClinic, Caller::kClinicManager, "YNN"},
    {Action::kReadClinic, Caller::kNetworkAdmin, "YYY"},
    {Action::kReadClinic, Caller::kDpo, "NNN"},
    {Action::kReadClinic, Caller::kSchedulingService, "YYY"},
    {Action::kReadClinic, Caller::kPatientService, "YYY"},
    {Action::kReadClinic, Caller::kNotificationService, "YYY"},
    // kConfigureClinic: clinic_manager of the clinic, network_admin.
    {Action::kConfigureClinic, Caller::kReception, "NNN"},
    {Action::kConfigureClinic, Caller::kPractitioner, "NNN"},
    {Action::kConfigureClinic, Caller::kClinician, "NNN"},
    {Action::kConfigureClinic, Caller::kClinicManager, "YNN"},
    {Action::kConfigureClinic, Caller::kNetworkAdmin, "YYY"},
    {Action::kConfigureClinic, Caller::kDpo, "NNN"},
    {Action::kConfigureClinic, Caller::kSchedulingService, "NNN"},
    {Action::kConfigureClinic, Caller::kPatientService, "NNN"},
    {Action::kConfigureClinic, Caller::kNotificationService, "NNN"},
    // kManageStock: clinic_manager of the clinic, network_admin.
    {Action::kManageStock, Caller::kReception, "NNN"},
    {Action::kManageStock, Caller::kPractitioner, "NNN"},
    {Action::kManageStock, Caller::kClinician, "NNN"},
    {Action::kManageStock, Caller::kClinicManager, "YNN"},
    {Action::kManageStock, Caller::kNetworkAdmin, "YYY"},
    {Action::kManageStock, Caller::kDpo, "NNN"},
    {Action::kManageStock, Caller::kSchedulingService, "NNN"},
    {Action::kManageStock, Caller::kPatientService, "NNN"},
    {Action::kManageStock, Caller::kNotificationService, "NNN"},
    // kReceiveStock: clinic_manager, reception, practitioner of the clinic; network_admin.
    {Action::kReceiveStock, Caller::kReception, "YNN"},
    {Action::kReceiveStock, Caller::kPractitioner, "YNN"},
    {Action::kReceiveStock, Caller::kClinician, "NNN"},
    {Action::kReceiveStock, Caller::kClinicManager, "YNN"},
    {Action::kReceiveStock, Caller::kNetworkAdmin, "YYY"},
    {Action::kReceiveStock, Caller::kDpo, "NNN"},
    {Action::kReceiveStock, Caller::kSchedulingService, "NNN"},
    {Action::kReceiveStock, Caller::kPatientService, "NNN"},
    {Action::kReceiveStock, Caller::kNotificationService, "NNN"},
    // kReserve: staff of the clinic, network_admin, the scheduling service.
    {Action::kReserve, Caller::kReception, "YNN"},
    {Action::kReserve, Caller::kPractitioner, "YNN"},
    {Action::kReserve, Caller::kClinician, "YNN"},
    {Action::kReserve, Caller::kClinicManager, "YNN"},
    {Action::kReserve, Caller::kNetworkAdmin, "YYY"},
    {Action::kReserve, Caller::kDpo, "NNN"},
    {Action::kReserve, Caller::kSchedulingService, "YYY"},
    {Action::kReserve, Caller::kPatientService, "NNN"},
    {Action::kReserve, Caller::kNotificationService, "NNN"},
    // kConsume: practitioner, clinician of the clinic; the scheduling service.
    {Action::kConsume, Caller::kReception, "NNN"},
    {Action::kConsume, Caller::kPractitioner, "YNN"},
    {Action::kConsume, Caller::kClinician, "YNN"},
    {Action::kConsume, Caller::kClinicManager, "NNN"},
    {Action::kConsume, Caller::kNetworkAdmin, "NNN"},
    {Action::kConsume, Caller::kDpo, "NNN"},
    {Action::kConsume, Caller::kSchedulingService, "YYY"},
    {Action::kConsume, Caller::kPatientService, "NNN"},
    {Action::kConsume, Caller::kNotificationService, "NNN"},
    // kRecall: network_admin.
    {Action::kRecall, Caller::kReception, "NNN"},
    {Action::kRecall, Caller::kPractitioner, "NNN"},
    {Action::kRecall, Caller::kClinician, "NNN"},
    {Action::kRecall, Caller::kClinicManager, "NNN"},
    {Action::kRecall, Caller::kNetworkAdmin, "YYY"},
    {Action::kRecall, Caller::kDpo, "NNN"},
    {Action::kRecall, Caller::kSchedulingService, "NNN"},
    {Action::kRecall, Caller::kPatientService, "NNN"},
    {Action::kRecall, Caller::kNotificationService, "NNN"},
    // kListRecipients: network_admin, clinician (any clinic), the scheduling and patient
    // services.
    {Action::kListRecipients, Caller::kReception, "NNN"},
    {Action::kListRecipients, Caller::kPractitioner, "NNN"},
    {Action::kListRecipients, Caller::kClinician, "YYY"},
    {Action::kListRecipients, Caller::kClinicManager, "NNN"},
    {Action::kListRecipients, Caller::kNetworkAdmin, "YYY"},
    {Action::kListRecipients, Caller::kDpo, "NNN"},
    {Action::kListRecipients, Caller::kSchedulingService, "YYY"},
    {Action::kListRecipients, Caller::kPatientService, "YYY"},
    {Action::kListRecipients, Caller::kNotificationService, "NNN"},
    // kReadAlerts: staff of the clinic, network_admin.
    {Action::kReadAlerts, Caller::kReception, "YNN"},
    {Action::kReadAlerts, Caller::kPractitioner, "YNN"},
    {Action::kReadAlerts, Caller::kClinician, "YNN"},
    {Action::kReadAlerts, Caller::kClinicManager, "YNN"},
    {Action::kReadAlerts, Caller::kNetworkAdmin, "YYY"},
    {Action::kReadAlerts, Caller::kDpo, "NNN"},
    {Action::kReadAlerts, Caller::kSchedulingService, "NNN"},
    {Action::kReadAlerts, Caller::kPatientService, "NNN"},
    {Action::kReadAlerts, Caller::kNotificationService, "NNN"},
};

TEST(AccessTableTest, CoversEveryActionAndCallerOnce) {
  std::set<std::pair<Action, Caller>> seen;
  for (const Row& row : kTable) {
    EXPECT_TRUE(seen.emplace(row.action, row.caller).second) << Name(row.action) << " " << Name(row.caller);
    EXPECT_EQ(std::string(row.own_other_all).find_first_not_of("YN"), std::string::npos);
    EXPECT_EQ(std::string(row.own_other_all).size(), 3u);
  }
  EXPECT_EQ(seen.size(), std::size(kAllActions) * std::size(kAllCallers));
}

class AccessTest : public ::testing::TestWithParam<Row> {};

TEST_P(AccessTest, MatchesTheTable) {
  const Row& row = GetParam();
  const auth::Principal principal = PrincipalOf(row.caller);
  const char* clinics[] = {"c1", "c2", "-"};
  for (int i = 0; i < 3; ++i) {
    const bool want = row.own_other_all[i] == 'Y';
    EXPECT_EQ(Allowed(principal, row.action, clinics[i]), want) << "at clinic \"" << clinics[i] << "\"";
    if (want) {
      EXPECT_THAT(Authorize(principal, row.action, clinics[i]), IsOk()) << clinics[i];
    } else {
      EXPECT_THAT(Authorize(principal, row.action, clinics[i]), StatusIs(absl::StatusCode::kPermissionDenied))
          << clinics[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, AccessTest, ::testing::ValuesIn(kTable),
                         [](const ::testing::TestParamInfo<Row>& param_info) {
                           return std::string(Name(param_info.param.action)) + "_" + Name(param_info.param.caller);
                         });

// network_admin and the DPO may carry a clinic claim: it changes nothing.
TEST(AccessTest, NetworkAdminWithAClinicClaimActsEverywhere) {
  auth::Principal admin = PrincipalOf(Caller::kNetworkAdmin);
  admin.clinic = "c1";
  for (Action action : kAllActions) {
    if (action == Action::kConsume) continue;
    EXPECT_TRUE(Allowed(admin, action, "c2")) << Name(action);
    EXPECT_TRUE(Allowed(admin, action, "-")) << Name(action);
  }
  EXPECT_FALSE(Allowed(admin, Action::kConsume, "c1"));
}

TEST(AccessTest, DpoWithAClinicClaimHasNoStockRole) {
  auth::Principal dpo = PrincipalOf(Caller::kDpo);
  dpo.clinic = "c1";
  for (Action action : kAllActions) {
    EXPECT_FALSE(Allowed(dpo, action, "c1")) << Name(action);
  }
}

// A service identity is recognised by its subject, never by a clinic claim.
TEST(AccessTest, ServiceNamesAreExact) {
  for (const char* subject : {"Scheduling", "scheduling ", "schedulingx", "", "patients"}) {
    auth::Principal p = PrincipalOf(Caller::kSchedulingService);
    p.subject = subject;
    EXPECT_FALSE(Allowed(p, Action::kConsume, "c1")) << subject;
    EXPECT_FALSE(Allowed(p, Action::kListRecipients, "-")) << subject;
  }
  // A staff member whose subject happens to be "scheduling" is not the service.
  auth::Principal staff = PrincipalOf(Caller::kReception);
  staff.subject = "scheduling";
  EXPECT_FALSE(Allowed(staff, Action::kConsume, "c1"));
  EXPECT_FALSE(Allowed(staff, Action::kReserve, "c2"));
}

TEST(AccessTest, ClinicIdsCompareExactly) {
  const auth::Principal manager = PrincipalOf(Caller::kClinicManager);
  EXPECT_TRUE(Allowed(manager, Action::kManageStock, "c1"));
  EXPECT_FALSE(Allowed(manager, Action::kManageStock, "c10"));
  EXPECT_FALSE(Allowed(manager, Action::kManageStock, "C1"));
  EXPECT_FALSE(Allowed(manager, Action::kManageStock, ""));
}

TEST(AuthorizeTest, DenialNamesRoleAndClinicButNotTheSubject) {
  auth::Principal reception = PrincipalOf(Caller::kReception);
  reception.subject = "jane-doe-42";
  const absl::Status denied = Authorize(reception, Action::kManageStock, "c2");
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("reception")));
  EXPECT_THAT(std::string(denied.message()), HasSubstr("c2"));
  EXPECT_THAT(std::string(denied.message()), Not(HasSubstr("jane-doe-42")));
}

TEST(AuthorizeTest, DefaultClinicIsEveryClinic) {
  EXPECT_THAT(Authorize(PrincipalOf(Caller::kNetworkAdmin), Action::kRecall), IsOk());
  EXPECT_THAT(Authorize(PrincipalOf(Caller::kClinicManager), Action::kManageStock),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("clinic_manager")));
}

}  // namespace
}  // namespace clinic::inventory
