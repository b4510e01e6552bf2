#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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
      std::vector<std::pair<std::string, std::string>> headers = {}) {
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

  void WriteRaw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

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
  response.body = request.target + "|" + request.body;
  return response;
}

ServerOptions TestOptions() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  return options;
}

TEST(HttpServer, PortZeroPicksAFreePortAndServes) {
  Server server(TestOptions(), Echo);
  server.Start();
  ASSERT_NE(server.port(), 0);
  Client client(server.port());
  auto response = client.Send(bhttp::verb::post, "/hello", "payload", {{"X-Test", "yes"}});
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "/hello|payload");
  EXPECT_EQ(response["X-Method"], "POST");
  EXPECT_EQ(response["X-Seen-Test"], "yes");  // header lookup ignores case
  EXPECT_EQ(response["Content-Type"], "text/plain");
}

TEST(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(server.port());
  for (int i = 0; i < 20; ++i) {
    auto response = client.Send(bhttp::verb::get, "/n" + std::to_string(i));
    ASSERT_EQ(response.body(), "/n" + std::to_string(i) + "|");
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(server.port());
  client.WriteRaw(
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree");
  EXPECT_EQ(client.Read().body(), "/a|one");
  EXPECT_EQ(client.Read().body(), "/b|");
  EXPECT_EQ(client.Read().body(), "/c|three");
}

TEST(HttpServer, ChunkedRequestBodyIsAssembled) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(server.port());
  client.WriteRaw(
      "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "/chunked|abcdefg");
}

TEST(HttpServer, ConnectionCloseIsHonoured) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(server.port());
  auto response = client.Send(bhttp::verb::get, "/", "", {{"Connection", "close"}});
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServer, Http10ClosesUnlessKeepAliveAsked) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(server.port());
  client.WriteRaw("GET /old HTTP/1.0\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.version(), 10);
  EXPECT_EQ(response.body(), "/old|");
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServer, HandlerExceptionBecomes500AndConnectionSurvives) {
  Server server(TestOptions(), Echo);
  server.Start();
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
  Server server(options, Echo);
  server.Start();
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
  Server server(options, Echo);
  server.Start();
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::post, "/", std::string(11, 'x')).result_int(), 413);
}

TEST(HttpServer, MalformedRequestGets400) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(server.port());
  client.WriteRaw("NOT A REQUEST\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 400);
}

TEST(HttpServer, ExpectContinueIsAnswered) {
  Server server(TestOptions(), Echo);
  server.Start();
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

TEST(HttpServer, IdleConnectionsAreClosed) {
  ServerOptions options = TestOptions();
  options.idle_timeout = std::chrono::milliseconds(100);
  Server server(options, Echo);
  server.Start();
  Client client(server.port());
  EXPECT_EQ(client.Send(bhttp::verb::get, "/").result_int(), 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.ServerClosed());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
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
  Server server(TestOptions(), Echo);
  server.Start();
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
  Server server(TestOptions(), Echo);
  server.Start();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    server.Stop();
  });
  EXPECT_EQ(server.WaitForSignal(), 0);
  stopper.join();
}

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
