// PartiQL against a real in-memory engine: the statements' results and DynamoDB's errors.
#include "ddb/partiql/partiql.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <memory>
#include <string>

#include "ddb/engine.h"
#include "ddb/engine_test_util.h"
#include "ddb/error.h"
#include "ddb/partiql/parser.h"

namespace cruddur::ddb::partiql {
namespace {

class PartiqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = Engine::Open({.in_memory = true});
    execute_ = [this](std::string_view op, std::string_view json) {
      return engine_->Execute(op, json);
    };
    Call("CreateTable", MsgsTableJson("N"));
    Call("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j");
  }

  rapidjson::Document Call(std::string_view op, std::string_view body) {
    return CallEngine(*engine_, op, body);
  }
  rapidjson::Document Parsed(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    EXPECT_FALSE(d.HasParseError()) << json;
    return d;
  }
  // ExecuteStatement with the statement (and parameters, as a JSON array) given.
  rapidjson::Document Run(const std::string& statement, const std::string& params = "",
                          const std::string& extra = "") {
    return Parsed(ExecuteStatement(execute_, Body(statement, params, extra)));
  }
  static std::string Body(const std::string& statement, const std::string& params = "",
                          const std::string& extra = "") {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(statement.c_str());
    std::string body = std::string("{\"Statement\":") + buf.GetString();
    if (!params.empty()) body += ",\"Parameters\":" + params;
    if (!extra.empty()) body += "," + extra;
    return body + "}";
  }
  // The error of a statement, as "Type: message".
  std::string Error(const std::string& statement, const std::string& params = "",
                    const std::string& extra = "") {
    try {
      ExecuteStatement(execute_, Body(statement, params, extra));
    } catch (const ApiError& e) {
      return e.type() + ": " + e.message();
    }
    return "no error";
  }
  void Seed() {
    for (int i = 1; i <= 5; ++i) {
      Run("INSERT INTO msgs VALUE {'pk': 'a', 'sk': ?, 'g': 'x', 'n': ?, 'm': {'k': [1, 2]}}",
          "[{\"N\":\"" + std::to_string(i) + "\"},{\"N\":\"" + std::to_string(i * 10) + "\"}]");
    }
    Run("INSERT INTO msgs VALUE {'pk': 'b', 'sk': 1, 'g': 'y', 'n': 7}");
  }
  static std::vector<std::string> Field(const rapidjson::Value& items, const char* attr,
                                        const char* type) {
    std::vector<std::string> out;
    for (const auto& it : items.GetArray()) {
      if (it.HasMember(attr)) out.push_back(it[attr][type].GetString());
    }
    return out;
  }

  std::unique_ptr<Engine> engine_;
  Executor execute_;
};

using Strings = std::vector<std::string>;

TEST_F(PartiqlTest, InsertThenSelectByFullKey) {
  auto r =
      Run("INSERT INTO \"msgs\" VALUE {'pk': 'a', 'sk': 1, 'text': 'hi', 'ok': true, "
          "'tags': <<'x', 'y'>>, 'l': [1, 'two', null]}");
  EXPECT_EQ(r["Items"].Size(), 0u);
  r = Run("SELECT * FROM msgs WHERE pk = 'a' AND sk = 1");
  ASSERT_EQ(r["Items"].Size(), 1u);
  const auto& item = r["Items"][0];
  EXPECT_STREQ(item["text"]["S"].GetString(), "hi");
  EXPECT_TRUE(item["ok"]["BOOL"].GetBool());
  EXPECT_EQ(item["tags"]["SS"].Size(), 2u);
  EXPECT_TRUE(item["l"]["L"][2]["NULL"].GetBool());
}

TEST_F(PartiqlTest, InsertOfAnExistingKeyIsDuplicateItem) {
  Run("INSERT INTO msgs VALUE {'pk': 'a', 'sk': 1}");
  EXPECT_EQ(Error("INSERT INTO msgs VALUE {'pk': 'a', 'sk': 1, 'x': 2}"),
            "DuplicateItemException: Duplicate primary key exists in table");
}

TEST_F(PartiqlTest, SelectQueriesWithSortKeyConditionsAndFilters) {
  Seed();
  EXPECT_EQ(Field(Run("SELECT * FROM msgs WHERE pk = 'a'")["Items"], "sk", "N"),
            (Strings{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(Field(Run("SELECT sk FROM msgs WHERE pk = 'a' AND sk > 3")["Items"], "sk", "N"),
            (Strings{"4", "5"}));
  EXPECT_EQ(Field(Run("SELECT sk FROM msgs WHERE 3 >= sk AND pk = 'a'")["Items"], "sk", "N"),
            (Strings{"1", "2", "3"}));
  EXPECT_EQ(
      Field(Run("SELECT sk FROM msgs WHERE pk = 'a' AND sk BETWEEN 2 AND 4")["Items"], "sk", "N"),
      (Strings{"2", "3", "4"}));
  EXPECT_EQ(Field(Run("SELECT sk FROM msgs WHERE pk = 'a' AND n >= 40")["Items"], "sk", "N"),
            (Strings{"4", "5"}));
  // Two conditions on the sort key: one is the key condition, the other is checked here.
  EXPECT_EQ(
      Field(Run("SELECT sk FROM msgs WHERE pk = 'a' AND sk > 1 AND sk < 4")["Items"], "sk", "N"),
      (Strings{"2", "3"}));
  EXPECT_EQ(Field(Run("SELECT sk FROM msgs WHERE pk = 'a' ORDER BY sk DESC")["Items"], "sk", "N"),
            (Strings{"5", "4", "3", "2", "1"}));
}

TEST_F(PartiqlTest, SelectScansWithConditions) {
  Seed();
  auto pks = [&](const std::string& where) {
    std::vector<std::string> out;
    auto r = Run("SELECT pk, sk FROM msgs WHERE " + where);
    for (const auto& it : r["Items"].GetArray()) {
      out.push_back(std::string(it["pk"]["S"].GetString()) + it["sk"]["N"].GetString());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(pks("n = 7"), (Strings{"b1"}));
  EXPECT_EQ(pks("n IN [10, 7]"), (Strings{"a1", "b1"}));
  EXPECT_EQ(pks("n IN (20, 30)"), (Strings{"a2", "a3"}));
  EXPECT_EQ(pks("n > 30 OR pk = 'b'"), (Strings{"a4", "a5", "b1"}));
  EXPECT_EQ(pks("NOT (n < 50)"), (Strings{"a5"}));
  EXPECT_EQ(pks("n <> 10 AND g = 'x' AND sk < 3"), (Strings{"a2"}));
  EXPECT_EQ(pks("m IS MISSING"), (Strings{"b1"}));
  EXPECT_EQ(pks("m IS NOT MISSING AND sk = 1"), (Strings{"a1"}));
  EXPECT_EQ(pks("attribute_exists(m) AND begins_with(g, 'x') AND sk = 2"), (Strings{"a2"}));
  EXPECT_EQ(pks("contains(m.k, 2) AND size(m.k) = 2 AND sk = 3"), (Strings{"a3"}));
  EXPECT_EQ(pks("m.k[0] = 1 AND n BETWEEN 30 AND 40"), (Strings{"a3", "a4"}));
  EXPECT_EQ(pks("n IS NUMERIC AND pk IN ['b']"), (Strings{"b1"}));
}

TEST_F(PartiqlTest, ProjectionNamesNestedPathsByTheirLastPart) {
  Seed();
  auto r = Run("SELECT m.k[1], \"n\", absent FROM msgs WHERE pk = 'a' AND sk = 2");
  ASSERT_EQ(r["Items"].Size(), 1u);
  const auto& item = r["Items"][0];
  EXPECT_STREQ(item["k[1]"]["N"].GetString(), "2");
  EXPECT_STREQ(item["n"]["N"].GetString(), "20");
  EXPECT_FALSE(item.HasMember("absent"));
  EXPECT_EQ(Run("SELECT m.k FROM msgs WHERE pk = 'a' AND sk = 2")["Items"][0]["k"]["L"].Size(), 2u);
  // Paths that overlap or conflict, as in a ProjectionExpression (the later one named first).
  EXPECT_EQ(Error("SELECT m.k[1], n, m.k FROM msgs"),
            "ValidationException: Two document paths overlap with each other; must remove or "
            "rewrite one of these paths; path one: [m, k], path two: [m, k, [1]]");
  EXPECT_EQ(Error("SELECT m[0], m.y FROM msgs"),
            "ValidationException: Two document paths conflict with each other; must remove or "
            "rewrite one of these paths; path one: [m, y], path two: [m, [0]]");
  EXPECT_EQ(Error("SELECT m.k, k FROM msgs"),
            "ValidationException: Duplicate identifiers in select clause: k");
}

TEST_F(PartiqlTest, SelectThroughAnIndex) {
  Seed();
  auto r = Run("SELECT sk FROM \"msgs\".\"by-g\" WHERE g = 'y'");
  EXPECT_EQ(Field(r["Items"], "sk", "N"), (Strings{"1"}));
  EXPECT_EQ(Error("SELECT * FROM msgs.nope WHERE g = 'y'"),
            "ValidationException: The table does not have the specified index");
}

TEST_F(PartiqlTest, LimitAndNextTokenPage) {
  Seed();
  auto r = Run("SELECT sk FROM msgs WHERE pk = 'a'", "", "\"Limit\":2");
  EXPECT_EQ(Field(r["Items"], "sk", "N"), (Strings{"1", "2"}));
  ASSERT_TRUE(r.HasMember("NextToken"));
  std::vector<std::string> all = Field(r["Items"], "sk", "N");
  while (r.HasMember("NextToken")) {
    std::string token = r["NextToken"].GetString();
    r = Run("SELECT sk FROM msgs WHERE pk = 'a'", "",
            "\"Limit\":2,\"NextToken\":\"" + token + "\"");
    for (auto& s : Field(r["Items"], "sk", "N")) all.push_back(s);
  }
  EXPECT_EQ(all, (Strings{"1", "2", "3", "4", "5"}));
  // Limit counts items read, not items returned (a filter that keeps nothing).
  r = Run("SELECT * FROM msgs WHERE n > 1000", "", "\"Limit\":2");
  EXPECT_EQ(r["Items"].Size(), 0u);
  EXPECT_TRUE(r.HasMember("NextToken"));
  EXPECT_EQ(Error("SELECT * FROM msgs", "", "\"NextToken\":\"!!notbase64\""),
            "ValidationException: Invalid NextToken");
  EXPECT_EQ(Error("SELECT * FROM msgs", "", "\"Limit\":0"),
            "ValidationException: 1 validation error detected: Value '0' at 'limit' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1");
}

TEST_F(PartiqlTest, Parameters) {
  Run("INSERT INTO users VALUE {'id': ?, 'age': ?, 'blob': ?}",
      R"j([{"S":"u1"},{"N":"30"},{"B":"AAE="}])j");
  auto r = Run("SELECT * FROM users WHERE id = ?", R"j([{"S":"u1"}])j");
  ASSERT_EQ(r["Items"].Size(), 1u);
  EXPECT_STREQ(r["Items"][0]["blob"]["B"].GetString(), "AAE=");
  // A '?' inside a string is text.
  r = Run("SELECT * FROM users WHERE id = '?'");
  EXPECT_EQ(r["Items"].Size(), 0u);
  EXPECT_EQ(Error("SELECT * FROM users WHERE id = ? AND age = ?", R"j([{"S":"u1"}])j"),
            "ValidationException: Number of parameters in request and statement don't match.");
  // Extra parameters are ignored, as DynamoDB does.
  EXPECT_EQ(Run("SELECT * FROM users WHERE id = ?", R"j([{"S":"u1"},{"S":"x"}])j")["Items"].Size(),
            1u);
}

TEST_F(PartiqlTest, UpdateSetRemoveAndArithmetic) {
  Run("INSERT INTO users VALUE {'id': 'u1', 'n': 1, 'gone': 'x', 'l': [1]}");
  auto r =
      Run("UPDATE users SET n = n + ?, s = 'hello', l = list_append(l, [2]) "
          "REMOVE gone SET tags = set_add(tags, <<'a'>>) WHERE id = 'u1' RETURNING ALL NEW *",
          R"j([{"N":"4"}])j");
  ASSERT_EQ(r["Items"].Size(), 1u);
  const auto& item = r["Items"][0];
  EXPECT_STREQ(item["n"]["N"].GetString(), "5");
  EXPECT_STREQ(item["s"]["S"].GetString(), "hello");
  EXPECT_EQ(item["l"]["L"].Size(), 2u);
  EXPECT_FALSE(item.HasMember("gone"));
  EXPECT_STREQ(item["tags"]["SS"][0].GetString(), "a");
  r = Run("UPDATE users SET n = 9 WHERE id = 'u1'");
  EXPECT_EQ(r["Items"].Size(), 0u);
}

TEST_F(PartiqlTest, UpdateNeedsAnExistingItemAndTheWholeKey) {
  EXPECT_EQ(Error("UPDATE users SET n = 1 WHERE id = 'nobody'"),
            "ConditionalCheckFailedException: The conditional request failed");
  EXPECT_EQ(Error("UPDATE msgs SET n = 1 WHERE pk = 'a'"),
            "ValidationException: Where clause does not contain a mandatory equality on all key "
            "attributes");
  Run("INSERT INTO users VALUE {'id': 'u1', 'n': 1}");
  EXPECT_EQ(Error("UPDATE users SET n = 2 WHERE id = 'u1' AND n = 5"),
            "ConditionalCheckFailedException: The conditional request failed");
  Run("UPDATE users SET n = 2 WHERE id = 'u1' AND n = 1");
  EXPECT_STREQ(Run("SELECT n FROM users WHERE id = 'u1'")["Items"][0]["n"]["N"].GetString(), "2");
}

TEST_F(PartiqlTest, Delete) {
  Run("INSERT INTO users VALUE {'id': 'u1', 'n': 1}");
  EXPECT_EQ(Error("DELETE FROM users WHERE id = 'u1' AND n = 2"),
            "ConditionalCheckFailedException: The conditional request failed");
  auto r = Run("DELETE FROM users WHERE id = 'u1' RETURNING ALL OLD *");
  ASSERT_EQ(r["Items"].Size(), 1u);
  EXPECT_STREQ(r["Items"][0]["n"]["N"].GetString(), "1");
  EXPECT_EQ(Run("SELECT * FROM users")["Items"].Size(), 0u);
  // Deleting a missing item succeeds, whatever else the WHERE asks of it.
  EXPECT_EQ(Run("DELETE FROM users WHERE id = 'u1'")["Items"].Size(), 0u);
  EXPECT_EQ(Run("DELETE FROM users WHERE id = 'u1' AND n = 2")["Items"].Size(), 0u);
  EXPECT_EQ(Run("DELETE FROM users WHERE id = 'u1' AND attribute_exists(id)")["Items"].Size(), 0u);
}

TEST_F(PartiqlTest, NumbersMayCarryAPlus) {
  Run("INSERT INTO users VALUE {'id': 'u1', 'n': +5, 'm': +-2, 'l': [+1]}");
  auto r = Run("SELECT * FROM users WHERE id = 'u1' AND n = +5 AND m = -2");
  ASSERT_EQ(r["Items"].Size(), 1u);
  EXPECT_STREQ(r["Items"][0]["l"]["L"][0]["N"].GetString(), "1");
  EXPECT_NE(Error("SELECT * FROM users WHERE n = +'a'"), "no error");
  Run("UPDATE users SET s = <<+1, -2, +-3>> WHERE id = 'u1'");
  EXPECT_EQ(Run("SELECT s FROM users WHERE id = 'u1'")["Items"][0]["s"]["NS"].Size(), 3u);
  // A bag holds each value once, numbers by value.
  EXPECT_EQ(Error("UPDATE users SET s = <<1, 1.0>> WHERE id = 'u1'"),
            "ValidationException: Input collection contains duplicates");
  EXPECT_EQ(Error("UPDATE users SET s = <<'a', 'b', 'a'>> WHERE id = 'u1'"),
            "ValidationException: Input collection contains duplicates");
}

TEST_F(PartiqlTest, MalformedAndUnsupportedStatements) {
  const std::string malformed =
      "ValidationException: Statement wasn't well formed, can't be "
      "processed: ";
  EXPECT_EQ(Error("SELEC * FROM users").rfind(malformed, 0), 0u);
  EXPECT_EQ(Error("SELECT * FROM users WHERE").rfind(malformed, 0), 0u);
  EXPECT_EQ(Error("SELECT * FROM users WHERE pad = 'x'").rfind(malformed, 0), 0u);
  EXPECT_EQ(Error("SELECT * FROM users; SELECT * FROM users").rfind(malformed, 0), 0u);
  EXPECT_EQ(Error("SELECT * FROM users WHERE id = 'unterminated").rfind(malformed, 0), 0u);
  EXPECT_EQ(Run("select * from users where \"pad\" = 'x';")["Items"].Size(), 0u);
  EXPECT_EQ(Run("SELECT * FROM users -- comment\n /* more */")["Items"].Size(), 0u);
  EXPECT_EQ(Error("SELECT * FROM users LIMIT 1"), "ValidationException: Unsupported clause: LIMIT");
  EXPECT_EQ(Error("SELECT * FROM missing_table"),
            "ResourceNotFoundException: Requested resource not found");
  EXPECT_EQ(Error("INSERT INTO users VALUE {'id': 'a', 's': <<>>}"),
            "ValidationException: Empty bags are not supported");
  EXPECT_EQ(Error("SELECT * FROM users WHERE a = MISSING"),
            "ValidationException: MISSING must be compared using IS operator");
  // A parameter inside a collection literal, placed by its path and line:column (as DynamoDB
  // Local answers); an INSERT's item is no collection, its attributes are the roots.
  EXPECT_EQ(Error("UPDATE users SET z = [1, ?] WHERE id = 'a'", R"([{"S":"q"}])"),
            "ValidationException: Unsupported data type: Parameter under key root.1 at 1:26:1");
  EXPECT_EQ(Error("INSERT INTO users VALUE {'id': 'q',\n 'c': {'y': [?]}}", R"([{"N":"1"}])"),
            "ValidationException: Unsupported data type: Parameter under key root.y.0 at 2:14:1");
  EXPECT_EQ(Error("SELECT * FROM users WHERE z = {'k': ?}", R"([{"B":"AA=="}])"),
            "ValidationException: Unsupported data type: Parameter under key root.k at 1:37:1");
  EXPECT_EQ(Error("EXISTS(SELECT * FROM users WHERE id = 'a')"),
            "ValidationException: EXISTS can only be used in ExecuteTransaction write requests.");
  EXPECT_EQ(Error("SELECT * FROM msgs WHERE pk = 1"),
            "ValidationException: Key attribute's data type should match its data type in "
            "table's schema: Key pk");
  EXPECT_EQ(Error(""),
            "ValidationException: 1 validation error detected: Value '' at 'statement' failed "
            "to satisfy constraint: Member must have length greater than or equal to 1");
}

TEST_F(PartiqlTest, BatchOfWritesThenReadsWithPerStatementErrors) {
  std::string writes = R"j({"Statements":[
    {"Statement":"INSERT INTO users VALUE {'id': 'a', 'n': 1}"},
    {"Statement":"INSERT INTO users VALUE {'id': ?, 'n': 2}","Parameters":[{"S":"b"}]},
    {"Statement":"UPDATE users SET n = 5 WHERE id = 'zz'"},
    {"Statement":"SELEC nonsense"}]})j";
  auto r = Parsed(BatchExecuteStatement(execute_, writes));
  const auto& res = r["Responses"];
  ASSERT_EQ(res.Size(), 4u);
  EXPECT_STREQ(res[0]["TableName"].GetString(), "users");
  EXPECT_FALSE(res[0].HasMember("Error"));
  EXPECT_FALSE(res[1].HasMember("Error"));
  EXPECT_STREQ(res[2]["Error"]["Code"].GetString(), "ConditionalCheckFailed");
  EXPECT_STREQ(res[3]["Error"]["Code"].GetString(), "ValidationError");

  r = Parsed(BatchExecuteStatement(execute_, R"j({"Statements":[
    {"Statement":"INSERT INTO users VALUE {'id': 'a'}"}]})j"));
  EXPECT_STREQ(r["Responses"][0]["Error"]["Code"].GetString(), "DuplicateItem");
  EXPECT_STREQ(r["Responses"][0]["Error"]["Message"].GetString(),
               "Duplicate primary key exists in table");

  r = Parsed(BatchExecuteStatement(execute_, R"j({"Statements":[
    {"Statement":"SELECT n FROM users WHERE id = 'a'"},
    {"Statement":"SELECT * FROM users WHERE id = 'nobody'"},
    {"Statement":"SELECT * FROM users WHERE n = 1"}]})j"));
  const auto& reads = r["Responses"];
  EXPECT_STREQ(reads[0]["Item"]["n"]["N"].GetString(), "1");
  EXPECT_FALSE(reads[0]["Item"].HasMember("id"));
  EXPECT_FALSE(reads[1].HasMember("Item"));
  EXPECT_FALSE(reads[1].HasMember("Error"));
  EXPECT_STREQ(reads[2]["Error"]["Message"].GetString(),
               "Select statements within BatchExecuteStatement must specify the primary key in "
               "the where clause.");

  try {
    BatchExecuteStatement(execute_, R"j({"Statements":[
      {"Statement":"SELECT * FROM users WHERE id = 'a'"},
      {"Statement":"DELETE FROM users WHERE id = 'a'"}]})j");
    ADD_FAILURE() << "mixed batch accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.message(), "Read and write requests together in the same batch is not supported.");
  }
}

TEST_F(PartiqlTest, TransactionOfWritesIsAllOrNothing) {
  Run("INSERT INTO users VALUE {'id': 'a', 'n': 1}");
  std::string body = R"j({"TransactStatements":[
    {"Statement":"INSERT INTO users VALUE {'id': 'b', 'n': 2}"},
    {"Statement":"UPDATE users SET n = 9 WHERE id = 'missing'"}]})j";
  try {
    ExecuteTransaction(execute_, body);
    ADD_FAILURE() << "transaction committed";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "TransactionCanceledException");
    EXPECT_EQ(e.message(),
              "Transaction cancelled, please refer cancellation reasons for "
              "specific reasons [None, ConditionalCheckFailed]");
  }
  EXPECT_EQ(Run("SELECT * FROM users WHERE id = 'b'")["Items"].Size(), 0u);

  try {
    ExecuteTransaction(execute_, R"j({"TransactStatements":[
      {"Statement":"INSERT INTO users VALUE {'id': 'a'}"}]})j");
    ADD_FAILURE() << "duplicate insert committed";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.message(),
              "Transaction cancelled, please refer cancellation reasons for "
              "specific reasons [DuplicateItem]");
    EXPECT_NE(e.extra_json().find("Duplicate primary key exists in table"), std::string::npos);
  }

  // EXISTS on a missing item cancels the transaction; one with nothing beside the key to check
  // is refused.
  try {
    ExecuteTransaction(execute_, R"j({"TransactStatements":[
      {"Statement":"UPDATE users SET n = 3 WHERE id = 'a'"},
      {"Statement":"EXISTS(SELECT * FROM msgs WHERE pk = 'none' AND sk = 1 AND x IS MISSING)"}]})j");
    ADD_FAILURE() << "EXISTS of a missing item committed";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.message(),
              "Transaction cancelled, please refer cancellation reasons for "
              "specific reasons [None, ConditionalCheckFailed]");
  }
  try {
    ExecuteTransaction(execute_, R"j({"TransactStatements":[
      {"Statement":"UPDATE users SET n = 3 WHERE id = 'a'"},
      {"Statement":"EXISTS(SELECT * FROM msgs WHERE pk = 'p' AND sk = 1)"}]})j");
    ADD_FAILURE() << "EXISTS without a condition ran";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.message(),
              "Validation failed in TransactStatements[1]: EXISTS() must contain a single item "
              "read with additional condition");
  }
  Run("INSERT INTO msgs VALUE {'pk': 'p', 'sk': 1}");
  std::string ok = R"j({"ClientRequestToken":"tok-1","TransactStatements":[
    {"Statement":"INSERT INTO users VALUE {'id': 'b', 'n': 2}"},
    {"Statement":"UPDATE users SET n = n + 1 WHERE id = 'a'"},
    {"Statement":"EXISTS(SELECT * FROM msgs WHERE pk = 'p' AND sk = 1 AND x IS MISSING)"}]})j";
  EXPECT_EQ(ExecuteTransaction(execute_, ok), R"({"Responses":[]})");
  ExecuteTransaction(execute_, ok);  // the same token again: no second increment
  EXPECT_STREQ(Run("SELECT n FROM users WHERE id = 'a'")["Items"][0]["n"]["N"].GetString(), "2");

  auto r = Parsed(ExecuteTransaction(execute_, R"j({"TransactStatements":[
    {"Statement":"SELECT n FROM users WHERE id = 'b'"},
    {"Statement":"SELECT * FROM users WHERE id = 'nobody'"}]})j"));
  ASSERT_EQ(r["Responses"].Size(), 2u);
  EXPECT_STREQ(r["Responses"][0]["Item"]["n"]["N"].GetString(), "2");
  EXPECT_TRUE(r["Responses"][1].ObjectEmpty());
}

TEST_F(PartiqlTest, TransactionRules) {
  auto error = [&](const std::string& body) -> std::string {
    try {
      ExecuteTransaction(execute_, body);
    } catch (const ApiError& e) {
      return e.message();
    }
    return "no error";
  };
  EXPECT_EQ(error(R"j({"TransactStatements":[
    {"Statement":"SELECT * FROM users WHERE id = 'a'"},
    {"Statement":"DELETE FROM users WHERE id = 'a'"}]})j"),
            "ExecuteTransaction API does not support both read and write operations in the same "
            "request.");
  EXPECT_EQ(error(R"j({"TransactStatements":[{"Statement":"SELECT * FROM users WHERE n = 1"}]})j"),
            "Select statements within ExecuteTransaction must specify the primary key in the "
            "where clause.");
  EXPECT_EQ(
      error(
          R"j({"TransactStatements":[{"Statement":"SELECT * FROM msgs.\"by-g\" WHERE g = 'x'"}]})j"),
      "Validation failed in TransactStatements[0]: Reads on indices are not supported within "
      "transactions.");
  EXPECT_EQ(error(R"j({"TransactStatements":[]})j"),
            "1 validation error detected: Value '[]' at 'transactStatements' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1");
}

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST_F(PartiqlTest, NestingIsBounded) {
  const std::string kDeep =
      "ValidationException: Statement wasn't well formed, can't be processed: Statement nested "
      "deeper than 200 levels";
  // The issue's input: a WHERE inside 3,000 parentheses (6 KB, under the 8,192 characters).
  EXPECT_EQ(Error("SELECT * FROM msgs WHERE " + Repeat("(", 3000) + "pk = 'a'" + Repeat(")", 3000)),
            kDeep);
  EXPECT_EQ(Error("SELECT * FROM msgs WHERE " + Repeat("NOT ", 1000) + "pk = 'a'"), kDeep);
  EXPECT_EQ(Error("INSERT INTO msgs VALUE {'pk': 'a', 'sk': 1, 'm': " + Repeat("[", 2000) +
                  Repeat("]", 2000) + "}"),
            kDeep);
  EXPECT_EQ(Error("UPDATE msgs SET n = " + Repeat("list_append(", 400) + "[1]" +
                  Repeat(", [1])", 400) + " WHERE pk = 'a' AND sk = 1"),
            kDeep);
  EXPECT_EQ(Error("UPDATE msgs SET n = 1" + Repeat(" + 1", 300) + " WHERE pk = 'a' AND sk = 1"),
            kDeep);
  // Within the bound, deep statements run: 150 groups of `n = 1 OR (...)`.
  Seed();
  auto r = Run("SELECT sk FROM msgs WHERE pk = 'a' AND (" + Repeat("n = 1 OR (", 149) + "n = 30" +
               Repeat(")", 149) + ")");
  EXPECT_EQ(Field(r["Items"], "sk", "N"), Strings({"3"}));
  // A literal nested past DynamoDB's 32 levels is refused as an item is.
  EXPECT_EQ(Error("INSERT INTO msgs VALUE {'pk': 'c', 'sk': 1, 'm': " + Repeat("[", 40) +
                  Repeat("]", 40) + "}"),
            "ValidationException: Nesting Levels have exceeded supported limits: Attributes in "
            "the item have nested levels beyond supported limit");
}

TEST_F(PartiqlTest, LongConditionChainsAreWideNotDeep) {
  // 700 ANDs and 800 ORs: one node each, translated into expressions longer than a client
  // may send (PartiQL answers to its own limits), and evaluated exactly.
  Statement and_chain = Parse("SELECT * FROM msgs WHERE pk = 'a'" + Repeat(" AND n > 0", 700), {});
  ASSERT_TRUE(and_chain.where);
  EXPECT_EQ(and_chain.where->children.size(), 701u);
  Seed();
  auto r = Run("SELECT sk FROM msgs WHERE pk = 'a'" + Repeat(" AND n > 0", 700) + " AND n < 25");
  EXPECT_EQ(Field(r["Items"], "sk", "N"), Strings({"1", "2"}));
  r = Run("SELECT sk FROM msgs WHERE pk = 'a' AND (" + Repeat("n = 0 OR ", 800) + "n = 40)");
  EXPECT_EQ(Field(r["Items"], "sk", "N"), Strings({"4"}));
}

}  // namespace
}  // namespace cruddur::ddb::partiql
