#include "common/peer/channel.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace clinic::peer {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* setting) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(setting, ": cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string pem = buffer.str();
  // gRPC would only fail at the first handshake, far from the cause; refuse it here.
  if (!absl::StrContains(pem, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(setting, ": not a PEM file: ", path));
  }
  return pem;
}

int Millis(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const ChannelOptions& options) {
  const bool has_cert = !options.tls_cert_file.empty(), has_key = !options.tls_key_file.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(absl::StrCat(has_cert ? kTlsKeyFileSetting : kTlsCertFileSetting,
                                                   ": a client certificate needs both ", kTlsCertFileSetting,
                                                   " and ", kTlsKeyFileSetting));
  }
  if (options.tls_ca_file.empty()) {
    if (has_cert) {
      return absl::InvalidArgumentError(
          absl::StrCat(kTlsCaFileSetting, ": a client certificate needs TLS; set the CA of the peers"));
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  auto ca = ReadPem(options.tls_ca_file, kTlsCaFileSetting);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *std::move(ca);
  if (has_cert) {
    auto cert = ReadPem(options.tls_cert_file, kTlsCertFileSetting);
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(options.tls_key_file, kTlsKeyFileSetting);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(const ChannelOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(options.name.empty() ? "peer" : options.name,
                                                   "_address: the peer's address is required"));
  }
  auto credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(options.max_message_bytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(options.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(options.keepalive_timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Without this the client stops pinging after two pings on an idle connection.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  return grpc::CreateCustomChannel(options.address, *credentials, args);
}

}  // namespace clinic::peer
