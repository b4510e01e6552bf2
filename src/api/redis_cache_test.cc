// RedisCache against a real redis-server: tests/cache/run.sh starts one on loopback and sets
// CACHE_URL; without CACHE_URL these tests are skipped.
#include "api/redis_cache.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <thread>

namespace cruddur::api {
namespace {

using std::chrono::seconds;

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("CACHE_URL");
    if (url == nullptr || std::string_view(url).substr(0, 8) != "redis://") {
      GTEST_SKIP() << "CACHE_URL is not a redis:// URL (tests/cache/run.sh sets it)";
    }
    url_ = ParseRedisUrl(url);
    cache_ = std::make_unique<RedisCache>(url_);
    // Every test has its own keys: tests may share a server.
    tag_ = "test:" + std::to_string(std::random_device{}()) + ":";
    cache_->set_prefix(tag_);
  }

  RedisUrl url_;
  std::unique_ptr<RedisCache> cache_;
  std::string tag_;
};

TEST_F(RedisCacheTest, SetGetDelete) {
  std::string key = tag_ + "k";
  EXPECT_FALSE(cache_->Get(key).has_value());
  std::string binary("a\0b\r\n", 5);  // values are binary-safe
  cache_->Set(key, binary, seconds(60));
  EXPECT_EQ(cache_->Get(key), binary);
  cache_->Set(tag_ + "k2", "2", seconds(60));
  cache_->Delete({key, tag_ + "k2", tag_ + "absent"});
  EXPECT_FALSE(cache_->Get(key).has_value());
  EXPECT_FALSE(cache_->Get(tag_ + "k2").has_value());
  cache_->Delete({});
}

TEST_F(RedisCacheTest, ValuesExpire) {
  cache_->Set(tag_ + "short", "s", seconds(1));
  EXPECT_EQ(cache_->Get(tag_ + "short"), "s");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_FALSE(cache_->Get(tag_ + "short").has_value());
}

TEST_F(RedisCacheTest, UnreadCountsOncePerMessageAndResets) {
  EXPECT_TRUE(cache_->Unread("u").empty());
  EXPECT_TRUE(cache_->CountUnread("u", "g1", "2026-01-01T00:00:01.000000Z"));
  EXPECT_TRUE(cache_->CountUnread("u", "g1", "2026-01-01T00:00:02.000000Z"));
  EXPECT_TRUE(cache_->CountUnread("u", "g2", "2026-01-01T00:00:01.000000Z"));
  EXPECT_FALSE(cache_->CountUnread("u", "g1", "2026-01-01T00:00:02.000000Z"));
  EXPECT_FALSE(cache_->CountUnread("u", "g1", "2026-01-01T00:00:01.000000Z"));
  EXPECT_EQ(cache_->Unread("u"), (std::map<std::string, std::int64_t>{{"g1", 2}, {"g2", 1}}));

  cache_->ResetUnread("u", "g1", "2026-01-01T00:00:05.000000Z");
  EXPECT_EQ(cache_->Unread("u"), (std::map<std::string, std::int64_t>{{"g2", 1}}));
  EXPECT_FALSE(cache_->CountUnread("u", "g1", "2026-01-01T00:00:04.000000Z"));
  EXPECT_TRUE(cache_->CountUnread("u", "g1", "2026-01-01T00:00:06.000000Z"));
  cache_->ResetUnread("u", "g1", "");
  EXPECT_FALSE(cache_->CountUnread("u", "g1", "2026-01-01T00:00:06.000000Z"));
  EXPECT_EQ(cache_->Unread("u").count("g1"), 0u);
}

TEST_F(RedisCacheTest, ComparesTimesByteWiseNotByLocale) {
  // strcoll in a UTF-8 locale ignores punctuation; byte order does not.
  EXPECT_TRUE(cache_->CountUnread("u", "g", "2026-01-01T00:00:09.000000Z"));
  EXPECT_TRUE(cache_->CountUnread("u", "g", "2026-01-01T00:00:10.000000Z"));
  EXPECT_FALSE(cache_->CountUnread("u", "g", "2026-01-01T00:00:09.999999Z"));
  EXPECT_EQ(cache_->Unread("u").at("g"), 2);
}

TEST_F(RedisCacheTest, ConcurrentReplaysFromSeveralClientsCountOnce) {
  // Two "processes" (separate pools) replaying the same 100 messages at once.
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] {
      RedisCache other(url_);
      other.set_prefix(tag_);
      for (int i = 0; i < 100; ++i) {
        other.CountUnread("u", "g", "2026-01-01T00:00:00." + std::to_string(100000 + i) + "Z");
      }
    });
  }
  for (auto& t : threads) t.join();
  std::int64_t n = cache_->Unread("u").at("g");
  EXPECT_EQ(n, 100);  // every message, once
}

TEST_F(RedisCacheTest, BadPasswordIsUnavailableNotACrash) {
  RedisUrl bad = url_;
  bad.password = "not-the-password";
  RedisCache cache(bad);
  EXPECT_THROW(cache.Get(tag_ + "k"), CacheUnavailable);
}

TEST_F(RedisCacheTest, SelectsTheDatabaseFromTheUrl) {
  RedisUrl db5 = url_;
  db5.db = 5;
  RedisCache in5(db5);
  in5.Set(tag_ + "where", "5", seconds(60));
  EXPECT_FALSE(cache_->Get(tag_ + "where").has_value());
  EXPECT_EQ(in5.Get(tag_ + "where"), "5");
  EXPECT_EQ(in5.Describe(), cache_->Describe() + "/5");
  in5.Delete({tag_ + "where"});
}

}  // namespace
}  // namespace cruddur::api
