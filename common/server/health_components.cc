#include "common/server/health_components.h"

#include <utility>

#include "nlohmann/json.hpp"

namespace clinic::server {

std::string_view ComponentStateName(ComponentState state) {
  switch (state) {
    case ComponentState::kServing:
      return "SERVING";
    case ComponentState::kNotServing:
      return "NOT_SERVING";
    case ComponentState::kUnknown:
      break;
  }
  return "UNKNOWN";
}

bool IsComponentName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool HealthComponents::Set(const std::string& name, ComponentHealth health) {
  sync::MutexLock lock(&mu_);
  auto [it, added] = components_.try_emplace(name, health);
  if (added) return true;
  if (it->second == health) return false;
  it->second = std::move(health);
  return true;
}

std::map<std::string, ComponentHealth> HealthComponents::Snapshot() const {
  sync::MutexLock lock(&mu_);
  return components_;
}

std::string HealthJson(bool serving, const std::map<std::string, ComponentHealth>& components) {
  nlohmann::ordered_json json;
  json["status"] = serving ? "SERVING" : "NOT_SERVING";
  json["components"] = nlohmann::ordered_json::object();
  for (const auto& [name, health] : components) {
    nlohmann::ordered_json component;
    component["status"] = std::string(ComponentStateName(health.state));
    if (!health.detail.empty()) component["detail"] = health.detail;
    json["components"][name] = std::move(component);
  }
  // Replace: a detail that is not valid UTF-8 (an error message from a library) must not
  // make the endpoint throw.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace clinic::server
