#include "tests/unit/common/server/test_certs.h"

#include <fstream>
#include <vector>

#include "tests/support/process.h"

namespace clinic::testing {
namespace {

bool Run(const TempDir& dir, std::vector<std::string> argv) {
  return RunCommand(argv, dir.File("openssl.log")) == 0;
}

bool Write(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  return static_cast<bool>(out);
}

// A P-256 key and a certificate for `cn` signed by the CA, with `extensions`.
bool Leaf(const TempDir& dir, const std::string& name, const std::string& cn, const std::string& extensions,
          const std::string& serial) {
  const std::string ext = dir.File(name + ".ext"), csr = dir.File(name + ".csr");
  return Write(ext, extensions) &&
         Run(dir, {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", dir.File(name + ".key"), "-out", csr, "-subj", "/CN=" + cn}) &&
         Run(dir, {"openssl", "x509", "-req", "-in", csr, "-CA", dir.File("ca.pem"), "-CAkey", dir.File("ca.key"),
                   "-set_serial", serial, "-days", "2", "-extfile", ext, "-out", dir.File(name + ".pem")});
}

}  // namespace

bool MakeTestCerts(const TempDir& dir, TestCerts* certs) {
  const bool ok =
      Run(dir, {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", dir.File("ca.key"), "-out", dir.File("ca.pem"), "-days", "2", "-subj",
                "/CN=clinic test CA"}) &&
      Leaf(dir, "server", "localhost",
           "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
           "2") &&
      Leaf(dir, "client", "clinic-test-client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n", "3");
  certs->ca = dir.File("ca.pem");
  certs->server_cert = dir.File("server.pem");
  certs->server_key = dir.File("server.key");
  certs->client_cert = dir.File("client.pem");
  certs->client_key = dir.File("client.key");
  return ok;
}

}  // namespace clinic::testing
