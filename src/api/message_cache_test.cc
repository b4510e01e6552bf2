// MessageCache's read-through path and its memo of decoded values.
#include "api/message_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "api/api_test_env.h"
#include "api/cache.h"

namespace cruddur::api {
namespace {

Page<Message> OneMessage(const std::string& text) {
  Page<Message> page;
  page.items.push_back(Message{"m-1", "g-1", UserRef{"u-1", "Andrew", "andrewbrown"}, text,
                               "2023-03-20T22:52:11.123456+00:00"});
  page.next_cursor = "next";
  return page;
}

class MessageCacheTest : public testing::ApiEnv {};

TEST_F(MessageCacheTest, RepeatedHitsAnswerTheCachedTextWithoutLoading) {
  MemoryCache memory;
  MessageCache cache(memory, *store_, MessageCacheOptions{});
  int loads = 0;
  auto load = [&] {
    ++loads;
    return OneMessage("hello");
  };
  for (int i = 0; i < 3; ++i) {
    Page<Message> page = cache.NewestMessages("g-1", load);
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0].message, "hello");
    EXPECT_EQ(page.items[0].sender.handle, "andrewbrown");
    EXPECT_EQ(page.next_cursor, "next");
  }
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(cache.hits(), 2u);
}

TEST_F(MessageCacheTest, DecodedValuesFollowTheCachedText) {
  MemoryCache memory;
  MessageCache cache(memory, *store_, MessageCacheOptions{});
  auto load = [] { return OneMessage("first"); };
  EXPECT_EQ(cache.NewestMessages("g-1", load).items[0].message, "first");
  EXPECT_EQ(cache.NewestMessages("g-1", load).items[0].message, "first");  // memoised
  // Another process (or a later write) changes the cached text: the memo must not hide it.
  std::string other = memory.Get(cache.MessagesKey("g-1")).value();
  other.replace(other.find("first"), 5, "again");
  memory.Set(cache.MessagesKey("g-1"), other, std::chrono::seconds(60));
  EXPECT_EQ(cache.NewestMessages("g-1", load).items[0].message, "again");
  // Invalidated: loaded again.
  memory.Delete({cache.MessagesKey("g-1")});
  auto load2 = [] { return OneMessage("third"); };
  EXPECT_EQ(cache.NewestMessages("g-1", load2).items[0].message, "third");
  EXPECT_EQ(cache.NewestMessages("g-1", load2).items[0].message, "third");
}

}  // namespace
}  // namespace cruddur::api
