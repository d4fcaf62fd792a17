#include "tools/loadgen/run_options.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace clinic::loadgen {

const char* LoadModeName(LoadMode mode) {
  switch (mode) {
    case LoadMode::kClosedLoop:
      return "closed_loop";
    case LoadMode::kOpenLoop:
      return "open_loop";
  }
  return "unknown";
}

absl::Status Validate(const RunOptions& options) {
  if (options.mode == LoadMode::kClosedLoop && options.concurrency < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("concurrency must be at least 1, not ", options.concurrency));
  }
  if (options.mode == LoadMode::kOpenLoop && !(options.rate > 0 && std::isfinite(options.rate))) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate must be a positive number of operations per second, not ",
                     options.rate));
  }
  if (options.warmup < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("warmup must not be negative");
  }
  if (options.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration must be positive");
  }
  return absl::OkStatus();
}

}  // namespace clinic::loadgen
