// DynamoDB's limits on expressions (4 KB, 300 operators, paths of 32 elements) and our bound on
// nesting: the long and deep inputs that once overflowed the stack get DynamoDB's errors, and
// the deepest input the bounds let through parses, evaluates and frees on a small stack.
#include <pthread.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "ddb/expression/expression.h"
#include "ddb/expression/legacy.h"
#include "ddb/expression/parser.h"
#include "ddb/expression/test_util.h"

namespace cruddur::ddb::expr {
namespace {

const char* kValues = R"({":v": {"S": "x"}, ":n": {"N": "1"}, ":l": {"L": []}})";

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string Nested(const std::string& open, const std::string& inner, const std::string& close,
                   size_t n) {
  return Repeat(open, n) + inner + Repeat(close, n);
}

std::string ConditionError(const std::string& text, const std::string& kind = "ConditionExpression",
                           const std::string& values = kValues) {
  return ErrorOf([&] {
    Substitutions subs = Subs("", values);
    Condition::Parse(text, subs, kind);
  });
}

std::string UpdateError(const std::string& text) {
  return ErrorOf([&] {
    Substitutions subs = Subs("", kValues);
    Update::Parse(text, subs);
  });
}

std::string ProjectionError(const std::string& text) {
  return ErrorOf([&] {
    Substitutions subs;
    Projection::Parse(text, subs);
  });
}

std::string KeyConditionError(const std::string& text) {
  return ErrorOf([&] {
    Substitutions subs = Subs("", kValues);
    KeyCondition::Parse(text, subs, "pk", "sk");
  });
}

std::string SizeError(const std::string& kind, size_t size) {
  return "Invalid " + kind + ": Expression size has exceeded the maximum allowed size; " +
         "expression size: " + std::to_string(size);
}

// Runs `f` on a thread whose whole stack is `bytes`: a small one, so that a recursion the bounds
// failed to stop crashes the test instead of passing on the main thread's 8 MB, or a big one.
void OnStack(size_t bytes, const std::function<void()>& f) {
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, bytes), 0);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, run, const_cast<std::function<void()>*>(&f)), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

TEST(ExpressionLimitsTest, SizeIsCountedInBytesAsSent) {
  // 4,096 bytes parse; 4,097 do not, for every kind, before anything else is looked at.
  std::string at = "attribute_not_exists(" + std::string(4096 - 22, 'a') + ")";
  ASSERT_EQ(at.size(), 4096u);
  EXPECT_EQ(ConditionError(at), "<no error>");
  std::string over = "attribute_not_exists(" + std::string(4097 - 22, 'a') + ")";
  EXPECT_EQ(ConditionError(over), SizeError("ConditionExpression", 4097));
  EXPECT_EQ(ConditionError(over, "FilterExpression"), SizeError("FilterExpression", 4097));
  EXPECT_EQ(ProjectionError(std::string(4097, 'a')), SizeError("ProjectionExpression", 4097));
  EXPECT_EQ(ProjectionError(std::string(4096, 'a')), "<no error>");
  // The size comes first, even for text that is otherwise empty or malformed.
  EXPECT_EQ(ConditionError(std::string(5000, ' ')), SizeError("ConditionExpression", 5000));
  // UpdateExpression's message has no size in it, as DynamoDB's.
  EXPECT_EQ(UpdateError("SET a = :v" + std::string(4090, ' ')),
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;");
  // The key condition's fast path for `pk = :v` checks it too.
  EXPECT_EQ(KeyConditionError("pk = :v" + std::string(4090, ' ')),
            SizeError("KeyConditionExpression", 4097));
  // Names are not substituted before counting: 30 long names behind short placeholders pass.
  std::string names = "{";
  std::string projection;
  for (int i = 0; i < 30; ++i) {
    names += std::string(i ? "," : "") + "\"#a" + std::to_string(i) + "\": \"" +
             std::string(250, 'n') + std::to_string(i) + "\"";
    projection += std::string(i ? ", " : "") + "#a" + std::to_string(i);
  }
  names += "}";
  EXPECT_EQ(ErrorOf([&] {
              Substitutions subs = Subs(names, "");
              Projection::Parse(projection, subs);
            }),
            "<no error>");
}

TEST(ExpressionLimitsTest, PartiqlTranslationsAreExemptFromClientLimits) {
  std::string long_condition = Repeat("a = :n OR ", 450) + "a = :n";  // 4.5 KB, 901 operators
  EXPECT_EQ(ConditionError(long_condition),
            SizeError("ConditionExpression", long_condition.size()));
  ClientLimitsExempt exempt;
  Substitutions subs = Subs("", kValues);
  Condition c = Condition::Parse(long_condition, subs, "FilterExpression");
  EXPECT_TRUE(c.Evaluate(MakeItem(R"({"a": {"N": "1"}})")));
  EXPECT_FALSE(c.Evaluate(MakeItem(R"({"a": {"N": "2"}})")));
}

TEST(ExpressionLimitsTest, AtMost300Operators) {
  auto ors = [](size_t terms) {
    std::string s = "a = :n";
    for (size_t i = 1; i < terms; ++i) s += " OR a = :n";
    return s;
  };
  EXPECT_EQ(ConditionError(ors(150)), "<no error>");  // 150 comparisons + 149 ORs
  EXPECT_EQ(ConditionError(ors(151), "FilterExpression"),
            "Invalid FilterExpression: The expression contains too many operators; operator "
            "count: 301");
  // Functions, NOT, BETWEEN and IN count; BETWEEN's own AND does not.
  std::string mixed =
      "NOT attribute_exists(a) AND size(b) > :n AND c BETWEEN :n AND :n AND "
      "d IN (:n, :n)";  // NOT, 2 functions, >, BETWEEN, IN, 3 ANDs: 9
  EXPECT_EQ(ConditionError(Repeat(mixed + " AND ", 33) + mixed),
            "Invalid ConditionExpression: The expression contains too many operators; operator "
            "count: 301");  // 34 * 9 + 33 = 339: DynamoDB stops counting at 301
  EXPECT_EQ(ConditionError(Repeat(mixed + " AND ", 29) + mixed), "<no error>");  // 299
  // In an update, + - and the functions count; SET's = does not.
  auto sets = [](size_t n) {
    std::string s = "SET ";
    for (size_t i = 0; i < n; ++i) s += (i ? ", x" : "x") + std::to_string(i) + "=b+:n";
    return s;
  };
  EXPECT_EQ(UpdateError(sets(300)), "<no error>");
  EXPECT_EQ(UpdateError(sets(301)),
            "Invalid UpdateExpression: The expression contains too many operators; operator "
            "count: 301");
  // A syntax error still comes first.
  EXPECT_EQ(ConditionError(ors(200) + " ="),
            "Invalid ConditionExpression: Syntax error; token: \"=\", near: \":n =\"");
}

TEST(ExpressionLimitsTest, DocumentPathsOf32Elements) {
  std::string p32 = "a" + Repeat(".b", 31);
  std::string p33 = "a" + Repeat(".b", 32);
  EXPECT_EQ(ProjectionError(p32), "<no error>");
  EXPECT_EQ(ProjectionError(p33),
            "Invalid ProjectionExpression: The document path has too many nesting levels; "
            "nesting levels: 33");
  EXPECT_EQ(ProjectionError("a" + Repeat("[0]", 1364)),
            "Invalid ProjectionExpression: The document path has too many nesting levels; "
            "nesting levels: 1365");
  EXPECT_EQ(ConditionError("attribute_exists(" + p33 + ")"),
            "Invalid ConditionExpression: The document path has too many nesting levels; "
            "nesting levels: 33");
  EXPECT_EQ(UpdateError("SET " + p33 + " = :v"),
            "Invalid UpdateExpression: The document path has too many nesting levels; "
            "nesting levels: 33");
  EXPECT_EQ(UpdateError("SET " + p32 + " = :v"), "<no error>");
}

// The issue's inputs, each for every kind that can hold it.
TEST(ExpressionLimitsTest, TwentyThousandParenthesesAreTooLong) {
  std::string deep = Nested("(", "a<b", ")", 20000);
  EXPECT_EQ(ConditionError(deep), SizeError("ConditionExpression", 40003));
  EXPECT_EQ(ConditionError(deep, "FilterExpression"), SizeError("FilterExpression", 40003));
  EXPECT_EQ(KeyConditionError(Nested("(", "pk = :v", ")", 20000)),
            SizeError("KeyConditionExpression", 40007));
  std::string chain = Nested("a<b and (", "a<b", ")", 20000);
  EXPECT_EQ(ConditionError(chain), SizeError("ConditionExpression", chain.size()));
  EXPECT_EQ(UpdateError("SET a = " + Nested("if_not_exists(a, ", ":v", ")", 20000)),
            "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;");
  EXPECT_EQ(ProjectionError("a" + Repeat(".b", 19999)), SizeError("ProjectionExpression", 39999));
  EXPECT_EQ(ProjectionError("a" + Repeat("[0]", 20000)), SizeError("ProjectionExpression", 60001));
}

TEST(ExpressionLimitsTest, DeepInputsWithin4KBGetDynamoDBsErrors) {
  // Parentheses around one comparison are redundant.
  EXPECT_EQ(ConditionError(Nested("(", "a<b", ")", 2000)),
            "Invalid ConditionExpression: The expression has redundant parentheses;");
  EXPECT_EQ(KeyConditionError(Nested("(", "pk = :v", ")", 2000)),
            "Invalid KeyConditionExpression: The expression has redundant parentheses;");
  // `a<b and (a<b and (...))`: two operators a level.
  EXPECT_EQ(ConditionError(Nested("a<b and (", "a<b", ")", 400), "FilterExpression"),
            "Invalid FilterExpression: The expression contains too many operators; operator "
            "count: 301");
  // Past the nesting bound the operators are counted without the tree.
  EXPECT_EQ(ConditionError(Nested("size(", "a", ")", 600) + " = :n"),
            "Invalid ConditionExpression: The expression contains too many operators; operator "
            "count: 301");
  EXPECT_EQ(ConditionError(Repeat("NOT ", 1000) + "a<b"),
            "Invalid ConditionExpression: The expression contains too many operators; operator "
            "count: 301");
  EXPECT_EQ(UpdateError("SET a = " + Nested("(", ":v", ")", 2000)),
            "Invalid UpdateExpression: The expression has redundant parentheses;");
}

TEST(ExpressionLimitsTest, DeepButValidExpressionsWork) {
  // 227 nested if_not_exists fit in 4 KB and 300 operators: DynamoDB runs them, and so do we.
  std::string text = "SET z = " + Nested("if_not_exists(q, ", ":v", ")", 227);
  ASSERT_LE(text.size(), 4096u);
  Substitutions subs = Subs("", kValues);
  Update u = Update::Parse(text, subs);
  Item item = MakeItem(R"({"pk": {"S": "k"}})");
  u.Apply(item);
  EXPECT_EQ(ItemJson(item), R"({"pk":{"S":"k"},"z":{"S":"x"}})");
  // 150 nested groups of `a = :n AND (...)`: 299 operators.
  std::string groups = Nested("a = :n AND (", "a = :n", ")", 149);
  Substitutions csubs = Subs("", kValues);
  Condition c = Condition::Parse(groups, csubs, "ConditionExpression");
  EXPECT_TRUE(c.Evaluate(MakeItem(R"({"a": {"N": "1"}})")));
}

// The shapes that nest, `levels` deep, each as its parser sees it.
struct DeepInputs {
  std::string groups, operands, calls, nots, update;
  explicit DeepInputs(size_t levels)
      : groups(Nested("a<b and (", "a<b", ")", levels)),
        operands(Nested("(", "a", ")", levels) + " = :n"),
        calls(Nested("size(", "a", ")", levels) + " = :n"),
        nots(Repeat("NOT ", levels) + "a = :n"),
        // (list_append cannot nest: DynamoDB allows it only as the whole value.)
        update("SET a = " + Nested("if_not_exists(a, ", ":l", ")", levels)) {}
};

// kMaxNesting levels parse, one more does not (on a stack big enough for any build, so that the
// bound is what stops the parse, not the stack budget).
TEST(ExpressionLimitsTest, NestingIsBoundedAt400Levels) {
  OnStack(64 << 20, [] {
    ClientLimitsExempt exempt;  // so that only the nesting bound applies
    const std::string kTooDeep =
        "The expression has too many nested levels; maximum nesting "
        "levels: 400";
    DeepInputs at(kMaxNesting), over(kMaxNesting + 1);
    EXPECT_EQ(ConditionError(at.groups), "<no error>");
    EXPECT_EQ(ConditionError(over.groups), "Invalid ConditionExpression: " + kTooDeep);
    EXPECT_EQ(ConditionError(at.operands),
              "Invalid ConditionExpression: The expression has redundant parentheses;");
    EXPECT_EQ(ConditionError(over.operands),
              "Invalid ConditionExpression: The expression has redundant parentheses;");
    EXPECT_EQ(ConditionError(at.calls),
              "Invalid ConditionExpression: Incorrect operand type for "
              "operator or function; operator or function: size, "
              "operand type: N");
    EXPECT_EQ(ConditionError(over.calls), "Invalid ConditionExpression: " + kTooDeep);
    EXPECT_EQ(ConditionError(at.nots), "<no error>");
    EXPECT_EQ(ConditionError(over.nots), "Invalid ConditionExpression: " + kTooDeep);
    EXPECT_EQ(UpdateError(at.update), "<no error>");
    EXPECT_EQ(UpdateError(over.update), "Invalid UpdateExpression: " + kTooDeep);
    // Without the 4 KB limit, 20,000 levels stop at the bound too.
    EXPECT_EQ(ConditionError(Nested("(", "a<b", ")", 20000)),
              "Invalid ConditionExpression: The expression has redundant parentheses;");
    EXPECT_EQ(ConditionError(Nested("a<b and (", "a<b", ")", 20000)),
              "Invalid ConditionExpression: " + kTooDeep);
    EXPECT_EQ(UpdateError("SET a = " + Nested("if_not_exists(a, ", ":v", ")", 20000)),
              "Invalid UpdateExpression: " + kTooDeep);
    // The deepest trees evaluate.
    Item item = MakeItem(R"({"a": {"N": "1"}})");
    Substitutions subs = Subs("", kValues);
    Condition g = Condition::Parse(Nested("a = :n AND (", "a = :n", ")", kMaxNesting), subs,
                                   "ConditionExpression");
    EXPECT_TRUE(g.Evaluate(item));
    Condition n = Condition::Parse(at.nots, subs, "FilterExpression");
    EXPECT_TRUE(n.Evaluate(item));
  });
}

// On a thread with little stack, whatever the build's frames cost, no input overflows it: the
// parsers stop at their share of the stack (StackBudget) with the same errors, and what they
// accepted evaluates and is freed within the rest.
TEST(ExpressionLimitsTest, NoInputOverflowsASmallStack) {
  OnStack(128 << 10, [] {
    ClientLimitsExempt exempt;  // no 4 KB or 300-operator limit to stop them first
    for (size_t levels : {size_t{20}, kMaxNesting, size_t{20000}}) {
      DeepInputs in(levels);
      Item item = MakeItem(R"({"a": {"N": "1"}})");
      for (const std::string* text : {&in.groups, &in.operands, &in.calls, &in.nots}) {
        std::string error = ConditionError(*text);
        if (error == "<no error>") {
          Substitutions subs = Subs("", kValues);
          Condition::Parse(*text, subs, "ConditionExpression").Evaluate(item);
        } else {
          EXPECT_TRUE(error.starts_with("Invalid ConditionExpression: ")) << error;
        }
      }
      std::string error = UpdateError(in.update);
      if (error == "<no error>") {
        Substitutions subs = Subs("", kValues);
        Update::Parse(in.update, subs).Apply(item);
      } else {
        EXPECT_TRUE(error.starts_with("Invalid UpdateExpression: ")) << error;
      }
    }
    // Shallow expressions are never refused for want of stack.
    DeepInputs shallow(20);
    EXPECT_EQ(ConditionError(shallow.groups), "<no error>");
    EXPECT_EQ(UpdateError(shallow.update), "<no error>");
  });
}

// Found by fuzz_expressions: outside the 300-operator limit (PartiQL's translations), a chain of
// 30,000 ANDs in a key condition overflowed the stack of the walk that collects its terms. Chains
// are balanced trees: every walk takes log2(n) levels.
TEST(ExpressionLimitsTest, LongChainsFitASmallStack) {
  OnStack(128 << 10, [] {
    ClientLimitsExempt exempt;
    std::string key = "pk = :n" + Repeat(" AND sk > :n", 30000);
    EXPECT_EQ(KeyConditionError(key),
              "KeyConditionExpressions must only contain one condition per key");
    Substitutions subs = Subs("", kValues);
    Condition ors =
        Condition::Parse(Repeat("a = :v OR ", 30000) + "a = :n", subs, "FilterExpression");
    EXPECT_TRUE(ors.Evaluate(MakeItem(R"({"a": {"N": "1"}})")));
    EXPECT_FALSE(ors.Evaluate(MakeItem(R"({"a": {"N": "2"}})")));
    EXPECT_EQ(ors.Paths().size(), 30001u);
    Condition ands = Condition::Parse(Repeat("attribute_exists(a) AND ", 30000) + "a = :n", subs,
                                      "ConditionExpression");
    EXPECT_TRUE(ands.Evaluate(MakeItem(R"({"a": {"N": "1"}})")));
  });
}

// Thousands of paths (a 4 KB projection holds 2,000) cost no more than their number: the overlap
// check compares a path only with those of the same top-level attribute, and stops once an
// overlap is found. Found by fuzz_expressions (a timeout on 17,000 paths outside the limits).
TEST(ExpressionLimitsTest, ManyPathsAreCheckedForOverlapsAsBefore) {
  std::string same = "a" + Repeat(",a", 2000);
  EXPECT_EQ(ProjectionError(same),
            "Invalid ProjectionExpression: Two document paths overlap "
            "with each other; must remove or rewrite one of these paths; "
            "path one: [a], path two: [a]");
  std::string distinct;
  for (int i = 0; i < 600; ++i) distinct += (i ? ", p" : "p") + std::to_string(i);
  EXPECT_EQ(ProjectionError(distinct), "<no error>");
  EXPECT_EQ(ProjectionError(distinct + ", b[1], b.c, b[1].d, p7.x"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [b, [1]], path two: [b, [1], d]");
  EXPECT_EQ(ProjectionError(distinct + ", b[1], b.c"),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must "
            "remove or rewrite one of these paths; path one: [b, [1]], path two: [b, c]");
  ClientLimitsExempt exempt;
  EXPECT_EQ(ProjectionError(Repeat("a, ", 17000) + "a"),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must "
            "remove or rewrite one of these paths; path one: [a], path two: [a]");
}

TEST(ExpressionLimitsTest, LegacyConditionsOfAnyCountFitASmallStack) {
  // 20,000 ScanFilter conditions join into a balanced tree, not a chain 20,000 deep.
  std::string filter = R"({"ScanFilter": {)";
  for (int i = 0; i < 20000; ++i) {
    filter += (i ? "," : "") + std::string("\"a") + std::to_string(i) +
              R"(": {"ComparisonOperator": "NOT_NULL"})";
  }
  filter += R"(}, "ConditionalOperator": "OR"})";
  JsonDocument request = ParseJson(filter);
  OnStack(256 << 10, [&] {
    std::optional<Condition> c = legacy::FilterCondition(request, "ScanFilter");
    ASSERT_TRUE(c.has_value());
    EXPECT_TRUE(c->Evaluate(MakeItem(R"({"a19999": {"N": "1"}})")));
    EXPECT_FALSE(c->Evaluate(MakeItem(R"({"b": {"N": "1"}})")));
    EXPECT_EQ(c->Paths().size(), 20000u);
  });
}

}  // namespace
}  // namespace cruddur::ddb::expr
