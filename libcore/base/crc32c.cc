#include "base/crc32c.h"

#include <array>
#include <cstring>
#include <iterator>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

// Folding with carry-less multiplication (VPCLMULQDQ on 512-bit registers), for CPUs that have it:
// four registers of 64 bytes take 256 bytes per step. In the reflected bit order of CRC32C a
// 128-bit lane X, read little-endian, stands for H * x^64 + L, where its low quadword is H (the
// coefficient of x^d at bit 63-d) and its high quadword is L. Moving X forward by F bits, modulo P,
// is H * (x^(F+64) mod P) + L * (x^F mod P); a carry-less product of two reflected operands comes
// out multiplied by x, so the lane constants are x^(F+63) mod P (for H) and x^(F-1) mod P (for
// L). The folded registers stand for the data they replace, so the crc32 instruction finishes them
// as if they were bytes of the input.

// x^e mod P in the reflected layout of a clmul operand (coefficient of x^d at bit 63-d).
constexpr uint64_t XPowModP(int e) {
  uint64_t r = 1;  // the normal form (coefficient of x^d at bit d), degree < 32
  for (int i = 0; i < e; i++) {
    r <<= 1;
    if ((r >> 32 & 1) != 0) r ^= 0x11EDC6F41ull;
  }
  uint64_t out = 0;
  for (int d = 0; d < 32; d++) out |= (r >> d & 1) << (63 - d);
  return out;
}

struct FoldConstants {
  uint64_t h, l;
};
constexpr FoldConstants FoldBy(int bytes) {
  return {XPowModP(8 * bytes + 63), XPowModP(8 * bytes - 1)};
}
constexpr FoldConstants kFold256 = FoldBy(256), kFold64 = FoldBy(64);

// The lane {h, l} in all four lanes of a register.
__attribute__((target("avx512f,vpclmulqdq"))) inline __m512i Broadcast(FoldConstants k) {
  const auto h = static_cast<int64_t>(k.h), l = static_cast<int64_t>(k.l);
  return _mm512_set4_epi64(l, h, l, h);  // quadwords h, l, h, l, ... from the lowest
}

// x moved forward over the fold distance of k, plus d.
__attribute__((target("avx512f,vpclmulqdq"))) inline __m512i Fold(__m512i x, __m512i k, __m512i d) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
                                   _mm512_clmulepi64_epi128(x, k, 0x11), d, 0x96);
}

// REQUIRES: n >= kClmulMin.
constexpr size_t kClmulMin = 256;
__attribute__((target("avx512f,vpclmulqdq,sse4.2"))) uint32_t ExtendClmul(uint32_t crc,
                                                                          const uint8_t* p,
                                                                          size_t n) {
  const __m512i k256 = Broadcast(kFold256), k64 = Broadcast(kFold64);
  // The running register is XORed into the first four bytes: raw(c, M) == raw(0, M ^ c).
  __m512i x0 = _mm512_xor_si512(_mm512_loadu_si512(p),
                                _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(~crc))));
  __m512i x1 = _mm512_loadu_si512(p + 64), x2 = _mm512_loadu_si512(p + 128),
          x3 = _mm512_loadu_si512(p + 192);
  p += 256;
  n -= 256;
  for (; n >= 256; p += 256, n -= 256) {
    x0 = Fold(x0, k256, _mm512_loadu_si512(p));
    x1 = Fold(x1, k256, _mm512_loadu_si512(p + 64));
    x2 = Fold(x2, k256, _mm512_loadu_si512(p + 128));
    x3 = Fold(x3, k256, _mm512_loadu_si512(p + 192));
  }
  x1 = Fold(x0, k64, x1);
  x2 = Fold(x1, k64, x2);
  x3 = Fold(x2, k64, x3);
  for (; n >= 64; p += 64, n -= 64) x3 = Fold(x3, k64, _mm512_loadu_si512(p));
  alignas(64) uint8_t folded[64];
  _mm512_store_si512(folded, x3);
  return static_cast<uint32_t>(RawHw(RawHw(0, folded, 64), p, n)) ^ 0xffffffffu;
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

bool DetectClmul() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return kHaveHw && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq");
#else
  return false;
#endif
}

const bool kHaveClmul = DetectClmul();

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
bool Crc32cClmulAvailable() { return kHaveClmul; }

uint32_t Crc32cExtendCrc32Lanes(uint32_t crc, const void* data, size_t n) {
#if defined(__x86_64__)
  if (kHaveHw) return ExtendHw(crc, static_cast<const uint8_t*>(data), n);
#endif
  return Crc32cExtendPortable(crc, data, n);
}

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
#if defined(__x86_64__)
  if (kHaveClmul && n >= kClmulMin) return ExtendClmul(crc, static_cast<const uint8_t*>(data), n);
#endif
  return Crc32cExtendCrc32Lanes(crc, data, n);
}

}  // namespace shardtool
