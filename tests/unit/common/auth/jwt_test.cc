#include "common/auth/jwt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/base64url.h"
#include "nlohmann/json.hpp"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/common/auth/test_keys.h"

namespace clinic::auth {
namespace {

using ::clinic::auth::testing::GenerateRsaKeyPair;
using ::clinic::auth::testing::RsaKeyPair;
using ::clinic::auth::testing::SignHmac;
using ::clinic::auth::testing::SignRsa;
using ::clinic::auth::testing::Unsigned;
using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kSecret[] = "test-secret-0123456789-abcdefghijklmnop";  // 39 bytes.
constexpr auto kUnauthenticated = absl::StatusCode::kUnauthenticated;
constexpr auto kInvalidArgument = absl::StatusCode::kInvalidArgument;

// Key generation is slow-ish; one pair (and one spare) per test process.
const RsaKeyPair& RsaKey() {
  static const RsaKeyPair* pair = new RsaKeyPair(GenerateRsaKeyPair());
  return *pair;
}
const RsaKeyPair& OtherRsaKey() {
  static const RsaKeyPair* pair = new RsaKeyPair(GenerateRsaKeyPair());
  return *pair;
}

class JwtTest : public ::testing::Test {
 protected:
  JwtTest() { secret_file_ = WriteFile("hs256.key", std::string(kSecret) + "\n"); }

  std::string WriteFile(const std::string& name, const std::string& content) {
    std::string path = dir_.File(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  int64_t Now() const { return absl::ToUnixSeconds(clock_.Now()); }

  JwtVerifierOptions HsOptions() const {
    JwtVerifierOptions options;
    options.hs256_key_file = secret_file_;
    return options;
  }
  JwtVerifierOptions RsOptions() {
    JwtVerifierOptions options;
    options.rs256_public_key_files = {WriteFile("rsa.pub.pem", RsaKey().public_pem)};
    return options;
  }

  std::unique_ptr<TokenVerifier> Make(const JwtVerifierOptions& options) {
    auto verifier = NewJwtVerifier(options, clock_);
    EXPECT_THAT(verifier, IsOk());
    return verifier.ok() ? *std::move(verifier) : nullptr;
  }

  Json Payload() const {
    return {{"sub", "alice"},
            {"role", "clinician"},
            {"clinic", "clinic-north"},
            {"iat", Now()},
            {"exp", Now() + 3600}};
  }
  static Json Hs() { return {{"alg", "HS256"}, {"typ", "JWT"}}; }
  static Json Rs() { return {{"alg", "RS256"}, {"typ", "JWT"}}; }

  Claims ValidClaims() const {
    Claims claims;
    claims.subject = "alice";
    claims.role = Role::kClinician;
    claims.clinic = "clinic-north";
    claims.issued_at = clock_.Now();
    claims.expires_at = clock_.Now() + absl::Hours(1);
    return claims;
  }

  FakeClock clock_;
  TempDir dir_;
  std::string secret_file_;
};

// ---- Valid tokens ----------------------------------------------------------------------

TEST_F(JwtTest, AcceptsAValidHs256Token) {
  auto verifier = Make(HsOptions());
  std::string token = SignHmac(Hs(), Payload(), kSecret);
  auto principal = verifier->Verify(token);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->clinic, "clinic-north");
  EXPECT_EQ(principal->role, Role::kClinician);
  EXPECT_EQ(principal->expiry, absl::FromUnixSeconds(Now() + 3600));
  EXPECT_EQ(principal->token, token);
}

TEST_F(JwtTest, MintHs256RoundTrips) {
  auto verifier = Make(HsOptions());
  Claims claims = ValidClaims();
  claims.role = Role::kNetworkAdmin;
  claims.clinic.reset();
  claims.issuer = "clinic-auth";
  claims.audience = "clinic";
  claims.not_before = clock_.Now();
  auto token = MintHs256(claims, kSecret);
  ASSERT_THAT(token, IsOk());
  auto principal = verifier->Verify(*token);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->clinic, std::nullopt);
  EXPECT_EQ(principal->role, Role::kNetworkAdmin);
  EXPECT_EQ(principal->expiry, claims.expires_at);
}

TEST_F(JwtTest, AcceptsAValidRs256TokenWithAGeneratedKeyPair) {
  auto verifier = Make(RsOptions());
  auto token = MintRs256(ValidClaims(), RsaKey().private_pem);
  ASSERT_THAT(token, IsOk());
  auto principal = verifier->Verify(*token);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->role, Role::kClinician);
}

TEST_F(JwtTest, AcceptsBothAlgorithmsWhenBothKeysAreConfigured) {
  JwtVerifierOptions options = RsOptions();
  options.hs256_key_file = secret_file_;
  auto verifier = Make(options);
  EXPECT_THAT(verifier->Verify(*MintHs256(ValidClaims(), kSecret)), IsOk());
  EXPECT_THAT(verifier->Verify(*MintRs256(ValidClaims(), RsaKey().private_pem)), IsOk());
}

TEST_F(JwtTest, Rs256KidSelectsTheKey) {
  JwtVerifierOptions options;
  options.rs256_public_key_files = {"a=" + WriteFile("a.pem", RsaKey().public_pem),
                                    WriteFile("b.pem", OtherRsaKey().public_pem)};  // kid "b".
  auto verifier = Make(options);
  Claims claims = ValidClaims();
  claims.key_id = "b";
  EXPECT_THAT(verifier->Verify(*MintRs256(claims, OtherRsaKey().private_pem)), IsOk());
  claims.key_id = "a";
  EXPECT_THAT(verifier->Verify(*MintRs256(claims, OtherRsaKey().private_pem)),
              StatusIs(kUnauthenticated, HasSubstr("bad signature")));
  claims.key_id = "c";
  EXPECT_THAT(verifier->Verify(*MintRs256(claims, RsaKey().private_pem)),
              StatusIs(kUnauthenticated, HasSubstr("unknown kid")));
  claims.key_id.clear();  // No kid: any configured key may verify.
  EXPECT_THAT(verifier->Verify(*MintRs256(claims, RsaKey().private_pem)), IsOk());
  EXPECT_THAT(verifier->Verify(*MintRs256(claims, OtherRsaKey().private_pem)), IsOk());
}

TEST_F(JwtTest, RejectsRs256SignedByAnUnconfiguredKey) {
  auto verifier = Make(RsOptions());
  EXPECT_THAT(verifier->Verify(*MintRs256(ValidClaims(), OtherRsaKey().private_pem)),
              StatusIs(kUnauthenticated, HasSubstr("bad signature")));
}

TEST_F(JwtTest, AcceptsFractionalNumericDates) {
  auto verifier = Make(HsOptions());
  Json payload = Payload();
  payload["exp"] = static_cast<double>(Now()) + 60.5;
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), IsOk());
}

// ---- Time ------------------------------------------------------------------------------

TEST_F(JwtTest, RejectsAnExpiredTokenAfterTheLeeway) {
  JwtVerifierOptions options = HsOptions();
  options.cache_capacity = 0;
  auto verifier = Make(options);
  Json payload = Payload();
  payload["exp"] = Now() + 60;
  std::string token = SignHmac(Hs(), payload, kSecret);
  clock_.Advance(absl::Seconds(60 + 29));  // Past exp, within the 30 s leeway.
  EXPECT_THAT(verifier->Verify(token), IsOk());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(verifier->Verify(token), StatusIs(kUnauthenticated, HasSubstr("expired")));
}

TEST_F(JwtTest, LeewayIsConfigurable) {
  JwtVerifierOptions options = HsOptions();
  options.leeway = absl::ZeroDuration();
  auto verifier = Make(options);
  Json payload = Payload();
  payload["exp"] = Now() + 60;
  std::string token = SignHmac(Hs(), payload, kSecret);
  clock_.Advance(absl::Seconds(60));
  EXPECT_THAT(verifier->Verify(token), StatusIs(kUnauthenticated, HasSubstr("expired")));
}

TEST_F(JwtTest, ACachedTokenIsRejectedOnceTheClockPassesItsExpiry) {
  auto verifier = Make(HsOptions());  // Cache on by default.
  Json payload = Payload();
  payload["exp"] = Now() + 60;
  std::string token = SignHmac(Hs(), payload, kSecret);
  ASSERT_THAT(verifier->Verify(token), IsOk());
  ASSERT_THAT(verifier->Verify(token), IsOk());  // A hit.
  clock_.Advance(absl::Seconds(60 + 30));
  EXPECT_THAT(verifier->Verify(token), StatusIs(kUnauthenticated, HasSubstr("expired")));
  EXPECT_THAT(verifier->Verify(token), StatusIs(kUnauthenticated, HasSubstr("expired")));
}

TEST_F(JwtTest, HonoursNotBefore) {
  auto verifier = Make(HsOptions());
  Json payload = Payload();
  payload["nbf"] = Now() + 120;
  std::string token = SignHmac(Hs(), payload, kSecret);
  EXPECT_THAT(verifier->Verify(token), StatusIs(kUnauthenticated, HasSubstr("not yet valid")));
  clock_.Advance(absl::Seconds(89));  // 31 s early: outside the leeway.
  EXPECT_THAT(verifier->Verify(token), StatusIs(kUnauthenticated, HasSubstr("not yet valid")));
  clock_.Advance(absl::Seconds(1));  // 30 s early: within it.
  EXPECT_THAT(verifier->Verify(token), IsOk());
}

TEST_F(JwtTest, RejectsMissingOrMalformedExp) {
  auto verifier = Make(HsOptions());
  Json payload = Payload();
  payload.erase("exp");
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("missing exp")));
  payload["exp"] = std::to_string(Now() + 3600);
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("malformed exp")));
  payload["exp"] = nullptr;
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), StatusIs(kUnauthenticated));
}

// ---- Signatures and algorithms ---------------------------------------------------------

TEST_F(JwtTest, RejectsABadSignature) {
  auto verifier = Make(HsOptions());
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), Payload(), "another-secret-0123456789-abcdefghij")),
              StatusIs(kUnauthenticated, HasSubstr("bad signature")));
  // A valid token with its signature swapped for another token's.
  std::string a = SignHmac(Hs(), Payload(), kSecret);
  Json other = Payload();
  other["sub"] = "bob";
  std::string b = SignHmac(Hs(), other, kSecret);
  std::string spliced = a.substr(0, a.rfind('.')) + b.substr(b.rfind('.'));
  EXPECT_THAT(verifier->Verify(spliced), StatusIs(kUnauthenticated, HasSubstr("bad signature")));
  // A truncated signature.
  EXPECT_THAT(verifier->Verify(a.substr(0, a.size() - 4)), StatusIs(kUnauthenticated));
}

TEST_F(JwtTest, RejectsATamperedPayload) {
  auto verifier = Make(HsOptions());
  std::string token = SignHmac(Hs(), Payload(), kSecret);
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  Json escalated = Payload();
  escalated["role"] = "network_admin";
  std::string tampered =
      absl::StrCat(parts[0], ".", Base64UrlEncode(escalated.dump()), ".", parts[2]);
  EXPECT_THAT(verifier->Verify(tampered), StatusIs(kUnauthenticated, HasSubstr("bad signature")));
}

TEST_F(JwtTest, RejectsAlgNone) {
  JwtVerifierOptions options = RsOptions();
  options.hs256_key_file = secret_file_;
  auto verifier = Make(options);
  for (const char* alg : {"none", "None", "NONE"}) {
    Json header = {{"alg", alg}, {"typ", "JWT"}};
    EXPECT_THAT(verifier->Verify(Unsigned(header, Payload())), StatusIs(kUnauthenticated)) << alg;
    // Even with a "signature" attached.
    EXPECT_THAT(verifier->Verify(SignHmac(header, Payload(), kSecret)),
                StatusIs(kUnauthenticated, HasSubstr("unsupported alg")))
        << alg;
  }
}

TEST_F(JwtTest, RejectsOtherAlgorithmsAndAMissingAlg) {
  auto verifier = Make(HsOptions());
  for (const char* alg : {"HS384", "HS512", "hs256", "RS512", "ES256", "PS256"}) {
    EXPECT_THAT(verifier->Verify(SignHmac({{"alg", alg}}, Payload(), kSecret)),
                StatusIs(kUnauthenticated))
        << alg;
  }
  EXPECT_THAT(verifier->Verify(SignHmac({{"typ", "JWT"}}, Payload(), kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("missing alg")));
  EXPECT_THAT(verifier->Verify(SignHmac({{"alg", 256}}, Payload(), kSecret)),
              StatusIs(kUnauthenticated));
}

TEST_F(JwtTest, RejectsRs256WhenOnlyAnHs256KeyIsConfigured) {
  auto verifier = Make(HsOptions());
  EXPECT_THAT(verifier->Verify(SignRsa(Rs(), Payload(), RsaKey().private_pem)),
              StatusIs(kUnauthenticated, HasSubstr("RS256 not accepted")));
  // RS256 declared, HMAC'd with the configured secret: never checked with the secret.
  EXPECT_THAT(verifier->Verify(SignHmac(Rs(), Payload(), kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("RS256 not accepted")));
}

TEST_F(JwtTest, RejectsHs256WhenOnlyRs256KeysAreConfigured) {
  auto verifier = Make(RsOptions());
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), Payload(), kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("HS256 not accepted")));
}

TEST_F(JwtTest, RejectsTheKeyConfusionAttack) {
  // The attacker knows the RSA public key and "signs" HS256 with its PEM as HMAC secret.
  std::string forged = SignHmac(Hs(), Payload(), RsaKey().public_pem);
  EXPECT_THAT(Make(RsOptions())->Verify(forged), StatusIs(kUnauthenticated));
  // Also with both algorithms configured: the PEM is never used as an HMAC secret.
  JwtVerifierOptions both = RsOptions();
  both.hs256_key_file = secret_file_;
  EXPECT_THAT(Make(both)->Verify(forged), StatusIs(kUnauthenticated, HasSubstr("bad signature")));
  // And an RS256 token is not checked against an RSA key when it claims HS256.
  std::string relabelled = SignRsa(Hs(), Payload(), RsaKey().private_pem);
  EXPECT_THAT(Make(both)->Verify(relabelled), StatusIs(kUnauthenticated));
}

TEST_F(JwtTest, RejectsCriticalHeaderExtensions) {
  auto verifier = Make(HsOptions());
  Json header = Hs();
  header["crit"] = {"exp"};
  EXPECT_THAT(verifier->Verify(SignHmac(header, Payload(), kSecret)), StatusIs(kUnauthenticated));
}

TEST_F(JwtTest, RejectsMalformedTokens) {
  auto verifier = Make(HsOptions());
  std::string good = SignHmac(Hs(), Payload(), kSecret);
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  const std::vector<std::string> bad = {
      "",
      "garbage",
      "a.b",
      good + ".extra",
      "Bearer " + good,
      good + " ",
      absl::StrCat(parts[0], "=.", parts[1], ".", parts[2]),
      absl::StrCat(Base64UrlEncode("not json"), ".", parts[1], ".", parts[2]),
      absl::StrCat(Base64UrlEncode("[1,2]"), ".", parts[1], ".", parts[2]),
      SignHmac(Hs(), Json::array({1, 2}), kSecret),
      absl::StrCat(parts[0], ".", Base64UrlEncode("{\"sub\":"), ".", parts[2]),
      std::string(kMaxTokenBytes + 1, 'a'),
  };
  for (const std::string& token : bad) {
    EXPECT_THAT(verifier->Verify(token), StatusIs(kUnauthenticated)) << token;
  }
  // Not-JSON payloads that are correctly signed are refused after the signature.
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), "x", kSecret)), StatusIs(kUnauthenticated));
}

TEST_F(JwtTest, ErrorsNeverEchoTheToken) {
  auto verifier = Make(HsOptions());
  Json payload = Payload();
  payload["role"] = "superuser-marker";
  payload["sub"] = "sub-marker";
  for (const std::string& token :
       {SignHmac(Hs(), payload, kSecret),
        SignHmac(Hs(), payload, "wrong-secret-0123456789-abcdefgh"),
        std::string("not-a-token-marker"), Unsigned({{"alg", "none"}}, payload)}) {
    auto result = verifier->Verify(token);
    ASSERT_THAT(result, StatusIs(kUnauthenticated));
    std::string message(result.status().message());
    EXPECT_THAT(message, Not(HasSubstr("marker")));
    for (const std::string& part : std::vector<std::string>(absl::StrSplit(token, '.'))) {
      if (part.size() >= 8) {
        EXPECT_THAT(message, Not(HasSubstr(part)));
      }
    }
  }
}

// ---- Claims ----------------------------------------------------------------------------

TEST_F(JwtTest, RejectsMissingOrEmptySubject) {
  auto verifier = Make(HsOptions());
  Json payload = Payload();
  payload.erase("sub");
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("missing sub")));
  payload["sub"] = "";
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("missing sub")));
  payload["sub"] = 42;
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("missing sub")));
}

TEST_F(JwtTest, RejectsMissingOrUnknownRole) {
  auto verifier = Make(HsOptions());
  Json payload = Payload();
  payload.erase("role");
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("missing role")));
  for (const char* role : {"admin", "Clinician", "root"}) {
    payload["role"] = role;
    EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
                StatusIs(kUnauthenticated, HasSubstr("unknown role")))
        << role;
  }
  payload["role"] = Json::array({"clinician"});
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), StatusIs(kUnauthenticated));
}

TEST_F(JwtTest, ClinicIsRequiredExactlyForClinicStaffRoles) {
  auto verifier = Make(HsOptions());
  for (Role role : kAllRoles) {
    Json payload = Payload();
    payload["role"] = RoleName(role);
    auto with_clinic = verifier->Verify(SignHmac(Hs(), payload, kSecret));
    ASSERT_THAT(with_clinic, IsOk()) << role;
    EXPECT_EQ(with_clinic->role, role);
    EXPECT_EQ(with_clinic->clinic, "clinic-north");

    payload.erase("clinic");
    auto without = verifier->Verify(SignHmac(Hs(), payload, kSecret));
    if (RoleRequiresClinic(role)) {
      EXPECT_THAT(without, StatusIs(kUnauthenticated, HasSubstr("clinic"))) << role;
    } else {
      ASSERT_THAT(without, IsOk()) << role;
      EXPECT_EQ(without->clinic, std::nullopt);
    }
  }
  // Reception, practitioner, clinician and clinic_manager are the clinic staff.
  EXPECT_TRUE(RoleRequiresClinic(Role::kReception));
  EXPECT_FALSE(RoleRequiresClinic(Role::kNetworkAdmin));
}

TEST_F(JwtTest, RejectsAnEmptyOrNonStringClinic) {
  auto verifier = Make(HsOptions());
  Json payload = Payload();
  payload["role"] = "service";
  payload["clinic"] = "";
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), StatusIs(kUnauthenticated));
  payload["clinic"] = 7;
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), StatusIs(kUnauthenticated));
}

TEST_F(JwtTest, ChecksIssuerWhenConfigured) {
  JwtVerifierOptions options = HsOptions();
  options.issuer = "clinic-auth";
  auto verifier = Make(options);
  Json payload = Payload();
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("issuer")));
  payload["iss"] = "someone-else";
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("issuer")));
  payload["iss"] = "clinic-auth";
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), IsOk());
  // Not configured: not checked.
  payload["iss"] = "someone-else";
  EXPECT_THAT(Make(HsOptions())->Verify(SignHmac(Hs(), payload, kSecret)), IsOk());
}

TEST_F(JwtTest, ChecksAudienceWhenConfigured) {
  JwtVerifierOptions options = HsOptions();
  options.audience = "clinic-patient";
  auto verifier = Make(options);
  Json payload = Payload();
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("audience")));
  payload["aud"] = "clinic-inventory";
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("audience")));
  payload["aud"] = Json::array({"clinic-inventory", "clinic-scheduling"});
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)),
              StatusIs(kUnauthenticated, HasSubstr("audience")));
  payload["aud"] = "clinic-patient";
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), IsOk());
  payload["aud"] = Json::array({"clinic-inventory", "clinic-patient"});
  EXPECT_THAT(verifier->Verify(SignHmac(Hs(), payload, kSecret)), IsOk());
}

// ---- Configuration ---------------------------------------------------------------------

TEST_F(JwtTest, ConfigWithoutAnyKeyIsRejected) {
  EXPECT_THAT(NewJwtVerifier(JwtVerifierOptions{}, clock_),
              StatusIs(kInvalidArgument, HasSubstr(kHs256KeyFileSetting)));
}

TEST_F(JwtTest, ConfigWithAMissingKeyFileNamesTheSetting) {
  JwtVerifierOptions options;
  options.hs256_key_file = dir_.File("missing.key");
  EXPECT_THAT(NewJwtVerifier(options, clock_),
              StatusIs(kInvalidArgument, HasSubstr("jwt_hs256_key_file")));
  options = JwtVerifierOptions{};
  options.rs256_public_key_files = {dir_.File("missing.pem")};
  EXPECT_THAT(NewJwtVerifier(options, clock_),
              StatusIs(kInvalidArgument, HasSubstr("jwt_rs256_public_key_files")));
}

TEST_F(JwtTest, ConfigWithAShortKeyNamesTheSetting) {
  JwtVerifierOptions options;
  options.hs256_key_file = WriteFile("short.key", std::string(31, 'k') + "\n");
  EXPECT_THAT(NewJwtVerifier(options, clock_),
              StatusIs(kInvalidArgument, AllOf(HasSubstr("jwt_hs256_key_file"), HasSubstr("32"))));
  options.hs256_key_file = WriteFile("empty.key", "");
  EXPECT_THAT(NewJwtVerifier(options, clock_), StatusIs(kInvalidArgument));
}

TEST_F(JwtTest, KeyFileTrailingNewlineIsTrimmed) {
  // The secret is the file content without its trailing newline: a token minted with the
  // trimmed secret verifies, one minted with the newline does not.
  const std::string secret(32, 's');
  JwtVerifierOptions options;
  options.hs256_key_file = WriteFile("exact.key", secret + "\r\n");
  auto verifier = Make(options);
  EXPECT_THAT(verifier->Verify(*MintHs256(ValidClaims(), secret)), IsOk());
  EXPECT_THAT(verifier->Verify(*MintHs256(ValidClaims(), secret + "\r\n")),
              StatusIs(kUnauthenticated));
  EXPECT_THAT(ReadHs256KeyFile(options.hs256_key_file), IsOk());
  EXPECT_EQ(*ReadHs256KeyFile(options.hs256_key_file), secret);
}

TEST_F(JwtTest, ConfigWithABadPemNamesTheSetting) {
  for (const std::string& pem :
       {std::string("not a pem"), RsaKey().private_pem, GenerateRsaKeyPair(1024).public_pem}) {
    JwtVerifierOptions options;
    options.hs256_key_file = secret_file_;
    options.rs256_public_key_files = {WriteFile("bad.pem", pem)};
    EXPECT_THAT(NewJwtVerifier(options, clock_),
                StatusIs(kInvalidArgument, HasSubstr("jwt_rs256_public_key_files")));
  }
}

TEST_F(JwtTest, ConfigRejectsDuplicateKeyIdsAndNegativeLeeway) {
  JwtVerifierOptions options;
  std::string pem = WriteFile("k.pem", RsaKey().public_pem);
  options.rs256_public_key_files = {"x=" + pem, "x=" + pem};
  EXPECT_THAT(NewJwtVerifier(options, clock_),
              StatusIs(kInvalidArgument, HasSubstr("jwt_rs256_public_key_files")));
  options = HsOptions();
  options.leeway = absl::Seconds(-1);
  EXPECT_THAT(NewJwtVerifier(options, clock_), StatusIs(kInvalidArgument, HasSubstr("jwt_leeway")));
}

// ---- Minting ---------------------------------------------------------------------------

TEST_F(JwtTest, MintRefusesClaimsThatWouldNotVerify) {
  Claims claims = ValidClaims();
  claims.subject.clear();
  EXPECT_THAT(MintHs256(claims, kSecret), StatusIs(kInvalidArgument, HasSubstr("subject")));
  claims = ValidClaims();
  claims.clinic.reset();
  EXPECT_THAT(MintHs256(claims, kSecret), StatusIs(kInvalidArgument, HasSubstr("clinic")));
  claims = ValidClaims();
  claims.expires_at = claims.issued_at;
  EXPECT_THAT(MintHs256(claims, kSecret), StatusIs(kInvalidArgument, HasSubstr("expires_at")));
  EXPECT_THAT(MintHs256(ValidClaims(), "short"), StatusIs(kInvalidArgument));
  EXPECT_THAT(MintRs256(ValidClaims(), "not a pem"), StatusIs(kInvalidArgument));
  EXPECT_THAT(MintRs256(ValidClaims(), RsaKey().public_pem), StatusIs(kInvalidArgument));
}

TEST_F(JwtTest, MintedTokensCarryTheDocumentedClaims) {
  Claims claims = ValidClaims();
  claims.issuer = "iss-x";
  claims.audience = "aud-y";
  claims.key_id = "k1";
  auto token = MintRs256(claims, RsaKey().private_pem);
  ASSERT_THAT(token, IsOk());
  std::vector<std::string> parts = absl::StrSplit(*token, '.');
  ASSERT_EQ(parts.size(), 3u);
  Json header = Json::parse(*Base64UrlDecode(parts[0]));
  Json payload = Json::parse(*Base64UrlDecode(parts[1]));
  EXPECT_EQ(header, Json({{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "k1"}}));
  EXPECT_EQ(payload["sub"], "alice");
  EXPECT_EQ(payload["role"], "clinician");
  EXPECT_EQ(payload["clinic"], "clinic-north");
  EXPECT_EQ(payload["iss"], "iss-x");
  EXPECT_EQ(payload["aud"], "aud-y");
  EXPECT_EQ(payload["iat"], Now());
  EXPECT_EQ(payload["exp"], Now() + 3600);
}

}  // namespace
}  // namespace clinic::auth
