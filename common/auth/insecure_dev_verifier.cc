#include "common/auth/insecure_dev_verifier.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "common/auth/base64url.h"
#include "common/auth/role.h"
#include "nlohmann/json.hpp"

namespace clinic::auth {
namespace {

class InsecureDevVerifier final : public TokenVerifier {
 public:
  explicit InsecureDevVerifier(const Clock& clock) : clock_(clock) {}

  absl::StatusOr<Principal> Verify(std::string_view token) const override {
    if (token.empty()) return DevPrincipal();
    std::vector<absl::string_view> parts =
        absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
    if (parts.size() != 3) return absl::UnauthenticatedError("invalid bearer token: not a JWT");
    std::optional<std::string> payload = Base64UrlDecode(std::string_view(parts[1].data(), parts[1].size()));
    if (!payload) return absl::UnauthenticatedError("invalid bearer token: bad encoding");
    nlohmann::json claims = nlohmann::json::parse(*payload, nullptr, /*allow_exceptions=*/false);
    if (!claims.is_object() || !claims.contains("sub") || !claims["sub"].is_string() ||
        !claims.contains("role") || !claims["role"].is_string() || !claims.contains("exp") ||
        !claims["exp"].is_number()) {
      return absl::UnauthenticatedError("invalid bearer token: sub, role and exp are required");
    }
    Principal p;
    p.subject = claims["sub"].get<std::string>();
    std::optional<Role> role = ParseRole(claims["role"].get<std::string>());
    if (!role) return absl::UnauthenticatedError("invalid bearer token: unknown role");
    p.role = *role;
    if (claims.contains("clinic") && claims["clinic"].is_string()) p.clinic = claims["clinic"].get<std::string>();
    if (RoleRequiresClinic(p.role) && !p.clinic) {
      return absl::UnauthenticatedError("invalid bearer token: clinic required for this role");
    }
    p.expiry = absl::FromUnixSeconds(claims["exp"].get<int64_t>());
    if (clock_.Now() >= p.expiry) return absl::UnauthenticatedError("invalid bearer token: expired");
    p.token = std::string(token);
    return p;
  }

 private:
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<TokenVerifier> NewInsecureDevVerifier(const Clock& clock) {
  return std::make_unique<InsecureDevVerifier>(clock);
}

Principal DevPrincipal() {
  Principal p;
  p.subject = "dev";
  p.role = Role::kNetworkAdmin;
  p.expiry = absl::InfiniteFuture();
  return p;
}

}  // namespace clinic::auth
