#include "common/status/status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace clinic::status {

absl::Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  google::rpc::BadRequest detail;
  std::string message = "invalid request:";
  for (const FieldViolation& v : violations_) {
    auto* fv = detail.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    absl::StrAppend(&message, message.back() == ':' ? " " : "; ", v.field, ": ", v.description);
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kBadRequestUrl, absl::Cord(detail.SerializeAsString()));
  return status;
}

absl::Status InvalidField(std::string field, std::string description) {
  FieldViolations v;
  v.Add(std::move(field), std::move(description));
  return v.ToStatus();
}

std::vector<FieldViolation> GetFieldViolations(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestUrl);
  google::rpc::BadRequest detail;
  if (!payload || !detail.ParseFromString(std::string(*payload))) return out;
  for (const auto& fv : detail.field_violations()) out.push_back({fv.field(), fv.description()});
  return out;
}

absl::Status AlreadyExists(std::string_view resource_type, std::string_view resource_name,
                           std::string_view message) {
  google::rpc::ResourceInfo info;
  info.set_resource_type(std::string(resource_type));
  info.set_resource_name(std::string(resource_name));
  absl::Status status = absl::AlreadyExistsError(absl::string_view(message.data(), message.size()));
  status.SetPayload(kResourceInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

std::optional<std::string> GetExistingResource(const absl::Status& status) {
  auto payload = status.GetPayload(kResourceInfoUrl);
  google::rpc::ResourceInfo info;
  if (!payload || !info.ParseFromString(std::string(*payload))) return std::nullopt;
  return info.resource_name();
}

absl::Status FailedPrecondition(std::string_view type, std::string_view subject, std::string_view message) {
  google::rpc::PreconditionFailure failure;
  google::rpc::PreconditionFailure::Violation* violation = failure.add_violations();
  violation->set_type(std::string(type));
  violation->set_subject(std::string(subject));
  violation->set_description(std::string(message));
  absl::Status status = absl::FailedPreconditionError(absl::string_view(message.data(), message.size()));
  status.SetPayload(kPreconditionFailureUrl, absl::Cord(failure.SerializeAsString()));
  return status;
}

std::optional<std::string> GetPreconditionType(const absl::Status& status) {
  auto payload = status.GetPayload(kPreconditionFailureUrl);
  google::rpc::PreconditionFailure failure;
  if (!payload || !failure.ParseFromString(std::string(*payload)) || failure.violations_size() == 0) {
    return std::nullopt;
  }
  return failure.violations(0).type();
}

}  // namespace clinic::status
