// The merge job (doc/format.md §8, doc/architecture.md §4, §6): Gigablast's RdbMerge for one
// collection (one Rdb of one database) on this host, crash-safe, resumable, within a disk budget,
// and aware of which slots this shard owns.
//
// Semantics (§8): n >= 2 consecutive data files, oldest first, are merged by key under cmpNegEq;
// of equal keys the version of the newest input survives; surviving negatives are dropped only
// when the first input is the lowest-id file present; the output is written canonically as
// <db>{f-1}.{n}.dat with map and checksum sidecar, in parts of the collection's part size, and
// then incorporated under the first input's name. With --cleanup-orphans (shardable Rdbs only)
// the records of slots this shard does not own are left out where the OrphanPolicy allows it,
// into --orphans-to bundles or the quarantine.
//
// Acquisition (doc/acquisition.md §3-§7): a write acquisition of the collection through the router
// (exclusive coll lock: a second merge of it gets LockTimeout, exit 4; current versions, or the
// --placement pins), a locked read for --dry-run. The loop yields on schedule; each restore
// re-checks the placement concern (StaleConfig / StaleDbVersion, exit 5; QueryPlanKilled, exit 6)
// and ends the run without writing anything more: what was checkpointed stays, a rerun continues.
// A resumable stop (signal, --max-duration) also stashes the acquisition (journal
// MergeStashName(ns), with the last key); the next run adopts it with the full restore checks.
//
// Durability (doc/architecture.md §6): a journal (merge_journal.h) is written before the target is
// created and at every checkpoint, after the target bytes and bundle streams it lists are fsynced.
// A rerun after kill -9 at any instant resumes from the journal's checkpoint, keeping and verifying
// the target bytes written after it (TargetWriter), or finishes an interrupted incorporate; nothing
// is lost or duplicated. A target without a journal (Gigablast's, or one whose journal is gone) is
// resumed as Gigablast would: after its last whole record. Inputs are removed only after the
// target is durable and the inputs are listed as retired, and never while a live lease lists them.
// Input parts are unlinked while merging (chopHead, §8.8) only with --max-extra-disk, only once
// the target bytes derived from them are fsynced.
//
// Test points, in order: merge.after_journal_start, merge.after_target_create,
// merge.checkpoint.after_target_sync, merge.checkpoint.after_journal, merge.before_chop,
// merge.after_chop, merge.after_target_sync, merge.after_target_map, merge.before_incorporate,
// merge.after_bundles_commit, merge.after_retire, merge.after_remove_inputs,
// merge.after_unretire, merge.after_rename_target, merge.after_journal_remove; and
// target.after_part_sync inside the target writer.
//
// libcore rules: no printing, no signals; the caller passes a stop flag and reads the report.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acquire/router.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "io/file_system.h"
#include "io/lock_manager.h"
#include "jobs/merge/merge_guard.h"
#include "jobs/merge/merge_journal.h"
#include "jobs/merge/orphan_policy.h"

namespace shardtool {

enum class MergeSelection {
  kFiles,  // the ids in MergeRequest::file_ids
  kAll,    // every committed file of the collection
  kAuto,   // Gigablast's choice of window, or the resume of an existing merge file
};

// Gigablast's default minimum number of files before --auto merges (its coll.conf
// "min files to merge"); `merge --min-files` overrides it.
constexpr int kDefaultMinFilesToMerge = 6;
// Gigablast never merges more than this many files at once (--auto).
constexpr int kMaxAutoMergeFiles = 50;

struct MergeRequest {
  std::string workdir;
  std::string database;
  std::string rdb;  // the collection's name: a registry Rdb (a view is refused)
  MergeSelection selection = MergeSelection::kAuto;
  std::vector<int32_t> file_ids;  // kFiles
  int min_files = 0;              // --auto: Gigablast's minToMerge; 0 = kDefaultMinFilesToMerge
  bool cleanup_orphans = false;
  std::string orphans_to;  // bundle dir for dropped orphans ("" = quarantine); implies cleanup
  std::optional<int64_t> orphan_delay;
  uint64_t max_extra_disk = 0;  // 0: unlimited (inputs are removed only at the end)
  double rate_mb_s = 0;         // 0: unlimited; else read + write bytes per second / 1e6
  bool dry_run = false;
  int64_t max_duration_ms = 0;  // 0: no limit
  bool force = false;           // skip the Gigablast-is-running check
  int64_t lock_timeout_ms = 0;
  PlacementPins pins;  // --placement (router.h); empty: current versions, retried when stale
  // `repair misplaced` (jobs/repair/misplaced_job.h): with selection kAll and orphans_to, the
  // records of misplaced slots (CatalogOrphanPolicy::MakeMisplaced) go to the owners' bundles; the
  // journal says so, an interrupted merge of another kind is refused (and vice versa), an existing
  // merge file is refused, and no rangeDeletion is completed.
  bool misplaced = false;
  // --abort: discard the interrupted merge of the collection instead (merge_discard.h): its
  // target and journal are removed, the inputs untouched; nothing to do when there is none.
  bool abort = false;
  // --quarantine-bad: an input page that fails its checksum or does not decode is left out and
  // written to the quarantine (raw bytes, reason "corrupt-page") instead of stopping the merge
  // with Corruption; the merge commits and the report's exit status is 1. Frozen in the journal.
  bool quarantine_bad = false;
};

struct MergeProgress {
  uint64_t done = 0, total = 0;  // input bytes
  int64_t records_out = 0;
};

// What the caller provides; all optional. Tests replace the detector, the orphan policy and the
// tuning knobs.
struct MergeEnv {
  const std::atomic<bool>* stop = nullptr;  // set by SIGINT/SIGTERM: stop at a clean checkpoint
  std::function<void(const MergeProgress&)> progress;
  LockManager* locks = nullptr;            // default ProcessLockManager(fs)
  GigablastDetector* gigablast = nullptr;  // default MakeGigablastDetector()
  // Orphan decisions; default CatalogOrphanPolicy.
  std::function<Result<std::unique_ptr<OrphanPolicy>>(const Catalog&, const CollectionEntry&)>
      orphan_policy;
  // Which input files a live lease pins (never unlinked, truncated or chopped); default: the lease
  // files under shardtool/leases/<uuid>/ that have not expired.
  std::function<Result<std::vector<std::string>>(const std::string& uuid)> pinned_files;
  // The acquisition's yield point (AcquisitionContext::MaybeYield), called with the number of
  // records since the last call at the loop's clean points; an error (the restore's StaleConfig,
  // QueryPlanKilled...) ends the run at once, without writing: the context is FAILED and holds no
  // lock any more, and the rerun resumes from the last checkpoint. Set by RunMerge.
  std::function<Status(uint64_t records)> yield;
  size_t buffer_size = size_t{1} << 20;            // per input and for the output
  uint64_t checkpoint_bytes = uint64_t{64} << 20;  // output bytes between checkpoints
  uint32_t check_every = 4096;                     // records between stop/rate/disk checks
};

struct MergeReport {
  std::string database, rdb, ns;
  std::vector<std::string> inputs;  // data files, relative to the working dir
  std::string output;               // the merged file's final name, relative to the working dir
  std::string target;               // its in-progress name (<db>NNNN.mmm.dat)
  bool resumed = false;             // continued a merge (or incorporate) an earlier run began
  bool incorporate_only = false;    // only an interrupted incorporate was finished
  bool dry_run = false;
  bool nothing_to_do = false;
  bool aborted = false;  // --abort discarded an interrupted merge
  std::string note;      // why nothing was done, or what is left pending
  bool drop_negatives = false;
  MergeCounters counters;
  int64_t records_in_total = 0;  // records of the inputs per their maps (-1 unknown)
  uint64_t bytes_in_total = 0;
  uint64_t bytes_out = 0;        // size of the output
  uint64_t peak_extra_disk = 0;  // the most the merge added to the disk at any time
  int64_t parts_chopped = 0;
  double seconds = 0;
  std::vector<std::string> bundles;             // committed bundle dirs (orphans or quarantine)
  std::map<int32_t, int64_t> dropped_by_owner;  // records left out by owner shard, in this run
  std::string damaged_entry;  // --quarantine-bad's quarantine entry ("" when none)
  std::vector<SlotRange> slots_dropped, slots_deferred, slots_unexpected;  // slots with records
  std::vector<std::string> deferred_leases;  // leases that kept records
  std::vector<std::string> pinned_inputs;    // retired inputs left on disk for a live lease
  bool range_deletions_completed = false;
  // Internal: the slots a committed whole-set cleanup removes from the rangeDeletions.
  std::vector<SlotRange> range_deletions_to_complete;
  // Ok; Interrupted (stopped at a checkpoint, a rerun continues: exit 9); RangeDeletionDeferred
  // (committed, but deferred orphans and none dropped: exit 4).
  Status outcome;
  // The outcome's exit status, else 1 when damaged input was left out (--quarantine-bad), else 0.
  int exit_status() const;
};

// The stash journal of a stopped merge of `ns` (in shardtool/journal/).
std::string MergeStashName(const std::string& ns);

// Runs the merge described by `req` (see the comment atop this file). Errors that leave nothing
// half-done to report are returned as a Status: NotFound / NamespaceNotFound (exit 3),
// CommandNotSupportedOnView (3), UsageError (2), FailedPrecondition (3), Busy (a Gigablast process,
// 4), LockTimeout (4), IOError / NoSpace (7), Corruption (8), and the test points' errors.
Result<MergeReport> RunMerge(FileSystem* fs, const MergeRequest& req, const MergeEnv& env = {});

}  // namespace shardtool
