#include "catalog/uuid.h"

#include <memory>
#include <mutex>
#include <random>

namespace shardtool {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Formats 128 bits as a v4 UUID (the version and variant bits are forced).
std::string FormatV4(uint64_t hi, uint64_t lo) {
  hi = (hi & ~uint64_t{0xf000}) | 0x4000;                      // version 4
  lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; i++) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    const uint64_t word = i < 16 ? hi : lo;
    const int shift = 60 - 4 * (i % 16);
    out.push_back(kDigits[(word >> shift) & 0xf]);
  }
  return out;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

bool IsUuidV4(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return false;
    } else if (!IsHex(t[i])) {
      return false;
    }
  }
  if (t[14] != '4') return false;
  const char v = t[19];
  return v == '8' || v == '9' || v == 'a' || v == 'b' || v == 'A' || v == 'B';
}

std::optional<std::string> NormalizeUuid(std::string_view text) {
  if (!IsUuidV4(text)) return std::nullopt;
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

UuidGenerator RandomUuidGenerator() {
  struct State {
    std::mutex mu;
    std::mt19937_64 rng;
  };
  auto state = std::make_shared<State>();
  std::random_device rd;
  std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
  state->rng.seed(seq);
  return [state]() {
    std::lock_guard<std::mutex> lock(state->mu);
    const uint64_t hi = state->rng(), lo = state->rng();
    return FormatV4(hi, lo);
  };
}

UuidGenerator CountingUuidGenerator(uint64_t seed) {
  auto counter = std::make_shared<uint64_t>(0);
  return [seed, counter]() {
    const uint64_t n = (*counter)++;
    return FormatV4(SplitMix64(seed * 2 + 1) ^ n, SplitMix64(seed ^ (n * 0x9e3779b97f4a7c15ULL)));
  };
}

}  // namespace shardtool
