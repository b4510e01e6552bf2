// `cruddur ddb export TABLE DIR`, `cruddur ddb import DIR [--table NAME]`, and the tables
// `ddb serve --schema FILE` creates at start.
//
// The CLI writes and reads DynamoDB's S3 export layout (ddb/s3_layout.h) itself, through the
// ordinary operations (DescribeTable, Scan, CreateTable, BatchWriteItem), so both work against
// every target (embedded, a running server, --endpoint-url, prod). DIR plays the bucket:
// DIR/AWSDynamoDB/<ExportId>/{manifest-summary.json, manifest-files.json, data/...}, plus
// describe-table.json there (the table's DescribeTable answer, for import to create the table
// with its keys and indexes; an export copied from AWS has none: give --schema then). A CLI
// export is one Scan, not a snapshot: writes made meanwhile may or may not be in it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "ddb/error.h"
#include "ddb/json.h"
#include "ddb/s3_layout.h"
#include "ddb/table_schema.h"
#include "ddb/value_json.h"
#include "encoding/json.h"

namespace cruddur::cli {
namespace {

namespace fs = std::filesystem;
using ddb::JsonDocument;
using ddb::JsonValue;
using encoding::JsonString;
using encoding::JsonText;
using encoding::StringMember;

JsonDocument ParseObject(const std::string& text, const std::string& what) {
  JsonDocument d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) throw CliError(what + " is not a JSON object");
  return d;
}

// "done/total items" on stderr, redrawn in place when stderr is a terminal.
class Progress {
 public:
  explicit Progress(std::string label) : label_(std::move(label)), tty_(isatty(2) != 0) {}
  void Update(long done, long total) {
    if (!tty_) return;
    if (total > 0) {
      std::fprintf(stderr, "\r%s: %ld/~%ld items", label_.c_str(), done, total);
    } else {
      std::fprintf(stderr, "\r%s: %ld items", label_.c_str(), done);
    }
    std::fflush(stderr);
    drawn_ = true;
  }
  ~Progress() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool tty_;
  bool drawn_ = false;
};

// ---- a DescribeTable answer as a CreateTable request ----

void CopyMember(const JsonValue& from, const char* name, JsonDocument& to) {
  auto it = from.FindMember(name);
  if (it == from.MemberEnd()) return;
  to.AddMember(JsonValue(name, to.GetAllocator()), JsonValue(it->value, to.GetAllocator()),
               to.GetAllocator());
}

JsonValue Throughput(const JsonValue& described, JsonDocument::AllocatorType& a) {
  JsonValue t(rapidjson::kObjectType);
  for (const char* units : {"ReadCapacityUnits", "WriteCapacityUnits"}) {
    int64_t n = 1;
    if (auto it = described.FindMember(units); it != described.MemberEnd() && it->value.IsInt64()) {
      n = std::max<int64_t>(1, it->value.GetInt64());
    }
    t.AddMember(JsonValue(units, a), JsonValue(n), a);
  }
  return t;
}

JsonValue Indexes(const JsonValue& described, bool provisioned, JsonDocument::AllocatorType& a) {
  JsonValue list(rapidjson::kArrayType);
  for (const auto& ix : described.GetArray()) {
    JsonValue out(rapidjson::kObjectType);
    for (const char* m : {"IndexName", "KeySchema", "Projection"}) {
      if (auto it = ix.FindMember(m); it != ix.MemberEnd()) {
        out.AddMember(JsonValue(m, a), JsonValue(it->value, a), a);
      }
    }
    auto pt = ix.FindMember("ProvisionedThroughput");
    if (provisioned && pt != ix.MemberEnd() && pt->value.IsObject()) {
      out.AddMember("ProvisionedThroughput", Throughput(pt->value, a), a);
    }
    list.PushBack(out, a);
  }
  return list;
}

}  // namespace

std::string CreateTableRequestFromDescription(const JsonValue& table, const std::string& new_name) {
  JsonDocument req(rapidjson::kObjectType);
  auto& a = req.GetAllocator();
  CopyMember(table, "TableName", req);
  if (!new_name.empty()) req["TableName"].SetString(new_name.c_str(), a);
  CopyMember(table, "AttributeDefinitions", req);
  CopyMember(table, "KeySchema", req);
  if (!req.HasMember("TableName") || !req.HasMember("KeySchema") ||
      !req.HasMember("AttributeDefinitions")) {
    throw CliError("a table description needs TableName, KeySchema and AttributeDefinitions");
  }
  bool provisioned = true;
  if (auto b = table.FindMember("BillingModeSummary"); b != table.MemberEnd()) {
    provisioned = StringMember(b->value, "BillingMode") != "PAY_PER_REQUEST";
  }
  req.AddMember("BillingMode", JsonValue(provisioned ? "PROVISIONED" : "PAY_PER_REQUEST", a), a);
  if (auto pt = table.FindMember("ProvisionedThroughput");
      provisioned && pt != table.MemberEnd() && pt->value.IsObject()) {
    req.AddMember("ProvisionedThroughput", Throughput(pt->value, a), a);
  } else if (provisioned) {
    req.AddMember("ProvisionedThroughput", Throughput(JsonValue(rapidjson::kObjectType), a), a);
  }
  for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    auto it = table.FindMember(kind);
    if (it == table.MemberEnd() || !it->value.IsArray() || it->value.Empty()) continue;
    req.AddMember(JsonValue(kind, a), Indexes(it->value, provisioned, a), a);
  }
  if (auto s = table.FindMember("StreamSpecification");
      s != table.MemberEnd() && s->value.IsObject() && s->value.HasMember("StreamEnabled") &&
      s->value["StreamEnabled"].IsBool() && s->value["StreamEnabled"].GetBool()) {
    req.AddMember("StreamSpecification", JsonValue(s->value, a), a);
  }
  if (auto c = table.FindMember("TableClassSummary"); c != table.MemberEnd()) {
    std::string cls = StringMember(c->value, "TableClass");
    if (!cls.empty()) req.AddMember("TableClass", JsonValue(cls.c_str(), a), a);
  }
  CopyMember(table, "DeletionProtectionEnabled", req);
  return JsonText(req);
}

std::vector<std::string> TableDescriptionsInFile(const std::string& path) {
  std::string text;
  try {
    text = ddb::s3::ReadFile(path);
  } catch (const std::exception& e) {
    throw CliError(std::string("--schema: ") + e.what());
  }
  // One object, an array of them, or several objects one after another (what `aws dynamodb
  // describe-table` run for each table prints); each {"Table": {...}} or a bare description.
  std::vector<std::string> tables;
  auto add = [&](const JsonValue& v) {
    const JsonValue* t = v.IsObject() && v.HasMember("Table") ? &v["Table"] : &v;
    if (!t->IsObject()) throw CliError("--schema " + path + ": not a table description");
    tables.push_back(JsonText(*t));
  };
  rapidjson::StringStream stream(text.c_str());
  for (;;) {
    while (stream.Peek() != '\0' && std::isspace(static_cast<unsigned char>(stream.Peek()))) {
      stream.Take();
    }
    if (stream.Peek() == '\0') break;
    JsonDocument d;
    d.ParseStream<rapidjson::kParseStopWhenDoneFlag>(stream);
    if (d.HasParseError()) {
      throw CliError("--schema " + path + ": not JSON (at byte " + std::to_string(stream.Tell()) +
                     ")");
    }
    if (d.IsArray()) {
      for (const auto& v : d.GetArray()) add(v);
    } else {
      add(d);
    }
  }
  if (tables.empty()) throw CliError("--schema " + path + ": no table in it");
  return tables;
}

namespace {

// ---- export ----

struct ExportOptions {
  DdbTargetOptions target;
  std::string table, dir;
  std::string format = "DYNAMODB_JSON";
};

std::string NewExportId() {
  std::mt19937 rng{std::random_device{}()};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%014lld-%08x", static_cast<long long>(ms),
                static_cast<unsigned>(rng()));
  return buf;
}

void Export(const GlobalOptions& globals, const ExportOptions& o) {
  RunDdbCommand([&] {
    DdbTarget target = OpenDdbTarget(globals, o.target, DataDirUse::kReadExisting);
    std::string described =
        target.client->Call("DescribeTable", "{\"TableName\":" + JsonString(o.table) + "}");
    JsonDocument desc = ParseObject(described, "DescribeTable's answer");
    const JsonValue& table = desc["Table"];
    long approx = table.HasMember("ItemCount") && table["ItemCount"].IsInt64()
                      ? static_cast<long>(table["ItemCount"].GetInt64())
                      : 0;
    std::string id = NewExportId();
    double start = ddb::EpochSeconds();
    auto format = o.format == "ION" ? ddb::s3::Format::kIon : ddb::s3::Format::kDynamoDbJson;
    ddb::s3::ExportWriter writer(o.dir, "", id, format);
    ddb::s3::WriteFile(fs::path(o.dir) / ddb::s3::ExportKeyPrefix("", id) / "describe-table.json",
                       described);
    Progress progress("exporting " + o.table);
    std::string start_key;
    do {
      std::string request = "{\"TableName\":" + JsonString(o.table);
      if (!start_key.empty()) request += ",\"ExclusiveStartKey\":" + start_key;
      JsonDocument page = ParseObject(target.client->Call("Scan", request + "}"), "Scan's answer");
      if (page.HasMember("Items") && page["Items"].IsArray()) {
        for (const auto& item_json : page["Items"].GetArray()) {
          ddb::Item item = ddb::ParseItem(item_json);
          writer.Add(JsonText(item_json), &item, ddb::ItemSize(item));
        }
      }
      progress.Update(writer.item_count(), approx);
      start_key = page.HasMember("LastEvaluatedKey") ? JsonText(page["LastEvaluatedKey"]) : "";
    } while (!start_key.empty());
    std::string table_arn = StringMember(table, "TableArn");
    std::string now = ddb::s3::IsoTime(ddb::EpochSeconds());
    std::string manifest =
        writer.Finish({table_arn + "/export/" + id, table_arn, StringMember(table, "TableId"),
                       ddb::s3::IsoTime(start), now, ddb::s3::IsoTime(start),
                       fs::path(o.dir).filename().string(), "", "AES256", ""});
    if (o.target.json) {
      std::printf(
          "{\"table\":%s,\"dir\":%s,\"exportId\":%s,\"itemCount\":%lld,"
          "\"exportManifest\":%s}\n",
          JsonString(o.table).c_str(), JsonString(o.dir).c_str(), JsonString(id).c_str(),
          static_cast<long long>(writer.item_count()), JsonString(manifest).c_str());
      return;
    }
    std::printf("exported %lld items of %s to %s\n", static_cast<long long>(writer.item_count()),
                o.table.c_str(), (fs::path(o.dir) / manifest).c_str());
  });
}

// ---- import ----

struct ImportOptions {
  DdbTargetOptions target;
  std::string dir, table, schema;
};

// The manifest-summary.json under `dir` (the latest export when there are several).
fs::path FindSummary(const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename() == "manifest-summary.json") found.push_back(it->path());
  }
  if (ec) throw CliError("cannot read " + dir.string() + ": " + ec.message());
  if (found.empty()) {
    throw CliError("no export in " + dir.string() + " (no AWSDynamoDB/<id>/manifest-summary.json)");
  }
  std::sort(found.begin(), found.end());  // export ids start with their time
  return found.back();
}

// A data file's key as the manifest names it, found under `dir` (AWS's keys start with the
// export's S3 prefix, which DIR may or may not include).
fs::path DataFile(const fs::path& dir, const std::string& key) {
  if (key.starts_with('/') || ("/" + key + "/").find("/../") != std::string::npos) {
    throw CliError("the manifest names " + key + ", outside " + dir.string());
  }
  if (fs::exists(dir / key)) return dir / key;
  auto at = key.find("AWSDynamoDB/");
  if (at != std::string::npos && fs::exists(dir / key.substr(at))) return dir / key.substr(at);
  throw CliError("data file " + key + " of the manifest is not in " + dir.string());
}

// Writes the items 25 at a time, resending what DynamoDB leaves unprocessed.
class BatchWriter {
 public:
  BatchWriter(client::DynamoDbClient& client, std::string table)
      : client_(client), table_(std::move(table)) {}
  void Add(const std::string& item_json) {
    items_.push_back("{\"PutRequest\":{\"Item\":" + item_json + "}}");
    if (items_.size() == 25) Flush();
  }
  void Flush() {
    std::string pending = Join();
    items_.clear();
    for (int attempt = 0; !pending.empty(); ++attempt) {
      JsonDocument r =
          ParseObject(client_.Call("BatchWriteItem", "{\"RequestItems\":{" + JsonString(table_) +
                                                         ":[" + pending + "]}}"),
                      "BatchWriteItem's answer");
      pending.clear();
      if (auto u = r.FindMember("UnprocessedItems"); u != r.MemberEnd() && u->value.IsObject()) {
        if (auto t = u->value.FindMember(table_.c_str()); t != u->value.MemberEnd()) {
          for (const auto& req : t->value.GetArray()) {
            pending += (pending.empty() ? "" : ",") + JsonText(req);
          }
        }
      }
      if (!pending.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 50 << attempt)));
      }
    }
  }

 private:
  std::string Join() const {
    std::string out;
    for (const auto& i : items_) out += (out.empty() ? "" : ",") + i;
    return out;
  }
  client::DynamoDbClient& client_;
  std::string table_;
  std::vector<std::string> items_;
};

void Import(const GlobalOptions& globals, const ImportOptions& o) {
  RunDdbCommand([&] {
    fs::path summary_path = FindSummary(o.dir);
    JsonDocument summary = ParseObject(ddb::s3::ReadFile(summary_path), summary_path.string());
    std::string format_name = StringMember(summary, "outputFormat");
    std::string description;
    if (!o.schema.empty()) {
      description = TableDescriptionsInFile(o.schema).at(0);
    } else if (fs::exists(summary_path.parent_path() / "describe-table.json")) {
      JsonDocument d =
          ParseObject(ddb::s3::ReadFile(summary_path.parent_path() / "describe-table.json"),
                      "describe-table.json");
      description = JsonText(d.HasMember("Table") ? d["Table"] : d);
    } else {
      throw CliError("the export in " + o.dir +
                     " has no describe-table.json (one from AWS has none): give --schema FILE, "
                     "the table's `aws dynamodb describe-table` output");
    }
    JsonDocument table_desc = ParseObject(description, "the table description");
    std::string create = CreateTableRequestFromDescription(table_desc, o.table);
    std::string table = StringMember(ParseObject(create, "CreateTable"), "TableName");

    DdbTarget target = OpenDdbTarget(globals, o.target);
    target.client->Call("CreateTable", create);
    WaitForTable(*target.client, table, false, std::chrono::seconds(120));

    ddb::s3::ImportOptions read;
    read.format = format_name == "ION" ? ddb::s3::Format::kIon : ddb::s3::Format::kDynamoDbJson;
    read.compression = ddb::s3::Compression::kGzip;
    BatchWriter batch(*target.client, table);
    Progress progress("importing into " + table);
    long imported = 0, errors = 0;
    long total = summary.HasMember("itemCount") && summary["itemCount"].IsInt64()
                     ? static_cast<long>(summary["itemCount"].GetInt64())
                     : 0;
    std::string files_key = StringMember(summary, "manifestFilesS3Key");
    std::string files = ddb::s3::ReadFile(DataFile(o.dir, files_key));
    for (size_t pos = 0; pos < files.size();) {
      size_t end = files.find('\n', pos);
      if (end == std::string::npos) end = files.size();
      std::string line = files.substr(pos, end - pos);
      pos = end + 1;
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      JsonDocument entry = ParseObject(line, "a manifest-files.json line");
      ddb::s3::ReadObject(
          DataFile(o.dir, StringMember(entry, "dataFileS3Key")), read,
          [&](const ddb::Item& item) {
            ddb::JsonBuffer buf;
            ddb::JsonWriter w(buf);
            ddb::WriteItem(w, item);
            batch.Add(std::string(buf.GetString(), buf.GetSize()));
            progress.Update(++imported, total);
          },
          [&](const std::string& reason) {
            if (errors++ < 10) std::fprintf(stderr, "cruddur: skipped: %s\n", reason.c_str());
          });
    }
    batch.Flush();
    if (o.target.json) {
      std::printf("{\"table\":%s,\"importedItemCount\":%ld,\"errorCount\":%ld}\n",
                  JsonString(table).c_str(), imported, errors);
      return;
    }
    std::printf("imported %ld items into %s (%s)%s\n", imported, table.c_str(),
                target.description.c_str(),
                errors ? (", " + std::to_string(errors) + " skipped").c_str() : "");
  });
}

}  // namespace

void AddDdbTransferCommands(CLI::App& ddb, GlobalOptions& globals) {
  auto ex = std::make_shared<ExportOptions>();
  CLI::App* cmd = ddb.add_subcommand(
      "export", "Export a table to DIR in DynamoDB's S3 export layout (AWSDynamoDB/<id>/...)");
  cmd->add_option("TABLE", ex->table, "The table to export")->required();
  cmd->add_option("DIR", ex->dir, "The directory to write the export in")->required();
  cmd->add_option("--format", ex->format, "DYNAMODB_JSON (default) or ION")
      ->check(CLI::IsMember({"DYNAMODB_JSON", "ION"}));
  AddDdbTargetFlags(*cmd, ex->target, false, true);
  cmd->callback([&globals, ex] { Export(globals, *ex); });

  auto im = std::make_shared<ImportOptions>();
  cmd = ddb.add_subcommand(
      "import", "Create a table from an export in DIR (ours, or one copied from AWS) and load it");
  cmd->add_option("DIR", im->dir, "The directory holding the export")->required();
  cmd->add_option("--table", im->table, "Name of the new table (default: the exported one's)")
      ->type_name("NAME");
  cmd->add_option("--schema", im->schema,
                  "The table's `aws dynamodb describe-table` output (for an export without "
                  "describe-table.json)")
      ->type_name("FILE");
  AddDdbTargetFlags(*cmd, im->target, false, true);
  cmd->callback([&globals, im] { Import(globals, *im); });
}

}  // namespace cruddur::cli
