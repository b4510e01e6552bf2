// `cruddur ddb fault add | list | clear`: the fault-injection rules of a running `cruddur ddb
// serve --faults` (or `cruddur serve --faults`), through its control API (src/wire/README.md).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "ddb/json.h"
#include "encoding/json.h"

namespace cruddur::cli {

namespace {

using encoding::JsonTextWriter;
using encoding::StringMember;
using encoding::WriteStringField;

// `"name": value` when `value` is given, as the JSON number of its type.
template <typename T>
void WriteNumberField(JsonTextWriter& w, const char* name, const std::optional<T>& value) {
  if (!value) return;
  w.Key(name);
  if constexpr (std::is_floating_point_v<T>) {
    w.Double(*value);
  } else if constexpr (std::is_signed_v<T>) {
    w.Int64(*value);
  } else {
    w.Uint64(*value);
  }
}

struct FaultAddOptions {
  DdbTargetOptions target;
  std::string operation;
  std::string table;
  std::string key_prefix;
  std::optional<long long> count;
  std::optional<double> probability;
  std::optional<unsigned long long> seed;
  std::string error;
  std::string message;
  std::optional<long long> latency_ms;
  bool drop_after_commit = false;
  bool partial_batch = false;
};

struct FaultClearOptions {
  DdbTargetOptions target;
  std::string rule_id;
};

// Calls the control API of the server the target names; an embedded engine has none.
std::string CallFaults(const GlobalOptions& globals, const DdbTargetOptions& options,
                       const std::string& operation, const std::string& body) {
  DdbTarget target = OpenDdbTarget(globals, options, DataDirUse::kReadExisting);
  if (target.engine) {
    throw CliError(
        "fault rules live in a running server: start `cruddur ddb serve --faults` (or "
        "`cruddur serve --faults`) and give its --endpoint-url");
  }
  return target.client->Call(std::string(client::kFaultsOperationPrefix) + operation, body);
}

// "fault-1  Error InternalServerError  PutItem table=t prefix=u# count=2 p=1 applied=0"
void PrintRule(const ddb::JsonValue& r) {
  std::string line = StringMember(r, "RuleId") + "  " + StringMember(r, "Action");
  if (auto e = StringMember(r, "ErrorType"); !e.empty()) line += " " + e;
  if (r.HasMember("LatencyMillis")) line += " " + encoding::JsonText(r["LatencyMillis"]) + "ms";
  auto op = StringMember(r, "Operation");
  line += "  " + (op.empty() ? std::string("*") : op);
  if (auto t = StringMember(r, "TableName"); !t.empty()) line += " table=" + t;
  if (auto k = StringMember(r, "KeyPrefix"); !k.empty()) line += " key-prefix=" + k;
  if (r.HasMember("Count")) line += " left=" + encoding::JsonText(r["Count"]);
  line += " probability=" + encoding::JsonText(r["Probability"]);
  line += " seed=" + encoding::JsonText(r["Seed"]);
  line += " applied=" + encoding::JsonText(r["Applied"]);
  std::printf("%s\n", line.c_str());
}

ddb::JsonDocument ParseAnswer(const std::string& text) {
  ddb::JsonDocument d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) throw CliError("malformed answer: " + text);
  return d;
}

std::string AddRuleRequest(const FaultAddOptions& o) {
  int actions = !o.error.empty() + o.latency_ms.has_value() + o.drop_after_commit + o.partial_batch;
  if (actions != 1) {
    throw CliError(
        "give exactly one of --error TYPE, --latency-ms N, --drop-after-commit, "
        "--partial-batch");
  }
  return encoding::WriteJsonObject([&](JsonTextWriter& w) {
    const char* action = !o.error.empty()  ? "Error"
                         : o.latency_ms    ? "Latency"
                         : o.partial_batch ? "PartialBatch"
                                           : "DropAfterCommit";
    WriteStringField(w, "Action", action);
    if (!o.operation.empty()) WriteStringField(w, "Operation", o.operation);
    if (!o.table.empty()) WriteStringField(w, "TableName", o.table);
    if (!o.key_prefix.empty()) WriteStringField(w, "KeyPrefix", o.key_prefix);
    if (!o.error.empty()) WriteStringField(w, "ErrorType", o.error);
    if (!o.message.empty()) WriteStringField(w, "Message", o.message);
    WriteNumberField(w, "Count", o.count);
    WriteNumberField(w, "Probability", o.probability);
    WriteNumberField(w, "Seed", o.seed);
    WriteNumberField(w, "LatencyMillis", o.latency_ms);
  });
}

void AddFault(const GlobalOptions& globals, const FaultAddOptions& o) {
  RunDdbCommand([&] {
    std::string answer = CallFaults(globals, o.target, "AddFaultRule", AddRuleRequest(o));
    if (o.target.json) {
      std::printf("%s\n", answer.c_str());
      return;
    }
    PrintRule(ParseAnswer(answer)["Rule"]);
  });
}

void ListFaults(const GlobalOptions& globals, const DdbTargetOptions& options) {
  RunDdbCommand([&] {
    std::string answer = CallFaults(globals, options, "ListFaultRules", "{}");
    if (options.json) {
      std::printf("%s\n", answer.c_str());
      return;
    }
    ddb::JsonDocument d = ParseAnswer(answer);
    if (d.HasMember("Rules") && d["Rules"].IsArray()) {
      for (const auto& r : d["Rules"].GetArray()) PrintRule(r);
    }
    if (d.HasMember("InjectedFaults") && d["InjectedFaults"].IsObject()) {
      for (const auto& m : d["InjectedFaults"].GetObject()) {
        std::printf("injected %s: %s\n", m.name.GetString(), encoding::JsonText(m.value).c_str());
      }
    }
  });
}

void ClearFaults(const GlobalOptions& globals, const FaultClearOptions& o) {
  RunDdbCommand([&] {
    std::string body = o.rule_id.empty() ? "{}" : encoding::WriteJsonObject([&](JsonTextWriter& w) {
      WriteStringField(w, "RuleId", o.rule_id);
    });
    std::string answer = CallFaults(globals, o.target, "ClearFaultRules", body);
    if (o.target.json) {
      std::printf("%s\n", answer.c_str());
      return;
    }
    std::printf("cleared %s fault rule(s)\n",
                encoding::JsonText(ParseAnswer(answer)["Cleared"]).c_str());
  });
}

}  // namespace

void AddDdbFaultCommands(CLI::App& ddb, GlobalOptions& globals) {
  CLI::App* fault = AddCommandGroup(
      ddb, "fault", "Injected faults of a server started with --faults (add, list, clear rules)");

  auto add = std::make_shared<FaultAddOptions>();
  CLI::App* a = fault->add_subcommand("add", "Add a rule; prints it with its id");
  AddDdbTargetFlags(*a, add->target, false, true);
  a->add_option("--operation", add->operation, "Only this operation (e.g. PutItem)");
  a->add_option("--table", add->table, "Only requests on this table");
  a->add_option("--key-prefix", add->key_prefix,
                "Only items whose partition key value starts with this");
  a->add_option("--count", add->count, "Apply N times, then stop")->check(CLI::PositiveNumber);
  a->add_option("--probability", add->probability, "Apply with this probability (0 < P <= 1)")
      ->check(CLI::Range(0.0, 1.0));
  a->add_option("--seed", add->seed, "Seed of the probability draws (deterministic; default 0)");
  a->add_option("--error", add->error,
                "Return this error: InternalServerError, ServiceUnavailable, "
                "RequestLimitExceeded, ThrottlingException, "
                "ProvisionedThroughputExceededException, ConditionalCheckFailedException, "
                "TransactionConflictException");
  a->add_option("--message", add->message, "The error's message (default: DynamoDB's)");
  a->add_option("--latency-ms", add->latency_ms, "Add this much latency")
      ->check(CLI::Range(1, 60000));
  a->add_flag("--drop-after-commit", add->drop_after_commit,
              "Run the request, then reset the connection instead of answering");
  a->add_flag("--partial-batch", add->partial_batch,
              "Leave part of a BatchWriteItem/BatchGetItem unprocessed");
  a->callback([&globals, add] { AddFault(globals, *add); });

  auto list = std::make_shared<DdbTargetOptions>();
  CLI::App* l = fault->add_subcommand("list", "List the rules and the faults injected so far");
  AddDdbTargetFlags(*l, *list, false, true);
  l->callback([&globals, list] { ListFaults(globals, *list); });

  auto clear = std::make_shared<FaultClearOptions>();
  CLI::App* c = fault->add_subcommand("clear", "Remove one rule, or all of them");
  AddDdbTargetFlags(*c, clear->target, false, true);
  c->add_option("RULE_ID", clear->rule_id, "The rule to remove (default: all)");
  c->callback([&globals, clear] { ClearFaults(globals, *clear); });
}

}  // namespace cruddur::cli
