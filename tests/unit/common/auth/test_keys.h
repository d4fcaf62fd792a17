#pragma once

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace clinic::auth::testing {

// An RSA key pair in PEM: "PRIVATE KEY" (PKCS#8) and "PUBLIC KEY" (SubjectPublicKeyInfo).
struct RsaKeyPair {
  std::string private_pem;
  std::string public_pem;
};

// A fresh RSA key pair of `bits` bits (OpenSSL EVP API).
RsaKeyPair GenerateRsaKeyPair(int bits = 2048);

// Compact JWS from arbitrary header and payload, for tokens the minting API refuses to
// make: HMAC-SHA256 under `key` whatever the header's alg says.
std::string SignHmac(const nlohmann::json& header, const nlohmann::json& payload,
                     std::string_view key);
// As SignHmac but RSASSA-PKCS1-v1_5/SHA-256 with the private key PEM.
std::string SignRsa(const nlohmann::json& header, const nlohmann::json& payload,
                    std::string_view private_pem);
// header.payload. with an empty signature (for alg "none").
std::string Unsigned(const nlohmann::json& header, const nlohmann::json& payload);

}  // namespace clinic::auth::testing
