// `cruddur ddb serve`: the embedded DynamoDB engine over the DynamoDB wire protocol.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "client/dynamodb_client.h"
#include "ddb/engine.h"
#include "ddb/error.h"
#include "ddb/storage/storage.h"
#include "http/server.h"
#include "log/log.h"
#include "triggers/runner.h"
#include "wire/dynamodb_handler.h"

namespace cruddur::cli {

namespace {

// The idle tick's flush. While the WAL cannot be written (a full disk) it fails every tick:
// the failure is logged when it starts or its reason changes, not four times a second.
void FlushWalQuietly(ddb::Engine& engine, std::string& last_failure) {
  try {
    engine.FlushWal();
    last_failure.clear();
  } catch (const std::exception& e) {
    if (last_failure == e.what()) return;
    last_failure = e.what();
    log::Error("storage", "the WAL could not be written", {{"reason", e.what()}});
  }
}

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  bool in_memory = false;
  bool fsync = false;
  bool no_triggers = false;
  std::vector<std::string> auth;  // ACCESS_KEY:SECRET
  bool console = false;           // serve /console even with --auth
  int threads = 0;
  std::string transient_delay;  // --delay-transient-statuses[=DURATION]
  ShardRotationFlags shard_rotation;
  ThrottleFlags throttle;
  int ttl_interval_ms = 5000;  // hidden: how often expired TTL items are swept (tests lower it)
  // Hidden, for tests of the HTTP limits (tests/reliability/test_limits.py); 0 keeps
  // http::ServerOptions' default.
  int max_connections = 0;
  int idle_timeout_ms = 0;
  int header_timeout_ms = 0;
  int body_timeout_ms = 0;
  int body_budget_mb = 0;
  std::string s3_dir;                         // --s3-dir: the local S3 of exports and imports
  std::string min_incremental_export_period;  // --min-incremental-export-period DURATION
  std::string ttl_cooldown;                   // --ttl-cooldown DURATION
  bool no_update_limits = false;              // --no-update-limits
  std::string schema;  // --schema: tables to create at start (describe-table output)
  LogFlags log;
  bool faults = false;  // --faults: the fault-injection rules and their control API
};

// Whether `arn` names an IAM principal: arn:aws:iam::<12 digits>:<user/..., role/..., root>
// (or an STS assumed role).
bool IsPrincipalArn(const std::string& arn) {
  for (std::string_view prefix : {"arn:aws:iam::", "arn:aws:sts::"}) {
    if (!arn.starts_with(prefix)) continue;
    std::string_view rest = std::string_view(arn).substr(prefix.size());
    std::size_t colon = rest.find(':');
    return colon == 12 && colon + 1 < rest.size() &&
           std::all_of(rest.begin(), rest.begin() + 12,
                       [](char c) { return c >= '0' && c <= '9'; });
  }
  return false;
}

// --auth ACCESS_KEY:SECRET[:PRINCIPAL_ARN]: the key's secret, and the IAM principal it signs as
// (by default the IAM user named after the key, in the account that owns the tables).
void ParseCredentials(const std::vector<std::string>& auth, const std::string& account,
                      wire::WireOptions& wire) {
  for (const std::string& entry : auth) {
    std::size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
      throw CliError("--auth expects ACCESS_KEY:SECRET[:PRINCIPAL_ARN], got '" + entry + "'");
    }
    std::string key = entry.substr(0, colon);
    std::string secret = entry.substr(colon + 1);
    std::string principal = "arn:aws:iam::" + account + ":user/" + key;
    // A secret has no colon of its own; an ARN after it starts ":arn:".
    if (std::size_t arn = secret.find(":arn:"); arn != std::string::npos) {
      principal = secret.substr(arn + 1);
      secret.resize(arn);
      if (secret.empty() || !IsPrincipalArn(principal)) {
        throw CliError("--auth " + key +
                       ": the principal must be an IAM ARN such as "
                       "arn:aws:iam::111122223333:user/NAME, got '" +
                       principal + "'");
      }
    }
    wire.credentials[key] = secret;
    wire.principals[key] = principal;
  }
}

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;  // IPv6 literal
}

// `--schema FILE`: creates each table FILE describes; one that exists already (a data dir
// served before) is left as it is.
void CreateSchemaTables(ddb::Engine& engine, const std::string& file) {
  for (const std::string& text : TableDescriptionsInFile(file)) {
    ddb::JsonDocument table;
    table.Parse(text.data(), text.size());
    std::string request = CreateTableRequestFromDescription(table, "");
    try {
      engine.Execute("CreateTable", request);
    } catch (const ddb::ApiError& e) {
      if (e.type() != "ResourceInUseException") {
        throw CliError("--schema " + file + ": " + e.type() + ": " + e.message());
      }
    }
  }
}

void Serve(const ServeOptions& serve, const GlobalOptions& globals, bool data_dir_given) {
  ApplyLogFlags(serve.log);
  http::RaiseOpenFileLimit();  // connections and RocksDB's files share it
  if (serve.in_memory && data_dir_given) {
    throw CliError("--in-memory and --data-dir exclude each other");
  }
  if (serve.port < 0 || serve.port > 65535) {
    throw CliError("--port must be between 0 and 65535");
  }

  ddb::EngineOptions engine_options;
  engine_options.in_memory = serve.in_memory;
  engine_options.fsync = serve.fsync;
  // Each answer's writes are handed to the OS (with --fsync, synced to the disk) before it leaves
  // (before_answers below), once for all the answers of a worker's turn, instead of one WAL write
  // (and one sync) per request: --fsync's group commit.
  engine_options.deferred_wal = !serve.in_memory;
  if (!serve.s3_dir.empty()) {
    std::error_code ec;
    engine_options.s3_dir = std::filesystem::absolute(serve.s3_dir, ec).string();
  }
  engine_options.ttl_sweep_interval = std::chrono::milliseconds(serve.ttl_interval_ms);
  engine_options.transient_status_delay = TransientStatusDelay(serve.transient_delay);
  if (!serve.min_incremental_export_period.empty()) {
    engine_options.incremental_export_min_period =
        MinIncrementalExportPeriod(serve.min_incremental_export_period);
  }
  if (serve.no_update_limits) {
    engine_options.update_limits = false;
    engine_options.ttl_update_cooldown = std::chrono::milliseconds(0);
  }
  if (!serve.ttl_cooldown.empty()) {
    engine_options.ttl_update_cooldown = TtlCooldown(serve.ttl_cooldown);
  }
  ApplyShardRotation(serve.shard_rotation, engine_options);
  ApplyThrottle(serve.throttle, engine_options);
  std::string data_description = "in memory";
  if (!serve.in_memory) {
    std::filesystem::path dir = std::filesystem::path(globals.DataDir()) / "ddb";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw CliError("cannot create data dir " + dir.string() + ": " + ec.message());
    dir = std::filesystem::absolute(dir, ec).lexically_normal();
    engine_options.data_dir = dir.string();
    data_description = dir.string();
  }

  std::unique_ptr<ddb::Engine> engine;
  try {
    engine = ddb::Engine::Open(engine_options);
  } catch (const ddb::storage::DataDirLockedError&) {
    throw CliError("data dir " + data_description + " is in use by " +
                   DataDirHolder(engine_options.data_dir) +
                   "; stop that one, or give this one another --data-dir (or --in-memory)");
  } catch (const std::exception& e) {
    throw CliError("cannot open the DynamoDB engine (" + data_description + "): " + e.what());
  }

  wire::WireOptions wire_options;
  if (!serve.schema.empty()) CreateSchemaTables(*engine, serve.schema);
  ParseCredentials(serve.auth, engine_options.account_id, wire_options);
  wire_options.region = engine_options.region;
  // With --auth the console is opt-in: it shows every table to whoever holds a key.
  wire_options.console = serve.auth.empty() || serve.console;
  wire::FaultInjector faults;
  if (serve.faults) wire_options.faults = &faults;
  wire::DynamoDbHandler handler(*engine, wire_options);

  http::ServerOptions server_options;
  server_options.host = serve.host;
  server_options.port = static_cast<std::uint16_t>(serve.port);
  server_options.threads = serve.threads;
  if (serve.max_connections > 0) server_options.max_connections = serve.max_connections;
  auto ms = [](int n) { return std::chrono::milliseconds(n); };
  if (serve.idle_timeout_ms > 0) server_options.idle_timeout = ms(serve.idle_timeout_ms);
  if (serve.header_timeout_ms > 0) server_options.header_timeout = ms(serve.header_timeout_ms);
  if (serve.body_timeout_ms > 0) server_options.body_timeout = ms(serve.body_timeout_ms);
  if (serve.body_budget_mb > 0) {
    server_options.body_budget = static_cast<std::size_t>(serve.body_budget_mb) << 20;
  }
  handler.Configure(server_options);
  if (engine_options.deferred_wal) {
    ddb::Engine& flushed = *engine;
    server_options.before_answers = [&flushed] { flushed.FlushWal(); };
    // A sync to the disk costs more than the clients' wait for the turn to end: one a turn.
    server_options.answers_together = serve.fsync;
  }
  http::Server server(server_options, handler.AsHandler());
  server.CatchSignals();  // a SIGTERM right after the start line still stops gracefully
  server.Start();         // throws a readable reason, e.g. the port is in use

  // Commands run on this data dir find the server here instead of failing on its lock; the
  // file goes away on a clean exit (SIGINT/SIGTERM).
  std::unique_ptr<EndpointFile> endpoint_file;
  if (!serve.in_memory) {
    endpoint_file = std::make_unique<EndpointFile>(engine_options.data_dir,
                                                   LocalServerUrl(serve.host, server.port()));
  }
  // Stream triggers of this data dir (none for an in-memory engine, whose tables are new).
  std::unique_ptr<client::InProcessClient> trigger_client;
  std::unique_ptr<triggers::TriggerManager> trigger_manager;
  std::string trigger_note = "off";
  if (!serve.in_memory && !serve.no_triggers) {
    trigger_client = std::make_unique<client::InProcessClient>(*engine);
    trigger_manager =
        StartTriggers(globals, *trigger_client, LocalServerUrl(serve.host, server.port()),
                      engine_options.region, &trigger_note);
  }
  std::printf("cruddur ddb serve listening on http://%s:%u (data: %s; triggers: %s%s%s)\n",
              UrlHost(serve.host).c_str(), static_cast<unsigned>(server.port()),
              data_description.c_str(), trigger_note.c_str(),
              serve.faults ? "; fault injection on" : "",
              serve.auth.empty() ? "" : "; resource-based policies enforced");
  if (wire_options.console) {
    std::printf("console: http://%s:%u/console\n", UrlHost(serve.host).c_str(),
                static_cast<unsigned>(server.port()));
  }
  std::fflush(stdout);
  // Started: RocksDB's opening and recovery code does not run again; it is released once the
  // server idles (storage.h).
  ddb::storage::IdleCodeRelease code_release;
  std::string wal_failure;  // the tick's last, for FlushWalQuietly
  if (!serve.in_memory) {
    server.SetWaitTick(std::chrono::milliseconds(250), [&] {
      code_release.Tick();
      // What the engine wrote on its own (TTL deletions, stream trims, trigger checkpoints,
      // tables turning ACTIVE) and no answer has flushed yet.
      FlushWalQuietly(*engine, wal_failure);
    });
  }
  server.WaitForSignal();   // stops the server before the engine closes
  trigger_manager.reset();  // before the engine they read
}

}  // namespace

void AddDdbServeCommand(CLI::App& ddb, GlobalOptions& globals) {
  auto serve = std::make_shared<ServeOptions>();
  CLI::App* cmd = ddb.add_subcommand(
      "serve", "Serve the embedded DynamoDB engine over the DynamoDB JSON protocol");
  AddListenOptions(*cmd, serve->host, serve->port);
  cmd->add_flag("--in-memory", serve->in_memory, "Keep nothing on disk");
  cmd->add_flag("--fsync", serve->fsync,
                "Sync every write to disk before it is acknowledged (survives power loss; writes "
                "answered together share one sync)");
  cmd->add_flag("--no-triggers", serve->no_triggers,
                "Do not run the data dir's stream triggers (`cruddur ddb trigger add`)");
  cmd->add_option("--auth", serve->auth,
                  "Verify SigV4 signatures against ACCESS_KEY:SECRET (repeatable), and enforce "
                  "the tables' resource-based policies for the key's IAM principal: "
                  "PRINCIPAL_ARN, or by default arn:aws:iam::000000000000:user/ACCESS_KEY (the "
                  "tables' own account); without --auth any well-formed credentials are accepted "
                  "and policies are stored but not enforced")
      ->type_name("ACCESS_KEY:SECRET[:PRINCIPAL_ARN]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--console", serve->console,
                "Serve the console at /console also with --auth (it asks for a key and signs "
                "with it); without --auth it is always served");
  cmd->add_option("--threads", serve->threads, "Worker threads (default: one per CPU)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--faults", serve->faults,
                "Accept fault-injection rules (`cruddur ddb fault add`) and apply them");
  AddTransientStatusFlag(*cmd, serve->transient_delay);
  AddShardRotationFlags(*cmd, serve->shard_rotation);
  cmd->add_option("--s3-dir", serve->s3_dir,
                  "The local S3 of ExportTableToPointInTime and ImportTable: s3://BUCKET/KEY is "
                  "DIR/BUCKET/KEY (default: <data-dir>/ddb/s3; in memory: a directory of the "
                  "server's own under the temp dir)")
      ->type_name("DIR");
  cmd->add_option("--min-incremental-export-period", serve->min_incremental_export_period,
                  "The shortest period an INCREMENTAL_EXPORT may have (e.g. 0, 1s, 5m; "
                  "default: DynamoDB's 15m), so that a local test need not wait for it")
      ->type_name("DURATION");
  cmd->add_option("--ttl-cooldown", serve->ttl_cooldown,
                  "How long after a change of a table's TTL UpdateTimeToLive refuses another "
                  "('Time to live has been modified multiple times within a fixed interval'; "
                  "e.g. 0, 10s; default: DynamoDB's, about 31m)")
      ->type_name("DURATION");
  cmd->add_flag("--no-update-limits", serve->no_update_limits,
                "Lift DynamoDB's limits on how often a table may change, as DynamoDB Local: "
                "DeletionProtection and a resource policy once in 15 s, TableClass twice in "
                "30 days, throughput "
                "decreases 4 a UTC day then one an hour, and TTL's interval (unless "
                "--ttl-cooldown is given)");
  cmd->add_option("--schema", serve->schema,
                  "Create the tables FILE describes at start (`aws dynamodb describe-table` "
                  "output: one, an array, or several one after another); existing ones are kept")
      ->type_name("FILE");
  AddLogFlags(*cmd, serve->log);
  AddThrottleFlags(*cmd, serve->throttle);
  cmd->add_option("--ttl-interval-ms", serve->ttl_interval_ms,
                  "Milliseconds between sweeps for expired TTL items (0: never)")
      ->check(CLI::NonNegativeNumber)
      ->group("");  // hidden: for tests
  // Hidden: the HTTP server's limits (see http::ServerOptions), lowered by tests.
  auto hidden_limit = [cmd](const std::string& name, auto& value, const std::string& what) {
    cmd->add_option(name, value, what)->check(CLI::NonNegativeNumber)->group("");
  };
  hidden_limit("--max-connections", serve->max_connections, "Open connections at most");
  hidden_limit("--idle-timeout-ms", serve->idle_timeout_ms, "Keep-alive idle timeout");
  hidden_limit("--header-timeout-ms", serve->header_timeout_ms, "Request header timeout");
  hidden_limit("--body-timeout-ms", serve->body_timeout_ms, "Request body timeout floor");
  hidden_limit("--body-budget-mb", serve->body_budget_mb, "Request bodies buffered at once");
  cmd->callback([serve, &globals] { Serve(*serve, globals, !globals.data_dir_flag.empty()); });
}

}  // namespace cruddur::cli
