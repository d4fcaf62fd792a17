#include "tools/loadgen/workload.h"

#include <chrono>

namespace clinic::loadgen {

void CallSettings::Apply(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(deadline));
  context.set_wait_for_ready(wait_for_ready);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
}

}  // namespace clinic::loadgen
