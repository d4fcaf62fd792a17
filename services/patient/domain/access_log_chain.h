#pragma once

// The access log's hash chain (clinic.patient.v1.AccessLogEntry.hash): each entry's hash
// is the hex SHA-256 of the previous entry's hash and the entry's canonical form, so that
// a removed, reordered or altered entry breaks every later link. One chain per patient.
//
// Canonical form (version 1), unambiguous because every field has a fixed width or a
// length prefix:
//   "clinic.patient.v1.AccessLogEntry/1"   the domain tag, length-prefixed like a string
//   patient, sequence, principal, role, clinic, action, method, resource, purpose,
//   outcome, request_id, access_time
// where a string is its length as a 64-bit big-endian integer followed by its bytes, an
// integer (sequence, the enum numbers) is 64-bit big-endian two's complement, and
// access_time is whole microseconds since the Unix epoch (floor), 64-bit big-endian —
// the precision the stores keep (common/sql/value.h), so a hash recomputed from a stored
// row matches. The hash is SHA-256 over the length-prefixed previous hash followed by the
// canonical form, in lower-case hex. The first entry's previous hash is kGenesisHash.
// Changing any of this breaks every stored chain: make a version 2 instead.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "clinic/patient/v1/access_log.pb.h"

namespace clinic::patient::domain {

// The previous hash of a log's first entry: 64 zeros.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// One entry of a patient's access log, as hashed.
struct AccessLogRecord {
  std::string patient;        // "patients/{patient}": whose log
  std::int64_t sequence = 0;  // 1, 2, 3... without gaps
  std::string principal;      // JWT subject
  std::string role;           // JWT role claim
  std::string clinic;         // "clinics/{clinic}" or empty
  v1::AccessAction action = v1::ACCESS_ACTION_UNSPECIFIED;
  std::string method;    // e.g. "clinic.patient.v1.PatientService/GetPatient"
  std::string resource;  // e.g. "patients/123/labResults/9"
  v1::AccessPurpose purpose = v1::ACCESS_PURPOSE_UNSPECIFIED;
  v1::AccessOutcome outcome = v1::ACCESS_OUTCOME_UNSPECIFIED;
  std::string request_id;
  absl::Time access_time;
  std::string previous_hash;  // set by Seal
  std::string hash;           // set by Seal
};

// The canonical form of `record` (every field but previous_hash and hash).
std::string CanonicalForm(const AccessLogRecord& record);

// The hash of `record` chained after `previous_hash`.
std::string ChainHash(std::string_view previous_hash, const AccessLogRecord& record);

// Links `record` after an entry whose hash is `previous_hash` (kGenesisHash for the
// first): sets record.previous_hash and record.hash. The store calls it in the
// transaction that appends the entry, having read the last entry's hash and sequence.
void Seal(std::string_view previous_hash, AccessLogRecord& record);

// The first broken link of a chain.
struct ChainBreak {
  enum class Kind {
    kWrongPatient,          // the entry belongs to another patient's log
    kSequenceGap,           // sequence is not the previous one + 1 (removed or reordered)
    kPreviousHashMismatch,  // previous_hash is not the previous entry's hash
    kHashMismatch,          // hash does not match the entry's content (altered)
  };
  std::size_t index = 0;      // position in the verified span
  std::int64_t sequence = 0;  // the entry's sequence as stored
  Kind kind = Kind::kHashMismatch;

  friend bool operator==(const ChainBreak&, const ChainBreak&) = default;
};

// Checks `records` (one patient's entries in sequence order) as the continuation of a
// chain whose last verified entry had hash `previous_hash` and sequence
// `first_sequence - 1` (defaults: a log verified from its first entry). Returns the first
// broken link, or nullopt if every link holds. All records must name the first record's
// patient.
std::optional<ChainBreak> VerifyChain(absl::Span<const AccessLogRecord> records,
                                      std::string_view previous_hash = kGenesisHash,
                                      std::int64_t first_sequence = 1);

// The proto of a record; `name` is the entry's resource name.
v1::AccessLogEntry ToProto(const AccessLogRecord& record, std::string name);

// The record of a stored entry of `patient`'s log (an invalid access_time reads as the
// Unix epoch and will not verify).
AccessLogRecord FromProto(const v1::AccessLogEntry& entry, std::string patient);

}  // namespace clinic::patient::domain
