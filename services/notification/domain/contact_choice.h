#pragma once

// Which of a patient's channels a reminder goes to, from what the patient service's
// contact lookup answers at send time (DOMAIN.md: "on the channel the patient chose,
// only with consent, stopped at once after an opt-out").

#include <optional>
#include <string>
#include <vector>

#include "clinic/notification/v1/reminder.pb.h"
#include "clinic/type/v1/contact.pb.h"

namespace clinic::notification::domain {

enum class Consent { kUnspecified, kGranted, kWithdrawn, kOptedOut };

// How to reach a patient on one channel. `address` is personal data: never logged.
struct ContactPoint {
  type::v1::ContactChannel channel = type::v1::CONTACT_CHANNEL_UNSPECIFIED;
  std::string address;
  Consent consent = Consent::kUnspecified;
  bool preferred = false;
};

// A patient's contact details as the lookup answers them.
struct PatientContact {
  std::vector<ContactPoint> points;
  // The patient's language (BCP-47); empty when unknown.
  std::string language_code;
  // The record is erased: nothing may be sent.
  bool erased = false;
};

// Either the point to send to, or why nothing is sent.
struct ContactChoice {
  std::optional<ContactPoint> point;
  v1::SkipReason skip_reason = v1::SKIP_REASON_UNSPECIFIED;
};

// The point a reminder goes to. With `requested` set, only that channel: OPTED_OUT when
// the patient opted out there, NO_CONSENT when consent is anything else but granted,
// NO_ADDRESS when granted without an address. Otherwise the preferred channel among the
// granted ones with an address, else the first such; with none: NO_ADDRESS when some
// channel is granted, else OPTED_OUT when some channel is opted out, else NO_CONSENT.
// An erased record: PATIENT_ERASED.
ContactChoice ChooseContact(const PatientContact& contact, type::v1::ContactChannel requested);

}  // namespace clinic::notification::domain
