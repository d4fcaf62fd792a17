#include "services/notification/patient_contact_directory.h"

#include <string>
#include <utility>

namespace clinic::notification {
namespace {

domain::Consent ConsentOf(patient::v1::ContactConsentState state) {
  switch (state) {
    case patient::v1::CONTACT_CONSENT_STATE_GRANTED:
      return domain::Consent::kGranted;
    case patient::v1::CONTACT_CONSENT_STATE_WITHDRAWN:
      return domain::Consent::kWithdrawn;
    case patient::v1::CONTACT_CONSENT_STATE_OPTED_OUT:
      return domain::Consent::kOptedOut;
    default:
      return domain::Consent::kUnspecified;
  }
}

}  // namespace

domain::PatientContact ContactFromLookup(const patient::v1::LookupContactResponse& response) {
  domain::PatientContact contact;
  contact.erased = response.erased();
  contact.language_code = response.language_code();
  for (const patient::v1::ContactPoint& p : response.contact_points()) {
    contact.points.push_back({p.channel(), p.address(), ConsentOf(p.consent_state()), p.preferred()});
  }
  return contact;
}

PatientContactDirectory::PatientContactDirectory(std::shared_ptr<grpc::Channel> channel, peer::TokenSource& tokens,
                                                 peer::ClientMetrics* metrics, absl::Duration timeout)
    : stub_(patient::v1::PatientService::NewStub(std::move(channel))), tokens_(tokens) {
  spec_.method = "clinic.patient.v1.PatientService/LookupContact";
  spec_.idempotent = true;
  spec_.timeout = timeout;
  spec_.metrics = metrics;
}

absl::StatusOr<domain::PatientContact> PatientContactDirectory::Lookup(std::string_view patient,
                                                                       type::v1::ContactChannel channel,
                                                                       std::string_view request_id) {
  patient::v1::LookupContactRequest request;
  request.set_name(std::string(patient));
  request.set_channel(channel);
  patient::v1::LookupContactResponse response;
  const peer::Origin origin = peer::Origin::ForService(tokens_, std::string(request_id));
  absl::Status s = peer::CallPeer(origin, spec_, [&](grpc::ClientContext& context) {
    return stub_->LookupContact(&context, request, &response);
  });
  if (!s.ok()) return s;
  return ContactFromLookup(response);
}

}  // namespace clinic::notification
