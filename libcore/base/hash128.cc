#include "base/hash128.h"

#include <cstring>

namespace shardtool {
namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ULL;
constexpr uint64_t kC2 = 0x4cf5ad432745937fULL;

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];  // little-endian on every machine
  return v;
}

}  // namespace

Hash128 HashBytes128(const uint8_t* data, size_t n, uint64_t seed) {
  uint64_t h1 = seed, h2 = seed;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint64_t k1 = Load64(data + i), k2 = Load64(data + i + 8);
    k1 *= kC1;
    k1 = Rotl(k1, 31);
    k1 *= kC2;
    h1 ^= k1;
    h1 = Rotl(h1, 27) + h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= kC2;
    k2 = Rotl(k2, 33);
    k2 *= kC1;
    h2 ^= k2;
    h2 = Rotl(h2, 31) + h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  uint8_t tail[16] = {};
  if (n > i) std::memcpy(tail, data + i, n - i);
  if (n - i > 8) {
    uint64_t k2 = Load64(tail + 8) * kC2;
    k2 = Rotl(k2, 33) * kC1;
    h2 ^= k2;
  }
  if (n - i > 0) {
    uint64_t k1 = Load64(tail) * kC1;
    k1 = Rotl(k1, 31) * kC2;
    h1 ^= k1;
  }
  h1 ^= n;
  h2 ^= n;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  h2 += h1;
  return {h2, h1};
}

std::string Digest128::Hex() const {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; i++) {
    out[static_cast<size_t>(15 - i)] = kDigits[(sum_.hi >> (4 * i)) & 0xf];
    out[static_cast<size_t>(31 - i)] = kDigits[(sum_.lo >> (4 * i)) & 0xf];
  }
  return out;
}

}  // namespace shardtool
