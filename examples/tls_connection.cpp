// TLS in one page: a CA and certificates made with the openssl command (as docs/SECURITY.md
// explains), a throwaway redis-server listening with TLS only on its port, and a toolkit that
// verifies it; then mutual TLS (a client certificate) and what an untrusted server looks like.
// Needs the openssl command and a redis-server built with TLS (Debian's is).
#include <redis_toolkit/errors.hpp>
#include <redis_toolkit/server_launcher.hpp>
#include <redis_toolkit/toolkit.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

/// Runs `openssl ARGS...`; throws with its error output when it fails.
void openssl(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "/usr/bin/openssl");
  const auto output = redis_toolkit::run_program(arguments, std::chrono::seconds(60));
  if (output.exit_status != 0) throw std::runtime_error("openssl: " + output.standard_error);
}

/// `name`.key and `name`.crt in `dir`, signed by ca.crt (or self-signed when `name` is "ca").
void make_certificate(const std::string& dir, const std::string& name, const std::string& subject,
                      const std::string& extensions = {}) {
  const std::string key = dir + "/" + name + ".key";
  const std::string crt = dir + "/" + name + ".crt";
  const std::vector<std::string> new_key = {"-newkey", "ec", "-pkeyopt",
                                            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                                            key, "-subj", "/CN=" + subject};
  if (name == "ca") {
    std::vector<std::string> request = {"req", "-x509", "-days", "30", "-out", crt};
    request.insert(request.end(), new_key.begin(), new_key.end());
    openssl(request);
    return;
  }
  std::vector<std::string> request = {"req", "-out", dir + "/" + name + ".csr"};
  request.insert(request.end(), new_key.begin(), new_key.end());
  openssl(request);
  std::ofstream(dir + "/" + name + ".ext") << extensions << "\n";
  openssl({"x509", "-req", "-in", dir + "/" + name + ".csr", "-CA", dir + "/ca.crt", "-CAkey",
           dir + "/ca.key", "-CAcreateserial", "-days", "30", "-out", crt, "-extfile",
           dir + "/" + name + ".ext"});
}

} // namespace

int main() try {
  std::string dir = (std::filesystem::temp_directory_path() / "rtk-tls-example-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  struct RemoveAtExit {
    std::string path;
    ~RemoveAtExit() { std::filesystem::remove_all(path); }
  } cleanup{dir};

  // 1. A CA of our own, a server certificate naming 127.0.0.1 and localhost, a client certificate.
  make_certificate(dir, "ca", "example CA");
  make_certificate(dir, "server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  make_certificate(dir, "client", "example client", "extendedKeyUsage=clientAuth");

  // 2. A redis-server with TLS on its port that requires client certificates (mutual TLS).
  redis_toolkit::RedisServerProcess::Options options;
  redis_toolkit::RedisServerProcess::Tls tls;
  tls.cert_file = dir + "/server.crt";
  tls.key_file = dir + "/server.key";
  tls.ca_cert_file = dir + "/ca.crt";
  tls.auth_clients = true;
  options.tls = tls;
  auto server = redis_toolkit::RedisServerProcess::start(options);
  std::cout << "TLS Redis on 127.0.0.1:" << server.tls_port() << "\n";

  // 3. The toolkit: TLS on, the server's certificate checked against our CA and its name
  //    (127.0.0.1 here), our client certificate presented.
  redis_toolkit::RedisConnectionConfig config;
  config.host = "127.0.0.1";
  config.port = server.tls_port();
  config.ssl = true;
  config.ssl_ca_certs = dir + "/ca.crt";
  config.ssl_certfile = dir + "/client.crt";
  config.ssl_keyfile = dir + "/client.key";
  redis_toolkit::RedisToolkit toolkit(config);
  toolkit.setter("example:tls", "encrypted on the wire");
  const auto back = toolkit.getter("example:tls");
  std::cout << "example:tls -> " << back.value_or(redis_toolkit::Value()) << "\n";

  // 4. Without the client certificate the server refuses us; the error says so and names it.
  redis_toolkit::RedisConnectionConfig no_certificate = config;
  no_certificate.ssl_certfile.clear();
  no_certificate.ssl_keyfile.clear();
  bool refused = false;
  try {
    redis_toolkit::RedisOptions once;
    once.retry_attempts = 1;
    redis_toolkit::RedisToolkit(no_certificate, once).getter("example:tls");
  } catch (const redis_toolkit::ConnectionError& error) {
    std::cout << "without a client certificate: " << error.what() << "\n";
    refused = true;
  }
  toolkit.deleter("example:tls");

  const bool ok = back == redis_toolkit::Value("encrypted on the wire") && refused;
  std::cout << (ok ? "tls_connection: ok" : "tls_connection: FAILED") << "\n";
  return ok ? 0 : 1;
} catch (const std::exception& error) {
  std::cerr << "tls_connection: " << error.what() << "\n";
  return 1;
}
