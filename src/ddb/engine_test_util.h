// Calling an Engine from tests (the answer parsed, or the ApiError it threw), and the fixtures
// that open one on each storage.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ddb/engine.h"
#include "ddb/error.h"

namespace cruddur::ddb {

// The operation's answer, parsed (a parse error fails the test); the empty body of TagResource and
// UntagResource, which DynamoDB sends as their empty output, is an empty object.
inline rapidjson::Document CallEngine(Engine& engine, std::string_view op, std::string_view body) {
  rapidjson::Document d;
  std::string out = engine.Execute(op, body);
  if (out.empty() && (op == "TagResource" || op == "UntagResource")) out = "{}";
  d.Parse(out.c_str());
  EXPECT_FALSE(d.HasParseError()) << out;
  return d;
}

// The ApiError the operation threw (an operation that succeeds fails the test).
inline ApiError CallEngineError(Engine& engine, std::string_view op, std::string_view body) {
  try {
    engine.Execute(op, body);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << op << " did not fail";
  return ApiError::InternalServer();
}

// CreateTable's body for the on-demand table "msgs": key pk (S) and sk (`sk_type`), and the GSI
// "by-g" on g (S) and sk, projecting ALL.
inline std::string MsgsTableJson(std::string_view sk_type) {
  return R"j({"TableName":"msgs","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
        {"AttributeName":"sk","AttributeType":")j" +
         std::string(sk_type) + R"j("},{"AttributeName":"g","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "GlobalSecondaryIndexes":[{"IndexName":"by-g","KeySchema":[
        {"AttributeName":"g","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
        "Projection":{"ProjectionType":"ALL"}}]})j";
}

// A fresh, empty directory for the running test: <tmp>/cruddur_<suite>_<pid>_<test>.
inline std::filesystem::path FreshTestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("cruddur_") + info->test_suite_name() + "_" +
                     std::to_string(::getpid()) + "_" + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';  // parameterised suites and tests: "Storage/StreamsTest.X/RocksDb"
  }
  std::filesystem::path dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  return dir;
}

// A fixture run on both storages: the parameter is true for the in-memory one, false for RocksDB
// in a FreshTestDir (removed afterwards). TTL sweeps are off; tests may change options_ before
// they Open() the engine.
class EachStorageTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    options_.in_memory = GetParam();
    options_.ttl_sweep_interval = std::chrono::milliseconds(0);
    if (!options_.in_memory) {
      dir_ = FreshTestDir();
      options_.data_dir = dir_.string();
    }
  }
  void TearDown() override {
    engine_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void Open() { engine_ = Engine::Open(options_); }

  rapidjson::Document Call(std::string_view op, std::string_view body) {
    return CallEngine(*engine_, op, body);
  }
  ApiError CallError(std::string_view op, std::string_view body) {
    return CallEngineError(*engine_, op, body);
  }

  EngineOptions options_;
  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
};

// Names an instance of an EachStorageTest after its storage ("Memory" or "RocksDb").
inline std::string StorageName(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "Memory" : "RocksDb";
}

}  // namespace cruddur::ddb
