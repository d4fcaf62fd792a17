#include "common/redis/eviction_policy.h"

#include <string>

#include "absl/strings/ascii.h"
#include "common/log/log.h"

namespace clinic::redis {

EvictionPolicyCheck CheckEvictionPolicy(Client& client, const CallOptions& options) {
  EvictionPolicyCheck check;
  absl::StatusOr<Reply> reply = client.Command({"CONFIG", "GET", "maxmemory-policy"}, options);
  if (!reply.ok()) {
    check.error = reply.status();
    return check;
  }
  // The answer is a flat list of name/value pairs: ["maxmemory-policy", "<policy>"].
  if (!reply->is_array() || reply->size() != 2 || !(*reply)[1].AsString().has_value()) {
    check.error = absl::InternalError("redis: unexpected answer to CONFIG GET maxmemory-policy");
    return check;
  }
  check.policy = absl::AsciiStrToLower((*reply)[1].str());
  check.verdict = check.policy == "noeviction" ? EvictionPolicyCheck::Verdict::kNoEviction
                                               : EvictionPolicyCheck::Verdict::kMayEvict;
  return check;
}

EvictionPolicyCheck WarnUnlessNoEviction(Client& client, const CallOptions& options) {
  EvictionPolicyCheck check = CheckEvictionPolicy(client, options);
  switch (check.verdict) {
    case EvictionPolicyCheck::Verdict::kNoEviction:
      break;
    case EvictionPolicyCheck::Verdict::kMayEvict:
      log::Warn(
          "REDIS MAXMEMORY-POLICY IS NOT noeviction: under memory pressure Redis may evict "
          "reminder queue entries (they are re-enqueued from the database only at the next "
          "reconcile); set maxmemory-policy noeviction",
          {{"maxmemory_policy", check.policy}});
      break;
    case EvictionPolicyCheck::Verdict::kUnknown: {
      const std::string error(check.error.message());
      log::Warn(
          "could not check Redis maxmemory-policy (CONFIG GET refused or Redis unreachable); "
          "make sure it is noeviction, or the reminder queue may lose entries under memory "
          "pressure",
          {{"error", error}});
      break;
    }
  }
  return check;
}

}  // namespace clinic::redis
