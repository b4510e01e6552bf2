// Seeds for the per-thread generators of ids (request ids, UUIDs, event and job ids).
#pragma once

#include <sys/random.h>

#include <cstdint>
#include <random>

namespace cruddur {

// 64 random bits from getrandom(2). Not std::random_device: its construction runs CPUID to
// choose a source, and CPUID traps to the hypervisor on a VM (~30 us a seed here, against
// ~0.4 us for getrandom), paid by every new thread's first request and so by every start-up.
inline std::uint64_t RandomSeed() {
  std::uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof seed)) {
    return seed;
  }
  std::random_device device;  // a kernel without getrandom, or its pool not yet initialized
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace cruddur
