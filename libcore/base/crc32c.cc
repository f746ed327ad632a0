#include "base/crc32c.h"

#include <array>
#include <cstring>
#include <iterator>

namespace shardtool {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

struct Tables {
  uint32_t t[8][256];
  constexpr Tables() : t() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
      for (int s = 1; s < 8; s++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};

constexpr Tables kTables;

#if defined(__x86_64__)
// The crc32 instruction has a latency of 3 cycles and a throughput of 1 per cycle, so one dependent
// chain uses a third of it. Long inputs are cut into blocks of three lanes of L bytes computed side
// by side; the lanes are then joined with ShiftL, the linear map "extend the raw CRC register over
// L zero bytes": raw(c, A||B||C) = shift(shift(raw(c, A)) ^ raw(0, B)) ^ raw(0, C).
__attribute__((target("sse4.2"))) inline uint64_t RawHw(uint64_t c, const uint8_t* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  for (; n > 0; p++, n--) c = __builtin_ia32_crc32qi(static_cast<uint32_t>(c), *p);
  return c;
}

// The zero-extension over L bytes of a raw register, as four byte-indexed tables (it is linear).
struct ZeroShift {
  uint32_t t[4][256];
};

__attribute__((target("sse4.2"))) ZeroShift MakeZeroShift(size_t lane) {
  uint32_t basis[32];
  for (int b = 0; b < 32; b++) {
    uint64_t c = uint64_t{1} << b;
    for (size_t i = 0; i < lane; i += 8) c = __builtin_ia32_crc32di(c, 0);
    basis[b] = static_cast<uint32_t>(c);
  }
  ZeroShift z{};
  for (int k = 0; k < 4; k++) {
    for (uint32_t v = 0; v < 256; v++) {
      uint32_t r = 0;
      for (int b = 0; b < 8; b++) r ^= (v >> b & 1) != 0 ? basis[8 * k + b] : 0;
      z.t[k][v] = r;
    }
  }
  return z;
}

inline uint32_t Shift(const ZeroShift& z, uint32_t c) {
  return z.t[0][c & 0xff] ^ z.t[1][(c >> 8) & 0xff] ^ z.t[2][(c >> 16) & 0xff] ^ z.t[3][c >> 24];
}

// Lane sizes, largest first (multiples of 8); inputs shorter than three of the smallest take one
// chain.
constexpr size_t kLanes[] = {4096, 1024, 256};

__attribute__((target("sse4.2"))) uint32_t ExtendHw(uint32_t crc, const uint8_t* p, size_t n) {
  static const ZeroShift* const kShifts = [] {
    static ZeroShift z[std::size(kLanes)];
    for (size_t i = 0; i < std::size(kLanes); i++) z[i] = MakeZeroShift(kLanes[i]);
    return z;
  }();
  uint64_t c = crc ^ 0xffffffffu;
  for (size_t li = 0; li < std::size(kLanes); li++) {
    const size_t lane = kLanes[li];
    while (n >= 3 * lane) {
      uint64_t c1 = 0, c2 = 0;
      const uint8_t* q = p;
      for (const uint8_t* end = p + lane; q < end; q += 8) {
        uint64_t a, b, d;
        std::memcpy(&a, q, 8);
        std::memcpy(&b, q + lane, 8);
        std::memcpy(&d, q + 2 * lane, 8);
        c = __builtin_ia32_crc32di(c, a);
        c1 = __builtin_ia32_crc32di(c1, b);
        c2 = __builtin_ia32_crc32di(c2, d);
      }
      const ZeroShift& z = kShifts[li];
      c = Shift(z, Shift(z, static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1)) ^
          static_cast<uint32_t>(c2);
      p += 3 * lane;
      n -= 3 * lane;
    }
  }
  return static_cast<uint32_t>(RawHw(c, p, n)) ^ 0xffffffffu;
}
#endif

bool DetectHw() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

const bool kHaveHw = DetectHw();

}  // namespace

uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint32_t c = crc ^ 0xffffffffu;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables.t[7][lo & 0xff] ^ kTables.t[6][(lo >> 8) & 0xff] ^ kTables.t[5][(lo >> 16) & 0xff] ^
        kTables.t[4][lo >> 24] ^ kTables.t[3][hi & 0xff] ^ kTables.t[2][(hi >> 8) & 0xff] ^
        kTables.t[1][(hi >> 16) & 0xff] ^ kTables.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = (c >> 8) ^ kTables.t[0][(c ^ *p++) & 0xff];
    n--;
  }
  return c ^ 0xffffffffu;
}

bool Crc32cHardwareAvailable() { return kHaveHw; }

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
#if defined(__x86_64__)
  if (kHaveHw) return ExtendHw(crc, static_cast<const uint8_t*>(data), n);
#endif
  return Crc32cExtendPortable(crc, data, n);
}

}  // namespace shardtool
