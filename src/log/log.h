// The one logger of every cruddur component (servers, engine, API, stream consumer): one line
// per entry on stderr (spdlog underneath), with a level, the component, the request id of the
// request the thread is handling (RequestScope), a message and named fields.
//
//   text: 2026-12-03T15:23:21.123Z error dynamodb request_id=ABC... InternalServerError target=...
//   json: {"time":"...","level":"error","component":"dynamodb","request_id":"ABC...",
//          "message":"InternalServerError","target":"..."}
//
// Neither format can be split into two entries by what it logs: text escapes control bytes,
// JSON is one object per line. Callers never log request bodies, Authorization headers or
// tokens (a path's query string neither: it may hold a cursor or worse).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace cruddur::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

struct Options {
  Level level = Level::kInfo;
  Format format = Format::kText;
  bool access_log = false;         // one "access" entry per request answered
  std::ostream* stream = nullptr;  // default stderr (tests capture into a stream)
};

// "debug", "info", "warn", "error"; nullopt for anything else.
std::optional<Level> ParseLevel(std::string_view name);
// "text", "json"; nullopt for anything else.
std::optional<Format> ParseFormat(std::string_view name);

// Replaces the logger's options. Call before the servers start (not while others log).
// Until then: info, text, no access log, stderr.
void Configure(const Options& options);

bool Enabled(Level level);
bool AccessLogEnabled();

// A named value of an entry: text (quoted in JSON) or a number.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, std::int64_t n) : key(k), value(std::to_string(n)), number(true) {}
  Field(std::string_view k, int n) : Field(k, static_cast<std::int64_t>(n)) {}
  Field(std::string_view k, std::uint64_t n) : key(k), value(std::to_string(n)), number(true) {}
  Field(std::string_view k, double seconds);  // written with 6 decimals

  std::string_view key;
  std::string value;
  bool number = false;
};
using Fields = std::initializer_list<Field>;

// Writes one entry when `level` is enabled. Never throws.
void Write(Level level, std::string_view component, std::string_view message, Fields fields = {});
inline void Debug(std::string_view component, std::string_view message, Fields fields = {}) {
  Write(Level::kDebug, component, message, fields);
}
inline void Info(std::string_view component, std::string_view message, Fields fields = {}) {
  Write(Level::kInfo, component, message, fields);
}
inline void Warn(std::string_view component, std::string_view message, Fields fields = {}) {
  Write(Level::kWarn, component, message, fields);
}
inline void Error(std::string_view component, std::string_view message, Fields fields = {}) {
  Write(Level::kError, component, message, fields);
}
// An access-log entry (component "access", level info) when the access log is on.
void Access(Fields fields);

// The request id of the request the calling thread handles, in every entry it writes until the
// scope ends (scopes nest: the outer id comes back). The id is not copied: it must outlive the
// scope.
class RequestScope {
 public:
  explicit RequestScope(std::string_view request_id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

 private:
  std::string_view previous_;
};
// "" outside a RequestScope.
std::string_view CurrentRequestId();

}  // namespace cruddur::log
