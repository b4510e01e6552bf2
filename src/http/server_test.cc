#include "http/server.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/server_test_util.h"

namespace cruddur::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// A blocking Beast client on one connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  bhttp::response<bhttp::string_body> Send(
      bhttp::verb method, const std::string& target, const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    bhttp::request<bhttp::string_body> request(method, target, 11);
    request.set(bhttp::field::host, "127.0.0.1");
    for (auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    bhttp::write(socket_, request);
    return Read();
  }

  bhttp::response<bhttp::string_body> Read() {
    bhttp::response<bhttp::string_body> response;
    bhttp::read(socket_, buffer_, response);
    return response;
  }

  // The answer to a HEAD request: its header only (a body is not expected).
  bhttp::response<bhttp::empty_body> ReadHeadAnswer() {
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }

  void WriteRaw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // Writes without throwing; false once the server closed the connection.
  bool TryWriteRaw(const std::string& bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    return !ec;
  }

  // True when the server closed the connection within `wait` (a read sees EOF or a reset);
  // any bytes the server sent are skipped.
  bool ClosedWithin(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    socket_.non_blocking(true);
    char bytes[4096];
    bool closed = false;
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      socket_.read_some(asio::buffer(bytes), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (ec) {
        closed = true;
        break;
      }
    }
    socket_.non_blocking(false);
    return closed;
  }

  // True when the server closed the connection (a read sees EOF or a reset).
  bool ServerClosed() {
    char byte;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

Response Echo(const Request& request) {
  Response response;
  if (request.target == "/throw") throw std::runtime_error("boom");
  response.headers.Add("Content-Type", "text/plain");
  response.headers.Add("X-Method", request.method);
  response.headers.Add("X-Seen-Test", request.headers.Get("x-test"));
  response.headers.Add("X-Remote-Address", request.remote_address);
  response.body = request.target + "|" + request.body;
  return response;
}

// A hook answering every request with `status`, `body` and, when given, a Content-Type.
Handler FixedAnswer(int status, const std::string& body, const std::string& content_type = "") {
  return [=](const Request&) {
    Response response;
    response.status = status;
    if (!content_type.empty()) response.headers.Add("Content-Type", content_type);
    response.body = body;
    return response;
  };
}

// A started Server answering with Echo (stopped by ~Server).
class EchoServer : public Server {
 public:
  explicit EchoServer(ServerOptions options = TestOptions()) : Server(std::move(options), Echo) {
    Start();
  }
};

TEST(HttpServer, PortZeroPicksAFreePortAndServes) {
  EchoServer server;
  ASSERT_NE(server.port(), 0);
  Client client(server.port());
  auto response = client.Send(bhttp::verb::post, "/hello", "payload", {{"X-Test", "yes"}});
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "/hello|payload");
  EXPECT_EQ(response["X-Method"], "POST");
  EXPECT_EQ(response["X-Seen-Test"], "yes");  // header lookup ignores case
  EXPECT_EQ(response["Content-Type"], "text/plain");
  EXPECT_EQ(response["X-Remote-Address"], "127.0.0.1");  // the client's address
}

TEST(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  EchoServer server;
  Client client(server.port());
  for (int i = 0; i < 20; ++i) {
    auto response = client.Send(bhttp::verb::get, "/n" + std::to_string(i));
    ASSERT_EQ(response.body(), "/n" + std::to_string(i) + "|");
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  EchoServer server;
  Client client(server.port());
  client.WriteRaw(
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree");
  EXPECT_EQ(client.Read().body(), "/a|one");
  EXPECT_EQ(client.Read().body(), "/b|");
  EXPECT_EQ(client.Read().body(), "/c|three");
}

// The read buffer keeps room for a whole request like the last one (up to 16 KB): bodies of
// every size around that, one after another and pipelined, must each come out whole.
TEST(HttpServer, BodiesAroundTheKeptBufferSizeAreReadWhole) {
  EchoServer server;
  Client client(server.port());
  for (std::size_t size : {100, 3000, 3100, 2900, 4000, 4096, 5000, 3000, 10, 70000, 3000, 7000,
                           16000, 16384, 16500, 8000, 10}) {
    std::string body(size, static_cast<char>('a' + size % 26));
    ASSERT_EQ(client.Send(bhttp::verb::post, "/s", body).body(), "/s|" + body);
  }
  std::string first(3000, 'p'), second(3500, 'q');
  client.WriteRaw("POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n" + first +
                  "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3500\r\n\r\n" + second);
  EXPECT_EQ(client.Read().body(), "/1|" + first);
  EXPECT_EQ(client.Read().body(), "/2|" + second);
}

// A request is parsed at once from what the first read brought when it is all there, and
// otherwise read on: a header cut mid-field, a body cut after its first bytes (parsed from the
// buffer, then read), and a whole request after it in the same piece are each answered right.
TEST(HttpServer, RequestArrivingInPiecesIsAssembled) {
  EchoServer server;
  Client client(server.port());
  client.WriteRaw("POST /p HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  client.WriteRaw("st: x\r\nContent-Length: 11\r\n\r\nhal");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  client.WriteRaw("f a bodyGET /q HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "/p|half a body");
  EXPECT_EQ(client.Read().body(), "/q|");
}

TEST(HttpServer, ChunkedRequestBodyIsAssembled) {
  EchoServer server;
  Client client(server.port());
  client.WriteRaw(
      "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "/chunked|abcdefg");
}

TEST(HttpServer, ConnectionCloseIsHonoured) {
  EchoServer server;
  Client client(server.port());
  auto response = client.Send(bhttp::verb::get, "/", "", {{"Connection", "close"}});
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServer, Http10ClosesUnlessKeepAliveAsked) {
  EchoServer server;
  Client client(server.port());
  client.WriteRaw("GET /old HTTP/1.0\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.version(), 10);
  EXPECT_EQ(response.body(), "/old|");
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServer, HandlerExceptionBecomes500AndConnectionSurvives) {
  EchoServer server;
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/throw").result_int(), 500);
  EXPECT_EQ(client.Send(bhttp::verb::get, "/after").body(), "/after|");
}

TEST(HttpServer, BodyOverLimitGetsTheTooLargeAnswer) {
  ServerOptions options = TestOptions();
  options.body_limit = 1024;
  options.on_too_large = [](const Request& request) {
    Response response;
    response.status = 413;
    response.body = "too large: " + request.target;
    return response;
  };
  EchoServer server(options);
  {
    Client client(server.port());
    auto ok = client.Send(bhttp::verb::post, "/fits", std::string(1024, 'x'));
    EXPECT_EQ(ok.result_int(), 200);
    auto response = client.Send(bhttp::verb::post, "/big", std::string(4096, 'x'));
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_EQ(response.body(), "too large: /big");
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(client.ServerClosed());
  }
  {
    // Rejected from the Content-Length alone, before the body is sent.
    Client client(server.port());
    client.WriteRaw("POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
    auto response = client.Read();
    EXPECT_EQ(response.result_int(), 413);
    EXPECT_EQ(response.body(), "too large: /huge");
  }
  {
    // Chunked bodies are counted as they arrive.
    Client client(server.port());
    client.WriteRaw("POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    std::string("800\r\n") + std::string(2048, 'y') + "\r\n");
    EXPECT_EQ(client.Read().result_int(), 413);
  }
}

TEST(HttpServer, DefaultTooLargeAnswerIsA413) {
  ServerOptions options = TestOptions();
  options.body_limit = 10;
  EchoServer server(options);
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::post, "/", std::string(11, 'x')).result_int(), 413);
}

TEST(HttpServer, MalformedRequestGets400) {
  EchoServer server;
  Client client(server.port());
  client.WriteRaw("NOT A REQUEST\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 400);
}

TEST(HttpServer, OversizedHeadersGetTheHeaderTooLargeAnswer) {
  ServerOptions options = TestOptions();
  options.header_limit = 1024;
  EchoServer server(options);
  {
    Client client(server.port());  // just under the limit: served
    EXPECT_EQ(
        client.Send(bhttp::verb::get, "/", "", {{"X-Big", std::string(800, 'a')}}).result_int(),
        200);
  }
  {
    Client client(server.port());  // default answer: 431, connection closed
    client.WriteRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
    auto response = client.Read();
    EXPECT_EQ(response.result_int(), 431);
    EXPECT_FALSE(response.keep_alive());
  }
}

TEST(HttpServer, OversizedRequestLineOrHeadersUseTheHook) {
  ServerOptions options = TestOptions();
  options.header_limit = 1024;
  options.on_header_too_large = FixedAnswer(400, "too big");
  EchoServer server(options);
  std::vector<std::string> requests = {
      // A long request line (the target alone is over the limit).
      "GET /" + std::string(2000, 'x') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      // Many small fields.
      [] {
        std::string r = "GET / HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 100; ++i) r += "X-F" + std::to_string(i) + ": 0123456789\r\n";
        return r + "\r\n";
      }()};
  for (const std::string& request : requests) {
    Client client(server.port());
    client.WriteRaw(request);
    auto response = client.Read();
    EXPECT_EQ(response.result_int(), 400);
    EXPECT_EQ(response.body(), "too big");
    EXPECT_FALSE(response.keep_alive());
  }
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110, 5.6.7), within a few seconds of now.
void ExpectCurrentHttpDate(std::string_view value) {
  ASSERT_EQ(value.size(), 29u) << value;
  std::time_t now = std::time(nullptr);
  bool near = false;
  for (std::time_t t = now - 5; t <= now + 1; ++t) near = near || value == HttpDate(t);
  EXPECT_TRUE(near) << value;
}

TEST(HttpServer, ServerAndDateFieldsOnEveryAnswer) {
  ServerOptions options = TestOptions();
  options.server_header = "Server";
  options.body_limit = 16;
  options.header_limit = 1024;
  EchoServer server(options);
  Client client(server.port());
  auto ok = client.Send(bhttp::verb::get, "/");
  EXPECT_EQ(ok["Server"], "Server");
  ExpectCurrentHttpDate(ok["Date"]);
  EXPECT_EQ(ok.count(bhttp::field::connection), 0u);  // HTTP/1.1 keep-alive goes unsaid
  auto too_large = client.Send(bhttp::verb::post, "/", std::string(17, 'x'));
  EXPECT_EQ(too_large.result_int(), 413);
  EXPECT_EQ(too_large["Server"], "Server");
  ExpectCurrentHttpDate(too_large["Date"]);
  Client second(server.port());
  second.WriteRaw("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  auto header_too_large = second.Read();
  EXPECT_EQ(header_too_large.result_int(), 431);
  EXPECT_EQ(header_too_large["Server"], "Server");
  ExpectCurrentHttpDate(header_too_large["Date"]);
}

TEST(HttpServer, NoServerFieldUnlessAskedAndDateCanBeTurnedOff) {
  ServerOptions options = TestOptions();
  options.date_header = false;
  options.announce_keep_alive = true;
  EchoServer server(options);
  Client client(server.port());
  auto response = client.Send(bhttp::verb::get, "/");
  EXPECT_EQ(response.count(bhttp::field::server), 0u);
  EXPECT_EQ(response.count(bhttp::field::date), 0u);
  EXPECT_EQ(response["Connection"], "keep-alive");
  EXPECT_EQ(client.Send(bhttp::verb::get, "/again").body(), "/again|");
}

TEST(HttpDate, IsTheImfFixdate) {
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(HttpDate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(HttpServer, ExpectContinueIsAnswered) {
  EchoServer server;
  Client client(server.port());
  client.WriteRaw(
      "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto first = client.Read();
  EXPECT_EQ(first.result_int(), 100);
  client.WriteRaw("body");
  EXPECT_EQ(client.Read().body(), "/e|body");
}

TEST(HttpServer, ConcurrentClients) {
  ServerOptions options = TestOptions();
  options.threads = 3;
  std::atomic<int> calls{0};
  Server server(options, [&](const Request& request) {
    calls.fetch_add(1);
    return Echo(request);
  });
  server.Start();
  constexpr int kClients = 12;
  constexpr int kRequests = 100;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(server.port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body = std::to_string(c) + ":" + std::to_string(i);
        if (client.Send(bhttp::verb::post, "/c", body).body() == "/c|" + body) good.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
  EXPECT_EQ(calls.load(), kClients * kRequests);
}

// Requests of several connections ready in the same turn of one worker: the first answer goes
// at once, the others after the turn (Connection::Write); each must still reach its own
// connection whole, a HEAD answer without its body, a Connection: close answer then a close.
TEST(HttpServer, AnswersOfOneTurnEachReachTheirConnection) {
  ServerOptions options = TestOptions();
  options.threads = 1;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Server server(options, [&](const Request& request) {
    if (request.target == "/hold") released.wait();  // the others queue up meanwhile
    return Echo(request);
  });
  server.Start();
  Client holder(server.port());
  holder.WriteRaw("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nh");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the worker is in the handler
  constexpr int kPosts = 6;
  std::vector<std::unique_ptr<Client>> posts;
  for (int i = 0; i < kPosts; ++i) {
    posts.push_back(std::make_unique<Client>(server.port()));
    std::string body(1000 * (i + 1), static_cast<char>('a' + i));
    posts.back()->WriteRaw("POST /p" + std::to_string(i) +
                           " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  Client head(server.port());
  head.WriteRaw("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
  Client closing(server.port());
  closing.WriteRaw("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all of them have arrived
  release.set_value();

  EXPECT_EQ(holder.Read().body(), "/hold|h");
  for (int i = 0; i < kPosts; ++i) {
    std::string body(1000 * (i + 1), static_cast<char>('a' + i));
    EXPECT_EQ(posts[i]->Read().body(), "/p" + std::to_string(i) + "|" + body);
  }
  auto head_answer = head.ReadHeadAnswer();
  EXPECT_EQ(head_answer[bhttp::field::content_length], "3");  // of "/h|", not sent
  EXPECT_EQ(head_answer["X-Method"], "HEAD");
  EXPECT_EQ(head.Send(bhttp::verb::get, "/next").body(), "/next|");  // no stray body bytes
  EXPECT_EQ(closing.Read().body(), "/c|");
  EXPECT_TRUE(closing.ServerClosed());
  // Every connection is still served afterwards (none is left waiting for a turn to end).
  for (int i = 0; i < kPosts; ++i) {
    EXPECT_EQ(posts[i]->Send(bhttp::verb::post, "/again", "x").body(), "/again|x");
  }
}

// One worker's turn of several answers: kPosts keep-alive connections and a holder, each
// answered once first (each alone in its turn: a new connection waits for the worker to accept
// it, so its request would start a turn of its own); then Run() holds the worker in the holder's
// handler while every other connection sends a POST, and releases it: the worker answers all of
// them in one turn. `handled` counts the handlers that have run.
class HeldTurn {
 public:
  static constexpr int kPosts = 6;
  HeldTurn(ServerOptions options, std::atomic<int>& handled) {
    options.threads = 1;
    server_ = std::make_unique<Server>(options, [this, &handled](const Request& request) {
      if (request.target == "/hold") released_.wait();  // the others queue up meanwhile
      ++handled;
      return Echo(request);
    });
    server_->Start();
    for (int i = 0; i < kPosts; ++i) {
      posts.push_back(std::make_unique<Client>(server_->port()));
      EXPECT_EQ(posts.back()->Send(bhttp::verb::get, "/open").body(), "/open|");
    }
    holder = std::make_unique<Client>(server_->port());
    EXPECT_EQ(holder->Send(bhttp::verb::get, "/open").body(), "/open|");
  }
  void Run() {
    holder->WriteRaw("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nh");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the worker is in the handler
    for (int i = 0; i < kPosts; ++i) {
      posts[i]->WriteRaw("POST /p" + std::to_string(i) +
                         " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all of them have arrived
    release_.set_value();
  }
  std::vector<std::unique_ptr<Client>> posts;
  std::unique_ptr<Client> holder;

 private:
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::unique_ptr<Server> server_;  // first to go: it may still answer the clients
};

// before_answers runs after the handlers and before their answers leave: once for the turn's
// first answer and once for the answers queued behind it, not once an answer; with
// answers_together, once for all of them.
TEST(HttpServer, BeforeAnswersRunsOnceForTheAnswersOfATurn) {
  for (const bool together : {false, true}) {
    SCOPED_TRACE(together ? "answers_together" : "the first answer at once");
    std::atomic<int> handled{0};
    std::mutex mu;
    std::vector<int> handled_at_call;  // `handled` at each before_answers call
    ServerOptions options = TestOptions();
    options.answers_together = together;
    options.before_answers = [&] {
      std::lock_guard<std::mutex> lock(mu);
      handled_at_call.push_back(handled.load());
    };
    HeldTurn turn(options, handled);
    const int opened = handled.load();
    {
      std::lock_guard<std::mutex> lock(mu);
      ASSERT_EQ(handled_at_call.size(), static_cast<size_t>(opened));  // each alone in its turn
      handled_at_call.clear();
    }
    turn.Run();
    EXPECT_EQ(turn.holder->Read().body(), "/hold|h");
    for (int i = 0; i < HeldTurn::kPosts; ++i) {
      EXPECT_EQ(turn.posts[i]->Read().body(), "/p" + std::to_string(i) + "|x");
    }
    std::lock_guard<std::mutex> lock(mu);
    if (together) {
      // The holder's answer may go in a turn of its own (the POSTs came while its handler held
      // the worker, and the worker may look for them only after that answer): two calls at most.
      ASSERT_LE(handled_at_call.size(), 2u) << "the answers of the turn did not leave together";
    } else {
      ASSERT_GE(handled_at_call.size(), 2u);
      EXPECT_LE(handled_at_call.size(), 3u) << "one call an answer: the answers were not batched";
      EXPECT_EQ(handled_at_call.front(), opened + 1);  // after the first handler, before its answer
    }
    EXPECT_EQ(handled_at_call.back(), opened + 1 + HeldTurn::kPosts);
  }
}

// Options whose before_answers always throws, as the WAL flush of a full disk does.
ServerOptions FailingBeforeAnswers(bool answers_together) {
  ServerOptions options = TestOptions();
  options.answers_together = answers_together;
  options.before_answers = [] { throw std::runtime_error("the WAL could not be written"); };
  return options;
}

// An answer before_answers holds back (by throwing) never leaves: its connection is reset
// instead, for a lone answer and for a turn's first answer and those queued behind it (with
// answers_together too).
TEST(HttpServer, AnswersHeldBackResetTheirConnections) {
  for (const bool together : {false, true}) {
    SCOPED_TRACE(together ? "answers_together" : "the first answer at once");
    {
      Server server(FailingBeforeAnswers(together), Echo);
      server.Start();
      Client client(server.port());
      client.WriteRaw("POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx");
      EXPECT_TRUE(client.ServerClosed());
    }
    std::atomic<bool> hold_back{false};
    std::atomic<int> handled{0};
    ServerOptions options = TestOptions();
    options.answers_together = together;
    options.before_answers = [&] {
      if (hold_back.load()) throw std::runtime_error("the WAL could not be written");
    };
    HeldTurn turn(options, handled);
    const int opened = handled.load();
    hold_back = true;
    turn.Run();
    EXPECT_TRUE(turn.holder->ServerClosed());
    for (const auto& post : turn.posts) EXPECT_TRUE(post->ServerClosed());
    EXPECT_EQ(handled.load(), opened + 1 + HeldTurn::kPosts);  // only their answers were held back
  }
}

// An answer that does not need before_answers (a health check, /metrics) leaves even when
// before_answers fails, as the lone answer and as one queued behind a turn's first.
TEST(HttpServer, AnswersThatDoNotNeedBeforeAnswersLeaveWhenItFails) {
  for (const bool together : {false, true}) {
    SCOPED_TRACE(together ? "answers_together" : "the first answer at once");
    Server server(FailingBeforeAnswers(together), [](const Request& request) {
      Response response = Echo(request);
      response.needs_before_answers = request.target != "/health";
      return response;
    });
    server.Start();
    Client health(server.port());
    EXPECT_EQ(health.Send(bhttp::verb::get, "/health").result_int(), 200);
    Client write(server.port());
    write.WriteRaw("POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx");
    EXPECT_TRUE(write.ServerClosed());
    EXPECT_EQ(health.Send(bhttp::verb::get, "/health").result_int(), 200);
  }
}

TEST(HttpServer, IdleConnectionsAreClosed) {
  ServerOptions options = TestOptions();
  options.idle_timeout = std::chrono::milliseconds(100);
  EchoServer server(options);
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").result_int(), 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// The sweeper stops when a worker's last connection is gone; the next connection must start it
// again, or its idle timeout would never be enforced.
TEST(HttpServer, IdleConnectionsAreClosedAfterTheServerIdled) {
  ServerOptions options = TestOptions();
  options.threads = 1;
  options.idle_timeout = std::chrono::milliseconds(100);
  EchoServer server(options);
  for (int round = 0; round < 3; ++round) {
    Client client(server.port());
    EXPECT_EQ(client.Send(bhttp::verb::get, "/").result_int(), 200);
    EXPECT_TRUE(client.ClosedWithin(std::chrono::seconds(5))) << "round " << round;
    // Past a sweep with no connection left: the sweeper is idle now.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

TEST(HttpServer, SecondServerOnSamePortFailsWithReason) {
  Server first(TestOptions(), Echo);
  first.Start();
  ServerOptions options = TestOptions();
  options.port = first.port();
  Server second(options, Echo);
  try {
    second.Start();
    FAIL() << "expected the port to be busy";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
  }
}

TEST(HttpServer, StopClosesIdleConnectionsPromptly) {
  EchoServer server;
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").result_int(), 200);
  auto start = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(client.ServerClosed());
  server.Stop();  // idempotent
}

TEST(HttpServer, StopLetsARequestInProgressFinish) {
  std::atomic<bool> entered{false};
  Server server(TestOptions(), [&](const Request& request) {
    entered.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return Echo(request);
  });
  server.Start();
  Client client(server.port());
  std::thread stopper([&] {
    while (!entered.load()) std::this_thread::yield();
    server.Stop();
  });
  auto response = client.Send(bhttp::verb::get, "/slow");
  stopper.join();
  EXPECT_EQ(response.body(), "/slow|");
  EXPECT_FALSE(response.keep_alive());
}

TEST(HttpServer, WaitForSignalReturnsOnStop) {
  EchoServer server;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.Stop();
  });
  EXPECT_EQ(server.WaitForSignal(), 0);
  stopper.join();
}

TEST(HttpServer, WaitTickRunsWhileWaitingOnly) {
  EchoServer server;
  std::atomic<int> ticks{0};
  server.SetWaitTick(std::chrono::milliseconds(2), [&] { ++ticks; });
  std::thread stopper([&] {
    while (ticks.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.Stop();
  });
  EXPECT_EQ(server.WaitForSignal(), 0);
  stopper.join();
  const int at_return = ticks.load();
  EXPECT_GE(at_return, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ticks.load(), at_return);
}

// The pending tick must not keep WaitForSignal() waiting once the signal has come.
TEST(HttpServer, WaitForSignalReturnsOnSignalWithATick) {
  EchoServer server;
  int ticks = 0;
  server.SetWaitTick(std::chrono::milliseconds(2), [&] {
    if (++ticks == 2) ::kill(::getpid(), SIGTERM);
  });
  std::atomic<bool> returned{false};
  std::atomic<bool> stopped_by_watchdog{false};
  std::thread watchdog([&] {  // a hang fails the test instead of stalling the suite
    for (int i = 0; i < 500 && !returned.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!returned.load()) {
      stopped_by_watchdog.store(true);
      server.Stop();
    }
  });
  EXPECT_EQ(server.WaitForSignal(), SIGTERM);
  returned.store(true);
  watchdog.join();
  EXPECT_FALSE(stopped_by_watchdog.load());
}

// ---- Limits (issue 7): connections, timeouts, body budget. Small limits; a normal client must
// keep being served while each one is hit.

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Polls `condition` for up to `wait`.
template <typename F>
bool Eventually(F condition, Ms wait = Ms(3000)) {
  auto deadline = SteadyClock::now() + wait;
  while (SteadyClock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(Ms(5));
  }
  return condition();
}

// TestOptions with a body budget of `bytes`.
ServerOptions BudgetOptions(std::size_t bytes) {
  ServerOptions options = TestOptions();
  options.body_budget = bytes;
  return options;
}

// Whether `server` soon holds exactly `bytes` of its body budget.
bool BudgetHeld(const Server& server, std::size_t bytes) {
  return Eventually([&] { return server.stats().body_bytes_in_flight == bytes; });
}

TEST(HttpServerLimits, DefaultsAreSensible) {
  ServerOptions defaults;
  EXPECT_EQ(defaults.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(defaults.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(defaults.body_timeout, std::chrono::seconds(10));
  EXPECT_EQ(defaults.body_min_rate, 64u * 1024);
  EXPECT_EQ(defaults.body_budget, 256u * 1024 * 1024);
  EchoServer server;
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_GE(server.max_connections(), 16u);
  EXPECT_LE(server.max_connections(), 10000u);
  EXPECT_LT(server.max_connections(), static_cast<std::size_t>(limit.rlim_cur));
}

TEST(HttpServerLimits, ConnectionsOverTheLimitAreRefusedAndOthersServed) {
  ServerOptions options = TestOptions();
  options.max_connections = 4;
  EchoServer server(options);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(server.port()));
    EXPECT_EQ(clients.back()->Send(bhttp::verb::get, "/in").result_int(), 200);
  }
  EXPECT_EQ(server.stats().connections_open, 4u);
  // Several extra connections: each gets a 503 and is closed at once.
  for (int i = 0; i < 3; ++i) {
    Client extra(server.port());
    auto refused = extra.Read();
    EXPECT_EQ(refused.result_int(), 503);
    EXPECT_EQ(refused["Retry-After"], "1");
    EXPECT_FALSE(refused.keep_alive());
    EXPECT_TRUE(extra.ServerClosed());
  }
  // The four keep being served.
  for (auto& client : clients) {
    EXPECT_EQ(client->Send(bhttp::verb::get, "/still").body(), "/still|");
  }
  ServerStats stats = server.stats();
  EXPECT_EQ(stats.connections_refused, 3u);
  EXPECT_EQ(stats.connections_accepted, 4u);
  EXPECT_EQ(stats.connections_open, 4u);
  // A slot frees up when a client leaves.
  clients.pop_back();
  ASSERT_TRUE(Eventually([&] { return server.stats().connections_open == 3; }));
  Client next(server.port());
  EXPECT_EQ(next.Send(bhttp::verb::get, "/next").body(), "/next|");
}

TEST(HttpServerLimits, RefusalUsesTheOverloadedHook) {
  ServerOptions options = TestOptions();
  options.max_connections = 1;
  options.on_overloaded = FixedAnswer(503, R"({"__type":"busy"})", "application/x-amz-json-1.0");
  EchoServer server(options);
  Client first(server.port());
  EXPECT_EQ(first.Send(bhttp::verb::get, "/").result_int(), 200);
  Client second(server.port());
  auto refused = second.Read();
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(refused.body(), R"({"__type":"busy"})");
  EXPECT_EQ(refused["Content-Type"], "application/x-amz-json-1.0");
  ExpectCurrentHttpDate(refused["Date"]);  // dated when sent, not when the hook ran
}

TEST(HttpServerLimits, SlowHeadersAreCutOffAfterHeaderTimeout) {
  ServerOptions options = TestOptions();
  options.header_timeout = Ms(200);
  EchoServer server(options);
  Client slowloris(server.port());
  auto start = SteadyClock::now();
  slowloris.WriteRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  // One header byte every 20 ms: progress, but the headers never end.
  bool closed = false;
  Client normal(server.port());
  for (int i = 0; i < 200 && !closed; ++i) {
    closed = !slowloris.TryWriteRaw("a");
    if (i % 10 == 0) {
      EXPECT_EQ(normal.Send(bhttp::verb::get, "/ok").body(), "/ok|");
    }
    std::this_thread::sleep_for(Ms(20));
  }
  if (!closed) closed = slowloris.ClosedWithin(Ms(1000));
  auto took = SteadyClock::now() - start;
  EXPECT_TRUE(closed);
  EXPECT_GE(took, Ms(180));
  EXPECT_LT(took, Ms(1500));
  EXPECT_EQ(server.stats().timed_out_header, 1u);
  EXPECT_EQ(normal.Send(bhttp::verb::get, "/after").body(), "/after|");
}

TEST(HttpServerLimits, HeaderTimeoutCountsFromTheFirstByteNotTheIdleWait) {
  ServerOptions options = TestOptions();
  options.header_timeout = Ms(100);
  options.idle_timeout = Ms(5000);
  EchoServer server(options);
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/a").result_int(), 200);
  // Idle (keep-alive) for well over header_timeout, then a request: still served.
  std::this_thread::sleep_for(Ms(400));
  EXPECT_EQ(client.Send(bhttp::verb::get, "/b").body(), "/b|");
  // A fresh connection idle before its first byte is governed by idle_timeout too.
  Client fresh(server.port());
  std::this_thread::sleep_for(Ms(400));
  EXPECT_EQ(fresh.Send(bhttp::verb::get, "/c").body(), "/c|");
  EXPECT_EQ(server.stats().timed_out_header, 0u);
}

TEST(HttpServerLimits, SlowBodyIsCutOff) {
  ServerOptions options = TestOptions();
  options.body_timeout = Ms(200);
  options.body_min_rate = 1024 * 1024;  // 10 KB: 10 ms at this rate, so the 200 ms floor rules
  EchoServer server(options);
  Client normal(server.port());
  for (bool chunked : {false, true}) {
    Client slow(server.port());
    auto start = SteadyClock::now();
    slow.WriteRaw(chunked ? "POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          : "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n");
    bool closed = false;
    for (int i = 0; i < 200 && !closed; ++i) {
      closed = !slow.TryWriteRaw(chunked ? "1\r\nx\r\n" : "x");
      if (i % 10 == 0) {
        EXPECT_EQ(normal.Send(bhttp::verb::get, "/ok").body(), "/ok|");
      }
      std::this_thread::sleep_for(Ms(20));
    }
    if (!closed) closed = slow.ClosedWithin(Ms(1000));
    auto took = SteadyClock::now() - start;
    EXPECT_TRUE(closed) << chunked;
    EXPECT_GE(took, Ms(180)) << chunked;
    EXPECT_LT(took, Ms(1500)) << chunked;
  }
  EXPECT_EQ(server.stats().timed_out_body, 2u);
  EXPECT_EQ(server.stats().timed_out_header, 0u);
}

// A body is read in pieces of up to 64 KB, not in the 512 bytes of a connection's first read:
// each piece waits its turn behind every other ready connection of the worker, and at 512 bytes
// a 256 KB body on a busy worker would take 512 turns (40 s here) and miss its body timeout.
TEST(HttpServerLimits, LargeBodiesAreReadInLargePiecesOnABusyWorker) {
  ServerOptions options = TestOptions();
  options.threads = 1;
  options.body_timeout = Ms(10000);            // read in 512 bytes pieces it would take ~40 s
  options.body_min_rate = 1024 * 1024 * 1024;  // the 10 s floor rules
  Server server(options, [](const Request& request) {
    std::this_thread::sleep_for(Ms(5));  // every request costs its worker 5 ms
    Response response;
    response.body = std::to_string(request.body.size());
    return response;
  });
  server.Start();
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  busy.reserve(16);
  for (int i = 0; i < 16; ++i) {
    busy.emplace_back([&] {
      Client client(server.port());
      while (!stop.load()) client.Send(bhttp::verb::get, "/busy");
    });
  }
  std::this_thread::sleep_for(Ms(100));
  Client big(server.port());
  auto start = SteadyClock::now();
  std::string answer;
  try {
    answer = big.Send(bhttp::verb::post, "/big", std::string(256 * 1024, 'x')).body();
  } catch (const std::exception& e) {
    answer = e.what();  // the connection was closed
  }
  auto took = SteadyClock::now() - start;
  stop = true;
  for (auto& t : busy) t.join();
  EXPECT_EQ(answer, std::to_string(256 * 1024));
  EXPECT_LT(took, Ms(10000));
  EXPECT_EQ(server.stats().timed_out_body, 0u);
}

TEST(HttpServerLimits, BodyAtTheMinimumRateIsNotCutOff) {
  ServerOptions options = TestOptions();
  options.body_timeout = Ms(100);
  options.body_min_rate = 100 * 1024;  // 100 KB in 1 s allowed; sent in about 500 ms
  EchoServer server(options);
  Client client(server.port());
  client.WriteRaw("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 102400\r\n\r\n");
  for (int i = 0; i < 10; ++i) {
    client.WriteRaw(std::string(10240, 'b'));
    std::this_thread::sleep_for(Ms(50));
  }
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body().size(), 5 + 102400u);
  EXPECT_EQ(server.stats().timed_out_body, 0u);
}

TEST(HttpServerLimits, BodyBudgetRefusesWhatDoesNotFitWith503) {
  constexpr std::size_t kKiB = 1024;
  EchoServer server(BudgetOptions(1000 * kKiB));
  // A holds 800 KiB of budget while its body is pending.
  Client a(server.port());
  a.WriteRaw("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 819200\r\n\r\n" +
             std::string(400 * kKiB, 'a'));
  ASSERT_TRUE(BudgetHeld(server, 800 * kKiB));
  {
    // 300 KiB more does not fit: 503, without reading the body.
    Client b(server.port());
    b.WriteRaw("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 307200\r\n\r\n");
    auto refused = b.Read();
    EXPECT_EQ(refused.result_int(), 503);
    EXPECT_EQ(refused["Retry-After"], "1");
    EXPECT_FALSE(refused.keep_alive());
  }
  {
    // What fits is served; a chunked body is counted as it grows (100 + 200 KiB > 200 left).
    Client c(server.port());
    EXPECT_EQ(c.Send(bhttp::verb::post, "/c", std::string(150 * kKiB, 'c')).result_int(), 200);
    c.WriteRaw(
        "POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "19000\r\n" +
        std::string(100 * kKiB, 'y') + "\r\n" + "32000\r\n" + std::string(200 * kKiB, 'y') +
        "\r\n0\r\n\r\n");
    EXPECT_EQ(c.Read().result_int(), 503);
  }
  // A finishes and is served; the budget returns to zero.
  a.WriteRaw(std::string(400 * kKiB, 'a'));
  auto response = a.Read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body().size(), 3 + 800 * kKiB);
  ASSERT_TRUE(BudgetHeld(server, 0));
  EXPECT_EQ(server.stats().requests_overloaded, 2u);
  Client d(server.port());
  EXPECT_EQ(d.Send(bhttp::verb::post, "/d", std::string(999 * kKiB, 'd')).result_int(), 200);
}

TEST(HttpServerLimits, SmallBodiesAreAdmittedWhenTheBudgetIsFull) {
  EchoServer server(BudgetOptions(100 * 1024));
  Client big(server.port());
  big.WriteRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 102400\r\n\r\nabc");
  ASSERT_TRUE(BudgetHeld(server, 102400));
  Client small(server.port());
  EXPECT_EQ(small.Send(bhttp::verb::post, "/s", std::string(64 * 1024, 's')).result_int(), 200);
  Client over(server.port());
  EXPECT_EQ(over.Send(bhttp::verb::post, "/o", std::string(64 * 1024 + 1, 'o')).result_int(), 503);
  EXPECT_EQ(server.stats().requests_overloaded, 1u);
}

TEST(HttpServerLimits, BudgetIsReleasedWhenAClientVanishesMidBody) {
  EchoServer server(BudgetOptions(1000 * 1024));
  {
    Client gone(server.port());
    gone.WriteRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 921600\r\n\r\nabc");
    ASSERT_TRUE(BudgetHeld(server, 921600));
  }
  ASSERT_TRUE(BudgetHeld(server, 0));
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::post, "/", std::string(921600, 'x')).result_int(), 200);
}

TEST(HttpServerLimits, IdleTimeoutIsCounted) {
  ServerOptions options = TestOptions();
  options.idle_timeout = Ms(100);
  EchoServer server(options);
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").result_int(), 200);
  EXPECT_TRUE(client.ServerClosed());
  ASSERT_TRUE(Eventually([&] { return server.stats().timed_out_idle == 1; }));
  EXPECT_TRUE(Eventually([&] { return server.stats().connections_open == 0; }));
}

#if !defined(__SANITIZE_ADDRESS__)
std::size_t OpenDescriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Out of descriptors: accept() fails with EMFILE; the server backs off instead of spinning,
// and accepts the waiting connections once descriptors are available again.
// Not built with the sanitizers: they check memory through a pipe of their own, and with no
// descriptors left UBSan's vptr check reports every virtual call as invalid. The plain build
// runs it.
TEST(HttpServerLimits, OutOfDescriptorsBacksOffAndRecovers) {
  ServerOptions options = TestOptions();
  options.max_connections = 1000;
  EchoServer server(options);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit tight = saved;
  tight.rlim_cur = OpenDescriptors() + 4;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  // The clients' sockets take the last descriptors; the server has none left to accept with.
  asio::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  for (int i = 0; i < 8; ++i) {
    auto socket = std::make_unique<tcp::socket>(ioc);
    boost::system::error_code ec;
    socket->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()), ec);
    if (ec) break;
    sockets.push_back(std::move(socket));
  }
  std::this_thread::sleep_for(Ms(500));
  std::uint64_t errors = server.stats().accept_errors;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_FALSE(sockets.empty());
  EXPECT_GE(errors, 1u);
  EXPECT_LE(errors, 40u);  // about one try per 50 ms, not a busy loop
  // Descriptors are back: the queued connections are accepted and served.
  for (auto& socket : sockets) {
    std::string request = "GET /back HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(*socket, asio::buffer(request));
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(*socket, buffer, response);
    EXPECT_EQ(response.body(), "/back|");
  }
}
#endif

TEST(HttpHeaders, CaseInsensitiveLookupAndReuse) {
  Headers headers;
  headers.Add("Content-Type", "a");
  headers.Add("X-Amz-Target", "b");
  EXPECT_EQ(headers.Get("content-type"), "a");
  EXPECT_EQ(headers.Get("X-AMZ-TARGET"), "b");
  EXPECT_EQ(headers.Find("missing"), nullptr);
  headers.Set("content-TYPE", "c");
  EXPECT_EQ(headers.Get("Content-Type"), "c");
  EXPECT_EQ(headers.size(), 2u);
  headers.Clear();
  EXPECT_TRUE(headers.empty());
  EXPECT_EQ(headers.Get("Content-Type"), "");
  headers.Add("k", "v");
  EXPECT_EQ(headers.Get("K"), "v");
}

}  // namespace
}  // namespace cruddur::http
