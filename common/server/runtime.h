#pragma once

// The parts every service's main() builds the same way from the common flags:
//   --address --port --metrics_address --metrics_port --log_level
//   --jwt_hs256_key_file --jwt_rs256_public_key_files --jwt_issuer --jwt_audience
//   --insecure_dev_auth
//   --tls_cert_file --tls_key_file --tls_client_ca_file
//   --shutdown_delay --drain_timeout --max_message_bytes --max_threads
//   --keepalive_time --max_connection_age --max_connection_age_grace
// each also settable as CLINIC_<NAME>. A bad setting stops start-up with a message
// naming it (exit status 2).

#include <memory>
#include <string_view>

#include "common/auth/token_verifier.h"
#include "common/clock/clock.h"
#include "common/metrics/metrics.h"
#include "common/server/server.h"

namespace clinic::server {

struct Runtime {
  SystemClock clock;
  metrics::Registry registry;
  ServerOptions options;
  std::unique_ptr<auth::TokenVerifier> verifier;
};

// Call after config::ParseFlags(). Initialises logging for `service_name`, validates the
// common settings and builds the token verifier (or the insecure development one, with
// a loud warning). Exits with status 2 on a bad setting.
std::unique_ptr<Runtime> RuntimeFromFlags(std::string_view service_name);

}  // namespace clinic::server
