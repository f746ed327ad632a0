// The merge journal shardtool/journal/merge.<uuid>.json (doc/architecture.md §2, §6): what a rerun
// needs to continue an interrupted merge of one collection, or to finish its incorporate,
// bit-identical to an uninterrupted run.
//
//   {"schema_version": 1, "job": "merge", "state": "merging" | "incorporating", "phase": "" |
//   "rename",
//    "ns", "uuid", "database", "rdb", "dir",            dir: the database dir, relative to workdir
//    "inputs": [{"name", "id", "size", "records", "start"}],      oldest first
//    "target": {"data", "map", "crc"}, "final": {"data", "map", "crc"},
//    "part_size", "drop_negatives", "cleanup_orphans", "whole_set", "orphans_to", "orphan_sink",
//    "misplaced",                                        true: a `repair misplaced` merge (absent:
//                                                        false); its "drop" slots are the misplaced
//                                                        ones, its "unexpected" ones the orphans
//    "quarantine_bad",
//    "slots": {"drop": [[a,b],...], "deferred_not_ready": [...], "deferred_lease_held": [...],
//              "unexpected": [...]},                     the orphan verdicts frozen at the start
//    "owners": [[a,b,shard],...],                        owner shard of each unowned slot range
//    "catalog": {"epoch", "version", "shard_version"},
//    "started", "updated",                               Unix seconds
//    "checkpoint": {"target_size", "last_key", "last_out_key" (hex or null), "records_in",
//                   "records_out",
//                   "annihilated", "negatives_dropped", "orphans_dropped", "orphans_exported",
//                   "orphans_deferred", "orphans_unexpected", "damaged_ranges", "damaged_bytes",
//                   "bytes_in", "peak_extra_disk",
//                   "parts_chopped", "chopped_bytes"},
//    "bundles": [{"dir", "target_shard", "streams": [{stream info of doc/format.md §10.2/§10.3}]}],
//    "damaged_bundle": null | {"dir", "target_shard", "streams"}}   --quarantine-bad's entry
//
// Journals written before quarantine_bad and the damaged_* fields existed read as false / 0 /
// null.
//
// It is written atomically (temp, fsync, rename, directory fsync) before the target is created,
// at every checkpoint (after the target and the bundle streams it lists are durable), and before
// the incorporate starts; it is removed when the incorporate is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "io/file_system.h"
#include "jobs/bundle/bundle_writer.h"

namespace shardtool {

struct MergeCounters {
  int64_t records_in = 0;  // input records consumed (every version)
  int64_t records_out = 0;
  int64_t annihilated = 0;         // older versions shadowed by a newer one of the same key
  int64_t negatives_dropped = 0;   // surviving negatives left out (§8.3)
  int64_t orphans_dropped = 0;     // left out of the output (to the bundles or quarantine)
  int64_t orphans_exported = 0;    // of which written to --orphans-to bundles
  int64_t orphans_deferred = 0;    // kept: rangeDeletion not ready or blocked by a lease
  int64_t orphans_unexpected = 0;  // kept: not owned and no rangeDeletion covers the slot
  int64_t damaged_ranges = 0;      // --quarantine-bad: damaged byte ranges of the inputs left out
  uint64_t damaged_bytes = 0;      // and their bytes (to the quarantine as raw bytes)
  uint64_t bytes_in = 0;           // input bytes consumed
  friend bool operator==(const MergeCounters&, const MergeCounters&) = default;
};

struct MergeJournalInput {
  std::string name;  // part-0 data name
  int32_t id = 0;
  uint64_t size = 0;    // logical size at the start
  int64_t records = 0;  // from its map at the start (-1 when unknown)
  uint64_t start = 0;   // logical offset of its first readable record at the start
};

struct MergeJournalBundle {
  std::string dir;  // bundle dir name (without .tmp) inside the sink dir
  int32_t target_shard = 0;
  std::vector<BundleStreamInfo> streams;  // finished, durable streams
};

struct MergeJournal {
  std::string state = "merging";  // "merging" or "incorporating"
  // While incorporating: "" (bundles, retire and remove the inputs) or "rename" (the inputs are
  // gone and unlisted: only the target's rename to the final names is left).
  std::string phase;
  std::string ns, uuid, database, rdb, dir;
  std::vector<MergeJournalInput> inputs;
  std::string target_data, target_map, target_crc;
  std::string final_data, final_map, final_crc;
  uint64_t part_size = 0;
  bool drop_negatives = false;
  bool cleanup_orphans = false;
  bool whole_set = false;   // the inputs are every committed file of the collection
  std::string orphans_to;   // absolute sink dir for bundles, "" when none
  std::string orphan_sink;  // where dropped orphans go: "bundles", "quarantine" or "" (none)
  bool misplaced = false;   // `repair misplaced`: the dropped slots are misplaced, not orphans
  // --quarantine-bad: damaged input pages are left out and written to the quarantine (raw bytes,
  // reason "corrupt-page") instead of stopping the merge; the entry is `damaged_bundle`, in
  // shardtool/quarantine/ whatever the orphan sink.
  bool quarantine_bad = false;
  std::vector<SlotRange> drop_slots, not_ready_slots, lease_held_slots, unexpected_slots;
  std::vector<std::pair<SlotRange, int32_t>> owners;  // unowned slot ranges and their owner
  std::string catalog_epoch;
  uint64_t catalog_version = 0;
  std::string shard_version;
  int64_t started = 0, updated = 0;
  // The last checkpoint.
  uint64_t target_size = 0;
  std::optional<std::string> last_key;      // hex of the last key the merge has passed
  std::optional<std::string> last_out_key;  // hex of the last key written to the target
  MergeCounters counters;
  uint64_t peak_extra_disk = 0;
  int64_t parts_chopped = 0;
  uint64_t chopped_bytes = 0;
  std::vector<MergeJournalBundle> bundles;
  std::optional<MergeJournalBundle> damaged_bundle;
};

std::string MergeJournalPath(const std::string& workdir, const std::string& uuid);
std::string SerializeMergeJournal(const MergeJournal& j);
// CorruptCatalog{path, detail} when the text is not a merge journal.
Result<MergeJournal> ParseMergeJournal(std::string_view text, const std::string& path);
// nullopt when the collection has no journal.
Result<std::optional<MergeJournal>> ReadMergeJournal(FileSystem* fs, const std::string& workdir,
                                                     const std::string& uuid);
// Atomic replace (creates shardtool/journal/ when needed).
Status WriteMergeJournal(FileSystem* fs, const std::string& workdir, const MergeJournal& j);
// Removes the journal and fsyncs the journal dir. Ok when there is none.
Status RemoveMergeJournal(FileSystem* fs, const std::string& workdir, const std::string& uuid);

}  // namespace shardtool
