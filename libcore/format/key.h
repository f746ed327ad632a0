// Keys (doc/format.md §1). A key is ks bytes forming one unsigned integer whose byte ks-1 is the
// most significant; keys compare as unsigned integers. Bit 0 of byte 0 is the delbit: clear =
// negative (a delete), set = positive, so a negative sorts right before its positive twin.
//
// Raw-pointer functions are the hot path (scans, merges); Key is a small value type for APIs,
// reports and tests. ks is one of 12, 16, 18, 24, 28.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/coding.h"
#include "base/status.h"

namespace shardtool {

constexpr int kMaxKeySize = 28;

// <0, 0, >0 as a < b, a == b, a > b (unsigned, most significant byte ks-1). REQUIRES: ks >= 8.
inline int CompareKeys(const uint8_t* a, const uint8_t* b, int ks) {
  // Compare 8-byte words from the top down; the last word may overlap bytes already known equal.
  int off = ks - 8;
  while (true) {
    uint64_t x = LoadLE64(a + off), y = LoadLE64(b + off);
    if (x != y) return x < y ? -1 : 1;
    if (off == 0) return 0;
    off = off >= 8 ? off - 8 : 0;
  }
}

// CompareKeys for a key size known at compile time: loads the key as words aligned to 8-byte
// boundaries from byte 0 (the way decoders store keys, so loads forward from those stores) and
// compares from the top. For hot loops.
template <int KS>
inline int CompareKeysT(const uint8_t* a, const uint8_t* b) {
  constexpr int kTail = KS % 8;
  if constexpr (kTail == 2) {
    const uint16_t x = LoadLE16(a + KS - 2), y = LoadLE16(b + KS - 2);
    if (x != y) return x < y ? -1 : 1;
  } else if constexpr (kTail == 4) {
    const uint32_t x = LoadLE32(a + KS - 4), y = LoadLE32(b + KS - 4);
    if (x != y) return x < y ? -1 : 1;
  } else {
    static_assert(kTail == 0, "key sizes are 12, 16, 18, 24 or 28");
  }
  for (int off = KS - kTail - 8; off >= 0; off -= 8) {
    const uint64_t x = LoadLE64(a + off), y = LoadLE64(b + off);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// cmpNegEq == 0 for a key size known at compile time: equal except for the delbit (and posdb's
// compression bits), as aligned word compares.
template <int KS>
inline bool SameKeyIgnoringDelbitT(const uint8_t* a, const uint8_t* b) {
  constexpr uint64_t kMask = ~uint64_t{KS == 18 ? 0x07 : 0x01};
  if ((LoadLE64(a) & kMask) != (LoadLE64(b) & kMask)) return false;
  for (int off = 8; off + 8 <= KS; off += 8) {
    if (LoadLE64(a + off) != LoadLE64(b + off)) return false;
  }
  if constexpr (KS % 8 == 2) return LoadLE16(a + KS - 2) == LoadLE16(b + KS - 2);
  if constexpr (KS % 8 == 4) return LoadLE32(a + KS - 4) == LoadLE32(b + KS - 4);
  return true;
}

// Copies a key of compile-time size as the same aligned words.
template <int KS>
inline void CopyKeyT(uint8_t* dst, const uint8_t* src) {
  for (int off = 0; off + 8 <= KS; off += 8) StoreLE64(dst + off, LoadLE64(src + off));
  if constexpr (KS % 8 == 2) StoreLE16(dst + KS - 2, LoadLE16(src + KS - 2));
  if constexpr (KS % 8 == 4) StoreLE32(dst + KS - 4, LoadLE32(src + KS - 4));
}

// Mask applied to byte 0 when comparing "ignoring the delbit" (cmpNegEq): 0xfe, or 0xf8 for posdb's
// 18-byte keys (bits 1..2 are its compression bits).
inline uint8_t NegEqMask(int ks) { return ks == 18 ? 0xf8 : 0xfe; }

// cmpNegEq: compares ignoring the delbit (and posdb's compression bits). 0 = "the same key".
inline int CompareKeysNegEq(const uint8_t* a, const uint8_t* b, int ks) {
  // Bytes ks-1..1 as words from the top (the last word is bytes 1..8), then byte 0 masked.
  int off = ks - 8;
  for (;;) {
    if (off < 1) off = 1;
    uint64_t x = LoadLE64(a + off), y = LoadLE64(b + off);
    if (x != y) return x < y ? -1 : 1;
    if (off == 1) break;
    off -= 8;
  }
  uint8_t m = NegEqMask(ks);
  uint8_t x0 = a[0] & m, y0 = b[0] & m;
  return x0 < y0 ? -1 : (x0 > y0 ? 1 : 0);
}

inline bool KeyIsNegative(const uint8_t* key) { return (key[0] & 1) == 0; }

class Key {
 public:
  Key() = default;
  explicit Key(int ks) : size_(static_cast<uint8_t>(ks)) {}
  static Key FromBytes(const uint8_t* p, int ks) {
    Key k(ks);
    std::memcpy(k.bytes_.data(), p, static_cast<size_t>(ks));
    return k;
  }
  static Key Min(int ks) { return Key(ks); }
  static Key Max(int ks) {
    Key k(ks);
    std::memset(k.bytes_.data(), 0xff, static_cast<size_t>(ks));
    return k;
  }
  // Parses 2*ks hex digits, most significant byte first (optional 0x). InvalidArgument-style
  // UsageError on a bad length or digit.
  static Result<Key> FromHex(std::string_view hex, int ks);

  int size() const { return size_; }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  uint8_t operator[](int i) const { return bytes_[static_cast<size_t>(i)]; }

  bool negative() const { return KeyIsNegative(data()); }
  Key Positive() const {
    Key k = *this;
    k.bytes_[0] |= 1;
    return k;
  }
  Key Negative() const {
    Key k = *this;
    k.bytes_[0] &= 0xfe;
    return k;
  }
  // k+1 / k-1 with carry. Return false (and leave the key unchanged) on overflow / underflow.
  bool Increment();
  bool Decrement();
  bool IsMin() const;
  bool IsMax() const;

  // 2*ks lower-case hex digits, most significant byte first.
  std::string ToHex() const;

  friend bool operator==(const Key& a, const Key& b) {
    return a.size_ == b.size_ && std::memcmp(a.data(), b.data(), a.size_) == 0;
  }
  friend std::strong_ordering operator<=>(const Key& a, const Key& b) {
    int c = CompareKeys(a.data(), b.data(), a.size_);
    return c < 0 ? std::strong_ordering::less
                 : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
  }

 private:
  std::array<uint8_t, kMaxKeySize> bytes_{};
  uint8_t size_ = 0;
};

// Hex of a raw key (most significant byte first).
std::string KeyHex(const uint8_t* key, int ks);

}  // namespace shardtool
