#include "cli/ddb_target.h"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <system_error>

#include "client/credentials.h"
#include "cruddur/messages.h"
#include "cruddur/postgres_admin.h"
#include "ddb/error.h"
#include "ddb/storage/storage.h"
#include "http/client.h"

namespace cruddur::cli {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.") ||
         host.ends_with(".localhost");
}

// Credentials for an endpoint: configured ones if any; a loopback server (cruddur ddb serve,
// DynamoDB Local, dynalite) accepts anything, so there dummy ones do when none are configured.
aws::Credentials CredentialsFor(const http::Url& url) {
  try {
    return client::ResolveCredentials();
  } catch (const client::CredentialsError& e) {
    if (IsLoopbackHost(url.host)) return {"cruddur-local", "cruddur-local", ""};
    throw CliError(std::string(e.what()) + " (needed to sign requests to " + url.Origin() + ")");
  }
}

std::unique_ptr<client::DynamoDbClient> HttpTo(const std::string& endpoint,
                                               const client::RetryPolicy& retry) {
  http::Url url;
  try {
    url = http::Url::Parse(endpoint);
  } catch (const std::invalid_argument& e) {
    throw CliError(std::string("bad endpoint URL: ") + e.what());
  }
  std::string region = client::FindRegion().value_or("us-east-1");
  client::HttpClientOptions http_options;
  http_options.retry = retry;
  return std::make_unique<client::HttpClient>(endpoint, region, CredentialsFor(url),
                                              std::move(http_options));
}

std::string ReadEndpointFile(const fs::path& path) {
  std::ifstream in(path);
  std::string url;
  if (!in || !std::getline(in, url)) return "";
  while (!url.empty() && (url.back() == '\r' || url.back() == ' ')) url.pop_back();
  return url;
}

}  // namespace

std::string DataDirHolder(const fs::path& engine_dir) {
  std::string holder = "another process";
  // RocksDB holds its LOCK file with a POSIX record lock, whose owner F_GETLK reports.
  int fd = ::open((engine_dir / "LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK && lock.l_pid > 0) {
      holder = "process " + std::to_string(lock.l_pid);
    }
    ::close(fd);
  }
  std::string url = ReadEndpointFile(EndpointFilePath(engine_dir));
  if (!url.empty()) holder += ", serving " + url;
  return holder;
}

namespace {

// The data dir is held by another process: use the server that published its URL there.
DdbTarget ViaRunningServer(const fs::path& engine_dir, const std::string& lock_reason,
                           const client::RetryPolicy& retry) {
  fs::path file = EndpointFilePath(engine_dir);
  std::string url = ReadEndpointFile(file);
  if (url.empty()) {
    throw CliError("the DynamoDB data dir " + engine_dir.string() +
                   " is in use by another process that publishes no endpoint (no " + file.string() +
                   "); stop it, or pass --endpoint-url (" + lock_reason + ")");
  }
  DdbTarget target;
  target.client = HttpTo(url, retry);
  target.description = "cruddur server at " + url + " (it holds " + engine_dir.string() + ")";
  try {
    target.client->Call("ListTables", R"({"Limit":1})");
  } catch (const http::TransportError& e) {
    throw CliError("the DynamoDB data dir " + engine_dir.string() +
                   " is locked, but the server named in " + file.string() + " (" + url +
                   ") does not answer (stale file?): " + e.what());
  } catch (const ddb::ApiError&) {
    // It answers; an authorisation problem will show on the real call.
  }
  return target;
}

DdbTarget OpenEmbedded(const GlobalOptions& globals, DataDirUse use,
                       const client::RetryPolicy& retry) {
  std::error_code ec;
  fs::path dir = fs::path(globals.DataDir()) / "ddb";
  if (use == DataDirUse::kReadExisting && !fs::is_directory(dir, ec)) {
    throw CliError("no DynamoDB data in " +
                   fs::absolute(globals.DataDir(), ec).lexically_normal().string() +
                   " (the data dir: --data-dir, else $CRUDDUR_DATA_DIR, else ./.cruddur); "
                   "`cruddur ddb schema-load` creates the table there");
  }
  fs::create_directories(dir, ec);
  if (ec) throw CliError("cannot create data dir " + dir.string() + ": " + ec.message());
  dir = fs::absolute(dir, ec).lexically_normal();
  ddb::EngineOptions options;
  options.data_dir = dir.string();
  options.ttl_sweep_interval = std::chrono::milliseconds(0);  // a short-lived command: no sweeper
  ApplyShardRotation({}, options);  // its writes rotate shards as a server's would
  DdbTarget target;
  try {
    target.engine = ddb::Engine::Open(options);
  } catch (const ddb::storage::DataDirLockedError& e) {
    return ViaRunningServer(dir, e.what(), retry);
  } catch (const std::exception& e) {
    throw CliError("cannot open the DynamoDB engine in " + dir.string() + ": " + e.what());
  }
  // We hold the lock, so no server runs here: an endpoint file is left from a killed one.
  fs::remove(EndpointFilePath(dir), ec);
  target.client = std::make_unique<client::InProcessClient>(*target.engine);
  target.description = "embedded engine in " + dir.string();
  return target;
}

}  // namespace

void AddDdbTargetFlags(CLI::App& cmd, DdbTargetOptions& options, bool with_table, bool with_json) {
  cmd.add_flag("--prod", options.prod_flag,
               "Real AWS DynamoDB in AWS_REGION/AWS_DEFAULT_REGION; users from "
               "PROD_CONNECTION_URL");
  cmd.add_option("--endpoint-url", options.endpoint_url,
                 "DynamoDB endpoint to use (default: $AWS_ENDPOINT_URL, else prod or the "
                 "embedded engine)")
      ->type_name("URL");
  if (with_table) {
    cmd.add_option("--table", options.table,
                   "Messages table (default: $DDB_MESSAGE_TABLE or cruddur-messages)")
        ->type_name("NAME");
  }
  if (with_json) cmd.add_flag("--json", options.json, "Print JSON for scripts");
}

DdbTarget OpenDdbTarget(const GlobalOptions& globals, const DdbTargetOptions& options,
                        DataDirUse use) {
  std::string endpoint = options.endpoint_url;
  std::string source = "--endpoint-url";
  if (endpoint.empty()) {
    endpoint = client::EndpointFromEnvironment();
    source =
        Env("AWS_ENDPOINT_URL_DYNAMODB").empty() ? "AWS_ENDPOINT_URL" : "AWS_ENDPOINT_URL_DYNAMODB";
  }
  if (!endpoint.empty()) {
    DdbTarget target;
    target.client = HttpTo(endpoint, options.retry);
    target.description = endpoint + " (" + source + ")";
    return target;
  }
  if (options.prod()) {
    std::string region;
    try {
      region = client::ResolveRegion();
    } catch (const client::CredentialsError& e) {
      throw CliError(std::string("production mode needs a region (AWS_REGION or "
                                 "AWS_DEFAULT_REGION): ") +
                     e.what());
    }
    std::string url = client::ResolveEndpoint("", region);
    DdbTarget target;
    client::HttpClientOptions http_options;
    http_options.retry = options.retry;
    target.client = std::make_unique<client::HttpClient>(url, region, client::ResolveCredentials(),
                                                         std::move(http_options));
    target.description = "AWS DynamoDB " + url;
    std::fprintf(stderr, "Running in production mode (%s)\n", url.c_str());
    return target;
  }
  return OpenEmbedded(globals, use, options.retry);
}

std::string MessageTableName(const DdbTargetOptions& options) {
  if (!options.table.empty()) return options.table;
  std::string env = Env("DDB_MESSAGE_TABLE");
  return env.empty() ? std::string(kDefaultMessageTable) : env;
}

std::unique_ptr<UserStore> OpenExistingUsers(const GlobalOptions& globals, bool prod,
                                             std::string* description) {
  // The same resolution as `cruddur db` (db_commands.cc).
  const char* variable = prod ? "PROD_CONNECTION_URL" : "CONNECTION_URL";
  std::string url = Env(variable);
  if (prod && url.empty()) {
    throw CliError(
        "production mode reads users from PROD_CONNECTION_URL, which is not set; refusing to "
        "pair production DynamoDB with local users");
  }
  if (url.empty()) {
    fs::path path = fs::path(globals.DataDir()) / "users.db";
    *description = "sqlite " + path.string();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      throw CliError("no users database at " + path.string() + ": run `cruddur db setup` first");
    }
    return OpenUserStore(UserStoreConfig::Sqlite(path.string()));
  }
  if (!IsPostgresUrl(url)) {
    throw CliError(std::string(variable) + " must be a postgresql:// URL, got '" +
                   RedactPostgresUrl(url) + "'");
  }
  if (PostgresUrlDatabase(url).empty()) url = WithPostgresDatabase(url, kDefaultDatabaseName);
  *description = RedactPostgresUrl(url);
  return OpenUserStore(UserStoreConfig::Postgres(url));
}

fs::path EndpointFilePath(const fs::path& engine_dir) { return engine_dir / "endpoint"; }

EndpointFile::EndpointFile(const fs::path& engine_dir, const std::string& url)
    : path_(EndpointFilePath(engine_dir)) {
  fs::path tmp = path_;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << url << "\n";
    if (!out.flush()) throw CliError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path_, ec);
  if (ec) throw CliError("cannot write " + path_.string() + ": " + ec.message());
}

EndpointFile::~EndpointFile() {
  std::error_code ec;
  fs::remove(path_, ec);
}

std::string LocalServerUrl(const std::string& host, unsigned port) {
  std::string h = host;
  if (h == "0.0.0.0" || h.empty()) h = "127.0.0.1";
  if (h == "::") h = "::1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port);
}

void RunDdbCommand(const std::function<void()>& body, const std::string& not_found_hint) {
  auto fail = [](const std::string& message) {
    std::fflush(stdout);
    return CliError(message);
  };
  try {
    body();
    std::fflush(stdout);
  } catch (const CliError&) {
    std::fflush(stdout);
    throw;
  } catch (const ddb::ApiError& e) {
    std::string message = e.type() + ": " + e.what();
    if (e.type() == "ResourceNotFoundException" && !not_found_hint.empty()) {
      message += " (" + not_found_hint + ")";
    }
    throw fail(message);
  } catch (const http::TransportError& e) {
    throw fail(std::string("cannot reach DynamoDB: ") + e.what());
  } catch (const UserStoreError& e) {
    throw fail(std::string("users database: ") + e.what());
  } catch (const client::CredentialsError& e) {
    throw fail(e.what());
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
}

void RunCommand(const std::function<void()>& body) {
  try {
    body();
  } catch (const CliError&) {
    throw;
  } catch (const ddb::ApiError& e) {
    throw CliError(e.type() + ": " + e.what());
  } catch (const std::exception& e) {
    throw CliError(e.what());
  }
}

void DdbBanner(const std::string& label) {
  if (isatty(fileno(stdout)) == 0) return;
  std::printf("\033[1;36m== %s\033[0m\n", label.c_str());
}

std::string DisplayTime(const std::string& timestamp) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(timestamp.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return timestamp;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::size_t i = 19;
  if (i < timestamp.size() && timestamp[i] == '.') {
    ++i;
    while (i < timestamp.size() && std::isdigit(static_cast<unsigned char>(timestamp[i]))) ++i;
  }
  long offset = 0;  // seconds east of UTC; no zone (the later original format) means UTC
  std::string zone = timestamp.substr(i);
  int zh = 0, zm = 0;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
      std::sscanf(zone.c_str() + 1, "%2d:%2d", &zh, &zm) == 2) {
    offset = (zh * 3600L + zm * 60L) * (zone[0] == '-' ? -1 : 1);
  } else if (!zone.empty() && zone != "Z") {
    return timestamp;
  }
  std::time_t t = timegm(&tm) - offset;
  std::tm local{};
  localtime_r(&t, &local);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %I:%M %p", &local);
  return out;
}

std::string FirstChars(const std::string& text, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t count = 0; i < text.size() && count < n; ++count) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return text.substr(0, i);
}

void AddTransientStatusFlag(CLI::App& cmd, std::string& value) {
  // DynamoDB Local's -delayTransientStatuses, with a settable delay; given alone: 5s, about how
  // long DynamoDB itself keeps a new table CREATING.
  cmd.add_flag("--delay-transient-statuses", value,
               "Keep tables CREATING/UPDATING/DELETING and GSIs deleted by UpdateTable DELETING "
               "for DURATION (e.g. 500ms, 2s, 1m; given alone: 5s) before they turn ACTIVE or "
               "go, and GSIs added by UpdateTable CREATING for twice as long (resources "
               "allocated with the table UPDATING, then backfilled with it ACTIVE), as DynamoDB "
               "does, so that applications' waiters are exercised (default: ACTIVE at once)")
      ->type_name("[=DURATION]");
}

namespace {

// "<digits>[ms|s|m|h]" (no unit: seconds) of at most a day; nullopt otherwise. A day bounds every
// delay and interval these flags set, and keeps the clock arithmetic far from overflowing.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& value) {
  std::size_t digits = 0;
  while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) {
    ++digits;
  }
  std::string unit = value.substr(digits);
  long long scale = unit == "ms"                  ? 1
                    : unit == "s" || unit.empty() ? 1000
                    : unit == "m"                 ? 60000
                    : unit == "h"                 ? 3600000
                                                  : 0;
  if (digits == 0 || digits > 9 || scale == 0) return std::nullopt;
  long long ms = std::stoll(value.substr(0, digits)) * scale;
  if (ms > 24LL * 3600 * 1000) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

// ParseDuration's duration, else the CliError that `source` expects one such as `examples`.
std::chrono::milliseconds RequireDuration(const std::string& value, const std::string& source,
                                          const std::string& examples) {
  auto duration = ParseDuration(value);
  if (!duration) {
    throw CliError(source + " expects a duration such as " + examples + " (at most a day), got '" +
                   value + "'");
  }
  return *duration;
}

}  // namespace

std::chrono::milliseconds TransientStatusDelay(const std::string& value) {
  if (value.empty()) return std::chrono::milliseconds(0);
  if (value == "true") return std::chrono::seconds(5);  // CLI11's value for the flag alone
  return RequireDuration(value, "--delay-transient-statuses", "500ms, 5s or 1m");
}

std::chrono::milliseconds MinIncrementalExportPeriod(const std::string& value) {
  auto period = RequireDuration(value, "--min-incremental-export-period", "0, 1s or 5m");
  if (period > std::chrono::minutes(15)) {
    throw CliError("--min-incremental-export-period shortens DynamoDB's 15 minutes, got '" + value +
                   "'");
  }
  return period;
}

std::chrono::milliseconds TtlCooldown(const std::string& value) {
  return RequireDuration(value, "--ttl-cooldown", "0, 10s or 31m");
}

void AddShardRotationFlags(CLI::App& cmd, ShardRotationFlags& flags) {
  cmd.add_option("--shard-rotation-records", flags.records,
                 "Close a stream's open shard and open a child shard once it holds N records "
                 "(0: no such bound; default: $CRUDDUR_SHARD_ROTATION_RECORDS, else 100000)")
      ->type_name("N");
  cmd.add_option("--shard-rotation-interval", flags.interval,
                 "... or once it is DURATION old, as DynamoDB rolls its shards over about every "
                 "4 hours (e.g. 30s, 5m, 4h; 0: no such bound; default: "
                 "$CRUDDUR_SHARD_ROTATION_INTERVAL, else 4h)")
      ->type_name("DURATION");
}

void AddThrottleFlags(CLI::App& cmd, ThrottleFlags& flags) {
  cmd.add_flag("--throttle", flags.throttle,
               "Throttle every table at its provisioned throughput (or on-demand maximum) and "
               "DynamoDB's per-partition limits, as DynamoDB does (without it, only tables tagged "
               "cruddur:throttle=on; with it, all but those tagged cruddur:throttle=off)");
  cmd.add_option("--burst-seconds", flags.burst_seconds,
                 "Seconds of unused throughput a throttled table keeps for bursts (DynamoDB: "
                 "300)")
      ->check(CLI::Range(0.0, 86400.0))
      ->type_name("S");
}

void ApplyThrottle(const ThrottleFlags& flags, ddb::EngineOptions& options) {
  options.throttle = flags.throttle;
  options.burst_seconds = flags.burst_seconds;
}

void ApplyShardRotation(const ShardRotationFlags& flags, ddb::EngineOptions& options) {
  std::string records =
      !flags.records.empty() ? flags.records : Env("CRUDDUR_SHARD_ROTATION_RECORDS");
  std::string interval =
      !flags.interval.empty() ? flags.interval : Env("CRUDDUR_SHARD_ROTATION_INTERVAL");
  if (!records.empty()) {
    bool digits =
        records.size() <= 9 && records.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) {
      throw CliError(
          "--shard-rotation-records / CRUDDUR_SHARD_ROTATION_RECORDS expects a number "
          "of records (0 to 999999999), got '" +
          records + "'");
    }
    options.stream_shard_max_records = std::stoull(records);
  }
  if (!interval.empty()) {
    options.stream_shard_max_age = RequireDuration(
        interval, "--shard-rotation-interval / CRUDDUR_SHARD_ROTATION_INTERVAL", "30s, 5m or 4h");
  }
}

}  // namespace cruddur::cli
