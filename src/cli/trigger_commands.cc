// `cruddur ddb trigger add | list | remove`: stream triggers (src/triggers/), kept in
// <data-dir>/triggers.json and run by `cruddur ddb serve` and `cruddur serve` on that data dir
// (they follow the file, so a trigger added or removed while they run starts or stops within a
// second). The options are those of `aws lambda create-event-source-mapping`.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "api/stream_consumer.h"
#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "cruddur/uuid.h"
#include "encoding/json.h"
#include "triggers/runner.h"
#include "triggers/trigger.h"

namespace cruddur::cli {
namespace {

struct AddOptions {
  DdbTargetOptions target;
  triggers::TriggerDefinition trigger;
  std::vector<std::string> filters;  // --filter PATTERN (repeatable)
  std::string filter_criteria;       // --filter-criteria '{"Filters": [...]}'
  std::vector<std::string> response_types;
};

// The table's latest stream ARN; CliError when the table has none (Lambda needs one).
std::string RequireStream(client::DynamoDbClient& ddb, const std::string& table,
                          const std::string& where) {
  rapidjson::Document d;
  std::string text = ddb.Call("DescribeTable", encoding::WriteJsonObject([&](auto& w) {
                                encoding::WriteStringField(w, "TableName", table);
                              }));
  d.Parse(text.c_str());
  std::string arn = d.IsObject() && d.HasMember("Table")
                        ? encoding::StringMember(d["Table"], "LatestStreamArn")
                        : "";
  if (arn.empty()) {
    throw CliError("table " + table + " in " + where +
                   " has no stream: enable one first (StreamSpecification "
                   "{StreamEnabled: true, StreamViewType: NEW_AND_OLD_IMAGES}, e.g. `aws "
                   "dynamodb update-table --table-name " +
                   table +
                   " --stream-specification "
                   "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES`)");
  }
  return arn;
}

void Add(const GlobalOptions& globals, AddOptions& o) {
  RunDdbCommand([&] {
    triggers::TriggerDefinition& t = o.trigger;
    try {
      if (!o.filter_criteria.empty()) t.filter = triggers::FilterCriteria::Parse(o.filter_criteria);
      for (const std::string& pattern : o.filters) t.filter.AddPattern(pattern);
      for (const std::string& type : o.response_types) {
        if (type != "ReportBatchItemFailures") {
          throw std::invalid_argument("--function-response-types takes ReportBatchItemFailures");
        }
        t.report_batch_item_failures = true;
      }
      t.Validate();
    } catch (const std::invalid_argument& e) {
      throw CliError(e.what());
    }
    DdbTarget target = OpenDdbTarget(globals, o.target);
    std::string stream_arn = RequireStream(*target.client, t.table, target.description);
    t.uuid = NewUuidV4();
    t.creation_time = triggers::IsoTime(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
    triggers::TriggerStore store(globals.DataDir());
    std::vector<triggers::TriggerDefinition> all = store.Load();
    if (t.starting_position == "LATEST") {
      std::error_code ec;
      std::filesystem::create_directories(store.CheckpointPath(t.uuid).parent_path(), ec);
      api::FileCheckpointStore checkpoints(store.CheckpointPath(t.uuid));
      triggers::CheckpointAtLatest(*target.client, t.table, checkpoints);
    }
    all.push_back(t);
    store.Save(all);
    if (o.target.json) {
      std::printf("%s\n", triggers::DefinitionToJson(t).c_str());
    } else {
      std::printf("trigger %s: %s -> %s (stream %s)\n", t.uuid.c_str(), t.table.c_str(),
                  t.HandlerText().c_str(), stream_arn.c_str());
    }
  });
}

void List(const GlobalOptions& globals, bool json) {
  RunCommand([&] {
    std::vector<triggers::TriggerDefinition> all = triggers::TriggerStore(globals.DataDir()).Load();
    if (json) {
      std::string out = "{\"Triggers\":[";
      for (std::size_t i = 0; i < all.size(); ++i) {
        out += (i ? "," : "") + triggers::DefinitionToJson(all[i]);
      }
      std::printf("%s]}\n", out.c_str());
      return;
    }
    for (const auto& t : all) {
      std::printf("%s  %s  %s  batch %d%s%s\n", t.uuid.c_str(), t.table.c_str(),
                  t.HandlerText().c_str(), t.batch_size, t.filter.empty() ? "" : ", filtered",
                  t.on_failure.empty() ? "" : (", on failure " + t.on_failure).c_str());
    }
  });
}

void Remove(const GlobalOptions& globals, const std::string& uuid) {
  RunCommand([&] {
    triggers::TriggerStore store(globals.DataDir());
    std::vector<triggers::TriggerDefinition> all = store.Load();
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const triggers::TriggerDefinition& t) { return t.uuid == uuid; });
    if (it == all.end()) {
      throw CliError("no trigger " + uuid + " in " + store.path().string() +
                     " (`cruddur ddb trigger list` shows them)");
    }
    all.erase(it);
    store.Save(all);
    std::error_code ec;
    std::filesystem::remove(store.CheckpointPath(uuid), ec);
    std::printf("removed trigger %s\n", uuid.c_str());
  });
}

void AddAddCommand(CLI::App& trigger, GlobalOptions& globals) {
  auto o = std::make_shared<AddOptions>();
  triggers::TriggerDefinition& t = o->trigger;
  CLI::App* cmd = trigger.add_subcommand(
      "add", "Deliver TABLE's stream records to a command or a URL, as Lambda does");
  cmd->add_option("TABLE", t.table, "The table whose stream to follow")->required();
  auto* command = cmd->add_option("--command", t.command,
                                  "Run this with /bin/sh -c for each batch: the event on stdin, "
                                  "the response on stdout, failing by a non-zero exit");
  auto* url = cmd->add_option("--url", t.url,
                              "POST each batch's event to this URL, failing by a non-2xx status");
  command->excludes(url);
  cmd->add_option("--batch-size", t.batch_size, "Records per batch at most (1-10000)")
      ->capture_default_str();
  cmd->add_option("--maximum-batching-window-in-seconds", t.maximum_batching_window_s,
                  "Wait up to this long for a full batch (0-300)")
      ->capture_default_str();
  cmd->add_option("--starting-position", t.starting_position,
                  "TRIM_HORIZON (every record the stream holds) or LATEST (records written "
                  "after this command)")
      ->check(CLI::IsMember({"TRIM_HORIZON", "LATEST"}))
      ->capture_default_str();
  cmd->add_option("--maximum-retry-attempts", t.maximum_retry_attempts,
                  "Retries of a failing batch (-1: until its records expire)")
      ->capture_default_str();
  cmd->add_option("--maximum-record-age-in-seconds", t.maximum_record_age_s,
                  "Give up on records older than this (-1: never)")
      ->capture_default_str();
  cmd->add_flag("--bisect-batch-on-function-error", t.bisect_batch_on_function_error,
                "Split a failing batch in two and retry the halves");
  cmd->add_option("--function-response-types", o->response_types,
                  "ReportBatchItemFailures: the handler answers {\"batchItemFailures\": "
                  "[{\"itemIdentifier\": \"<SequenceNumber>\"}]}");
  cmd->add_option("--on-failure", t.on_failure,
                  "Append a JSON line per discarded batch to this file (Lambda's on-failure "
                  "destination record)")
      ->type_name("FILE");
  cmd->add_option("--filter", o->filters,
                  "A Lambda event filter pattern (JSON); records no pattern matches are skipped "
                  "(repeatable, up to 5)")
      ->type_name("PATTERN");
  cmd->add_option("--filter-criteria", o->filter_criteria,
                  "FilterCriteria as the aws CLI takes it: {\"Filters\": [{\"Pattern\": \"...\"}]}")
      ->type_name("JSON");
  cmd->add_option("--timeout", t.timeout_s, "Seconds a handler may take per batch (1-900)")
      ->capture_default_str();
  AddDdbTargetFlags(*cmd, o->target, false, true);
  cmd->callback([&globals, o] {
    if (!o->trigger.on_failure.empty()) {
      std::error_code ec;
      o->trigger.on_failure = std::filesystem::absolute(o->trigger.on_failure, ec).string();
    }
    Add(globals, *o);
  });
}

}  // namespace

std::unique_ptr<triggers::TriggerManager> StartTriggers(const GlobalOptions& globals,
                                                        client::DynamoDbClient& ddb,
                                                        const std::string& endpoint_url,
                                                        const std::string& region,
                                                        std::string* note) {
  triggers::RunnerOptions options;
  if (!endpoint_url.empty()) options.handler_env["AWS_ENDPOINT_URL"] = endpoint_url;
  options.handler_env["AWS_REGION"] = region;
  options.handler_env["AWS_DEFAULT_REGION"] = region;
  // The local endpoint takes any credentials (unless --auth); SDKs want some.
  options.handler_env["AWS_ACCESS_KEY_ID"] = "cruddur";
  options.handler_env["AWS_SECRET_ACCESS_KEY"] = "cruddur";
  auto manager = std::make_unique<triggers::TriggerManager>(ddb, globals.DataDir(), options);
  try {
    int running = manager->Start();
    *note = std::to_string(running) + (running == 1 ? " trigger" : " triggers");
  } catch (const std::exception& e) {
    throw CliError(std::string("stream triggers: ") + e.what());
  }
  return manager;
}

void AddDdbTriggerCommands(CLI::App& ddb, GlobalOptions& globals) {
  CLI::App* trigger = AddCommandGroup(
      ddb, "trigger",
      "Stream triggers: deliver a table's stream records to a handler as Lambda's DynamoDB event "
      "source mapping does (run by `ddb serve` and `serve`)");
  AddAddCommand(*trigger, globals);

  auto json = std::make_shared<bool>(false);
  CLI::App* list = trigger->add_subcommand("list", "List the triggers of the data dir");
  list->add_flag("--json", *json, "Print {\"Triggers\": [...]} as stored");
  list->callback([&globals, json] { List(globals, *json); });

  auto uuid = std::make_shared<std::string>();
  CLI::App* remove = trigger->add_subcommand("remove", "Remove a trigger (and its checkpoint)");
  remove->add_option("UUID", *uuid, "The trigger's UUID (see `trigger list`)")->required();
  remove->callback([&globals, uuid] { Remove(globals, *uuid); });
}

}  // namespace cruddur::cli
