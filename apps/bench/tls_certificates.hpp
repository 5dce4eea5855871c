#pragma once
// Throwaway certificates for `rtk bench`'s TLS scenario and the TLS tests (which link
// rtk_bench_lib), made with the openssl command line in a fresh temporary directory (removed by
// the destructor): a CA, a server certificate for 127.0.0.1 and localhost signed by it, the same
// server with an expired certificate, a client certificate for mutual TLS, and a second CA that
// signed none of them. EC keys (P-256): quick to make. Never part of the installed library.
#include <redis_toolkit/server_launcher.hpp>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rtk_bench {

class TlsCertificates {
public:
  TlsCertificates() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rtk-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed for the TLS certificates");
    directory_ = pattern;
    std::ofstream(file("server.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    std::ofstream(file("client.ext")) << "extendedKeyUsage=clientAuth\n";
    make_ca("ca", "rtk test CA");
    make_ca("other_ca", "rtk unrelated CA");
    sign("server", "localhost", "ca", "server.ext", "2");
    // -days -1: notAfter lies a day before notBefore, so the certificate is already expired.
    sign("expired", "localhost", "ca", "server.ext", "-1");
    sign("client", "rtk client", "ca", "client.ext", "2");
  }
  ~TlsCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  TlsCertificates(const TlsCertificates&) = delete;
  TlsCertificates& operator=(const TlsCertificates&) = delete;

  /// A file in the directory: "ca.crt", "server.key", "expired.crt", "client.crt", ...
  std::string file(const std::string& name) const { return (directory_ / name).string(); }

  /// A TLS server with `certificate` ("server" or "expired") signed by the CA.
  redis_toolkit::RedisServerProcess::Options server(const std::string& certificate = "server",
                                                    bool auth_clients = false) const {
    redis_toolkit::RedisServerProcess::Options options;
    redis_toolkit::RedisServerProcess::Tls tls;
    tls.cert_file = file(certificate + ".crt");
    tls.key_file = file(certificate + ".key");
    tls.ca_cert_file = file("ca.crt");
    tls.auth_clients = auth_clients;
    options.tls = tls;
    return options;
  }

private:
  static std::string openssl() {
    for (const char* candidate : {"/usr/bin/openssl", "/usr/local/bin/openssl"})
      if (std::filesystem::exists(candidate)) return candidate;
    throw std::runtime_error("the openssl command is missing: apt-get install openssl");
  }

  void run(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), openssl());
    const auto output = redis_toolkit::run_program(arguments, std::chrono::seconds(60));
    if (output.exit_status != 0)
      throw std::runtime_error("openssl " + arguments.at(1) + " failed: " + output.standard_error);
  }

  void make_ca(const std::string& name, const std::string& common_name) const {
    run({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", file(name + ".key"), "-out", file(name + ".crt"), "-subj",
         "/CN=" + common_name, "-days", "2"});
  }

  void sign(const std::string& name, const std::string& common_name, const std::string& ca,
            const std::string& extensions, const std::string& days) const {
    run({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         file(name + ".key"), "-out", file(name + ".csr"), "-subj", "/CN=" + common_name});
    run({"x509", "-req", "-in", file(name + ".csr"), "-CA", file(ca + ".crt"), "-CAkey",
         file(ca + ".key"), "-CAcreateserial", "-out", file(name + ".crt"), "-days", days,
         "-extfile", file(extensions)});
  }

  std::filesystem::path directory_;
};

} // namespace rtk_bench
