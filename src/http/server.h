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
  // The request line and header fields together; bigger get on_header_too_large's answer.
  std::uint32_t header_limit = 64 * 1024;

  // Written on every response, the server's own answers (413, 431, 400, 503) included:
  // "Server: <server_header>" when it is not empty, and "Date: <IMF-fixdate>" (RFC 9110 asks
  // an origin server with a clock to send it) unless date_header is false. Handlers leave
  // both out.
  std::string server_header;
  bool date_header = true;
  // Also write "Connection: keep-alive" on HTTP/1.1 responses that keep the connection (which
  // HTTP/1.1 implies; some services, DynamoDB among them, say it anyway).
  bool announce_keep_alive = false;

  // Open connections at most; 0 means min(10,000, RLIMIT_NOFILE's soft limit minus 1/8 of it,
  // at least 128, kept for files and the engine). A connection beyond it is accepted, answered
  // with on_overloaded's answer (computed once, at Start(), from an empty Request) and closed at
  // once, so the accept queue keeps moving and the clients already connected keep being served.
  std::size_t max_connections = 0;

  // Timeouts; a connection that misses one is closed (and counted in ServerStats):
  // - idle_timeout: waiting for the first byte of the next request (keep-alive), and writing a
  //   response. 60 s: SDKs keep pooled connections (the AWS Java SDK evicts them after 60 s of
  //   idleness; botocore/urllib3 check for a closed socket before reusing one), so a long wait
  //   saves reconnects, and an idle connection costs only a descriptor and a few KB.
  // - header_timeout: from the first byte of a request until its headers are complete
  //   (slowloris). Real clients send their headers in one write.
  // - body: the whole body within max(body_timeout, size / body_min_rate) from the end of the
  //   headers; for a chunked body `size` is what has arrived so far, so a client sending at
  //   body_min_rate or faster is never cut off. Also bounds discarding a rejected body.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds body_timeout = std::chrono::seconds(10);
  std::size_t body_min_rate = 64 * 1024;  // bytes per second

  // Request bodies buffered at once, across all connections. A request whose Content-Length does
  // not fit in what is left (or a chunked body that grows past it) gets on_overloaded's answer
  // instead of being buffered. The first 64 KB of any body is always admitted (and counted), so
  // that small requests are never refused because of big ones. 0 means no budget.
  std::size_t body_budget = 256 * 1024 * 1024;

  // Answers a request whose body is over body_limit; it sees the method, target and headers
  // (the body is empty). The connection is closed afterwards. Default: an empty 413.
  Handler on_too_large;
  // Answers a request whose request line and headers are over header_limit; it sees whatever
  // was parsed before the limit (often nothing). The connection is closed afterwards.
  // Default: an empty 431.
  Handler on_header_too_large;
  // Runs on a worker before answers leave it: before a turn's first answer, and once before the
  // answers of the same turn that follow it (Connection::Write batches them). When it throws,
  // those answers are not sent and their connections are reset, so a client sees no answer
  // rather than one the server could not stand by (but for answers that do not need it:
  // Response::needs_before_answers). The DynamoDB endpoint makes the writes its
  // answers acknowledge survive a crash here: one WAL write for many answers.
  std::function<void()> before_answers;
  // Every answer of a turn waits for the turn's end and leaves with the others, the first one
  // too (it goes at once otherwise, see Connection::Write): before_answers runs once a turn. For
  // a before_answers that costs more than the clients' wait for the turn to end (a sync to the
  // disk: `ddb serve --fsync`).
  bool answers_together = false;

  // Answers a request refused for want of resources (body_budget; with an empty Request, the
  // connections over max_connections). The connection is closed afterwards. Clients should
  // retry, so make it a 5xx. Default: an empty 503 with "Retry-After: 1".
  Handler on_overloaded;
};

// Counters since Start(), for tests and monitoring (a consistent-enough snapshot: each counter
// is read atomically, not all of them at once).
struct ServerStats {
  std::uint64_t connections_open = 0;      // served connections open now
  std::uint64_t connections_accepted = 0;  // served (not refused)
  std::uint64_t connections_refused = 0;   // over max_connections
  std::uint64_t accept_errors = 0;         // accept() failed (EMFILE, ENFILE, ...)
  std::uint64_t timed_out_idle = 0;        // idle_timeout between requests or while writing
  std::uint64_t timed_out_header = 0;      // header_timeout
  std::uint64_t timed_out_body = 0;        // body timeout / minimum rate (or discarding)
  std::uint64_t requests_overloaded = 0;   // answered on_overloaded for body_budget
  std::uint64_t body_bytes_in_flight = 0;  // reserved from body_budget now
  std::uint64_t timed_out() const { return timed_out_idle + timed_out_header + timed_out_body; }
};

// Raises the process's soft RLIMIT_NOFILE to its hard limit (at most 1,048,576), as servers
// commonly do: the soft limit is often 1024, which would cap max_connections near 900 and leave
// the storage's files (RocksDB keeps its table files open) to share what remains. Call before
// opening storage and Start(). Returns the soft limit in force (unchanged when it cannot be
// raised).
std::uint64_t RaiseOpenFileLimit();

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

  // The counters; callable from any thread, before, during or after Start().
  ServerStats stats() const;

  // The connection limit in force (max_connections, or the one derived from RLIMIT_NOFILE).
  // REQUIRES: Start() succeeded.
  std::size_t max_connections() const;

  // Graceful stop: stops accepting, closes idle connections, lets requests in progress finish
  // (their responses carry "Connection: close") for up to `grace`, then closes everything and
  // joins the workers. Idempotent; call from any thread that is not a worker.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Blocks until SIGINT or SIGTERM arrives (or Stop() is called from another thread), then
  // Stop()s. Returns the signal number, or 0 when woken by Stop().
  int WaitForSignal();
  // While WaitForSignal() waits, runs `tick` on its thread every `period`: housekeeping that
  // must stay off the workers (e.g. releasing memory once the server idles). Call before
  // WaitForSignal(); not thread-safe.
  void SetWaitTick(std::chrono::milliseconds period, std::function<void()> tick);
  // From now on SIGINT and SIGTERM are kept for WaitForSignal() instead of ending the process:
  // call it before announcing the server, so a signal sent right after the announcement still
  // stops it gracefully. Not thread-safe; WaitForSignal() calls it too.
  void CatchSignals();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cruddur::http
