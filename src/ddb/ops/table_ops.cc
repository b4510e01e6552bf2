// Control plane: DeleteTable, DescribeTable, ListTables, DescribeEndpoints, DescribeLimits
// (CreateTable: create_table.cc; UpdateTable: update_table.cc).
#include <fmt/format.h>

#include "ddb/engine_impl.h"
#include "ddb/error.h"
#include "ddb/ops/table_request.h"

namespace cruddur::ddb {

void EngineImpl::DeleteTable(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = CheckedTableName(req, errors);
  errors.ThrowIfAny();
  std::shared_ptr<Table> table;
  {
    MutexLock lock(catalog_mu_);
    table = FindTable(name);
    if (!table) throw TableNotFound(name);
    auto current = table->schema();
    double now = Now();
    // CREATING, UPDATING, and DELETING too: a second DeleteTable is ResourceInUseException "Table
    // is being deleted" until the table is gone, as DynamoDB answered in 2026 (ack-api-quirks
    // dynamodb DDB-TABLE-006/008), not the API reference's "no error is returned".
    std::string_view status = current->StatusAt(now);
    if (status == "CREATING" || status == "DELETING") throw TableInUse(status, current->name);
    // An index being created, updated or deleted holds the table even once it is ACTIVE again
    // (ack-api-quirks dynamodb DDB-TABLE-150, -376).
    if (current->IndexesChangingAt(now)) throw IndexesInUse();
    if (status == "UPDATING" && current->transient_cause == kStreamChange) {
      throw ResourceInUse("Cannot delete table while stream is being enabled/disabled.");  // -002
    }
    if (status != "ACTIVE") throw TableInUse(status, current->name);
    if (current->deletion_protection) {
      throw ApiError::Validation(
          "Resource cannot be deleted as it is currently protected against "
          "deletion. Disable deletion protection first.");
    }
    if (DelaysTransientStatuses()) {
      // Stays listed as DELETING until the delay has passed (FindTable then drops it).
      auto deleting = std::make_shared<TableSchema>(*current);
      deleting->ResolveAt(now);
      deleting->transient_status = "DELETING";
      deleting->transient_until = TransientUntil(now);
      SaveSchema(*deleting);
      table->set_schema(deleting);
    } else {
      storage::WriteBatch batch;
      // (The table's own name: the request may have named it by its ARN.)
      batch.Delete(keyspace::CatalogKey(current->name));
      auto retired = RetireTable(*current, batch, /*ensure_stream=*/true);
      storage_->Write(batch);
      AddRetiredTable(std::move(retired));
      WriterLock tl(tables_mu_);
      tables_.erase(current->name);
    }
  }
  auto schema = table->schema();
  EnsureStats(*table);
  w.StartObject();
  WriteKey(w, "TableDescription");
  WriteDeletingTableDescription(w, *schema, table->Stats(), options_.region, options_.account_id);
  w.EndObject();
  if (table->point_in_time_recovery()) BackUpDeletedTable(table);
  DeleteTableData(schema->id);
}

void EngineImpl::DeleteTableData(uint32_t table_id) {
  std::string prefix = keyspace::IndexPrefix(table_id, 0);
  prefix.pop_back();  // every index of the table
  DeleteRange(prefix);
}

void EngineImpl::DescribeTable(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  std::string_view name = CheckedTableName(req, errors);
  errors.ThrowIfAny();
  auto table = FindTable(name);
  if (!table) throw TableNotFound(name);
  EnsureStats(*table);
  auto schema = table->schema();
  w.StartObject();
  WriteKey(w, "Table");
  WriteTableDescription(w, *schema, std::string(schema->StatusAt(Now())), table->Stats(),
                        options_.region, options_.account_id);
  w.EndObject();
}

void EngineImpl::ListTables(const Request& req, JsonWriter& w) {
  ConstraintErrors errors;
  auto limit = req.Int("Limit");
  auto start = req.String("ExclusiveStartTableName");
  if (limit) errors.CheckRange("limit", *limit, 1, 100);
  if (start) errors.CheckName("exclusiveStartTableName", *start);
  errors.ThrowIfAny();
  size_t max = static_cast<size_t>(limit.value_or(100));
  std::vector<std::string> names;
  bool more = false;
  {
    ReaderLock lock(tables_mu_);
    double now = Now();
    auto it = start ? tables_.upper_bound(*start) : tables_.begin();
    for (; it != tables_.end(); ++it) {
      if (it->second->schema()->DeletedBy(now)) continue;  // deleted; FindTable drops it later
      if (names.size() == max) {
        more = true;
        break;
      }
      names.push_back(it->first);
    }
  }
  w.StartObject();
  WriteKey(w, "TableNames");
  w.StartArray();
  for (const auto& n : names) WriteString(w, n);
  w.EndArray();
  if (more) {
    WriteKey(w, "LastEvaluatedTableName");
    WriteString(w, names.back());
  }
  w.EndObject();
}

void EngineImpl::DescribeEndpoints(const Request&, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "Endpoints");
  w.StartArray();
  w.StartObject();
  WriteKey(w, "Address");
  // Over HTTP the wire layer answers with the Host the client used; in process there is no
  // address to name but this machine's, and never AWS's (where an SDK would send data).
  WriteString(w, "localhost");
  WriteKey(w, "CachePeriodInMinutes");
  w.Int(1440);
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

void EngineImpl::DescribeLimits(const Request&, JsonWriter& w) {
  w.StartObject();
  WriteKey(w, "AccountMaxReadCapacityUnits");
  w.Int(80000);
  WriteKey(w, "AccountMaxWriteCapacityUnits");
  w.Int(80000);
  WriteKey(w, "TableMaxReadCapacityUnits");
  w.Int(40000);
  WriteKey(w, "TableMaxWriteCapacityUnits");
  w.Int(40000);
  w.EndObject();
}

}  // namespace cruddur::ddb
