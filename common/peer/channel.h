#pragma once

// Channels to peer services.
//
// Suggested flags for a service that calls the inventory service (defined by the
// service, not here): --inventory_address, and shared by all its peers
// --peer_tls_ca_file, --peer_tls_cert_file, --peer_tls_key_file.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace clinic::peer {

// Setting names used in errors; services' flags carry the same names.
inline constexpr char kTlsCaFileSetting[] = "peer_tls_ca_file";
inline constexpr char kTlsCertFileSetting[] = "peer_tls_cert_file";
inline constexpr char kTlsKeyFileSetting[] = "peer_tls_key_file";

struct ChannelOptions {
  // The peer's name, e.g. "inventory": errors about `address` name the setting
  // "<name>_address".
  std::string name;
  // gRPC target, e.g. "inventory.internal:50051" or "dns:///inventory:50051". Required.
  std::string address;
  // TLS is on when tls_ca_file is set: the CA (PEM) that the peer's certificate must chain
  // to. With tls_cert_file and tls_key_file (PEM) the client presents its certificate
  // (mTLS); both or neither.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Overrides the name checked against the peer's certificate (default: the target's host).
  std::string tls_server_name;
  // Keepalive pings on the connection, also while idle, so that a dead peer is noticed
  // before the next call. Keep keepalive_time >= 10 s: our servers answer pings more
  // frequent than that with GOAWAY (too_many_pings).
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Largest request or response message (same default as the servers).
  int max_message_bytes = 4 * 1024 * 1024;
};

// Builds a channel (it connects lazily, on the first call). INVALID_ARGUMENT naming the
// setting when the address is empty, a file cannot be read or is not PEM, or only one
// of the certificate and key is given (or either without a CA).
absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(const ChannelOptions& options);

}  // namespace clinic::peer
