#include "jobs/import/import_batch.h"

#include <algorithm>

#include "format/key.h"

namespace shardtool::import_detail {

std::vector<int32_t> RoutingTable(const Catalog& cat, const CollectionEntry* c) {
  std::vector<int32_t> owner(kNumSlots);
  if (c != nullptr && c->sharded && !c->chunks.empty()) {
    for (const Chunk& ch : c->chunks) {
      for (int s = ch.min; s < ch.max; ++s) owner[static_cast<size_t>(s)] = ch.shard;
    }
  } else {
    for (int s = 0; s < kNumSlots; ++s) owner[static_cast<size_t>(s)] = s % cat.cluster.num_shards;
  }
  return owner;
}

std::vector<SlotRange> RangesOf(const std::vector<int32_t>& owner, int32_t shard) {
  std::vector<SlotRange> out;
  for (int s = 0; s < kNumSlots; ++s) {
    if (owner[static_cast<size_t>(s)] != shard) continue;
    if (!out.empty() && out.back().max == s) {
      out.back().max = s + 1;
    } else {
      out.push_back({s, s + 1});
    }
  }
  return out;
}

std::vector<uint32_t> SortedDistinct(const Batch& b, const std::vector<BatchRec>& recs,
                                     std::vector<uint32_t> idx, int ks, int64_t* superseded) {
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t x, uint32_t y) {
    return CompareKeys(b.arena.data() + recs[x].off, b.arena.data() + recs[y].off, ks) < 0;
  });
  std::vector<uint32_t> out;
  for (uint32_t i : idx) {
    if (!out.empty() && CompareKeysNegEq(b.arena.data() + recs[out.back()].off,
                                         b.arena.data() + recs[i].off, ks) == 0) {
      out.back() = i;  // stable: later in source order
      if (superseded) ++*superseded;
      continue;
    }
    out.push_back(i);
  }
  return out;
}

TargetRecordRef RefOf(const Batch& b, const BatchRec& r, int ks) {
  const uint8_t* k = b.arena.data() + r.off;
  return {k, r.data_size ? k + ks : nullptr, r.data_size};
}

Result<bool> BatchSource::Next(SpillRecord* rec) {
  if (next_ >= idx_.size()) return false;
  const BatchRec& r = b_.recs[idx_[next_++]];
  rec->key = b_.arena.data() + r.off;
  rec->data = r.data_size > 0 ? rec->key + ks_ : nullptr;
  rec->data_size = r.data_size;
  rec->pos = r.pos;
  return true;
}

}  // namespace shardtool::import_detail
