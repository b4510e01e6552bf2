#include "log/log.h"

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>

#include "encoding/enum_names.h"
#include "encoding/json.h"

namespace cruddur::log {
namespace {

std::shared_ptr<spdlog::logger> MakeLogger(std::ostream* stream) {
  spdlog::sink_ptr sink;
  if (stream != nullptr) {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*stream, /*force_flush=*/true);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("cruddur", std::move(sink));
  logger->set_pattern("%v");  // the line is formatted here, whole
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);  // a line is on stderr when the entry returns
  return logger;
}

struct State {
  std::atomic<int> level{static_cast<int>(Level::kInfo)};
  std::atomic<bool> json{false};
  std::atomic<bool> access{false};
  std::shared_ptr<spdlog::logger> logger = MakeLogger(nullptr);
};

State& TheState() {
  static State s;
  return s;
}

thread_local std::string_view t_request_id;  // RequestScope's

// Level's names, both directions (LevelName, ParseLevel); one entry per enumerator.
constexpr std::array<encoding::EnumName<Level>, 4> kLevelNames = {{
    {Level::kDebug, "debug"},
    {Level::kInfo, "info"},
    {Level::kWarn, "warn"},
    {Level::kError, "error"},
}};
static_assert(kLevelNames.back().value == Level::kError);

std::string_view LevelName(Level level) { return encoding::NameOf(kLevelNames, level, "info"); }

// RFC 3339 UTC with milliseconds, e.g. 2026-12-03T15:23:21.123Z.
std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis.count());
}

// Text values: control bytes, quotes and backslashes escaped, so an entry stays one line; values
// with blanks (or empty) quoted.
void AppendText(std::string& out, std::string_view text, bool quote_if_blank) {
  bool quote = quote_if_blank && (text.empty() || text.find_first_of(" \t\"=") != text.npos);
  if (quote) out.push_back('"');
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\' || (c == '"' && quote)) {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out.push_back(c);
    }
  }
  if (quote) out.push_back('"');
}

std::string TextLine(Level level, std::string_view component, std::string_view message,
                     Fields fields) {
  std::string line = Timestamp();
  line.append(" ").append(LevelName(level)).append(" ").append(component);
  if (!t_request_id.empty()) line.append(" request_id=").append(t_request_id);
  if (!message.empty()) {
    line.push_back(' ');
    AppendText(line, message, false);
  }
  for (const Field& f : fields) {
    line.push_back(' ');
    line.append(f.key).push_back('=');
    AppendText(line, f.value, true);
  }
  return line;
}

std::string JsonLine(Level level, std::string_view component, std::string_view message,
                     Fields fields) {
  std::string line = "{\"time\":\"" + Timestamp() + "\",\"level\":\"";
  line.append(LevelName(level)).append("\",\"component\":");
  encoding::AppendJsonString(line, component);
  if (!t_request_id.empty()) {
    line.append(",\"request_id\":");
    encoding::AppendJsonString(line, t_request_id);
  }
  if (!message.empty()) {
    line.append(",\"message\":");
    encoding::AppendJsonString(line, message);
  }
  for (const Field& f : fields) {
    line.push_back(',');
    encoding::AppendJsonString(line, f.key);
    line.push_back(':');
    if (f.number) {
      line.append(f.value);
    } else {
      encoding::AppendJsonString(line, f.value);
    }
  }
  line.push_back('}');
  return line;
}

}  // namespace

Field::Field(std::string_view k, double seconds)
    : key(k), value(fmt::format("{:.6f}", seconds)), number(true) {}

std::optional<Level> ParseLevel(std::string_view name) {
  return encoding::ValueNamed(kLevelNames, name);
}

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

void Configure(const Options& options) {
  State& s = TheState();
  s.level = static_cast<int>(options.level);
  s.json = options.format == Format::kJson;
  s.access = options.access_log;
  s.logger = MakeLogger(options.stream);
}

bool Enabled(Level level) { return static_cast<int>(level) >= TheState().level.load(); }

bool AccessLogEnabled() { return TheState().access.load(); }

namespace {
void Emit(Level level, std::string_view component, std::string_view message, Fields fields) {
  try {
    State& s = TheState();
    std::string line = s.json ? JsonLine(level, component, message, fields)
                              : TextLine(level, component, message, fields);
    s.logger->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
  } catch (...) {  // check-catch-all: the logger itself; nothing left to report to
    // Out of memory for the line: the entry is lost, the caller goes on.
  }
}
}  // namespace

void Write(Level level, std::string_view component, std::string_view message, Fields fields) {
  if (Enabled(level)) Emit(level, component, message, fields);
}

// Independent of the level: turned on, the access log is wanted whatever else is.
void Access(Fields fields) {
  if (AccessLogEnabled()) Emit(Level::kInfo, "access", "", fields);
}

RequestScope::RequestScope(std::string_view request_id) : previous_(t_request_id) {
  t_request_id = request_id;
}

RequestScope::~RequestScope() { t_request_id = previous_; }

std::string_view CurrentRequestId() { return t_request_id; }

}  // namespace cruddur::log
