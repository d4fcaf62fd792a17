#include "common/peer/token_source.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/auth/jwt.h"
#include "common/auth/role.h"
#include "common/sync/mutex.h"

namespace clinic::peer {
namespace {

class Hs256TokenSource final : public TokenSource {
 public:
  Hs256TokenSource(Hs256TokenOptions options, std::string secret, const Clock& clock)
      : options_(std::move(options)), secret_(std::move(secret)), clock_(clock) {}

  absl::StatusOr<std::string> Token() override {
    const absl::Time now = clock_.Now();
    sync::MutexLock lock(&mu_);
    if (!token_.empty() && now < expires_at_ - options_.renew_before) return token_;
    auth::Claims claims;
    claims.subject = options_.service_name;
    claims.role = auth::Role::kService;
    claims.clinic = options_.clinic;
    claims.issuer = options_.issuer;
    claims.audience = options_.audience;
    claims.issued_at = now;
    claims.expires_at = now + options_.ttl;
    absl::StatusOr<std::string> token = auth::MintHs256(claims, secret_);
    // The options were checked at construction, so this fails only on a broken clock.
    if (!token.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot mint a service token: ", token.status().message()));
    }
    token_ = *std::move(token);
    expires_at_ = claims.expires_at;
    return token_;
  }

 private:
  const Hs256TokenOptions options_;
  const std::string secret_;
  const Clock& clock_;
  sync::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time expires_at_ ABSL_GUARDED_BY(mu_);
};

// What identifies a version of the file without reading it.
struct FileVersion {
  std::filesystem::file_time_type modified;
  std::uintmax_t size = 0;
  bool operator==(const FileVersion&) const = default;
};

std::optional<FileVersion> Stat(const std::string& path) {
  std::error_code ec;
  FileVersion version;
  version.modified = std::filesystem::last_write_time(path, ec);
  if (ec) return std::nullopt;
  version.size = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return version;
}

std::optional<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(buffer.str()));
  if (token.empty()) return std::nullopt;
  return token;
}

class FileTokenSource final : public TokenSource {
 public:
  FileTokenSource(std::string path, std::string token, std::optional<FileVersion> version)
      : path_(std::move(path)), token_(std::move(token)), version_(version) {}

  absl::StatusOr<std::string> Token() override {
    const std::optional<FileVersion> version = Stat(path_);
    sync::MutexLock lock(&mu_);
    if (version.has_value() && version != version_) {
      // A secret being swapped can be briefly missing or empty: keep the last good token
      // and look again on the next call.
      if (std::optional<std::string> token = ReadToken(path_)) {
        token_ = *std::move(token);
        version_ = version;
      }
    }
    return token_;
  }

 private:
  const std::string path_;
  sync::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  std::optional<FileVersion> version_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<TokenSource>> NewHs256TokenSource(Hs256TokenOptions options,
                                                                 const Clock& clock) {
  if (options.service_name.empty()) {
    return absl::InvalidArgumentError("service token: the service name (token subject) is required");
  }
  if (options.ttl <= options.renew_before || options.renew_before < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("service token: renew_before must be in [0, ttl)");
  }
  absl::StatusOr<std::string> secret = auth::ReadHs256KeyFile(options.key_file);
  if (!secret.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(auth::kHs256KeyFileSetting, ": ", secret.status().message()));
  }
  return std::make_unique<Hs256TokenSource>(std::move(options), *std::move(secret), clock);
}

absl::StatusOr<std::unique_ptr<TokenSource>> NewFileTokenSource(std::string path) {
  // Stat before reading: a change between the two is then seen on the next call.
  const std::optional<FileVersion> version = Stat(path);
  std::optional<std::string> token = ReadToken(path);
  if (!token.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(kTokenFileSetting, ": cannot read a token from ", path));
  }
  return std::make_unique<FileTokenSource>(std::move(path), *std::move(token), version);
}

}  // namespace clinic::peer
