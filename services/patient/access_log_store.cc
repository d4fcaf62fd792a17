#include "services/patient/access_log_store.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace clinic::patient::store {
namespace {

constexpr absl::string_view kEntryColumns =
    "sequence, principal, role, clinic, action, method, resource, purpose, outcome, request_id, access_time_us, "
    "previous_hash, hash";

domain::AccessLogRecord RecordFromRow(std::string_view patient_id, const sql::Row& row) {
  domain::AccessLogRecord r;
  r.patient = PatientName(patient_id);
  r.sequence = row.GetInt64(0);
  r.principal = row.GetText(1);
  r.role = row.GetText(2);
  r.clinic = row.GetText(3);
  r.action = static_cast<v1::AccessAction>(row.GetInt64(4));
  r.method = row.GetText(5);
  r.resource = row.GetText(6);
  r.purpose = static_cast<v1::AccessPurpose>(row.GetInt64(7));
  r.outcome = static_cast<v1::AccessOutcome>(row.GetInt64(8));
  r.request_id = row.GetText(9);
  r.access_time = absl::FromUnixMicros(row.GetInt64(10));
  r.previous_hash = row.GetText(11);
  r.hash = row.GetText(12);
  return r;
}

}  // namespace

absl::Status AppendAccessLog(sql::Transaction& tx, std::string_view patient_id, domain::AccessLogRecord record) {
  absl::StatusOr<sql::ResultSet> head = tx.Query(
      "UPDATE access_log_heads SET last_sequence = last_sequence + 1 WHERE patient_id = $1 "
      "RETURNING last_sequence, last_hash",
      {patient_id});
  if (!head.ok()) return head.status();
  if (head->empty()) return absl::NotFoundError("no such patient");
  record.patient = PatientName(patient_id);
  record.sequence = (*head)[0].GetInt64(0);
  // Whole microseconds: what is stored is what was hashed.
  record.access_time = absl::FromUnixMicros(absl::ToUnixMicros(record.access_time));
  domain::Seal((*head)[0].GetText(1), record);
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO access_log (patient_id, sequence, principal, role, clinic, action, method, resource, purpose, "
      "outcome, request_id, access_time_us, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
      "$11, $12, $13, $14)",
      {patient_id, record.sequence, record.principal, record.role, record.clinic,
       static_cast<int64_t>(record.action), record.method, record.resource, static_cast<int64_t>(record.purpose),
       static_cast<int64_t>(record.outcome), record.request_id, absl::ToUnixMicros(record.access_time),
       record.previous_hash, record.hash});
  if (!inserted.ok()) return inserted.status();
  return tx.Execute("UPDATE access_log_heads SET last_hash = $2 WHERE patient_id = $1", {patient_id, record.hash})
      .status();
}

absl::Status ListAccessLog(sql::Transaction& tx, std::string_view patient_id, std::optional<absl::Time> start,
                           std::optional<absl::Time> end, const PageRequest& page,
                           std::vector<v1::AccessLogEntry>* out) {
  int64_t before = 0;
  const bool first = page.after.size() != 1 || !absl::SimpleAtoi(page.after[0], &before);
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kEntryColumns,
                   " FROM access_log WHERE patient_id = $1 AND ($2 OR access_time_us >= $3) "
                   "AND ($4 OR access_time_us < $5) AND ($6 OR sequence < $7) ORDER BY sequence DESC LIMIT $8"),
      {patient_id, !start.has_value(), start.has_value() ? absl::ToUnixMicros(*start) : int64_t{0},
       !end.has_value(), end.has_value() ? absl::ToUnixMicros(*end) : int64_t{0}, first, before, page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    domain::AccessLogRecord record = RecordFromRow(patient_id, row);
    std::string name = absl::StrCat(PatientName(patient_id), "/accessLogEntries/", record.sequence);
    out->push_back(domain::ToProto(record, std::move(name)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<domain::AccessLogRecord>> ReadAccessLogChain(sql::Transaction& tx,
                                                                        std::string_view patient_id) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kEntryColumns, " FROM access_log WHERE patient_id = $1 ORDER BY sequence"),
      {patient_id});
  if (!rows.ok()) return rows.status();
  std::vector<domain::AccessLogRecord> records;
  for (const sql::Row& row : *rows) records.push_back(RecordFromRow(patient_id, row));
  return records;
}

}  // namespace clinic::patient::store
