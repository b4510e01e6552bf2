#include "log/log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <sstream>
#include <string>

namespace cruddur::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void Use(Level level, Format format, bool access = false) {
    out_.str("");
    Configure({.level = level, .format = format, .access_log = access, .stream = &out_});
  }
  void TearDown() override { Configure({}); }
  std::ostringstream out_;
};

TEST_F(LogTest, TextLineCarriesLevelComponentRequestIdAndFields) {
  Use(Level::kInfo, Format::kText);
  {
    RequestScope scope("REQ1");
    Info("dynamodb", "answered", {{"status", 200}, {"path", "/a b"}});
  }
  Info("dynamodb", "after");
  std::string text = out_.str();
  EXPECT_NE(text.find(" info dynamodb request_id=REQ1 answered status=200 path=\"/a b\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" info dynamodb after\n"), std::string::npos) << text;
}

TEST_F(LogTest, LevelsBelowTheConfiguredOneAreDropped) {
  Use(Level::kWarn, Format::kText);
  Info("x", "quiet");
  Debug("x", "quieter");
  Warn("x", "loud");
  EXPECT_EQ(out_.str().find("quiet"), std::string::npos);
  EXPECT_NE(out_.str().find("warn x loud"), std::string::npos);
}

TEST_F(LogTest, JsonLinesParseAndKeepTypes) {
  Use(Level::kDebug, Format::kJson);
  RequestScope scope("R\"2");
  Error("api", "failed \"here\"\nnext", {{"status", 500}, {"route", "/api/x"}, {"seconds", 0.25}});
  std::string line = out_.str();
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  ASSERT_EQ(line.find('\n'), std::string::npos);
  rapidjson::Document d;
  d.Parse(line.c_str());
  ASSERT_TRUE(d.IsObject()) << line;
  EXPECT_STREQ(d["level"].GetString(), "error");
  EXPECT_STREQ(d["component"].GetString(), "api");
  EXPECT_STREQ(d["request_id"].GetString(), "R\"2");
  EXPECT_STREQ(d["message"].GetString(), "failed \"here\"\nnext");
  EXPECT_EQ(d["status"].GetInt(), 500);
  EXPECT_DOUBLE_EQ(d["seconds"].GetDouble(), 0.25);
  EXPECT_TRUE(d["time"].IsString());
}

TEST_F(LogTest, TextEscapesControlBytesSoAnEntryStaysOneLine) {
  Use(Level::kInfo, Format::kText);
  Info("api", "a\nb\rc", {{"path", "/x\n2026-01-01 error forged"}});
  std::string text = out_.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("a\\nb\\x0dc"), std::string::npos) << text;
}

TEST_F(LogTest, AccessEntriesOnlyWhenTurnedOnWhateverTheLevel) {
  Use(Level::kError, Format::kText, /*access=*/false);
  Access({{"status", 200}});
  EXPECT_EQ(out_.str(), "");
  Use(Level::kError, Format::kText, /*access=*/true);
  Access({{"status", 200}});
  EXPECT_NE(out_.str().find(" info access status=200"), std::string::npos) << out_.str();
}

TEST(LogNames, ParseLevelsAndFormats) {
  EXPECT_EQ(ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(ParseLevel("error"), Level::kError);
  EXPECT_EQ(ParseLevel("verbose"), std::nullopt);
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  EXPECT_EQ(ParseFormat("xml"), std::nullopt);
}

}  // namespace
}  // namespace cruddur::log
