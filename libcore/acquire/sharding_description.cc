#include "acquire/sharding_description.h"

#include <algorithm>

namespace shardtool {
namespace {

const std::vector<Chunk>& NoChunks() {
  static const auto* empty = new std::vector<Chunk>();
  return *empty;
}

}  // namespace

ShardingDescription ShardingDescription::FromCatalog(std::shared_ptr<const CatalogSnapshot> snap,
                                                     const CollectionEntry& c) {
  ShardingDescription d;
  d.sharded_ = true;
  d.generation_ = c.generation;
  // Aliasing: the chunks stay owned by the snapshot, which this description keeps alive.
  d.chunks_ = std::shared_ptr<const std::vector<Chunk>>(snap, &c.chunks);
  d.version_ = snap->CurrentVersion(c);
  d.shard_ = snap->this_shard();
  d.filter_ = snap->Filter(c);
  d.owned_slots_ = snap->OwnedSlots(c);
  d.entry_ = &c;
  d.catalog_ = std::move(snap);
  return d;
}

ShardingDescription ShardingDescription::FromParts(CollectionGeneration generation,
                                                   std::vector<Chunk> chunks, ShardVersion version,
                                                   int32_t shard, const RdbInfo& rdb) {
  ShardingDescription d;
  d.sharded_ = true;
  d.generation_ = std::move(generation);
  std::vector<SlotRange> owned;
  for (const Chunk& ch : chunks) {
    if (ch.shard == shard) owned.push_back({ch.min, ch.max});
  }
  d.filter_ = std::make_shared<const OwnershipFilter>(std::move(owned), rdb);
  d.owned_slots_ = MakeSlotList(d.filter_->OwnedRanges());
  d.chunks_ = std::make_shared<const std::vector<Chunk>>(std::move(chunks));
  d.version_ = std::move(version);
  d.shard_ = shard;
  return d;
}

const std::vector<Chunk>& ShardingDescription::chunks() const {
  return chunks_ ? *chunks_ : NoChunks();
}

Result<const OwnershipFilter*> ShardingDescription::ownership_filter() const {
  if (!sharded_ || !filter_) {
    return InternalErrorStatus(
               "no ownership filter: the acquisition has an unsharded description (request a "
               "shardVersion to get one; doc/acquisition.md §4)")
        .With("what", "ownership filter of an unsharded description");
  }
  return filter_.get();
}

Result<std::shared_ptr<const SlotOwnerTable>> ShardingDescription::slot_owners() const {
  if (!sharded_) {
    return InternalErrorStatus("no slot owners: the acquisition has an unsharded description")
        .With("what", "slot owners of an unsharded description");
  }
  if (catalog_ != nullptr) return catalog_->SlotOwners(*entry_);
  auto table = std::make_shared<SlotOwnerTable>();
  table->fill(-1);
  for (const Chunk& ch : chunks()) {
    for (int32_t s = std::max(ch.min, 0); s < std::min(ch.max, kNumSlots); s++) {
      (*table)[static_cast<size_t>(s)] = static_cast<int16_t>(ch.shard);
    }
  }
  return std::shared_ptr<const SlotOwnerTable>(std::move(table));
}

}  // namespace shardtool
