#pragma once

// Errors inside the services are absl::Status values with the most specific canonical
// code. Structured details travel as payloads keyed by their google.rpc type URL and
// are turned into google.rpc.Status details once, at the gRPC edge (grpc_status.h).

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace clinic::status {

// One bad field of a request: its path (e.g. "patient.phone") and why it is bad.
struct FieldViolation {
  std::string field;
  std::string description;
};

// Collects the bad fields of a request so that all of them are reported at once.
//
//   FieldViolations bad;
//   if (request.given_name().empty()) bad.Add("patient.given_name", "must not be empty");
//   if (!bad.empty()) return bad.ToStatus();
class FieldViolations {
 public:
  void Add(std::string field, std::string description) {
    violations_.push_back({std::move(field), std::move(description)});
  }
  bool empty() const { return violations_.empty(); }
  const std::vector<FieldViolation>& violations() const { return violations_; }

  // INVALID_ARGUMENT whose message names every bad field and which carries a
  // google.rpc.BadRequest with one field violation each. OK when there are none.
  absl::Status ToStatus() const;

 private:
  std::vector<FieldViolation> violations_;
};

// INVALID_ARGUMENT for a single bad field.
absl::Status InvalidField(std::string field, std::string description);

// The field violations carried by `status` (empty when it carries none).
std::vector<FieldViolation> GetFieldViolations(const absl::Status& status);

// ALREADY_EXISTS naming the existing resource in a google.rpc.ResourceInfo, e.g.
// AlreadyExists("clinic.patient.v1.Patient", "patients/123", "a patient with ...").
absl::Status AlreadyExists(std::string_view resource_type, std::string_view resource_name,
                           std::string_view message);

// The resource name carried by an ALREADY_EXISTS from AlreadyExists().
std::optional<std::string> GetExistingResource(const absl::Status& status);

// FAILED_PRECONDITION carrying a google.rpc.PreconditionFailure with one violation:
// `type` is a stable constant clients switch on ("STOCK", "LOT", "STATE", …; docs/API.md)
// and `subject` the resource concerned, e.g.
// FailedPrecondition("STOCK", "clinics/c1", "no usable lot has 2 units available").
absl::Status FailedPrecondition(std::string_view type, std::string_view subject, std::string_view message);

// The violation type carried by a FAILED_PRECONDITION from FailedPrecondition().
std::optional<std::string> GetPreconditionType(const absl::Status& status);

// Payload keys (google.rpc type URLs).
inline constexpr absl::string_view kBadRequestUrl = "type.googleapis.com/google.rpc.BadRequest";
inline constexpr absl::string_view kResourceInfoUrl = "type.googleapis.com/google.rpc.ResourceInfo";
inline constexpr absl::string_view kPreconditionFailureUrl = "type.googleapis.com/google.rpc.PreconditionFailure";
inline constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

}  // namespace clinic::status
