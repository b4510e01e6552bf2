// A small synchronous HTTP/1.1 client (Boost.Beast over Asio; the Beast/Asio/OpenSSL types stay in
// client.cc). One client talks to one origin (scheme, host, port) over one keep-alive connection,
// opened on first use and reopened after a failure or when the server closes it.
//
// Threading: a Client is thread-safe; Send() holds an internal mutex for a whole exchange, so
// concurrent callers take turns on the one connection. For parallel requests use one client per
// thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http/message.h"

namespace cruddur::http {

// An absolute http:// or https:// URL split into the parts a client needs.
struct Url {
  std::string scheme;      // "http" or "https" (lowercase)
  std::string host;        // name or IP literal, without the brackets of an IPv6 literal
  std::uint16_t port = 0;  // explicit or the scheme's default (80, 443)
  std::string target;      // path and query, "/" when the URL has none

  // Parses "http[s]://host[:port][/path[?query]]". Throws std::invalid_argument with a readable
  // reason (e.g. "unsupported URL scheme 'ftp' in 'ftp://x'").
  static Url Parse(std::string_view url);

  bool tls() const { return scheme == "https"; }
  // The Host header value: the host (bracketed when IPv6) plus ":port" unless it is the default.
  std::string HostHeader() const;
  // "scheme://host[:port]", without the target.
  std::string Origin() const;
};

// A request could not be sent or its response could not be read (DNS, connect, TLS, timeout,
// reset, malformed response). The request may or may not have reached the server.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClientOptions {
  // Resolving the host and opening the connection (TCP and TLS handshake) must finish in this.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  // Writing the request and reading the whole response must finish in this.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(60);
  // Bigger response bodies fail with TransportError.
  std::size_t body_limit = 64 * 1024 * 1024;
  // https only: check the server's certificate chain against the system's CAs and its name.
  bool verify_peer = true;
  std::string user_agent = "cruddur";
};

class Client {
 public:
  // `base_url` names the origin; its path is ignored (requests carry their own target).
  // Throws std::invalid_argument for a malformed URL. Connects lazily.
  explicit Client(std::string_view base_url, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and returns the response, whatever its status. Uses request.method,
  // .target (must start with '/'), .headers and .body; sets Host when absent, and Content-Length
  // and User-Agent (when absent). When a reused keep-alive connection turns out to be closed
  // before any of the response arrived, reconnects and sends once more. Throws TransportError.
  Response Send(const Request& request);

  // Closes the connection (the next Send() reconnects).
  void Close();

  const Url& url() const { return url_; }
  // How many connections this client has opened so far (for tests and diagnostics).
  int connections_opened() const;

 private:
  struct Impl;
  Url url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cruddur::http
