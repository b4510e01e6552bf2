// Storage keys of multi-attribute GSI keys: their byte order is the order of the attribute
// tuples, each attribute by its type's order, and single-attribute keys encode as they always have.
#include "ddb/table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "ddb/key_codec.h"

namespace cruddur::ddb {
namespace {

using AV = AttributeValue;

// DynamoDB's order of one key value: N numerically, S and B by unsigned bytes.
int CompareValue(const AV& a, const AV& b) {
  if (a.type == ValueType::kN) {
    auto c = a.number <=> b.number;
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  auto ua = reinterpret_cast<const unsigned char*>(a.bytes.data());
  auto ub = reinterpret_cast<const unsigned char*>(b.bytes.data());
  bool less = std::lexicographical_compare(ua, ua + a.bytes.size(), ub, ub + b.bytes.size());
  bool more = std::lexicographical_compare(ub, ub + b.bytes.size(), ua, ua + a.bytes.size());
  return less ? -1 : (more ? 1 : 0);
}

// The reference: tuples compared attribute by attribute, left to right.
int CompareTuples(const Item& a, const Item& b, const std::vector<KeyAttribute>& attributes) {
  for (const KeyAttribute& k : attributes) {
    if (int c = CompareValue(a.at(k.name), b.at(k.name))) return c;
  }
  return 0;
}

int CompareBytes(const std::string& a, const std::string& b) {
  int c = a.compare(b);  // std::string compares as unsigned char (char_traits<char>)
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

class Random {
 public:
  explicit Random(uint32_t seed) : rng_(seed) {}
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  ValueType Type() {
    static const ValueType kTypes[] = {ValueType::kS, ValueType::kN, ValueType::kB};
    return kTypes[Uniform(0, 2)];
  }

  // Few distinct values per attribute, so that ties on the leading attributes are common and the
  // later ones decide. Bytes include NUL and 0xFF (escapes, prefixes); numbers mix signs and
  // exponents.
  AV Value(ValueType type) {
    if (type == ValueType::kN) {
      static const char* kNumbers[] = {"-100", "-1.5", "-1", "0",   "0.001",
                                       "1",    "1.5",  "99", "1e20"};
      return AV::N(kNumbers[Uniform(0, 8)]);
    }
    static const char kAlphabet[] = {'\0', 'a', 'b', '\xFF'};
    std::string s(Uniform(1, 3), ' ');
    for (char& c : s) c = kAlphabet[Uniform(0, 3)];
    if (type == ValueType::kS) std::replace(s.begin(), s.end(), '\xFF', 'z');  // valid UTF-8
    return type == ValueType::kS ? AV::S(s) : AV::B(s);
  }

 private:
  std::mt19937 rng_;
};

KeySchema MultiKey(const std::vector<KeyAttribute>& hash, const std::vector<KeyAttribute>& range) {
  KeySchema k;
  k.hash_name = hash[0].name;
  k.hash_type = hash[0].type;
  k.more_hash.assign(hash.begin() + 1, hash.end());
  if (!range.empty()) {
    k.range_name = range[0].name;
    k.range_type = range[0].type;
    k.more_range.assign(range.begin() + 1, range.end());
  }
  return k;
}

// Fuzzed with a fixed seed: for random schemas of 1 to 4 RANGE attributes of mixed types, the
// encoded sort keys order exactly as the reference orders their tuples, and likewise the
// partition keys of 1 to 4 HASH attributes.
TEST(CompositeKeyTest, EncodedOrderIsTupleOrder) {
  Random r(20251118);
  for (int round = 0; round < 60; ++round) {
    std::vector<KeyAttribute> hash, range;
    for (int i = 0, n = r.Uniform(1, 4); i < n; ++i)
      hash.push_back({"h" + std::to_string(i), r.Type()});
    for (int i = 0, n = r.Uniform(1, 4); i < n; ++i)
      range.push_back({"r" + std::to_string(i), r.Type()});
    const KeySchema key = MultiKey(hash, range);
    std::vector<Item> items(40);
    std::vector<EncodedKey> encoded;
    for (Item& item : items) {
      for (const auto& a : hash) item[a.name] = r.Value(a.type);
      for (const auto& a : range) item[a.name] = r.Value(a.type);
      encoded.push_back(EncodeKey(key, item));
    }
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t j = 0; j < items.size(); ++j) {
        ASSERT_EQ(CompareBytes(encoded[i].range, encoded[j].range),
                  CompareTuples(items[i], items[j], range))
            << "round " << round << " items " << i << ", " << j;
        ASSERT_EQ(CompareBytes(encoded[i].hash, encoded[j].hash),
                  CompareTuples(items[i], items[j], hash));
        // Equal partition keys hash alike (one partition).
        if (encoded[i].hash == encoded[j].hash) {
          ASSERT_EQ(encoded[i].partition_hash, encoded[j].partition_hash);
        }
      }
    }
  }
}

// The prefix a Query seeks (partition, then the RANGE values its conditions fix with `=`) holds
// exactly the items with those values.
TEST(CompositeKeyTest, QueryPrefixFindsExactlyItsItems) {
  Random r(7);
  std::vector<KeyAttribute> hash = {{"h0", ValueType::kS}, {"h1", ValueType::kN}};
  std::vector<KeyAttribute> range = {
      {"r0", ValueType::kB}, {"r1", ValueType::kS}, {"r2", ValueType::kN}};
  const KeySchema key = MultiKey(hash, range);
  TableSchema schema;
  schema.id = 3;
  schema.key.hash_name = "pk";
  IndexSchema index;
  index.id = 1;
  index.key = key;
  std::vector<Item> items(300);
  for (size_t i = 0; i < items.size(); ++i) {
    items[i]["pk"] = AV::S(std::to_string(i));
    for (const auto& a : hash) items[i][a.name] = r.Value(a.type);
    for (const auto& a : range) items[i][a.name] = r.Value(a.type);
  }
  for (size_t probe = 0; probe < items.size(); probe += 11) {
    const Item& p = items[probe];
    for (size_t fixed = 0; fixed <= range.size(); ++fixed) {
      std::string prefix = PartitionPrefix(schema.id, index.id, {p.at("h0"), p.at("h1")});
      for (size_t i = 0; i < fixed; ++i) EncodeKeyValue(p.at(range[i].name), &prefix);
      for (const Item& item : items) {
        bool same = item.at("h0") == p.at("h0") && item.at("h1") == p.at("h1");
        for (size_t i = 0; i < fixed; ++i)
          same = same && item.at(range[i].name) == p.at(range[i].name);
        auto storage_key = IndexStorageKey(schema, index, item);
        ASSERT_TRUE(storage_key);
        ASSERT_EQ(storage_key->starts_with(prefix), same);
      }
    }
  }
}

// Sparse: an item lacking any one of the key's attributes has no entry in the index.
TEST(CompositeKeyTest, ItemMissingAnyKeyAttributeIsNotIndexed) {
  TableSchema schema;
  schema.id = 1;
  schema.key.hash_name = "pk";
  IndexSchema index;
  index.id = 1;
  index.key = MultiKey({{"a", ValueType::kS}, {"b", ValueType::kN}},
                       {{"c", ValueType::kS}, {"d", ValueType::kB}});
  Item full = {{"pk", AV::S("1")},
               {"a", AV::S("x")},
               {"b", AV::N("2")},
               {"c", AV::S("y")},
               {"d", AV::B("z")}};
  EXPECT_TRUE(IndexStorageKey(schema, index, full));
  for (const char* name : {"a", "b", "c", "d"}) {
    Item partial = full;
    partial.erase(name);
    EXPECT_FALSE(IndexStorageKey(schema, index, partial)) << name;
    Item mistyped = full;
    mistyped[name] = std::string_view(name) == "b" ? AV::S("5") : AV::N("5");
    EXPECT_FALSE(IndexStorageKey(schema, index, mistyped)) << name;
  }
  // KeyOf (LastEvaluatedKey) carries the table's key and every index key attribute.
  Item with_more = full;
  with_more["other"] = AV::S("o");
  EXPECT_EQ(KeyOf(schema, &index, with_more), full);
}

// Data dirs stay readable: a single-attribute key encodes as key_codec encodes its value, and its
// partition hash is DynamoDB's PartitionKeyHash.
TEST(CompositeKeyTest, SingleAttributeKeysEncodeAsBefore) {
  KeySchema key;
  key.hash_name = "pk";
  key.hash_type = ValueType::kN;
  key.range_name = "sk";
  key.range_type = ValueType::kB;
  Item item = {{"pk", AV::N("-12.5")}, {"sk", AV::B(std::string("a\0b", 3))}};
  EncodedKey k = EncodeKey(key, item);
  std::string hash, range;
  EncodeKeyValue(item.at("pk"), &hash);
  EncodeKeyValue(item.at("sk"), &range);
  EXPECT_EQ(k.hash, hash);
  EXPECT_EQ(k.range, range);
  EXPECT_EQ(k.partition_hash, PartitionKeyHash(item.at("pk")));
  EXPECT_EQ(PartitionPrefix(7, 0, item.at("pk")),
            PartitionPrefix(7, 0, std::vector<AttributeValue>{item.at("pk")}));
}

}  // namespace
}  // namespace cruddur::ddb
