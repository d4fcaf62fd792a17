#pragma once

// Regimens ("regimens/{id}"), as data: the seeded three (clinical_store.h
// SeedReferenceData) and those clinicians and network admins add. As the other stores:
// functions run inside the caller's transaction; inputs are validated by the caller
// (domain/treatment_validation.h).

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
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

}  // namespace clinic::patient::store
