// `cruddur ddb backup create|list|restore|delete`: DynamoDB's on-demand backups (and a restore to
// a point in time) on the same targets as the other `ddb` commands (ddb_target.h).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "cli/progress.h"
#include "ddb/error.h"
#include "ddb/json.h"
#include "ddb/request.h"
#include "encoding/json.h"

namespace cruddur::cli {
namespace {

using client::ParseResponse;
using ddb::JsonDocument;
using ddb::JsonValue;
using encoding::JsonString;
using encoding::JsonText;
using encoding::StringMember;

// An epoch-seconds member as "2026-12-03 15:04:05 UTC".
std::string Time(const JsonValue& object, const char* name) {
  if (!object.HasMember(name) || !object[name].IsNumber()) return "-";
  // Saturated, not converted as it is: a number out of range would be undefined behaviour.
  auto seconds = static_cast<std::time_t>(ddb::Request::IntegerOf(object[name]));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string DefaultBackupName(const std::string& table) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return table + "-" + buf;
}

struct CreateOptions {
  DdbTargetOptions target;
  std::string table, name;
  bool no_wait = false, progress = false;
};

// Polls DescribeBackup until the backup is no longer CREATING (DynamoDB makes it in the
// background), showing its status; returns {"BackupDetails": ...} as it is then.
std::string WaitForBackup(client::DynamoDbClient& ddb, const std::string& arn, Progress& progress) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
  std::string request = "{\"BackupArn\":" + JsonString(arn) + "}";
  for (;;) {
    JsonDocument d = ParseResponse(ddb.Call("DescribeBackup", request));
    const JsonValue& details = d["BackupDescription"]["BackupDetails"];
    std::string status = StringMember(details, "BackupStatus");
    progress.Status(status);
    if (status != "CREATING") return "{\"BackupDetails\":" + JsonText(details) + "}";
    if (std::chrono::steady_clock::now() > deadline) {
      throw CliError("backup " + arn + " is still CREATING after an hour");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void Create(const GlobalOptions& globals, const CreateOptions& options) {
  RunDdbCommand([&] {
    DdbTarget target = OpenDdbTarget(globals, options.target, DataDirUse::kReadExisting);
    std::string name = options.name.empty() ? DefaultBackupName(options.table) : options.name;
    std::string response;
    {
      Progress progress("backing up " + options.table, options.progress);
      progress.Status("CreateBackup");
      response =
          target.client->Call("CreateBackup", "{\"TableName\":" + JsonString(options.table) +
                                                  ",\"BackupName\":" + JsonString(name) + "}");
      // The embedded engine stops with the command, so its backup is always waited for.
      if (!options.no_wait || target.engine) {
        response = WaitForBackup(
            *target.client, StringMember(ParseResponse(response)["BackupDetails"], "BackupArn"),
            progress);
      }
    }
    JsonDocument d = ParseResponse(response);
    if (options.target.json) {  // the backup as it is when the command ends
      std::printf("%s\n", response.c_str());
      return;
    }
    std::printf("backup %s of table %s (%s)\n%s\n", name.c_str(), options.table.c_str(),
                target.description.c_str(), StringMember(d["BackupDetails"], "BackupArn").c_str());
  });
}

struct ListOptions {
  DdbTargetOptions target;
  std::string table, type = "ALL";
};

void List(const GlobalOptions& globals, const ListOptions& options) {
  RunDdbCommand([&] {
    DdbTarget target = OpenDdbTarget(globals, options.target, DataDirUse::kReadExisting);
    std::string all = "[";
    std::string start;
    size_t count = 0;
    do {
      std::string request = "{\"BackupType\":" + JsonString(options.type);
      if (!options.table.empty()) request += ",\"TableName\":" + JsonString(options.table);
      if (!start.empty()) request += ",\"ExclusiveStartBackupArn\":" + JsonString(start);
      JsonDocument page = ParseResponse(target.client->Call("ListBackups", request + "}"));
      if (page.HasMember("BackupSummaries") && page["BackupSummaries"].IsArray()) {
        for (const auto& s : page["BackupSummaries"].GetArray()) {
          all += (count++ ? "," : "") + JsonText(s);
          if (options.target.json) continue;
          long long bytes = s.HasMember("BackupSizeBytes") && s["BackupSizeBytes"].IsInt64()
                                ? s["BackupSizeBytes"].GetInt64()
                                : 0;
          std::printf(
              "%s  %s  %s  %s %s  %lld bytes  %s\n", Time(s, "BackupCreationDateTime").c_str(),
              StringMember(s, "TableName").c_str(), StringMember(s, "BackupName").c_str(),
              StringMember(s, "BackupType").c_str(), StringMember(s, "BackupStatus").c_str(), bytes,
              StringMember(s, "BackupArn").c_str());
        }
      }
      std::string next = StringMember(page, "LastEvaluatedBackupArn");
      start = next == start ? "" : next;  // a server repeating itself must not loop us forever
    } while (!start.empty());
    if (options.target.json) std::printf("{\"BackupSummaries\":%s]}\n", all.c_str());
  });
}

struct RestoreOptions {
  DdbTargetOptions target;
  std::string source, target_table;
  std::string time;  // with a table as source: epoch seconds, else the latest restorable time
  bool no_wait = false;
  bool progress = false;
};

void Restore(const GlobalOptions& globals, const RestoreOptions& options) {
  RunDdbCommand([&] {
    DdbTarget target = OpenDdbTarget(globals, options.target, DataDirUse::kReadExisting);
    std::string request = "{\"TargetTableName\":" + JsonString(options.target_table);
    std::string operation;
    // A backup is named by its ARN; anything else names a table with point-in-time recovery.
    if (options.source.find(":backup/") != std::string::npos ||
        options.source.find("/backup/") != std::string::npos) {
      if (!options.time.empty()) throw CliError("--time restores a table, not a backup");
      operation = "RestoreTableFromBackup";
      request += ",\"BackupArn\":" + JsonString(options.source);
    } else {
      operation = "RestoreTableToPointInTime";
      request += ",\"SourceTableName\":" + JsonString(options.source);
      if (options.time.empty()) {
        request += ",\"UseLatestRestorableTime\":true";
      } else {
        try {
          request += ",\"RestoreDateTime\":" + std::to_string(std::stod(options.time));
        } catch (const std::exception&) {
          throw CliError("--time " + options.time + ": not epoch seconds");
        }
      }
    }
    std::string response;
    {
      Progress progress("restoring " + options.target_table, options.progress);
      progress.Status(operation);
      response = target.client->Call(operation, request + "}");
      // The embedded engine stops with the command, so its restore is always waited for.
      if (!options.no_wait || target.engine) {
        progress.Status("waiting for the table to be ACTIVE");
        response =
            WaitForTable(*target.client, options.target_table, false, std::chrono::seconds(3600));
      }
    }
    if (options.target.json) {
      std::printf("%s\n", response.c_str());
      return;
    }
    std::printf("restored %s from %s (%s)\n", options.target_table.c_str(), options.source.c_str(),
                target.description.c_str());
  });
}

struct DeleteOptions {
  DdbTargetOptions target;
  std::string arn;
};

void Delete(const GlobalOptions& globals, const DeleteOptions& options) {
  RunDdbCommand([&] {
    DdbTarget target = OpenDdbTarget(globals, options.target, DataDirUse::kReadExisting);
    std::string response =
        target.client->Call("DeleteBackup", "{\"BackupArn\":" + JsonString(options.arn) + "}");
    if (options.target.json) {
      std::printf("%s\n", response.c_str());
      return;
    }
    std::printf("deleted backup %s\n", options.arn.c_str());
  });
}

}  // namespace

void AddDdbBackupCommands(CLI::App& ddb, GlobalOptions& globals) {
  CLI::App* backup = AddCommandGroup(ddb, "backup", "On-demand backups and point-in-time restores");

  auto create = std::make_shared<CreateOptions>();
  CLI::App* cmd = backup->add_subcommand("create", "Back up a table (prints the backup's ARN)");
  cmd->add_option("TABLE", create->table, "The table to back up")->required();
  cmd->add_option("--name", create->name, "The backup's name (default: TABLE-<UTC time>)");
  cmd->add_flag("--no-wait", create->no_wait, "Do not wait for the backup to be AVAILABLE");
  AddProgressFlag(*cmd, create->progress);
  AddDdbTargetFlags(*cmd, create->target, false, true);
  cmd->callback([&globals, create] { Create(globals, *create); });

  auto list = std::make_shared<ListOptions>();
  cmd = backup->add_subcommand("list", "List backups, oldest first");
  cmd->add_option("TABLE", list->table, "Only this table's backups");
  cmd->add_option("--type", list->type, "USER, SYSTEM or ALL (default)")
      ->check(CLI::IsMember({"USER", "SYSTEM", "AWS_BACKUP", "ALL"}));
  AddDdbTargetFlags(*cmd, list->target, false, true);
  cmd->callback([&globals, list] { List(globals, *list); });

  auto restore = std::make_shared<RestoreOptions>();
  cmd = backup->add_subcommand(
      "restore",
      "Restore a backup (by ARN), or a table with point-in-time recovery, into a new table");
  cmd->add_option("SOURCE", restore->source, "A backup's ARN, or a table's name")->required();
  cmd->add_option("TARGET", restore->target_table, "The new table")->required();
  cmd->add_option("--time", restore->time,
                  "With a table: the point in time, in epoch seconds (default: the latest)");
  cmd->add_flag(
      "--no-wait", restore->no_wait,
      "Do not wait for the new table to be ACTIVE (a server's: the embedded engine waits)");
  AddProgressFlag(*cmd, restore->progress);
  AddDdbTargetFlags(*cmd, restore->target, false, true);
  cmd->callback([&globals, restore] { Restore(globals, *restore); });

  auto del = std::make_shared<DeleteOptions>();
  cmd = backup->add_subcommand("delete", "Delete a backup");
  cmd->add_option("BACKUP_ARN", del->arn, "The backup's ARN")->required();
  AddDdbTargetFlags(*cmd, del->target, false, true);
  cmd->callback([&globals, del] { Delete(globals, *del); });
}

}  // namespace cruddur::cli
