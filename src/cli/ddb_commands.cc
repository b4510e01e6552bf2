// `cruddur ddb ...`: the cruddur-messages table (the original bin/ddb/* scripts). `ddb serve` is
// in ddb_serve.cc, `ddb patterns ...` in patterns_commands.cc, target selection in ddb_target.cc.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "cruddur/messages.h"
#include "cruddur/seed.h"
#include "ddb/error.h"
#include "ddb/json.h"
#include "encoding/json.h"

namespace cruddur::cli {

namespace {

using client::ParseResponse;
using ddb::JsonDocument;
using ddb::JsonValue;
using encoding::JsonString;
using encoding::JsonText;
using encoding::StringMember;

std::string SchemaMissingHint(const std::string& table) {
  return "table " + table + ": run `cruddur ddb schema-load` first";
}

// "pk (HASH), sk (RANGE)"
std::string DescribeKeySchema(const JsonValue& schema) {
  std::string out;
  if (!schema.IsArray()) return out;
  for (const auto& key : schema.GetArray()) {
    if (!out.empty()) out += ", ";
    out += StringMember(key, "AttributeName") + " (" + StringMember(key, "KeyType") + ")";
  }
  return out;
}

std::string DescribeThroughput(const JsonValue& table) {
  auto it = table.FindMember("ProvisionedThroughput");
  if (it == table.MemberEnd() || !it->value.IsObject()) return "";
  auto number = [&](const char* name) {
    auto m = it->value.FindMember(name);
    return m != it->value.MemberEnd() && m->value.IsInt64() ? std::to_string(m->value.GetInt64())
                                                            : std::string("?");
  };
  return number("ReadCapacityUnits") + " RCU / " + number("WriteCapacityUnits") + " WCU";
}

void PrintTableSummary(const JsonValue& t) {
  std::printf("table:   %s (%s)\n", StringMember(t, "TableName").c_str(),
              StringMember(t, "TableStatus").c_str());
  if (std::string arn = StringMember(t, "TableArn"); !arn.empty()) {
    std::printf("arn:     %s\n", arn.c_str());
  }
  if (t.HasMember("KeySchema")) {
    std::printf("key:     %s\n", DescribeKeySchema(t["KeySchema"]).c_str());
  }
  if (t.HasMember("GlobalSecondaryIndexes") && t["GlobalSecondaryIndexes"].IsArray()) {
    for (const auto& index : t["GlobalSecondaryIndexes"].GetArray()) {
      std::string projection;
      if (index.HasMember("Projection")) {
        projection = StringMember(index["Projection"], "ProjectionType");
      }
      std::printf("index:   %s: %s, projection %s\n", StringMember(index, "IndexName").c_str(),
                  index.HasMember("KeySchema") ? DescribeKeySchema(index["KeySchema"]).c_str() : "",
                  projection.c_str());
    }
  }
  std::string billing = "PROVISIONED";
  if (t.HasMember("BillingModeSummary")) {
    std::string mode = StringMember(t["BillingModeSummary"], "BillingMode");
    if (!mode.empty()) billing = mode;
  }
  std::string throughput = DescribeThroughput(t);
  std::printf("billing: %s%s\n", billing.c_str(),
              throughput.empty() ? "" : (", " + throughput).c_str());
  std::string stream_arn = StringMember(t, "LatestStreamArn");
  std::string view;
  if (t.HasMember("StreamSpecification")) {
    view = StringMember(t["StreamSpecification"], "StreamViewType");
  }
  if (!stream_arn.empty()) {
    std::printf("stream:  %s %s\n", view.empty() ? "enabled" : view.c_str(), stream_arn.c_str());
  } else {
    std::printf("stream:  none (this server did not enable the requested NEW_IMAGE stream)\n");
  }
}

}  // namespace

std::string WaitForTable(client::DynamoDbClient& ddb, const std::string& table, bool want_gone,
                         std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string request = "{\"TableName\":" + JsonString(table) + "}";
  while (true) {
    std::string response;
    try {
      response = ddb.Call("DescribeTable", request);
    } catch (const ddb::ApiError& e) {
      if (want_gone && e.type() == "ResourceNotFoundException") return "";
      throw;
    }
    if (!want_gone && StringMember(ParseResponse(response)["Table"], "TableStatus") == "ACTIVE") {
      return response;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw CliError("table " + table + (want_gone ? " is still there" : " is not ACTIVE yet") +
                     " after " + std::to_string(timeout.count()) + "s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

namespace {

// ---- commands ---------------------------------------------------------------------------------

struct SchemaLoadOptions {
  DdbTargetOptions target;
  bool no_wait = false;
};

void SchemaLoad(const GlobalOptions& globals, const SchemaLoadOptions& options) {
  std::string table = MessageTableName(options.target);
  RunDdbCommand([&] {
    if (!options.target.json) DdbBanner("ddb-schema-load");
    DdbTarget target = OpenDdbTarget(globals, options.target);
    MessageStore store(*target.client, table);
    std::string response;
    try {
      response = store.CreateTable();
    } catch (const ddb::ApiError& e) {
      if (e.type() == "ResourceInUseException") {
        throw CliError("table " + table + " already exists (" + target.description + ")");
      }
      throw;
    }
    JsonDocument created = ParseResponse(response);
    std::string described;
    if (!options.no_wait && StringMember(created["TableDescription"], "TableStatus") != "ACTIVE") {
      described = WaitForTable(*target.client, table, false, std::chrono::seconds(120));
    }
    if (options.target.json) {
      std::printf("%s\n", response.c_str());
      return;
    }
    std::printf("created table %s in %s\n", table.c_str(), target.description.c_str());
    if (described.empty()) {
      PrintTableSummary(created["TableDescription"]);
    } else {
      PrintTableSummary(ParseResponse(described)["Table"]);
    }
  });
}

void ListTables(const GlobalOptions& globals, const DdbTargetOptions& options) {
  RunDdbCommand([&] {
    if (!options.json) DdbBanner("ddb-list-tables");
    DdbTarget target = OpenDdbTarget(globals, options, DataDirUse::kReadExisting);
    std::vector<std::string> names;
    std::string start;
    do {
      std::string request =
          start.empty() ? "{}" : "{\"ExclusiveStartTableName\":" + JsonString(start) + "}";
      JsonDocument page = ParseResponse(target.client->Call("ListTables", request));
      if (page.HasMember("TableNames") && page["TableNames"].IsArray()) {
        for (const auto& name : page["TableNames"].GetArray()) {
          if (name.IsString()) names.emplace_back(name.GetString());
        }
      }
      std::string next = StringMember(page, "LastEvaluatedTableName");
      start = next == start ? "" : next;  // a server repeating itself must not loop us forever
    } while (!start.empty());
    if (options.json) {
      std::string out = "{\"TableNames\":[";
      for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + JsonString(names[i]);
      std::printf("%s]}\n", out.c_str());
      return;
    }
    for (const std::string& name : names) std::printf("%s\n", name.c_str());
  });
}

struct DeleteOptions {
  DdbTargetOptions target;
  std::string table;
  bool no_wait = false;
};

void DeleteTable(const GlobalOptions& globals, const DeleteOptions& options) {
  RunDdbCommand([&] {
    DdbBanner("ddb-delete");
    std::printf("deleting table: %s\n", options.table.c_str());
    std::fflush(stdout);
    DdbTarget target = OpenDdbTarget(globals, options.target);
    try {
      target.client->Call("DeleteTable", "{\"TableName\":" + JsonString(options.table) + "}");
    } catch (const ddb::ApiError& e) {
      if (e.type() == "ResourceNotFoundException") {
        throw CliError("no table " + options.table + " in " + target.description);
      }
      throw;
    }
    if (!options.no_wait) {
      WaitForTable(*target.client, options.table, true, std::chrono::seconds(120));
    }
    std::printf("deleted table %s\n", options.table.c_str());
  });
}

struct StatsOptions {
  DdbTargetOptions target;
  std::string table;
};

// The capacity units a table and its indexes consumed and the requests throttled, from cruddur's
// DescribeTableStats (on a server: the Cruddur_20261203 target of its DynamoDB endpoint).
void TableStats(const GlobalOptions& globals, const StatsOptions& options) {
  RunDdbCommand([&] {
    DdbTarget target = OpenDdbTarget(globals, options.target, DataDirUse::kReadExisting);
    std::string response;
    try {
      response = target.client->Call("Cruddur.DescribeTableStats",
                                     "{\"TableName\":" + JsonString(options.table) + "}");
    } catch (const ddb::ApiError& e) {
      if (e.type() == "ResourceNotFoundException") {
        throw CliError("no table " + options.table + " in " + target.description);
      }
      if (e.type() == "UnknownOperationException") {
        throw CliError(target.description +
                       " has no DescribeTableStats (only cruddur does; DynamoDB reports consumed "
                       "capacity in CloudWatch)");
      }
      throw;
    }
    if (options.target.json) {
      std::printf("%s\n", response.c_str());
      return;
    }
    JsonDocument stats = ParseResponse(response);
    std::printf("table %s (%s), throttling %s\n", options.table.c_str(), target.description.c_str(),
                stats.HasMember("Throttling") && stats["Throttling"].IsTrue() ? "on" : "off");
    std::printf("%-32s %14s %14s %16s %16s\n", "", "read units", "write units", "throttled reads",
                "throttled writes");
    auto row = [](const std::string& name, const rapidjson::Value& u) {
      auto number = [&](const char* member) {
        return u.HasMember(member) && u[member].IsNumber() ? u[member].GetDouble() : 0.0;
      };
      std::printf("%-32s %14.1f %14.1f %16.0f %16.0f\n", name.c_str(), number("ReadCapacityUnits"),
                  number("WriteCapacityUnits"), number("ThrottledReadRequests"),
                  number("ThrottledWriteRequests"));
    };
    if (stats.HasMember("Table")) row("table", stats["Table"]);
    for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
      if (!stats.HasMember(kind) || !stats[kind].IsObject()) continue;
      for (const auto& m : stats[kind].GetObject()) {
        row(std::string(kind[0] == 'G' ? "gsi " : "lsi ") + m.name.GetString(), m.value);
      }
    }
  });
}

void Scan(const GlobalOptions& globals, const DdbTargetOptions& options) {
  std::string table = MessageTableName(options);
  RunDdbCommand(
      [&] {
        DdbBanner("ddb-scan");
        DdbTarget target = OpenDdbTarget(globals, options, DataDirUse::kReadExisting);
        long count = 0;
        std::string start_key;  // the previous page's LastEvaluatedKey, as JSON
        do {
          std::string request = "{\"TableName\":" + JsonString(table);
          if (!start_key.empty()) request += ",\"ExclusiveStartKey\":" + start_key;
          request += "}";
          JsonDocument page = ParseResponse(target.client->Call("Scan", request));
          if (page.HasMember("Items") && page["Items"].IsArray()) {
            for (const auto& item : page["Items"].GetArray()) {
              std::printf("%s\n", JsonText(item).c_str());
              ++count;
            }
          }
          start_key = page.HasMember("LastEvaluatedKey") ? JsonText(page["LastEvaluatedKey"]) : "";
        } while (!start_key.empty());
        std::fflush(stdout);
        std::fprintf(stderr, "%ld items in %s\n", count, table.c_str());
      },
      SchemaMissingHint(table));
}

// A one-line progress bar on stderr, redrawn in place.
class ProgressBar {
 public:
  void Update(long done, long total) {
    constexpr int kWidth = 30;
    int filled = total > 0 ? static_cast<int>(kWidth * done / total) : kWidth;
    std::fprintf(stderr, "\r[%s%s] %ld/%ld messages", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, ' ').c_str(), done, total);
    std::fflush(stderr);
    drawn_ = true;
  }
  ~ProgressBar() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  bool drawn_ = false;
};

struct SeedCommandOptions {
  DdbTargetOptions target;
  long messages = 0;
  bool progress = false;
};

UserRef RequireUser(UserStore& users, const char* handle, const std::string& where) {
  std::optional<User> user;
  try {
    user = users.FindByHandle(handle);
  } catch (const UserStoreError& e) {
    throw CliError(std::string("cannot read user ") + handle + " from " + where + ": " + e.what() +
                   " (run `cruddur db setup` first)");
  }
  if (!user) {
    throw CliError(std::string("no user ") + handle + " in " + where +
                   ": run `cruddur db setup` first");
  }
  return {user->uuid, user->display_name, user->handle};
}

void SeedTable(const GlobalOptions& globals, const SeedCommandOptions& options) {
  std::string table = MessageTableName(options.target);
  RunDdbCommand(
      [&] {
        const bool json = options.target.json;
        if (!json) DdbBanner("ddb-seed");
        // Users first: with prod they must come from PROD_CONNECTION_URL, before any write.
        std::string where;
        auto users = OpenExistingUsers(globals, options.target.prod(), &where);
        UserRef andrew = RequireUser(*users, "andrewbrown", where);
        UserRef bayko = RequireUser(*users, "bayko", where);
        users.reset();
        if (!json) {
          std::printf("users from %s:\n", where.c_str());
          for (const UserRef* u : {&andrew, &bayko}) {
            std::printf("  %-12s %s  %s\n", u->handle.c_str(), u->uuid.c_str(),
                        u->display_name.c_str());
          }
          std::fflush(stdout);
        }
        DdbTarget target = OpenDdbTarget(globals, options.target);
        SeedOptions seed;
        seed.total_messages = options.messages;
        std::unique_ptr<ProgressBar> bar;
        const long scripted = static_cast<long>(SeedConversation().size());
        if (options.progress || (isatty(fileno(stderr)) != 0 && options.messages > scripted)) {
          bar = std::make_unique<ProgressBar>();
          seed.progress = [&bar](long done, long total) { bar->Update(done, total); };
        }
        SeedResult result = Seed(*target.client, table, andrew, bayko, seed);
        bar.reset();
        if (json) {
          std::printf("{\"table\":%s,\"messages\":%ld,\"groups\":%ld}\n", JsonString(table).c_str(),
                      result.messages, result.groups);
          return;
        }
        std::printf("seeded %ld messages in %ld conversation%s into %s (%s)\n", result.messages,
                    result.groups, result.groups == 1 ? "" : "s", table.c_str(),
                    target.description.c_str());
      },
      SchemaMissingHint(table));
}

// ---- registration -----------------------------------------------------------------------------

void AddProdWord(CLI::App& cmd, DdbTargetOptions& options) {
  cmd.add_option("prod", options.prod_word, "Same as --prod (the original scripts' argument)")
      ->check(CLI::IsMember({"prod"}));
}

void AddSchemaLoad(CLI::App& ddb, GlobalOptions& globals) {
  auto options = std::make_shared<SchemaLoadOptions>();
  CLI::App* cmd = ddb.add_subcommand(
      "schema-load",
      "Create the messages table (pk/sk, GSI message-group-sk-index, PROVISIONED 5/5, stream "
      "NEW_IMAGE); fails if it exists");
  AddDdbTargetFlags(*cmd, options->target, true, true);
  cmd->add_flag("--no-wait", options->no_wait, "Do not wait for the table to become ACTIVE");
  AddProdWord(*cmd, options->target);
  cmd->callback([&globals, options] { SchemaLoad(globals, *options); });
}

void AddListTables(CLI::App& ddb, GlobalOptions& globals) {
  auto options = std::make_shared<DdbTargetOptions>();
  CLI::App* cmd = ddb.add_subcommand("list-tables", "List every table (one name per line)");
  AddDdbTargetFlags(*cmd, *options, false, true);
  AddProdWord(*cmd, *options);
  cmd->callback([&globals, options] { ListTables(globals, *options); });
}

void AddDelete(CLI::App& ddb, GlobalOptions& globals) {
  auto options = std::make_shared<DeleteOptions>();
  CLI::App* cmd = ddb.add_subcommand("delete", "Delete a table and everything in it");
  cmd->alias("drop");  // the original script's name
  cmd->add_option("TABLE", options->table, "The table to delete")->required();
  AddDdbTargetFlags(*cmd, options->target, false, false);
  cmd->add_flag("--no-wait", options->no_wait, "Do not wait until the table is gone");
  AddProdWord(*cmd, options->target);
  cmd->callback([&globals, options] { DeleteTable(globals, *options); });
}

void AddStats(CLI::App& ddb, GlobalOptions& globals) {
  auto options = std::make_shared<StatsOptions>();
  CLI::App* cmd = ddb.add_subcommand(
      "stats",
      "Capacity units a table and its indexes consumed, and the requests throttled (since the "
      "table was created or the engine started)");
  cmd->add_option("TABLE", options->table, "The table")->required();
  AddDdbTargetFlags(*cmd, options->target, false, true);
  cmd->callback([&globals, options] { TableStats(globals, *options); });
}

void AddScan(CLI::App& ddb, GlobalOptions& globals) {
  auto options = std::make_shared<DdbTargetOptions>();
  CLI::App* cmd = ddb.add_subcommand(
      "scan", "Print every item of the messages table, one JSON object (DynamoDB JSON) a line");
  AddDdbTargetFlags(*cmd, *options, true, false);
  AddProdWord(*cmd, *options);
  cmd->callback([&globals, options] { Scan(globals, *options); });
}

void AddSeed(CLI::App& ddb, GlobalOptions& globals) {
  auto options = std::make_shared<SeedCommandOptions>();
  CLI::App* cmd = ddb.add_subcommand(
      "seed",
      "Write the conversation between andrewbrown and bayko (users from the users database), "
      "plus synthetic conversations up to --messages");
  AddDdbTargetFlags(*cmd, options->target, true, true);
  cmd->add_option("--messages", options->messages,
                  "Messages in all (default: just the scripted conversation)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  cmd->add_flag("--progress", options->progress,
                "Show a progress bar on stderr (default: when stderr is a terminal and "
                "--messages is large)");
  AddProdWord(*cmd, options->target);
  cmd->callback([&globals, options] { SeedTable(globals, *options); });
}

}  // namespace

void AddDdbCommands(CLI::App& app, GlobalOptions& globals) {
  CLI::App* ddb = AddCommandGroup(app, "ddb", "The DynamoDB engine and the cruddur-messages table");
  const CommandSet& commands = globals.commands;
  commands.Add(*ddb, globals, {"serve"}, AddDdbServeCommand);
  commands.Add(*ddb, globals, {"schema-load"}, AddSchemaLoad);
  commands.Add(*ddb, globals, {"list-tables"}, AddListTables);
  commands.Add(*ddb, globals, {"delete", "drop"}, AddDelete);
  commands.Add(*ddb, globals, {"scan"}, AddScan);
  commands.Add(*ddb, globals, {"stats"}, AddStats);
  commands.Add(*ddb, globals, {"seed"}, AddSeed);
  commands.Add(*ddb, globals, {"patterns"}, AddDdbPatternsCommands);
  commands.Add(*ddb, globals, {"trigger"}, AddDdbTriggerCommands);
  commands.Add(*ddb, globals, {"export", "import"}, AddDdbTransferCommands);
  commands.Add(*ddb, globals, {"backup"}, AddDdbBackupCommands);
  commands.Add(*ddb, globals, {"fault"}, AddDdbFaultCommands);
  commands.Add(*ddb, globals, {"mcp"}, AddDdbMcpCommand);
}

}  // namespace cruddur::cli
