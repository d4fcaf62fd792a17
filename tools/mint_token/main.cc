// clinic_token: mints a bearer JWT for development and prints it on stdout.
//
//   clinic_token --key_file=dev.key --subject=alice --clinic=clinic-north
//                --role=clinician --ttl=12h

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "tools/mint_token/mint_token.h"

ABSL_FLAG(std::string, key_file, "", "HS256 secret file (at least 32 bytes).");
ABSL_FLAG(std::string, rs256_private_key_file, "",
          "RSA private key PEM; mints RS256 instead of HS256.");
ABSL_FLAG(std::string, kid, "", "RS256 key id for the token header (optional).");
ABSL_FLAG(std::string, subject, "", "The `sub` claim: who the token names.");
ABSL_FLAG(std::string, clinic, "",
          "The `clinic` claim; required for reception, practitioner, clinician, clinic_manager.");
ABSL_FLAG(std::string, role, "",
          "reception, practitioner, clinician, clinic_manager, network_admin, dpo or service.");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(12), "Lifetime, e.g. 12h or 30m.");
ABSL_FLAG(std::string, issuer, "", "The `iss` claim (optional).");
ABSL_FLAG(std::string, audience, "", "The `aud` claim (optional).");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Mints a development bearer token and prints it on stdout.\n"
      "  clinic_token --key_file=dev.key --subject=alice --clinic=clinic-north "
      "--role=clinician --ttl=12h");
  absl::ParseCommandLine(argc, argv);

  clinic::tools::MintTokenOptions options;
  options.key_file = absl::GetFlag(FLAGS_key_file);
  options.rs256_private_key_file = absl::GetFlag(FLAGS_rs256_private_key_file);
  options.kid = absl::GetFlag(FLAGS_kid);
  options.subject = absl::GetFlag(FLAGS_subject);
  options.clinic = absl::GetFlag(FLAGS_clinic);
  options.role = absl::GetFlag(FLAGS_role);
  options.ttl = absl::GetFlag(FLAGS_ttl);
  options.issuer = absl::GetFlag(FLAGS_issuer);
  options.audience = absl::GetFlag(FLAGS_audience);

  clinic::SystemClock clock;
  absl::StatusOr<std::string> token = clinic::tools::MintToken(options, clock);
  if (!token.ok()) {
    std::fprintf(stderr, "clinic_token: %s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  std::printf("%s\n", token->c_str());
  return 0;
}
