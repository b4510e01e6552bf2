#include "http/server.h"

#include <sys/resource.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <initializer_list>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/current_exception.h"
#include "common/thread_annotations.h"
#include "http/plain_request.h"
#include "log/log.h"

namespace cruddur::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

inline std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

void AppendNumber(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  (void)ec;
  out.append(digits, end);
}

// Appends the pieces with one capacity check (a head is a few dozen pieces per response).
void AppendPieces(std::string& out, std::initializer_list<std::string_view> pieces) {
  std::size_t at = out.size();
  std::size_t size = at;
  for (std::string_view piece : pieces) size += piece.size();
  out.resize(size);
  for (std::string_view piece : pieces) {
    std::memcpy(out.data() + at, piece.data(), piece.size());
    at += piece.size();
  }
}

// A connection's share of ServerOptions::body_budget, and how much of its body has arrived.
struct BodyMeter {
  static constexpr std::size_t kBodyAlwaysAdmitted = 64 * 1024;

  std::atomic<std::uint64_t>* in_flight = nullptr;  // the server's total
  std::size_t budget = 0;                           // 0: no budget
  std::size_t reserved = 0;                         // this connection's part of *in_flight
  std::size_t received = 0;                         // body bytes of the current request
  bool over_budget = false;                         // a chunked body outgrew the budget

  // The first kBodyAlwaysAdmitted bytes of a body are counted but never refused: small
  // requests (nearly all DynamoDB traffic) must not starve behind big ones, and a connection may
  // hold that much in its header buffer anyway.
  bool Reserve(std::size_t n) {
    bool small = reserved + n <= kBodyAlwaysAdmitted;
    std::uint64_t current = in_flight->load(std::memory_order_relaxed);
    do {
      if (!small && budget != 0 && (n > budget || current > budget - n)) return false;
    } while (!in_flight->compare_exchange_weak(current, current + n, std::memory_order_relaxed));
    reserved += n;
    return true;
  }
  void Release() {
    if (reserved != 0) in_flight->fetch_sub(reserved, std::memory_order_relaxed);
    reserved = 0;
  }
};

// Parses a request straight into a (reused) Request, avoiding Beast's field containers.
class RequestParser final : public beast::http::basic_parser<true> {
 public:
  RequestParser(Request& request, std::size_t body_limit, std::size_t header_limit,
                BodyMeter& meter)
      : request_(request), body_limit_(body_limit), header_limit_(header_limit), meter_(meter) {}

 private:
  void on_request_impl(beast::http::verb, beast::string_view method, beast::string_view target,
                       int version, error_code& ec) override {
    header_bytes_ = method.size() + target.size() + 12;  // "<method> <target> HTTP/1.1\r\n"
    if (header_bytes_ > header_limit_) ec = beast::http::error::header_limit;
    request_.method.assign(method.data(), method.size());
    request_.target.assign(target.data(), target.size());
    request_.version = version;
  }
  void on_response_impl(int, beast::string_view, int, error_code&) override {}
  void on_field_impl(beast::http::field, beast::string_view name, beast::string_view value,
                     error_code& ec) override {
    // Beast applies its header_limit to the bytes it has not consumed yet, and it consumes
    // complete fields as they arrive: many small fields sent in pieces would never reach it.
    header_bytes_ += name.size() + value.size() + 4;  // "<name>: <value>\r\n"
    if (header_bytes_ > header_limit_) {
      ec = beast::http::error::header_limit;
      return;
    }
    request_.headers.Add(View(name), View(value));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) request_.body.reserve(std::min<std::uint64_t>(*length, body_limit_));
  }
  std::size_t on_body_impl(beast::string_view data, error_code&) override {
    // (A Content-Length body was reserved whole when its header arrived.)
    meter_.received += data.size();
    request_.body.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data, error_code& ec) override {
    // Chunked bodies are reserved as they grow.
    if (!meter_.Reserve(data.size())) {
      meter_.over_budget = true;
      ec = beast::http::error::body_limit;
      return 0;
    }
    meter_.received += data.size();
    request_.body.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(error_code&) override {}

  Request& request_;
  std::size_t body_limit_;
  std::size_t header_limit_;
  std::size_t header_bytes_ = 0;  // the request line and fields so far
  BodyMeter& meter_;
};

Response OverloadedDefault(const Request&) {
  Response response;
  response.status = 503;
  response.headers.Add("Retry-After", "1");
  return response;
}

// The fields ServerOptions asks for on every response: Server and Date.
void AppendServerFields(std::string& out, const ServerOptions& options) {
  if (!options.server_header.empty()) {
    AppendPieces(out, {"Server: ", options.server_header, "\r\n"});
  }
  if (options.date_header) {
    // Formatted once a second per worker, not once per response.
    thread_local std::time_t formatted_at = -1;
    thread_local std::string date;
    std::time_t now = std::time(nullptr);
    if (now != formatted_at) {
      date = HttpDate(now);
      formatted_at = now;
    }
    AppendPieces(out, {"Date: ", date, "\r\n"});
  }
}

// What a connection over max_connections is told before it is closed.
std::string SerializeRefusal(const Response& response, const ServerOptions& options) {
  std::string out = "HTTP/1.1 ";
  AppendNumber(out, static_cast<std::size_t>(response.status));
  out.append(" ").append(ReasonPhrase(response.status)).append("\r\n");
  AppendServerFields(out, options);
  for (const Headers::Field& field : response.headers) {
    out.append(field.name).append(": ").append(field.value).append("\r\n");
  }
  out.append("Content-Length: ");
  AppendNumber(out, response.body.size());
  out.append("\r\nConnection: close\r\n\r\n").append(response.body);
  return out;
}

// min(10,000, the soft RLIMIT_NOFILE minus max(128, 1/8 of it)), at least 16.
std::size_t DefaultMaxConnections() {
  constexpr std::size_t kCap = 10000;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kCap;
  std::size_t soft = static_cast<std::size_t>(limit.rlim_cur);
  std::size_t headroom = std::max<std::size_t>(128, soft / 8);
  std::size_t usable = soft > headroom + 16 ? soft - headroom : 16;
  return std::min(usable, kCap);
}

class Connection;

}  // namespace

std::uint64_t RaiseOpenFileLimit() {
  constexpr rlim_t kMost = rlim_t{1} << 20;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  const rlim_t wanted = limit.rlim_max == RLIM_INFINITY ? kMost : std::min(limit.rlim_max, kMost);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? kMost : static_cast<std::uint64_t>(limit.rlim_cur);
}

// One io_context and its thread. Connections are registered here (touched only on this thread).
// Member order matters: `finished` and `connections` are declared before `ioc` so that they
// outlive the connections that ioc's destructor may still destroy.
struct Worker {
  std::atomic<bool> finished{false};  // run() returned; the thread no longer touches ioc
  std::list<Connection*> connections;
  asio::io_context ioc{1};
  asio::steady_timer sweeper{ioc};
  bool sweeping = false;  // the sweeper is armed: only while the worker has connections
  // Connections whose answer is ready, sent together once the handlers already queued (the
  // other requests that arrived meanwhile) have run: a client waiting for several answers is
  // not woken once for each (Connection::Write). After `sweeper`, so that the connections it
  // may still hold are destroyed while the sweeper exists.
  std::vector<std::shared_ptr<Connection>> unsent;
  bool turn_led = false;  // an answer went at once and its completion has not run yet
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;
};

// Everything the server shares with its connections (Server::Impl is this, by another name).
struct ServerCore {
  ServerOptions options;
  Handler handler;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;  // lives on workers[0]
  // Waits before the next accept after EMFILE/ENFILE; a member (not a handler-owned timer), so a
  // wait still pending at Stop() is cancelled and destroyed before workers[0]'s io_context.
  std::optional<asio::steady_timer> accept_backoff;
  std::size_t next_worker = 0;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  Mutex stop_mutex;  // Start() and Stop() one at a time
  bool started GUARDED_BY(stop_mutex) = false;
  bool stopped GUARDED_BY(stop_mutex) = false;
  asio::io_context signal_ioc{1};
  std::optional<asio::signal_set> signals;  // set by CatchSignals()
  std::chrono::milliseconds wait_tick_period{};
  std::function<void()> wait_tick;  // SetWaitTick()
  Clock::duration sweep_interval{};
  std::size_t max_connections = 0;  // resolved at Start()
  Response refusal;                 // the answer to a connection over max_connections

  // ServerStats' counters.
  std::atomic<std::uint64_t> open{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> accept_errors{0};
  std::atomic<std::uint64_t> timed_out_idle{0};
  std::atomic<std::uint64_t> timed_out_header{0};
  std::atomic<std::uint64_t> timed_out_body{0};
  std::atomic<std::uint64_t> overloaded{0};
  // BeforeAnswers' failures: one log line a second at most (a full disk fails every turn), with
  // how many turns' answers were held back since the last line.
  std::atomic<Clock::rep> held_back_logged{0};
  std::atomic<std::uint64_t> held_back_unlogged{0};
  std::atomic<std::uint64_t> body_in_flight{0};

  void Accept();
  void Sweep(Worker& worker);
  void ScheduleSweep(Worker& worker);
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerCore& server, Worker& worker, tcp::socket socket)
      : server_(server), worker_(worker), socket_(std::move(socket)) {
    registration_ = worker_.connections.insert(worker_.connections.end(), this);
    if (!worker_.sweeping) server_.ScheduleSweep(worker_);
    meter_.in_flight = &server_.body_in_flight;
    meter_.budget = server_.options.body_budget;
    error_code ec;
    tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec) {
      asio::ip::address address = peer.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {  // a dual-stack listener
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      }
      request_.remote_address = address.to_string();
    }
  }
  ~Connection() {
    meter_.Release();
    server_.open.fetch_sub(1, std::memory_order_relaxed);
    worker_.connections.erase(registration_);
    // The last connection of a stopping server: stop the sweeper so that run() can return.
    if (!worker_.finished.load() && worker_.connections.empty() &&
        server_.stopping.load(std::memory_order_relaxed)) {
      try {
        worker_.sweeper.cancel();
      } catch (...) {  // a destructor must not throw
        log::Error("http", "cannot stop the sweeper", {{"reason", CurrentExceptionWhat()}});
      }
    }
  }

  void Start() { ReadHeader(); }

  // Called by the sweeper: closes the connection when its deadline passed, or when the server
  // is stopping and the connection is between requests.
  void SweepAt(Clock::time_point now, bool stopping) {
    if (closed_) return;
    if (stopping && (state_ == State::kIdle || state_ == State::kDraining)) return Close();
    Clock::time_point deadline = deadline_;
    // A chunked body earns more time as it arrives.
    if (state_ == State::kBody) {
      deadline = body_start_ + BodyAllowance(std::max(declared_, meter_.received));
    }
    if (now < deadline) return;
    switch (state_) {
      case State::kIdle:
      case State::kWriting:
        server_.timed_out_idle.fetch_add(1, std::memory_order_relaxed);
        break;
      case State::kHeader:
        server_.timed_out_header.fetch_add(1, std::memory_order_relaxed);
        break;
      case State::kBody:
      case State::kDraining:
        server_.timed_out_body.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    Close();
  }

 private:
  // kIdle: waiting for a request's first byte (idle_timeout); kHeader: reading its headers
  // (header_timeout); kBody: reading its body (body allowance); kWriting: answering
  // (idle_timeout); kDraining: discarding the rest of a rejected request (body allowance).
  enum class State { kIdle, kHeader, kBody, kWriting, kDraining };

  Clock::duration BodyAllowance(std::size_t bytes) const {
    const ServerOptions& o = server_.options;
    Clock::duration allowance = o.body_timeout;
    if (o.body_min_rate > 0) {
      auto at_rate = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          static_cast<double>(bytes) / static_cast<double>(o.body_min_rate)));
      allowance = std::max(allowance, at_rate);
    }
    return allowance;
  }

  void ReadHeader() {
    if (server_.stopping.load(std::memory_order_relaxed) && buffer_.size() == 0) return Close();
    request_.Clear();
    // Do not keep a multi-megabyte buffer per connection after one large request.
    if (request_.body.capacity() > kKeepBodyCapacity) std::string().swap(request_.body);
    // Nor a 64 KB read buffer per idle connection (OnHeader grows it for a body).
    if (buffer_.size() == 0 && buffer_.capacity() > kIdleReadCapacity) buffer_.shrink_to_fit();
    meter_.Release();
    meter_.received = 0;
    meter_.over_budget = false;
    declared_ = 0;
    parser_.reset();  // made by StartHeader when the request is not plain
    request_complete_ = false;
    // Pipelined bytes already here: the next request has begun.
    if (buffer_.size() != 0) return StartHeader();
    state_ = State::kIdle;
    deadline_ = Clock::now() + server_.options.idle_timeout;
    // Wait for the first byte ourselves, so that header_timeout counts from it.
    socket_.async_read_some(buffer_.prepare(beast::read_size(buffer_, kReadSize)),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              if (ec) return self->Close();  // closed between requests
                              self->buffer_.commit(n);
                              self->StartHeader();
                            });
  }

  // Feeds the parser the bytes already buffered, as Beast's read operations do but without
  // their trip through the worker's queue (most requests arrive whole in the first read).
  // True when that completed the header (`whole`: the message); false when more bytes are
  // needed (ec clear) or the request is bad (ec set). `parsed` counts the bytes it consumed.
  bool ParseBuffered(bool whole, error_code& ec, std::size_t& parsed) {
    auto done = [&] { return whole ? parser_->is_done() : parser_->is_header_done(); };
    while (buffer_.size() != 0 && !done()) {
      std::size_t n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      parsed += n;
      if (ec == beast::http::error::need_more) {
        ec = {};
        return false;
      }
      if (ec || n == 0) return false;
    }
    return done();
  }

  void StartHeader() {
    state_ = State::kHeader;
    deadline_ = Clock::now() + server_.options.header_timeout;
    if (ReadPlain()) return;
    parser_.emplace(request_, server_.options.body_limit, server_.options.header_limit, meter_);
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(server_.options.header_limit);
    error_code ec;
    std::size_t header_bytes = 0;  // the header alone: put() stops where it ends
    if (ParseBuffered(/*whole=*/false, ec, header_bytes)) return OnHeader(ec, header_bytes);
    if (ec) return OnReadError(ec);
    beast::http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t header_bytes) {
          self->OnHeader(ec, header_bytes);
        });
  }

  // A whole plain request in the buffer (most are): read without Beast's parser, to the same
  // result (plain_request.h). False, with nothing consumed, for any other.
  bool ReadPlain() {
    bool keep_alive = false;
    std::size_t header_bytes = 0;
    const std::size_t taken =
        ReadPlainRequest({static_cast<const char*>(buffer_.data().data()), buffer_.size()},
                         server_.options.header_limit, server_.options.body_limit, request_,
                         &keep_alive, &header_bytes);
    if (taken == 0) return false;
    buffer_.consume(taken);
    state_ = State::kBody;
    declared_ = request_.body.size();
    if (declared_ != 0) {
      // The budget holds bodies being read and handled, whichever parser read them.
      if (!meter_.Reserve(declared_)) {
        Overloaded();
        return true;
      }
      meter_.received = declared_;
    }
    KeepRoomFor(header_bytes, 0, false);
    Respond(keep_alive);
    return true;
  }

  void OnHeader(error_code ec, std::size_t header_bytes) {
    if (ec) return OnReadError(ec);
    state_ = State::kBody;
    if (parser_->is_done()) return Respond(parser_->keep_alive());  // no clock read
    body_start_ = Clock::now();
    if (auto length = parser_->content_length()) {
      declared_ = static_cast<std::size_t>(*length);
      // Refuse up front rather than buffer a body the budget cannot hold.
      if (declared_ != 0 && !meter_.Reserve(declared_)) return Overloaded();
    }
    KeepRoomFor(header_bytes, declared_ - std::min(declared_, buffer_.size()), parser_->chunked());
    std::string_view expect = request_.headers.Get("Expect");
    if (!expect.empty() && EqualsIgnoreCase(expect, "100-continue") && buffer_.size() == 0) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](error_code ec, std::size_t) {
                          if (ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  // Grows the read buffer for the rest of a request whose header (of header_bytes) was read.
  // to_come: the body bytes not read yet; chunked: a chunked body, of no known size.
  void KeepRoomFor(std::size_t header_bytes, std::size_t to_come, bool chunked) {
    // Beast reads max(512, free capacity) bytes at a time and the parser consumes the body as it
    // arrives, so the 512-byte buffer of the first read would stay 512 bytes: a 64 KB body would
    // take 128 reads, each a trip through the worker's queue behind every other ready handler,
    // and on a busy worker the body allowance runs out before the client's bytes are read.
    // (Body bytes that came with the header are in the buffer already: room for the rest.)
    std::size_t room = buffer_.size() + (chunked ? kReadSize : std::min(to_come, kReadSize));
    // The idle read takes what the buffer holds: with room for a whole request like this one
    // (rounded up, as the next one may be a little longer), the next arrives in one read, not
    // two (a 3 KB TransactWriteItems, a 7 KB BatchWriteItem of 25 items, a PutItem over 512
    // bytes). Within what an idle connection keeps.
    if (std::size_t whole = header_bytes + declared_; !chunked && whole <= kIdleReadCapacity) {
      room = std::max(room, std::bit_ceil(whole));
    }
    if (buffer_.capacity() < room) buffer_.reserve(room);
  }

  void ReadBody() {
    error_code ec;
    std::size_t body_bytes = 0;
    if (ParseBuffered(/*whole=*/true, ec, body_bytes)) return Respond(parser_->keep_alive());
    if (ec) return OnReadError(ec);
    beast::http::async_read(socket_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->OnReadError(ec);
                              self->Respond(self->parser_->keep_alive());
                            });
  }

  void OnReadError(error_code ec) {
    if (closed_) return;
    if (meter_.over_budget) return Overloaded();
    if (ec == beast::http::error::body_limit) {
      return Write(CallSafely(server_.options.on_too_large, 413), /*keep_alive=*/false);
    }
    if (ec == beast::http::error::header_limit) {
      return Write(CallSafely(server_.options.on_header_too_large, 431), /*keep_alive=*/false);
    }
    // A malformed request deserves a 400; a closed or reset connection gets nothing.
    if (ec.category() ==
            beast::http::make_error_code(beast::http::error::end_of_stream).category() &&
        ec != beast::http::error::end_of_stream && ec != beast::http::error::partial_message) {
      return Write(Status(400), /*keep_alive=*/false);
    }
    Close();
  }

  // Out of body budget: the body is not read; the client is told to come back.
  void Overloaded() {
    server_.overloaded.fetch_add(1, std::memory_order_relaxed);
    meter_.Release();
    Response response;
    if (server_.options.on_overloaded) {
      response = CallSafely(server_.options.on_overloaded, 503);
    } else {
      response = OverloadedDefault(request_);
    }
    Write(std::move(response), /*keep_alive=*/false);
  }

  static Response Status(int status) {
    Response response;
    response.status = status;
    return response;
  }

  // Runs a handler; an escaping exception becomes a bare 500 rather than a dropped connection.
  Response CallSafely(const Handler& handler, int fallback_status) {
    if (!handler) return Status(fallback_status);
    try {
      return handler(request_);
    } catch (...) {
      log::Error("http", "handler failed, answering 500", {{"reason", CurrentExceptionWhat()}});
      return Status(500);
    }
  }

  void Respond(bool keep_alive) {
    request_complete_ = true;
    Write(CallSafely(server_.handler, 404), keep_alive);
  }

  void Write(Response response, bool keep_alive) {
    if (response.reset_connection) return Reset();
    response_ = std::move(response);
    if (server_.stopping.load(std::memory_order_relaxed)) keep_alive = false;
    keep_alive_ = keep_alive;
    bool head_only = request_.method == "HEAD";

    head_.clear();
    head_.append(request_.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    AppendNumber(head_, static_cast<std::size_t>(response_.status));
    head_.push_back(' ');
    head_.append(ReasonPhrase(response_.status));
    head_.append("\r\n");
    AppendServerFields(head_, server_.options);
    for (const Headers::Field& field : response_.headers) {
      AppendPieces(head_, {field.name, ": ", field.value, "\r\n"});
    }
    head_.append("Content-Length: ");
    AppendNumber(head_, response_.body.size());
    std::string_view connection = "\r\n\r\n";
    if (!keep_alive) {
      connection = "\r\nConnection: close\r\n\r\n";
    } else if (request_.version == 10 || server_.options.announce_keep_alive) {
      connection = "\r\nConnection: keep-alive\r\n\r\n";
    }
    head_.append(connection);

    head_only_ = head_only;
    state_ = State::kWriting;
    deadline_ = Clock::now() + server_.options.idle_timeout;
    // Each send to a client asleep in its poll wakes it, which costs the sender a cross-CPU
    // wakeup (most of a large request's kernel time under load). So the first answer of a turn
    // of the worker goes at once, and the answers after it, while that first send's completion
    // is still queued behind the turn's other handlers, go back to back once the turn is over:
    // the client is woken about twice a turn, not once an answer. A lone answer (one
    // connection) goes at once, as before, with nothing posted. With answers_together the first
    // answer waits too, so that before_answers runs once a turn.
    if (!worker_.turn_led && !server_.options.answers_together) {
      if (!BeforeAnswers(server_) && response_.needs_before_answers) return Reset();
      worker_.turn_led = true;
      leads_turn_ = true;
      return Send();
    }
    worker_.unsent.push_back(shared_from_this());
    if (worker_.unsent.size() == 1) {
      asio::post(worker_.ioc, [&worker = worker_, &server = server_] {
        SendUnsent(worker, BeforeAnswers(server));
      });
    }
  }

  // Linger 0: close() sends a RST, so the client sees its connection reset.
  void Reset() {
    error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    Close();
  }

  static bool BeforeAnswers(ServerCore& server) {
    if (!server.options.before_answers) return true;
    try {
      server.options.before_answers();
      return true;
    } catch (...) {
      const Clock::rep now = Clock::now().time_since_epoch().count();
      Clock::rep last = server.held_back_logged.load(std::memory_order_relaxed);
      const auto second = std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1));
      if ((last != 0 && now - last < second.count()) ||
          !server.held_back_logged.compare_exchange_strong(last, now)) {
        server.held_back_unlogged.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      log::Error("http", "answers held back: resetting their connections",
                 {{"reason", CurrentExceptionWhat()},
                  {"turns", server.held_back_unlogged.exchange(0) + 1}});
      return false;
    }
  }

  static void SendUnsent(Worker& worker, bool send) {
    std::vector<std::shared_ptr<Connection>> ready;
    ready.swap(worker.unsent);
    for (const std::shared_ptr<Connection>& connection : ready) {
      if (send || !connection->response_.needs_before_answers) {
        connection->Send();
      } else {
        connection->Reset();
      }
    }
    // Keep the vector's capacity for the next turn (nothing was queued while sending: a send's
    // completion is posted, never run inline).
    ready.clear();
    if (worker.unsent.empty()) worker.unsent.swap(ready);
  }

  void Send() {
    if (closed_) return EndTurn();
    std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head_), head_only_ ? asio::const_buffer() : asio::buffer(response_.body)};
    asio::async_write(socket_, buffers, [self = shared_from_this()](error_code ec, std::size_t) {
      self->OnWritten(ec);
    });
  }

  // The turn this connection's answer led is over: the next answer goes at once.
  void EndTurn() {
    if (!leads_turn_) return;
    leads_turn_ = false;
    worker_.turn_led = false;
  }

  void OnWritten(error_code ec) {
    EndTurn();
    if (ec) return Close();
    if (keep_alive_) return ReadHeader();
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (request_complete_ || server_.stopping.load(std::memory_order_relaxed)) return Close();
    // The client may still be sending the rest of a rejected request: discard it until the
    // client closes, so that closing does not reset the connection before it read our answer.
    // Bounded by the body allowance, so a rejected slow body does not linger either.
    state_ = State::kDraining;
    deadline_ = Clock::now() + BodyAllowance(declared_);
    Drain();
  }

  void Drain() {
    if (!drain_buffer_) drain_buffer_ = std::make_unique<char[]>(kDrainSize);
    socket_.async_read_some(asio::buffer(drain_buffer_.get(), kDrainSize),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
  }

  static constexpr std::size_t kDrainSize = 16 * 1024;
  static constexpr std::size_t kReadSize = 64 * 1024;
  // What a connection's read buffer keeps between requests: 16 KB holds most batch and
  // transaction requests whole (a second read and a reallocation per request otherwise), at
  // most 160 MB for 10,000 connections that all sent one.
  static constexpr std::size_t kIdleReadCapacity = 16 * 1024;
  static constexpr std::size_t kKeepBodyCapacity = 1024 * 1024;

  ServerCore& server_;
  Worker& worker_;
  std::list<Connection*>::iterator registration_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  BodyMeter meter_;
  std::optional<RequestParser> parser_;
  Request request_;
  Response response_;
  std::string head_;
  std::unique_ptr<char[]> drain_buffer_;
  State state_ = State::kIdle;
  bool keep_alive_ = true;
  bool head_only_ = false;         // the answer being written goes without its body (HEAD)
  bool leads_turn_ = false;        // that answer is the one that set worker_.turn_led
  bool request_complete_ = false;  // the whole request was read (nothing left to drain)
  bool closed_ = false;
  std::size_t declared_ = 0;  // the current request's Content-Length (0 when none)
  Clock::time_point deadline_{};
  Clock::time_point body_start_{};
};

}  // namespace

struct Server::Impl : ServerCore {};

void ServerCore::Accept() {
  Worker& target = *workers[next_worker];
  next_worker = (next_worker + 1) % workers.size();
  acceptor->async_accept(target.ioc, [this, &target](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      error_code ignored;
      if (open.load(std::memory_order_relaxed) >= max_connections) {
        // Over the limit: answer at once without blocking (the refusal fits any fresh socket's
        // send buffer) and close, so that the accept queue keeps moving.
        refused.fetch_add(1, std::memory_order_relaxed);
        socket.non_blocking(true, ignored);
        std::string bytes = SerializeRefusal(refusal, options);
        socket.write_some(asio::buffer(bytes), ignored);
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        Accept();
        return;
      }
      open.fetch_add(1, std::memory_order_relaxed);
      accepted.fetch_add(1, std::memory_order_relaxed);
      socket.set_option(tcp::no_delay(true), ignored);
      asio::post(target.ioc, [this, &target, s = std::move(socket)]() mutable {
        std::make_shared<Connection>(*this, target, std::move(s))->Start();
      });
      Accept();
      return;
    }
    // Out of descriptors (EMFILE, ENFILE) or similar: back off briefly instead of spinning; the
    // connections wait in the listen queue meanwhile.
    accept_errors.fetch_add(1, std::memory_order_relaxed);
    accept_backoff->expires_after(std::chrono::milliseconds(50));
    accept_backoff->async_wait([this](error_code ec) {
      if (!ec && acceptor->is_open()) Accept();
    });
  });
}

void ServerCore::Sweep(Worker& worker) {
  bool stop = stopping.load(std::memory_order_relaxed);
  Clock::time_point now = Clock::now();
  // Closing only cancels pending operations; connections unregister later, from their handlers,
  // so iterating over a copy is not needed.
  for (Connection* connection : worker.connections) connection->SweepAt(now, stop);
}

// Armed by a worker's first connection and kept while it has any: an idle server's workers are
// not woken every interval (and a stopping worker's run() can finish).
void ServerCore::ScheduleSweep(Worker& worker) {
  worker.sweeping = true;
  worker.sweeper.expires_after(sweep_interval);
  worker.sweeper.async_wait([this, &worker](error_code ec) {
    if (!ec) Sweep(worker);
    if (ec || worker.connections.empty()) {
      worker.sweeping = false;
      return;
    }
    ScheduleSweep(worker);
  });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() {
  try {
    Stop(std::chrono::milliseconds(500));
  } catch (...) {  // a destructor must not throw
    log::Error("http", "stopping the server failed", {{"reason", CurrentExceptionWhat()}});
  }
}

std::uint16_t Server::port() const { return impl_->port; }

std::size_t Server::max_connections() const { return impl_->max_connections; }

ServerStats Server::stats() const {
  const Impl& s = *impl_;
  auto get = [](const std::atomic<std::uint64_t>& n) { return n.load(std::memory_order_relaxed); };
  ServerStats stats;
  stats.connections_open = get(s.open);
  stats.connections_accepted = get(s.accepted);
  stats.connections_refused = get(s.refused);
  stats.accept_errors = get(s.accept_errors);
  stats.timed_out_idle = get(s.timed_out_idle);
  stats.timed_out_header = get(s.timed_out_header);
  stats.timed_out_body = get(s.timed_out_body);
  stats.requests_overloaded = get(s.overloaded);
  stats.body_bytes_in_flight = get(s.body_in_flight);
  return stats;
}

void Server::Start() {
  Impl& s = *impl_;
  MutexLock lock(s.stop_mutex);
  if (s.started) throw std::logic_error("Server::Start called twice");
  int threads = s.options.threads > 0 ? s.options.threads
                                      : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(threads, 1);
  for (int i = 0; i < threads; ++i) s.workers.push_back(std::make_unique<Worker>());

  std::string where = s.options.host + ":" + std::to_string(s.options.port);
  error_code ec;
  asio::ip::address address = asio::ip::make_address(s.options.host, ec);
  if (ec) {
    tcp::resolver resolver(s.workers[0]->ioc);
    auto results = resolver.resolve(s.options.host, std::to_string(s.options.port), ec);
    if (ec || results.empty()) {
      throw std::runtime_error("cannot listen on " + where + ": cannot resolve host '" +
                               s.options.host + "'");
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.emplace(s.workers[0]->ioc);
  s.accept_backoff.emplace(s.workers[0]->ioc);
  auto fail = [&](const char* step) {
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() + " (" + step + ")");
  };
  if (s.acceptor->open(endpoint.protocol(), ec)) fail("socket");
  s.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (s.acceptor->bind(endpoint, ec)) fail("bind");
  if (s.acceptor->listen(asio::socket_base::max_listen_connections, ec)) fail("listen");
  s.port = s.acceptor->local_endpoint().port();

  s.max_connections =
      s.options.max_connections > 0 ? s.options.max_connections : DefaultMaxConnections();
  {
    Request empty;
    try {
      s.refusal =
          s.options.on_overloaded ? s.options.on_overloaded(empty) : OverloadedDefault(empty);
    } catch (...) {
      log::Error("http", "on_overloaded failed, using the default 503",
                 {{"reason", CurrentExceptionWhat()}});
      s.refusal = OverloadedDefault(empty);
    }
  }

  // The sweeper's period bounds how late a timeout is noticed: a quarter of the shortest one.
  auto shortest = std::chrono::duration_cast<Clock::duration>(
      std::min({s.options.idle_timeout, s.options.header_timeout, s.options.body_timeout}));
  s.sweep_interval = std::clamp<Clock::duration>(shortest / 4, std::chrono::milliseconds(10),
                                                 std::chrono::seconds(1));
  s.Accept();
  for (auto& worker : s.workers) {
    worker->guard.emplace(worker->ioc.get_executor());
    Worker* w = worker.get();
    worker->thread = std::thread([w] {
      for (;;) {
        try {
          w->ioc.run();
          break;
        } catch (...) {
          // Handlers catch their own errors; keep serving whatever escaped, but say what it was.
          log::Error("http", "worker kept serving after an error",
                     {{"reason", CurrentExceptionWhat()}});
        }
      }
      w->finished.store(true);
    });
  }
  s.started = true;
}

void Server::Stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  MutexLock lock(s.stop_mutex);
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  s.signal_ioc.stop();

  asio::post(s.workers[0]->ioc, [&s] {
    error_code ignored;
    s.acceptor->close(ignored);
    s.accept_backoff->cancel();
  });
  for (auto& worker : s.workers) {
    Worker* w = worker.get();
    asio::post(w->ioc, [&s, w] {
      w->guard.reset();
      s.Sweep(*w);
      if (w->connections.empty()) w->sweeper.cancel();
    });
  }
  Clock::time_point deadline = Clock::now() + grace;
  for (auto& worker : s.workers) {
    while (!worker->finished.load() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  for (auto& worker : s.workers) {
    worker->ioc.stop();
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void Server::SetWaitTick(std::chrono::milliseconds period, std::function<void()> tick) {
  impl_->wait_tick_period = period;
  impl_->wait_tick = std::move(tick);
}

void Server::CatchSignals() {
  Impl& s = *impl_;
  if (!s.signals) s.signals.emplace(s.signal_ioc, SIGINT, SIGTERM);
}

int Server::WaitForSignal() {
  Impl& s = *impl_;
  int received = 0;
  CatchSignals();
  std::optional<asio::steady_timer> tick_timer;
  std::function<void()> arm_tick = [&] {
    tick_timer->expires_after(s.wait_tick_period);
    tick_timer->async_wait([&](error_code ec) {
      if (ec) return;
      s.wait_tick();
      arm_tick();
    });
  };
  if (s.wait_tick) {
    tick_timer.emplace(s.signal_ioc);
    arm_tick();
  }
  s.signals->async_wait([&](error_code ec, int signal_number) {
    if (!ec) received = signal_number;
    if (tick_timer) tick_timer->cancel();  // else the timer keeps run() from returning
  });
  if (!s.stopping.load()) s.signal_ioc.run();
  tick_timer.reset();
  s.signals.reset();
  Stop();
  return received;
}

}  // namespace cruddur::http
