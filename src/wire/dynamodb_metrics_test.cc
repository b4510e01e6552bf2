#include "wire/dynamodb_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace cruddur::wire {
namespace {

class NoEngine : public ddb::Engine {
 public:
  std::string Execute(std::string_view, std::string_view) override { return "{}"; }
  std::vector<ddb::TableFigures> Tables() override { return {{"t", 3, 120}}; }
};

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(DynamoDbMetrics, CountsOutcomesAsCloudWatchDoes) {
  NoEngine engine;
  DynamoDbMetrics m(engine);
  ddb::RequestStats stats;
  stats.table = "t";
  m.Record({.operation = "PutItem", .status = 200, .seconds = 0.002, .stats = &stats});
  for (const auto& [type, status] :
       {std::pair<std::string_view, int>{"ConditionalCheckFailedException", 400},
        {"ValidationException", 400},
        {"ProvisionedThroughputExceededException", 400},
        {"InternalServerError", 500}}) {
    m.Record({.operation = "PutItem", .error_type = type, .status = status, .stats = &stats});
  }
  std::string text = m.Render();
  const std::string labels = R"({table="t",operation="PutItem"})";
  EXPECT_TRUE(Has(text, "cruddur_dynamodb_requests_total" + labels + " 5")) << text;
  EXPECT_TRUE(
      Has(text, "cruddur_dynamodb_conditional_check_failed_requests_total" + labels + " 1"));
  EXPECT_TRUE(Has(text, "cruddur_dynamodb_user_errors_total" + labels + " 1"));
  EXPECT_TRUE(Has(text, "cruddur_dynamodb_throttled_requests_total" + labels + " 1"));
  EXPECT_TRUE(Has(text, "cruddur_dynamodb_system_errors_total" + labels + " 1"));
  EXPECT_TRUE(Has(
      text,
      R"(cruddur_dynamodb_successful_request_latency_seconds_bucket{table="t",operation="PutItem",le="0.001"} 0)"));
  EXPECT_TRUE(Has(
      text,
      R"(cruddur_dynamodb_successful_request_latency_seconds_bucket{table="t",operation="PutItem",le="0.0025"} 1)"));
  EXPECT_TRUE(
      Has(text, "cruddur_dynamodb_successful_request_latency_seconds_count" + labels + " 1"));
  EXPECT_TRUE(Has(text, R"(cruddur_dynamodb_table_items{table="t"} 3)"));
  EXPECT_TRUE(Has(text, R"(cruddur_dynamodb_table_size_bytes{table="t"} 120)"));
  EXPECT_EQ(text.find("cruddur_rocksdb"), std::string::npos);  // in memory: none
}

TEST(DynamoDbMetrics, ThrottledWithoutAnErrorAndCapacityPerTable) {
  NoEngine engine;
  DynamoDbMetrics m(engine);
  ddb::RequestStats stats;
  stats.table = "a";
  stats.throttled = true;  // e.g. UnprocessedItems (ddb::RecordThrottledRequest)
  stats.consumed = {{"a", 0, 2}, {"b", 0, 1.5}};
  m.Record({.operation = "BatchWriteItem", .status = 200, .stats = &stats});
  std::string text = m.Render();
  EXPECT_TRUE(
      Has(text,
          R"(cruddur_dynamodb_throttled_requests_total{table="a",operation="BatchWriteItem"} 1)"));
  EXPECT_TRUE(
      Has(text, R"(cruddur_dynamodb_user_errors_total{table="a",operation="BatchWriteItem"} 0)"));
  EXPECT_TRUE(Has(
      text,
      R"(cruddur_dynamodb_consumed_write_capacity_units_total{table="a",operation="BatchWriteItem"} 2)"));
  EXPECT_TRUE(Has(
      text,
      R"(cruddur_dynamodb_consumed_write_capacity_units_total{table="b",operation="BatchWriteItem"} 1.5)"));
  // The request is counted once, on its first table.
  EXPECT_TRUE(
      Has(text, R"(cruddur_dynamodb_requests_total{table="b",operation="BatchWriteItem"} 0)"));
}

}  // namespace
}  // namespace cruddur::wire
