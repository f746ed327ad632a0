#include "catalog/chunk_version.h"

#include <limits>

namespace shardtool {

std::optional<uint64_t> ParseDecimalU64(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<uint32_t> ParseDecimalU32(std::string_view text) {
  if (text.size() > 10) return std::nullopt;
  auto v = ParseDecimalU64(text);
  if (!v || *v > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::string ChunkVersion::ToString() const {
  return std::to_string(major) + "|" + std::to_string(minor);
}

std::optional<ChunkVersion> ChunkVersion::Parse(std::string_view text) {
  const size_t bar = text.find('|');
  if (bar == std::string_view::npos) return std::nullopt;
  auto major = ParseDecimalU32(text.substr(0, bar));
  auto minor = ParseDecimalU32(text.substr(bar + 1));
  if (!major || !minor) return std::nullopt;
  return ChunkVersion{*major, *minor};
}

}  // namespace shardtool
