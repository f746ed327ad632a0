// ShardingDescription (doc/acquisition.md §4): what an acquisition knows about a collection's
// placement. Sharded: the generation, all chunks, this shard's version and the ownership filter of
// this host's shard, all taken from one catalog snapshot. Unsharded: everything is visible (orphans
// too); asking for a filter is InternalError.
//
// Requests without a shardVersion always get an unsharded description; with one (IGNORED and
// UNTRACKED included) a sharded collection gets its sharded description.
//
// Cheap to copy and immutable: the chunks, the filter and the slot owner table are shared with the
// cached catalog they came from (catalog_cache.h), so making one costs nothing proportional to the
// number of chunks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "acquire/catalog_cache.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/ownership_filter.h"

namespace shardtool {

class ShardingDescription {
 public:
  // Unsharded.
  ShardingDescription() = default;
  // The sharded description of `c` in `snap` for this host's shard. REQUIRES: c.sharded with a
  // known generation, and c an entry of snap.
  static ShardingDescription FromCatalog(std::shared_ptr<const CatalogSnapshot> snap,
                                         const CollectionEntry& c);
  // A sharded description from recorded parts (a stash adopted in another process).
  static ShardingDescription FromParts(CollectionGeneration generation, std::vector<Chunk> chunks,
                                       ShardVersion version, int32_t shard, const RdbInfo& rdb);

  bool is_sharded() const { return sharded_; }
  // Sharded only (nullopt when unsharded).
  const std::optional<CollectionGeneration>& generation() const { return generation_; }
  // Every chunk of the collection (empty when unsharded).
  const std::vector<Chunk>& chunks() const;
  // This shard's version (UNTRACKED when unsharded).
  const ShardVersion& shard_version() const { return version_; }
  int32_t shard() const { return shard_; }
  // InternalError without a sharded description (doc/acquisition.md §4).
  Result<const OwnershipFilter*> ownership_filter() const;
  // The filter's owned runs as a shared SlotList (sharded only; nullptr otherwise).
  const SlotListPtr& owned_slots() const { return owned_slots_; }
  // The owner of every slot (sharded only; InternalError otherwise).
  Result<std::shared_ptr<const SlotOwnerTable>> slot_owners() const;

 private:
  bool sharded_ = false;
  std::optional<CollectionGeneration> generation_;
  std::shared_ptr<const std::vector<Chunk>> chunks_;
  ShardVersion version_;
  int32_t shard_ = -1;
  std::shared_ptr<const OwnershipFilter> filter_;
  SlotListPtr owned_slots_;
  std::shared_ptr<const CatalogSnapshot> catalog_;  // null for FromParts
  const CollectionEntry* entry_ = nullptr;
};

}  // namespace shardtool
