#include "services/patient/treatment_store.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/api/convert.h"
#include "common/status/status.h"
#include "google/protobuf/util/field_mask_util.h"
#include "services/patient/store_support.h"

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

template <typename Message>
absl::StatusOr<Message> ParseBody(const sql::Row& row) {
  Message message;
  if (!message.ParseFromString(row.GetBytes("body"))) return absl::InternalError("a stored record is corrupt");
  return message;
}

// The integer keys of a keyset cursor, or nullopt for the first page (or a cursor of
// another shape, which cannot come from our own tokens).
std::optional<std::vector<int64_t>> IntCursor(const PageRequest& page, size_t ints) {
  if (page.after.size() < ints) return std::nullopt;
  std::vector<int64_t> out(ints);
  for (size_t i = 0; i < ints; ++i) {
    if (!absl::SimpleAtoi(page.after[i], &out[i])) return std::nullopt;
  }
  return out;
}

// Plans.

constexpr absl::string_view kPlanColumns =
    "p.plan_id, p.create_time_us, p.update_time_us, p.latest_revision, r.revision, r.body, "
    "r.revision_create_time_us";

absl::StatusOr<v1::TreatmentPlan> PlanFromRow(std::string_view patient_id, const sql::Row& row) {
  absl::StatusOr<v1::TreatmentPlan> plan = ParseBody<v1::TreatmentPlan>(row);
  if (!plan.ok()) return plan.status();
  const int64_t revision = row.GetInt64("revision");
  const bool latest = revision == row.GetInt64("latest_revision");
  plan->set_name(absl::StrCat(PatientName(patient_id), "/treatmentPlans/", row.GetText("plan_id")));
  plan->set_revision_id(absl::StrCat(revision));
  *plan->mutable_revision_create_time() = api::TimestampFromMicros(row.GetInt64("revision_create_time_us"));
  *plan->mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  *plan->mutable_update_time() =
      api::TimestampFromMicros(row.GetInt64(latest ? "update_time_us" : "revision_create_time_us"));
  // Only the latest revision's etag can match an update (a past revision's is the etag
  // the plan had at that revision).
  plan->set_etag(api::Etag(revision));
  return plan;
}

// The stored body: the plan without the fields rebuilt from columns.
sql::Value PlanBody(v1::TreatmentPlan plan) {
  plan.clear_name();
  plan.clear_revision_id();
  plan.clear_revision_create_time();
  plan.clear_create_time();
  plan.clear_update_time();
  plan.clear_etag();
  return Body(plan);
}

absl::Status InsertRevision(sql::Transaction& tx, std::string_view plan_id, int64_t revision,
                            const v1::TreatmentPlan& plan, absl::Time now) {
  return tx
      .Execute(
          "INSERT INTO treatment_plan_revisions (plan_id, revision, body, revision_create_time_us) "
          "VALUES ($1, $2, $3, $4)",
          {S(plan_id), revision, PlanBody(plan), absl::ToUnixMicros(now)})
      .status();
}

// Administrations.

constexpr absl::string_view kAdministrationColumns = "administration_id, patient_id, body, create_time_us";

absl::StatusOr<v1::Administration> AdministrationFromRow(const sql::Row& row) {
  absl::StatusOr<v1::Administration> a = ParseBody<v1::Administration>(row);
  if (!a.ok()) return a.status();
  a->set_name(
      absl::StrCat(PatientName(row.GetText("patient_id")), "/administrations/", row.GetText("administration_id")));
  *a->mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  return a;
}

// Check-ins.

constexpr absl::string_view kCheckInColumns = "check_in_id, patient_id, body, create_time_us";

absl::StatusOr<v1::CheckIn> CheckInFromRow(const sql::Row& row) {
  absl::StatusOr<v1::CheckIn> c = ParseBody<v1::CheckIn>(row);
  if (!c.ok()) return c.status();
  c->set_name(absl::StrCat(PatientName(row.GetText("patient_id")), "/checkIns/", row.GetText("check_in_id")));
  *c->mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  return c;
}

// The range as SQL parameters: (open start?, first day, open end?, last day).
struct DayBounds {
  bool open_start = true;
  int64_t first = 0;
  bool open_end = true;
  int64_t last = 0;
};
DayBounds BoundsOf(const CheckInRange& range) {
  DayBounds b;
  if (range.first.has_value()) {
    b.open_start = false;
    b.first = api::DayNumber(*range.first);
  }
  if (range.last.has_value()) {
    b.open_end = false;
    b.last = api::DayNumber(*range.last);
  }
  return b;
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

absl::StatusOr<v1::TreatmentPlan> InsertTreatmentPlan(sql::Transaction& tx, std::string_view patient_id,
                                                      const std::string& plan_id, v1::TreatmentPlan plan,
                                                      absl::Time now) {
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO treatment_plans (plan_id, patient_id, state, latest_revision, create_time_us, update_time_us) "
      "VALUES ($1, $2, $3, 1, $4, $4)",
      {plan_id, S(patient_id), static_cast<int64_t>(plan.state()), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  if (absl::Status s = InsertRevision(tx, plan_id, 1, plan, now); !s.ok()) return s;
  return GetTreatmentPlan(tx, patient_id, plan_id);
}

absl::StatusOr<v1::TreatmentPlan> GetTreatmentPlan(sql::Transaction& tx, std::string_view patient_id,
                                                   std::string_view plan_id, int64_t revision) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kPlanColumns,
                   " FROM treatment_plans p JOIN treatment_plan_revisions r ON r.plan_id = p.plan_id "
                   "WHERE p.plan_id = $1 AND p.patient_id = $2 AND r.revision = "
                   "(CASE WHEN $3 = 0 THEN p.latest_revision ELSE $3 END)"),
      {S(plan_id), S(patient_id), revision});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) {
    return absl::NotFoundError(revision == 0 ? "no such treatment plan" : "no such treatment plan revision");
  }
  return PlanFromRow(patient_id, (*rows)[0]);
}

absl::Status ListTreatmentPlans(sql::Transaction& tx, std::string_view patient_id, const std::set<int>& states,
                                const PageRequest& page, std::vector<v1::TreatmentPlan>* out) {
  // The states are validated enum numbers: safe to write into the statement.
  const std::string state_filter =
      states.empty() ? std::string() : absl::StrCat(" AND p.state IN (", absl::StrJoin(states, ", "), ")");
  const std::optional<std::vector<int64_t>> cursor = IntCursor(page, 1);
  const bool first = !cursor.has_value() || page.after.size() != 2;
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kPlanColumns,
                   " FROM treatment_plans p JOIN treatment_plan_revisions r "
                   "ON r.plan_id = p.plan_id AND r.revision = p.latest_revision WHERE p.patient_id = $1",
                   state_filter,
                   " AND ($2 OR p.create_time_us < $3 OR (p.create_time_us = $3 AND p.plan_id < $4)) "
                   "ORDER BY p.create_time_us DESC, p.plan_id DESC LIMIT $5"),
      {S(patient_id), first, first ? int64_t{0} : (*cursor)[0], first ? std::string() : page.after[1], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::TreatmentPlan> plan = PlanFromRow(patient_id, row);
    if (!plan.ok()) return plan.status();
    out->push_back(*std::move(plan));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::TreatmentPlan> AppendTreatmentPlanRevision(sql::Transaction& tx, std::string_view patient_id,
                                                              std::string_view plan_id, v1::TreatmentPlan next,
                                                              int64_t expected_revision, absl::Time now) {
  // The guarded UPDATE first: it locks the plan's row until commit, so of two concurrent
  // updates from one revision exactly one goes through.
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE treatment_plans SET state = $3, latest_revision = latest_revision + 1, update_time_us = $4 "
      "WHERE plan_id = $1 AND patient_id = $2 AND latest_revision = $5",
      {S(plan_id), S(patient_id), static_cast<int64_t>(next.state()), absl::ToUnixMicros(now), expected_revision});
  if (!updated.ok()) return updated.status();
  if (*updated == 0) {
    return absl::AbortedError("the treatment plan changed since it was read (stale etag); read it again");
  }
  if (absl::Status s = InsertRevision(tx, plan_id, expected_revision + 1, next, now); !s.ok()) return s;
  return GetTreatmentPlan(tx, patient_id, plan_id);
}

absl::Status ListTreatmentPlanRevisions(sql::Transaction& tx, std::string_view patient_id, std::string_view plan_id,
                                        const PageRequest& page, std::vector<v1::TreatmentPlan>* out) {
  const std::optional<std::vector<int64_t>> cursor = IntCursor(page, 1);
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kPlanColumns,
                   " FROM treatment_plans p JOIN treatment_plan_revisions r ON r.plan_id = p.plan_id "
                   "WHERE p.plan_id = $1 AND p.patient_id = $2 AND ($3 OR r.revision < $4) "
                   "ORDER BY r.revision DESC LIMIT $5"),
      {S(plan_id), S(patient_id), !cursor.has_value(), cursor.has_value() ? (*cursor)[0] : int64_t{0}, page.limit});
  if (!rows.ok()) return rows.status();
  if (rows->empty() && !cursor.has_value()) return absl::NotFoundError("no such treatment plan");
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::TreatmentPlan> plan = PlanFromRow(patient_id, row);
    if (!plan.ok()) return plan.status();
    out->push_back(*std::move(plan));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredAdministration>> FindAdministrationByRequest(sql::Transaction& tx,
                                                                                std::string_view request_id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query(absl::StrCat("SELECT ", kAdministrationColumns, " FROM administrations WHERE request_id = $1"),
               {S(request_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  absl::StatusOr<v1::Administration> a = AdministrationFromRow((*rows)[0]);
  if (!a.ok()) return a.status();
  return StoredAdministration{(*rows)[0].GetText("patient_id"), *std::move(a)};
}

absl::StatusOr<v1::Administration> InsertAdministration(sql::Transaction& tx, std::string_view patient_id,
                                                        const std::string& administration_id,
                                                        std::string_view plan_id, std::string_view request_id,
                                                        v1::Administration administration, absl::Time now) {
  const int64_t administer_us = absl::ToUnixMicros(api::FromTimestamp(administration.administer_time()));
  const std::string lot = administration.lot();
  administration.clear_name();
  administration.clear_create_time();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO administrations (administration_id, patient_id, plan_id, lot, administer_time_us, request_id, "
      "body, create_time_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {administration_id, S(patient_id), S(plan_id), lot, administer_us, S(request_id), Body(administration),
       absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  return GetAdministration(tx, patient_id, administration_id);
}

absl::StatusOr<v1::Administration> GetAdministration(sql::Transaction& tx, std::string_view patient_id,
                                                     std::string_view administration_id) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kAdministrationColumns,
                   " FROM administrations WHERE administration_id = $1 AND patient_id = $2"),
      {S(administration_id), S(patient_id)});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such administration");
  return AdministrationFromRow((*rows)[0]);
}

absl::Status ListAdministrations(sql::Transaction& tx, std::string_view patient_id, std::string_view plan_id,
                                 const PageRequest& page, std::vector<v1::Administration>* out) {
  const std::optional<std::vector<int64_t>> cursor = IntCursor(page, 1);
  const bool first = !cursor.has_value() || page.after.size() != 2;
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kAdministrationColumns,
                   " FROM administrations WHERE patient_id = $1 AND ($2 = '' OR plan_id = $2) "
                   "AND ($3 OR administer_time_us < $4 OR (administer_time_us = $4 AND administration_id < $5)) "
                   "ORDER BY administer_time_us DESC, administration_id DESC LIMIT $6"),
      {S(patient_id), S(plan_id), first, first ? int64_t{0} : (*cursor)[0], first ? std::string() : page.after[1],
       page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::Administration> a = AdministrationFromRow(row);
    if (!a.ok()) return a.status();
    out->push_back(*std::move(a));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::CheckIn> InsertCheckIn(sql::Transaction& tx, std::string_view patient_id,
                                          const std::string& check_in_id, v1::CheckIn check_in, absl::Time now) {
  const int64_t day = api::DayNumber(absl::CivilDay(check_in.check_in_date().year(), check_in.check_in_date().month(),
                                                    check_in.check_in_date().day()));
  check_in.clear_name();
  check_in.clear_create_time();
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO check_ins (check_in_id, patient_id, check_in_day, body, create_time_us) "
      "VALUES ($1, $2, $3, $4, $5)",
      {check_in_id, S(patient_id), day, Body(check_in), absl::ToUnixMicros(now)});
  if (!inserted.ok()) return inserted.status();
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kCheckInColumns, " FROM check_ins WHERE check_in_id = $1"), {check_in_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::InternalError("the check-in just stored is missing");
  return CheckInFromRow((*rows)[0]);
}

absl::Status ListCheckIns(sql::Transaction& tx, std::string_view patient_id, const CheckInRange& range,
                          const PageRequest& page, std::vector<v1::CheckIn>* out) {
  const DayBounds b = BoundsOf(range);
  const std::optional<std::vector<int64_t>> cursor = IntCursor(page, 2);
  const bool first = !cursor.has_value() || page.after.size() != 3;
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kCheckInColumns,
                   " FROM check_ins WHERE patient_id = $1 AND ($2 OR check_in_day >= $3) AND ($4 OR check_in_day <= $5) "
                   "AND ($6 OR check_in_day < $7 OR (check_in_day = $7 AND (create_time_us < $8 OR "
                   "(create_time_us = $8 AND check_in_id < $9)))) "
                   "ORDER BY check_in_day DESC, create_time_us DESC, check_in_id DESC LIMIT $10"),
      {S(patient_id), b.open_start, b.first, b.open_end, b.last, first, first ? int64_t{0} : (*cursor)[0],
       first ? int64_t{0} : (*cursor)[1], first ? std::string() : page.after[2], page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::CheckIn> c = CheckInFromRow(row);
    if (!c.ok()) return c.status();
    out->push_back(*std::move(c));
  }
  return absl::OkStatus();
}

absl::Status ListAllCheckInsOldestFirst(sql::Transaction& tx, std::string_view patient_id,
                                        const CheckInRange& range, std::vector<v1::CheckIn>* out) {
  const DayBounds b = BoundsOf(range);
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT ", kCheckInColumns,
                   " FROM check_ins WHERE patient_id = $1 AND ($2 OR check_in_day >= $3) AND ($4 OR check_in_day <= $5) "
                   "ORDER BY check_in_day, create_time_us, check_in_id"),
      {S(patient_id), b.open_start, b.first, b.open_end, b.last});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<v1::CheckIn> c = CheckInFromRow(row);
    if (!c.ok()) return c.status();
    out->push_back(*std::move(c));
  }
  return absl::OkStatus();
}

}  // namespace clinic::patient::store
