#include "common/random.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <thread>

namespace cruddur {
namespace {

TEST(FastRandom, DrawsXoshiro256StarStarSeededThroughSplitMix64) {
  // From an independent implementation of both algorithms (Python, 64-bit wrap-around).
  FastRandom random(0);
  EXPECT_EQ(random(), 0x99ec5f36cb75f2b4u);
  EXPECT_EQ(random(), 0xbf6e1f784956452au);
  EXPECT_EQ(random(), 0x1a5f849d4933e6e0u);
}

TEST(FastRandom, ServesTheStandardDistributions) {
  FastRandom random(42);
  std::uniform_int_distribution<int> die(1, 6);
  std::array<int, 7> seen{};
  for (int i = 0; i < 6000; ++i) {
    const int face = die(random);
    ASSERT_GE(face, 1);
    ASSERT_LE(face, 6);
    ++seen[face];
  }
  for (int face = 1; face <= 6; ++face) EXPECT_GT(seen[face], 800) << face;
}

TEST(ThreadRandom, IsOnePerThreadEachSeededApart) {
  FastRandom& mine = ThreadRandom();
  EXPECT_EQ(&mine, &ThreadRandom());
  FastRandom* theirs = nullptr;
  std::uint64_t their_draw = 0;
  std::thread([&] {
    theirs = &ThreadRandom();
    their_draw = ThreadRandom()();
  }).join();
  EXPECT_NE(theirs, &mine);
  EXPECT_NE(their_draw, mine());  // equal once in 2^64
}

TEST(RandomBytes, FillsEveryByteFreshEachCall) {
  std::array<unsigned char, 64> a{}, b{};
  RandomBytes(a.data(), a.size());
  RandomBytes(b.data(), b.size());
  EXPECT_NE(a, b);
  // Each of the 64 bytes is zero with probability 1/256: at least 48 nonzero fails ~never.
  int nonzero = 0;
  for (unsigned char c : a) nonzero += c != 0;
  EXPECT_GE(nonzero, 48);
  EXPECT_NE(RandomSeed(), RandomSeed());
}

}  // namespace
}  // namespace cruddur
