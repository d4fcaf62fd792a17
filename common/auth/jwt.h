#pragma once

// JSON Web Tokens (RFC 7519) signed with HS256 or RS256: verification for every RPC and
// minting for the development tool, tests and services' own identities.
//
// Token format. Header: {"alg":"HS256"|"RS256","typ":"JWT"[,"kid":...]}. Claims:
//   sub     string, required — Principal::subject
//   role    string, required — one of RoleName()
//   clinic  string — required when RoleRequiresClinic(role)
//   exp     NumericDate, required
//   nbf     NumericDate, optional
//   iat     NumericDate, optional (informational)
//   iss     string — checked when an issuer is configured
//   aud     string or array of strings — checked when an audience is configured

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/role.h"
#include "common/auth/token_verifier.h"
#include "common/clock/clock.h"

namespace clinic::auth {

// Setting names used in configuration errors; the service flags carry the same names.
inline constexpr char kHs256KeyFileSetting[] = "jwt_hs256_key_file";
inline constexpr char kRs256PublicKeyFilesSetting[] = "jwt_rs256_public_key_files";
inline constexpr char kLeewaySetting[] = "jwt_leeway";

// The shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
inline constexpr size_t kMinHs256SecretBytes = 32;
// Tokens longer than this are rejected before any parsing.
inline constexpr size_t kMaxTokenBytes = 8 * 1024;

struct JwtVerifierOptions {
  // File holding the HS256 secret: the whole content, trailing CR/LF trimmed, at least
  // kMinHs256SecretBytes. Empty: HS256 tokens are not accepted.
  std::string hs256_key_file;
  // RS256 public keys, PEM "PUBLIC KEY" (SubjectPublicKeyInfo), RSA of at least 2048 bits.
  // Each entry is "path" or "kid=path" (kid without '/'); otherwise the key id is the file name
  // without its directory and extension. A token whose header names a `kid` is checked
  // against that key only; a token without one is checked against each key in turn.
  std::vector<std::string> rs256_public_key_files;
  // When non-empty, the `iss` claim must equal it.
  std::string issuer;
  // When non-empty, the `aud` claim (string or array) must contain it.
  std::string audience;
  // Tolerated clock difference for `exp` and `nbf`. Must not be negative.
  absl::Duration leeway = absl::Seconds(30);
  // Verified tokens remembered (see CachingTokenVerifier); 0 disables the cache.
  size_t cache_capacity = 10'000;
};

// Builds a verifier from `options`: reads and parses every key file once. At least one
// key is required. Errors are INVALID_ARGUMENT naming the setting (one of the k*Setting
// names above), e.g. "jwt_hs256_key_file: key is 12 bytes; at least 32 are required".
//
// `clock` must outlive the verifier. The result is thread-safe.
absl::StatusOr<std::unique_ptr<TokenVerifier>> NewJwtVerifier(const JwtVerifierOptions& options,
                                                              const Clock& clock);

// Reads an HS256 secret file by the rules of JwtVerifierOptions::hs256_key_file.
// INVALID_ARGUMENT (without a setting name) when missing, unreadable or too short.
absl::StatusOr<std::string> ReadHs256KeyFile(const std::string& path);

// What a minted token says.
struct Claims {
  std::string subject;
  Role role = Role::kReception;
  std::optional<std::string> clinic;
  absl::Time issued_at;
  absl::Time expires_at;
  std::optional<absl::Time> not_before;
  std::string issuer;    // Omitted when empty.
  std::string audience;  // Omitted when empty.
  std::string key_id;    // `kid` header; omitted when empty.
};

// Mints a compact HS256 token. INVALID_ARGUMENT when the claims would not verify
// (empty subject, missing clinic for the role, expiry not after issue, non-finite times)
// or the secret is shorter than kMinHs256SecretBytes.
absl::StatusOr<std::string> MintHs256(const Claims& claims, std::string_view secret);

// Mints a compact RS256 token with an RSA private key in PEM (PKCS#8 or traditional).
// INVALID_ARGUMENT for bad claims as MintHs256, or a PEM that is not an RSA private key.
absl::StatusOr<std::string> MintRs256(const Claims& claims, std::string_view private_key_pem);

}  // namespace clinic::auth
