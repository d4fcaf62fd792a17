#include "services/patient/clinical_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/api/convert.h"
#include "common/status/status.h"
#include "google/protobuf/util/field_mask_util.h"
#include "services/patient/domain/seed_regimens.h"
#include "services/patient/store_support.h"

namespace clinic::patient::store {
namespace {

template <typename Message>
absl::StatusOr<Message> ParseBody(const sql::Row& row, std::string_view column) {
  Message message;
  if (!message.ParseFromString(row.GetBytes(column))) return absl::InternalError("a stored record is corrupt");
  return message;
}

void MergeFields(const google::protobuf::Message& from, const std::set<std::string>& paths,
                 google::protobuf::Message* to) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, options, to);
}

absl::StatusOr<std::optional<sql::Row>> QueryOne(sql::Transaction& tx, const std::string& query,
                                                 std::initializer_list<sql::Value> params) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(query, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  return (*rows)[0];
}

// Keyset cursor {time_us, id} of a newest-first listing: (first page?, time, id).
struct NewestFirstCursor {
  bool first = true;
  int64_t time_us = 0;
  std::string id;
};
NewestFirstCursor CursorOf(const PageRequest& page) {
  NewestFirstCursor c;
  if (page.after.size() == 2 && absl::SimpleAtoi(page.after[0], &c.time_us)) {
    c.first = false;
    c.id = page.after[1];
  }
  return c;
}

// Profiles.

std::string ProfileName(std::string_view patient_id) {
  return absl::StrCat(PatientName(patient_id), "/clinicalProfile");
}

// Keeps the record_time of items recorded before, stamps new ones with `now`.
void StampRecordTimes(const v1::ClinicalProfile& before, absl::Time now, v1::ClinicalProfile& after) {
  for (v1::Symptom& s : *after.mutable_symptoms()) {
    s.clear_record_time();
    for (const v1::Symptom& old : before.symptoms()) {
      if (old.code() == s.code()) *s.mutable_record_time() = old.record_time();
    }
    if (!s.has_record_time()) *s.mutable_record_time() = api::ToTimestamp(now);
  }
  for (v1::Contraindication& c : *after.mutable_contraindications()) {
    c.clear_record_time();
    for (const v1::Contraindication& old : before.contraindications()) {
      if (old.code() == c.code() && old.substance() == c.substance()) *c.mutable_record_time() = old.record_time();
    }
    if (!c.has_record_time()) *c.mutable_record_time() = api::ToTimestamp(now);
  }
}

// Laboratories.

constexpr absl::string_view kLaboratoryColumns =
    "laboratory_id, display_name, body, create_time_us, update_time_us, version";

absl::StatusOr<v1::Laboratory> LaboratoryFromRow(const sql::Row& row) {
  absl::StatusOr<v1::Laboratory> lab = ParseBody<v1::Laboratory>(row, "body");
  if (!lab.ok()) return lab.status();
  lab->set_name(absl::StrCat("laboratories/", row.GetText("laboratory_id")));
  lab->set_display_name(row.GetText("display_name"));
  *lab->mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  *lab->mutable_update_time() = api::TimestampFromMicros(row.GetInt64("update_time_us"));
  lab->set_etag(api::Etag(row.GetInt64("version")));
  return lab;
}

// The stored body of a laboratory: its ranges only.
v1::Laboratory LaboratoryBody(const v1::Laboratory& lab) {
  v1::Laboratory body;
  *body.mutable_reference_ranges() = lab.reference_ranges();
  return body;
}

// Lab results.

constexpr absl::string_view kLabResultColumns = "lab_result_id, patient_id, superseded, body, create_time_us";

absl::StatusOr<v1::LabResult> LabResultFromRow(const sql::Row& row) {
  absl::StatusOr<v1::LabResult> result = ParseBody<v1::LabResult>(row, "body");
  if (!result.ok()) return result.status();
  result->set_name(absl::StrCat(PatientName(row.GetText("patient_id")), "/labResults/", row.GetText("lab_result_id")));
  result->set_superseded(row.GetBool("superseded"));
  *result->mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  return result;
}

// Assessments.

constexpr absl::string_view kAssessmentColumns = "assessment_id, patient_id, body, create_time_us, version";

absl::StatusOr<v1::EligibilityAssessment> AssessmentFromRow(const sql::Row& row) {
  absl::StatusOr<v1::EligibilityAssessment> a = ParseBody<v1::EligibilityAssessment>(row, "body");
  if (!a.ok()) return a.status();
  a->set_name(absl::StrCat(PatientName(row.GetText("patient_id")), "/eligibilityAssessments/",
                           row.GetText("assessment_id")));
  *a->mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  a->set_etag(api::Etag(row.GetInt64("version")));
  return a;
}

}  // namespace

absl::Status SeedReferenceData(sql::Database& db, absl::Time now) {
  return db.Transact([&](sql::Transaction& tx) -> absl::Status {
    const int64_t now_us = absl::ToUnixMicros(now);
    const v1::Laboratory lab = domain::DefaultLaboratory();
    if (absl::StatusOr<int64_t> s = tx.Execute(
            "INSERT INTO laboratories (laboratory_id, display_name, body, create_time_us, update_time_us) "
            "VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
            {"default", lab.display_name(), Body(LaboratoryBody(lab)), now_us});
        !s.ok()) {
      return s.status();
    }
    for (v1::Regimen regimen : domain::SeedRegimens()) {
      const std::string id = regimen.name().substr(sizeof("regimens/") - 1);
      const std::string display_name = regimen.display_name();
      const int64_t state = regimen.state();
      regimen.clear_name();
      if (absl::StatusOr<int64_t> s = tx.Execute(
              "INSERT INTO regimens (regimen_id, display_name, state, body, create_time_us, update_time_us) "
              "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING",
              {id, display_name, state, Body(regimen), now_us});
          !s.ok()) {
        return s.status();
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::ClinicalProfile> GetClinicalProfile(sql::Transaction& tx, std::string_view patient_id) {
  absl::StatusOr<std::optional<sql::Row>> row =
      QueryOne(tx, "SELECT body, update_time_us, updated_by, version FROM clinical_profiles WHERE patient_id = $1",
               {S(patient_id)});
  if (!row.ok()) return row.status();
  v1::ClinicalProfile profile;
  if (row->has_value()) {
    absl::StatusOr<v1::ClinicalProfile> stored = ParseBody<v1::ClinicalProfile>(**row, "body");
    if (!stored.ok()) return stored.status();
    profile = *std::move(stored);
    *profile.mutable_update_time() = api::TimestampFromMicros((*row)->GetInt64("update_time_us"));
    profile.set_updated_by((*row)->GetText("updated_by"));
    profile.set_etag(api::Etag((*row)->GetInt64("version")));
  } else {
    profile.set_etag(api::Etag(0));
  }
  profile.set_name(ProfileName(patient_id));
  return profile;
}

absl::StatusOr<v1::ClinicalProfile> UpdateClinicalProfile(sql::Transaction& tx, std::string_view patient_id,
                                                          const v1::ClinicalProfile& profile,
                                                          const std::set<std::string>& paths,
                                                          int64_t expected_version, std::string_view updated_by,
                                                          absl::Time now) {
  absl::StatusOr<v1::ClinicalProfile> current = GetClinicalProfile(tx, patient_id);
  if (!current.ok()) return current.status();
  if (current->etag() != api::Etag(expected_version)) return StaleEtag("the clinical profile");
  v1::ClinicalProfile next = *current;
  MergeFields(profile, paths, &next);
  StampRecordTimes(*current, now, next);
  next.clear_name();
  next.clear_update_time();
  next.clear_updated_by();
  next.clear_etag();
  absl::StatusOr<int64_t> written = tx.Execute(
      "INSERT INTO clinical_profiles (patient_id, body, update_time_us, updated_by, version) "
      "VALUES ($1, $2, $3, $4, 1) ON CONFLICT (patient_id) DO UPDATE SET body = $2, update_time_us = $3, "
      "updated_by = $4, version = clinical_profiles.version + 1 WHERE clinical_profiles.version = $5",
      {S(patient_id), Body(next), absl::ToUnixMicros(now), S(updated_by), expected_version});
  if (!written.ok()) return written.status();
  if (*written == 0) return StaleEtag("the clinical profile");
  return GetClinicalProfile(tx, patient_id);
}

absl::StatusOr<v1::Laboratory> InsertLaboratory(sql::Transaction& tx, const std::string& laboratory_id,
                                                const v1::Laboratory& laboratory, absl::Time now) {
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO laboratories (laboratory_id, display_name, body, create_time_us, update_time_us) "
      "VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
      {laboratory_id, laboratory.display_name(), Body(LaboratoryBody(laboratory)), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (*inserted == 0) {
    return status::AlreadyExists("clinic.patient.v1.Laboratory", absl::StrCat("laboratories/", laboratory_id),
                                 "a laboratory with this id exists");
  }
  return GetLaboratory(tx, laboratory_id);
}

absl::StatusOr<v1::Laboratory> GetLaboratory(sql::Transaction& tx, std::string_view laboratory_id) {
  absl::StatusOr<std::optional<sql::Row>> row =
      QueryOne(tx, absl::StrCat("SELECT ", kLaboratoryColumns, " FROM laboratories WHERE laboratory_id = $1"),
               {S(laboratory_id)});
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::NotFoundError("no such laboratory");
  return LaboratoryFromRow(**row);
}

absl::Status ListLaboratories(sql::Transaction& tx, const PageRequest& page, std::vector<v1::Laboratory>* out) {
  const bool first = page.after.size() != 2;
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kLaboratoryColumns,
                   " FROM laboratories WHERE ($1 OR display_name > $2 OR (display_name = $2 AND laboratory_id > $3)) "
                   "ORDER BY display_name, laboratory_id LIMIT $4"),
      {first, first ? std::string() : page.after[0], first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::Laboratory> lab = LaboratoryFromRow(row);
    if (!lab.ok()) return lab.status();
    out->push_back(*std::move(lab));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Laboratory> UpdateLaboratory(sql::Transaction& tx, std::string_view laboratory_id,
                                                const v1::Laboratory& laboratory, const std::set<std::string>& paths,
                                                int64_t expected_version, absl::Time now) {
  absl::StatusOr<v1::Laboratory> current = GetLaboratory(tx, laboratory_id);
  if (!current.ok()) return current.status();
  if (current->etag() != api::Etag(expected_version)) return StaleEtag("the laboratory");
  MergeFields(laboratory, paths, &*current);
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE laboratories SET display_name = $2, body = $3, update_time_us = $4, version = version + 1 "
      "WHERE laboratory_id = $1 AND version = $5",
      {S(laboratory_id), current->display_name(), Body(LaboratoryBody(*current)), absl::ToUnixMicros(now),
       expected_version});
  if (!updated.ok()) return updated.status();
  if (*updated == 0) return StaleEtag("the laboratory");
  return GetLaboratory(tx, laboratory_id);
}

absl::StatusOr<domain::ReferenceRanges> LoadReferenceRanges(sql::Transaction& tx) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query(absl::StrCat("SELECT ", kLaboratoryColumns, " FROM laboratories ORDER BY laboratory_id"));
  if (!rows.ok()) return rows.status();
  std::vector<v1::Laboratory> labs;
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::Laboratory> lab = LaboratoryFromRow(row);
    if (!lab.ok()) return lab.status();
    labs.push_back(*std::move(lab));
  }
  return domain::ReferenceRanges::FromLaboratories(labs);
}

absl::StatusOr<v1::LabResult> InsertLabResult(sql::Transaction& tx, std::string_view patient_id,
                                              const std::string& lab_result_id, v1::LabResult result,
                                              absl::Time now) {
  if (!result.supersedes().empty()) {
    const std::string prefix = absl::StrCat(PatientName(patient_id), "/labResults/");
    const std::string superseded_id =
        result.supersedes().rfind(prefix, 0) == 0 ? result.supersedes().substr(prefix.size()) : std::string();
    absl::StatusOr<int64_t> marked = tx.Execute(
        "UPDATE lab_results SET superseded = TRUE WHERE lab_result_id = $1 AND patient_id = $2",
        {superseded_id, S(patient_id)});
    if (!marked.ok()) return marked.status();
    if (*marked == 0) return absl::NotFoundError("lab_result.supersedes: no such lab result of this patient");
  }
  const absl::Time collection = api::FromTimestamp(result.collection_time());
  result.clear_name();
  result.clear_superseded();
  result.clear_create_time();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO lab_results (lab_result_id, patient_id, analyte, collection_time_us, body, create_time_us) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {lab_result_id, S(patient_id), static_cast<int64_t>(result.analyte()), absl::ToUnixMicros(collection),
       Body(result), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  return GetLabResult(tx, patient_id, lab_result_id);
}

absl::StatusOr<v1::LabResult> GetLabResult(sql::Transaction& tx, std::string_view patient_id,
                                           std::string_view lab_result_id) {
  absl::StatusOr<std::optional<sql::Row>> row = QueryOne(
      tx, absl::StrCat("SELECT ", kLabResultColumns, " FROM lab_results WHERE lab_result_id = $1 AND patient_id = $2"),
      {S(lab_result_id), S(patient_id)});
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::NotFoundError("no such lab result");
  return LabResultFromRow(**row);
}

absl::Status ListLabResults(sql::Transaction& tx, std::string_view patient_id, const LabResultFilter& filter,
                            const PageRequest& page, std::vector<v1::LabResult>* out) {
  const NewestFirstCursor cursor = CursorOf(page);
  // The analyte filter is applied here rather than in SQL: a patient has few results, and
  // a variable IN list would defeat the statement cache.
  const int limit = page.limit;
  int64_t last_time = cursor.time_us;
  std::string last_id = cursor.id;
  bool first = cursor.first;
  while (static_cast<int>(out->size()) < limit) {
    absl::StatusOr<sql::ResultSet> rows = tx.Query(
        absl::StrCat("SELECT ", kLabResultColumns, ", collection_time_us",
                     " FROM lab_results WHERE patient_id = $1 AND ($2 OR superseded = FALSE) "
                     "AND ($3 OR collection_time_us >= $4) AND ($5 OR collection_time_us < $6) "
                     "AND ($7 OR collection_time_us < $8 OR (collection_time_us = $8 AND lab_result_id < $9)) "
                     "ORDER BY collection_time_us DESC, lab_result_id DESC LIMIT $10"),
        {S(patient_id), filter.show_superseded, !filter.start.has_value(),
         filter.start ? absl::ToUnixMicros(*filter.start) : int64_t{0}, !filter.end.has_value(),
         filter.end ? absl::ToUnixMicros(*filter.end) : int64_t{0}, first, last_time, last_id, limit});
    if (!rows.ok()) return rows.status();
    for (const sql::Row& row : *rows) {
      last_time = row.GetInt64("collection_time_us");
      last_id = row.GetText("lab_result_id");
      first = false;
      absl::StatusOr<v1::LabResult> result = LabResultFromRow(row);
      if (!result.ok()) return result.status();
      if (!filter.analytes.empty() && filter.analytes.count(result->analyte()) == 0) continue;
      if (static_cast<int>(out->size()) < limit) out->push_back(*std::move(result));
    }
    if (static_cast<int>(rows->size()) < limit) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::EligibilityAssessment> InsertAssessment(sql::Transaction& tx, std::string_view patient_id,
                                                           const std::string& assessment_id,
                                                           v1::EligibilityAssessment assessment, absl::Time now) {
  assessment.clear_name();
  assessment.clear_create_time();
  assessment.clear_etag();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO eligibility_assessments (assessment_id, patient_id, body, create_time_us) VALUES ($1, $2, $3, $4)",
      {assessment_id, S(patient_id), Body(assessment), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  return GetAssessment(tx, patient_id, assessment_id);
}

absl::StatusOr<v1::EligibilityAssessment> GetAssessment(sql::Transaction& tx, std::string_view patient_id,
                                                        std::string_view assessment_id) {
  absl::StatusOr<std::optional<sql::Row>> row =
      QueryOne(tx,
               absl::StrCat("SELECT ", kAssessmentColumns,
                            " FROM eligibility_assessments WHERE assessment_id = $1 AND patient_id = $2"),
               {S(assessment_id), S(patient_id)});
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::NotFoundError("no such eligibility assessment");
  return AssessmentFromRow(**row);
}

absl::StatusOr<v1::EligibilityAssessment> UpdateAssessment(sql::Transaction& tx, std::string_view patient_id,
                                                           std::string_view assessment_id,
                                                           const v1::EligibilityAssessment& assessment,
                                                           int64_t expected_version) {
  v1::EligibilityAssessment body = assessment;
  body.clear_name();
  body.clear_create_time();
  body.clear_etag();
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE eligibility_assessments SET body = $3, version = version + 1 "
      "WHERE assessment_id = $1 AND patient_id = $2 AND version = $4",
      {S(assessment_id), S(patient_id), Body(body), expected_version});
  if (!updated.ok()) return updated.status();
  if (*updated == 0) return StaleEtag("the assessment");
  return GetAssessment(tx, patient_id, assessment_id);
}

absl::Status ListAssessments(sql::Transaction& tx, std::string_view patient_id, const PageRequest& page,
                             std::vector<v1::EligibilityAssessment>* out) {
  const NewestFirstCursor cursor = CursorOf(page);
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kAssessmentColumns,
                   " FROM eligibility_assessments WHERE patient_id = $1 "
                   "AND ($2 OR create_time_us < $3 OR (create_time_us = $3 AND assessment_id < $4)) "
                   "ORDER BY create_time_us DESC, assessment_id DESC LIMIT $5"),
      {S(patient_id), cursor.first, cursor.time_us, cursor.id, page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::EligibilityAssessment> a = AssessmentFromRow(row);
    if (!a.ok()) return a.status();
    out->push_back(*std::move(a));
  }
  return absl::OkStatus();
}

}  // namespace clinic::patient::store
