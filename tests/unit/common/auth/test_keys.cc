#include "tests/unit/common/auth/test_keys.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

#include "common/auth/base64url.h"

namespace clinic::auth::testing {
namespace {

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string SigningInput(const nlohmann::json& header, const nlohmann::json& payload) {
  return Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

RsaKeyPair GenerateRsaKeyPair(int bits) {
  std::unique_ptr<EVP_PKEY, Free> key(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (key == nullptr) throw std::runtime_error("EVP_RSA_gen failed");
  std::unique_ptr<BIO, Free> priv(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, Free> pub(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    throw std::runtime_error("PEM_write failed");
  }
  return RsaKeyPair{BioContents(priv.get()), BioContents(pub.get())};
}

std::string SignHmac(const nlohmann::json& header, const nlohmann::json& payload,
                     std::string_view key) {
  std::string input = SigningInput(header, payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(input), input.size(), mac,
       &len);
  return input + "." + Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string SignRsa(const nlohmann::json& header, const nlohmann::json& payload,
                    std::string_view private_pem) {
  std::string input = SigningInput(header, payload);
  std::unique_ptr<BIO, Free> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  std::unique_ptr<EVP_PKEY, Free> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (key == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(input), input.size()) != 1) {
    throw std::runtime_error("RSA sign setup failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(input),
                     input.size()) != 1) {
    throw std::runtime_error("RSA sign failed");
  }
  sig.resize(len);
  return input + "." + Base64UrlEncode(sig);
}

std::string Unsigned(const nlohmann::json& header, const nlohmann::json& payload) {
  return SigningInput(header, payload) + ".";
}

}  // namespace clinic::auth::testing
