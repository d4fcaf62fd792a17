#include "services/patient/domain/administration_validation.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/time/civil_time.h"
#include "services/patient/domain/field_checks.h"
#include "services/patient/domain/proto_time.h"
#include "services/patient/domain/treatment_validation.h"

namespace clinic::patient::domain {

bool IsInjectedRoute(v1::Route route) {
  return route == v1::ROUTE_INTRAMUSCULAR || route == v1::ROUTE_DEEP_INTRAMUSCULAR ||
         route == v1::ROUTE_SUBCUTANEOUS;
}

void ValidateAdministrationInput(const v1::Administration& administration, absl::Time now,
                                 std::string_view prefix, status::FieldViolations& violations) {
  for (const auto& [value, field] : {std::pair<std::string_view, std::string_view>{administration.product(), "product"},
                                     {administration.lot(), "lot"},
                                     {administration.practitioner(), "practitioner"},
                                     {administration.clinic(), "clinic"}}) {
    if (value.empty()) violations.Add(FieldPath(prefix, field), "is required");
  }
  CheckRequiredText(administration.lot_number(), kMaxLotNumberLength, TextKind::kSingleLine,
                    FieldPath(prefix, "lot_number"), violations);

  const std::string time_field = FieldPath(prefix, "administer_time");
  std::optional<absl::Time> given;
  if (!administration.has_administer_time()) {
    violations.Add(time_field, "is required");
  } else if (given = ToTime(administration.administer_time()); !given) {
    violations.Add(time_field, "must be a valid timestamp");
  } else if (*given > now + kAdministerTimeSkew) {
    violations.Add(time_field, "must not be in the future");
    given.reset();
  }

  const std::string expiry_field = FieldPath(prefix, "expiry_date");
  if (!administration.has_expiry_date()) {
    violations.Add(expiry_field, "is required");
  } else if (std::optional<absl::CivilDay> expiry = ToCivilDay(administration.expiry_date()); !expiry) {
    violations.Add(expiry_field, "must be a real calendar date");
  } else if (given.has_value() && *expiry < absl::ToCivilDay(*given, absl::FixedTimeZone(-12 * 60 * 60))) {
    violations.Add(expiry_field, "must not be before the day of administration (the lot had expired)");
  }

  CheckDose(administration.has_dose(), administration.dose(), FieldPath(prefix, "dose"), violations);
  const v1::Route route = administration.route();
  const std::string site_field = FieldPath(prefix, "site");
  if (route == v1::ROUTE_UNSPECIFIED || !v1::Route_IsValid(route)) {
    violations.Add(FieldPath(prefix, "route"), "must be set to a known route");
  }
  const v1::InjectionSite site = administration.site();
  if (!v1::InjectionSite_IsValid(site)) {
    violations.Add(site_field, "must be a known injection site");
  } else if (IsInjectedRoute(route) &&
             (site == v1::INJECTION_SITE_UNSPECIFIED || site == v1::INJECTION_SITE_NOT_APPLICABLE)) {
    violations.Add(site_field, "is required for an injection");
  } else if (route == v1::ROUTE_ORAL && site != v1::INJECTION_SITE_UNSPECIFIED &&
             site != v1::INJECTION_SITE_NOT_APPLICABLE) {
    violations.Add(site_field, "must be NOT_APPLICABLE for an oral dose");
  }
  CheckOptionalText(administration.notes(), kMaxAdministrationNotesLength, TextKind::kMultiLine,
                    FieldPath(prefix, "notes"), violations);
}

}  // namespace clinic::patient::domain
