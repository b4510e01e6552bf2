// The catalog entry of a table (SerializeSchema/DeserializeSchema): the throughput settings
// round-trip, and entries written before they existed still load, with DynamoDB's defaults.
#include "ddb/table_schema.h"

#include <gtest/gtest.h>

#include <string>

namespace cruddur::ddb {
namespace {

TableSchema OnDemandTable() {
  TableSchema s;
  s.name = "tbl";
  s.table_id = "id";
  s.key.hash_name = "pk";
  s.attribute_definitions = {{"pk", ValueType::kS}, {"g", ValueType::kS}};
  s.pay_per_request = true;
  s.on_demand.max_write = 70;
  s.warm = {13000, 4500};
  s.deletion_protection = true;
  s.table_class = "STANDARD_INFREQUENT_ACCESS";
  IndexSchema ix;
  ix.name = "gsi1";
  ix.id = 1;
  ix.key.hash_name = "g";
  ix.on_demand = {5, std::nullopt};
  ix.warm = {20000, 4000};
  s.indexes.push_back(ix);
  return s;
}

TEST(TableSchemaCatalogTest, ThroughputSettingsRoundTrip) {
  TableSchema back = DeserializeSchema(SerializeSchema(OnDemandTable()));
  EXPECT_EQ(back.on_demand.max_read, std::nullopt);
  EXPECT_EQ(back.on_demand.max_write, 70);
  EXPECT_EQ(back.warm.read, 13000);
  EXPECT_EQ(back.warm.write, 4500);
  EXPECT_TRUE(back.deletion_protection);
  EXPECT_EQ(back.table_class, "STANDARD_INFREQUENT_ACCESS");
  ASSERT_EQ(back.indexes.size(), 1u);
  EXPECT_EQ(back.indexes[0].on_demand.max_read, 5);
  EXPECT_EQ(back.indexes[0].on_demand.max_write, std::nullopt);
  EXPECT_EQ(back.indexes[0].warm.read, 20000);
}

// The times that limit how often a table changes (EngineOptions::update_limits) are kept with it.
TEST(TableSchemaCatalogTest, ChangeTimesRoundTrip) {
  TableSchema s = OnDemandTable();
  s.deletion_protection_updated = 1700000000.5;
  s.table_class_switches = {1700000001.25, 1700000002.75};
  s.ttl_updated = 1700000003.5;
  TableSchema back = DeserializeSchema(SerializeSchema(s));
  EXPECT_EQ(back.deletion_protection_updated, 1700000000.5);
  EXPECT_EQ(back.table_class_switches, (std::vector<double>{1700000001.25, 1700000002.75}));
  EXPECT_EQ(back.ttl_updated, 1700000003.5);
  TableSchema fresh = DeserializeSchema(SerializeSchema(OnDemandTable()));
  EXPECT_EQ(fresh.deletion_protection_updated, 0);
  EXPECT_TRUE(fresh.table_class_switches.empty());
}

// NumberOfDecreasesToday counts the decreases of the UTC day: a day that has none since 00:00
// UTC has zero, whatever the day of the last decrease counted.
TEST(TableSchemaCatalogTest, DecreasesAreCountedByUtcDay) {
  ProvisionedThroughput t;
  t.last_decrease_time = 1700006399;  // 2023-11-14T23:59:59Z
  t.decreases_today = 3;
  EXPECT_EQ(t.DecreasesOn(1700006399), 3);
  EXPECT_EQ(t.DecreasesOn(1699920000), 3);  // 2023-11-14T00:00:00Z, the same UTC day
  EXPECT_EQ(t.DecreasesOn(1699920000 - 1), 0);
  EXPECT_EQ(t.DecreasesOn(1700006400), 0);  // 2023-11-15T00:00:00Z
  EXPECT_EQ(ProvisionedThroughput{}.DecreasesOn(1700006400), 0);
}

// Drops every `"key":{...}` member (a flat object) from a catalog entry.
std::string WithoutMember(std::string json, const std::string& key) {
  for (size_t at; (at = json.find("\"" + key + "\":{")) != std::string::npos;) {
    size_t end = json.find('}', at);
    size_t from = json[at - 1] == ',' ? at - 1 : at;
    json.erase(from, end + 1 - from);
  }
  return json;
}

TEST(TableSchemaCatalogTest, EntriesFromBeforeTheSettingsLoadWithDefaults) {
  std::string old = WithoutMember(WithoutMember(SerializeSchema(OnDemandTable()), "odt"), "warm");
  ASSERT_EQ(old.find("\"odt\""), std::string::npos);
  ASSERT_EQ(old.find("\"warm\""), std::string::npos);
  TableSchema back = DeserializeSchema(old);
  EXPECT_TRUE(back.on_demand.empty());
  EXPECT_TRUE(back.indexes.at(0).on_demand.empty());
  // Never recorded: DynamoDB's default, the on-demand initial throughput.
  WarmThroughput warm = EffectiveWarm(back.warm, back.pay_per_request, back.throughput);
  EXPECT_EQ(warm.read, 12000);
  EXPECT_EQ(warm.write, 4000);
  ProvisionedThroughput provisioned;
  provisioned.read_capacity_units = 7;
  provisioned.write_capacity_units = 3;
  warm = EffectiveWarm(back.indexes[0].warm, /*pay_per_request=*/false, provisioned);
  EXPECT_EQ(warm.read, 7);
  EXPECT_EQ(warm.write, 3);
}

// When PAY_PER_REQUEST was last set round-trips; entries written before it was recorded take
// the creation time for tables that are PAY_PER_REQUEST, and no time for the others.
TEST(TableSchemaCatalogTest, PayPerRequestSinceRoundTripsOrDefaultsToCreation) {
  TableSchema s = OnDemandTable();
  s.creation_time = 100;
  s.pay_per_request = false;
  s.pay_per_request_since = 250.5;
  EXPECT_EQ(DeserializeSchema(SerializeSchema(s)).pay_per_request_since, 250.5);

  auto without_since = [](TableSchema t) {
    std::string json = SerializeSchema(t);
    size_t at = json.find(",\"ppr_since\":");
    EXPECT_NE(at, std::string::npos);
    json.erase(at, json.find(',', at + 1) - at);
    return DeserializeSchema(json);
  };
  EXPECT_EQ(without_since(s).pay_per_request_since, 0);
  s.pay_per_request = true;
  EXPECT_EQ(without_since(s).pay_per_request_since, 100);
}

}  // namespace
}  // namespace cruddur::ddb
