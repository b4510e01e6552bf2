#include "encoding/json.h"

#include <gtest/gtest.h>

namespace cruddur::encoding {
namespace {

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonString("\n\r\t"), R"("\n\r\t")");
  EXPECT_EQ(JsonString(std::string_view("\0\x1f\b", 3)), R"("\u0000\u001f\u0008")");
  EXPECT_EQ(JsonString("\xc3\xa9/\x7f"), "\"\xc3\xa9/\x7f\"");  // bytes >= 0x20 as they are
}

TEST(JsonString, ParsesBackToTheSameText) {
  std::string all;
  for (int b = 1; b < 128; ++b) all.push_back(static_cast<char>(b));
  rapidjson::Document d;
  std::string text = JsonString(all);
  d.Parse(text.data(), text.size());
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(std::string(d.GetString(), d.GetStringLength()), all);
}

TEST(WriteJson, WritesFieldsAndValues) {
  std::string text = WriteJson([](JsonTextWriter& w) {
    w.StartObject();
    WriteStringField(w, "a", "x\"y");
    WriteStringField(w, std::string_view("bc", 1), std::string_view("zz", 1));
    w.EndObject();
  });
  EXPECT_EQ(text, R"({"a":"x\"y","b":"z"})");
}

TEST(StringMember, OnlyAStringMemberOfAnObject) {
  rapidjson::Document d;
  d.Parse(R"({"s":"v","n":1,"z":"a\u0000b"})");
  EXPECT_EQ(StringMember(d, "s"), "v");
  EXPECT_EQ(StringMember(d, "n"), "");
  EXPECT_EQ(StringMember(d, "missing"), "");
  EXPECT_EQ(StringMember(d, "z"), std::string("a\0b", 3));
  EXPECT_EQ(StringMember(d, std::string_view("sx", 1)), "v");  // the view's length, not strlen
  EXPECT_EQ(StringMember(d["n"], "s"), "");                    // not an object
  EXPECT_EQ(JsonText(d), R"({"s":"v","n":1,"z":"a\u0000b"})");
}

}  // namespace
}  // namespace cruddur::encoding
