#pragma once

// The start-up check of Redis's eviction policy. The reminder queue keeps its schedule
// in Redis; under any policy but noeviction, Redis may drop queue keys when it reaches
// maxmemory (the database reconcile brings them back, but late). Services that use
// Redis call WarnUnlessNoEviction() once at start.

#include <string>

#include "absl/status/status.h"
#include "common/redis/client.h"

namespace clinic::redis {

struct EvictionPolicyCheck {
  enum class Verdict {
    kNoEviction,  // maxmemory-policy is noeviction: Redis never drops keys
    kMayEvict,    // another policy: keys may be dropped under memory pressure
    kUnknown,     // could not be read (CONFIG not permitted, e.g. managed Redis; or Redis down)
  };
  Verdict verdict = Verdict::kUnknown;
  std::string policy;  // as Redis reports it; empty when kUnknown
  absl::Status error;  // why the verdict is kUnknown; OK otherwise
};

// Reads CONFIG GET maxmemory-policy. Does not log. Thread-safe as the client is.
EvictionPolicyCheck CheckEvictionPolicy(Client& client, const CallOptions& options = {});

// Runs the check and logs a warning (clinic::log::Warn) unless the policy is
// noeviction: loudly when keys may be evicted, and that it could not be checked when
// CONFIG is refused or Redis is unreachable. Returns the check. Never fails the start.
EvictionPolicyCheck WarnUnlessNoEviction(Client& client, const CallOptions& options = {});

}  // namespace clinic::redis
