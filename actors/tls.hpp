#pragma once
// TLS without I/O of its own (OpenSSL over memory BIOs): the connection feeds the ciphertext it
// read and gets plaintext back, and hands plaintext over to get the ciphertext to write. The
// handshake runs on the background connect (connect_in_background), bounded by the connection
// timeout, so a server that never answers TLS blocks no I/O thread; after it the session travels
// to the broker, which keeps CAF's byte stream and only adds the two conversions on its path.
//
// Why memory BIOs rather than a socket owned by OpenSSL: the brokers read through CAF's
// multiplexer (new_data_msg) and write with send(2) or the scribe; with memory BIOs the TLS
// connection uses exactly that path, and plain TCP stays as it was, without a branch in its loop.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace redis_toolkit {
struct RedisConnectionConfig;
}

namespace redis_toolkit::detail {

/// What RedisConnectionConfig says about TLS, checked and prepared once per toolkit: the CA,
/// client certificate and key files are read here, so a bad file is an error at start, and one
/// SSL_CTX serves every connection of the toolkit. Immutable after creation (OpenSSL allows an
/// SSL_CTX to be shared between threads as long as nobody changes it).
class TlsContext {
public:
  /// Throws ValidationError naming the field (ssl_ca_certs, ssl_certfile, ssl_keyfile) whose
  /// file OpenSSL refused, with OpenSSL's reason. Never prompts for a key's passphrase.
  static std::shared_ptr<const TlsContext> create(const RedisConnectionConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const noexcept { return context_; }
  bool verify() const noexcept { return verify_; }
  /// The name sent as SNI and checked against the certificate; empty: the host connected to.
  const std::string& server_name() const noexcept { return server_name_; }
  /// What distinguishes two contexts (file names, checks, server name): part of a router's
  /// identity, so toolkits with the same TLS settings share connections.
  const std::string& identity() const noexcept { return identity_; }

private:
  TlsContext() = default;
  SSL_CTX* context_ = nullptr;
  bool verify_ = true;
  std::string server_name_;
  std::string identity_;
};

/// One TLS connection's state. Not thread-safe: one thread at a time (the connecting actor, then
/// the broker, which the message between them orders).
class TlsSession {
public:
  /// `host` is where the connection goes: the certificate must name it (or the context's
  /// server_name), and it is the SNI unless it is an IP address.
  TlsSession(std::shared_ptr<const TlsContext> context, const std::string& host);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  /// Runs the client handshake on the connected non-blocking socket `fd` until `deadline`.
  /// Empty on success, or what failed in words a user understands (certificate verify failed:
  /// reason, not TLS on that port, timeout, ...). Bytes read past the handshake stay in the
  /// session for the first decrypt().
  std::string handshake(int fd, std::chrono::steady_clock::time_point deadline);

  /// Feeds ciphertext read from the socket; appends the plaintext it completes to `plaintext`.
  /// False when the session ended (the server's close_notify or alert, a TLS error): `error`
  /// says why and the connection is lost.
  bool decrypt(const char* data, std::size_t size, std::string& plaintext, std::string& error);

  /// Encrypts `size` bytes; appends the ciphertext to send to `ciphertext`. False on a TLS error.
  bool encrypt(const char* data, std::size_t size, std::string& ciphertext, std::string& error);

  /// Ciphertext OpenSSL produced on its own while decrypting (a key update's answer, an alert):
  /// appended to `ciphertext`, which the caller sends.
  void take_output(std::string& ciphertext);

private:
  std::shared_ptr<const TlsContext> context_;
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;  ///< ciphertext read from the socket, owned by ssl_
  BIO* network_out_ = nullptr; ///< ciphertext to write to the socket, owned by ssl_
  std::string host_;
};

/// A TLS session on a broker's byte stream, as node connections and subscribers both use it:
/// each read decrypted, each write encrypted, into buffers the stream keeps (their room stays
/// from one call to the next), and what OpenSSL sends on its own handed out to be written.
/// The caller writes to_send() its own way (send(2), the scribe) and feeds plaintext() to its
/// decoder. Not thread-safe, like the session.
class TlsStream {
public:
  explicit TlsStream(std::shared_ptr<TlsSession> session) : session_(std::move(session)) {}

  /// Feeds ciphertext read from the socket. True: plaintext() is what it completed, and
  /// to_send() what OpenSSL answers on its own (a key update's answer; mostly empty), to be
  /// written before anything else. False: the session ended (the server's close_notify or
  /// alert, a TLS error): error() says why and the connection is lost.
  bool read(const char* data, std::size_t size);

  /// Encrypts plaintext. True: to_send() is the ciphertext (with anything OpenSSL had waiting
  /// before it). False on a TLS error: error() says why, and errno is EPROTO, as for a failed
  /// send(2), so that the caller handles both alike.
  bool write(const char* data, std::size_t size);

  /// Valid until the next read() or write().
  std::string_view plaintext() const noexcept { return plaintext_; }
  std::string_view to_send() const noexcept { return to_send_; }
  const std::string& error() const noexcept { return error_; }

private:
  std::shared_ptr<TlsSession> session_;
  std::string plaintext_;
  std::string to_send_;
  std::string error_;
};

} // namespace redis_toolkit::detail
