// Plain HTTP request/response values shared by the server, its handlers and (later) the client.
// Deliberately free of Beast/Asio types so that handler code does not pay for those headers.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cruddur::http {

// True when a and b are equal ignoring ASCII case (HTTP field names are case-insensitive).
// Inline: header lookups compare every field's name, and most differ in length.
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    // Equal but for case: the same letter, 0x20 apart.
    char lower = static_cast<char>(x | 0x20);
    if (lower != (y | 0x20) || lower < 'a' || lower > 'z') return false;
  }
  return true;
}

// An ordered list of header fields with case-insensitive lookup. Clear() keeps the storage of
// the fields so a connection can reuse one Headers for every request without allocating.
class Headers {
 public:
  struct Field {
    std::string name;
    std::string value;
  };

  // The value of the first field called `name`, or nullptr when there is none.
  const std::string* Find(std::string_view name) const;
  // The value of the first field called `name`, or "" when there is none.
  std::string_view Get(std::string_view name) const {
    const std::string* v = Find(name);
    return v ? std::string_view(*v) : std::string_view();
  }
  bool Has(std::string_view name) const { return Find(name) != nullptr; }

  // Appends a field (duplicates allowed, as on the wire).
  void Add(std::string_view name, std::string_view value);
  // Replaces the first field called `name`, or appends it.
  void Set(std::string_view name, std::string_view value);
  // Room for n fields without reallocating.
  void Reserve(std::size_t n) { fields_.reserve(n); }

  void Clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Field* begin() const { return fields_.data(); }
  const Field* end() const { return fields_.data() + size_; }

 private:
  std::vector<Field> fields_;  // [0, size_) are live; the rest keep capacity for reuse
  std::size_t size_ = 0;
};

struct Request {
  std::string method;  // as sent, e.g. "POST"
  std::string target;  // request-target, e.g. "/" or "/api/messages?x=1"
  int version = 11;    // 10 for HTTP/1.0, 11 for HTTP/1.1
  Headers headers;
  std::string body;
  // The client's IP address ("203.0.113.7", "::1"); set by the server per connection, kept by
  // Clear(). Empty when unknown.
  std::string remote_address;

  void Clear() {
    method.clear();
    target.clear();
    version = 11;
    headers.Clear();
    body.clear();
  }
};

struct Response {
  int status = 200;
  Headers headers;  // Content-Length and Connection are written by the server
  std::string body;
  // Send nothing and reset the connection (injected faults: the client cannot tell whether its
  // request ran).
  bool reset_connection = false;
  // Sent only once ServerOptions::before_answers has succeeded (the DynamoDB endpoint: the answer
  // may acknowledge or show writes that before_answers makes durable). False for an answer that
  // shows none (a health check, /metrics), which leaves even when before_answers fails.
  bool needs_before_answers = true;
};

// A response of `status` whose body is the JSON text `body` (Content-Type: application/json).
Response JsonResponse(int status, std::string body);

// `t` as an HTTP date (RFC 9110's IMF-fixdate), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate(std::time_t t);

// The reason phrase for a status code ("OK", "Not Found", ...), "Unknown" for unusual codes.
std::string_view ReasonPhrase(int status);

}  // namespace cruddur::http
