// CatalogCache: the process-wide cache of parsed catalogs (doc/acquisition.md §7: "skip parsing if
// its inode, size and mtime are unchanged"), and CatalogSnapshot, one parsed catalog.json with what
// acquisitions derive from it.
//
// Why: a default catalog has up to 8192 chunks per sharded collection, and parsing one such
// collection costs ~36 ms, while an acquisition must cost less than a 1 MiB page-cache read. So an
// acquisition stats catalog.json and reuses the cached parse when nothing changed, and everything
// proportional to chunks (this shard's version, ownership bitmaps, the slot owner table) is
// computed once per parsed catalog and shared by every acquisition made from it.
//
// Validity of a cache hit: the file's (inode, size, mtime) equal those of the cached parse AND its
// first kHeaderBytes bytes equal the cached ones. The header check is there because inode numbers
// are reused and mtimes are coarse (one kernel tick), so two quick rewrites can leave the stat
// triple unchanged; the header holds catalogEpoch and catalogVersion, and every rewrite bumps the
// version, so a rewrite always changes the header.
//
// Once a hit was verified by the header while the file's stat stamp (dev, inode, size, mtime,
// ctime) was settled (mtime and ctime at least kSettledMicros old), later hits with that same stamp
// skip the header read: ctime cannot be set by users and moves to "now" on any change of the
// inode, so an equal settled stamp means the same inode unchanged since the verification. File
// systems without a ctime (0) always read the header.
//
// A CatalogSnapshot is immutable (lazily built members are computed under std::call_once) and
// shared: acquisitions keep it alive with a shared_ptr for as long as they use its chunks.
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acquire/slot_list.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/ownership_filter.h"
#include "io/file_system.h"

namespace shardtool {

// Slot -> owning shard, for jobs that report where misplaced records belong.
using SlotOwnerTable = std::array<int16_t, kNumSlots>;

class CatalogSnapshot {
 public:
  CatalogSnapshot(Catalog catalog, FileStat stat, std::string header, std::string path);
  CatalogSnapshot(const CatalogSnapshot&) = delete;
  CatalogSnapshot& operator=(const CatalogSnapshot&) = delete;

  const Catalog& catalog() const { return catalog_; }
  const std::string& epoch() const { return catalog_.epoch; }
  uint64_t version() const { return catalog_.version; }
  const FileStat& stat() const { return stat_; }
  const std::string& path() const { return path_; }
  int32_t this_shard() const { return this_shard_; }

  // Lookups in O(log n) (nullptr when absent). Pointers live as long as the snapshot.
  const DatabaseEntry* FindDatabase(std::string_view name) const;
  const CollectionEntry* FindCollection(std::string_view ns) const;
  const CollectionEntry* FindCollectionByUuid(std::string_view uuid) const;
  const ViewEntry* FindView(std::string_view ns) const;

  // Derived per collection. REQUIRES: `c` is an entry of this snapshot's catalog.
  // This shard's current version (CurrentShardVersion), computed at load.
  const ShardVersion& CurrentVersion(const CollectionEntry& c) const;
  // This shard's ownership filter. REQUIRES: c.sharded. Built on first use.
  std::shared_ptr<const OwnershipFilter> Filter(const CollectionEntry& c) const;
  // This shard's owned runs with their JSON text, for leases. REQUIRES: c.sharded. Built with the
  // filter.
  SlotListPtr OwnedSlots(const CollectionEntry& c) const;
  // Owner of every slot (-1 where no chunk covers it). Built on first use.
  std::shared_ptr<const SlotOwnerTable> SlotOwners(const CollectionEntry& c) const;

 private:
  struct Derived;
  size_t IndexOf(const CollectionEntry& c) const;

  Catalog catalog_;
  FileStat stat_;
  std::string header_;
  std::string path_;
  int32_t this_shard_;
  std::unordered_map<std::string, size_t> by_uuid_;
  std::vector<std::unique_ptr<Derived>> derived_;  // parallel to catalog_.collections

  friend class CatalogCache;
};

class CatalogCache {
 public:
  // Bytes of catalog.json compared on a cache hit (see the comment atop this file).
  static constexpr size_t kHeaderBytes = 512;
  static constexpr int64_t kSettledMicros = 2000000;

  CatalogCache() = default;
  CatalogCache(const CatalogCache&) = delete;
  CatalogCache& operator=(const CatalogCache&) = delete;

  // The catalog of `workdir`, parsed only when the file changed since the cached parse. Errors as
  // CatalogStore::Load (NotFound without a catalog, CorruptCatalog, I/O errors).
  Result<std::shared_ptr<const CatalogSnapshot>> Get(FileSystem* fs, const std::string& workdir);

  // Primes the cache with a catalog the caller knows to be the one in workdir's catalog.json
  // (e.g. the result of the update that wrote it), sparing the next Get a parse. The file's header
  // must name the catalog's epoch and version, else InternalError and nothing is cached.
  Status Prime(FileSystem* fs, const std::string& workdir, const Catalog& catalog);

  // Forgets every cached catalog.
  void Clear();
  // Number of parses done (tests check that hits do not parse).
  uint64_t parses() const;

  // The process-wide cache (never destroyed).
  static CatalogCache* Process();

 private:
  mutable std::mutex mu_;
  std::map<std::pair<FileSystem*, std::string>, std::shared_ptr<const CatalogSnapshot>> entries_;
  // Per entry: its stamp once verified while settled (see the comment atop the file).
  std::map<std::pair<FileSystem*, std::string>, FileStat> settled_;
  uint64_t parses_ = 0;
};

}  // namespace shardtool
