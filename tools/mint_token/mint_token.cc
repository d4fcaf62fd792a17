#include "tools/mint_token/mint_token.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/jwt.h"
#include "common/auth/role.h"

namespace clinic::tools {
namespace {

absl::Status FlagError(absl::string_view flag, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", message));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
  std::ostringstream content;
  content << in.rdbuf();
  return std::move(content).str();
}

std::string RoleList() {
  std::vector<std::string> names;
  for (auth::Role role : auth::kAllRoles) names.emplace_back(auth::RoleName(role));
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::StatusOr<std::string> MintToken(const MintTokenOptions& options, const Clock& clock) {
  if (options.key_file.empty() == options.rs256_private_key_file.empty()) {
    return FlagError("key_file", "set exactly one of --key_file and --rs256_private_key_file");
  }
  if (options.subject.empty()) return FlagError("subject", "required");
  std::optional<auth::Role> role = auth::ParseRole(options.role);
  if (!role) return FlagError("role", absl::StrCat("must be one of: ", RoleList()));
  if (options.clinic.empty() && auth::RoleRequiresClinic(*role)) {
    return FlagError("clinic", absl::StrCat("required for role ", options.role));
  }
  if (options.ttl <= absl::ZeroDuration() || options.ttl == absl::InfiniteDuration()) {
    return FlagError("ttl", "must be a positive, finite duration such as 12h");
  }

  auth::Claims claims;
  claims.subject = options.subject;
  claims.role = *role;
  if (!options.clinic.empty()) claims.clinic = options.clinic;
  claims.issued_at = clock.Now();
  claims.expires_at = claims.issued_at + options.ttl;
  claims.issuer = options.issuer;
  claims.audience = options.audience;
  claims.key_id = options.kid;

  if (!options.key_file.empty()) {
    absl::StatusOr<std::string> secret = auth::ReadHs256KeyFile(options.key_file);
    if (!secret.ok()) return FlagError("key_file", secret.status().message());
    return auth::MintHs256(claims, *secret);
  }
  absl::StatusOr<std::string> pem = ReadFile(options.rs256_private_key_file);
  if (!pem.ok()) return FlagError("rs256_private_key_file", pem.status().message());
  absl::StatusOr<std::string> token = auth::MintRs256(claims, *pem);
  if (!token.ok() && token.status().code() == absl::StatusCode::kInvalidArgument) {
    return FlagError("rs256_private_key_file", token.status().message());
  }
  return token;
}

}  // namespace clinic::tools
