#include "common/auth/crypto.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace clinic::auth::internal {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

BioPtr MemoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Checks that a parsed key is RSA and long enough; clears OpenSSL's per-thread error
// queue so a failure here never leaks into an unrelated later call.
absl::StatusOr<PkeyPtr> CheckRsa(PkeyPtr key, const char* what) {
  ERR_clear_error();
  if (key == nullptr) return absl::InvalidArgumentError(absl::StrCat("not a PEM ", what));
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " is not an RSA key"));
  }
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat("the RSA ", what, " has ",
                                                   EVP_PKEY_get_bits(key.get()), " bits; at least ",
                                                   kMinRsaBits, " are required"));
  }
  return key;
}

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "'"));
  return std::move(content).str();
}

absl::StatusOr<PkeyPtr> ParseRsaPublicKeyPem(std::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::InvalidArgumentError("out of memory reading a PEM key");
  return CheckRsa(PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)), "public key");
}

absl::StatusOr<PkeyPtr> ParseRsaPrivateKeyPem(std::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::InvalidArgumentError("out of memory reading a PEM key");
  // An empty passphrase callback result: encrypted keys fail instead of prompting.
  static constexpr char kNoPassphrase[] = "";
  return CheckRsa(PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr,
                                                  const_cast<char*>(kNoPassphrase))),
                  "private key");
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(), mac,
           &mac_len) == nullptr) {
    ERR_clear_error();
    return {};  // Matches no signature.
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool RsaSha256Verify(const EVP_PKEY& key, std::string_view data, std::string_view signature) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // EVP_DigestVerifyInit takes a non-const key but only reads it (it takes a reference).
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                                 const_cast<EVP_PKEY*>(&key)) == 1 &&
            EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(data),
                             data.size()) == 1;
  ERR_clear_error();
  return ok;
}

absl::StatusOr<std::string> RsaSha256Sign(const EVP_PKEY& key, std::string_view data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, const_cast<EVP_PKEY*>(&key)) !=
          1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len, Bytes(data), data.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("RS256 signing failed");
  }
  std::string signature(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &sig_len,
                     Bytes(data), data.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("RS256 signing failed");
  }
  signature.resize(sig_len);
  return signature;
}

}  // namespace clinic::auth::internal
