#include "tls.hpp"

#include "redis_toolkit/config.hpp"
#include "redis_toolkit/errors.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace redis_toolkit::detail {
namespace {

using Clock = std::chrono::steady_clock;

/// The most recent error code on this thread's OpenSSL queue (0 if none); clears the queue, so an
/// old error is never blamed for a later failure.
unsigned long take_last_error() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  return last;
}

/// OpenSSL's words for an error code.
std::string reason_text(unsigned long code) {
  if (code == 0) return "unknown TLS error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "TLS error " + std::to_string(ERR_GET_REASON(code));
}

/// OpenSSL's reason for the most recent error on this thread, and clears the queue.
std::string openssl_reason() { return reason_text(take_last_error()); }

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

/// A key with a passphrase is refused at once rather than prompting on the terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

/// A handshake error in the words of what went wrong, with what usually causes it.
std::string describe_handshake_failure(SSL* ssl, int error_kind, const std::string& name) {
  const long verify = SSL_get_verify_result(ssl);
  if (error_kind == SSL_ERROR_SSL && verify != X509_V_OK) {
    ERR_clear_error();
    std::string text = std::string("certificate verify failed: ") +
                       X509_verify_cert_error_string(verify);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
      text += " (the server's certificate does not name '" + name + "'; see ssl_server_name)";
    else if (verify == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
             verify == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
             verify == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
      text += " (the server's certificate is not signed by a CA in ssl_ca_certs)";
    return text;
  }
  if (error_kind == SSL_ERROR_SSL) {
    const unsigned long last = take_last_error();
    switch (ERR_GET_REASON(last)) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_UNKNOWN_PROTOCOL:
      return "the server did not answer TLS (is it a plain, non-TLS port?)";
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      return "the server refused the handshake: it requires a client certificate (ssl_certfile "
             "and ssl_keyfile)";
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
      return "the server refused the client certificate (not signed by a CA it trusts)";
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_UNSUPPORTED_PROTOCOL:
      return "no TLS version in common (TLS 1.2 is the minimum)";
    default:
      break;
    }
    if (last == 0) return "TLS handshake failed";
    return "TLS handshake failed: " + reason_text(last);
  }
  return "TLS handshake failed";
}

/// Writes all of `bytes` to the non-blocking socket by `deadline`; empty, or why not.
std::string send_all(int fd, const std::string& bytes, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t sent = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (sent > 0) {
      done += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (remaining.count() <= 0) return "TLS handshake timed out";
      pollfd watch{fd, POLLOUT, 0};
      ::poll(&watch, 1, static_cast<int>(remaining.count()));
      continue;
    }
    return std::string("write failed during the TLS handshake: ") + std::strerror(errno);
  }
  return {};
}

/// Rule: every certificate the context holds has its extensions decoded here, on the one thread
/// that builds the context, before any connection shares it. OpenSSL decodes them lazily on a
/// certificate's first use and publishes them with an atomic flag inside libcrypto, which
/// ThreadSanitizer cannot see; two first handshakes on two threads then read as a data race.
/// Decoded up front, every handshake takes the read-only path. (Certificates that the system's
/// hashed CA directory loads on demand are outside this; they are never shared before use.)
void cache_certificate_extensions(SSL_CTX* context) {
  // X509_check_purpose with purpose -1 only fills the certificate's extension cache.
  if (X509_STORE* store = SSL_CTX_get_cert_store(context)) {
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i)
      if (X509* certificate = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i)))
        X509_check_purpose(certificate, -1, 0);
  }
  if (X509* own = SSL_CTX_get0_certificate(context)) X509_check_purpose(own, -1, 0);
  STACK_OF(X509)* chain = nullptr;
  if (SSL_CTX_get0_chain_certs(context, &chain) == 1)
    for (int i = 0; i < sk_X509_num(chain); ++i) X509_check_purpose(sk_X509_value(chain, i), -1, 0);
}

} // namespace

// ---- TlsContext ----

std::shared_ptr<const TlsContext> TlsContext::create(const RedisConnectionConfig& config) {
  std::shared_ptr<TlsContext> result(new TlsContext);
  result->context_ = SSL_CTX_new(TLS_client_method());
  if (result->context_ == nullptr)
    throw ValidationError("cannot create a TLS context: " + openssl_reason(), "ssl");
  SSL_CTX* context = result->context_;
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_default_passwd_cb(context, no_passphrase);
  // "optional" verifies like "required": a TLS server always sends its certificate, and a
  // certificate that is sent is checked (Python's CERT_OPTIONAL does the same for a client).
  result->verify_ = config.ssl_cert_reqs != "none";
  SSL_CTX_set_verify(context, result->verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!config.ssl_ca_certs.empty()) {
    if (SSL_CTX_load_verify_locations(context, config.ssl_ca_certs.c_str(), nullptr) != 1)
      throw ValidationError("cannot load CA certificates from '" + config.ssl_ca_certs +
                                "': " + openssl_reason(),
                            "ssl_ca_certs");
  } else if (SSL_CTX_set_default_verify_paths(context) != 1) {
    throw ValidationError("cannot load the system's CA certificates: " + openssl_reason(),
                          "ssl_ca_certs");
  }
  if (!config.ssl_certfile.empty()) {
    if (SSL_CTX_use_certificate_chain_file(context, config.ssl_certfile.c_str()) != 1)
      throw ValidationError("cannot load the client certificate from '" + config.ssl_certfile +
                                "': " + openssl_reason(),
                            "ssl_certfile");
    if (SSL_CTX_use_PrivateKey_file(context, config.ssl_keyfile.c_str(), SSL_FILETYPE_PEM) != 1)
      throw ValidationError("cannot load the private key from '" + config.ssl_keyfile +
                                "' (a key with a passphrase is not supported): " +
                                openssl_reason(),
                            "ssl_keyfile");
    if (SSL_CTX_check_private_key(context) != 1)
      throw ValidationError("the private key does not match the certificate in '" +
                                config.ssl_certfile + "'",
                            "ssl_keyfile");
  }
  cache_certificate_extensions(context);
  result->server_name_ = config.ssl_server_name;
  result->identity_ = config.ssl_ca_certs + '\0' + config.ssl_certfile + '\0' +
                      config.ssl_keyfile + '\0' + config.ssl_cert_reqs + '\0' +
                      config.ssl_server_name;
  return result;
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

// ---- TlsSession ----

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, const std::string& host)
    : context_(std::move(context)) {
  host_ = context_->server_name().empty() ? host : context_->server_name();
  ssl_ = SSL_new(context_->native());
  if (ssl_ == nullptr) throw std::runtime_error("cannot create a TLS session: " + openssl_reason());
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  // An empty input means "wait for more bytes", never end of file: the end of the stream is
  // CAF's connection_closed_msg.
  BIO_set_mem_eof_return(network_in_, -1);
  BIO_set_mem_eof_return(network_out_, -1);
  SSL_set_bio(ssl_, network_in_, network_out_); // ssl_ owns both from here
  const bool ip = is_ip_address(host_);
  if (!ip) SSL_set_tlsext_host_name(ssl_, host_.c_str()); // RFC 6066: no SNI for an address
  if (context_->verify()) {
    X509_VERIFY_PARAM* parameters = SSL_get0_param(ssl_);
    if (ip)
      X509_VERIFY_PARAM_set1_ip_asc(parameters, host_.c_str());
    else
      X509_VERIFY_PARAM_set1_host(parameters, host_.c_str(), 0);
  }
  SSL_set_connect_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

std::string TlsSession::handshake(int fd, Clock::time_point deadline) {
  std::string output;
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_);
    const int error_kind = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
    std::string failure;
    if (rc != 1 && error_kind != SSL_ERROR_WANT_READ)
      failure = describe_handshake_failure(ssl_, error_kind, host_);
    output.clear();
    take_output(output);
    // On failure the alert is sent as a courtesy; the handshake's own error is the one to report.
    const std::string written = send_all(fd, output, deadline);
    if (!failure.empty()) return failure;
    if (!written.empty()) return written;
    if (rc == 1) return {};
    char buffer[16 * 1024];
    for (;;) {
      const auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (remaining.count() <= 0)
        return "TLS handshake timed out (is it a TLS port? a plain Redis server waits silently)";
      pollfd watch{fd, POLLIN, 0};
      const int ready = ::poll(&watch, 1, static_cast<int>(remaining.count()));
      if (ready <= 0) continue; // EINTR or the deadline, seen at the top
      const ssize_t received = ::recv(fd, buffer, sizeof buffer, 0);
      if (received > 0) {
        BIO_write(network_in_, buffer, static_cast<int>(received));
        break;
      }
      if (received < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (received == 0)
        return "the server closed the connection during the TLS handshake (is it a TLS port? "
               "does it require a client certificate?)";
      return std::string("read failed during the TLS handshake: ") + std::strerror(errno);
    }
  }
}

bool TlsSession::decrypt(const char* data, std::size_t size, std::string& plaintext,
                         std::string& error) {
  if (size > 0) BIO_write(network_in_, data, static_cast<int>(size));
  // Records are decrypted into a buffer on the stack and appended: growing `plaintext` by a
  // record's room before each SSL_read would zero-fill that room every time.
  char record[16 * 1024];
  for (;;) {
    std::size_t read = 0;
    ERR_clear_error();
    const int rc = SSL_read_ex(ssl_, record, sizeof record, &read);
    if (rc == 1) {
      plaintext.append(record, read);
      // Nothing left to decrypt: another SSL_read would only say so.
      if (!SSL_has_pending(ssl_) && BIO_ctrl_pending(network_in_) == 0) return true;
      continue;
    }
    const int error_kind = SSL_get_error(ssl_, rc);
    if (error_kind == SSL_ERROR_WANT_READ) return true;
    if (error_kind == SSL_ERROR_ZERO_RETURN) {
      error = "the server ended the TLS session";
      return false;
    }
    if (error_kind == SSL_ERROR_SSL) {
      const unsigned long last = take_last_error();
      // TLS 1.3 finishes the client's handshake before the server checks the client's
      // certificate: a missing or refused one arrives here, as an alert on the first read.
      const int reason = ERR_GET_REASON(last);
      if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
          reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE)
        error = "the server requires a client certificate (ssl_certfile and ssl_keyfile)";
      else if (reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE)
        error = "the server refused the client certificate (not signed by a CA it trusts)";
      else
        error = "TLS error: " + reason_text(last);
      return false;
    }
    error = "TLS error";
    return false;
  }
}

bool TlsSession::encrypt(const char* data, std::size_t size, std::string& ciphertext,
                         std::string& error) {
  if (size > 0) {
    std::size_t written = 0;
    ERR_clear_error();
    // A memory BIO takes everything, so one call writes all of it.
    if (SSL_write_ex(ssl_, data, size, &written) != 1 || written != size) {
      error = "TLS error: " + openssl_reason();
      return false;
    }
  }
  take_output(ciphertext);
  return true;
}

void TlsSession::take_output(std::string& ciphertext) {
  const std::size_t pending = BIO_ctrl_pending(network_out_);
  if (pending == 0) return;
  const std::size_t before = ciphertext.size();
  ciphertext.resize(before + pending);
  const int read = BIO_read(network_out_, ciphertext.data() + before, static_cast<int>(pending));
  ciphertext.resize(before + static_cast<std::size_t>(read > 0 ? read : 0));
}

// ---- TlsStream ----

bool TlsStream::read(const char* data, std::size_t size) {
  plaintext_.clear();
  to_send_.clear();
  if (!session_->decrypt(data, size, plaintext_, error_)) return false;
  session_->take_output(to_send_);
  return true;
}

bool TlsStream::write(const char* data, std::size_t size) {
  to_send_.clear();
  if (session_->encrypt(data, size, to_send_, error_)) return true;
  errno = EPROTO;
  return false;
}

} // namespace redis_toolkit::detail
