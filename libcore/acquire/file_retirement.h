// File retirement (doc/acquisition.md §6): how replaced data files leave a collection without
// pulling them from under a reader.
//
// A merge's commit lists its inputs in shardtool/journal/retired.<uuid>.json (RetireFiles); from
// then on they are out of every snapshot (local_snapshot.h), but they stay on disk while a live
// lease lists them. A retired file no live lease lists is deleted — all its parts, its map, its
// checksum sidecar, a directory sync, then its entry — by DeleteUnpinnedRetiredFiles, which every
// write acquisition of the collection runs (it holds coll X), and which the release of the last
// handle of any acquisition of the collection tries (TryDeleteRetiredFiles: coll X once, without
// waiting, after the releasing call's own locks are gone; skipped when busy). The directory is
// synced before the entry goes, so a crash never brings back a deleted-but-unlisted file as a
// committed one. A list that becomes empty is removed, so that releases see "nothing retired" with
// one stat. The inputs of a merge whose journal is still there (its inputs were pinned when it
// committed, so its target kept its merge-file name) are not deleted here: the merge's next run
// removes them and renames the target, so the directory never holds the merged data under its
// temporary name alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "acquire/lease.h"
#include "base/status.h"
#include "catalog/discovery.h"
#include "io/lock_manager.h"

namespace shardtool {

// Adds `files` to the collection's retired list (atomically; a file already listed is kept once).
// REQUIRES: the caller holds the collection's lock exclusively (a write acquisition).
Status RetireFiles(FileSystem* fs, const std::string& workdir, const std::string& uuid,
                   const std::vector<CommittedFile>& files, const std::string& retired_by,
                   int64_t now);

struct RetiredDeletionReport {
  std::vector<std::string> deleted;  // part-0 names whose files and entry are gone
  std::vector<std::string> pinned;   // still listed by a live lease
  std::vector<std::string>
      merge_inputs;      // inputs of an unfinished merge: its next run removes them
  bool skipped = false;  // TryDeleteRetiredFiles: coll X was busy
};

// Deletes every retired file of collection `uuid` (data dir `db_dir`) that no live lease lists;
// stale leases are reaped on the way. REQUIRES: the caller holds the collection's lock
// exclusively.
Result<RetiredDeletionReport> DeleteUnpinnedRetiredFiles(const LeaseStore& leases,
                                                         const std::string& db_dir,
                                                         const std::string& uuid);

// Takes coll X once without waiting and runs DeleteUnpinnedRetiredFiles. When the lock is busy,
// or this process already holds the collection's lock in any mode (another job of the process
// owns it), nothing is done: skipped. Ok at once when the collection has no retired list.
Result<RetiredDeletionReport> TryDeleteRetiredFiles(LockManager* locks, const LeaseStore& leases,
                                                    const std::string& db_dir,
                                                    const std::string& uuid);

}  // namespace shardtool
