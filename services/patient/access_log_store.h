#pragma once

// The access log: append-only, one hash chain per patient (domain/access_log_chain.h).
//
// Append runs in the transaction of the access it records, so the entry commits with the
// access or not at all. It first advances the chain head (access_log_heads), which locks
// the head row until commit: concurrent appends to one patient's log queue behind each
// other (PostgreSQL row lock; SQLite serialises writers) and every entry links to the one
// committed before it, with sequence numbers 1, 2, 3... without gaps.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clinic/patient/v1/access_log.pb.h"
#include "common/sql/database.h"
#include "services/patient/domain/access_log_chain.h"
#include "services/patient/patient_store.h"

namespace clinic::patient::store {

// Appends `record` (every field but patient, sequence and the hashes) to the log of
// `patient_id`, sealing it after the chain's last entry. NOT_FOUND when the patient has no
// log (no such patient).
absl::Status AppendAccessLog(sql::Transaction& tx, std::string_view patient_id, domain::AccessLogRecord record);

// The entries of `patient_id`'s log with start <= access_time < end (either open), newest
// first; the cursor is {sequence}.
absl::Status ListAccessLog(sql::Transaction& tx, std::string_view patient_id, std::optional<absl::Time> start,
                           std::optional<absl::Time> end, const PageRequest& page,
                           std::vector<v1::AccessLogEntry>* out);

// The whole log of `patient_id` in sequence order, as hashed (for verification).
absl::StatusOr<std::vector<domain::AccessLogRecord>> ReadAccessLogChain(sql::Transaction& tx,
                                                                        std::string_view patient_id);

}  // namespace clinic::patient::store
