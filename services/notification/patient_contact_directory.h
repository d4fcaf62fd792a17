#pragma once

#include <memory>
#include <string_view>

#include "absl/time/time.h"
#include "clinic/patient/v1/patient_service.grpc.pb.h"
#include "common/peer/peer_call.h"
#include "common/peer/token_source.h"
#include "grpcpp/channel.h"
#include "services/notification/contact_directory.h"

namespace clinic::notification {

// ContactDirectory over the patient service's LookupContact RPC, called as the
// notification service itself (a token from `tokens`), with the reminder id as the
// request id, a deadline and retries on UNAVAILABLE (common/peer). `tokens` and
// `metrics` (may be null) must outlive it. Thread-safe.
class PatientContactDirectory final : public ContactDirectory {
 public:
  PatientContactDirectory(std::shared_ptr<grpc::Channel> channel, peer::TokenSource& tokens,
                          peer::ClientMetrics* metrics, absl::Duration timeout = absl::Seconds(5));

  absl::StatusOr<domain::PatientContact> Lookup(std::string_view patient, type::v1::ContactChannel channel,
                                                std::string_view request_id) override;

 private:
  std::unique_ptr<patient::v1::PatientService::Stub> stub_;
  peer::TokenSource& tokens_;
  peer::CallSpec spec_;
};

// The domain form of a LookupContact answer.
domain::PatientContact ContactFromLookup(const patient::v1::LookupContactResponse& response);

}  // namespace clinic::notification
