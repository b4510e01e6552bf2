#include "http/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "http/server_test_util.h"

namespace cruddur::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

Response Echo(const Request& request) {
  Response response;
  response.headers.Add("Content-Type", "text/plain");
  response.headers.Add("X-Method", request.method);
  response.headers.Add("X-Seen-Host", request.headers.Get("Host"));
  response.headers.Add("X-Seen-Agent", request.headers.Get("User-Agent"));
  response.headers.Add("X-Seen-Test", request.headers.Get("X-Test"));
  if (request.target == "/status/503") response.status = 503;
  if (request.target == "/big") response.body.assign(100000, 'x');
  if (request.target != "/big") response.body = request.target + "|" + request.body;
  return response;
}

std::string BaseUrl(const Server& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

Request Post(std::string target, std::string body) {
  Request request;
  request.method = "POST";
  request.target = std::move(target);
  request.body = std::move(body);
  return request;
}

TEST(HttpUrl, ParsesSchemeHostPortAndTarget) {
  Url url = Url::Parse("HTTP://Example.com:8000/a/b?x=1#frag");
  EXPECT_EQ(url.scheme, "http");
  EXPECT_EQ(url.host, "Example.com");
  EXPECT_EQ(url.port, 8000);
  EXPECT_EQ(url.target, "/a/b?x=1");
  EXPECT_FALSE(url.tls());
  EXPECT_EQ(url.HostHeader(), "Example.com:8000");
  EXPECT_EQ(url.Origin(), "http://Example.com:8000");

  Url aws = Url::Parse("https://dynamodb.us-east-1.amazonaws.com");
  EXPECT_TRUE(aws.tls());
  EXPECT_EQ(aws.port, 443);
  EXPECT_EQ(aws.target, "/");
  EXPECT_EQ(aws.HostHeader(), "dynamodb.us-east-1.amazonaws.com");  // default port left out

  Url v6 = Url::Parse("http://[::1]:9000");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 9000);
  EXPECT_EQ(v6.HostHeader(), "[::1]:9000");
  EXPECT_EQ(Url::Parse("http://h?q").target, "/?q");
}

TEST(HttpUrl, RejectsMalformedUrls) {
  for (const char* bad :
       {"localhost:8000", "ftp://host", "http://", "http://:80", "http://host:0",
        "http://host:65536", "http://host:8x", "http://user@host", "http://[::1"}) {
    EXPECT_THROW(Url::Parse(bad), std::invalid_argument) << bad;
  }
}

TEST(HttpClient, SendsRequestsOnOneKeepAliveConnection) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(BaseUrl(server));
  for (int i = 0; i < 3; ++i) {
    Request request = Post("/echo", "n=" + std::to_string(i));
    request.headers.Add("X-Test", "yes");
    Response response = client.Send(request);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "/echo|n=" + std::to_string(i));
    EXPECT_EQ(response.headers.Get("x-method"), "POST");
    EXPECT_EQ(response.headers.Get("X-Seen-Test"), "yes");
    EXPECT_EQ(response.headers.Get("X-Seen-Host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(response.headers.Get("X-Seen-Agent"), "cruddur");
  }
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST(HttpClient, ReturnsErrorStatusesAndLargeBodies) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(BaseUrl(server));
  Request get;
  get.method = "GET";
  get.target = "/status/503";
  EXPECT_EQ(client.Send(get).status, 503);
  get.target = "/big";
  EXPECT_EQ(client.Send(get).body.size(), 100000u);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST(HttpClient, BodyOverTheLimitIsATransportError) {
  Server server(TestOptions(), Echo);
  server.Start();
  ClientOptions options;
  options.body_limit = 1000;
  Client client(BaseUrl(server), options);
  Request get;
  get.method = "GET";
  get.target = "/big";
  try {
    client.Send(get);
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("limit"), std::string::npos) << e.what();
  }
  get.target = "/small";  // the client recovers on a new connection
  EXPECT_EQ(client.Send(get).body, "/small|");
}

TEST(HttpClient, ReconnectsWhenTheServerClosedAnIdleConnection) {
  ServerOptions options = TestOptions();
  options.idle_timeout = 100ms;
  Server server(options, Echo);
  server.Start();
  Client client(BaseUrl(server));
  EXPECT_EQ(client.Send(Post("/a", "1")).body, "/a|1");
  std::this_thread::sleep_for(400ms);  // the server closes the idle connection meanwhile
  EXPECT_EQ(client.Send(Post("/b", "2")).body, "/b|2");
  EXPECT_EQ(client.connections_opened(), 2);
}

TEST(HttpClient, HonoursConnectionClose) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(BaseUrl(server));
  Request request = Post("/a", "");
  request.headers.Add("Connection", "close");
  EXPECT_EQ(client.Send(request).status, 200);
  EXPECT_EQ(client.Send(Post("/b", "")).status, 200);
  EXPECT_EQ(client.connections_opened(), 2);
}

TEST(HttpClient, ConnectionRefusedIsATransportError) {
  Client client("http://127.0.0.1:" + std::to_string(ClosedPort()));
  try {
    client.Send(Post("/", "x"));
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect to http://127.0.0.1:"), std::string::npos)
        << e.what();
  }
}

TEST(HttpClient, ServerThatNeverAnswersTimesOut) {
  asio::io_context ioc;
  // The kernel completes connections to a listening socket even if nobody accepts them.
  tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ClientOptions options;
  options.request_timeout = 200ms;
  Client client("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), options);
  auto start = std::chrono::steady_clock::now();
  try {
    client.Send(Post("/", "x"));
    FAIL() << "expected a TransportError";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(HttpClient, StoppedServerIsATransportErrorAndARestartedOneIsReached) {
  auto server = std::make_unique<Server>(TestOptions(), Echo);
  server->Start();
  std::uint16_t port = server->port();
  Client client("http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(client.Send(Post("/", "x")).status, 200);
  server->Stop();
  EXPECT_THROW(client.Send(Post("/", "x")), TransportError);

  ServerOptions options = TestOptions();
  options.port = port;
  server = std::make_unique<Server>(options, Echo);
  server->Start();
  EXPECT_EQ(client.Send(Post("/again", "y")).body, "/again|y");
}

TEST(HttpClient, ConcurrentCallersShareTheClientSafely) {
  Server server(TestOptions(), Echo);
  server.Start();
  Client client(BaseUrl(server));
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string body = std::to_string(t) + "-" + std::to_string(i);
        if (client.Send(Post("/c", body)).body == "/c|" + body) ++good;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 100);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST(HttpClient, TargetMustBeAbsolutePath) {
  Client client("http://127.0.0.1:1");
  EXPECT_THROW(client.Send(Post("relative", "")), std::invalid_argument);
}

}  // namespace
}  // namespace cruddur::http
