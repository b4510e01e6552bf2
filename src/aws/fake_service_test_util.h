// For tests of the AWS service clients: an in-process fake endpoint that checks SigV4, the
// client configuration that reaches it, and the ServiceError a call throws.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/service.h"
#include "aws/sigv4.h"
#include "http/server.h"
#include "testing/thrown_by.h"

namespace cruddur::aws {

inline constexpr char kFakeAccessKey[] = "AKIDFAKETEST";
inline constexpr char kFakeSecret[] = "fake-test-secret";

// A fake endpoint of `service` on a free loopback port: `handle` answers each request, given
// the check of its signature against kFakeAccessKey/kFakeSecret (nullopt: signed correctly).
class FakeEndpoint {
 public:
  using Handler =
      std::function<http::Response(const http::Request&, const std::optional<AuthError>&)>;

  FakeEndpoint(std::string service, Handler handle)
      : verifier_({{kFakeAccessKey, kFakeSecret}}, std::move(service)),
        handle_(std::move(handle)),
        server_({.host = "127.0.0.1", .port = 0, .threads = 1}, [this](const http::Request& r) {
          return handle_(r, verifier_.Verify(r, std::chrono::system_clock::now()));
        }) {
    server_.Start();
  }
  ~FakeEndpoint() { server_.Stop(std::chrono::milliseconds(100)); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

 private:
  Verifier verifier_;
  Handler handle_;
  http::Server server_;
};

// A client configuration for `url` in us-east-1 with the fake's credentials; retry sleeps are
// recorded in `sleeps` (skipped when it is null).
inline ServiceConfig FakeConfig(const std::string& url,
                                std::vector<std::chrono::milliseconds>* sleeps = nullptr) {
  ServiceConfig config;
  config.endpoint_url = url;
  config.region = "us-east-1";
  config.credentials = {kFakeAccessKey, kFakeSecret, ""};
  config.sleep = [sleeps](std::chrono::milliseconds d) {
    if (sleeps) sleeps->push_back(d);
  };
  return config;
}

// The ServiceError `call` throws; a test failure (and an empty error) when it throws none.
template <typename Call>
ServiceError ServiceErrorOf(Call&& call) {
  return test_util::ThrownBy(std::forward<Call>(call), ServiceError(0, "", ""));
}

// Expects `parse(body)` to throw a SerializationException for each of `bodies`.
template <typename Parse>
void ExpectSerializationErrors(Parse&& parse, std::initializer_list<const char*> bodies) {
  for (const char* body : bodies) {
    EXPECT_EQ(ServiceErrorOf([&] { parse(body); }).type(), "SerializationException") << body;
  }
}

}  // namespace cruddur::aws
