#include "common/shared_slot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace cruddur {
namespace {

TEST(SharedSlot, LoadsWhatWasStoredAndReleasesTheReplacedValue) {
  auto first = std::make_shared<int>(1);
  SharedSlot<const int> slot(first);
  EXPECT_EQ(slot.load(), first);
  EXPECT_EQ(first.use_count(), 2);  // ours and the slot's

  slot.store(std::make_shared<int>(2));
  EXPECT_EQ(*slot.load(), 2);
  EXPECT_EQ(first.use_count(), 1);  // the slot let go of it

  SharedSlot<const int> empty;
  EXPECT_EQ(empty.load(), nullptr);
}

// Readers load while writers replace; every value a reader loads must be whole (its number and
// its check agree) and alive (ASan reports a value used after its release). Under
// ThreadSanitizer (scripts/test.sh) this test fails with libstdc++ 12's
// std::atomic<std::shared_ptr>: its load's relaxed unlock leaves the read of the pointer
// unordered against the next store's write.
TEST(SharedSlot, ConcurrentLoadsSeeWholeLiveValues) {
  struct Value {
    explicit Value(int64_t n) : number(n), check(~n) {}
    ~Value() { number = check = 0; }
    int64_t number;
    int64_t check;
  };
  SharedSlot<const Value> slot(std::make_shared<Value>(1));
  constexpr int kWriters = 2;
  constexpr int kStoresPerWriter = 20000;
  std::atomic<int> writers_done{0};
  std::atomic<bool> torn{false};
  auto load_until_written = [&] {
    do {  // at least once, however late this thread starts
      std::shared_ptr<const Value> v = slot.load();
      if (v == nullptr || v->number < 1 || v->check != ~v->number) torn = true;
    } while (writers_done.load() < kWriters);
  };
  std::vector<std::thread> threads;
  threads.reserve(kWriters + 2);
  for (int r = 0; r < 2; ++r) threads.emplace_back(load_until_written);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kStoresPerWriter; ++i) {
        slot.store(std::make_shared<Value>(1 + w * kStoresPerWriter + i));
      }
      ++writers_done;
    });
  }
  load_until_written();
  for (std::thread& t : threads) t.join();
  EXPECT_FALSE(torn.load());
  EXPECT_EQ(slot.load()->number % kStoresPerWriter, 0);  // one writer's last value
  EXPECT_EQ(slot.load().use_count(), 2);  // the slot's and this copy's: no reference leaked
}

}  // namespace
}  // namespace cruddur
