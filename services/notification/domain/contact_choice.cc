#include "services/notification/domain/contact_choice.h"

namespace clinic::notification::domain {
namespace {

ContactChoice Skip(v1::SkipReason reason) {
  ContactChoice c;
  c.skip_reason = reason;
  return c;
}

}  // namespace

ContactChoice ChooseContact(const PatientContact& contact, type::v1::ContactChannel requested) {
  if (contact.erased) return Skip(v1::SKIP_REASON_PATIENT_ERASED);
  bool any_granted = false;
  bool any_opted_out = false;
  const ContactPoint* best = nullptr;
  for (const ContactPoint& p : contact.points) {
    if (requested != type::v1::CONTACT_CHANNEL_UNSPECIFIED && p.channel != requested) continue;
    if (p.consent == Consent::kOptedOut) any_opted_out = true;
    if (p.consent != Consent::kGranted) continue;
    any_granted = true;
    if (p.address.empty()) continue;
    if (best == nullptr || (p.preferred && !best->preferred)) best = &p;
  }
  if (best != nullptr) {
    ContactChoice c;
    c.point = *best;
    return c;
  }
  if (any_granted) return Skip(v1::SKIP_REASON_NO_ADDRESS);
  if (any_opted_out) return Skip(v1::SKIP_REASON_OPTED_OUT);
  return Skip(v1::SKIP_REASON_NO_CONSENT);
}

}  // namespace clinic::notification::domain
