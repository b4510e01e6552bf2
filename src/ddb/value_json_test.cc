#include "ddb/value_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ddb/error.h"
#include "testing/expect_cases.h"

namespace cruddur::ddb {
namespace {

using test_util::ExpectCases;

using AV = AttributeValue;

JsonDocument Json(std::string_view text) {
  JsonDocument d;
  d.Parse(text.data(), text.size());
  EXPECT_FALSE(d.HasParseError()) << text;
  return d;
}

AV Value(std::string_view text) { return ParseAttributeValue(Json(text)); }

// "<type>: <message>" of the error parsing `text`, or "(accepted)".
std::string Error(std::string_view text) {
  try {
    ParseAttributeValue(Json(text));
  } catch (const ApiError& e) {
    EXPECT_EQ(e.http_status(), 400);
    return e.type() + ": " + e.message();
  }
  return "(accepted)";
}

std::string ItemError(std::string_view text) {
  try {
    ParseItem(Json(text));
  } catch (const ApiError& e) {
    return e.type() + ": " + e.message();
  }
  return "(accepted)";
}

std::string Write(const AV& v) {
  JsonBuffer buf;
  JsonWriter w(buf);
  WriteAttributeValue(w, v);
  return buf.GetString();
}

const std::string kV = "ValidationException: ";
const std::string kSer = "SerializationException: ";
const std::string kInvalid = kV + "One or more parameter values were invalid: ";

TEST(ValueJsonTest, ParsesEveryType) {
  EXPECT_EQ(Value(R"({"S":"hi"})"), AV::S("hi"));
  EXPECT_EQ(Value(R"({"S":""})"), AV::S(""));  // empty strings are allowed (since 2020)
  EXPECT_EQ(Value(R"({"S":"a\u0000b"})").bytes, std::string("a\0b", 3));
  EXPECT_EQ(Value(R"({"N":"00012.500"})").number.text(), "12.5");
  EXPECT_EQ(Value(R"({"B":"AAEC/w=="})").bytes, std::string("\0\1\2\xFF", 4));
  EXPECT_EQ(Value(R"({"B":""})").bytes, "");
  EXPECT_EQ(Value(R"({"BOOL":false})"), AV::Bool(false));
  EXPECT_EQ(Value(R"({"NULL":true})"), AV::Null());
  EXPECT_EQ(Value(R"({"SS":["a","b",""]})"), AV::SS({"a", "b", ""}));
  EXPECT_EQ(Value(R"({"NS":["1","2.5"]})"), AV::NS({Number::Parse("1"), Number::Parse("2.5")}));
  EXPECT_EQ(Value(R"({"BS":["YQ==","Yg=="]})"), AV::BS({"a", "b"}));
  EXPECT_EQ(Value(R"({"L":[{"S":"a"},{"N":"1"}]})"), AV::L({AV::S("a"), AV::N("1")}));
  EXPECT_EQ(Value(R"({"L":[]})"), AV::L({}));
  EXPECT_EQ(Value(R"({"M":{}})"), AV::M({}));
  EXPECT_EQ(Value(R"({"M":{"x":{"M":{"y":{"BOOL":true}}}}})"),
            AV::M({{"x", AV::M({{"y", AV::Bool(true)}})}}));
  // Stored order of set members is kept.
  EXPECT_EQ(Value(R"({"SS":["b","a"]})").strings, (std::vector<std::string>{"b", "a"}));
  // Unknown and null members are ignored, as Coral does.
  EXPECT_EQ(Value(R"({"S":"a","N":null,"X":1})"), AV::S("a"));
  // Coral's string spellings of a boolean.
  EXPECT_EQ(Value(R"({"BOOL":"true"})"), AV::Bool(true));
  EXPECT_EQ(Value(R"({"BOOL":"No"})"), AV::Bool(false));
}

TEST(ValueJsonTest, TypeCountErrors) {
  const std::string empty =
      kV + "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
  EXPECT_EQ(Error("{}"), empty);
  EXPECT_EQ(Error(R"({"a":""})"), empty);
  EXPECT_EQ(Error(R"({"S":null})"), empty);
  EXPECT_EQ(Error("null"), empty);
  EXPECT_EQ(Error(R"({"S":"a","N":"1"})"),
            kV +
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one "
                "of the supported datatypes");
  // Member contents are validated before the type count (dynalite: {S:'', N:''}).
  EXPECT_EQ(Error(R"({"S":"","N":""})"),
            kV + "The parameter cannot be converted to a numeric value");
}

TEST(ValueJsonTest, SetAndNullErrors) {
  EXPECT_EQ(Error(R"({"NULL":false})"),
            kInvalid + "Null attribute value types must have the value of true");
  EXPECT_EQ(Error(R"({"SS":[]})"), kInvalid + "An string set  may not be empty");
  EXPECT_EQ(Error(R"({"NS":[]})"), kInvalid + "An number set  may not be empty");
  EXPECT_EQ(Error(R"({"BS":[]})"), kInvalid + "Binary sets should not be empty");
  EXPECT_EQ(Error(R"({"NS":["1","b"]})"),
            kV + "The parameter cannot be converted to a numeric value: b");
  EXPECT_EQ(Error(R"({"N":"1e126"})"),
            kV + "Number overflow. Attempting to store a number with magnitude larger than "
                 "supported range");
}

// Captured from DynamoDB (nubo-db/dynamodb-conformance captures/cross-region-latest.json,
// us-east-1 2026-06-23: b_put_dup_ss; captures/2026-08-12-wording-drift.json "was":
// esm_put_ss_dup_empty, esm_put_bs_dup_empty, esm_put_ns_empty); NS and non-empty BS as dynalite
// records DynamoDB's answers.
TEST(ValueJsonTest, DuplicateErrors) {
  EXPECT_EQ(Error(R"({"SS":["a","a"]})"),
            kInvalid + "Input collection [a, a] contains duplicates.");
  EXPECT_EQ(Error(R"({"SS":["b","a","b"]})"),
            kInvalid + "Input collection [b, a, b] contains duplicates.");
  EXPECT_EQ(Error(R"({"SS":["",""]})"), kInvalid + "Input collection [, ] contains duplicates.");
  EXPECT_EQ(Error(R"({"BS":["Yg==","Yg=="]})"),
            kInvalid + "Input collection [Yg==, Yg==]of type BS contains duplicates.");
  EXPECT_EQ(Error(R"({"BS":["",""]})"),
            kInvalid + "Input collection [, ]of type BS contains duplicates.");
  EXPECT_EQ(Error(R"({"NS":["1","1"]})"), kV + "Input collection contains duplicates");
  EXPECT_EQ(Error(R"({"NS":["1","1.0"]})"), kV + "Input collection contains duplicates");
  EXPECT_EQ(Error(R"({"NS":["1",""]})"),
            kV + "The parameter cannot be converted to a numeric value");
  // Many members take the hashed path; same answer.
  std::string many = R"({"SS":[)";
  // Appended piecewise: "\"" + to_string(i) trips GCC 12's -Wrestrict false positive at -O3.
  for (int i = 0; i < 40; ++i) many.append("\"").append(std::to_string(i)).append("\",");
  many += R"("7"]})";
  EXPECT_NE(Error(many).find("contains duplicates."), std::string::npos);
  std::string many_ns = R"({"NS":[)";
  for (int i = 0; i < 40; ++i) many_ns.append("\"").append(std::to_string(i)).append("\",");
  many_ns += R"("7.0"]})";
  EXPECT_EQ(Error(many_ns), kV + "Input collection contains duplicates");
}

TEST(ValueJsonTest, SerializationErrors) {
  const std::string big = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
  EXPECT_EQ(Error(R"({"S":5})"), kSer + big + " can not be converted to an String");
  EXPECT_EQ(Error(R"({"N":5})"), kSer + big + " can not be converted to an String");
  EXPECT_EQ(Error(R"({"S":true})"),
            kSer + "class java.lang.Boolean can not be converted to an String");
  EXPECT_EQ(Error(R"({"S":[]})"), kSer + "Start of list found where not expected");
  EXPECT_EQ(Error(R"({"S":{}})"), kSer + "Start of structure or map found where not expected.");
  EXPECT_EQ(Error(R"({"B":5})"), kSer + big + " can not be converted to a Blob");
  EXPECT_EQ(Error(R"({"BOOL":5})"), kSer + big + " can not be converted to an Boolean");
  EXPECT_EQ(Error(R"({"BOOL":"x"})"), kSer + "'X' can not be converted to an Boolean");
  EXPECT_EQ(Error(R"({"M":[]})"), kSer + "Start of list found where not expected");
  EXPECT_EQ(Error(R"({"M":"x"})"), kSer + "Expected map or null");
  EXPECT_EQ(Error(R"({"L":{}})"), kSer + "Start of structure or map found where not expected.");
  EXPECT_EQ(Error(R"({"SS":"a"})"), kSer + "Expected list or null");
  EXPECT_EQ(Error(R"({"SS":[1]})"), kSer + big + " can not be converted to an String");
  EXPECT_EQ(Error("5"), kSer + "Expected null");
  EXPECT_EQ(Error("[]"), kSer + "Start of list found where not expected");
  // A SerializationException anywhere wins over an earlier ValidationException.
  EXPECT_EQ(Error(R"({"L":[{"SS":[]},{"S":5}]})"),
            kSer + big + " can not be converted to an String");
}

TEST(ValueJsonTest, Base64Errors) {
  EXPECT_EQ(Error(R"({"B":"abcde"})"),
            kSer +
                "'abcde' can not be converted to a Blob: Base64 encoded length is expected a "
                "multiple of 4 bytes but found: 5");
  EXPECT_EQ(Error(R"({"B":"ab!d"})"),
            kSer + "'ab!d' can not be converted to a Blob: Invalid Base64 character: '!'");
  EXPECT_EQ(Error(R"({"B":"a=bc"})"),
            kSer + "'a=bc' can not be converted to a Blob: Invalid Base64 character: '='");
  EXPECT_EQ(Error(R"({"B":"YR=="})"),
            kSer +
                "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character "
                "dectected");
  EXPECT_EQ(Error(R"({"BS":["YQ==","Y"]})").substr(0, kSer.size()), kSer);
}

TEST(ValueJsonTest, NestingLimit) {
  auto nested = [](int wraps) {
    std::string s;
    for (int i = 0; i < wraps; ++i) s += R"({"M":{"n":)";
    s += R"({"S":"leaf"})";
    for (int i = 0; i < wraps; ++i) s += "}}";
    return s;
  };
  EXPECT_EQ(Error(nested(31)), "(accepted)");  // leaf at level 32
  EXPECT_EQ(Error(nested(32)),
            kV +
                "Nesting Levels have exceeded supported limits: Attributes in the item have nested "
                "levels beyond supported limit");
  // In an item the attribute is level 1 too.
  EXPECT_EQ(ItemError(R"({"a":)" + nested(31) + "}"), "(accepted)");
  EXPECT_NE(ItemError(R"({"a":)" + nested(32) + "}"), "(accepted)");
  // Far too deep must not blow the stack.
  EXPECT_NE(Error(nested(5000)), "(accepted)");
}

TEST(ValueJsonTest, ParseItem) {
  Item item = ParseItem(Json(R"({"pk":{"S":"a"},"n":{"N":"1e2"},"l":{"L":[{"NULL":true}]}})"));
  ASSERT_EQ(item.size(), 3u);
  EXPECT_EQ(item.at("n").number.text(), "100");
  EXPECT_TRUE(ParseItem(Json("null")).empty());
  // A name sent twice: the last value counts, nothing of the first is left in it.
  Item repeated = ParseItem(Json(R"({"a":{"SS":["x"]},"b":{"S":"y"},"a":{"N":"7"}})"));
  ASSERT_EQ(repeated.size(), 2u);
  EXPECT_EQ(repeated.at("a").type, ValueType::kN);
  EXPECT_EQ(repeated.at("a").number.text(), "7");
  EXPECT_TRUE(repeated.at("a").strings.empty());
  EXPECT_EQ(ItemError("[]"), kSer + "Start of list found where not expected");
  EXPECT_EQ(
      ItemError(R"({"a":{"S":"x"},"b":{}})"),
      kV + "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  EXPECT_EQ(
      ItemError(R"({"a":null})"),
      kV + "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  // First validation error in document order wins.
  EXPECT_EQ(ItemError(R"({"a":{"SS":[]},"b":{"NS":[]}})"),
            kInvalid + "An string set  may not be empty");
}

TEST(ValueJsonTest, Writes) {
  EXPECT_EQ(Write(AV::S("a\"b")), R"({"S":"a\"b"})");
  EXPECT_EQ(Write(AV::S(std::string("a\0b", 3))), R"({"S":"a\u0000b"})");
  EXPECT_EQ(Write(AV::N("1E2")), R"({"N":"100"})");
  EXPECT_EQ(Write(AV::B(std::string("\0\1\2\xFF", 4))), R"({"B":"AAEC/w=="})");
  EXPECT_EQ(Write(AV::Bool(true)), R"({"BOOL":true})");
  EXPECT_EQ(Write(AV::Null()), R"({"NULL":true})");
  EXPECT_EQ(Write(AV::SS({"b", "a"})), R"({"SS":["b","a"]})");
  EXPECT_EQ(Write(AV::NS({Number::Parse("2.50"), Number::Parse("-0")})), R"({"NS":["2.5","0"]})");
  EXPECT_EQ(Write(AV::BS({"a", "bc"})), R"({"BS":["YQ==","YmM="]})");
  EXPECT_EQ(Write(AV::L({AV::S("x"), AV::M({})})), R"({"L":[{"S":"x"},{"M":{}}]})");
  EXPECT_EQ(Write(AV::M({{"b", AV::N("1")}, {"a", AV::S("")}})),
            R"({"M":{"a":{"S":""},"b":{"N":"1"}}})");
  JsonBuffer buf;
  JsonWriter w(buf);
  WriteItem(w, {{"k", AV::S("v")}});
  EXPECT_STREQ(buf.GetString(), R"({"k":{"S":"v"}})");
}

TEST(ValueJsonTest, RoundTrip) {
  const char* docs[] = {
      R"({"b":{"B":"AAEC"},"m":{"M":{"x":{"L":[{"SS":["a","b"]},{"NS":["1","2"]},)"
      R"({"BS":["YQ=="]}]}}},"n":{"N":"-12.5"},"pk":{"S":"p"},"t":{"BOOL":true},)"
      R"("z":{"NULL":true}})",
      R"({})",
  };
  for (const char* doc : docs) {
    Item item = ParseItem(Json(doc));
    JsonBuffer buf;
    JsonWriter w(buf);
    WriteItem(w, item);
    EXPECT_EQ(ParseItem(Json(buf.GetString())), item);
    EXPECT_EQ(buf.GetString(), std::string(doc));  // keys of `doc` are already sorted
  }
}

TEST(ValueJsonTest, Base64) {
  const std::pair<std::string_view, std::string_view> kCases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}};
  ExpectCases(Base64Encode, kCases);
  std::string out;
  EXPECT_TRUE(Base64Decode("Zm9vYmE=", &out));
  EXPECT_EQ(out, "fooba");
  EXPECT_TRUE(Base64Decode("", &out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(Base64Decode("Zm9", &out));
  EXPECT_FALSE(Base64Decode("Zm9=Zm9v", &out));
  EXPECT_FALSE(Base64Decode("Zm-v", &out));
  EXPECT_FALSE(Base64Decode("Zh==", &out));  // non-zero unused bits
  EXPECT_FALSE(Base64Decode("====", &out));
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len < all.size(); len += 7) {
    std::string s = all.substr(0, len);
    ASSERT_TRUE(Base64Decode(Base64Encode(s), &out));
    ASSERT_EQ(out, s);
  }
}

// WriteJsonString must write exactly what rapidjson's String/Key write, for every byte value,
// at every position of a word-at-a-time scan, as member names and as values.
TEST(WriteJsonStringTest, SameBytesAsRapidjson) {
  std::vector<std::string> inputs = {"", "a", "plain ascii text", "caf\xc3\xa9"};
  for (int c = 0; c < 256; ++c) {
    for (size_t at : {0, 3, 7, 8, 15, 16}) {
      std::string s(17, 'x');
      s[at] = static_cast<char>(c);
      inputs.push_back(s);
      inputs.push_back(std::string(1, static_cast<char>(c)));
    }
  }
  for (const std::string& s : inputs) {
    JsonBuffer expected_buf, actual_buf;
    JsonWriter expected(expected_buf), actual(actual_buf);
    expected.StartObject();
    expected.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    expected.StartArray();
    expected.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    expected.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    expected.EndArray();
    expected.EndObject();
    actual.StartObject();
    WriteJsonString(actual, s);
    actual.StartArray();
    WriteJsonString(actual, s);
    WriteJsonString(actual, s);
    actual.EndArray();
    actual.EndObject();
    ASSERT_EQ(std::string(actual_buf.GetString(), actual_buf.GetSize()),
              std::string(expected_buf.GetString(), expected_buf.GetSize()))
        << "input of " << s.size() << " bytes";
    EXPECT_TRUE(actual.IsComplete());
  }
}

// The inline copy of names and values (AppendPlainJsonString) takes one of several paths by
// length (under 8, 8-15, 16 and more: words, 16-byte blocks, an overlapping last block) and by
// how many bytes past the string may be read: every byte value at every position, at each
// length to 40 and each reach, must be copied exactly (UTF-8 and DEL as they are) or refused
// with the buffer untouched, as rapidjson would escape it; and the writer's AppendJsonString
// (which escapes what the inline copy refuses) must write what rapidjson writes.
TEST(AppendPlainJsonStringTest, EveryByteAtEveryPositionAndReach) {
  static constexpr JsonAffix kBefore(R"({"S":)"), kAfter("}");
  auto rapidjson_quoted = [](std::string_view s) {
    JsonBuffer buf;
    JsonWriter w(buf);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string(buf.GetString(), buf.GetSize());
  };
  for (size_t len = 0; len <= 40; ++len) {
    for (size_t pos = 0; pos < std::max<size_t>(len, 1); ++pos) {
      for (int b = 0; b < 256; ++b) {
        // The string sits at the start of readable bytes that go on past it with bytes that
        // need escaping: they must not count (nor be copied) when they are not the string's.
        std::string data(len + 40, '\x01');
        for (size_t i = 0; i < len; ++i) data[i] = i == pos ? static_cast<char>(b) : 'a';
        const std::string_view s(data.data(), len);
        const bool needs_escape = rapidjson_quoted(s) != "\"" + std::string(s) + "\"";
        for (size_t extra : {0, 1, 7, 8, 15, 16, 40}) {
          JsonBuffer buf;
          buf.Put('[');
          const bool plain = AppendPlainJsonString(buf, kBefore, s, kAfter, len + extra);
          const std::string got(buf.GetString(), buf.GetSize());
          ASSERT_EQ(plain, !needs_escape) << "len " << len << " pos " << pos << " byte " << b;
          ASSERT_EQ(got, plain ? R"([{"S":")" + std::string(s) + R"("})" : "[")
              << "len " << len << " pos " << pos << " byte " << b << " extra " << extra;
        }
        JsonBuffer buf;
        JsonWriter w(buf);
        w.StartArray();
        BeginRawJsonValue(w);
        AppendJsonString(w, kBefore, s, kAfter, len + 16);
        EndRawJsonValue(w);
        w.EndArray();
        ASSERT_EQ(std::string(buf.GetString(), buf.GetSize()),
                  R"([{"S":)" + rapidjson_quoted(s) + "}]")
            << "len " << len << " pos " << pos << " byte " << b;
      }
    }
  }
}

// The member form (AppendPlainJsonSMember, `,"name":{"S":"value"}` in one reservation) must
// copy both strings exactly or refuse, leaving the buffer untouched, when either needs escaping:
// a name or a value with every byte value at every position, beside a plain partner of every
// length to 20, at each reach.
TEST(AppendPlainJsonSMemberTest, EitherStringNeedingEscapesIsRefused) {
  static constexpr JsonAffix kBefore(",");
  auto needs_escape = [](std::string_view s) {
    JsonBuffer buf;
    JsonWriter w(buf);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string_view(buf.GetString(), buf.GetSize()) != "\"" + std::string(s) + "\"";
  };
  for (size_t len = 1; len <= 34; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string odd(len + 40, '\x01');  // followed by bytes that must not count
        for (size_t i = 0; i < len; ++i) odd[i] = i == pos ? static_cast<char>(b) : 'a';
        const std::string_view s(odd.data(), len);
        const bool escape = needs_escape(s);
        for (size_t plain_len : {0, 1, 7, 8, 15, 16, 20}) {
          const std::string plain_data(plain_len + 40, 'p');
          const std::string_view plain(plain_data.data(), plain_len);
          for (size_t extra : {0, 8, 16}) {
            for (bool odd_is_name : {true, false}) {
              const std::string_view name = odd_is_name ? s : plain;
              const std::string_view value = odd_is_name ? plain : s;
              JsonBuffer buf;
              buf.Put('{');
              const bool ok = AppendPlainJsonSMember(buf, kBefore, name, name.size() + extra, value,
                                                     value.size() + extra);
              ASSERT_EQ(ok, !escape) << "len " << len << " pos " << pos << " byte " << b;
              ASSERT_EQ(
                  std::string(buf.GetString(), buf.GetSize()),
                  ok ? R"({,")" + std::string(name) + R"(":{"S":")" + std::string(value) + R"("})"
                     : "{")
                  << "len " << len << " pos " << pos << " byte " << b << " plain " << plain_len
                  << " extra " << extra << " name " << odd_is_name;
            }
          }
        }
      }
    }
  }
}

// MemberValue compares the name's own bytes: a view into a longer string finds its member (the
// name must not be read as a C string), and a JSON null member counts as absent.
TEST(MemberValueTest, ViewsAndNulls) {
  JsonDocument d = Json(R"({"TableName": "t", "Key": null, "TableNameX": 1})");
  const std::string text = "TableNameXYZ";
  const JsonValue* name = MemberValue(d, std::string_view(text).substr(0, 9));
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(name->IsString());
  const JsonValue* longer = MemberValue(d, std::string_view(text).substr(0, 10));
  ASSERT_NE(longer, nullptr);
  EXPECT_TRUE(longer->IsInt());
  EXPECT_EQ(MemberValue(d, "Key"), nullptr);
  EXPECT_EQ(MemberValue(d, "Table"), nullptr);
  EXPECT_EQ(MemberValue(*name, "TableName"), nullptr);  // not an object
}

}  // namespace
}  // namespace cruddur::ddb
