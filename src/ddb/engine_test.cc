// The engine through its public request model (operation name + JSON), in memory and on RocksDB.
#include "ddb/engine.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "ddb/engine_test_util.h"
#include "ddb/error.h"
#include "ddb/request.h"

namespace cruddur::ddb {
namespace {

class EngineTest : public EachStorageTest {
 protected:
  void SetUp() override {
    EachStorageTest::SetUp();
    Open();
    Call("CreateTable", MsgsTableJson("S"));
  }
};

TEST_P(EngineTest, PutGetRoundTripNormalisesNumbers) {
  Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"a"},"sk":{"S":"1"},
                      "n":{"N":"00012.500"},"l":{"L":[{"BOOL":true},{"NULL":true}]}}})j");
  auto d = Call("GetItem", R"j({"TableName":"msgs","Key":{"pk":{"S":"a"},"sk":{"S":"1"}}})j");
  ASSERT_TRUE(d.HasMember("Item"));
  EXPECT_STREQ(d["Item"]["n"]["N"].GetString(), "12.5");
  EXPECT_TRUE(d["Item"]["l"]["L"][0]["BOOL"].GetBool());
  auto missing = Call("GetItem", R"j({"TableName":"msgs","Key":{"pk":{"S":"b"},"sk":{"S":"1"}}})j");
  EXPECT_FALSE(missing.HasMember("Item"));
}

TEST_P(EngineTest, ExecuteParsedAnswersAsExecute) {
  Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"a"},"sk":{"S":"1"},"v":{"N":"2"}}})j");
  const std::string get = R"j({"TableName":"msgs","Key":{"pk":{"S":"a"},"sk":{"S":"1"}}})j";
  Request parsed(get, 1000);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(engine_->ExecuteParsed("GetItem", parsed), engine_->Execute("GetItem", get));
  // A PartiQL statement runs from the text.
  const std::string select = R"j({"Statement":"SELECT * FROM msgs WHERE pk = 'a'"})j";
  Request statement(select, 1000);
  EXPECT_EQ(engine_->ExecuteParsed("ExecuteStatement", statement),
            engine_->Execute("ExecuteStatement", select));
  // Errors are the same too.
  Request bad(R"j({"TableName":"nope","Key":{"pk":{"S":"a"}}})j", 1000);
  EXPECT_THROW(engine_->ExecuteParsed("GetItem", bad), ApiError);
}

TEST_P(EngineTest, QueryOrdersBySortKeyAndPages) {
  for (int i = 9; i >= 0; --i) {
    Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"p"},"sk":{"S":"s)j" +
                        std::to_string(i) + R"j("},"g":{"S":"G"}}})j");
  }
  auto d = Call("Query", R"j({"TableName":"msgs","KeyConditionExpression":"pk = :p AND sk >= :s",
    "ExpressionAttributeValues":{":p":{"S":"p"},":s":{"S":"s3"}},"Limit":4})j");
  ASSERT_EQ(d["Count"].GetInt(), 4);
  EXPECT_STREQ(d["Items"][0]["sk"]["S"].GetString(), "s3");
  EXPECT_STREQ(d["Items"][3]["sk"]["S"].GetString(), "s6");
  ASSERT_TRUE(d.HasMember("LastEvaluatedKey"));
  auto next = Call("Query", R"j({"TableName":"msgs","KeyConditionExpression":"pk = :p AND sk >= :s",
    "ExpressionAttributeValues":{":p":{"S":"p"},":s":{"S":"s3"}},"Limit":4,
    "ExclusiveStartKey":{"pk":{"S":"p"},"sk":{"S":"s6"}}})j");
  ASSERT_EQ(next["Count"].GetInt(), 3);
  EXPECT_STREQ(next["Items"][0]["sk"]["S"].GetString(), "s7");

  auto rev = Call("Query", R"j({"TableName":"msgs","IndexName":"by-g",
    "KeyConditionExpression":"g = :g AND sk < :s","ScanIndexForward":false,
    "ExpressionAttributeValues":{":g":{"S":"G"},":s":{"S":"s5"}}})j");
  ASSERT_EQ(rev["Count"].GetInt(), 5);
  EXPECT_STREQ(rev["Items"][0]["sk"]["S"].GetString(), "s4");
  EXPECT_STREQ(rev["Items"][4]["sk"]["S"].GetString(), "s0");
}

TEST_P(EngineTest, ConditionalWritesAndUpdates) {
  Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"c"},"sk":{"S":"1"},"n":{"N":"1"}}})j");
  auto e = CallError("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"c"},"sk":{"S":"1"}},
    "ConditionExpression":"attribute_not_exists(pk)"})j");
  EXPECT_EQ(e.type(), "ConditionalCheckFailedException");
  auto d = Call("UpdateItem", R"j({"TableName":"msgs","Key":{"pk":{"S":"c"},"sk":{"S":"1"}},
    "UpdateExpression":"SET n = n + :one","ExpressionAttributeValues":{":one":{"N":"41"}},
    "ReturnValues":"UPDATED_NEW"})j");
  EXPECT_STREQ(d["Attributes"]["n"]["N"].GetString(), "42");
  auto k = CallError("UpdateItem", R"j({"TableName":"msgs","Key":{"pk":{"S":"c"},"sk":{"S":"1"}},
    "UpdateExpression":"SET pk = :v","ExpressionAttributeValues":{":v":{"S":"x"}}})j");
  EXPECT_EQ(k.message(),
            "One or more parameter values were invalid: Cannot update attribute pk. This "
            "attribute is part of the key");
}

TEST_P(EngineTest, TransactionIsAllOrNothing) {
  auto e = CallError("TransactWriteItems", R"j({"TransactItems":[
    {"Put":{"TableName":"msgs","Item":{"pk":{"S":"t"},"sk":{"S":"1"}}}},
    {"ConditionCheck":{"TableName":"msgs","Key":{"pk":{"S":"t"},"sk":{"S":"2"}},
      "ConditionExpression":"attribute_exists(pk)"}}]})j");
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  EXPECT_NE(e.extra_json().find("ConditionalCheckFailed"), std::string::npos);
  auto d = Call("GetItem", R"j({"TableName":"msgs","Key":{"pk":{"S":"t"},"sk":{"S":"1"}}})j");
  EXPECT_FALSE(d.HasMember("Item"));
}

TEST_P(EngineTest, ErrorsCarryDynamoDbTypes) {
  EXPECT_EQ(CallError("GetItem", R"j({"TableName":"nope","Key":{"pk":{"S":"a"}}})j").type(),
            "ResourceNotFoundException");
  EXPECT_EQ(CallError("NoSuchOp", "{}").type(), "UnknownOperationException");
  EXPECT_EQ(CallError("GetItem", "{not json").type(), "SerializationException");
  EXPECT_EQ(CallError("GetItem", R"j({"TableName":"msgs","Key":{"pk":{"S":"a"}}})j").message(),
            "The provided key element does not match the schema");
}

// An UpdateExpression may SET a nested value at the end of a nested path; the item it builds is
// held to the 32 levels a PutItem is (deeper items could not be read back).
TEST_P(EngineTest, UpdatesCannotNestAnItemPast32Levels) {
  auto deep = [](int wraps) {
    std::string v = R"({"S":"leaf"})";
    for (int i = 0; i < wraps; ++i) v = R"({"M":{"b":)" + v + "}}";
    return v;
  };
  std::string path = "a";
  for (int i = 0; i < 31; ++i) path += ".b";  // the leaf, at level 32
  Call("PutItem",
       R"j({"TableName":"msgs","Item":{"pk":{"S":"n"},"sk":{"S":"1"},"a":)j" + deep(31) + "}}");
  const std::string key = R"j("Key":{"pk":{"S":"n"},"sk":{"S":"1"}})j";
  const char* kNesting =
      "Nesting Levels have exceeded supported limits: Attributes in the item "
      "have nested levels beyond supported limit";
  ApiError e = CallError(
      "UpdateItem", R"j({"TableName":"msgs",)j" + key + R"j(,"UpdateExpression":"SET )j" + path +
                        R"j( = :d","ExpressionAttributeValues":{":d":)j" + deep(1) + "}}");
  EXPECT_EQ(e.message(), kNesting);
  // The same SET of a plain value stays within 32 levels.
  Call("UpdateItem", R"j({"TableName":"msgs",)j" + key + R"j(,"UpdateExpression":"SET )j" + path +
                         R"j( = :d","ExpressionAttributeValues":{":d":{"S":"x"}}})j");
  // In a transaction the update is cancelled with that reason.
  e = CallError("TransactWriteItems", R"j({"TransactItems":[{"Update":{"TableName":"msgs",)j" +
                                          key + R"j(,"UpdateExpression":"SET )j" + path +
                                          R"j( = :d","ExpressionAttributeValues":{":d":)j" +
                                          deep(31) + "}}}]}");
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  auto d = Call("GetItem", R"j({"TableName":"msgs",)j" + key + "}");
  EXPECT_TRUE(d["Item"].HasMember("a"));
}

// GetItem reads a Key of plain S values straight off the JSON; every other shape, and every
// error, must be what ParseItem and the key checks give.
TEST_P(EngineTest, GetItemKeyShapes) {
  Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"k\u0000y"},"sk":{"S":"1"}}})j");
  auto found =
      Call("GetItem", R"j({"TableName":"msgs","Key":{"sk":{"S":"1"},"pk":{"S":"k\u0000y"}}})j");
  ASSERT_TRUE(found.HasMember("Item"));
  EXPECT_EQ(std::string(found["Item"]["pk"]["S"].GetString(), 3), std::string("k\0y", 3));
  auto get_error = [&](const std::string& key) {
    ApiError e = CallError("GetItem", R"({"TableName":"msgs","Key":)" + key + "}");
    return e.type() + ": " + e.message();
  };
  const std::string kMismatch =
      "ValidationException: The provided key element does not match the schema";
  EXPECT_EQ(get_error(R"({"pk":{"S":"a"}})"), kMismatch);
  EXPECT_EQ(get_error(R"({"pk":{"S":"a"},"sk":null})"),
            "ValidationException: Supplied AttributeValue is empty, must contain exactly one of "
            "the supported datatypes");
  EXPECT_EQ(get_error(R"({"pk":{"S":"a"},"pk":{"S":"b"}})"), kMismatch);
  EXPECT_EQ(get_error(R"({"pk":{"S":"a"},"sk":{"S":"1"},"x":{"S":"c"}})"), kMismatch);
  EXPECT_EQ(get_error(R"({"pk":{"S":"a"},"sk":{"N":"1"}})"), kMismatch);
  EXPECT_EQ(get_error(R"({"pk":{"S":""},"sk":{"S":"1"}})"),
            "ValidationException: One or more parameter values are not valid. The AttributeValue "
            "for a key attribute cannot contain an empty string value. Key: pk");
  EXPECT_EQ(get_error(R"({"pk":{"S":"a"},"sk":{"S":")" + std::string(1025, 'x') + R"("}})"),
            "ValidationException: One or more parameter values were invalid: Aggregated size of "
            "all range keys has exceeded the size limit of 1024 bytes");
  EXPECT_EQ(get_error(R"({"pk":{"S":")" + std::string(2049, 'x') + R"("},"sk":{"S":"1"}})"),
            "ValidationException: One or more parameter values were invalid: Size of hashkey has "
            "exceeded the maximum size limit of2048 bytes");
  EXPECT_EQ(get_error(R"({"pk":{"S":"a"},"sk":{"S":"1","N":"1"}})"),
            "ValidationException: Supplied AttributeValue has more than one datatypes set, must "
            "contain exactly one of the supported datatypes");
  // At the limits the plain path answers (no item there, no error).
  auto at_limits =
      Call("GetItem", R"({"TableName":"msgs","Key":{"pk":{"S":")" + std::string(2048, 'x') +
                          R"("},"sk":{"S":")" + std::string(1024, 'y') + R"("}}})");
  EXPECT_FALSE(at_limits.HasMember("Item"));
}

TEST_P(EngineTest, UpdateTableBackfillsNewIndex) {
  Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"u"},"sk":{"S":"1"},"h":{"S":"H"}}})j");
  Call("UpdateTable",
       R"j({"TableName":"msgs","AttributeDefinitions":[{"AttributeName":"h","AttributeType":"S"}],
    "GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"by-h","KeySchema":[{"AttributeName":"h","KeyType":"HASH"}],
    "Projection":{"ProjectionType":"KEYS_ONLY"}}}]})j");
  auto d =
      Call("Query", R"j({"TableName":"msgs","IndexName":"by-h","KeyConditionExpression":"h = :h",
    "ExpressionAttributeValues":{":h":{"S":"H"}}})j");
  ASSERT_EQ(d["Count"].GetInt(), 1);
  EXPECT_STREQ(d["Items"][0]["pk"]["S"].GetString(), "u");
}

TEST_P(EngineTest, ReverseQueryAtTheEndOfTheKeyspace) {
  // A stream-enabled table keeps records in a keyspace after the items: a descending Query on
  // the last partition must stop at the partition's end, not decode its neighbour.
  Call("CreateTable", R"j({"TableName":"streamed","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
        {"AttributeName":"sk","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}})j");
  for (int i = 0; i < 3; ++i) {
    Call("PutItem", R"j({"TableName":"streamed","Item":{"pk":{"S":"zz"},"sk":{"S":"s)j" +
                        std::to_string(i) + R"j("}}})j");
  }
  auto d = Call("Query", R"j({"TableName":"streamed","KeyConditionExpression":"pk = :p",
    "ScanIndexForward":false,"ExpressionAttributeValues":{":p":{"S":"zz"}}})j");
  ASSERT_EQ(d["Count"].GetInt(), 3);
  EXPECT_STREQ(d["Items"][0]["sk"]["S"].GetString(), "s2");
}

// What the DynamoDB endpoint's metrics read: the request's table, its capacity by kind, the
// items a Query returned; nothing names a table that does not exist.
TEST_P(EngineTest, RequestStatsNameTheTableAndCountWhatTheRequestConsumed) {
  RequestStats put;
  {
    RequestStatsScope scope(put);
    Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"a"},"sk":{"S":"1"},
                        "g":{"S":"G"}}})j");
  }
  EXPECT_EQ(put.table, "msgs");
  ASSERT_EQ(put.consumed.size(), 1u);
  EXPECT_EQ(put.consumed[0].write_units, 2);  // the table and its GSI
  EXPECT_EQ(put.consumed[0].read_units, 0);

  RequestStats query;
  {
    RequestStatsScope scope(query);
    Call("Query", R"j({"TableName":"msgs","KeyConditionExpression":"pk = :p",
                      "ExpressionAttributeValues":{":p":{"S":"a"}}})j");
  }
  EXPECT_EQ(query.returned_items, 1);
  ASSERT_EQ(query.consumed.size(), 1u);
  EXPECT_EQ(query.consumed[0].read_units, 0.5);

  RequestStats missing;
  {
    RequestStatsScope scope(missing);
    CallError("GetItem", R"j({"TableName":"nope","Key":{"pk":{"S":"a"},"sk":{"S":"1"}}})j");
    RecordThrottledRequest();
  }
  EXPECT_EQ(missing.table, "");
  EXPECT_TRUE(missing.consumed.empty());
  EXPECT_TRUE(missing.throttled);
  RecordThrottledRequest();  // outside a scope: nothing to count, nothing breaks
  EXPECT_FALSE(put.throttled);
}

// Reopening needs a data dir: instantiated for RocksDB only (an in-memory engine keeps nothing).
class PersistentEngineTest : public EngineTest {};

TEST_P(PersistentEngineTest, ItemCountOfAReopenedTableIsCountedInTheBackground) {
  for (int i = 0; i < 50; ++i) {
    Call("PutItem", R"j({"TableName":"msgs","Item":{"pk":{"S":"c)j" + std::to_string(i) +
                        R"j("},"sk":{"S":"1"},"g":{"S":"G"}}})j");
  }
  engine_.reset();
  EngineOptions options;
  options.data_dir = dir_.string();
  engine_ = Engine::Open(options);
  int count = -1;
  for (int i = 0; i < 500 && count != 50; ++i) {
    count = Call("DescribeTable", R"j({"TableName":"msgs"})j")["Table"]["ItemCount"].GetInt();
    if (count != 50) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(count, 50);
  auto d = Call("DescribeTable", R"j({"TableName":"msgs"})j");
  EXPECT_EQ(d["Table"]["GlobalSecondaryIndexes"][0]["ItemCount"].GetInt(), 50);
}

// On a table without indexes or stream, PutItem/DeleteItem measure the old item from its stored
// bytes instead of decoding it, and GetItem writes the stored bytes out: capacity and the table
// statistics must come out as from the decoded items.
TEST_P(EngineTest, SizesOfUndecodedItemsDriveCapacityAndStatistics) {
  Call("CreateTable", R"j({"TableName":"plain","BillingMode":"PAY_PER_REQUEST",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})j");
  const std::string big(5000, 'x');
  Call("PutItem", R"({"TableName":"plain","Item":{"pk":{"S":"a"},"v":{"S":")" + big + R"("}}})");
  // 5004 bytes ("pk" + "a" + "v" + 5000). Eventually consistent: ceil(5004 / 4096) = 2 units,
  // halved; consistent: 2.
  auto get = Call("GetItem", R"({"TableName":"plain","Key":{"pk":{"S":"a"}},)"
                             R"("ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(get["ConsumedCapacity"]["CapacityUnits"].GetDouble(), 1.0);
  EXPECT_EQ(get["Item"]["v"]["S"].GetStringLength(), big.size());
  get = Call("GetItem", R"({"TableName":"plain","Key":{"pk":{"S":"a"}},"ConsistentRead":true,)"
                        R"("ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(get["ConsumedCapacity"]["CapacityUnits"].GetDouble(), 2.0);

  // Overwriting it with a 6-byte item costs the bigger of the two: ceil(5004 / 1024) = 5 units.
  auto put = Call("PutItem", R"({"TableName":"plain","Item":{"pk":{"S":"a"},"v":{"S":"xy"}},)"
                             R"("ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(put["ConsumedCapacity"]["CapacityUnits"].GetDouble(), 5.0);
  Call("PutItem", R"({"TableName":"plain","Item":{"pk":{"S":"b"},"v":{"S":"abc"}}})");
  auto described = Call("DescribeTable", R"({"TableName":"plain"})");  // owns what table points at
  auto table = described["Table"].GetObject();
  EXPECT_EQ(table["ItemCount"].GetInt64(), 2);
  EXPECT_EQ(table["TableSizeBytes"].GetInt64(), 6 + 7);

  auto del = Call("DeleteItem", R"({"TableName":"plain","Key":{"pk":{"S":"a"}},)"
                                R"("ReturnConsumedCapacity":"TOTAL"})");
  EXPECT_EQ(del["ConsumedCapacity"]["CapacityUnits"].GetDouble(), 1.0);
  Call("DeleteItem", R"({"TableName":"plain","Key":{"pk":{"S":"nothing"}}})");
  // A new document: assigning to a rapidjson GenericObject copies into the value it refers to.
  auto described_after = Call("DescribeTable", R"({"TableName":"plain"})");
  auto table_after = described_after["Table"].GetObject();
  EXPECT_EQ(table_after["ItemCount"].GetInt64(), 1);
  EXPECT_EQ(table_after["TableSizeBytes"].GetInt64(), 7);
}

// A transaction's Put or Delete without condition, on a table without indexes or stream, reads
// only the old item's size: its units and the table's statistics must be those of the item.
TEST_P(EngineTest, TransactionsMeasureUndecodedOldItems) {
  Call("CreateTable", R"j({"TableName":"plain","BillingMode":"PAY_PER_REQUEST",
    "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]})j");
  const std::string big = R"({"pk":{"S":"a"},"v":{"S":")" + std::string(5000, 'x') + R"("}})";
  auto transact = [&](const std::string& actions) {
    return Call("TransactWriteItems", R"({"ReturnConsumedCapacity":"TOTAL","TransactItems":[)" +
                                          actions + "]}")["ConsumedCapacity"][0]["CapacityUnits"]
        .GetDouble();
  };
  // Item count and size in bytes.
  using Stats = std::pair<int64_t, int64_t>;
  auto stats = [&] {
    auto d = Call("DescribeTable", R"({"TableName":"plain"})");
    return Stats(d["Table"]["ItemCount"].GetInt64(), d["Table"]["TableSizeBytes"].GetInt64());
  };
  Call("PutItem", R"({"TableName":"plain","Item":)" + big + "}");
  // Overwriting the 5004-byte item with a 6-byte one: twice ceil(5004 / 1024) units.
  EXPECT_EQ(transact(R"({"Put":{"TableName":"plain","Item":{"pk":{"S":"a"},"v":{"S":"xy"}}}})"),
            10.0);
  EXPECT_EQ(stats(), Stats(1, 6));
  Call("PutItem", R"({"TableName":"plain","Item":)" + big + "}");
  // Deleting it, beside a Delete of nothing (2 units, nothing written).
  EXPECT_EQ(transact(R"({"Delete":{"TableName":"plain","Key":{"pk":{"S":"a"}}}},)"
                     R"({"Delete":{"TableName":"plain","Key":{"pk":{"S":"none"}}}})"),
            12.0);
  EXPECT_EQ(stats(), Stats(0, 0));
  auto get = Call("GetItem", R"({"TableName":"plain","Key":{"pk":{"S":"a"}}})");
  EXPECT_FALSE(get.HasMember("Item"));
}

TEST_P(EngineTest, DeeplyNestedJsonDoesNotExhaustTheStack) {
  // Found by fuzzing: the recursive parser overflowed the stack. Unknown members are ignored,
  // as DynamoDB ignores them; the wire layer refuses such depth before the engine sees it.
  std::string body = "{\"a\":" + std::string(300000, '[') + std::string(300000, ']') + "}";
  EXPECT_TRUE(Call("ListTables", body).HasMember("TableNames"));
}

// Tag keys and values are counted in characters as DynamoDB (Java) counts them, UTF-16 code
// units, and hold only letters, numbers and spaces of any script and _ . : / = + - @.
TEST_P(EngineTest, TagTextIsCountedInCharactersAndCheckedForItsCharacters) {
  const std::string arn = "arn:aws:dynamodb:us-east-1:000000000000:table/msgs";
  auto tag = [&](const std::string& key, const std::string& value) {
    return "{\"ResourceArn\":\"" + arn + "\",\"Tags\":[{\"Key\":\"" + key + "\",\"Value\":\"" +
           value + "\"}]}";
  };
  auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  const std::string e_acute = "\xC3\xA9";         // U+00E9, 2 bytes, 1 unit
  const std::string bold_a = "\xF0\x9D\x90\x80";  // U+1D400, a letter, 2 UTF-16 units
  Call("TagResource", tag(repeat(e_acute, 128), repeat(e_acute, 256)));
  Call("TagResource", tag(repeat(bold_a, 64), "v"));
  Call("TagResource", tag("\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87 x", "a+b-c=d.e_f:g/h@i"));
  // Answered with nothing at all, as DynamoDB answers it.
  EXPECT_EQ(engine_->Execute("TagResource", tag("nbsp\xC2\xA0key", "")), "");
  auto listed = Call("ListTagsOfResource", "{\"ResourceArn\":\"" + arn + "\"}");
  EXPECT_EQ(listed["Tags"].Size(), 4u);
  EXPECT_FALSE(listed.HasMember("NextToken"));

  auto key_error = [&](const std::string& key) {
    return CallError("TagResource", tag(key, "v")).message();
  };
  EXPECT_EQ(key_error(repeat(e_acute, 129)),
            "The Tag Key provided is invalid, Key: " + repeat(e_acute, 129));
  EXPECT_EQ(key_error(repeat(bold_a, 65)),
            "The Tag Key provided is invalid, Key: " + repeat(bold_a, 65));
  EXPECT_EQ(key_error("a#b"), "The Tag Key provided is invalid, Key: a#b");
  EXPECT_EQ(key_error("\xF0\x9F\x94\x91"),
            "The Tag Key provided is invalid, Key: \xF0\x9F\x94\x91");
  EXPECT_EQ(key_error("tab\\tkey"), "The Tag Key provided is invalid, Key: tab\tkey");
  EXPECT_EQ(key_error("bad\xFFutf8"), "The Tag Key provided is invalid, Key: bad\xFFutf8");
  EXPECT_EQ(key_error("AWS:x"), "Tag Key cannot be prefixed with aws:, Key: AWS:x");
  EXPECT_EQ(CallError("TagResource", tag("k", repeat(e_acute, 257))).message(),
            "The Tag Value provided is invalid, Value: " + repeat(e_acute, 257));
  EXPECT_EQ(CallError("TagResource", tag("k", "100%")).message(),
            "The Tag Value provided is invalid, Value: 100%");
  // None of the refused requests changed anything.
  EXPECT_EQ(Call("ListTagsOfResource", "{\"ResourceArn\":\"" + arn + "\"}")["Tags"].Size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Storage, EngineTest, ::testing::Values(true, false), StorageName);
INSTANTIATE_TEST_SUITE_P(Storage, PersistentEngineTest, ::testing::Values(false), StorageName);

}  // namespace
}  // namespace cruddur::ddb
