#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "clinic/type/v1/contact.pb.h"
#include "services/notification/domain/contact_choice.h"

namespace clinic::notification {

// Where a patient's channels, addresses, consent and language come from at send time
// (the patient service's LookupContact).
//
// Contract: Lookup(patient, channel) answers the patient's contact points (only
// `channel`'s when it is set); NOT_FOUND when the record does not exist; UNAVAILABLE or
// DEADLINE_EXCEEDED when the directory cannot answer now (the send is retried later);
// any other error is treated as retryable too. `patient` is "patients/{patient}";
// `request_id` identifies the unit of work (the reminder id) in the directory's logs.
// Blocks; thread-safe.
class ContactDirectory {
 public:
  virtual ~ContactDirectory() = default;
  virtual absl::StatusOr<domain::PatientContact> Lookup(std::string_view patient, type::v1::ContactChannel channel,
                                                        std::string_view request_id) = 0;
};

}  // namespace clinic::notification
