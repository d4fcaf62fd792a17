#include "services/notification/domain/contact_choice.h"

namespace clinic::notification::domain {
namespace {

// Built in one expression: GCC 12 under ASan warns (maybe-uninitialized, a false
// positive) about a default-constructed ContactChoice whose optional is then assigned.
ContactChoice Skip(v1::SkipReason reason) { return ContactChoice{std::nullopt, reason}; }

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
  if (best != nullptr) return ContactChoice{*best, v1::SKIP_REASON_UNSPECIFIED};
  if (any_granted) return Skip(v1::SKIP_REASON_NO_ADDRESS);
  if (any_opted_out) return Skip(v1::SKIP_REASON_OPTED_OUT);
  return Skip(v1::SKIP_REASON_NO_CONSENT);
}

}  // namespace clinic::notification::domain
