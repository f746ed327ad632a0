// Placement versions and their text forms (doc/acquisition.md §2), used in the catalog, on the
// command line (--placement), in errors and in leases.
//
//   collection generation  {epoch: uuid, timestamp}: a new epoch and timestamp+1 on every reshard
//   shard version          "<epoch>/<timestamp>/<M>|<m>", or "UNTRACKED", or "IGNORED"
//   db version             "<uuid>/<lastMod>"
//
// The shard version of shard S for a collection c is UNTRACKED when c is not sharded or S owns no
// chunk of it, *unknown* when c is sharded with a null generation (placement unknown; it has no
// text form and is null in JSON), and else {c.generation, the highest version of S's chunks}.
// Two versioned shard versions are ordered only within one generation (same epoch and timestamp):
// by (major, minor); across generations, and between different kinds, they are unordered.
// UUIDs in text are read in either case and kept lower-case.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/chunk_version.h"

namespace shardtool {

struct CollectionGeneration {
  std::string epoch;  // lower-case v4 UUID
  uint64_t timestamp = 0;

  friend bool operator==(const CollectionGeneration&, const CollectionGeneration&) = default;
};

class ShardVersion {
 public:
  enum class Kind { kVersioned, kUntracked, kIgnored, kUnknown };

  ShardVersion() = default;  // UNTRACKED
  static ShardVersion Untracked() { return ShardVersion(Kind::kUntracked); }
  static ShardVersion Ignored() { return ShardVersion(Kind::kIgnored); }
  static ShardVersion Unknown() { return ShardVersion(Kind::kUnknown); }
  static ShardVersion Versioned(CollectionGeneration generation, ChunkVersion version);

  Kind kind() const { return kind_; }
  bool is_versioned() const { return kind_ == Kind::kVersioned; }
  bool is_untracked() const { return kind_ == Kind::kUntracked; }
  bool is_ignored() const { return kind_ == Kind::kIgnored; }
  bool is_unknown() const { return kind_ == Kind::kUnknown; }
  // REQUIRES: is_versioned() (else an empty generation and 0|0).
  const CollectionGeneration& generation() const { return generation_; }
  const ChunkVersion& version() const { return version_; }

  // "<epoch>/<timestamp>/<M>|<m>", "UNTRACKED", "IGNORED"; "unknown" for the unknown version
  // (for messages only: it is never parsed back).
  std::string ToString() const;
  // Parses the three text forms; nullopt on anything else (callers choose the error: UsageError on
  // the command line, CorruptCatalog in the catalog).
  static std::optional<ShardVersion> Parse(std::string_view text);

  friend bool operator==(const ShardVersion&, const ShardVersion&) = default;
  friend std::partial_ordering operator<=>(const ShardVersion& a, const ShardVersion& b);

 private:
  explicit ShardVersion(Kind kind) : kind_(kind) {}

  Kind kind_ = Kind::kUntracked;
  CollectionGeneration generation_;
  ChunkVersion version_;
};

// True when both are versioned with the same epoch and timestamp.
bool SameGeneration(const ShardVersion& a, const ShardVersion& b);

struct DbVersion {
  std::string uuid;  // lower-case v4 UUID
  uint64_t last_mod = 0;

  // "<uuid>/<lastMod>".
  std::string ToString() const;
  static std::optional<DbVersion> Parse(std::string_view text);

  friend bool operator==(const DbVersion&, const DbVersion&) = default;
};

}  // namespace shardtool
