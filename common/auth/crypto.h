#pragma once

// Internal to clinic_auth: the OpenSSL primitives behind jwt.h, behind RAII owners so no
// raw EVP_PKEY* escapes. Not for use outside common/auth.

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace clinic::auth::internal {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
// Owns an EVP_PKEY. A const key may be used by many threads at once.
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// RSA keys shorter than this are refused.
inline constexpr int kMinRsaBits = 2048;

// The whole content of a file; INVALID_ARGUMENT "cannot read '<path>': <reason>".
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Parses a PEM "PUBLIC KEY" holding an RSA key of at least kMinRsaBits bits.
// INVALID_ARGUMENT with a short reason otherwise.
absl::StatusOr<PkeyPtr> ParseRsaPublicKeyPem(std::string_view pem);
// Parses a PEM RSA private key (PKCS#8 or traditional, unencrypted).
absl::StatusOr<PkeyPtr> ParseRsaPrivateKeyPem(std::string_view pem);

// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// Constant-time equality of two byte strings of equal length (false if lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256").
bool RsaSha256Verify(const EVP_PKEY& key, std::string_view data, std::string_view signature);
absl::StatusOr<std::string> RsaSha256Sign(const EVP_PKEY& key, std::string_view data);

}  // namespace clinic::auth::internal
