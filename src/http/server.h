// A small HTTP/1.1 server (Boost.Beast parser over Asio; the Beast/Asio types stay in server.cc).
//
// Threading: `threads` workers, each running its own io_context; one acceptor hands new
// connections to the workers round-robin, and a connection then lives on its worker only, so a
// connection's requests are handled one after another (pipelined requests are answered in order)
// and per-connection state needs no locks. The handler is called on worker threads, possibly on
// several at once: it must be thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/message.h"

namespace cruddur::http {

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP address or a name that resolves to one
  std::uint16_t port = 0;          // 0 picks a free port; see Server::port()
  int threads = 0;                 // worker threads; 0 means std::thread::hardware_concurrency()
  std::size_t body_limit = 16 * 1024 * 1024;  // bigger bodies get on_too_large's answer
  std::uint32_t header_limit = 64 * 1024;     // bigger headers get 431 and a closed connection
  // A connection with no progress for this long (waiting for a request, or stuck mid-request
  // or mid-response) is closed.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // Answers a request whose body is over body_limit; it sees the method, target and headers
  // (the body is empty). The connection is closed afterwards. Default: an empty 413.
  Handler on_too_large;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // Stop()s if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the worker threads. Throws std::runtime_error with a readable
  // reason (e.g. "cannot listen on 127.0.0.1:8000: Address already in use").
  void Start();

  // The port actually bound (useful with port 0). REQUIRES: Start() succeeded.
  std::uint16_t port() const;

  // Graceful stop: stops accepting, closes idle connections, lets requests in progress finish
  // (their responses carry "Connection: close") for up to `grace`, then closes everything and
  // joins the workers. Idempotent; call from any thread that is not a worker.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Blocks until SIGINT or SIGTERM arrives (or Stop() is called from another thread), then
  // Stop()s. Returns the signal number, or 0 when woken by Stop().
  int WaitForSignal();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cruddur::http
