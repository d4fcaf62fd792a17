#pragma once

// Configuration by Abseil flags, each with an environment-variable equivalent:
// --redis_url  <=>  CLINIC_REDIS_URL (the flag's name in capitals, prefixed CLINIC_).
// The command line wins over the environment; the environment over the default.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace clinic::config {

// "CLINIC_" + the flag name in upper case.
std::string EnvironmentVariableFor(absl::string_view flag_name);

// Sets every registered flag that has a CLINIC_* variable in the environment.
// INVALID_ARGUMENT naming the variable when a value does not parse.
absl::Status ApplyEnvironment();

// For main(): sets the usage message (which explains the environment variables),
// applies the environment, then parses the command line (--help prints every flag).
// A CLINIC_* value that does not parse exits with status 2 naming the variable; a
// command-line value that does not parse is reported by Abseil's parser, naming the
// flag, with exit status 1.
// Returns the positional arguments.
std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view description);

// Stops start-up on a bad setting: prints "configuration error: --<flag> (CLINIC_<FLAG>):
// <problem>" on stderr and as a JSON log line, and exits with status 2.
[[noreturn]] void FailSetting(absl::string_view flag_name, absl::string_view problem);

// Exits via FailSetting when `status` is not OK; `flag_name` names the setting.
void CheckSetting(absl::string_view flag_name, const absl::Status& status);

}  // namespace clinic::config
