#include "common/config/flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace clinic::config {

std::string EnvironmentVariableFor(absl::string_view flag_name) {
  return absl::StrCat("CLINIC_", absl::AsciiStrToUpper(flag_name));
}

absl::Status ApplyEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string variable = EnvironmentVariableFor(name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(variable, ": ", error));
    }
  }
  return absl::OkStatus();
}

std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view description) {
  absl::SetProgramUsageMessage(absl::StrCat(
      description,
      "\n\nEvery flag can also be set by an environment variable: CLINIC_ followed by the "
      "flag's name in capitals (--redis_url is CLINIC_REDIS_URL). The command line wins "
      "over the environment."));
  absl::Status env = ApplyEnvironment();
  if (!env.ok()) {
    std::fprintf(stderr, "configuration error: %s\n", std::string(env.message()).c_str());
    std::exit(2);
  }
  return absl::ParseCommandLine(argc, argv);
}

void FailSetting(absl::string_view flag_name, absl::string_view problem) {
  const std::string text = absl::StrCat("configuration error: --", flag_name, " (",
                                        EnvironmentVariableFor(flag_name), "): ", problem);
  log::Error(text, {{"setting", std::string(flag_name)}});
  std::fprintf(stderr, "%s\n", text.c_str());
  std::exit(2);
}

void CheckSetting(absl::string_view flag_name, const absl::Status& status) {
  if (!status.ok()) FailSetting(flag_name, status.message());
}

}  // namespace clinic::config
