// Exactly-once commits to import targets (issue 6, doc/format.md §9 [sd]).
//
// A target is one place a batch of an import becomes durable and visible: a host's collection dir
// (new data files), a staged bundle of a shard, or the quarantine. Targets live in different
// working dirs, so one atomic step across them is impossible; instead each target keeps a *ledger*
// of which source range it holds, and a commit is idempotent:
//
//   1. the batch's records are written under temporary names (data "<name>.import.tmp" without
//      ".dat" — map and sidecar likewise; a bundle in a hidden ".pending/" dir) and fsynced;
//   2. the ledger gets an entry {target, from, to, slots, items, state "committing"} by atomic
//      replace: from this instant the batch counts as held by the target (the commit point);
//   3. the items are renamed into place (map and sidecar before the data, whose name makes the
//      file visible) and the directory fsynced.
// A later run first rolls every "committing" entry forward (renames what is still pending), and
// removes temporaries no entry names (a crash before step 2). A record at source position p of
// slot s is held by a target iff an entry has from <= p < to and s in slots; an import skips such
// records for that target, so a rerun after kill -9 at any instant gives each record exactly once.
// Entries that end at or before the importer's bookmark are pruned when the ledger is rewritten.
//
// Ledger files: "<workdir>/shardtool/journal/import-ledger.<db>.<rdb>.<srcid>.json" in each target
// host's working dir, and in the importer's for its staged bundles and quarantine entries.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "format/rdb_registry.h"
#include "io/file_system.h"
#include "jobs/import/import_source.h"

namespace shardtool {

// One item made visible by a commit: a rename from -> to (a data, map or sidecar file, or a
// bundle directory).
struct LedgerRename {
  std::string from, to;  // absolute (or workdir-joined) paths
};

struct LedgerEntry {
  std::string target;  // "host3", "stage.s1", "quarantine", "ingest"
  SourcePos from, to;
  std::bitset<kNumSlots> slots;       // stored as 2048 hex digits (bit i = slot i)
  std::vector<LedgerRename> renames;  // in order; the last one makes the batch visible
  std::string label;                  // e.g. a bundle identity for ingest
  bool committing = false;
};

class ImportLedger {
 public:
  ImportLedger(FileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  // Reads the ledger (none yet: empty).
  Status Load();
  const std::vector<LedgerEntry>& entries() const { return entries_; }
  // True when `target` holds the record at `pos` of slot `slot`.
  bool Holds(const std::string& target, const SourcePos& pos, int slot) const;
  // True when an entry of `target` carries this label (ingest's bundle identity).
  bool HasLabel(const std::string& target, const std::string& label) const;
  // Renames what committing entries still have pending, fsyncs the directories, marks them done
  // in memory. Returns the number of renames done.
  Result<int> RollForward();
  // Step 2: appends `entry` (committing), drops entries ending at or before `prune_before`
  // (only those of `prune_targets`' kind: all when empty), and replaces the file atomically.
  Status Commit(LedgerEntry entry, const SourcePos& prune_before);
  // Step 3 for the last committed entry: renames, directory fsyncs.
  Status Publish();
  const std::string& path() const { return path_; }

 private:
  Status Write();
  Status DoRenames(LedgerEntry& e, int* done);

  FileSystem* fs_;
  std::string path_;
  std::vector<LedgerEntry> entries_;
};

// The slots of sorted ranges as a bitset.
std::bitset<kNumSlots> SlotBits(const std::vector<SlotRange>& ranges);

// "import-ledger.<db>.<rdb>.<srcid>.json" under workdir/shardtool/journal.
std::string ImportLedgerPath(const std::string& workdir, const std::string& db,
                             const std::string& rdb, const std::string& srcid);
// srcid: 8 hex digits of the CRC32C of the source directory's canonical absolute path.
std::string SourceId(const std::string& canonical_dir);

}  // namespace shardtool
