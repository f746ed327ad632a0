// Hash128: a 128-bit non-cryptographic hash (the MurmurHash3 x64_128 construction), and
// Digest128, an order-independent digest of a multiset of items: the sum modulo 2^128 of their
// hashes (a sum, not a xor, so that an item present twice does not cancel out).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace shardtool {

struct Hash128 {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
};

Hash128 HashBytes128(const uint8_t* data, size_t n, uint64_t seed);

class Digest128 {
 public:
  void Add(const Hash128& h) {
    const uint64_t lo = sum_.lo + h.lo;
    sum_.hi += h.hi + (lo < sum_.lo ? 1 : 0);
    sum_.lo = lo;
  }
  void Merge(const Digest128& other) { Add(other.sum_); }
  const Hash128& value() const { return sum_; }
  // 32 lower-case hex digits, the high half first.
  std::string Hex() const;

 private:
  Hash128 sum_;
};

}  // namespace shardtool
