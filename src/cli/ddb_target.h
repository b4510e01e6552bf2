// What the `cruddur ddb ...` table commands talk to (DESIGN.md, "Operator CLI"), in order:
//   1. --endpoint-url URL, else AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL: HTTP to that endpoint
//      (credentials from the environment or ~/.aws; none needed on a loopback endpoint);
//   2. `prod` / --prod: real AWS DynamoDB in the configured region;
//   3. otherwise the embedded engine in <data-dir>/ddb, or, when a running server holds that
//      directory, the server whose URL it published in <data-dir>/ddb/endpoint.
// Users come from PROD_CONNECTION_URL with prod (never the local database: the original seeded
// production DynamoDB with local user uuids), else CONNECTION_URL, else <data-dir>/users.db.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "client/dynamodb_client.h"
#include "cruddur/users.h"
#include "ddb/engine.h"
#include "ddb/json.h"

namespace cruddur::triggers {
class TriggerManager;
}

namespace cruddur::cli {

// Flags shared by the table commands.
struct DdbTargetOptions {
  bool prod_flag = false;     // --prod
  std::string prod_word;      // the original scripts' `prod` argument
  std::string endpoint_url;   // --endpoint-url
  std::string table;          // --table (empty: $DDB_MESSAGE_TABLE, else cruddur-messages)
  bool json = false;          // --json
  client::RetryPolicy retry;  // how an HTTP client retries (serve allows more transient attempts)

  bool prod() const { return prod_flag || prod_word == "prod"; }
};

// Adds --prod, --endpoint-url and (when `with_table`) --table; --json when `with_json`.
void AddDdbTargetFlags(CLI::App& cmd, DdbTargetOptions& options, bool with_table, bool with_json);

// An open connection to a DynamoDB. The client is destroyed before the engine it may call.
struct DdbTarget {
  std::unique_ptr<ddb::Engine> engine;  // set when embedded
  std::unique_ptr<client::DynamoDbClient> client;
  std::string description;  // for messages: "embedded engine in ...", "http://...", ...
};

// Whether a command may create the embedded engine's data dir: commands that only read refuse a
// data dir that does not exist (saying where they looked) instead of creating an empty one.
enum class DataDirUse { kCreate, kReadExisting };

// Opens the target the options and environment select. Throws CliError with a readable reason
// (no region, no credentials, data dir locked by something that is not a server, no data dir
// to read, ...).
DdbTarget OpenDdbTarget(const GlobalOptions& globals, const DdbTargetOptions& options,
                        DataDirUse use = DataDirUse::kCreate);

// --table, else $DDB_MESSAGE_TABLE, else cruddur-messages.
std::string MessageTableName(const DdbTargetOptions& options);

// The users database, which must already exist (`cruddur db setup`). Throws CliError when it
// does not, or with prod when PROD_CONNECTION_URL is not set. `description` gets its name.
std::unique_ptr<UserStore> OpenExistingUsers(const GlobalOptions& globals, bool prod,
                                             std::string* description);

// The file in which a server holding the engine directory `engine_dir` publishes its URL.
std::filesystem::path EndpointFilePath(const std::filesystem::path& engine_dir);

// Who holds the engine directory's lock, for messages: "process 1234, serving
// http://127.0.0.1:8000" (the URL when it published one), or "another process" when the lock's
// owner cannot be told.
std::string DataDirHolder(const std::filesystem::path& engine_dir);

// Publishes a server's URL in EndpointFilePath(engine_dir) for its lifetime (written atomically;
// removed by the destructor). For servers that hold the data dir: `ddb serve`, `serve`.
class EndpointFile {
 public:
  EndpointFile(const std::filesystem::path& engine_dir, const std::string& url);
  ~EndpointFile();
  EndpointFile(const EndpointFile&) = delete;
  EndpointFile& operator=(const EndpointFile&) = delete;

 private:
  std::filesystem::path path_;
};

// The URL clients should use for a server listening on host:port (wildcards become loopback).
std::string LocalServerUrl(const std::string& host, unsigned port);

// Runs a command body and turns every failure into a one-line CliError: DynamoDB errors
// ("ResourceNotFoundException: ..."), transport failures, users-database and credential errors.
// `not_found_hint` is appended to a ResourceNotFoundException (e.g. "run schema-load first").
void RunDdbCommand(const std::function<void()>& body, const std::string& not_found_hint = "");
// Runs a command body that needs no target: library failures become one-line CliErrors
// ("Type: message" for DynamoDB's errors, else the exception's message).
void RunCommand(const std::function<void()>& body);

// `== label` on stdout (cyan) when stdout is a terminal, as the original scripts printed.
void DdbBanner(const std::string& label);

// A sort key time ("2026-11-25T20:38:31.123456Z", or with a +HH:MM offset) shown in local time
// as the original scripts did: "%Y-%m-%d %I:%M %p". Unparseable input is returned as is.
std::string DisplayTime(const std::string& timestamp);

// The first `n` characters (UTF-8 code points) of `text`.
std::string FirstChars(const std::string& text, std::size_t n);

// Polls DescribeTable until the table is ACTIVE (`want_gone`: until it no longer exists), as
// real DynamoDB and dynalite create and delete tables asynchronously. Returns the last
// description (empty when gone). Throws CliError after `timeout` (ddb_commands.cc).
std::string WaitForTable(client::DynamoDbClient& ddb, const std::string& table, bool want_gone,
                         std::chrono::seconds timeout);

// --delay-transient-statuses[=DURATION] of the commands that serve the embedded engine (`ddb
// serve`, `serve`); `value` stays empty when it is not given.
void AddTransientStatusFlag(CLI::App& cmd, std::string& value);
// The flag's delay (EngineOptions::transient_status_delay): zero when not given. Throws CliError
// for a value that is not a duration.
std::chrono::milliseconds TransientStatusDelay(const std::string& value);
// --min-incremental-export-period's DURATION, at most DynamoDB's 15 minutes.
std::chrono::milliseconds MinIncrementalExportPeriod(const std::string& value);
// --ttl-cooldown's DURATION (EngineOptions::ttl_update_cooldown; 0: none).
std::chrono::milliseconds TtlCooldown(const std::string& value);

// Shard rotation of the embedded engine's streams (EngineOptions::stream_shard_max_records and
// _age): --shard-rotation-records N and --shard-rotation-interval DURATION of the commands that
// serve it (`ddb serve`, `serve`), else $CRUDDUR_SHARD_ROTATION_RECORDS and
// $CRUDDUR_SHARD_ROTATION_INTERVAL, else the engine's defaults (100000 records, 4 hours).
struct ShardRotationFlags {
  std::string records;
  std::string interval;
  bool given() const { return !records.empty() || !interval.empty(); }
};
void AddShardRotationFlags(CLI::App& cmd, ShardRotationFlags& flags);
// Sets the options from the flags, else the environment. Throws CliError for a bad value.
void ApplyShardRotation(const ShardRotationFlags& flags, ddb::EngineOptions& options);

// `cruddur ddb export` and `cruddur ddb import` (ddb_transfer_commands.cc), registered by
// AddDdbCommands.
void AddDdbTransferCommands(CLI::App& ddb, GlobalOptions& globals);
// The table descriptions in an `aws dynamodb describe-table` output file (`ddb serve --schema`):
// one object, an array, or several objects one after another; each {"Table": {...}} or a bare
// TableDescription. Throws CliError naming the file when it holds none or is not JSON.
std::vector<std::string> TableDescriptionsInFile(const std::string& path);
// The CreateTable request that creates the table a TableDescription describes (keys, billing,
// throughput, indexes, stream, table class, deletion protection), named `new_name` when given.
std::string CreateTableRequestFromDescription(const ddb::JsonValue& table,
                                              const std::string& new_name);
// Throttling of the embedded engine (ddb::EngineOptions::throttle, burst_seconds): --throttle and
// --burst-seconds S of the commands that serve it (`ddb serve`, `serve`).
struct ThrottleFlags {
  bool throttle = false;
  double burst_seconds = 300;
  bool given() const { return throttle || burst_seconds != 300; }
};
void AddThrottleFlags(CLI::App& cmd, ThrottleFlags& flags);
void ApplyThrottle(const ThrottleFlags& flags, ddb::EngineOptions& options);
// `cruddur ddb backup ...` (ddb_backup_commands.cc), registered by AddDdbCommands.
void AddDdbBackupCommands(CLI::App& ddb, GlobalOptions& globals);
// `cruddur ddb fault ...` (fault_commands.cc), registered by AddDdbCommands.
void AddDdbFaultCommands(CLI::App& ddb, GlobalOptions& globals);

// `cruddur ddb mcp` (mcp_command.cc), registered by AddDdbCommands.
void AddDdbMcpCommand(CLI::App& ddb, GlobalOptions& globals);

// `cruddur ddb patterns ...` (patterns_commands.cc), registered by AddDdbCommands.
void AddDdbPatternsCommands(CLI::App& ddb, GlobalOptions& globals);
// `cruddur ddb trigger ...` (trigger_commands.cc), registered by AddDdbCommands.
void AddDdbTriggerCommands(CLI::App& ddb, GlobalOptions& globals);
// Runs the data dir's stream triggers through `ddb` (and those added later) until the manager
// is destroyed. `endpoint_url` ("" when none) and `region` go to command handlers as
// AWS_ENDPOINT_URL and AWS_REGION, with placeholder credentials when none are set. `note` gets
// the start line's words ("2 triggers"). Throws CliError for an unreadable triggers.json.
std::unique_ptr<triggers::TriggerManager> StartTriggers(const GlobalOptions& globals,
                                                        client::DynamoDbClient& ddb,
                                                        const std::string& endpoint_url,
                                                        const std::string& region,
                                                        std::string* note);

}  // namespace cruddur::cli
