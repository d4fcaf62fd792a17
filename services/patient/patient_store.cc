#include "services/patient/patient_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api/convert.h"
#include "common/api/paging.h"
#include "common/status/status.h"
#include "google/protobuf/util/field_mask_util.h"
#include "services/patient/domain/access_log_chain.h"
#include "services/patient/store_support.h"

namespace clinic::patient::store {
namespace {

constexpr absl::string_view kPatientColumns =
    "patient_id, home_clinic_id, given_name, family_name, birth_year, birth_month, birth_day, sex, phone_number, "
    "email, has_address, address_lines, locality, administrative_area, postal_code, region_code, language_code, "
    "state, merged_into, create_time_us, update_time_us, erase_time_us, version, revision, sharing_scope";

// The SQL filter of a Visibility over `patients p`; $V is whether every record is visible
// and $C the caller's clinic id (bound by the caller of this text, numbered as given).
std::string VisibilityFilter(int all_param, int clinic_param) {
  const std::string all = absl::StrCat("$", all_param);
  const std::string clinic = absl::StrCat("$", clinic_param);
  return absl::StrCat("(", all, " OR (", clinic, " <> '' AND (p.home_clinic_id = ", clinic,
                      " OR p.sharing_scope = 3 OR (p.sharing_scope = 2 AND EXISTS (SELECT 1 FROM "
                      "patient_shared_clinics s WHERE s.patient_id = p.patient_id AND s.clinic_id = ",
                      clinic, ")))))");
}

std::string ClinicName(std::string_view clinic_id) { return absl::StrCat("clinics/", std::string(clinic_id)); }

v1::Patient PatientFromRow(const sql::Row& row) {
  v1::Patient p;
  p.set_name(PatientName(row.GetText("patient_id")));
  p.set_given_name(row.GetText("given_name"));
  p.set_family_name(row.GetText("family_name"));
  type::v1::Date* birth = p.mutable_birth_date();
  birth->set_year(static_cast<int32_t>(row.GetInt64("birth_year")));
  birth->set_month(static_cast<int32_t>(row.GetInt64("birth_month")));
  birth->set_day(static_cast<int32_t>(row.GetInt64("birth_day")));
  p.set_sex(static_cast<v1::Sex>(row.GetInt64("sex")));
  p.set_phone_number(row.GetText("phone_number"));
  p.set_email(row.GetText("email"));
  if (row.GetBool("has_address")) {
    v1::PostalAddress* address = p.mutable_postal_address();
    for (absl::string_view line : absl::StrSplit(row.GetText("address_lines"), '\n', absl::SkipEmpty())) {
      address->add_address_lines(std::string(line));
    }
    address->set_locality(row.GetText("locality"));
    address->set_administrative_area(row.GetText("administrative_area"));
    address->set_postal_code(row.GetText("postal_code"));
    address->set_region_code(row.GetText("region_code"));
  }
  p.set_language_code(row.GetText("language_code"));
  p.set_home_clinic(ClinicName(row.GetText("home_clinic_id")));
  p.set_state(static_cast<v1::Patient::State>(row.GetInt64("state")));
  if (!row.GetText("merged_into").empty()) p.set_merged_into(PatientName(row.GetText("merged_into")));
  *p.mutable_create_time() = api::TimestampFromMicros(row.GetInt64("create_time_us"));
  *p.mutable_update_time() = api::TimestampFromMicros(row.GetInt64("update_time_us"));
  if (!row.IsNull("erase_time_us")) *p.mutable_erase_time() = api::TimestampFromMicros(row.GetInt64("erase_time_us"));
  p.set_etag(api::Etag(row.GetInt64("version")));
  return p;
}

absl::Status LoadSharedClinics(sql::Transaction& tx, std::string_view patient_id, std::vector<std::string>* out) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT clinic_id FROM patient_shared_clinics WHERE patient_id = $1 ORDER BY clinic_id", {patient_id});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) out->push_back(ClinicName(row.GetText(0)));
  return absl::OkStatus();
}

absl::StatusOr<PatientRecord> RecordFromRow(sql::Transaction& tx, const sql::Row& row) {
  PatientRecord record;
  record.patient_id = row.GetText("patient_id");
  record.patient = PatientFromRow(row);
  record.sharing.home_clinic = ClinicName(row.GetText("home_clinic_id"));
  record.sharing.scope = static_cast<v1::SharingScope>(row.GetInt64("sharing_scope"));
  if (record.sharing.scope == v1::SHARING_SCOPE_NAMED_CLINICS) {
    if (absl::Status s = LoadSharedClinics(tx, record.patient_id, &record.sharing.shared_clinics); !s.ok()) return s;
  }
  record.version = row.GetInt64("version");
  record.revision = row.GetInt64("revision");
  return record;
}

// The stored values of the demographic columns, in the order of kDemographicsSet.
std::vector<sql::Value> DemographicValues(const v1::Patient& p) {
  const domain::DuplicateKey key = domain::MakeDuplicateKey(p);
  const auto null_if_empty = [](const std::string& s) { return s.empty() ? sql::Value() : sql::Value(s); };
  return {p.given_name(),
          p.family_name(),
          p.birth_date().year(),
          p.birth_date().month(),
          p.birth_date().day(),
          static_cast<int64_t>(p.sex()),
          p.phone_number(),
          p.email(),
          p.has_postal_address(),
          absl::StrJoin(p.postal_address().address_lines(), "\n"),
          p.postal_address().locality(),
          p.postal_address().administrative_area(),
          p.postal_address().postal_code(),
          p.postal_address().region_code(),
          p.language_code(),
          key.given_name,
          key.family_name,
          key.birth_date,
          null_if_empty(key.phone_number),
          null_if_empty(key.email)};
}

// $1..$20 as DemographicValues.
constexpr absl::string_view kDemographicsSet =
    "given_name = $1, family_name = $2, birth_year = $3, birth_month = $4, birth_day = $5, sex = $6, "
    "phone_number = $7, email = $8, has_address = $9, address_lines = $10, locality = $11, "
    "administrative_area = $12, postal_code = $13, region_code = $14, language_code = $15, given_key = $16, "
    "family_key = $17, birth_key = $18, phone_key = $19, email_key = $20";

// Takes the duplicate-key lock of `key`, then looks for another ACTIVE record of the same
// person that `visibility` covers: ALREADY_EXISTS naming it, OK when there is none.
absl::Status CheckNoDuplicate(sql::Transaction& tx, const domain::DuplicateKey& key, const Visibility& visibility,
                              std::string_view self_id) {
  if (key.given_name.empty() || key.family_name.empty() || key.birth_date.empty()) return absl::OkStatus();
  const std::string lock_key = absl::StrCat(
      absl::Hex(api::Fingerprint(absl::StrCat(key.family_name, "\x1f", key.given_name, "\x1f", key.birth_date)),
                absl::kZeroPad16));
  if (absl::StatusOr<int64_t> locked = tx.Execute(
          "INSERT INTO duplicate_key_locks (lock_key, touches) VALUES ($1, 1) ON CONFLICT (lock_key) "
          "DO UPDATE SET touches = duplicate_key_locks.touches + 1",
          {lock_key});
      !locked.ok()) {
    return locked.status();
  }
  if (key.phone_number.empty() && key.email.empty()) return absl::OkStatus();
  const auto null_if_empty = [](const std::string& s) { return s.empty() ? sql::Value() : sql::Value(s); };
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat("SELECT p.patient_id FROM patients p WHERE p.family_key = $1 AND p.given_key = $2 "
                   "AND p.birth_key = $3 AND p.state = 1 AND (p.phone_key = $4 OR p.email_key = $5) "
                   "AND p.patient_id <> $6 AND ",
                   VisibilityFilter(7, 8), " ORDER BY p.create_time_us, p.patient_id LIMIT 1"),
      {key.family_name, key.given_name, key.birth_date, null_if_empty(key.phone_number), null_if_empty(key.email),
       self_id, visibility.all, visibility.clinic_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::OkStatus();
  return status::AlreadyExists("clinic.patient.v1.Patient", PatientName((*rows)[0].GetText(0)),
                               "a patient with the same name, date of birth and phone number or email exists");
}

absl::StatusOr<PatientRecord> MustLoad(sql::Transaction& tx, std::string_view patient_id) {
  absl::StatusOr<std::optional<PatientRecord>> record = LoadPatient(tx, patient_id);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return absl::NotFoundError("no such patient");
  return **std::move(record);
}

// Bumps the consent's version and the record's revision.
absl::Status TouchConsent(sql::Transaction& tx, std::string_view patient_id, absl::Time now) {
  return tx
      .Execute(
          "UPDATE patients SET consent_version = consent_version + 1, revision = revision + 1, "
          "consent_update_time_us = $2 WHERE patient_id = $1",
          {patient_id, absl::ToUnixMicros(now)})
      .status();
}

}  // namespace

Visibility VisibilityOf(const auth::Principal& principal) {
  Visibility v;
  v.all = !auth::RoleRequiresClinic(principal.role);
  if (!v.all) v.clinic_id = principal.clinic.value_or("");
  return v;
}

std::string PatientName(std::string_view patient_id) { return absl::StrCat("patients/", std::string(patient_id)); }

absl::StatusOr<std::optional<PatientRecord>> LoadPatient(sql::Transaction& tx, std::string_view patient_id) {
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query(absl::StrCat("SELECT ", kPatientColumns, " FROM patients WHERE patient_id = $1"), {patient_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::nullopt;
  absl::StatusOr<PatientRecord> record = RecordFromRow(tx, (*rows)[0]);
  if (!record.ok()) return record.status();
  return *std::move(record);
}

absl::StatusOr<PatientRecord> InsertPatient(sql::Transaction& tx, const std::string& patient_id,
                                            const std::string& home_clinic_id, const v1::Patient& patient,
                                            const Visibility& visibility, absl::Time now) {
  if (absl::Status s = CheckNoDuplicate(tx, domain::MakeDuplicateKey(patient), visibility, patient_id); !s.ok()) {
    return s;
  }
  std::vector<sql::Value> values = DemographicValues(patient);
  values.emplace_back(patient_id);
  values.emplace_back(home_clinic_id);
  values.emplace_back(absl::ToUnixMicros(now));
  absl::StatusOr<int64_t> inserted = tx.Execute(
      "INSERT INTO patients (given_name, family_name, birth_year, birth_month, birth_day, sex, phone_number, email, "
      "has_address, address_lines, locality, administrative_area, postal_code, region_code, language_code, "
      "given_key, family_key, birth_key, phone_key, email_key, patient_id, home_clinic_id, state, sharing_scope, "
      "consent_update_time_us, create_time_us, update_time_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
      "$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 1, 1, $23, $23, $23)",
      values);
  if (!inserted.ok()) return inserted.status();
  if (absl::StatusOr<int64_t> head = tx.Execute(
          "INSERT INTO access_log_heads (patient_id, last_sequence, last_hash) VALUES ($1, 0, $2)",
          {patient_id, std::string(domain::kGenesisHash)});
      !head.ok()) {
    return head.status();
  }
  return MustLoad(tx, patient_id);
}

absl::StatusOr<PatientRecord> UpdatePatient(sql::Transaction& tx, const PatientRecord& current,
                                            const v1::Patient& patient, const std::set<std::string>& paths,
                                            int64_t expected_version, const Visibility& visibility,
                                            absl::Time now) {
  if (current.version != expected_version) return StaleEtag("the patient");
  v1::Patient merged = current.patient;
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patient, mask, options, &merged);
  const domain::DuplicateKey before = domain::MakeDuplicateKey(current.patient);
  const domain::DuplicateKey after = domain::MakeDuplicateKey(merged);
  if (before != after) {
    if (absl::Status s = CheckNoDuplicate(tx, after, visibility, current.patient_id); !s.ok()) return s;
  }
  std::vector<sql::Value> values = DemographicValues(merged);
  values.emplace_back(absl::ToUnixMicros(now));
  values.emplace_back(current.patient_id);
  values.emplace_back(expected_version);
  absl::StatusOr<int64_t> updated = tx.Execute(
      absl::StrCat("UPDATE patients SET ", kDemographicsSet,
                   ", update_time_us = $21, version = version + 1, revision = revision + 1 "
                   "WHERE patient_id = $22 AND version = $23"),
      values);
  if (!updated.ok()) return updated.status();
  if (*updated == 0) return StaleEtag("the patient");
  return MustLoad(tx, current.patient_id);
}

absl::StatusOr<PatientRecord> ErasePatient(sql::Transaction& tx, const PatientRecord& current,
                                           int64_t expected_version, std::string_view erased_by, absl::Time now) {
  if (current.version != expected_version) return StaleEtag("the patient");
  const int64_t now_us = absl::ToUnixMicros(now);
  // The keys are cleared too: an erased record is nobody's duplicate and no search finds
  // it by its former name.
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE patients SET given_name = 'erased', family_name = 'erased', birth_month = 0, birth_day = 0, "
      "sex = 0, phone_number = '', email = '', has_address = FALSE, address_lines = '', locality = '', "
      "administrative_area = '', postal_code = '', region_code = '', given_key = '', family_key = '', "
      "birth_key = '', phone_key = NULL, email_key = NULL, state = 3, erase_time_us = $2, update_time_us = $2, "
      "sharing_scope = 1, sharing_withdraw_time_us = $2, sharing_recorded_by = $4, consent_update_time_us = $2, "
      "consent_version = consent_version + 1, version = version + 1, revision = revision + 1 "
      "WHERE patient_id = $1 AND version = $3",
      {current.patient_id, now_us, expected_version, erased_by});
  if (!updated.ok()) return updated.status();
  if (*updated == 0) return StaleEtag("the patient");
  if (absl::StatusOr<int64_t> s =
          tx.Execute("DELETE FROM patient_shared_clinics WHERE patient_id = $1", {current.patient_id});
      !s.ok()) {
    return s.status();
  }
  if (absl::StatusOr<int64_t> s = tx.Execute(
          "UPDATE contact_consents SET state = 2, withdraw_time_us = $2, preferred = FALSE WHERE patient_id = $1 "
          "AND state = 1",
          {current.patient_id, now_us});
      !s.ok()) {
    return s.status();
  }
  return MustLoad(tx, current.patient_id);
}

absl::Status SearchPatients(sql::Transaction& tx, const SearchCriteria& criteria, const Visibility& visibility,
                            const PageRequest& page, std::vector<PatientRecord>* out) {
  // LIKE pattern of the prefix, its wildcards escaped.
  std::string like;
  for (char c : criteria.name_prefix) {
    if (c == '%' || c == '_' || c == '\\') like.push_back('\\');
    like.push_back(c);
  }
  like.push_back('%');
  const std::string cursor = page.after.size() == 1 ? page.after[0] : std::string();
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      absl::StrCat(
          "SELECT ", kPatientColumns,
          " FROM patients p WHERE ($1 = '' OR p.given_key LIKE $2 ESCAPE '\\' OR p.family_key LIKE $2 ESCAPE '\\') "
          "AND ($3 = '' OR p.birth_key = $3) AND ($4 = '' OR p.phone_key = $4) AND ($5 = '' OR p.email_key = $5) "
          "AND ($6 OR p.state = 1) AND ",
          VisibilityFilter(7, 8),
          " AND ($9 = '' OR (p.family_key, p.given_key, p.patient_id) > "
          "(SELECT c.family_key, c.given_key, c.patient_id FROM patients c WHERE c.patient_id = $9)) "
          "ORDER BY p.family_key, p.given_key, p.patient_id LIMIT $10"),
      {criteria.name_prefix, like, criteria.birth_key, criteria.phone_key, criteria.email_key,
       criteria.show_inactive, visibility.all, visibility.clinic_id, cursor, page.limit});
  if (!rows.ok()) return rows.status();
  for (const sql::Row& row : *rows) {
    absl::StatusOr<PatientRecord> record = RecordFromRow(tx, row);
    if (!record.ok()) return record.status();
    out->push_back(*std::move(record));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Consent> LoadConsent(sql::Transaction& tx, std::string_view patient_id) {
  absl::StatusOr<sql::ResultSet> rows = tx.Query(
      "SELECT sharing_scope, sharing_grant_time_us, sharing_withdraw_time_us, sharing_recorded_by, "
      "consent_update_time_us, consent_version FROM patients WHERE patient_id = $1",
      {patient_id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::NotFoundError("no such patient");
  const sql::Row& row = (*rows)[0];
  v1::Consent consent;
  consent.set_name(absl::StrCat(PatientName(patient_id), "/consent"));
  v1::SharingConsent* sharing = consent.mutable_sharing();
  sharing->set_scope(static_cast<v1::SharingScope>(row.GetInt64(0)));
  if (!row.IsNull(1)) *sharing->mutable_grant_time() = api::TimestampFromMicros(row.GetInt64(1));
  if (!row.IsNull(2)) *sharing->mutable_withdraw_time() = api::TimestampFromMicros(row.GetInt64(2));
  sharing->set_recorded_by(row.GetText(3));
  *consent.mutable_update_time() = api::TimestampFromMicros(row.GetInt64(4));
  consent.set_etag(api::Etag(row.GetInt64(5)));
  if (sharing->scope() == v1::SHARING_SCOPE_NAMED_CLINICS) {
    std::vector<std::string> clinics;
    if (absl::Status s = LoadSharedClinics(tx, patient_id, &clinics); !s.ok()) return s;
    for (std::string& c : clinics) sharing->add_clinics(std::move(c));
  }
  absl::StatusOr<sql::ResultSet> contacts = tx.Query(
      "SELECT channel, state, grant_time_us, withdraw_time_us, opt_out_time_us, opt_out_source, preferred "
      "FROM contact_consents WHERE patient_id = $1 ORDER BY channel",
      {patient_id});
  if (!contacts.ok()) return contacts.status();
  for (const sql::Row& c : *contacts) {
    v1::ContactConsent* entry = consent.add_contact();
    entry->set_channel(static_cast<type::v1::ContactChannel>(c.GetInt64(0)));
    entry->set_state(static_cast<v1::ContactConsentState>(c.GetInt64(1)));
    if (!c.IsNull(2)) *entry->mutable_grant_time() = api::TimestampFromMicros(c.GetInt64(2));
    if (!c.IsNull(3)) *entry->mutable_withdraw_time() = api::TimestampFromMicros(c.GetInt64(3));
    if (!c.IsNull(4)) *entry->mutable_opt_out_time() = api::TimestampFromMicros(c.GetInt64(4));
    entry->set_opt_out_source(static_cast<v1::OptOutSource>(c.GetInt64(5)));
    entry->set_preferred(c.GetBool(6));
  }
  return consent;
}

absl::StatusOr<v1::Consent> SetSharing(sql::Transaction& tx, std::string_view patient_id,
                                       v1::SharingScope scope, const std::vector<std::string>& clinic_ids,
                                       absl::Time grant_time, std::string_view recorded_by,
                                       std::optional<int64_t> expected_consent_version, absl::Time now) {
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE patients SET sharing_scope = $2, sharing_grant_time_us = $3, sharing_withdraw_time_us = NULL, "
      "sharing_recorded_by = $4, consent_update_time_us = $5, consent_version = consent_version + 1, "
      "revision = revision + 1 WHERE patient_id = $1 AND ($6 OR consent_version = $7)",
      {patient_id, static_cast<int64_t>(scope), absl::ToUnixMicros(grant_time), recorded_by,
       absl::ToUnixMicros(now), !expected_consent_version.has_value(), expected_consent_version.value_or(0)});
  if (!updated.ok()) return updated.status();
  if (*updated == 0) return StaleEtag("the consent");
  if (absl::StatusOr<int64_t> s = tx.Execute("DELETE FROM patient_shared_clinics WHERE patient_id = $1", {patient_id});
      !s.ok()) {
    return s.status();
  }
  for (const std::string& clinic_id : clinic_ids) {
    if (absl::StatusOr<int64_t> s = tx.Execute(
            "INSERT INTO patient_shared_clinics (patient_id, clinic_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            {patient_id, clinic_id});
        !s.ok()) {
      return s.status();
    }
  }
  return LoadConsent(tx, patient_id);
}

absl::StatusOr<bool> WithdrawSharing(sql::Transaction& tx, std::string_view patient_id, absl::Time withdraw_time,
                                     std::string_view recorded_by, absl::Time now) {
  absl::StatusOr<int64_t> updated = tx.Execute(
      "UPDATE patients SET sharing_scope = 1, sharing_withdraw_time_us = $2, sharing_recorded_by = $3, "
      "consent_update_time_us = $4, consent_version = consent_version + 1, revision = revision + 1 "
      "WHERE patient_id = $1 AND sharing_scope <> 1",
      {patient_id, absl::ToUnixMicros(withdraw_time), recorded_by, absl::ToUnixMicros(now)});
  if (!updated.ok()) return updated.status();
  if (*updated == 0) return false;
  if (absl::StatusOr<int64_t> s = tx.Execute("DELETE FROM patient_shared_clinics WHERE patient_id = $1", {patient_id});
      !s.ok()) {
    return s.status();
  }
  return true;
}

absl::StatusOr<v1::Consent> SetContactConsent(sql::Transaction& tx, std::string_view patient_id,
                                              type::v1::ContactChannel channel, v1::ContactConsentState state,
                                              bool preferred, int64_t expected_consent_version, absl::Time now) {
  absl::StatusOr<int64_t> touched = tx.Execute(
      "UPDATE patients SET consent_version = consent_version + 1, revision = revision + 1, "
      "consent_update_time_us = $2 WHERE patient_id = $1 AND consent_version = $3",
      {patient_id, absl::ToUnixMicros(now), expected_consent_version});
  if (!touched.ok()) return touched.status();
  if (*touched == 0) return StaleEtag("the consent");
  const int64_t now_us = absl::ToUnixMicros(now);
  const bool grant = state == v1::CONTACT_CONSENT_STATE_GRANTED;
  absl::StatusOr<int64_t> upserted = tx.Execute(
      "INSERT INTO contact_consents (patient_id, channel, state, grant_time_us, withdraw_time_us, preferred) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (patient_id, channel) DO UPDATE SET state = $3, "
      "grant_time_us = COALESCE($4, contact_consents.grant_time_us), "
      "withdraw_time_us = COALESCE($5, contact_consents.withdraw_time_us), preferred = $6",
      {patient_id, static_cast<int64_t>(channel), static_cast<int64_t>(state),
       grant ? sql::Value(now_us) : sql::Value(), grant ? sql::Value() : sql::Value(now_us), preferred});
  if (!upserted.ok()) return upserted.status();
  if (preferred) {
    if (absl::StatusOr<int64_t> s = tx.Execute(
            "UPDATE contact_consents SET preferred = FALSE WHERE patient_id = $1 AND channel <> $2",
            {patient_id, static_cast<int64_t>(channel)});
        !s.ok()) {
      return s.status();
    }
  }
  return LoadConsent(tx, patient_id);
}

absl::Status RecordOptOut(sql::Transaction& tx, std::string_view patient_id, type::v1::ContactChannel channel,
                          v1::OptOutSource source, absl::Time opt_out_time, absl::Time now) {
  if (absl::Status s = TouchConsent(tx, patient_id, now); !s.ok()) return s;
  return tx
      .Execute(
          "INSERT INTO contact_consents (patient_id, channel, state, opt_out_time_us, opt_out_source, preferred) "
          "VALUES ($1, $2, 3, $3, $4, FALSE) ON CONFLICT (patient_id, channel) DO UPDATE SET state = 3, "
          "opt_out_time_us = $3, opt_out_source = $4, preferred = FALSE",
          {patient_id, static_cast<int64_t>(channel), absl::ToUnixMicros(opt_out_time), static_cast<int64_t>(source)})
      .status();
}

absl::StatusOr<std::vector<std::string>> FindByAddress(sql::Transaction& tx, type::v1::ContactChannel channel,
                                                       std::string_view address_key) {
  const bool sms = channel == type::v1::CONTACT_CHANNEL_SMS;
  absl::StatusOr<sql::ResultSet> rows =
      tx.Query(sms ? "SELECT patient_id FROM patients WHERE phone_key = $1 ORDER BY patient_id"
                   : "SELECT patient_id FROM patients WHERE email_key = $1 ORDER BY patient_id",
               {address_key});
  if (!rows.ok()) return rows.status();
  std::vector<std::string> ids;
  for (const sql::Row& row : *rows) ids.push_back(row.GetText(0));
  return ids;
}

}  // namespace clinic::patient::store
