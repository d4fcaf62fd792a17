#pragma once

// The clinical tables: clinical profiles, laboratories and their reference ranges, lab
// results, eligibility assessments, and the seeded reference data (the default
// laboratory and the standard regimens).
//
// As patient_store.h: functions run inside the caller's transaction (they may run again
// when it is retried); inputs are validated by the caller (domain/); these functions
// enforce existence and etags. Resources are stored as serialized protos beside the
// columns that are filtered or ordered on; the output-only fields are rebuilt from the
// columns.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/patient/v1/clinical_profile.pb.h"
#include "clinic/patient/v1/eligibility.pb.h"
#include "clinic/patient/v1/lab.pb.h"
#include "common/sql/database.h"
#include "services/patient/domain/reference_ranges.h"
#include "services/patient/patient_store.h"

namespace clinic::patient::store {

// Inserts "laboratories/default" (domain::DefaultLaboratory) and the seeded regimens
// (domain::SeedRegimens) unless they exist. Run at start-up after the migrations;
// idempotent.
absl::Status SeedReferenceData(sql::Database& db, absl::Time now);

// Clinical profiles ("patients/{id}/clinicalProfile"). A patient without a stored
// profile has an empty one whose etag names version 0.
absl::StatusOr<v1::ClinicalProfile> GetClinicalProfile(sql::Transaction& tx, std::string_view patient_id);
// Changes the `paths` of the profile to those of `profile`; record_time of a symptom or
// contraindication already recorded (same code, and substance) is kept, new ones get
// `now`. ABORTED when `expected_version` is stale.
absl::StatusOr<v1::ClinicalProfile> UpdateClinicalProfile(sql::Transaction& tx, std::string_view patient_id,
                                                          const v1::ClinicalProfile& profile,
                                                          const std::set<std::string>& paths,
                                                          int64_t expected_version, std::string_view updated_by,
                                                          absl::Time now);

// Laboratories ("laboratories/{id}").
// ALREADY_EXISTS when the id is taken.
absl::StatusOr<v1::Laboratory> InsertLaboratory(sql::Transaction& tx, const std::string& laboratory_id,
                                                const v1::Laboratory& laboratory, absl::Time now);
// NOT_FOUND when there is none.
absl::StatusOr<v1::Laboratory> GetLaboratory(sql::Transaction& tx, std::string_view laboratory_id);
// By display name then id; the cursor is {display_name, laboratory_id}.
absl::Status ListLaboratories(sql::Transaction& tx, const PageRequest& page, std::vector<v1::Laboratory>* out);
// ABORTED when `expected_version` is stale.
absl::StatusOr<v1::Laboratory> UpdateLaboratory(sql::Transaction& tx, std::string_view laboratory_id,
                                                const v1::Laboratory& laboratory, const std::set<std::string>& paths,
                                                int64_t expected_version, absl::Time now);
// The ranges of every stored laboratory (the default one replacing the built-in defaults).
absl::StatusOr<domain::ReferenceRanges> LoadReferenceRanges(sql::Transaction& tx);

// Lab results ("patients/{id}/labResults/{result}").
// Stores `result` (interpreted; clinic, recorded_by set) and marks what it supersedes.
// NOT_FOUND (naming "lab_result.supersedes") when supersedes is not a result of this
// patient.
absl::StatusOr<v1::LabResult> InsertLabResult(sql::Transaction& tx, std::string_view patient_id,
                                              const std::string& lab_result_id, v1::LabResult result,
                                              absl::Time now);
absl::StatusOr<v1::LabResult> GetLabResult(sql::Transaction& tx, std::string_view patient_id,
                                           std::string_view lab_result_id);
struct LabResultFilter {
  std::set<int> analytes;  // empty: all
  std::optional<absl::Time> start, end;
  bool show_superseded = false;
};
// Newest collection first; the cursor is {collection_time_us, lab_result_id}.
absl::Status ListLabResults(sql::Transaction& tx, std::string_view patient_id, const LabResultFilter& filter,
                            const PageRequest& page, std::vector<v1::LabResult>* out);

// Eligibility assessments ("patients/{id}/eligibilityAssessments/{assessment}").
absl::StatusOr<v1::EligibilityAssessment> InsertAssessment(sql::Transaction& tx, std::string_view patient_id,
                                                           const std::string& assessment_id,
                                                           v1::EligibilityAssessment assessment, absl::Time now);
absl::StatusOr<v1::EligibilityAssessment> GetAssessment(sql::Transaction& tx, std::string_view patient_id,
                                                        std::string_view assessment_id);
// Replaces the stored assessment (its override); ABORTED when `expected_version` is stale.
absl::StatusOr<v1::EligibilityAssessment> UpdateAssessment(sql::Transaction& tx, std::string_view patient_id,
                                                           std::string_view assessment_id,
                                                           const v1::EligibilityAssessment& assessment,
                                                           int64_t expected_version);
// Newest first; the cursor is {create_time_us, assessment_id}.
absl::Status ListAssessments(sql::Transaction& tx, std::string_view patient_id, const PageRequest& page,
                             std::vector<v1::EligibilityAssessment>* out);

}  // namespace clinic::patient::store
