#include "tools/loadgen/workload.h"

#include <chrono>
#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"

namespace clinic::loadgen {

void CallSettings::Apply(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(deadline));
  context.set_wait_for_ready(wait_for_ready);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
}

std::string RandomRunId() {
  std::random_device random;
  return absl::StrCat(absl::Hex(static_cast<uint64_t>(random()) << 32 | random(), absl::kZeroPad16));
}

}  // namespace clinic::loadgen
