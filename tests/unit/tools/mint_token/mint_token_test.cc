#include "tools/mint_token/mint_token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "common/auth/jwt.h"
#include "tests/support/fake_clock.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace clinic::tools {
namespace {

using ::clinic::testing::FakeClock;
using ::clinic::testing::IsOk;
using ::clinic::testing::RunCommand;
using ::clinic::testing::StatusIs;
using ::clinic::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "dev-secret-for-mint-token-tests-0123456789";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

class MintTokenTest : public ::testing::Test {
 protected:
  MintTokenTest() {
    key_file_ = dir_.File("dev.key");
    std::ofstream(key_file_) << kSecret << "\n";
  }

  MintTokenOptions Options() const {
    MintTokenOptions options;
    options.key_file = key_file_;
    options.subject = "alice";
    options.clinic = "clinic-north";
    options.role = "clinician";
    options.ttl = absl::Hours(12);
    return options;
  }

  std::unique_ptr<auth::TokenVerifier> Verifier(const std::string& issuer = "",
                                                const std::string& audience = "") {
    auth::JwtVerifierOptions options;
    options.hs256_key_file = key_file_;
    options.issuer = issuer;
    options.audience = audience;
    auto verifier = auth::NewJwtVerifier(options, clock_);
    EXPECT_THAT(verifier, IsOk());
    return *std::move(verifier);
  }

  FakeClock clock_;
  TempDir dir_;
  std::string key_file_;
};

TEST_F(MintTokenTest, MintsATokenTheServicesAccept) {
  MintTokenOptions options = Options();
  options.issuer = "clinic-dev";
  options.audience = "clinic";
  auto token = MintToken(options, clock_);
  ASSERT_THAT(token, IsOk());
  auto principal = Verifier("clinic-dev", "clinic")->Verify(*token);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->clinic, "clinic-north");
  EXPECT_EQ(principal->role, auth::Role::kClinician);
  EXPECT_EQ(principal->expiry, clock_.Now() + absl::Hours(12));
}

TEST_F(MintTokenTest, TheTokenExpiresAfterTheTtl) {
  MintTokenOptions options = Options();
  options.ttl = absl::Minutes(5);
  auto token = MintToken(options, clock_);
  ASSERT_THAT(token, IsOk());
  auto verifier = Verifier();
  EXPECT_THAT(verifier->Verify(*token), IsOk());
  clock_.Advance(absl::Minutes(5) + absl::Seconds(30));
  EXPECT_THAT(verifier->Verify(*token), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(MintTokenTest, NetworkRolesNeedNoClinic) {
  MintTokenOptions options = Options();
  options.role = "network_admin";
  options.clinic.clear();
  auto token = MintToken(options, clock_);
  ASSERT_THAT(token, IsOk());
  auto principal = Verifier()->Verify(*token);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->clinic, std::nullopt);
}

TEST_F(MintTokenTest, BadSettingsNameTheFlag) {
  MintTokenOptions options = Options();
  options.role = "superuser";
  EXPECT_THAT(MintToken(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--role")));
  options = Options();
  options.clinic.clear();
  EXPECT_THAT(MintToken(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--clinic")));
  options = Options();
  options.subject.clear();
  EXPECT_THAT(MintToken(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--subject")));
  options = Options();
  options.ttl = absl::ZeroDuration();
  EXPECT_THAT(MintToken(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--ttl")));
  options = Options();
  options.key_file = dir_.File("missing.key");
  EXPECT_THAT(MintToken(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--key_file")));
  options = Options();
  options.key_file.clear();
  EXPECT_THAT(MintToken(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--key_file")));
  options = Options();
  options.rs256_private_key_file = key_file_;  // Both set.
  EXPECT_THAT(MintToken(options, clock_), StatusIs(absl::StatusCode::kInvalidArgument));
  options = Options();
  options.key_file.clear();
  options.rs256_private_key_file = key_file_;  // Not a PEM.
  EXPECT_THAT(MintToken(options, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--rs256_private_key_file")));
}

TEST_F(MintTokenTest, TheBinaryPrintsAVerifiableToken) {
  const std::string out = dir_.File("out.log");
  int rc = RunCommand({CLINIC_TOKEN_BINARY, "--key_file=" + key_file_, "--subject=alice",
                       "--clinic=clinic-north", "--role=clinician", "--ttl=12h"},
                      out);
  ASSERT_EQ(rc, 0) << ReadAll(out);
  std::string printed = ReadAll(out);
  ASSERT_FALSE(printed.empty());
  ASSERT_EQ(printed.back(), '\n');
  printed.pop_back();
  // The binary used the real clock; verify against a clock set to now.
  clock_.Set(absl::Now());
  auto principal = Verifier()->Verify(printed);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->role, auth::Role::kClinician);
  EXPECT_GT(principal->expiry, absl::Now() + absl::Hours(11));
}

TEST_F(MintTokenTest, TheBinaryFailsWithAMessageNamingTheFlag) {
  const std::string out = dir_.File("out.log");
  int rc = RunCommand(
      {CLINIC_TOKEN_BINARY, "--key_file=" + key_file_, "--subject=alice", "--role=wizard"}, out);
  EXPECT_NE(rc, 0);
  std::string printed = ReadAll(out);
  EXPECT_THAT(printed, HasSubstr("--role"));
  EXPECT_THAT(printed, Not(HasSubstr("eyJ")));  // No token printed.
}

}  // namespace
}  // namespace clinic::tools
