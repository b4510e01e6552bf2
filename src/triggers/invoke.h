// Invoking a trigger's handler with one event, as Lambda invokes a function synchronously: a
// command gets the event on stdin and answers on stdout (exit status 0: it ran; anything else,
// a signal or the timeout: a function error); a URL gets the event as an HTTP POST body and
// answers with its response body (2xx: it ran; any other status or no answer: an error).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace cruddur::http {
class Client;
}

namespace cruddur::triggers {

struct Invocation {
  bool ok = false;
  int status_code = 0;   // HTTP status; for a command 200 when it ran (as Lambda reports a
                         // function error), 0 when it could not be started or reached
  std::string response;  // stdout / the response body
  std::string error;     // why it failed, for logs and the on-failure record
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual Invocation Invoke(const std::string& event) = 0;
};

// `/bin/sh -c command` with `env` added to the environment (values already set are kept); its
// stderr goes to this process's stderr (the server's log, as a function's to CloudWatch).
class CommandHandler : public Handler {
 public:
  CommandHandler(std::string command, std::chrono::seconds timeout,
                 std::map<std::string, std::string> env = {});
  Invocation Invoke(const std::string& event) override;

 private:
  std::string command_;
  std::chrono::seconds timeout_;
  std::map<std::string, std::string> env_;
};

class UrlHandler : public Handler {
 public:
  // Throws std::invalid_argument for a malformed URL.
  UrlHandler(const std::string& url, std::chrono::seconds timeout);
  ~UrlHandler() override;
  Invocation Invoke(const std::string& event) override;

 private:
  std::string target_;
  std::unique_ptr<http::Client> client_;
};

}  // namespace cruddur::triggers
