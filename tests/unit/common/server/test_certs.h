#pragma once

#include <string>

#include "tests/support/temp_dir.h"

namespace clinic::testing {

// Paths of a throwaway PKI made by the openssl CLI: a CA, a server certificate for
// 127.0.0.1 and localhost, and a client certificate, each with its key (PEM), all
// signed by the CA.
struct TestCerts {
  std::string ca;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

// Writes the files into `dir`; openssl's output goes to dir/openssl.log. False if a
// command failed.
bool MakeTestCerts(const TempDir& dir, TestCerts* certs);

}  // namespace clinic::testing
