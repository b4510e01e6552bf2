// MemoryCache (values: LRU bound, TTL; unread counters) and the cache URL parsing.
#include "api/cache.h"

#include <gtest/gtest.h>

#include <thread>

#include "api/redis_cache.h"

namespace cruddur::api {
namespace {

using std::chrono::seconds;

class MemoryCacheTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now_{};
  MemoryCache Make(std::size_t max_entries) {
    return MemoryCache(max_entries, [this] { return now_; });
  }
};

TEST_F(MemoryCacheTest, SetGetDeleteAndOverwrite) {
  MemoryCache cache = Make(10);
  EXPECT_FALSE(cache.Get("a").has_value());
  cache.Set("a", "1", seconds(60));
  EXPECT_EQ(cache.Get("a"), "1");
  cache.Set("a", "2", seconds(60));
  EXPECT_EQ(cache.Get("a"), "2");
  EXPECT_EQ(cache.size(), 1u);
  cache.Delete({"a", "never-set"});
  EXPECT_FALSE(cache.Get("a").has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(MemoryCacheTest, ValuesExpireAfterTheirTtl) {
  MemoryCache cache = Make(10);
  cache.Set("short", "s", seconds(5));
  cache.Set("long", "l", seconds(60));
  now_ += seconds(4);
  EXPECT_EQ(cache.Get("short"), "s");
  now_ += seconds(1);
  EXPECT_FALSE(cache.Get("short").has_value());
  EXPECT_EQ(cache.Get("long"), "l");
  cache.Set("zero", "z", seconds(0));  // at least one second
  EXPECT_EQ(cache.Get("zero"), "z");
  now_ += seconds(1);
  EXPECT_FALSE(cache.Get("zero").has_value());
}

TEST_F(MemoryCacheTest, EvictsTheLeastRecentlyUsed) {
  MemoryCache cache = Make(3);
  cache.Set("a", "1", seconds(60));
  cache.Set("b", "2", seconds(60));
  cache.Set("c", "3", seconds(60));
  EXPECT_EQ(cache.Get("a"), "1");  // a is now the most recently used; b the least
  cache.Set("d", "4", seconds(60));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Get("b").has_value());
  EXPECT_EQ(cache.Get("a"), "1");
  EXPECT_EQ(cache.Get("c"), "3");
  EXPECT_EQ(cache.Get("d"), "4");
  cache.Set("c", "33", seconds(60));  // overwriting refreshes too
  cache.Set("e", "5", seconds(60));
  EXPECT_FALSE(cache.Get("a").has_value());
  EXPECT_EQ(cache.Get("c"), "33");
}

TEST_F(MemoryCacheTest, UnreadCountsOncePerMessageAndResets) {
  MemoryCache cache = Make(10);
  EXPECT_TRUE(cache.Unread("u").empty());
  EXPECT_TRUE(cache.CountUnread("u", "g1", "2026-01-01T00:00:01.000000Z"));
  EXPECT_TRUE(cache.CountUnread("u", "g1", "2026-01-01T00:00:02.000000Z"));
  EXPECT_TRUE(cache.CountUnread("u", "g2", "2026-01-01T00:00:01.000000Z"));
  // A replay (same or older message) does not count again.
  EXPECT_FALSE(cache.CountUnread("u", "g1", "2026-01-01T00:00:02.000000Z"));
  EXPECT_FALSE(cache.CountUnread("u", "g1", "2026-01-01T00:00:01.000000Z"));
  EXPECT_EQ(cache.Unread("u"), (std::map<std::string, std::int64_t>{{"g1", 2}, {"g2", 1}}));
  EXPECT_TRUE(cache.Unread("other").empty());

  cache.ResetUnread("u", "g1", "2026-01-01T00:00:05.000000Z");
  EXPECT_EQ(cache.Unread("u"), (std::map<std::string, std::int64_t>{{"g2", 1}}));
  // Messages up to what was seen never count; newer ones do.
  EXPECT_FALSE(cache.CountUnread("u", "g1", "2026-01-01T00:00:04.000000Z"));
  EXPECT_TRUE(cache.CountUnread("u", "g1", "2026-01-01T00:00:06.000000Z"));
  EXPECT_EQ(cache.Unread("u").at("g1"), 1);
  // A reset with an older (or unknown) time keeps the newest counted time.
  cache.ResetUnread("u", "g1", "");
  EXPECT_FALSE(cache.CountUnread("u", "g1", "2026-01-01T00:00:06.000000Z"));
  EXPECT_EQ(cache.Unread("u").count("g1"), 0u);
}

TEST_F(MemoryCacheTest, CountersAreNotEvictedWithValues) {
  MemoryCache cache = Make(1);
  cache.CountUnread("u", "g", "t1");
  cache.Set("a", "1", seconds(60));
  cache.Set("b", "2", seconds(60));
  EXPECT_EQ(cache.Unread("u").at("g"), 1);
}

TEST_F(MemoryCacheTest, ConcurrentCountsOfTheSameMessageCountOnce) {
  MemoryCache cache(100);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) cache.CountUnread("u", "g", "t" + std::to_string(1000 + i));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(cache.Unread("u").at("g"), 200);
}

TEST(MakeCacheTest, PicksTheImplementationFromTheUrl) {
  EXPECT_EQ(MakeCache("")->Describe(), "memory");
  EXPECT_EQ(MakeCache("redis://127.0.0.1:6390")->Describe(), "redis://127.0.0.1:6390");
  EXPECT_THROW(MakeCache("memcached://x"), std::invalid_argument);
  EXPECT_THROW(MakeCache("rediss://x"), std::invalid_argument);
}

TEST(RedisUrlTest, Parses) {
  RedisUrl u = ParseRedisUrl("redis://localhost");
  EXPECT_EQ(u.host, "localhost");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0);
  EXPECT_EQ(u.password, "");

  u = ParseRedisUrl("redis://:s%40cret@cache.example:6380/3");
  EXPECT_EQ(u.host, "cache.example");
  EXPECT_EQ(u.port, 6380);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "s@cret");
  EXPECT_EQ(u.db, 3);

  u = ParseRedisUrl("redis://app:pw@[::1]:7000/");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "pw");
  EXPECT_EQ(RedisCache(u).Describe(), "redis://[::1]:7000");

  u = ParseRedisUrl("redis://");
  EXPECT_EQ(u.host, "127.0.0.1");

  EXPECT_THROW(ParseRedisUrl("redis://h:notaport"), std::invalid_argument);
  EXPECT_THROW(ParseRedisUrl("redis://h:70000"), std::invalid_argument);
  EXPECT_THROW(ParseRedisUrl("redis://h/x"), std::invalid_argument);
  EXPECT_THROW(ParseRedisUrl("redis://:%zz@h"), std::invalid_argument);
  EXPECT_THROW(ParseRedisUrl("http://h"), std::invalid_argument);
}

TEST(RedisCacheOfflineTest, UnreachableServerThrowsCacheUnavailable) {
  // Port 1 on loopback: connection refused.
  RedisCache cache(ParseRedisUrl("redis://127.0.0.1:1"));
  EXPECT_THROW(cache.Get("k"), CacheUnavailable);
  EXPECT_THROW(cache.Set("k", "v", seconds(1)), CacheUnavailable);  // within retry_after
  EXPECT_THROW(cache.CountUnread("u", "g", "t"), CacheUnavailable);
}

}  // namespace
}  // namespace cruddur::api
