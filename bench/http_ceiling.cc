// The honest HTTP ceiling for bench/run.sh: an HTTP/1.1 server on cruddur's own stack and
// threading model (Boost.Beast's parser over Asio; N workers, each with its own single-threaded
// io_context; one acceptor on worker 0 handing connections out round-robin; TCP_NODELAY;
// keep-alive and pipelining as HTTP/1.1 says) that answers every request for /<Operation> with
// the bytes cruddur answered to that operation's request, captured by bench/seed.py. It does no
// work of its own: the body is read and dropped, no header is kept, no JSON is parsed, no engine.
//
//   --stack bare     (default) the minimum: one async_read of the whole request, one write of
//                    precomputed bytes (status line, cruddur's header fields, body); no timers.
//   --stack cruddur  cruddur's own http::Server (src/http/server.h) with a handler that returns
//                    the captured answer: cruddur's HTTP layer without the engine.
//
// usage: http_ceiling [--host H] [--port P] [--threads N] [--stack bare|cruddur] CAPTURE_DIR
// CAPTURE_DIR holds <Operation> (the body) and <Operation>.headers (the header fields, one
// "Name: value" a line) for each operation. Prints "listening on http://H:P", serves until
// SIGINT or SIGTERM. --threads 0 (the default) is one worker per CPU, as `ddb serve --threads 0`.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/message.h"
#include "http/server.h"

namespace {

namespace asio = boost::asio;
namespace http = cruddur::http;
namespace beast = boost::beast;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// One operation's captured answer.
struct Answer {
  std::vector<std::pair<std::string, std::string>> fields;  // as cruddur sent them
  std::string body;
  std::string wire;  // the whole response as bytes: what the bare stack writes
};

// Target ("/PutItem") -> answer.
using Answers = std::map<std::string, Answer, std::less<>>;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Answers LoadAnswers(const fs::path& dir) {
  Answers answers;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".headers") continue;
    fs::path body_path = entry.path();
    body_path.replace_extension();
    Answer answer;
    answer.body = ReadFile(body_path);
    std::istringstream lines(ReadFile(entry.path()));
    std::string line;
    answer.wire = "HTTP/1.1 200 OK\r\n";
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      std::size_t colon = line.find(": ");
      if (colon == std::string::npos) throw std::runtime_error("bad field: " + line);
      answer.fields.emplace_back(line.substr(0, colon), line.substr(colon + 2));
      answer.wire += line + "\r\n";
      const auto& [name, value] = answer.fields.back();
      if (http::EqualsIgnoreCase(name, "Content-Length") &&
          value != std::to_string(answer.body.size())) {
        throw std::runtime_error(entry.path().string() + ": Content-Length is not the body's");
      }
      // The connection stays open: a captured "close" would make wrk reconnect every time.
      if (http::EqualsIgnoreCase(name, "Connection") &&
          !http::EqualsIgnoreCase(value, "keep-alive")) {
        throw std::runtime_error(entry.path().string() + ": captured 'Connection: " + value +
                                 "', not a keep-alive answer");
      }
    }
    answer.wire += "\r\n" + answer.body;
    answers.emplace("/" + body_path.filename().string(), std::move(answer));
  }
  if (answers.empty()) throw std::runtime_error("no <Operation>.headers in " + dir.string());
  return answers;
}

const std::string kNotFound = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

// --- the bare stack ---------------------------------------------------------------------------

// Keeps the request target only; every field and every body byte is dropped as it is parsed.
class TargetParser final : public beast::http::basic_parser<true> {
 public:
  std::string target;

 private:
  void on_request_impl(beast::http::verb, beast::string_view, beast::string_view t, int,
                       error_code&) override {
    target.assign(t.data(), t.size());
  }
  void on_response_impl(int, beast::string_view, int, error_code&) override {}
  void on_field_impl(beast::http::field, beast::string_view, beast::string_view,
                     error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(beast::string_view data, error_code&) override { return data.size(); }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data, error_code&) override {
    return data.size();
  }
  void on_finish_impl(error_code&) override {}
};

class BareConnection : public std::enable_shared_from_this<BareConnection> {
 public:
  BareConnection(tcp::socket socket, const Answers& answers)
      : socket_(std::move(socket)), answers_(answers) {}

  void Read() {
    parser_.emplace();
    parser_->body_limit(16 * 1024 * 1024);  // cruddur's limit; requests here are a few KB
    beast::http::async_read(socket_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->Close();
                              self->Write();
                            });
  }

 private:
  void Write() {
    auto it = answers_.find(parser_->target);
    const std::string& wire = it == answers_.end() ? kNotFound : it->second.wire;
    keep_alive_ = parser_->keep_alive();
    asio::async_write(socket_, asio::buffer(wire),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        if (ec || !self->keep_alive_) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  const Answers& answers_;
  beast::flat_buffer buffer_;
  std::optional<TargetParser> parser_;
  bool keep_alive_ = true;
};

class BareServer {
 public:
  BareServer(const std::string& host, std::uint16_t port, int threads, const Answers& answers)
      : answers_(answers) {
    for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<asio::io_context>(1));
    tcp::endpoint endpoint(asio::ip::make_address(host), port);
    acceptor_.emplace(*workers_[0], endpoint);
  }

  std::uint16_t port() const { return acceptor_->local_endpoint().port(); }

  // Serves until SIGINT or SIGTERM.
  void Run() {
    Accept();
    std::vector<std::thread> threads;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& ioc : workers_) {
      guards.emplace_back(ioc->get_executor());
      threads.emplace_back([&ioc] { ioc->run(); });
    }
    asio::io_context signal_ioc(1);
    asio::signal_set signals(signal_ioc, SIGINT, SIGTERM);
    signals.async_wait([](error_code, int) {});
    signal_ioc.run();
    for (auto& ioc : workers_) ioc->stop();
    for (std::thread& t : threads) t.join();
  }

 private:
  void Accept() {
    asio::io_context& target = *workers_[next_];
    next_ = (next_ + 1) % workers_.size();
    acceptor_->async_accept(target, [this, &target](error_code ec, tcp::socket socket) {
      if (!ec) {
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::post(target, [this, s = std::move(socket)]() mutable {
          std::make_shared<BareConnection>(std::move(s), answers_)->Read();
        });
      }
      Accept();
    });
  }

  const Answers& answers_;
  std::vector<std::unique_ptr<asio::io_context>> workers_;
  std::optional<tcp::acceptor> acceptor_;
  std::size_t next_ = 0;
};

// --- cruddur's HTTP layer ---------------------------------------------------------------------

http::Response CapturedResponse(const Answers& answers, const http::Request& request) {
  http::Response response;
  auto it = answers.find(request.target);
  if (it == answers.end()) {
    response.status = 404;
    return response;
  }
  for (const auto& [name, value] : it->second.fields) {
    // The server writes these itself, as it does for cruddur's handler.
    if (http::EqualsIgnoreCase(name, "Server") || http::EqualsIgnoreCase(name, "Date") ||
        http::EqualsIgnoreCase(name, "Content-Length") ||
        http::EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    response.headers.Add(name, value);
  }
  response.body = it->second.body;
  return response;
}

void RunCruddurStack(const std::string& host, std::uint16_t port, int threads,
                     const Answers& answers) {
  http::ServerOptions options;
  options.host = host;
  options.port = port;
  options.threads = threads;
  // What wire::DynamoDbHandler::Configure sets for `ddb serve`.
  options.server_header = "Server";
  options.announce_keep_alive = true;
  http::Server server(options, [&answers](const http::Request& request) {
    return CapturedResponse(answers, request);
  });
  server.CatchSignals();
  server.Start();
  std::printf("listening on http://%s:%u\n", host.c_str(), static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  server.WaitForSignal();
}

int Usage() {
  std::fprintf(stderr,
               "usage: http_ceiling [--host H] [--port P] [--threads N] [--stack bare|cruddur] "
               "CAPTURE_DIR\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", stack = "bare", dir;
  int port = 0, threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      host = argv[++i];
    } else if (arg == "--port" && has_value) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--threads" && has_value) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--stack" && has_value) {
      stack = argv[++i];
    } else if (!arg.starts_with("--") && dir.empty()) {
      dir = arg;
    } else {
      return Usage();
    }
  }
  if (dir.empty() || (stack != "bare" && stack != "cruddur") || port < 0 || port > 65535 ||
      threads < 0) {
    return Usage();
  }
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  try {
    const Answers answers = LoadAnswers(dir);
    if (stack == "cruddur") {
      RunCruddurStack(host, static_cast<std::uint16_t>(port), threads, answers);
      return 0;
    }
    BareServer server(host, static_cast<std::uint16_t>(port), threads, answers);
    std::printf("listening on http://%s:%u\n", host.c_str(), static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    server.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "http_ceiling: %s\n", e.what());
    return 1;
  }
  return 0;
}
