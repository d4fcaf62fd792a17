// TokenVerifier::Verify per call: the cost every RPC pays for authentication.
//   auth_bench --benchmark_filter=Hs256
#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/clock/clock.h"

namespace clinic::auth {
namespace {

constexpr char kSecret[] = "bench-secret-0123456789-abcdefghijklmnopq";

// Key files for the benchmark process, written once into a fresh directory.
struct Keys {
  std::string dir;
  std::string hs256_file;
  std::string rs256_public_file;
  std::string rs256_private_pem;

  Keys() {
    char tmpl[] = "/tmp/auth_bench.XXXXXX";
    dir = ::mkdtemp(tmpl);
    hs256_file = dir + "/hs256.key";
    rs256_public_file = dir + "/rs256.pem";
    std::ofstream(hs256_file) << kSecret << "\n";
    EVP_PKEY* key = EVP_RSA_gen(2048);
    BIO* priv = BIO_new(BIO_s_mem());
    BIO* pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_PUBKEY(pub, key);
    char* data = nullptr;
    long len = BIO_get_mem_data(priv, &data);
    rs256_private_pem.assign(data, static_cast<size_t>(len));
    len = BIO_get_mem_data(pub, &data);
    std::ofstream(rs256_public_file) << std::string(data, static_cast<size_t>(len));
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(key);
  }
  ~Keys() {
    std::remove(hs256_file.c_str());
    std::remove(rs256_public_file.c_str());
    ::rmdir(dir.c_str());
  }
};

const Keys& TheKeys() {
  static const Keys keys;
  return keys;
}

Claims BenchClaims() {
  Claims claims;
  claims.subject = "practitioner-0042";
  claims.role = Role::kPractitioner;
  claims.clinic = "clinic-north";
  claims.issued_at = absl::Now();
  claims.expires_at = claims.issued_at + absl::Hours(1);
  claims.issuer = "clinic-auth";
  claims.audience = "clinic";
  return claims;
}

void RunVerify(benchmark::State& state, bool rs256, bool cached) {
  SystemClock clock;
  JwtVerifierOptions options;
  options.issuer = "clinic-auth";
  options.audience = "clinic";
  options.cache_capacity = cached ? 10'000 : 0;
  std::string token;
  if (rs256) {
    options.rs256_public_key_files = {TheKeys().rs256_public_file};
    token = *MintRs256(BenchClaims(), TheKeys().rs256_private_pem);
  } else {
    options.hs256_key_file = TheKeys().hs256_file;
    token = *MintHs256(BenchClaims(), kSecret);
  }
  auto verifier = NewJwtVerifier(options, clock);
  if (!verifier.ok()) {
    state.SkipWithError("verifier configuration failed");
    return;
  }
  for (auto _ : state) {
    auto principal = (*verifier)->Verify(token);
    benchmark::DoNotOptimize(principal);
    if (!principal.ok()) {
      state.SkipWithError("token rejected");
      break;
    }
  }
}

void BM_VerifyHs256Uncached(benchmark::State& state) { RunVerify(state, false, false); }
void BM_VerifyHs256Cached(benchmark::State& state) { RunVerify(state, false, true); }
void BM_VerifyRs256Uncached(benchmark::State& state) { RunVerify(state, true, false); }
void BM_VerifyRs256Cached(benchmark::State& state) { RunVerify(state, true, true); }

BENCHMARK(BM_VerifyHs256Uncached);
BENCHMARK(BM_VerifyHs256Cached);
BENCHMARK(BM_VerifyHs256Cached)->Threads(2);
BENCHMARK(BM_VerifyRs256Uncached);
BENCHMARK(BM_VerifyRs256Cached);

}  // namespace
}  // namespace clinic::auth

BENCHMARK_MAIN();
