#pragma once

// The one conversion between absl::Status (inside) and grpc::Status (the wire).

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace clinic::status {

// Converts an internal status for the wire: same code and message; every payload of
// the absl::Status becomes a google.protobuf.Any detail of a google.rpc.Status sent in
// the grpc-status-details-bin trailer.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Converts a status received from a peer back: code, message and payloads.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace clinic::status
