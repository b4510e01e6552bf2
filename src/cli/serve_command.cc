// `cruddur serve`: the messaging HTTP API (src/api/routes.h) with the pattern-D stream consumer
// running beside it; and `cruddur stream-worker`: the consumer alone, for deployments whose
// DynamoDB is real (or another server) and whose API runs elsewhere.
//
// DynamoDB target as for the `ddb` commands (--endpoint-url / AWS_ENDPOINT_URL, --prod, else the
// embedded engine in <data-dir>/ddb — `serve` opens it with its TTL/stream-retention sweeper, and
// with --ddb-port also serves it over the DynamoDB protocol so `cruddur ddb ...`, the aws CLI or
// boto3 can reach it while the API holds the data dir). Users as `cruddur db` resolves them.
// The stream checkpoint is <data-dir>/stream-checkpoint.json unless --checkpoint names a file;
// one consumer holds it at a time (its <file>.lock names the holder to the one refused).
// Production mode never creates the messages table: `serve` refuses to start without it, as
// `stream-worker` does anywhere (with the schema-load command that creates it).
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/api_metrics.h"
#include "api/auth.h"
#include "api/cache.h"
#include "api/dev_routes.h"
#include "api/routes.h"
#include "api/service.h"
#include "api/stream_consumer.h"
#include "api/web.h"
#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "client/credentials.h"
#include "cruddur/messages.h"
#include "ddb/engine.h"
#include "ddb/error.h"
#include "ddb/storage/storage.h"
#include "http/server.h"
#include "triggers/runner.h"
#include "wire/dynamodb_handler.h"
#include "wire/faults.h"

namespace cruddur::cli {
namespace {

namespace fs = std::filesystem;

// The long-running services: message writes are idempotent (conditions, request tokens), so a
// run of 5xx answers or lost answers gets more attempts than a one-off command's, embedded or not.
// A throttled call looks for capacity again at least every second, for up to ~25 s: the SDK's
// schedule (20 s cap) spends its last attempts 3-20 s apart, so a caller that met a throttled
// table while the stream consumer drained its backlog could give up just as capacity came back.
// A second between looks also bounds how long a stopping consumer sleeps.
DdbTargetOptions ServiceTargetDefaults() {
  DdbTargetOptions options;
  options.retry.max_attempts_transient = 6;
  options.retry.max_attempts_throttled = 30;
  options.retry.max_backoff = std::chrono::milliseconds(1000);
  return options;
}

struct ServeCommandOptions {
  DdbTargetOptions target = ServiceTargetDefaults();
  std::string host = "127.0.0.1";
  int port = 4567;
  int ddb_port = -1;  // -1: do not serve the DynamoDB protocol
  int threads = 0;
  bool no_stream_consumer = false;
  bool no_triggers = false;
  std::string checkpoint;             // default <data-dir>/stream-checkpoint.json
  std::string jwks;                   // Cognito mode: a JWKS file or URL instead of Cognito's
  std::string web_dir;                // the web page from disk instead of the embedded copy
  std::string cache_url;              // --cache-url, else CACHE_URL; "" = in-process memory
  std::string transient_delay;        // --delay-transient-statuses[=DURATION] (embedded engine)
  ShardRotationFlags shard_rotation;  // (embedded engine)
  std::string s3_dir;                 // --s3-dir: the local S3 of exports/imports (embedded)
  LogFlags log;
  ThrottleFlags throttle;  // (embedded engine)
  bool faults = false;     // --faults (embedded engine; control API on --ddb-port)
};

// The embedded engine as `serve` calls it: with --faults, the injected faults applied (a dropped
// answer as the transport error a remote client would see), and every call retried as the HTTP
// client retries (throttling, 5xx, a lost answer), so the service lives with them as it would on
// DynamoDB.
class ServeEngineClient : public client::DynamoDbClient {
 public:
  ServeEngineClient(ddb::Engine& engine, wire::FaultInjector* faults, client::RetryPolicy policy)
      : direct_(engine), faults_(faults), policy_(policy) {}
  std::string Call(std::string_view operation, std::string_view request_json) override {
    return client::CallWithRetries(
        policy_, [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
        [&] { return Once(operation, request_json); });
  }

 private:
  std::string Once(std::string_view operation, std::string_view request_json) {
    if (!faults_) return direct_.Call(operation, request_json);
    bool dropped = false;
    std::string answer = faults_->Run(
        operation, request_json,
        [this](std::string_view op, std::string_view body) { return direct_.Call(op, body); },
        &dropped);
    if (dropped) throw http::TransportError("connection reset by peer (injected fault)");
    return answer;
  }

  client::InProcessClient direct_;
  wire::FaultInjector* faults_;
  client::RetryPolicy policy_;
};

void CheckPort(int port, const char* flag) {
  if (port < 0 || port > 65535) throw CliError(std::string(flag) + " must be between 0 and 65535");
}

// The DynamoDB target; embedded engines get the background sweeper (a long-running process).
DdbTarget OpenServeTarget(const GlobalOptions& globals, const DdbTargetOptions& options,
                          std::chrono::milliseconds transient_delay,
                          const ShardRotationFlags& shard_rotation, const std::string& s3_dir,
                          const ThrottleFlags& throttle, wire::FaultInjector* faults) {
  if (!options.endpoint_url.empty() || !client::EndpointFromEnvironment().empty() ||
      options.prod()) {
    return OpenDdbTarget(globals, options);
  }
  std::error_code ec;
  fs::path dir = fs::path(globals.DataDir()) / "ddb";
  fs::create_directories(dir, ec);
  if (ec) throw CliError("cannot create data dir " + dir.string() + ": " + ec.message());
  dir = fs::absolute(dir, ec).lexically_normal();
  ddb::EngineOptions engine_options;
  engine_options.data_dir = dir.string();
  engine_options.transient_status_delay = transient_delay;
  engine_options.s3_dir = s3_dir;
  ApplyShardRotation(shard_rotation, engine_options);
  ApplyThrottle(throttle, engine_options);
  DdbTarget target;
  try {
    target.engine = ddb::Engine::Open(engine_options);
  } catch (const ddb::storage::DataDirLockedError&) {
    return OpenDdbTarget(globals, options);  // a running `ddb serve` holds it: talk to it
  } catch (const std::exception& e) {
    throw CliError("cannot open the DynamoDB engine in " + dir.string() + ": " + e.what());
  }
  fs::remove(EndpointFilePath(dir), ec);  // we hold the lock: any such file is stale
  target.client = std::make_unique<ServeEngineClient>(*target.engine, faults, options.retry);
  target.description = "embedded engine in " + dir.string();
  return target;
}

// How to create the messages table on the target these options name: the `ddb schema-load`
// with the same flags (what came from the environment applies to it as well).
std::string SchemaLoadCommand(const GlobalOptions& globals, const DdbTargetOptions& options) {
  auto arg = [](const std::string& value) {  // quoted for a POSIX shell when it needs to be
    bool plain = !value.empty() && value.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_-.,/:@=+%") == std::string::npos;
    if (plain) return value;
    std::string quoted = "'";
    for (char c : value) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
  };
  std::string command = "cruddur ddb schema-load";
  if (options.prod()) command += " --prod";
  if (!options.endpoint_url.empty()) command += " --endpoint-url " + arg(options.endpoint_url);
  if (!options.table.empty()) command += " --table " + arg(options.table);
  if (!globals.data_dir_flag.empty()) command += " --data-dir " + arg(globals.data_dir_flag);
  return command;
}

bool TableExists(client::DynamoDbClient& ddb, const std::string& table) {
  try {
    ddb.Call("DescribeTable", "{\"TableName\":\"" + table + "\"}");
    return true;
  } catch (const ddb::ApiError& e) {
    if (e.type() != "ResourceNotFoundException") throw;
    return false;
  }
}

// Creates the messages table when it is missing — but never in production, where that is
// schema-load's job: there a missing table stops the start, as every request would fail.
// Returns a note for the start line.
std::string EnsureTable(const GlobalOptions& globals, const DdbTargetOptions& options,
                        const DdbTarget& target, MessageStore& store) {
  if (TableExists(*target.client, store.table())) return "";
  if (options.prod()) {
    throw CliError("table " + store.table() + " does not exist in " + target.description +
                   ", and production mode does not create it: create it with `" +
                   SchemaLoadCommand(globals, options) + "`, then start `cruddur serve` again");
  }
  store.CreateTable();
  // Writes wait for ACTIVE (with --delay-transient-statuses the table is CREATING for a while).
  WaitForTable(*target.client, store.table(), false, std::chrono::seconds(120));
  return " (created)";
}

fs::path CheckpointPath(const GlobalOptions& globals, const std::string& flag) {
  if (!flag.empty()) return flag;
  fs::path dir = globals.DataDir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir / "stream-checkpoint.json";
}

// The checkpoint, locked for this consumer (`holder` names it to the one refused) and loaded: a
// second consumer on it, or a corrupt one, stops the start with the reason.
std::unique_ptr<api::FileCheckpointStore> OpenCheckpoint(const fs::path& path,
                                                         const std::string& holder,
                                                         const std::string& remedy) {
  auto checkpoints = std::make_unique<api::FileCheckpointStore>(path);
  try {
    checkpoints->Lock(holder);
  } catch (const api::CheckpointLockedError& e) {
    throw CliError(std::string(e.what()) +
                   ": one checkpoint has one consumer (two would overwrite each other's position "
                   "in it); " +
                   remedy);
  }
  checkpoints->Load();
  return checkpoints;
}

// The API cache: --cache-url, else CACHE_URL, else in-process memory.
std::unique_ptr<api::Cache> OpenCache(const std::string& flag) {
  std::string url = flag;
  if (const char* env = std::getenv("CACHE_URL"); url.empty() && env != nullptr) url = env;
  try {
    return api::MakeCache(url);
  } catch (const std::invalid_argument& e) {
    throw CliError(std::string("--cache-url / CACHE_URL: ") + e.what());
  }
}

// With a cache, every applied message invalidates it and counts as unread for the receiver.
api::StreamConsumerOptions ConsumerOptions(api::MessageCache* cache = nullptr) {
  api::StreamConsumerOptions o;
  if (cache != nullptr) {
    o.on_message = [cache](const std::string& group, const std::string& sent_at,
                           const std::string& sender) {
      cache->MessageApplied(group, sent_at, sender);
    };
  }
  return o;
}

// The stopped consumer's work, on stdout after the start line (checked by tests/api).
void PrintConsumerStats(const api::StreamConsumer& consumer) {
  api::StreamConsumer::Stats stats = consumer.stats();
  std::printf("stopped: %llu records, %llu messages applied, %llu group items moved\n",
              static_cast<unsigned long long>(stats.records),
              static_cast<unsigned long long>(stats.messages),
              static_cast<unsigned long long>(stats.moved));
  std::fflush(stdout);
}

// SIGINT/SIGTERM for the worker, which has no server to wait on.
std::atomic<int> g_signal{0};
void OnSignal(int signal_number) { g_signal.store(signal_number); }

// Before the start line: a SIGTERM right after it must still stop gracefully.
void CatchStopSignals() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int WaitForStopSignal() {
  while (g_signal.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return g_signal.load();
}

void Serve(const ServeCommandOptions& o, const GlobalOptions& globals) {
  ApplyLogFlags(o.log);
  http::RaiseOpenFileLimit();  // connections and the engine's files share it
  CheckPort(o.port, "--port");
  api::WebPage page(o.web_dir);  // a bad --web-dir stops the start before anything opens
  if (o.ddb_port != -1) CheckPort(o.ddb_port, "--ddb-port");

  std::chrono::milliseconds transient_delay = TransientStatusDelay(o.transient_delay);
  // Before the target: the engine's client and the DynamoDB endpoint use it.
  std::unique_ptr<wire::FaultInjector> faults;
  if (o.faults) faults = std::make_unique<wire::FaultInjector>();
  DdbTarget target = OpenServeTarget(globals, o.target, transient_delay, o.shard_rotation, o.s3_dir,
                                     o.throttle, faults.get());
  if (o.faults && !target.engine) {
    throw CliError("--faults applies to the embedded engine, but the target is " +
                   target.description + " (start that server with --faults instead)");
  }
  if (o.ddb_port != -1 && !target.engine) {
    throw CliError("--ddb-port serves the embedded engine, but the target is " +
                   target.description);
  }
  if (transient_delay.count() > 0 && !target.engine) {
    throw CliError("--delay-transient-statuses applies to the embedded engine, but the target is " +
                   target.description);
  }
  if (o.throttle.given() && !target.engine) {
    throw CliError("--throttle/--burst-seconds apply to the embedded engine, but the target is " +
                   target.description);
  }
  if (o.shard_rotation.given() && !target.engine) {
    throw CliError(
        "--shard-rotation-records/-interval apply to the embedded engine, but the "
        "target is " +
        target.description);
  }
  // The table and the checkpoint before the users: either can stop the start with a remedy.
  MessageStore store(*target.client, MessageTableName(o.target));
  std::string table_note = EnsureTable(globals, o.target, target, store);
  std::unique_ptr<api::FileCheckpointStore> checkpoints;
  if (!o.no_stream_consumer) {
    checkpoints = OpenCheckpoint(
        CheckpointPath(globals, o.checkpoint), "cruddur serve, table " + store.table(),
        "beside another consumer of this table start `cruddur serve --no-stream-consumer`; a "
        "consumer of another table needs its own --checkpoint FILE");
  }
  std::string users_description;
  std::unique_ptr<UserStore> users =
      OpenExistingUsers(globals, o.target.prod(), &users_description);

  api::AuthConfig auth_config = api::AuthConfig::FromEnvironment(globals.DataDir(), o.jwks);
  std::unique_ptr<api::Authenticator> auth = api::MakeAuthenticator(auth_config);
  std::unique_ptr<api::Cache> cache = OpenCache(o.cache_url);
  // An in-process cache is kept right by this process's consumer only: without it (a separate
  // stream-worker moves the group items) nothing could invalidate it, so nothing is cached.
  std::unique_ptr<api::MessageCache> message_cache;
  if (!o.no_stream_consumer || cache->Describe() != "memory") {
    message_cache = std::make_unique<api::MessageCache>(*cache, store);
  }
  api::MessagingService service(store, *users, message_cache.get());

  api::RoutesOptions routes_options;
  routes_options.allowed_origins = api::OriginsFromEnvironment();
  client::DynamoDbClient& ddb = *target.client;
  const std::string table = store.table();
  routes_options.health_checks = {{"dynamodb",
                                   [&ddb, table] {
                                     ddb.Call("DescribeTable", "{\"TableName\":\"" + table + "\"}");
                                     return std::string();
                                   }},
                                  {"users", [&users] {
                                     users->FindByUuid("00000000-0000-4000-8000-000000000000");
                                     return std::string();
                                   }}};
  api::Routes routes(service, *auth, routes_options);
  // The web page's sign-in (/api/dev/...): development mode only, else 404.
  std::optional<api::DevSigningKey> dev_key;
  if (auth_config.mode == api::AuthConfig::Mode::kDevelopment) {
    dev_key = api::DevSigningKey::LoadOrCreate(globals.DataDir());
  }
  api::DevRoutes dev_routes(*users, std::move(dev_key));

  // The DynamoDB protocol on --ddb-port, published for the other commands on this data dir.
  std::unique_ptr<wire::DynamoDbHandler> wire_handler;
  std::unique_ptr<http::Server> ddb_server;
  std::unique_ptr<EndpointFile> endpoint_file;
  std::string ddb_note;
  std::string ddb_url = o.target.endpoint_url;  // where trigger handlers can call DynamoDB
  if (o.ddb_port != -1) {
    wire::WireOptions wire_options;
    wire_options.console = true;         // this endpoint verifies no signatures (no --auth)
    wire_options.faults = faults.get();  // its rules, and their control API on this port
    wire_handler = std::make_unique<wire::DynamoDbHandler>(*target.engine, wire_options);
    http::ServerOptions ddb_options;
    ddb_options.host = o.host;
    ddb_options.port = static_cast<std::uint16_t>(o.ddb_port);
    ddb_options.threads = o.threads;
    wire_handler->Configure(ddb_options);
    ddb_server = std::make_unique<http::Server>(ddb_options, wire_handler->AsHandler());
    ddb_server->Start();
    std::string url = LocalServerUrl(o.host, ddb_server->port());
    endpoint_file = std::make_unique<EndpointFile>(fs::path(globals.DataDir()) / "ddb", url);
    ddb_note = ", DynamoDB endpoint " + url;
    ddb_url = url;
  }
  std::unique_ptr<triggers::TriggerManager> trigger_manager;
  if (!o.no_triggers) {
    std::string trigger_note;
    trigger_manager = StartTriggers(globals, *target.client, ddb_url,
                                    client::FindRegion().value_or("us-east-1"), &trigger_note);
    ddb_note += ", " + trigger_note;
  }

  std::unique_ptr<api::StreamConsumer> consumer;
  if (checkpoints) {
    consumer = std::make_unique<api::StreamConsumer>(*target.client, store, *checkpoints,
                                                     ConsumerOptions(message_cache.get()));
    consumer->Start();
  }

  http::ServerOptions server_options;
  server_options.host = o.host;
  server_options.port = static_cast<std::uint16_t>(o.port);
  server_options.threads = o.threads;
  routes.Configure(server_options);
  api::ApiMetrics api_metrics({.cache = message_cache.get(), .consumer = consumer.get()});
  http::Server server(
      server_options,
      api::ObserveRequests(api_metrics,
                           api::ServeHandler(page, dev_routes.AsHandler(), routes.AsHandler())));
  server.CatchSignals();  // a SIGTERM right after the start line still stops gracefully
  server.Start();

  std::printf(
      "cruddur serve listening on %s (dynamodb: %s, table %s%s; users: %s; auth: %s; cache: %s; "
      "stream consumer: %s%s)\n",
      LocalServerUrl(o.host, server.port()).c_str(), target.description.c_str(), table.c_str(),
      table_note.c_str(), users_description.c_str(),
      auth_config.mode == api::AuthConfig::Mode::kCognito ? "cognito" : "development",
      message_cache ? message_cache->Describe().c_str() : "off", consumer ? "on" : "off",
      ddb_note.c_str());
  std::fflush(stdout);
  // Started: RocksDB's opening and recovery code does not run again; it is released once the
  // server idles (storage.h).
  ddb::storage::IdleCodeRelease code_release;
  if (target.engine) {
    server.SetWaitTick(std::chrono::milliseconds(250), [&] { code_release.Tick(); });
  }
  server.WaitForSignal();
  if (consumer) {
    consumer->Stop();
    PrintConsumerStats(*consumer);
  }
  trigger_manager.reset();
  if (ddb_server) ddb_server->Stop();
}

void StreamWorker(const ServeCommandOptions& o, const GlobalOptions& globals) {
  ApplyLogFlags(o.log);
  DdbTarget target = OpenDdbTarget(globals, o.target);
  MessageStore store(*target.client, MessageTableName(o.target));
  // Following a table that is not there would wait silently: a wrong --table or endpoint.
  if (!TableExists(*target.client, store.table())) {
    throw CliError("table " + store.table() + " does not exist in " + target.description +
                   ": there is no stream to follow; create it with `" +
                   SchemaLoadCommand(globals, o.target) + "`");
  }
  std::unique_ptr<api::FileCheckpointStore> checkpoints = OpenCheckpoint(
      CheckpointPath(globals, o.checkpoint), "cruddur stream-worker, table " + store.table(),
      "stop it (`cruddur serve` follows the stream itself unless started with "
      "--no-stream-consumer), or give a worker of another table its own --checkpoint FILE");
  // Only a shared cache (Redis) is worth telling: the API processes read it.
  std::unique_ptr<api::Cache> cache;
  std::unique_ptr<api::MessageCache> message_cache;
  if (const char* env = std::getenv("CACHE_URL"); !o.cache_url.empty() || (env && *env)) {
    cache = OpenCache(o.cache_url);
    message_cache = std::make_unique<api::MessageCache>(*cache, store);
  }
  api::StreamConsumer consumer(*target.client, store, *checkpoints,
                               ConsumerOptions(message_cache.get()));
  CatchStopSignals();
  consumer.Start();
  std::printf("cruddur stream-worker following the stream of %s on %s (checkpoint %s; cache: %s)\n",
              store.table().c_str(), target.description.c_str(),
              checkpoints->path().string().c_str(),
              message_cache ? message_cache->Describe().c_str() : "none");
  std::fflush(stdout);
  WaitForStopSignal();
  consumer.Stop();
  PrintConsumerStats(consumer);
}

}  // namespace

void AddServeCommands(CLI::App& app, GlobalOptions& globals) {
  auto serve = std::make_shared<ServeCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve the messaging HTTP API (and follow the table's stream: access pattern D)");
  AddListenOptions(*cmd, serve->host, serve->port);
  cmd->add_option("--ddb-port", serve->ddb_port,
                  "Also serve the embedded engine over the DynamoDB protocol on this port (0 "
                  "picks a free one), for `cruddur ddb ...`, the aws CLI and boto3")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", serve->threads, "Worker threads (default: one per CPU)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-stream-consumer", serve->no_stream_consumer,
                "Do not follow the stream (when a `cruddur stream-worker` does)");
  cmd->add_flag("--no-triggers", serve->no_triggers,
                "Do not run the data dir's stream triggers (`cruddur ddb trigger add`)");
  AddTransientStatusFlag(*cmd, serve->transient_delay);
  AddShardRotationFlags(*cmd, serve->shard_rotation);
  cmd->add_option("--s3-dir", serve->s3_dir,
                  "The local S3 of ExportTableToPointInTime and ImportTable: s3://BUCKET/KEY is "
                  "DIR/BUCKET/KEY (default: <data-dir>/ddb/s3)")
      ->type_name("DIR");
  AddThrottleFlags(*cmd, serve->throttle);
  cmd->add_flag("--faults", serve->faults,
                "Apply injected faults to the embedded engine; rules are added through --ddb-port "
                "(`cruddur ddb fault add --endpoint-url ...`)");
  cmd->add_option("--checkpoint", serve->checkpoint,
                  "Stream checkpoint file (default: <data-dir>/stream-checkpoint.json)")
      ->type_name("FILE");
  cmd->add_option("--cache-url", serve->cache_url,
                  "Cache: redis://[[user]:password@]host[:port][/db] (default: CACHE_URL, else "
                  "in-process memory)")
      ->type_name("URL");
  cmd->add_option("--jwks", serve->jwks,
                  "Cognito mode: read the JWKS from this file or URL instead of Cognito's")
      ->type_name("FILE|URL");
  cmd->add_option("--web-dir", serve->web_dir,
                  "Serve the web page at / from this directory instead of the copy built into "
                  "the binary (for editing it)")
      ->type_name("DIR");
  AddDdbTargetFlags(*cmd, serve->target, /*with_table=*/true, /*with_json=*/false);
  AddLogFlags(*cmd, serve->log);
  cmd->callback([serve, &globals] { RunCommand([&] { Serve(*serve, globals); }); });

  auto worker = std::make_shared<ServeCommandOptions>();
  CLI::App* w = app.add_subcommand(
      "stream-worker",
      "Follow the messages table's stream and keep conversations on their newest message "
      "(access pattern D) until SIGINT/SIGTERM");
  w->add_option("--cache-url", worker->cache_url,
                "Redis cache of the API processes to invalidate and count unread messages in "
                "(default: CACHE_URL; none when unset)")
      ->type_name("URL");
  w->add_option("--checkpoint", worker->checkpoint,
                "Stream checkpoint file (default: <data-dir>/stream-checkpoint.json)")
      ->type_name("FILE");
  AddDdbTargetFlags(*w, worker->target, /*with_table=*/true, /*with_json=*/false);
  AddLogFlags(*w, worker->log);
  w->callback([worker, &globals] { RunCommand([&] { StreamWorker(*worker, globals); }); });
}

}  // namespace cruddur::cli
