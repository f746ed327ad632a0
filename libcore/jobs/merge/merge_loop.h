// The per-record loop of the merge job, compiled once per Rdb layout (key size, slot function) and
// output sink: for each surviving version the MergingIterator gives, apply the orphan verdict of
// its slot (doc/acquisition.md §6; dropped records go to the hooks' sink, negatives included), then
// the negative rule (doc/format.md §8.3), and hand what is kept to the sink (the TargetWriter, or a
// counting sink for --dry-run). Every `check_every` records or `check_bytes` bytes the hooks'
// Tick() runs (progress, stop flag, rate limit, checkpoints, disk budget) at a clean point: every
// record up to the last key has been handled. Internal to the merge job.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <vector>

#include "base/status.h"
#include "format/key.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"
#include "jobs/merge/merge_journal.h"
#include "jobs/merge/orphan_policy.h"

namespace shardtool {

struct MergeLoopState {
  const OrphanVerdict* verdicts = nullptr;  // kNumSlots entries; nullptr: no orphan handling
  bool drop_negatives = false;
  uint32_t check_every = 4096;
  // ...or after this many input bytes, whichever comes first: large records (titlerecs of tens of
  // KB) must not let the stop flag, --max-duration and --rate go unchecked for hundreds of MB.
  uint64_t check_bytes = uint64_t{1} << 20;
  MergeCounters* counters = nullptr;
  // The last key the merge passed (written or dropped) and the last key written.
  uint8_t last_key[kMaxKeySize] = {};
  bool have_last = false;
  uint8_t last_out[kMaxKeySize] = {};
  bool have_out = false;
  // Slots that had records, per verdict (orphan handling only).
  std::array<std::bitset<kNumSlots>, 5> slots_seen;
};

class MergeLoopHooks {
 public:
  virtual ~MergeLoopHooks() = default;
  // A record of a slot whose verdict is kDrop, from input `source`.
  virtual Status DropOrphan(const Record& rec, size_t source, int slot) = 0;
  // The periodic check; true stops the loop at this clean point.
  virtual Result<bool> Tick() = 0;
};

// Counts what a --dry-run merge would write: the exact encoded size, nothing written.
class CountingSink {
 public:
  explicit CountingSink(const RdbInfo& rdb) : enc_(rdb) {}
  // Continues after `size` bytes whose last record has full key `last` (nullptr: none yet).
  void Seed(uint64_t size, const uint8_t* last) {
    size_ = size;
    if (last != nullptr) enc_.SeedLastKey(last);
  }
  Status Add(const uint8_t* key, const uint8_t* data, uint32_t data_size) {
    const size_t max = enc_.MaxEncodedSize(data_size);
    if (scratch_.size() < max) scratch_.resize(max);
    size_ += enc_.EncodeTo(key, data, data_size, scratch_.data());
    return Status::Ok();
  }
  uint64_t size() const { return size_; }

 private:
  RecordEncoder enc_;
  std::vector<uint8_t> scratch_;
  uint64_t size_ = 0;
};

template <int KS, SlotKind SK, typename It, typename Sink>
Status RunMergeLoop(It& it, Sink& sink, MergeLoopState& st, MergeLoopHooks& hooks) {
  MergeCounters& c = *st.counters;
  uint64_t shadowed0 = it.shadowed();
  int64_t survivors = 0;
  uint32_t n = 0;
  uint64_t bytes = 0;  // input bytes of the survivors since the last check
  // Moves the loop's local counts into the counters (records_in counts every version).
  auto settle = [&]() {
    const uint64_t sh = it.shadowed() - shadowed0;
    c.records_in += survivors + static_cast<int64_t>(sh);
    c.annihilated += static_cast<int64_t>(sh);
    shadowed0 = it.shadowed();
    survivors = 0;
  };
  while (it.Valid()) {
    const Record& r = it.record();
    const uint8_t* key = r.key;
    bool keep = true;
    if (st.verdicts != nullptr) {
      const int slot = KeySlotT<SK>(key);
      const OrphanVerdict v = st.verdicts[slot];
      if (v != OrphanVerdict::kOwned) {
        st.slots_seen[static_cast<size_t>(v)].set(static_cast<size_t>(slot));
        if (v == OrphanVerdict::kDrop) {
          RETURN_IF_ERROR(hooks.DropOrphan(r, it.source(), slot));
          c.orphans_dropped++;
          keep = false;
        } else if (v == OrphanVerdict::kUnexpected) {
          c.orphans_unexpected++;
        } else {
          c.orphans_deferred++;
        }
      }
    }
    if (keep && r.negative && st.drop_negatives) {
      c.negatives_dropped++;
      keep = false;
    }
    if (keep) {
      RETURN_IF_ERROR(sink.Add(key, r.data, r.data_size));
      c.records_out++;
      CopyKeyT<KS>(st.last_out, key);
      st.have_out = true;
    }
    CopyKeyT<KS>(st.last_key, key);
    st.have_last = true;
    survivors++;
    bytes += r.size;
    it.Next();
    if (++n >= st.check_every || bytes >= st.check_bytes) {
      n = 0;
      bytes = 0;
      settle();
      ASSIGN_OR_RETURN(bool stop, hooks.Tick());
      if (stop) return it.status();
    }
  }
  settle();
  return it.status();
}

}  // namespace shardtool
