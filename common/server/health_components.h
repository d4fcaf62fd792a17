#pragma once

// Health detail: the state of a service's dependencies ("components", e.g. "database",
// "redis_queue", "patient_service"), kept apart from its serving status. The server
// (server.h) fills a HealthComponents from its readiness checks (which also decide
// whether it serves) and from its components' probes (which do not: a dependency the
// service survives, such as Redis for a fail-open cache, must not take it out of load
// balancing), and exposes them through grpc.health.v1 and GET /healthz.

#include <map>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "common/sync/mutex.h"

namespace clinic::server {

enum class ComponentState { kUnknown, kServing, kNotServing };

struct ComponentHealth {
  ComponentState state = ComponentState::kUnknown;
  // Short and free of personal data, e.g. "unreachable since 2026-11-25T13:02:11Z".
  std::string detail;

  friend bool operator==(const ComponentHealth&, const ComponentHealth&) = default;
};

// "SERVING", "NOT_SERVING" or "UNKNOWN" (the grpc.health.v1 names).
std::string_view ComponentStateName(ComponentState state);

// Whether `name` may name a component: 1 to 64 characters of [a-z0-9_].
bool IsComponentName(std::string_view name);

// The latest health of each component. Thread-safe.
class HealthComponents {
 public:
  // Records `health` for component `name` (added when new); true when it changed.
  bool Set(const std::string& name, ComponentHealth health);
  // Every component by name.
  std::map<std::string, ComponentHealth> Snapshot() const;

 private:
  mutable sync::Mutex mu_;
  std::map<std::string, ComponentHealth> components_ ABSL_GUARDED_BY(mu_);
};

// The JSON of GET /healthz: the serving status and every component, e.g.
//   {"status":"SERVING","components":{"database":{"status":"SERVING"},
//    "redis_queue":{"status":"NOT_SERVING","detail":"unreachable since ..."}}}
// ("detail" only when not empty).
std::string HealthJson(bool serving, const std::map<std::string, ComponentHealth>& components);

}  // namespace clinic::server
