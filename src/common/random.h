// Randomness for ids: the kernel's CSPRNG for what must not be guessed, and one small per-thread
// generator for what only needs to be unique (request ids, UUIDs of tables and events, job ids,
// file names, retry jitter).
#pragma once

#include <sys/random.h>

#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>

namespace cruddur {

// `size` bytes from getrandom(2), the kernel's CSPRNG. Not std::random_device: its construction
// runs CPUID to choose a source, and CPUID traps to the hypervisor on a VM (~30 us here, against
// ~0.4 us for getrandom).
inline void RandomBytes(void* out, std::size_t size) {
  auto* bytes = static_cast<unsigned char*>(out);
  while (size > 0) {
    const ssize_t got = getrandom(bytes, size, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // a kernel without getrandom (ENOSYS)
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
  if (size == 0) return;
  std::random_device device;
  for (; size > 0; --size) *bytes++ = static_cast<unsigned char>(device());
}

inline std::uint64_t RandomSeed() {
  std::uint64_t seed = 0;
  RandomBytes(&seed, sizeof seed);
  return seed;
}

// xoshiro256** (Blackman and Vigna), a UniformRandomBitGenerator: 64 bits in a few instructions
// from 32 bytes of state, seeded through splitmix64 as its authors advise. Ids need spread, not
// secrecy. std::mt19937 and std::random_device keep 5 KB of state each, mt19937_64 2.5 KB: seven
// of them as thread_locals made every thread's static TLS block 28 KB (3 KB without), which each
// new thread zeroes at its start, touching 7 pages where 1 does.
class FastRandom {
 public:
  using result_type = std::uint64_t;  // NOLINT(readability-identifier-naming): the standard name
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  explicit FastRandom(std::uint64_t seed) {
    for (std::uint64_t& word : state_) {
      seed += 0x9E3779B97F4A7C15;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
      word = z ^ (z >> 31);
    }
  }

  result_type operator()() {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

 private:
  std::uint64_t state_[4];
};

// This thread's generator, seeded from getrandom at its first use.
inline FastRandom& ThreadRandom() {
  thread_local FastRandom random(RandomSeed());
  return random;
}

}  // namespace cruddur
