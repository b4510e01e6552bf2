#include "http/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <charconv>
#include <csignal>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cruddur::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

inline std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// Parses a request straight into a (reused) Request, avoiding Beast's field containers.
class RequestParser final : public beast::http::basic_parser<true> {
 public:
  RequestParser(Request& request, std::size_t body_limit)
      : request_(request), body_limit_(body_limit) {}

 private:
  void on_request_impl(beast::http::verb, beast::string_view method, beast::string_view target,
                       int version, error_code&) override {
    request_.method.assign(method.data(), method.size());
    request_.target.assign(target.data(), target.size());
    request_.version = version;
  }
  void on_response_impl(int, beast::string_view, int, error_code&) override {}
  void on_field_impl(beast::http::field, beast::string_view name, beast::string_view value,
                     error_code&) override {
    request_.headers.Add(View(name), View(value));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    if (length) request_.body.reserve(std::min<std::uint64_t>(*length, body_limit_));
  }
  std::size_t on_body_impl(beast::string_view data, error_code&) override {
    request_.body.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data, error_code&) override {
    request_.body.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(error_code&) override {}

  Request& request_;
  std::size_t body_limit_;
};

void AppendNumber(std::string& out, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  (void)ec;
  out.append(digits, end);
}

class Connection;

}  // namespace

// One io_context and its thread. Connections are registered here (touched only on this thread).
// Member order matters: `finished` and `connections` are declared before `ioc` so that they
// outlive the connections that ioc's destructor may still destroy.
struct Worker {
  std::atomic<bool> finished{false};  // run() returned; the thread no longer touches ioc
  std::list<Connection*> connections;
  asio::io_context ioc{1};
  asio::steady_timer sweeper{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;
};

// Everything the server shares with its connections (Server::Impl is this, by another name).
struct ServerCore {
  ServerOptions options;
  Handler handler;
  std::vector<std::unique_ptr<Worker>> workers;
  std::optional<tcp::acceptor> acceptor;  // lives on workers[0]
  std::size_t next_worker = 0;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::mutex stop_mutex;
  bool started = false;
  bool stopped = false;
  asio::io_context signal_ioc{1};
  Clock::duration sweep_interval{};

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
  }
  ~Connection() {
    worker_.connections.erase(registration_);
    // The last connection of a stopping server: stop the sweeper so that run() can return.
    if (!worker_.finished.load() && worker_.connections.empty() &&
        server_.stopping.load(std::memory_order_relaxed)) {
      worker_.sweeper.cancel();
    }
  }

  void Start() { ReadHeader(); }

  // Called by the sweeper: closes the connection when its deadline passed, or when the server
  // is stopping and the connection is between requests.
  void SweepAt(Clock::time_point now, bool stopping) {
    bool idle = (state_ == State::kWaiting && buffer_.size() == 0) || state_ == State::kDraining;
    if (now >= deadline_ || (stopping && idle)) Close();
  }

 private:
  enum class State { kWaiting, kReading, kWriting, kDraining };

  void Touch() { deadline_ = Clock::now() + server_.options.idle_timeout; }

  void ReadHeader() {
    if (server_.stopping.load(std::memory_order_relaxed) && buffer_.size() == 0) return Close();
    request_.Clear();
    // Do not keep a multi-megabyte buffer per connection after one large request.
    if (request_.body.capacity() > kKeepBodyCapacity) std::string().swap(request_.body);
    parser_.emplace(request_, server_.options.body_limit);
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(server_.options.header_limit);
    state_ = State::kWaiting;
    request_complete_ = false;
    Touch();
    beast::http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(error_code ec) {
    if (ec) return OnReadError(ec);
    state_ = State::kReading;
    if (parser_->is_done()) return Respond();
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

  void ReadBody() {
    Touch();
    beast::http::async_read(socket_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->OnReadError(ec);
                              self->Respond();
                            });
  }

  void OnReadError(error_code ec) {
    if (ec == beast::http::error::body_limit) {
      return Write(CallSafely(server_.options.on_too_large, 413), /*keep_alive=*/false);
    }
    if (ec == beast::http::error::header_limit) {
      return Write(Status(431), /*keep_alive=*/false);
    }
    // A malformed request deserves a 400; a closed or reset connection gets nothing.
    if (ec.category() ==
            beast::http::make_error_code(beast::http::error::end_of_stream).category() &&
        ec != beast::http::error::end_of_stream && ec != beast::http::error::partial_message) {
      return Write(Status(400), /*keep_alive=*/false);
    }
    Close();
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
      return Status(500);
    }
  }

  void Respond() {
    request_complete_ = true;
    bool keep_alive = parser_->keep_alive();
    Write(CallSafely(server_.handler, 404), keep_alive);
  }

  void Write(Response response, bool keep_alive) {
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
    for (const Headers::Field& field : response_.headers) {
      head_.append(field.name).append(": ").append(field.value).append("\r\n");
    }
    head_.append("Content-Length: ");
    AppendNumber(head_, response_.body.size());
    head_.append("\r\n");
    if (!keep_alive) {
      head_.append("Connection: close\r\n");
    } else if (request_.version == 10) {
      head_.append("Connection: keep-alive\r\n");
    }
    head_.append("\r\n");

    state_ = State::kWriting;
    Touch();
    std::array<asio::const_buffer, 2> buffers = {
        asio::buffer(head_), head_only ? asio::const_buffer() : asio::buffer(response_.body)};
    asio::async_write(socket_, buffers, [self = shared_from_this()](error_code ec, std::size_t) {
      self->OnWritten(ec);
    });
  }

  void OnWritten(error_code ec) {
    if (ec) return Close();
    if (keep_alive_) return ReadHeader();
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (request_complete_ || server_.stopping.load(std::memory_order_relaxed)) return Close();
    // The client may still be sending the rest of a rejected request: discard it until the
    // client closes, so that closing does not reset the connection before it read our answer.
    state_ = State::kDraining;
    Touch();
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
    error_code ignored;
    socket_.close(ignored);
  }

  static constexpr std::size_t kDrainSize = 16 * 1024;
  static constexpr std::size_t kKeepBodyCapacity = 1024 * 1024;

  ServerCore& server_;
  Worker& worker_;
  std::list<Connection*>::iterator registration_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  Request request_;
  Response response_;
  std::string head_;
  std::unique_ptr<char[]> drain_buffer_;
  State state_ = State::kWaiting;
  bool keep_alive_ = true;
  bool request_complete_ = false;  // the whole request was read (nothing left to drain)
  Clock::time_point deadline_{};
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
      socket.set_option(tcp::no_delay(true), ignored);
      asio::post(target.ioc, [this, &target, s = std::move(socket)]() mutable {
        std::make_shared<Connection>(*this, target, std::move(s))->Start();
      });
      Accept();
      return;
    }
    // Out of descriptors or similar: back off briefly instead of spinning.
    auto timer =
        std::make_shared<asio::steady_timer>(workers[0]->ioc, std::chrono::milliseconds(50));
    timer->async_wait([this, timer](error_code) {
      if (acceptor->is_open()) Accept();
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

void ServerCore::ScheduleSweep(Worker& worker) {
  worker.sweeper.expires_after(sweep_interval);
  worker.sweeper.async_wait([this, &worker](error_code ec) {
    if (ec) return;
    Sweep(worker);
    if (stopping.load() && worker.connections.empty()) return;  // let run() finish
    ScheduleSweep(worker);
  });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() { Stop(std::chrono::milliseconds(500)); }

std::uint16_t Server::port() const { return impl_->port; }

void Server::Start() {
  Impl& s = *impl_;
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
  auto fail = [&](const char* step) {
    throw std::runtime_error("cannot listen on " + where + ": " + ec.message() + " (" + step + ")");
  };
  if (s.acceptor->open(endpoint.protocol(), ec)) fail("socket");
  s.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (s.acceptor->bind(endpoint, ec)) fail("bind");
  if (s.acceptor->listen(asio::socket_base::max_listen_connections, ec)) fail("listen");
  s.port = s.acceptor->local_endpoint().port();

  auto timeout = std::chrono::duration_cast<Clock::duration>(s.options.idle_timeout);
  s.sweep_interval = std::clamp<Clock::duration>(timeout / 4, std::chrono::milliseconds(10),
                                                 std::chrono::seconds(1));
  s.Accept();
  for (auto& worker : s.workers) {
    worker->guard.emplace(worker->ioc.get_executor());
    s.ScheduleSweep(*worker);
    Worker* w = worker.get();
    worker->thread = std::thread([w] {
      for (;;) {
        try {
          w->ioc.run();
          break;
        } catch (...) {
          // Handlers catch their own errors; keep serving whatever escaped.
        }
      }
      w->finished.store(true);
    });
  }
  s.started = true;
}

void Server::Stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.stop_mutex);
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  s.signal_ioc.stop();

  asio::post(s.workers[0]->ioc, [&s] {
    error_code ignored;
    s.acceptor->close(ignored);
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

int Server::WaitForSignal() {
  Impl& s = *impl_;
  int received = 0;
  {
    asio::signal_set signals(s.signal_ioc, SIGINT, SIGTERM);
    signals.async_wait([&](error_code ec, int signal_number) {
      if (!ec) received = signal_number;
    });
    if (!s.stopping.load()) s.signal_ioc.run();
  }
  Stop();
  return received;
}

}  // namespace cruddur::http
