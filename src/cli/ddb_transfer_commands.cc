// `cruddur ddb export TABLE DIR`, `cruddur ddb import DIR [--only TABLE]... [--table NAME]
// [--rules FILE]`, and the tables `ddb serve --schema FILE` creates at start.
//
// The CLI writes and reads DynamoDB's S3 export layout (ddb/s3_layout.h) itself, through the
// ordinary operations (DescribeTable, Scan, CreateTable, BatchWriteItem), so both work against
// every target (embedded, a running server, --endpoint-url, prod). DIR plays the bucket:
// DIR/AWSDynamoDB/<ExportId>/{manifest-summary.json, manifest-files.json, data/...}, plus
// describe-table.json there (the table's DescribeTable answer, for import to create the table
// with its keys and indexes; an export copied from AWS has none: give --schema then). A CLI
// export is one Scan, not a snapshot: writes made meanwhile may or may not be in it. Import
// takes the latest export of each table in DIR (--only chooses tables) and applies the
// anonymisation rules of --rules (anonymize/rules.h) to every item before writing it.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "anonymize/rules.h"
#include "cli/cli.h"
#include "cli/ddb_target.h"
#include "cli/progress.h"
#include "common/random.h"
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
  bool progress = false;
};

std::string NewExportId() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%014lld-%08x", static_cast<long long>(ms),
                static_cast<unsigned>(ThreadRandom()()));
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
    Progress progress("exporting " + o.table, o.progress);
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
  std::vector<std::string> only;  // --only: the exported tables to import (none: every one)
  std::string rules, rules_secret;
  bool progress = false;
};

// One export in DIR.
struct FoundExport {
  fs::path summary_path;  // its manifest-summary.json
  fs::path root;          // where the manifest's keys start (the directory above AWSDynamoDB/)
  std::string table;      // the exported table's name; empty when the export does not say
};

// describe-table.json's TableName, else the table in the summary's tableArn (AWS's exports have
// that), else "".
std::string ExportedTableName(const fs::path& summary_path) {
  fs::path described = summary_path.parent_path() / "describe-table.json";
  if (fs::exists(described)) {
    JsonDocument d = ParseObject(ddb::s3::ReadFile(described), described.string());
    std::string name = StringMember(d.HasMember("Table") ? d["Table"] : d, "TableName");
    if (!name.empty()) return name;
  }
  JsonDocument summary = ParseObject(ddb::s3::ReadFile(summary_path), summary_path.string());
  std::string arn = StringMember(summary, "tableArn");
  auto at = arn.find(":table/");
  if (at == std::string::npos) return "";
  std::string name = arn.substr(at + 7);
  return name.substr(0, name.find('/'));
}

// The latest export of each table under `dir`, by table name.
std::map<std::string, FoundExport> FindExports(const fs::path& dir) {
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
  // Export ids (the summary's directory) start with their time.
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return a.parent_path().filename() < b.parent_path().filename();
  });
  std::map<std::string, FoundExport> latest;
  for (const auto& path : found) {
    std::string table = ExportedTableName(path);
    latest[table] = {path, path.parent_path().parent_path().parent_path(), table};
  }
  return latest;
}

std::string TableNames(const std::map<std::string, FoundExport>& found) {
  std::string names;
  for (const auto& [name, e] : found) {
    names += (names.empty() ? "" : ", ") + (name.empty() ? "(an export naming no table)" : name);
  }
  return names;
}

// The exports --only names (all of them without --only).
std::vector<FoundExport> ChooseExports(const std::map<std::string, FoundExport>& found,
                                       const ImportOptions& o) {
  std::vector<FoundExport> chosen;
  if (o.only.empty()) {
    for (const auto& [name, e] : found) chosen.push_back(e);
  }
  for (const auto& name : o.only) {
    auto it = found.find(name);
    if (name.empty() || it == found.end()) {
      throw CliError("--only " + name + ": no export of that table in " + o.dir +
                         " (it holds exports of: " + TableNames(found) + ")",
                     2);
    }
    bool again = std::any_of(chosen.begin(), chosen.end(),
                             [&](const FoundExport& e) { return e.table == name; });
    if (!again) chosen.push_back(it->second);
  }
  if (!o.table.empty() && chosen.size() > 1) {
    throw CliError("--table names one new table, but " + o.dir + " holds exports of " +
                       std::to_string(chosen.size()) + " tables (" + TableNames(found) +
                       "): choose one with --only",
                   2);
  }
  return chosen;
}

// A data file's key as the manifest names it, found under `root` or `dir` (AWS's keys start
// with the export's S3 prefix, which DIR may or may not include).
fs::path DataFile(const fs::path& root, const fs::path& dir, const std::string& key) {
  if (key.starts_with('/') || ("/" + key + "/").find("/../") != std::string::npos) {
    throw CliError("the manifest names " + key + ", outside " + dir.string());
  }
  auto at = key.find("AWSDynamoDB/");
  for (const fs::path& base : {root, dir}) {
    if (fs::exists(base / key)) return base / key;
    if (at != std::string::npos && fs::exists(base / key.substr(at))) return base / key.substr(at);
  }
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

// One table to create and load.
struct TableImport {
  FoundExport source;
  std::string create;  // the CreateTable request
  std::string table;   // the new table
  anonymize::TableKeys keys;
};

// The table's description: from --schema (the one description in it, or the one of this table),
// else the export's describe-table.json.
std::string TableDescription(const FoundExport& e, const ImportOptions& o) {
  if (!o.schema.empty()) {
    std::vector<std::string> tables = TableDescriptionsInFile(o.schema);
    if (tables.size() == 1) return tables[0];
    for (const auto& t : tables) {
      if (StringMember(ParseObject(t, "--schema"), "TableName") == e.table) return t;
    }
    throw CliError("--schema " + o.schema + " describes several tables and " +
                   (e.table.empty() ? "the export names none of them: give one description"
                                    : "none is " + e.table));
  }
  fs::path described = e.summary_path.parent_path() / "describe-table.json";
  if (!fs::exists(described)) {
    throw CliError("the export in " + e.summary_path.parent_path().string() +
                   " has no describe-table.json (one from AWS has none): give --schema FILE, "
                   "the table's `aws dynamodb describe-table` output");
  }
  JsonDocument d = ParseObject(ddb::s3::ReadFile(described), "describe-table.json");
  return JsonText(d.HasMember("Table") ? d["Table"] : d);
}

anonymize::TableKeys KeysOf(const JsonValue& table) {
  anonymize::TableKeys keys;
  auto add = [](const JsonValue& owner, std::set<std::string>& into) {
    auto it = owner.FindMember("KeySchema");
    if (it == owner.MemberEnd() || !it->value.IsArray()) return;
    for (const auto& k : it->value.GetArray()) into.insert(StringMember(k, "AttributeName"));
  };
  add(table, keys.primary);
  for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    auto it = table.FindMember(kind);
    if (it == table.MemberEnd() || !it->value.IsArray()) continue;
    for (const auto& ix : it->value.GetArray()) add(ix, keys.index);
  }
  for (const auto& k : keys.primary) keys.index.erase(k);  // an LSI repeats the partition key
  return keys;
}

TableImport PlanImport(FoundExport e, const ImportOptions& o) {
  JsonDocument desc = ParseObject(TableDescription(e, o), "the table description");
  TableImport t;
  t.create = CreateTableRequestFromDescription(desc, o.table);
  t.table = StringMember(ParseObject(t.create, "CreateTable"), "TableName");
  // Rules name tables as exported; an export that names none is its description's table.
  if (e.table.empty()) e.table = StringMember(desc, "TableName");
  t.source = std::move(e);
  t.keys = KeysOf(desc);
  return t;
}

// Calls `on_item` with each item of the export, `on_error` with the reason for each that cannot
// be read.
void ForEachItem(const FoundExport& e, const fs::path& dir,
                 const std::function<void(ddb::Item)>& on_item,
                 const std::function<void(const std::string&)>& on_error) {
  JsonDocument summary = ParseObject(ddb::s3::ReadFile(e.summary_path), e.summary_path.string());
  ddb::s3::ImportOptions read;
  read.format = StringMember(summary, "outputFormat") == "ION" ? ddb::s3::Format::kIon
                                                               : ddb::s3::Format::kDynamoDbJson;
  read.compression = ddb::s3::Compression::kGzip;
  std::string files =
      ddb::s3::ReadFile(DataFile(e.root, dir, StringMember(summary, "manifestFilesS3Key")));
  for (size_t pos = 0; pos < files.size();) {
    size_t end = files.find('\n', pos);
    if (end == std::string::npos) end = files.size();
    std::string line = files.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
    JsonDocument entry = ParseObject(line, "a manifest-files.json line");
    ddb::s3::ReadObject(DataFile(e.root, dir, StringMember(entry, "dataFileS3Key")), read, on_item,
                        on_error);
  }
}

std::string ItemText(const ddb::Item& item) {
  ddb::JsonBuffer buf;
  ddb::JsonWriter w(buf);
  ddb::WriteItem(w, item);
  return std::string(buf.GetString(), buf.GetSize());
}

std::optional<anonymize::RuleSet> LoadRules(const ImportOptions& o) {
  if (o.rules.empty()) {
    if (!o.rules_secret.empty()) throw CliError("--rules-secret needs --rules FILE", 2);
    return std::nullopt;
  }
  std::string secret = o.rules_secret;
  const char* env = std::getenv("CRUDDUR_RULES_SECRET");
  if (secret.empty() && env) secret = env;
  try {
    return anonymize::RuleSet::Parse(ddb::s3::ReadFile(o.rules), secret);
  } catch (const std::exception& e) {  // unreadable, or a RuleError
    throw CliError("--rules " + o.rules + ": " + e.what(), 2);
  }
}

// Refuses, before anything is written, rules that give two items of a table one key: hashes of
// distinct keys stay distinct, but a fake may not.
void CheckKeysStayUnique(const TableImport& t, const anonymize::RuleSet& rules,
                         const ImportOptions& o) {
  try {
    for (const auto& warning : rules.CheckKeys(t.source.table, t.keys)) {
      std::fprintf(stderr, "cruddur: warning: --rules %s\n", warning.c_str());
    }
  } catch (const anonymize::RuleError& e) {
    throw CliError("--rules " + o.rules + ": " + e.what(), 2);
  }
  if (!rules.Changes(t.source.table, t.keys.primary)) return;
  std::map<std::string, std::string> seen;  // each new key, and the key it was
  auto key_of = [&](const ddb::Item& item) {
    ddb::Item key;
    for (const auto& name : t.keys.primary) {
      if (auto it = item.find(name); it != item.end()) key.emplace(name, it->second);
    }
    return ItemText(key);
  };
  ForEachItem(
      t.source, o.dir,
      [&](ddb::Item item) {
        std::string before = key_of(item);
        rules.Apply(t.source.table, item);
        auto [it, added] = seen.emplace(key_of(item), before);
        if (!added && it->second != before) {
          throw CliError("--rules " + o.rules + " give two items of " + t.source.table +
                             " the same key " + it->first +
                             ": hash the key attributes or fake them as a kind with more values "
                             "(uuid, email); nothing imported",
                         2);
        }
      },
      [](const std::string&) {});
}

void ImportTable(DdbTarget& target, const TableImport& t, const anonymize::RuleSet* rules,
                 const ImportOptions& o) {
  target.client->Call("CreateTable", t.create);
  WaitForTable(*target.client, t.table, false, std::chrono::seconds(120));
  JsonDocument summary =
      ParseObject(ddb::s3::ReadFile(t.source.summary_path), t.source.summary_path.string());
  long total = summary.HasMember("itemCount") && summary["itemCount"].IsInt64()
                   ? static_cast<long>(summary["itemCount"].GetInt64())
                   : 0;
  BatchWriter batch(*target.client, t.table);
  long imported = 0, errors = 0;
  {
    Progress progress("importing into " + t.table, o.progress);
    ForEachItem(
        t.source, o.dir,
        [&](ddb::Item item) {
          if (rules) rules->Apply(t.source.table, item);
          batch.Add(ItemText(item));
          progress.Update(++imported, total);
        },
        [&](const std::string& reason) {
          if (errors++ < 10) std::fprintf(stderr, "cruddur: skipped: %s\n", reason.c_str());
        });
    batch.Flush();
  }
  if (o.target.json) {
    std::printf("{\"table\":%s,\"importedItemCount\":%ld,\"errorCount\":%ld}\n",
                JsonString(t.table).c_str(), imported, errors);
    return;
  }
  std::printf("imported %ld items into %s (%s)%s\n", imported, t.table.c_str(),
              target.description.c_str(),
              errors ? (", " + std::to_string(errors) + " skipped").c_str() : "");
}

// Every check (tables chosen, descriptions, rules, keys) passes before the first table is
// created. Several tables: one result line (or JSON object) each.
void Import(const GlobalOptions& globals, const ImportOptions& o) {
  RunDdbCommand([&] {
    std::optional<anonymize::RuleSet> rules = LoadRules(o);
    std::vector<TableImport> plan;
    for (auto& e : ChooseExports(FindExports(o.dir), o)) plan.push_back(PlanImport(e, o));
    if (rules) {
      for (const auto& t : plan) CheckKeysStayUnique(t, *rules, o);
    }
    DdbTarget target = OpenDdbTarget(globals, o.target);
    for (const auto& t : plan) ImportTable(target, t, rules ? &*rules : nullptr, o);
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
  AddProgressFlag(*cmd, ex->progress);
  AddDdbTargetFlags(*cmd, ex->target, false, true);
  cmd->callback([&globals, ex] { Export(globals, *ex); });

  auto im = std::make_shared<ImportOptions>();
  cmd = ddb.add_subcommand(
      "import",
      "Create the tables of the exports in DIR (ours, or copied from AWS) and load them, "
      "optionally anonymised (--rules)");
  cmd->add_option("DIR", im->dir, "The directory holding the export")->required();
  cmd->add_option("--table", im->table,
                  "Name of the new table (default: the exported one's; with one table only)")
      ->type_name("NAME");
  cmd->add_option("--schema", im->schema,
                  "The table's `aws dynamodb describe-table` output (for an export without "
                  "describe-table.json)")
      ->type_name("FILE");
  cmd->add_option("--only", im->only,
                  "Import only this exported table (repeat it, or give a comma-separated list; "
                  "default: the latest export of every table in DIR)")
      ->type_name("TABLE")
      ->delimiter(',');
  cmd->add_option("--rules", im->rules,
                  "Anonymisation rules applied to every item before it is written (exit 2, "
                  "nothing imported, when the file is bad). JSON: {\"secret\", \"seed\", "
                  "\"rules\": [{\"path\": \"a.b[0].c\", \"action\": \"mask\" (\"keep\", "
                  "\"maskChar\") | \"fake\" (\"kind\": email, name, first_name, last_name, "
                  "phone, address, uuid, ip, text, digits) | \"hash\" (\"length\") | \"drop\", "
                  "optional \"ConditionExpression\", \"ExpressionAttributeNames\", "
                  "\"ExpressionAttributeValues\", \"tables\"}]}; see README, \"Anonymising an "
                  "import\"")
      ->type_name("FILE");
  cmd->add_option("--rules-secret", im->rules_secret,
                  "The key of the rules' hash action (default: $CRUDDUR_RULES_SECRET, else the "
                  "file's \"secret\")")
      ->type_name("SECRET");
  AddProgressFlag(*cmd, im->progress);
  AddDdbTargetFlags(*cmd, im->target, false, true);
  cmd->callback([&globals, im] { Import(globals, *im); });
}

}  // namespace cruddur::cli
