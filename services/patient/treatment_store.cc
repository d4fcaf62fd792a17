#include "services/patient/treatment_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/status/status.h"
#include "google/protobuf/util/field_mask_util.h"

namespace clinic::patient::store {
namespace {

constexpr absl::string_view kRegimenColumns =
    "regimen_id, display_name, state, body, create_time_us, update_time_us, version";

absl::StatusOr<v1::Regimen> RegimenFromRow(const sql::Row& row) {
  v1::Regimen regimen;
  if (!regimen.ParseFromString(row.GetBytes("body"))) return absl::InternalError("a stored regimen is corrupt");
  regimen.set_name(absl::StrCat("regimens/", row.GetText("regimen_id")));
  regimen.set_display_name(row.GetText("display_name"));
  regimen.set_state(static_cast<v1::Regimen::State>(row.GetInt64("state")));
  *regimen.mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  *regimen.mutable_update_time() = api::TimestampFromMicros(row.GetInt64("update_time_us"));
  regimen.set_etag(api::Etag(row.GetInt64("version")));
  return regimen;
}

// The stored body: the regimen without the fields kept in columns.
sql::Value RegimenBody(v1::Regimen regimen) {
  regimen.clear_name();
  regimen.clear_create_time();
  regimen.clear_update_time();
  regimen.clear_etag();
  return sql::Value::Bytes(regimen.SerializeAsString());
}

}  // namespace

absl::StatusOr<v1::Regimen> InsertRegimen(sql::Transaction& tx, const std::string& regimen_id, v1::Regimen regimen,
                                          absl::Time now) {
  regimen.set_state(v1::Regimen::STATE_ACTIVE);
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO regimens (regimen_id, display_name, state, body, create_time_us, update_time_us) "
      "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
      {regimen_id, regimen.display_name(), static_cast<int64_t>(regimen.state()), RegimenBody(regimen),
       absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    return status::AlreadyExists("clinic.patient.v1.Regimen", absl::StrCat("regimens/", regimen_id),
                                 "a regimen with this id exists");
  }
  return GetRegimen(tx, regimen_id);
}

absl::StatusOr<v1::Regimen> GetRegimen(sql::Transaction& tx, std::string_view regimen_id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query(absl::StrCat("SELECT ", kRegimenColumns, " FROM regimens WHERE regimen_id = $1"),
               {std::string(regimen_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such regimen");
  return RegimenFromRow((*rows)[0]);
}

absl::Status ListRegimens(sql::Transaction& tx, bool show_retired, const PageRequest& page,
                          std::vector<v1::Regimen>* out) {
  const bool first = page.after.size() != 2;
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kRegimenColumns,
                   " FROM regimens WHERE ($1 OR state = 1) AND ($2 OR display_name > $3 OR "
                   "(display_name = $3 AND regimen_id > $4)) ORDER BY display_name, regimen_id LIMIT $5"),
      {show_retired, first, first ? std::string() : page.after[0], first ? std::string() : page.after[1],
       page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::Regimen> regimen = RegimenFromRow(row);
    if (!regimen.ok()) return regimen.status();
    out->push_back(*std::move(regimen));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Regimen> UpdateRegimen(sql::Transaction& tx, std::string_view regimen_id,
                                          const v1::Regimen& regimen, const std::set<std::string>& paths,
                                          int64_t expected_version, absl::Time now) {
  absl::StatusOr<v1::Regimen> current = GetRegimen(tx, regimen_id);
  if (!current.ok()) return current.status();
  if (current->etag() != api::Etag(expected_version)) {
    return absl::AbortedError("the regimen changed since it was read (stale etag); read it again");
  }
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(regimen, mask, options, &*current);
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE regimens SET display_name = $2, state = $3, body = $4, update_time_us = $5, version = version + 1 "
      "WHERE regimen_id = $1 AND version = $6",
      {std::string(regimen_id), current->display_name(), static_cast<int64_t>(current->state()),
       RegimenBody(*current), absl::ToUnixMicros(now), expected_version});
  if (!updated.ok()) return updated.status();
  if (*updated == 0) return absl::AbortedError("the regimen changed since it was read (stale etag); read it again");
  return GetRegimen(tx, regimen_id);
}

}  // namespace clinic::patient::store
