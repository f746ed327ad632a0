// ChunkVersion: the version "M|m" of a chunk (doc/acquisition.md §2): a major and a minor, each a
// decimal uint32, compared as the pair (major, minor). A move of slots to another shard bumps the
// major of the moved chunks; the donor's remaining chunks get minor+1.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardtool {

struct ChunkVersion {
  uint32_t major = 0;
  uint32_t minor = 0;

  // "M|m".
  std::string ToString() const;
  // Parses "M|m": each part 1..10 decimal digits with a value <= 4294967295, nothing else.
  static std::optional<ChunkVersion> Parse(std::string_view text);

  friend bool operator==(const ChunkVersion&, const ChunkVersion&) = default;
  friend auto operator<=>(const ChunkVersion&, const ChunkVersion&) = default;
};

// Parses a decimal uint32 (1..10 digits, no sign, no spaces).
std::optional<uint32_t> ParseDecimalU32(std::string_view text);
// Parses a decimal uint64 (1..20 digits, no sign, no spaces).
std::optional<uint64_t> ParseDecimalU64(std::string_view text);

}  // namespace shardtool
