#include "encoding/crc32.h"

#include <zlib.h>

#include <cstddef>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace cruddur::encoding {
namespace {

#if defined(__x86_64__)
// Folding with carry-less multiplication (Intel's white paper "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction", 2009). The constants are powers of x modulo the
// reflected polynomial: (x^(4*128+32), x^(4*128-32)) fold 64 bytes ahead, (x^(128+32),
// x^(128-32)) 16 bytes ahead, x^64 the last 64 bits, and (the polynomial, its Barrett
// quotient) the final reduction.
constexpr long long kFold64Low = 0x154442bd4, kFold64High = 0x1c6e41596;
constexpr long long kFold16Low = 0x1751997d0, kFold16High = 0x0ccaa009e;
constexpr long long kFold64To32 = 0x163cd6124;
constexpr long long kPolynomial = 0x1db710641, kBarrett = 0x1f7011641;

__attribute__((target("pclmul"))) inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  return _mm_xor_si128(
      _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

inline __m128i Load(const unsigned char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// The CRC register after `n` bytes (n >= 64, a multiple of 16) from register value `crc`
// (neither inverted before nor after, unlike zlib's crc32).
__attribute__((target("pclmul"))) std::uint32_t FoldBlocks(std::uint32_t crc,
                                                           const unsigned char* p, std::size_t n) {
  __m128i x0 = _mm_xor_si128(Load(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x1 = Load(p + 16), x2 = Load(p + 32), x3 = Load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k64 = _mm_set_epi64x(kFold64High, kFold64Low);
  for (; n >= 64; p += 64, n -= 64) {
    x0 = Fold(x0, k64, Load(p));
    x1 = Fold(x1, k64, Load(p + 16));
    x2 = Fold(x2, k64, Load(p + 32));
    x3 = Fold(x3, k64, Load(p + 48));
  }
  const __m128i k16 = _mm_set_epi64x(kFold16High, kFold16Low);
  x0 = Fold(x0, k16, x1);
  x0 = Fold(x0, k16, x2);
  x0 = Fold(x0, k16, x3);
  for (; n >= 16; p += 16, n -= 16) x0 = Fold(x0, k16, Load(p));
  // 128 bits to 64, to 32, then Barrett's reduction to the 32-bit remainder.
  const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
  __m128i t = _mm_xor_si128(_mm_clmulepi64_si128(x0, k16, 0x10), _mm_srli_si128(x0, 8));
  __m128i u = _mm_xor_si128(
      _mm_clmulepi64_si128(_mm_and_si128(t, low32), _mm_set_epi64x(0, kFold64To32), 0x00),
      _mm_srli_si128(t, 4));
  const __m128i barrett = _mm_set_epi64x(kBarrett, kPolynomial);
  __m128i q = _mm_clmulepi64_si128(_mm_and_si128(u, low32), barrett, 0x10);
  q = _mm_clmulepi64_si128(_mm_and_si128(q, low32), barrett, 0x00);
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(_mm_xor_si128(q, u), 4)));
}

// Asked on the first long body, not with __builtin_cpu_supports: that links libgcc's CPU model,
// whose constructor runs ~13 CPUIDs at every start, and CPUID traps to the hypervisor on a VM
// (~9 us each here).
bool HasCarrylessMultiply() {
  static const bool kHasClmul = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_PCLMUL) != 0;
  }();
  return kHasClmul;
}
#endif

std::uint32_t Zlib(std::uint32_t crc, const unsigned char* p, std::size_t n) {
  return static_cast<std::uint32_t>(crc32_z(crc, p, n));
}

}  // namespace

std::uint32_t Crc32(std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
#if defined(__x86_64__)
  if (n >= 64 && HasCarrylessMultiply()) {
    std::size_t blocks = n & ~std::size_t{15};
    // zlib's crc32 inverts the register before and after; the tail continues from the result.
    std::uint32_t crc = ~FoldBlocks(~std::uint32_t{0}, p, blocks);
    return Zlib(crc, p + blocks, n - blocks);
  }
#endif
  return Zlib(0, p, n);
}

}  // namespace cruddur::encoding
