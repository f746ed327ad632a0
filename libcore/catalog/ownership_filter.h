// OwnershipFilter (doc/acquisition.md §4): which slots this host's shard owns in one collection, as
// answered from one catalog snapshot's chunks. MongoDB's ShardingOwnershipFilter; Gigablast's
// `getShardNum(rdbId, key) == myShard`.
//
// Built once per acquisition; Owned() is a bit test (hot path of verify and merge), the other
// queries use the owned ranges: sorted, disjoint, maximal [min,max) slot runs (adjacent owned
// chunks are joined). Immutable and cheap to copy (1 KiB bitmap plus the ranges).
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "format/rdb_registry.h"

namespace shardtool {

// The slots `shard` owns in `c`, as sorted maximal [min,max) runs.
std::vector<SlotRange> OwnedRanges(const CollectionEntry& c, int32_t shard);
// Joins a sorted list of ranges where they touch or overlap; drops empty ones.
std::vector<SlotRange> CoalesceRanges(std::vector<SlotRange> ranges);
// a minus b; both sorted and disjoint; the result too.
std::vector<SlotRange> SubtractRanges(const std::vector<SlotRange>& a,
                                      const std::vector<SlotRange>& b);
// Sorted disjoint intersection.
std::vector<SlotRange> IntersectRanges(const std::vector<SlotRange>& a,
                                       const std::vector<SlotRange>& b);

// Slot ranges for people: "0-98,100,..." listing at most max_items runs, then "(N slots)";
// "none" when empty.
std::string SlotRangesText(const std::vector<SlotRange>& ranges, size_t max_items = 8);

class OwnershipFilter {
 public:
  // The filter of `shard` for the sharded collection `c` (whose Rdb is `rdb`).
  // REQUIRES: c.sharded and rdb is c's Rdb.
  OwnershipFilter(const CollectionEntry& c, int32_t shard, const RdbInfo& rdb);
  // A filter from owned ranges directly (sorted, disjoint).
  OwnershipFilter(std::vector<SlotRange> owned, const RdbInfo& rdb);

  // owned(slot): false for slots outside 0..8191.
  bool Owned(int slot) const {
    return slot >= 0 && slot < kNumSlots && bits_.test(static_cast<size_t>(slot));
  }
  // keyOwned(key) = owned(slot(key)) with the Rdb's slot function (doc/format.md §2, §7).
  // REQUIRES: key is a full key of the Rdb's key size.
  bool KeyOwned(const uint8_t* key) const { return Owned(KeySlot(*rdb_, key)); }
  // isRangeEntirelyOwned(a, b): every slot of [a, b) is owned. An empty range (a >= b) is.
  bool IsRangeEntirelyOwned(int a, int b) const;
  // The owned slots as sorted maximal [min,max) runs.
  const std::vector<SlotRange>& OwnedRanges() const { return ranges_; }
  // Number of owned slots.
  int NumOwned() const { return static_cast<int>(bits_.count()); }
  const RdbInfo& rdb() const { return *rdb_; }

 private:
  std::bitset<kNumSlots> bits_;
  std::vector<SlotRange> ranges_;
  const RdbInfo* rdb_;
};

}  // namespace shardtool
