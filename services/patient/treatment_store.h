#pragma once

// Regimens ("regimens/{id}"), as data: the seeded three (clinical_store.h
// SeedReferenceData) and those clinicians and network admins add; a patient's treatment
// plans with every revision, the administrations (doses given) and the outcome
// check-ins. As the other stores: functions run inside the caller's transaction (they
// may run again when it is retried); inputs are validated by the caller
// (domain/treatment_validation.h, administration_validation.h, check_in_validation.h);
// these functions enforce existence and etags. Sub-resources of a patient are looked up
// by patient id and their own id together, so another patient's id is NOT_FOUND.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/time/civil_time.h"
#include "clinic/patient/v1/check_in.pb.h"
#include "clinic/patient/v1/treatment.pb.h"
#include "common/sql/database.h"
#include "services/patient/patient_store.h"

namespace clinic::patient::store {

// Inserts an ACTIVE regimen; ALREADY_EXISTS when the id is taken.
absl::StatusOr<v1::Regimen> InsertRegimen(sql::Transaction& tx, const std::string& regimen_id, v1::Regimen regimen,
                                          absl::Time now);
// NOT_FOUND when there is none.
absl::StatusOr<v1::Regimen> GetRegimen(sql::Transaction& tx, std::string_view regimen_id);
// By display name then id; the cursor is {display_name, regimen_id}.
absl::Status ListRegimens(sql::Transaction& tx, bool show_retired, const PageRequest& page,
                          std::vector<v1::Regimen>* out);
// Changes the `paths` of the regimen; ABORTED when `expected_version` is stale.
absl::StatusOr<v1::Regimen> UpdateRegimen(sql::Transaction& tx, std::string_view regimen_id,
                                          const v1::Regimen& regimen, const std::set<std::string>& paths,
                                          int64_t expected_version, absl::Time now);

// Treatment plans ("patients/{id}/treatmentPlans/{plan}"). A plan's etag names its latest
// revision, which increases from 1 with every write; each revision's body is the whole
// plan as of that revision.

// Stores `plan` (complete: clinic, prescriber, state set) as revision 1.
absl::StatusOr<v1::TreatmentPlan> InsertTreatmentPlan(sql::Transaction& tx, std::string_view patient_id,
                                                      const std::string& plan_id, v1::TreatmentPlan plan,
                                                      absl::Time now);
// The latest revision (`revision` 0) or the given one; NOT_FOUND when there is none. A
// past revision has the name without a revision suffix, its own revision_id, and an etag
// that never matches an update.
absl::StatusOr<v1::TreatmentPlan> GetTreatmentPlan(sql::Transaction& tx, std::string_view patient_id,
                                                   std::string_view plan_id, int64_t revision = 0);
// Latest revisions, newest plan first, only `states` (all when empty); the cursor is
// {create_time_us, plan_id}.
absl::Status ListTreatmentPlans(sql::Transaction& tx, std::string_view patient_id, const std::set<int>& states,
                                const PageRequest& page, std::vector<v1::TreatmentPlan>* out);
// Stores `next` (the whole plan as it becomes) as the revision after
// `expected_revision`; ABORTED when that is not the latest revision any more.
absl::StatusOr<v1::TreatmentPlan> AppendTreatmentPlanRevision(sql::Transaction& tx, std::string_view patient_id,
                                                              std::string_view plan_id, v1::TreatmentPlan next,
                                                              int64_t expected_revision, absl::Time now);
// Every revision, newest first; the cursor is {revision}. NOT_FOUND when the plan does
// not exist.
absl::Status ListTreatmentPlanRevisions(sql::Transaction& tx, std::string_view patient_id, std::string_view plan_id,
                                        const PageRequest& page, std::vector<v1::TreatmentPlan>* out);

// Administrations ("patients/{id}/administrations/{administration}"), immutable.

// A stored administration and the patient it belongs to.
struct StoredAdministration {
  std::string patient_id;
  v1::Administration administration;
};
// The administration that the RecordAdministration with `request_id` recorded, if any
// (request_id is unique: a redelivery after the idempotency key was purged still records
// nothing more).
absl::StatusOr<std::optional<StoredAdministration>> FindAdministrationByRequest(sql::Transaction& tx,
                                                                                std::string_view request_id);
// Stores `administration` (complete: treatment_plan_revision, recorded_by set).
absl::StatusOr<v1::Administration> InsertAdministration(sql::Transaction& tx, std::string_view patient_id,
                                                        const std::string& administration_id,
                                                        std::string_view plan_id, std::string_view request_id,
                                                        v1::Administration administration, absl::Time now);
absl::StatusOr<v1::Administration> GetAdministration(sql::Transaction& tx, std::string_view patient_id,
                                                     std::string_view administration_id);
// Newest administer_time first, only those of `plan_id` when it is not empty; the cursor
// is {administer_time_us, administration_id}.
absl::Status ListAdministrations(sql::Transaction& tx, std::string_view patient_id, std::string_view plan_id,
                                 const PageRequest& page, std::vector<v1::Administration>* out);

// Check-ins ("patients/{id}/checkIns/{check_in}"), immutable.

// Stores `check_in` (complete: source, recorded_by set).
absl::StatusOr<v1::CheckIn> InsertCheckIn(sql::Transaction& tx, std::string_view patient_id,
                                          const std::string& check_in_id, v1::CheckIn check_in, absl::Time now);
// Dates from `first` to `last` (inclusive; open when unset).
struct CheckInRange {
  std::optional<absl::CivilDay> first, last;
};
// Newest date first (then newest recorded first); the cursor is
// {check_in_day, create_time_us, check_in_id}.
absl::Status ListCheckIns(sql::Transaction& tx, std::string_view patient_id, const CheckInRange& range,
                          const PageRequest& page, std::vector<v1::CheckIn>* out);
// Every check-in of the range, oldest date first, in creation order within a date (what
// domain::ComputeCheckInTrend wants).
absl::Status ListAllCheckInsOldestFirst(sql::Transaction& tx, std::string_view patient_id,
                                        const CheckInRange& range, std::vector<v1::CheckIn>* out);

}  // namespace clinic::patient::store
