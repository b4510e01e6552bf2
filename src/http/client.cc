#include "http/client.h"

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "common/thread_annotations.h"
#include "encoding/url.h"

namespace cruddur::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::uint16_t DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

std::string Reason(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

bool IsIpLiteral(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// What one write-then-read on an open connection gave.
struct Outcome {
  std::optional<Response> response;
  // The connection was found closed before any of the response arrived: a reused keep-alive
  // connection that the server dropped, so the request can be sent again on a new one.
  bool stale = false;
  std::string error;
};

bool IsClosedByPeer(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

Url Url::Parse(std::string_view text) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument(why + " in URL '" + std::string(text) + "'");
  };
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) fail("missing scheme (http:// or https://)");
  Url url;
  for (char c : text.substr(0, sep)) {
    url.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (url.scheme != "http" && url.scheme != "https")
    fail("unsupported scheme '" + url.scheme + "'");
  std::string_view rest = text.substr(sep + 3);
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  target = target.substr(0, target.find('#'));
  url.target =
      target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  if (authority.find('@') != std::string_view::npos) fail("user info is not supported");

  encoding::Authority parts = encoding::SplitAuthority(authority);
  if (!parts.error.empty()) fail(std::string(parts.error));
  url.host = parts.host;
  std::string_view port = parts.port.value_or("");
  if (url.host.empty()) fail("missing host");
  url.port = DefaultPort(url.scheme);
  if (!port.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
      fail("invalid port '" + std::string(port) + "'");
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

std::string Url::HostHeader() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != DefaultPort(scheme)) out.append(":").append(std::to_string(port));
  return out;
}

std::string Url::Origin() const { return scheme + "://" + HostHeader(); }

struct Client::Impl {
  Impl(const Url& url, ClientOptions opts) : url(url), options(std::move(opts)) {
    if (url.tls()) {
      ssl.emplace(asio::ssl::context::tls_client);
      if (options.verify_peer) {
        ssl->set_default_verify_paths();
        ssl->set_verify_mode(asio::ssl::verify_peer);
      } else {
        ssl->set_verify_mode(asio::ssl::verify_none);
      }
    }
  }

  // Runs the async operations started on ioc to completion: the client is synchronous, and the
  // async forms are used only because Beast's timeouts apply to them.
  void Run() REQUIRES(mutex) {
    ioc.restart();
    ioc.run();
  }

  void Close() REQUIRES(mutex) {
    beast::error_code ignored;
    if (plain) plain->socket().close(ignored);
    if (tls) beast::get_lowest_layer(*tls).socket().close(ignored);
    plain.reset();
    tls.reset();
    buffer.clear();
  }

  bool open() const REQUIRES(mutex) { return plain.has_value() || tls.has_value(); }

  tcp::resolver::results_type Resolve() REQUIRES(mutex) {
    tcp::resolver resolver(ioc);
    asio::steady_timer timer(ioc, options.connect_timeout);
    beast::error_code ec;
    bool timed_out = false;
    tcp::resolver::results_type results;
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&](const beast::error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                             timer.cancel();
                           });
    timer.async_wait([&](const beast::error_code& e) {
      if (e) return;  // cancelled: the resolution finished first
      timed_out = true;
      resolver.cancel();
    });
    Run();
    if (timed_out) throw TransportError("cannot resolve " + url.host + ": timed out");
    if (ec) throw TransportError("cannot resolve " + url.host + ": " + ec.message());
    return results;
  }

  void Connect() REQUIRES(mutex) {
    Close();
    auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
    tcp::resolver::results_type endpoints = Resolve();
    beast::tcp_stream stream(ioc);
    stream.expires_at(deadline);
    beast::error_code ec;
    stream.async_connect(endpoints,
                         [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
    Run();
    if (ec) throw TransportError("cannot connect to " + url.Origin() + ": " + Reason(ec));
    stream.socket().set_option(tcp::no_delay(true), ec);
    ++connections_opened;
    if (!url.tls()) {
      stream.expires_never();
      plain.emplace(std::move(stream));
      return;
    }
    tls.emplace(std::move(stream), *ssl);
    if (!IsIpLiteral(url.host)) {  // SNI, which most HTTPS endpoints (AWS's included) require
      SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str());
    }
    if (options.verify_peer) tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    tls->async_handshake(asio::ssl::stream_base::client,
                         [&](const beast::error_code& e) { ec = e; });
    Run();
    if (ec) {
      Close();
      throw TransportError("TLS handshake with " + url.Origin() + " failed: " + Reason(ec));
    }
    beast::get_lowest_layer(*tls).expires_never();
  }

  template <class Stream>
  Outcome Exchange(Stream& stream, const bhttp::request<bhttp::string_body>& request)
      REQUIRES(mutex) {
    Outcome outcome;
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(options.request_timeout);
    bhttp::async_write(stream, request, [&](const beast::error_code& e, std::size_t) { ec = e; });
    Run();
    if (ec) {
      outcome.stale = IsClosedByPeer(ec);
      outcome.error = "cannot send the request: " + Reason(ec);
      return outcome;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.body_limit);
    parser.header_limit(64 * 1024);
    if (request.method() == bhttp::verb::head) parser.skip(true);
    bhttp::async_read(stream, buffer, parser,
                      [&](const beast::error_code& e, std::size_t) { ec = e; });
    Run();
    if (ec) {
      outcome.stale = !parser.got_some() && IsClosedByPeer(ec);
      outcome.error =
          (parser.got_some() ? "cannot read the response: " : "no response: ") +
          (ec == bhttp::error::body_limit
               ? "body over the client's limit of " + std::to_string(options.body_limit) + " bytes"
               : Reason(ec));
      return outcome;
    }
    beast::get_lowest_layer(stream).expires_never();
    bhttp::response<bhttp::string_body> message = parser.release();
    Response& response = outcome.response.emplace();
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) response.headers.Add(field.name_string(), field.value());
    response.body = std::move(message.body());
    if (!message.keep_alive()) Close();
    return outcome;
  }

  const Url& url;
  ClientOptions options;
  Mutex mutex;  // one exchange at a time on the one connection
  asio::io_context ioc GUARDED_BY(mutex){1};
  std::optional<asio::ssl::context> ssl;                     // https only
  std::optional<beast::tcp_stream> plain GUARDED_BY(mutex);  // open http connection
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls GUARDED_BY(mutex);  // open https one
  beast::flat_buffer buffer GUARDED_BY(mutex);  // bytes read past a response stay for the next one
  int connections_opened GUARDED_BY(mutex) = 0;
};

Client::Client(std::string_view base_url, ClientOptions options)
    : url_(Url::Parse(base_url)), impl_(std::make_unique<Impl>(url_, std::move(options))) {}

Client::~Client() = default;

Response Client::Send(const Request& request) {
  if (request.target.empty() || request.target.front() != '/') {
    throw std::invalid_argument("request target must start with '/': '" + request.target + "'");
  }
  bhttp::request<bhttp::string_body> message;
  message.method_string(request.method.empty() ? "GET" : request.method);
  message.target(request.target);
  message.version(11);
  for (const Headers::Field& field : request.headers) message.insert(field.name, field.value);
  if (!request.headers.Has("Host")) message.set(bhttp::field::host, url_.HostHeader());
  if (!request.headers.Has("User-Agent") && !impl_->options.user_agent.empty()) {
    message.set(bhttp::field::user_agent, impl_->options.user_agent);
  }
  message.body() = request.body;
  message.prepare_payload();

  MutexLock lock(impl_->mutex);
  for (int attempt = 0;; ++attempt) {
    bool reused = impl_->open();
    if (!reused) impl_->Connect();
    Outcome outcome = impl_->plain ? impl_->Exchange(*impl_->plain, message)
                                   : impl_->Exchange(*impl_->tls, message);
    if (outcome.response) return std::move(*outcome.response);
    impl_->Close();
    if (reused && outcome.stale && attempt == 0) continue;
    throw TransportError(std::string(message.method_string()) + " " + url_.Origin() +
                         request.target + ": " + outcome.error);
  }
}

void Client::Close() {
  MutexLock lock(impl_->mutex);
  impl_->Close();
}

int Client::connections_opened() const {
  MutexLock lock(impl_->mutex);
  return impl_->connections_opened;
}

}  // namespace cruddur::http
