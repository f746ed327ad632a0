// The catalog (doc/acquisition.md §2): the model of shardtool/catalog.json, its parser with every
// validation rule of §2, and its deterministic serialisation.
//
// A Catalog names the cluster (from hosts.conf), this host, the databases (Gigablast collections,
// with a dbVersion), the collections (one Rdb of a database: uuid, sharded or not, generation,
// part size and chunks), the views (a key range of a collection) and the pending range deletions
// of this host (slots its shard lost, whose orphaned records may be cleaned once ready).
//
// Invariants of a valid catalog (ValidateCatalog; ParseCatalog checks them all, and any breach is
// CorruptCatalog with the info fields `path` (the file) and `detail` (where in the document and
// what)):
//   - schema_version 1; catalogEpoch a v4 UUID; catalogVersion >= 1.
//   - cluster: numShards >= 1, numMirrors >= 0, hosts.size() == numShards * (numMirrors + 1),
//     hosts[i].id == i and hosts[i].shard == i % numShards; thisHost (and configHost when
//     present) indexes hosts.
//   - databases strictly sorted by name, collections and views strictly sorted by ns; names follow
//     the namespace rules; every collection and view belongs to a listed database; a name is a
//     collection or a view, never both; UUIDs are v4 and unique among databases and among
//     collections.
//   - a collection's rdb is a registry Rdb and `sharded` equals the Rdb's shardability. Not
//     sharded: generation null and chunks []. Sharded: chunks sorted, contiguous, covering
//     [0,8192) with shards in [0,numShards); generation null (placement unknown) also allows
//     chunks []. partSize is a positive multiple of 2048 x the Rdb's page size (doc/format.md §4).
//   - a view's viewOn is a collection of the same database; its keyRange [min,max) is hex of that
//     Rdb's key size with min < max.
//   - a range deletion names an existing sharded collection (ns and uuid agree); its slots are
//     non-empty, sorted, disjoint [min,max) pairs within [0,8192]; orphanedAt.version is a shard
//     version text; orphanedAt.catalogVersion <= catalogVersion.
// UUIDs are read in either case and kept lower-case; key hex likewise.
//
// Unknown members of every object survive a parse/serialise round trip (kept as JSON text in
// UnknownFields, in the order read), as long as the object itself survives: a replaced generation
// drops the unknown members of the old one. SerializeCatalog is deterministic: known members in
// the order of §2, then unknown ones; an object or array is printed on one line when that fits in
// 100 columns, else one member per line; the text ends with a newline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "catalog/chunk_version.h"
#include "catalog/shard_version.h"

namespace shardtool {

constexpr uint64_t kCatalogSchemaVersion = 1;
constexpr uint64_t kDefaultPartSize = 2013265920ULL;  // GB's MAX_PART_SIZE

// Members of a JSON object that this version of shardtool does not know: (name, JSON text).
struct UnknownFields {
  std::vector<std::pair<std::string, std::string>> members;
  bool empty() const { return members.empty(); }
  friend bool operator==(const UnknownFields&, const UnknownFields&) = default;
};

// A slot range [min, max), 0 <= min < max <= 8192.
struct SlotRange {
  int32_t min = 0;
  int32_t max = 0;
  friend bool operator==(const SlotRange&, const SlotRange&) = default;
  friend auto operator<=>(const SlotRange&, const SlotRange&) = default;
};

struct CatalogHost {
  int32_t id = 0;
  int32_t shard = 0;
  std::string workdir;
  std::string ip;
  UnknownFields extra;
  friend bool operator==(const CatalogHost&, const CatalogHost&) = default;
};

struct ClusterInfo {
  int32_t num_shards = 0;
  int32_t num_mirrors = 0;
  std::vector<CatalogHost> hosts;
  UnknownFields extra;
  friend bool operator==(const ClusterInfo&, const ClusterInfo&) = default;
};

struct DatabaseEntry {
  std::string name;
  int32_t collnum = 0;
  std::string uuid;
  std::optional<DbVersion> db_version;  // nullopt: db placement unknown
  UnknownFields extra;
  UnknownFields db_version_extra;
  // "coll.<name>.<collnum>".
  std::string DirName() const;
  friend bool operator==(const DatabaseEntry&, const DatabaseEntry&) = default;
};

struct Chunk {
  int32_t min = 0;
  int32_t max = 0;
  int32_t shard = 0;
  ChunkVersion version;
  UnknownFields extra;
  friend bool operator==(const Chunk&, const Chunk&) = default;
};

struct CollectionEntry {
  std::string ns;
  std::string uuid;
  std::string rdb;
  bool sharded = false;
  std::optional<CollectionGeneration> generation;  // nullopt: placement unknown (or not sharded)
  uint64_t part_size = kDefaultPartSize;
  std::vector<Chunk> chunks;
  UnknownFields extra;
  UnknownFields generation_extra;

  std::string_view db() const;
  std::string_view name() const;
  // Sharded with a null generation.
  bool placement_unknown() const { return sharded && !generation.has_value(); }
  friend bool operator==(const CollectionEntry&, const CollectionEntry&) = default;
};

struct ViewEntry {
  std::string ns;
  std::string view_on;
  std::string key_min;  // hex, most significant byte first, 2 x key size digits
  std::string key_max;
  UnknownFields extra;
  UnknownFields key_range_extra;
  friend bool operator==(const ViewEntry&, const ViewEntry&) = default;
};

struct OrphanedAt {
  std::string version;  // shard version text of this shard after the change
  uint64_t catalog_version = 0;
  int64_t time = 0;  // Unix seconds
  friend bool operator==(const OrphanedAt&, const OrphanedAt&) = default;
};

struct RangeDeletion {
  std::string ns;
  std::string uuid;
  std::vector<SlotRange> slots;
  OrphanedAt orphaned_at;
  int64_t ready_after = 0;  // Unix seconds
  UnknownFields extra;
  UnknownFields orphaned_at_extra;
  friend bool operator==(const RangeDeletion&, const RangeDeletion&) = default;
};

struct Catalog {
  uint64_t schema_version = kCatalogSchemaVersion;
  std::string epoch;
  uint64_t version = 0;
  ClusterInfo cluster;
  int32_t this_host = 0;
  // configHost (issue 17): set in a cluster catalog (one adopted with `catalog apply`), the host
  // that holds the authoritative catalog; only it changes placement or views. nullopt: a plain
  // single-host catalog (the member is absent).
  std::optional<int32_t> config_host;
  std::vector<DatabaseEntry> databases;
  std::vector<CollectionEntry> collections;
  std::vector<ViewEntry> views;
  std::vector<RangeDeletion> range_deletions;
  UnknownFields extra;

  // Lookups (nullptr when absent). Pointers are valid until the vectors change.
  const DatabaseEntry* FindDatabase(std::string_view name) const;
  const CollectionEntry* FindCollection(std::string_view ns) const;
  const CollectionEntry* FindCollectionByUuid(std::string_view uuid) const;
  const ViewEntry* FindView(std::string_view ns) const;
  DatabaseEntry* FindDatabase(std::string_view name);
  CollectionEntry* FindCollection(std::string_view ns);
  // cluster.hosts[thisHost].shard. REQUIRES: a valid catalog.
  int32_t this_shard() const;

  // Sorts databases by name, collections and views by ns (stable).
  void SortEntries();

  friend bool operator==(const Catalog&, const Catalog&) = default;
};

// The highest version of the chunks of `shard` (nullopt when it owns none).
std::optional<ChunkVersion> MaxChunkVersion(const CollectionEntry& c, int32_t shard);
// The highest version of any chunk (the collection version; nullopt when there are no chunks).
std::optional<ChunkVersion> CollectionVersion(const CollectionEntry& c);
// The shard version of `shard` for `c` (UNTRACKED / unknown / versioned; see shard_version.h).
ShardVersion ShardVersionOf(const CollectionEntry& c, int32_t shard);
// The current shard version: that of this host's shard.
ShardVersion CurrentShardVersion(const Catalog& catalog, const CollectionEntry& c);

// Checks every rule above. CorruptCatalog{path, detail} on the first breach.
Status ValidateCatalog(const Catalog& catalog, std::string_view path);
// Parses and validates catalog.json text. CorruptCatalog{path, detail} when the text is not JSON,
// a member is missing or of the wrong type, or a rule is broken.
Result<Catalog> ParseCatalog(std::string_view text, std::string_view path);
// The same parse without the chunk fast path (every chunk through the JSON document): tests and
// the catalog fuzz target check that both give the same result.
Result<Catalog> ParseCatalogSlowForTest(std::string_view text, std::string_view path);
// The canonical text (see the comment atop this file). REQUIRES: a valid catalog.
std::string SerializeCatalog(const Catalog& catalog);

// A CorruptCatalog Status with the info fields path and detail.
Status CorruptCatalogError(std::string_view path, std::string detail);

}  // namespace shardtool
