// JWT verification with OpenSSL and nlohmann_json rather than libjwt 1.10.2: libjwt's
// jwt_decode() takes the algorithm from the token's own header and applies the one key
// buffer it is given to whichever algorithm that names, so the HS256/RS256 confusion
// attack (an HS256 token "signed" with the RSA public key PEM as HMAC secret) has to be
// fended off around it, and it re-parses PEM keys on every call. Here the algorithm is
// bound to the key that checks it — the HMAC secret only ever checks "HS256", an RSA key
// only "RS256", anything else is refused — and keys are parsed once at start-up.

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/auth/base64url.h"
#include "common/auth/caching_verifier.h"
#include "common/auth/crypto.h"
#include "common/auth/jwt.h"
#include "nlohmann/json.hpp"

namespace clinic::auth {
namespace {

using internal::PkeyPtr;
using Json = nlohmann::json;

struct RsaKey {
  std::string kid;
  PkeyPtr key;
};

absl::Status Unauthenticated(absl::string_view reason) {
  return absl::UnauthenticatedError(absl::StrCat("invalid bearer token: ", reason));
}

absl::Status BadSetting(absl::string_view setting, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(setting, ": ", message));
}

// Parses JSON without exceptions; a discarded value (parse error) or a non-object is
// reported as nullopt.
std::optional<Json> ParseObject(std::string_view text) {
  Json json = Json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

// A NumericDate claim (seconds since the epoch, possibly fractional).
std::optional<absl::Time> NumericDate(const Json& value) {
  if (value.is_number_unsigned()) {
    uint64_t s = value.get<uint64_t>();
    if (s > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return absl::InfiniteFuture();
    return absl::FromUnixSeconds(static_cast<int64_t>(s));
  }
  if (value.is_number_integer()) return absl::FromUnixSeconds(value.get<int64_t>());
  if (value.is_number_float()) {
    double s = value.get<double>();
    if (!std::isfinite(s)) return std::nullopt;
    return absl::UnixEpoch() + absl::Seconds(s);
  }
  return std::nullopt;
}

// The string value of `key`, nullopt if absent or not a string.
std::optional<std::string> StringMember(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool AudienceContains(const Json& aud, std::string_view audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (aud.is_array()) {
    for (const Json& item : aud) {
      if (item.is_string() && item.get_ref<const std::string&>() == audience) return true;
    }
  }
  return false;
}

class JwtVerifier final : public TokenVerifier {
 public:
  JwtVerifier(std::optional<std::string> hs256_secret, std::vector<RsaKey> rsa_keys,
              std::string issuer, std::string audience, absl::Duration leeway, const Clock& clock)
      : hs256_secret_(std::move(hs256_secret)),
        rsa_keys_(std::move(rsa_keys)),
        issuer_(std::move(issuer)),
        audience_(std::move(audience)),
        leeway_(leeway),
        clock_(clock) {}

  absl::StatusOr<Principal> Verify(std::string_view token) const override {
    if (token.empty()) return Unauthenticated("empty token");
    if (token.size() > kMaxTokenBytes) return Unauthenticated("token too large");

    // Compact JWS: header.payload.signature, each base64url.
    const size_t dot1 = token.find('.');
    const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
      return Unauthenticated("malformed token");
    }
    const std::string_view signing_input = token.substr(0, dot2);
    std::optional<std::string> header_text = Base64UrlDecode(token.substr(0, dot1));
    std::optional<std::string> signature = Base64UrlDecode(token.substr(dot2 + 1));
    if (!header_text || !signature) return Unauthenticated("malformed token");
    std::optional<Json> header = ParseObject(*header_text);
    if (!header) return Unauthenticated("malformed header");

    // The signature is checked before the payload is even decoded.
    if (absl::Status s = CheckSignature(*header, signing_input, *signature); !s.ok()) return s;

    std::optional<std::string> payload_text =
        Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!payload_text) return Unauthenticated("malformed token");
    std::optional<Json> claims = ParseObject(*payload_text);
    if (!claims) return Unauthenticated("malformed claims");
    return CheckClaims(*claims, token);
  }

 private:
  absl::Status CheckSignature(const Json& header, std::string_view signing_input,
                              std::string_view signature) const {
    std::optional<std::string> alg = StringMember(header, "alg");
    if (!alg) return Unauthenticated("missing alg");
    // No extension is understood, so a token that requires one must be refused (RFC 7515).
    if (header.contains("crit")) return Unauthenticated("unsupported crit header");
    if (*alg == "HS256") {
      if (!hs256_secret_) return Unauthenticated("alg HS256 not accepted");
      if (!internal::ConstantTimeEquals(internal::HmacSha256(*hs256_secret_, signing_input),
                                        signature)) {
        return Unauthenticated("bad signature");
      }
      return absl::OkStatus();
    }
    if (*alg == "RS256") {
      if (rsa_keys_.empty()) return Unauthenticated("alg RS256 not accepted");
      auto kid = header.find("kid");
      if (kid != header.end()) {
        if (!kid->is_string()) return Unauthenticated("malformed header");
        for (const RsaKey& key : rsa_keys_) {
          if (key.kid == kid->get_ref<const std::string&>()) {
            if (internal::RsaSha256Verify(*key.key, signing_input, signature)) {
              return absl::OkStatus();
            }
            return Unauthenticated("bad signature");
          }
        }
        return Unauthenticated("unknown kid");
      }
      for (const RsaKey& key : rsa_keys_) {
        if (internal::RsaSha256Verify(*key.key, signing_input, signature)) return absl::OkStatus();
      }
      return Unauthenticated("bad signature");
    }
    return Unauthenticated("unsupported alg");
  }

  absl::StatusOr<Principal> CheckClaims(const Json& claims, std::string_view token) const {
    const absl::Time now = clock_.Now();

    auto exp_it = claims.find("exp");
    if (exp_it == claims.end()) return Unauthenticated("missing exp");
    std::optional<absl::Time> exp = NumericDate(*exp_it);
    if (!exp) return Unauthenticated("malformed exp");
    if (now >= *exp + leeway_) return Unauthenticated("token expired");

    if (auto nbf_it = claims.find("nbf"); nbf_it != claims.end()) {
      std::optional<absl::Time> nbf = NumericDate(*nbf_it);
      if (!nbf) return Unauthenticated("malformed nbf");
      if (now + leeway_ < *nbf) return Unauthenticated("token not yet valid");
    }

    if (!issuer_.empty() && StringMember(claims, "iss") != issuer_) {
      return Unauthenticated("issuer mismatch");
    }
    if (!audience_.empty()) {
      auto aud_it = claims.find("aud");
      if (aud_it == claims.end() || !AudienceContains(*aud_it, audience_)) {
        return Unauthenticated("audience mismatch");
      }
    }

    Principal principal;
    std::optional<std::string> sub = StringMember(claims, "sub");
    if (!sub || sub->empty()) return Unauthenticated("missing sub");
    principal.subject = std::move(*sub);

    std::optional<std::string> role_name = StringMember(claims, "role");
    if (!role_name || role_name->empty()) return Unauthenticated("missing role");
    std::optional<Role> role = ParseRole(*role_name);
    if (!role) return Unauthenticated("unknown role");
    principal.role = *role;

    if (claims.contains("clinic")) {
      std::optional<std::string> clinic = StringMember(claims, "clinic");
      if (!clinic || clinic->empty()) return Unauthenticated("malformed clinic");
      principal.clinic = std::move(*clinic);
    } else if (RoleRequiresClinic(*role)) {
      return Unauthenticated("missing clinic for role");
    }

    principal.expiry = *exp;
    principal.token = std::string(token);
    return principal;
  }

  const std::optional<std::string> hs256_secret_;
  const std::vector<RsaKey> rsa_keys_;
  const std::string issuer_;
  const std::string audience_;
  const absl::Duration leeway_;
  const Clock& clock_;
};

// "kid=path" or "path" (kid = file name without directory and extension). A '=' after
// a '/' belongs to the path.
std::pair<std::string, std::string> SplitKeySpec(std::string_view spec) {
  if (size_t eq = spec.find('=');
      eq != std::string_view::npos && spec.substr(0, eq).find('/') == std::string_view::npos) {
    return {std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1))};
  }
  std::string_view name = spec;
  if (size_t slash = name.rfind('/'); slash != std::string_view::npos)
    name.remove_prefix(slash + 1);
  if (size_t dot = name.rfind('.'); dot != std::string_view::npos && dot > 0) {
    name = name.substr(0, dot);
  }
  return {std::string(name), std::string(spec)};
}

}  // namespace

absl::StatusOr<std::string> ReadHs256KeyFile(const std::string& path) {
  absl::StatusOr<std::string> content = internal::ReadFile(path);
  if (!content.ok()) return content.status();
  std::string key = *std::move(content);
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("the key in '", path, "' is ", key.size(),
                                                   " bytes; at least ", kMinHs256SecretBytes,
                                                   " are required"));
  }
  return key;
}

absl::StatusOr<std::unique_ptr<TokenVerifier>> NewJwtVerifier(const JwtVerifierOptions& options,
                                                              const Clock& clock) {
  if (options.leeway < absl::ZeroDuration()) {
    return BadSetting(kLeewaySetting, "must not be negative");
  }
  std::optional<std::string> secret;
  if (!options.hs256_key_file.empty()) {
    absl::StatusOr<std::string> key = ReadHs256KeyFile(options.hs256_key_file);
    if (!key.ok()) return BadSetting(kHs256KeyFileSetting, key.status().message());
    secret = *std::move(key);
  }
  std::vector<RsaKey> rsa_keys;
  for (const std::string& spec : options.rs256_public_key_files) {
    auto [kid, path] = SplitKeySpec(spec);
    if (kid.empty() || path.empty()) {
      return BadSetting(kRs256PublicKeyFilesSetting, absl::StrCat("entry '", std::string(spec),
                                                                  "' is not 'path' or 'kid=path'"));
    }
    for (const RsaKey& other : rsa_keys) {
      if (other.kid == kid) {
        return BadSetting(kRs256PublicKeyFilesSetting,
                          absl::StrCat("duplicate key id '", kid, "'"));
      }
    }
    absl::StatusOr<std::string> pem = internal::ReadFile(path);
    if (!pem.ok()) return BadSetting(kRs256PublicKeyFilesSetting, pem.status().message());
    absl::StatusOr<PkeyPtr> key = internal::ParseRsaPublicKeyPem(*pem);
    if (!key.ok()) {
      return BadSetting(kRs256PublicKeyFilesSetting,
                        absl::StrCat("'", path, "': ", key.status().message()));
    }
    rsa_keys.push_back(RsaKey{std::move(kid), *std::move(key)});
  }
  if (!secret && rsa_keys.empty()) {
    return BadSetting(kHs256KeyFileSetting, absl::StrCat("no token key configured: set it or ",
                                                         kRs256PublicKeyFilesSetting));
  }
  auto verifier =
      std::make_unique<JwtVerifier>(std::move(secret), std::move(rsa_keys), options.issuer,
                                    options.audience, options.leeway, clock);
  if (options.cache_capacity == 0) return verifier;
  return std::make_unique<CachingTokenVerifier>(std::move(verifier), clock, options.cache_capacity);
}

}  // namespace clinic::auth
