// The tables and items the DynamoDB fuzz targets start from (fuzz_engine_request,
// fuzz_ddb_http_request), so expressions, queries and PartiQL run against real items.
// deep_mutator.h names these tables and attributes.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "ddb/engine.h"

namespace cruddur::fuzz {

// The app's single table (with a GSI, an LSI, a stream and TTL) and a numeric-keyed one with a
// multi-attribute GSI (2 HASH + 2 RANGE attributes).
inline constexpr std::string_view kSetup[][2] = {
    {"CreateTable", R"({"TableName":"cruddur-messages","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
        {"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"message_group_uuid",
        "AttributeType":"S"},{"AttributeName":"n","AttributeType":"N"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "GlobalSecondaryIndexes":[{"IndexName":"message-group-sk-index","KeySchema":[
        {"AttributeName":"message_group_uuid","KeyType":"HASH"},
        {"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],
      "LocalSecondaryIndexes":[{"IndexName":"by-n","KeySchema":[
        {"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"n","KeyType":"RANGE"}],
        "Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["message"]}}],
      "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}})"},
    {"CreateTable", R"({"TableName":"users","AttributeDefinitions":[
      {"AttributeName":"id","AttributeType":"N"},{"AttributeName":"team","AttributeType":"S"},
      {"AttributeName":"season","AttributeType":"N"},{"AttributeName":"round","AttributeType":"N"},
      {"AttributeName":"handle","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
      "GlobalSecondaryIndexes":[{"IndexName":"by-team","KeySchema":[
        {"AttributeName":"team","KeyType":"HASH"},{"AttributeName":"season","KeyType":"HASH"},
        {"AttributeName":"round","KeyType":"RANGE"},{"AttributeName":"handle","KeyType":"RANGE"}],
        "Projection":{"ProjectionType":"KEYS_ONLY"},
        "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}],
      "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}})"},
    {"UpdateTimeToLive", R"({"TableName":"cruddur-messages",
      "TimeToLiveSpecification":{"Enabled":true,"AttributeName":"expires"}})"},
    {"PutItem", R"({"TableName":"cruddur-messages","Item":{"pk":{"S":"GRP#andrewbrown"},
      "sk":{"S":"2023-03-01T10:00:00+00:00"},"message_group_uuid":{"S":"5ae290ed"},
      "message":{"S":"hello"},"n":{"N":"1"},"tags":{"SS":["a","b"]},
      "meta":{"M":{"l":{"L":[{"N":"1"},{"BOOL":true},{"NULL":true},{"B":"AAE="}]}}}}})"},
    {"PutItem", R"({"TableName":"cruddur-messages","Item":{"pk":{"S":"GRP#andrewbrown"},
      "sk":{"S":"2023-03-02T10:00:00+00:00"},"message_group_uuid":{"S":"5ae290ed"},
      "message":{"S":"bye"},"n":{"N":"-2.5"},"nums":{"NS":["1","2"]},"expires":{"N":"1"}}})"},
    {"PutItem", R"({"TableName":"cruddur-messages","Item":{"pk":{"S":"MSG#5ae290ed"},
      "sk":{"S":"2023-03-01T10:00:00+00:00"},"user_handle":{"S":"bayko"},"n":{"N":"3"}}})"},
    {"PutItem", R"({"TableName":"users","Item":{"id":{"N":"1"},"handle":{"S":"andrewbrown"}}})"},
    {"PutItem", R"({"TableName":"users","Item":{"id":{"N":"2"},"handle":{"S":"bayko"},
      "team":{"S":"red"},"season":{"N":"2025"},"round":{"N":"3"}}})"},
};

// A fresh in-memory engine holding kSetup.
inline std::unique_ptr<ddb::Engine> SeededEngine() {
  ddb::EngineOptions options;
  options.in_memory = true;
  options.ttl_sweep_interval = std::chrono::milliseconds(0);  // no background thread
  std::unique_ptr<ddb::Engine> engine = ddb::Engine::Open(options);
  for (const auto& [op, body] : kSetup) engine->Execute(op, body);
  return engine;
}

}  // namespace cruddur::fuzz
