// A batch of an import (import_job.h): the records read from the source, kept in one arena, and
// what a commit needs of them: the routing table (slot -> shard), the slot ranges of a shard, and a
// shard's records sorted by key with duplicates resolved (newest source record wins).
#pragma once

#include <cstdint>
#include <vector>

#include "catalog/catalog.h"
#include "jobs/import/import_source.h"
#include "jobs/import/import_spill.h"
#include "jobs/import/import_target.h"

namespace shardtool::import_detail {

struct BatchRec {
  uint64_t off = 0;  // key then data in the arena
  uint32_t data_size = 0;
  int32_t slot = 0;
  SourcePos pos;
  int32_t file_index = 0;
  uint32_t stored_size = 0;
};

struct Batch {
  std::vector<uint8_t> arena;
  std::vector<BatchRec> recs;  // good positive records
  std::vector<BatchRec> bad;   // T1 failures (quarantine)
  SourcePos from, to;
  SourcePos commit_from;  // where the commit this batch belongs to starts (<= from)
  int64_t records_total = 0, negatives_total = 0;  // bookmark counters at `to`
  // Memory a batch takes when committed: its bytes, its records, and per record the sort index
  // and a target reference (TargetRecordRef).
  // (Two target references: the mirrors of a shard are written at once.)
  static constexpr size_t kPerRecord = sizeof(BatchRec) + 2 * sizeof(uint32_t) + 2 * 24;
  uint64_t bytes() const { return arena.size() + (recs.size() + bad.size()) * kPerRecord; }
  void Clear() {
    arena.clear();
    recs.clear();
    bad.clear();
  }
  void Add(std::vector<BatchRec>* into, const SourceRecord& r, int ks, int slot, SourcePos pos,
           int32_t file_index) {
    BatchRec b;
    b.off = arena.size();
    b.data_size = r.data_size;
    b.slot = slot;
    b.pos = pos;
    b.file_index = file_index;
    b.stored_size = r.size;
    arena.insert(arena.end(), r.key, r.key + ks);
    if (r.data_size > 0) arena.insert(arena.end(), r.data, r.data + r.data_size);
    into->push_back(b);
  }
};

// Routing: slot -> shard, from a collection's chunks (or the default map).
std::vector<int32_t> RoutingTable(const Catalog& cat, const CollectionEntry* c);
// The slots routed to `shard`, as sorted ranges.
std::vector<SlotRange> RangesOf(const std::vector<int32_t>& owner, int32_t shard);
// Sorts a shard's records (indexes into `recs`) by key; of equal keys the newest source record
// wins (counted in *superseded when given).
std::vector<uint32_t> SortedDistinct(const Batch& b, const std::vector<BatchRec>& recs,
                                     std::vector<uint32_t> idx, int ks, int64_t* superseded);
TargetRecordRef RefOf(const Batch& b, const BatchRec& r, int ks);

// The records idx (sorted, distinct) of a batch as a sorted source. REQUIRES: b and idx outlive it.
class BatchSource : public SortedSource {
 public:
  BatchSource(const Batch& b, const std::vector<uint32_t>& idx, int ks)
      : b_(b), idx_(idx), ks_(ks) {}
  Result<bool> Next(SpillRecord* rec) override;

 private:
  const Batch& b_;
  const std::vector<uint32_t>& idx_;
  int ks_;
  size_t next_ = 0;
};

}  // namespace shardtool::import_detail
