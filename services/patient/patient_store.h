#pragma once

// The patient records and their consent: demographics and contact, the sharing consent
// that decides who sees a record, contact consent per channel, the duplicate check and
// the search.
//
// Functions run inside a transaction the caller opens (sql::Database::Transact, usually
// through api::RunOnce) so that they compose with the access log (access_log_store.h),
// which must be written in the same transaction; they may be run again when the
// transaction is retried. Inputs are validated and canonicalised by the caller
// (domain/patient_validation.h, validation.h); these functions enforce what needs stored
// state: existence, duplicates and etags. Authorisation is the caller's
// (domain/access_policy.h) from the RecordSharing LoadPatient returns.
//
// A cache in front of GetPatient and LookupContact keys its entries by patient id and
// compares PatientRecord::revision, which every write of the record or of its consent
// increases (a write never leaves it unchanged, so a newer value always has a greater
// revision); a writer deletes the key after its commit.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/patient/v1/consent.pb.h"
#include "clinic/patient/v1/patient.pb.h"
#include "clinic/type/v1/contact.pb.h"
#include "common/sql/database.h"
#include "services/patient/domain/access_policy.h"
#include "services/patient/domain/duplicate_key.h"

namespace clinic::patient::store {

// A page of a listing: at most `limit` items after `after` (the cursor of the last item of
// the previous page; empty for the first page).
struct PageRequest {
  std::vector<std::string> after;
  int limit = 50;
};

// Which records a caller may see, as a filter the store applies in SQL (the caller still
// checks each record with domain::CanSee).
struct Visibility {
  // Network-level principals see every record.
  bool all = false;
  // Clinic staff: their clinic id (empty: they see nothing).
  std::string clinic_id;
};
Visibility VisibilityOf(const auth::Principal& principal);

// One stored record.
struct PatientRecord {
  std::string patient_id;
  // Every field as stored, output-only ones included (name, home_clinic, state, times,
  // etag).
  v1::Patient patient;
  // Who may see it (home clinic and sharing consent).
  domain::RecordSharing sharing;
  // The demographics' version (the etag) and the record's revision (see above).
  int64_t version = 0;
  int64_t revision = 0;
};

// "patients/{patient_id}".
std::string PatientName(std::string_view patient_id);

// The record, or nullopt when there is none.
absl::StatusOr<std::optional<PatientRecord>> LoadPatient(sql::Transaction& tx, std::string_view patient_id);

// Inserts a new ACTIVE record of `patient` (validated, canonicalised) at the home clinic
// `home_clinic_id`, with sharing NONE and no contact consent, and starts its access log.
// ALREADY_EXISTS (google.rpc.ResourceInfo naming the existing record) when an ACTIVE
// record that `visibility` covers is the same person (domain/duplicate_key.h).
absl::StatusOr<PatientRecord> InsertPatient(sql::Transaction& tx, const std::string& patient_id,
                                            const std::string& home_clinic_id, const v1::Patient& patient,
                                            const Visibility& visibility, absl::Time now);

// Changes the `paths` of the record to those of `patient` (validated, canonicalised).
// ABORTED when `expected_version` is stale (nothing changed); ALREADY_EXISTS when the
// change makes it the same person as another ACTIVE record `visibility` covers.
absl::StatusOr<PatientRecord> UpdatePatient(sql::Transaction& tx, const PatientRecord& current,
                                            const v1::Patient& patient, const std::set<std::string>& paths,
                                            int64_t expected_version, const Visibility& visibility,
                                            absl::Time now);

// Pseudonymises the personal fields (names replaced by "erased", birth date reduced to the
// year, contact and address cleared, language kept), withdraws every consent and sets
// state ERASED. ABORTED when `expected_version` is stale.
absl::StatusOr<PatientRecord> ErasePatient(sql::Transaction& tx, const PatientRecord& current,
                                           int64_t expected_version, std::string_view erased_by, absl::Time now);

// SearchPatients' criteria, already in comparison form (empty / nullopt: not a criterion).
struct SearchCriteria {
  std::string name_prefix;  // FoldName of the prefix
  std::string birth_key;    // "YYYY-MM-DD"
  std::string phone_key;    // E.164
  std::string email_key;    // EmailKey
  bool show_inactive = false;
};

// The records matching every criterion that `visibility` covers, ordered by family name,
// given name (their folded forms) and id; the cursor is {patient_id} (no personal data in
// page tokens).
absl::Status SearchPatients(sql::Transaction& tx, const SearchCriteria& criteria, const Visibility& visibility,
                            const PageRequest& page, std::vector<PatientRecord>* out);

// Consent.

// The consent of a record ("patients/{id}/consent"), etag and contact entries included.
absl::StatusOr<v1::Consent> LoadConsent(sql::Transaction& tx, std::string_view patient_id);

// Sets the sharing consent (validated): scope, named clinics (ids), grant time, recorded
// by. ABORTED when `expected_consent_version` is given and stale.
absl::StatusOr<v1::Consent> SetSharing(sql::Transaction& tx, std::string_view patient_id,
                                       v1::SharingScope scope, const std::vector<std::string>& clinic_ids,
                                       absl::Time grant_time, std::string_view recorded_by,
                                       std::optional<int64_t> expected_consent_version, absl::Time now);

// Withdraws sharing at `withdraw_time`: scope NONE, no named clinics. Changes nothing (and
// returns false) when nothing was shared.
absl::StatusOr<bool> WithdrawSharing(sql::Transaction& tx, std::string_view patient_id, absl::Time withdraw_time,
                                     std::string_view recorded_by, absl::Time now);

// Sets the consent on one channel to GRANTED or WITHDRAWN (and preferred; making one
// channel preferred makes the others not). ABORTED when `expected_consent_version` is
// stale.
absl::StatusOr<v1::Consent> SetContactConsent(sql::Transaction& tx, std::string_view patient_id,
                                              type::v1::ContactChannel channel, v1::ContactConsentState state,
                                              bool preferred, int64_t expected_consent_version, absl::Time now);

// Records an opt-out on `channel` at `opt_out_time`.
absl::Status RecordOptOut(sql::Transaction& tx, std::string_view patient_id, type::v1::ContactChannel channel,
                          v1::OptOutSource source, absl::Time opt_out_time, absl::Time now);

// The ids of the records whose address on `channel` has the comparison form `address_key`
// (E.164 for SMS, EmailKey for email), ordered by id.
absl::StatusOr<std::vector<std::string>> FindByAddress(sql::Transaction& tx, type::v1::ContactChannel channel,
                                                       std::string_view address_key);

}  // namespace clinic::patient::store
