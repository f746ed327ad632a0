#include "catalog/shard_version.h"

#include "catalog/uuid.h"

namespace shardtool {

ShardVersion ShardVersion::Versioned(CollectionGeneration generation, ChunkVersion version) {
  ShardVersion v(Kind::kVersioned);
  v.generation_ = std::move(generation);
  v.version_ = version;
  return v;
}

std::string ShardVersion::ToString() const {
  switch (kind_) {
    case Kind::kVersioned:
      return generation_.epoch + "/" + std::to_string(generation_.timestamp) + "/" +
             version_.ToString();
    case Kind::kUntracked:
      return "UNTRACKED";
    case Kind::kIgnored:
      return "IGNORED";
    case Kind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<ShardVersion> ShardVersion::Parse(std::string_view text) {
  if (text == "UNTRACKED") return Untracked();
  if (text == "IGNORED") return Ignored();
  const size_t s1 = text.find('/');
  if (s1 == std::string_view::npos) return std::nullopt;
  const size_t s2 = text.find('/', s1 + 1);
  if (s2 == std::string_view::npos) return std::nullopt;
  auto epoch = NormalizeUuid(text.substr(0, s1));
  auto timestamp = ParseDecimalU64(text.substr(s1 + 1, s2 - s1 - 1));
  auto version = ChunkVersion::Parse(text.substr(s2 + 1));
  if (!epoch || !timestamp || !version) return std::nullopt;
  return Versioned({*epoch, *timestamp}, *version);
}

std::partial_ordering operator<=>(const ShardVersion& a, const ShardVersion& b) {
  if (a.kind() != b.kind()) return std::partial_ordering::unordered;
  if (!a.is_versioned()) return std::partial_ordering::equivalent;
  if (a.generation() != b.generation()) return std::partial_ordering::unordered;
  return a.version() <=> b.version();
}

bool SameGeneration(const ShardVersion& a, const ShardVersion& b) {
  return a.is_versioned() && b.is_versioned() && a.generation() == b.generation();
}

std::string DbVersion::ToString() const { return uuid + "/" + std::to_string(last_mod); }

std::optional<DbVersion> DbVersion::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto uuid = NormalizeUuid(text.substr(0, slash));
  auto last_mod = ParseDecimalU64(text.substr(slash + 1));
  if (!uuid || !last_mod) return std::nullopt;
  return DbVersion{*uuid, *last_mod};
}

}  // namespace shardtool
