#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/auth/base64url.h"
#include "common/auth/crypto.h"
#include "common/auth/jwt.h"
#include "nlohmann/json.hpp"

namespace clinic::auth {
namespace {

using Json = nlohmann::json;

absl::Status ValidateClaims(const Claims& claims) {
  if (claims.subject.empty()) return absl::InvalidArgumentError("subject: must not be empty");
  if (claims.clinic.has_value() && claims.clinic->empty()) {
    return absl::InvalidArgumentError("clinic: must not be empty when set");
  }
  if (!claims.clinic.has_value() && RoleRequiresClinic(claims.role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("clinic: required for role ", std::string(RoleName(claims.role))));
  }
  if (claims.issued_at == absl::InfinitePast() || claims.issued_at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("issued_at: must be finite");
  }
  if (claims.expires_at == absl::InfiniteFuture() || claims.expires_at <= claims.issued_at) {
    return absl::InvalidArgumentError("expires_at: must be finite and after issued_at");
  }
  if (claims.not_before.has_value() && (*claims.not_before == absl::InfinitePast() ||
                                        *claims.not_before == absl::InfiniteFuture())) {
    return absl::InvalidArgumentError("not_before: must be finite");
  }
  return absl::OkStatus();
}

// header.payload, both base64url; the caller appends ".signature".
std::string SigningInput(const Claims& claims, std::string_view alg) {
  Json header = {{"alg", alg}, {"typ", "JWT"}};
  if (!claims.key_id.empty()) header["kid"] = claims.key_id;
  Json payload = {
      {"sub", claims.subject},
      {"role", RoleName(claims.role)},
      {"iat", absl::ToUnixSeconds(claims.issued_at)},
      {"exp", absl::ToUnixSeconds(claims.expires_at)},
  };
  if (claims.clinic) payload["clinic"] = *claims.clinic;
  if (claims.not_before) payload["nbf"] = absl::ToUnixSeconds(*claims.not_before);
  if (!claims.issuer.empty()) payload["iss"] = claims.issuer;
  if (!claims.audience.empty()) payload["aud"] = claims.audience;
  return absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(payload.dump()));
}

}  // namespace

absl::StatusOr<std::string> MintHs256(const Claims& claims, std::string_view secret) {
  if (absl::Status s = ValidateClaims(claims); !s.ok()) return s;
  if (secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("secret: ", secret.size(), " bytes; at least ",
                                                   kMinHs256SecretBytes, " are required"));
  }
  std::string input = SigningInput(claims, "HS256");
  std::string signature = internal::HmacSha256(secret, input);
  if (signature.empty()) return absl::InternalError("HS256 signing failed");
  return absl::StrCat(input, ".", Base64UrlEncode(signature));
}

absl::StatusOr<std::string> MintRs256(const Claims& claims, std::string_view private_key_pem) {
  if (absl::Status s = ValidateClaims(claims); !s.ok()) return s;
  absl::StatusOr<internal::PkeyPtr> key = internal::ParseRsaPrivateKeyPem(private_key_pem);
  if (!key.ok()) return key.status();
  std::string input = SigningInput(claims, "RS256");
  absl::StatusOr<std::string> signature = internal::RsaSha256Sign(**key, input);
  if (!signature.ok()) return signature.status();
  return absl::StrCat(input, ".", Base64UrlEncode(*signature));
}

}  // namespace clinic::auth
