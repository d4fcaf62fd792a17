// The consent RPCs and the contact lookup for reminders.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/api/idempotency.h"
#include "common/api/resource_name.h"
#include "services/patient/domain/contact_address.h"
#include "services/patient/domain/proto_time.h"
#include "services/patient/handler_support.h"
#include "services/patient/patient_service.h"

namespace clinic::patient {
namespace {

using domain::PatientAction;

constexpr std::string_view kConsentPattern = "patients/{patient}/consent";
constexpr int kMaxSharedClinics = 100;

// An instant a caller states (grant, withdrawal, opt-out): set when `required`, valid and
// not after `now`.
std::optional<absl::Time> CheckStatedTime(bool present, const google::protobuf::Timestamp& ts, bool required,
                                          absl::Time now, const std::string& field, status::FieldViolations& bad) {
  if (!present) {
    if (required) bad.Add(field, "required");
    return std::nullopt;
  }
  std::optional<absl::Time> t = domain::ToTime(ts);
  if (!t.has_value()) {
    bad.Add(field, "not a valid timestamp");
  } else if (*t > now) {
    bad.Add(field, "must not be in the future");
    return std::nullopt;
  }
  return t;
}

bool IsKnownChannel(type::v1::ContactChannel channel) {
  return channel == type::v1::CONTACT_CHANNEL_SMS || channel == type::v1::CONTACT_CHANNEL_EMAIL;
}

}  // namespace

absl::Status PatientService::HandleGetConsent(const server::Call& call, const v1::GetConsentRequest& request,
                                              v1::Consent* response) {
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId(kConsentPattern, request.name(), "name", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedRead(call, "GetConsent", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    absl::StatusOr<store::PatientRecord> record = LoadAuthorized(
        tx, audit, *id, PatientAction::kReadConsent, v1::ACCESS_ACTION_READ, request.name(), request.name());
    if (!record.ok()) return record.status();
    absl::StatusOr<v1::Consent> consent = store::LoadConsent(tx, *id);
    if (!consent.ok()) return consent.status();
    *response = *std::move(consent);
    return absl::OkStatus();
  });
}

absl::Status PatientService::HandleUpdateSharingConsent(const server::Call& call,
                                                        const v1::UpdateSharingConsentRequest& request,
                                                        v1::Consent* response) {
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kConsentPattern, request.name(), "name", bad);
  if (request.etag().empty()) bad.Add("etag", "required: the consent's etag read last");
  const v1::SharingConsent& sharing = request.sharing();
  if (!request.has_sharing()) bad.Add("sharing", "required");
  const v1::SharingScope scope = sharing.scope();
  if (scope != v1::SHARING_SCOPE_NONE && scope != v1::SHARING_SCOPE_NAMED_CLINICS &&
      scope != v1::SHARING_SCOPE_NETWORK) {
    bad.Add("sharing.scope", "required: NONE, NAMED_CLINICS or NETWORK");
  }
  std::vector<std::string> clinic_ids;
  if (scope == v1::SHARING_SCOPE_NAMED_CLINICS) {
    if (sharing.clinics().empty() || sharing.clinics_size() > kMaxSharedClinics) {
      bad.Add("sharing.clinics", "1 to 100 clinics with scope NAMED_CLINICS");
    }
    std::set<std::string> seen;
    for (int i = 0; i < sharing.clinics_size(); ++i) {
      const std::string field = absl::StrCat("sharing.clinics[", i, "]");
      std::optional<std::string> clinic = api::ParseId("clinics/{clinic}", sharing.clinics(i), field, bad);
      if (!clinic.has_value()) continue;
      if (!seen.insert(*clinic).second) {
        bad.Add(field, "listed twice");
        continue;
      }
      clinic_ids.push_back(*clinic);
    }
  } else if (!sharing.clinics().empty()) {
    bad.Add("sharing.clinics", "only with scope NAMED_CLINICS");
  }
  std::optional<absl::Time> grant_time =
      CheckStatedTime(sharing.has_grant_time(), sharing.grant_time(), true, now, "sharing.grant_time", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedOnce(
      call, "UpdateSharingConsent", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> record =
            LoadAuthorized(tx, audit, *id, PatientAction::kUpdateSharingConsent, v1::ACCESS_ACTION_CONSENT_CHANGE,
                           request.name(), request.name());
        if (!record.ok()) return record.status();
        for (int i = 0; i < static_cast<int>(clinic_ids.size()); ++i) {
          if (absl::StrCat("clinics/", clinic_ids[i]) == record->sharing.home_clinic) {
            return status::InvalidField(absl::StrCat("sharing.clinics[", i, "]"), "must not be the home clinic");
          }
        }
        if (absl::Status s = CheckActive(*record); !s.ok()) return s;
        absl::StatusOr<v1::Consent> consent = store::SetSharing(
            tx, *id, scope, clinic_ids, *grant_time, call.principal().subject, VersionOfEtag(request.etag()), now);
        if (!consent.ok()) return consent.status();
        *response = *std::move(consent);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleWithdrawSharingConsent(const server::Call& call,
                                                          const v1::WithdrawSharingConsentRequest& request,
                                                          v1::Consent* response) {
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kConsentPattern, request.name(), "name", bad);
  std::optional<absl::Time> withdraw_time =
      CheckStatedTime(request.has_withdraw_time(), request.withdraw_time(), false, now, "withdraw_time", bad);
  if (!bad.empty()) return bad.ToStatus();
  return AuditedOnce(call, "WithdrawSharingConsent", request, request.request_id(), response,
                     [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
                       absl::StatusOr<store::PatientRecord> record = LoadAuthorized(
                           tx, audit, *id, PatientAction::kWithdrawSharingConsent, v1::ACCESS_ACTION_CONSENT_CHANGE,
                           request.name(), request.name());
                       if (!record.ok()) return record.status();
                       absl::StatusOr<bool> withdrawn = store::WithdrawSharing(
                           tx, *id, withdraw_time.value_or(now), call.principal().subject, now);
                       if (!withdrawn.ok()) return withdrawn.status();
                       absl::StatusOr<v1::Consent> consent = store::LoadConsent(tx, *id);
                       if (!consent.ok()) return consent.status();
                       *response = *std::move(consent);
                       return absl::OkStatus();
                     });
}

absl::Status PatientService::HandleUpdateContactConsent(const server::Call& call,
                                                        const v1::UpdateContactConsentRequest& request,
                                                        v1::Consent* response) {
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  std::optional<std::string> id = api::ParseId(kConsentPattern, request.name(), "name", bad);
  if (request.etag().empty()) bad.Add("etag", "required: the consent's etag read last");
  const v1::ContactConsent& contact = request.contact();
  if (!request.has_contact()) bad.Add("contact", "required");
  if (!IsKnownChannel(contact.channel())) bad.Add("contact.channel", "required: SMS or EMAIL");
  if (contact.state() == v1::CONTACT_CONSENT_STATE_OPTED_OUT) {
    bad.Add("contact.state", "an opt-out is recorded with RecordContactOptOut");
  } else if (contact.state() != v1::CONTACT_CONSENT_STATE_GRANTED &&
             contact.state() != v1::CONTACT_CONSENT_STATE_WITHDRAWN) {
    bad.Add("contact.state", "required: GRANTED or WITHDRAWN");
  }
  if (contact.preferred() && contact.state() != v1::CONTACT_CONSENT_STATE_GRANTED) {
    bad.Add("contact.preferred", "only a granted channel can be preferred");
  }
  if (!bad.empty()) return bad.ToStatus();
  return AuditedOnce(
      call, "UpdateContactConsent", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        absl::StatusOr<store::PatientRecord> record =
            LoadAuthorized(tx, audit, *id, PatientAction::kUpdateContactConsent, v1::ACCESS_ACTION_CONSENT_CHANGE,
                           request.name(), request.name());
        if (!record.ok()) return record.status();
        if (contact.state() == v1::CONTACT_CONSENT_STATE_GRANTED) {
          const bool sms = contact.channel() == type::v1::CONTACT_CHANNEL_SMS;
          const std::string& address = sms ? record->patient.phone_number() : record->patient.email();
          if (address.empty()) {
            return status::InvalidField("contact.channel", sms ? "the patient has no phone number"
                                                               : "the patient has no email address");
          }
        }
        if (absl::Status s = CheckActive(*record); !s.ok()) return s;
        absl::StatusOr<v1::Consent> consent =
            store::SetContactConsent(tx, *id, contact.channel(), contact.state(), contact.preferred(),
                                     VersionOfEtag(request.etag()), clock_.Now());
        if (!consent.ok()) return consent.status();
        *response = *std::move(consent);
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleRecordContactOptOut(const server::Call& call,
                                                       const v1::RecordContactOptOutRequest& request,
                                                       v1::RecordContactOptOutResponse* response) {
  const auth::Principal& principal = call.principal();
  if (!domain::RoleMayPerform(principal, PatientAction::kRecordContactOptOut)) {
    return domain::DecisionToStatus(domain::AccessDecision::kPermissionDenied, principal,
                                    PatientAction::kRecordContactOptOut, "");
  }
  const absl::Time now = clock_.Now();
  status::FieldViolations bad;
  api::CheckRequestId(request.request_id(), bad);
  const type::v1::ContactChannel channel = request.channel();
  if (!IsKnownChannel(channel)) bad.Add("channel", "required: SMS or EMAIL");
  if (!v1::OptOutSource_IsValid(request.source())) bad.Add("source", "unknown value");
  const v1::OptOutSource source =
      request.source() == v1::OPT_OUT_SOURCE_UNSPECIFIED ? v1::OPT_OUT_SOURCE_STAFF : request.source();
  std::optional<absl::Time> opt_out_time =
      CheckStatedTime(request.has_opt_out_time(), request.opt_out_time(), true, now, "opt_out_time", bad);
  std::optional<std::string> id;
  std::string address_key;
  if (request.patient().empty() == request.address().empty()) {
    bad.Add("patient", "exactly one of patient and address is required");
  } else if (!request.patient().empty()) {
    id = api::ParseId("patients/{patient}", request.patient(), "patient", bad);
  } else if (IsKnownChannel(channel)) {
    std::optional<std::string> key = channel == type::v1::CONTACT_CHANNEL_SMS
                                         ? domain::NormalisePhoneNumber(request.address())
                                         : domain::EmailKey(request.address());
    if (!key.has_value()) {
      bad.Add("address", channel == type::v1::CONTACT_CHANNEL_SMS ? "must be an E.164 phone number"
                                                                  : "must be an email address");
    } else {
      address_key = *key;
    }
  }
  if (!bad.empty()) return bad.ToStatus();
  return AuditedOnce(
      call, "RecordContactOptOut", request, request.request_id(), response,
      [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
        std::vector<std::string> ids;
        if (id.has_value()) {
          absl::StatusOr<store::PatientRecord> record =
              LoadAuthorized(tx, audit, *id, PatientAction::kRecordContactOptOut, v1::ACCESS_ACTION_CONSENT_CHANGE,
                             absl::StrCat(request.patient(), "/consent"), request.patient());
          if (!record.ok()) return record.status();
          ids.push_back(*id);
        } else {
          absl::StatusOr<std::vector<std::string>> found = store::FindByAddress(tx, channel, address_key);
          if (!found.ok()) return found.status();
          for (const std::string& candidate : *found) {
            absl::StatusOr<std::optional<store::PatientRecord>> record = store::LoadPatient(tx, candidate);
            if (!record.ok()) return record.status();
            if (!record->has_value() || !domain::CanSee(principal, (*record)->sharing)) continue;
            audit.Note(candidate, v1::ACCESS_ACTION_CONSENT_CHANGE,
                       absl::StrCat(store::PatientName(candidate), "/consent"));
            ids.push_back(candidate);
          }
        }
        for (const std::string& patient_id : ids) {
          if (absl::Status s = store::RecordOptOut(tx, patient_id, channel, source, *opt_out_time, now); !s.ok()) {
            return s;
          }
          response->add_patients(store::PatientName(patient_id));
        }
        return absl::OkStatus();
      });
}

absl::Status PatientService::HandleLookupContact(const server::Call& call, const v1::LookupContactRequest& request,
                                                 v1::LookupContactResponse* response) {
  // Only the notification service may ever look contacts up: refused before anything is
  // read, whether or not the record exists.
  if (!domain::RoleMayPerform(call.principal(), PatientAction::kLookupContact)) {
    return domain::DecisionToStatus(domain::AccessDecision::kPermissionDenied, call.principal(),
                                    PatientAction::kLookupContact, "");
  }
  status::FieldViolations bad;
  std::optional<std::string> id = api::ParseId("patients/{patient}", request.name(), "name", bad);
  if (request.channel() != type::v1::CONTACT_CHANNEL_UNSPECIFIED && !IsKnownChannel(request.channel())) {
    bad.Add("channel", "unknown value");
  }
  if (!bad.empty()) return bad.ToStatus();
  CacheRead read = LookUpCache(call, *id);
  absl::Status status = AuditedRead(call, "LookupContact", [&](sql::Transaction& tx, CallAudit& audit) -> absl::Status {
    response->Clear();
    absl::StatusOr<store::PatientRecord> record =
        LoadAuthorized(tx, audit, *id, PatientAction::kLookupContact, v1::ACCESS_ACTION_READ,
                       absl::StrCat(request.name(), "/consent"), request.name(), &read);
    if (!record.ok()) return record.status();
    // A merged record resolves to its survivor (one hop: a survivor is never merged).
    if (record->patient.state() == v1::Patient::STATE_MERGED && !record->patient.merged_into().empty()) {
      const std::string survivor_id = record->patient.merged_into().substr(sizeof("patients/") - 1);
      absl::StatusOr<store::PatientRecord> survivor =
          LoadAuthorized(tx, audit, survivor_id, PatientAction::kLookupContact, v1::ACCESS_ACTION_READ,
                         absl::StrCat(record->patient.merged_into(), "/consent"), request.name());
      if (!survivor.ok()) return survivor.status();
      record = *std::move(survivor);
    }
    absl::StatusOr<v1::Consent> consent;
    if (read.hit.has_value() && read.hit->consent.has_value() && record->patient_id == *id) {
      consent = *read.hit->consent;
    } else {
      consent = store::LoadConsent(tx, record->patient_id);
      if (!consent.ok()) return consent.status();
      // Cached with the record (a hit's entry gains it: the consent read now is at least
      // as new as the cached record, and any change since invalidates the entry).
      if (record->patient_id == *id) read.loaded_consent = *consent;
    }
    response->set_patient(record->patient.name());
    response->set_language_code(record->patient.language_code());
    const bool erased = record->patient.state() == v1::Patient::STATE_ERASED;
    response->set_erased(erased);
    for (type::v1::ContactChannel channel : {type::v1::CONTACT_CHANNEL_SMS, type::v1::CONTACT_CHANNEL_EMAIL}) {
      if (request.channel() != type::v1::CONTACT_CHANNEL_UNSPECIFIED && request.channel() != channel) continue;
      v1::ContactPoint* point = response->add_contact_points();
      point->set_channel(channel);
      point->set_address(channel == type::v1::CONTACT_CHANNEL_SMS ? record->patient.phone_number()
                                                                  : record->patient.email());
      point->set_consent_state(v1::CONTACT_CONSENT_STATE_UNSPECIFIED);
      for (const v1::ContactConsent& c : consent->contact()) {
        if (c.channel() != channel) continue;
        point->set_consent_state(erased ? v1::CONTACT_CONSENT_STATE_WITHDRAWN : c.state());
        if (c.has_opt_out_time()) *point->mutable_opt_out_time() = c.opt_out_time();
        point->set_preferred(c.preferred() && c.state() == v1::CONTACT_CONSENT_STATE_GRANTED);
      }
    }
    return absl::OkStatus();
  }, read.hit.has_value());
  FillCache(call, read, status);
  return status;
}

}  // namespace clinic::patient
