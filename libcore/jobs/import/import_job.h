// The import job (issue 6, doc/format.md §9, doc/architecture.md §4, §7): Gigablast's ImportState
// done right.
//
// Reads another cluster's data files of one shardable Rdb (titledb by default) from a directory,
// routes every record by its slot to the shard that owns it under the importing host's catalog,
// and writes it to every host (mirror) of that shard:
//   - hosts whose working dir is on this machine get new data files directly: per commit and host,
//     records sorted by key (equal keys: the newest source record wins), written with map and
//     sidecar at the next odd id, and committed exactly once through the host's import ledger
//     (import_ledger.h) under a write acquisition of <db>.<rdb> in the host's own working dir
//     (placement checked; a catalog change mid-run stops with StaleConfig, exit 5);
//   - shards with hosts that are not on this machine get one bundle per commit in --stage-dir
//     (doc/format.md §10.2), which `shardtool ingest` adds on the owner.
// Negative source records are skipped (counted), titlerecs failing T1 go to the quarantine (I6),
// a corrupt record ends its file with a finding (I4, I5) and the import goes on with the next.
//
// A commit covers about --commit-every source bytes. Records are read in batches of at most
// --memory / 2 (two batches: one read while the other is handled); a full batch of an open commit
// is sorted and spilled as one run per shard (import_spill.h), and the commit merges the runs and
// its last batch into each target. The exact bookmark advances after each commit, once it is
// durable and visible on every target; a rerun continues from it (runs of a crashed run are
// discarded and removed), and each target skips what its ledger says it already holds.
// Memory: --memory plus the merge's block buffers and read buffers, whatever the input size.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "acquire/catalog_cache.h"
#include "acquire/lease_keeper.h"
#include "acquire/process_info.h"
#include "base/status.h"
#include "format/finding.h"
#include "io/file_system.h"
#include "io/lock_manager.h"
#include "jobs/import/import_source.h"
#include "jobs/merge/merge_guard.h"

namespace shardtool {

struct ImportRequest {
  std::string workdir;   // the importing host's working dir (its catalog routes)
  std::string database;  // e.g. "main"
  std::string rdb = "titledb";
  std::string source_dir;                 // canonical absolute path (its CRC names the bookmark)
  std::string legacy_bookmark;            // default <workdir>/lasttitledbinjectinfo.dat
  std::string stage_dir;                  // bundles for shards with hosts not on this machine
  uint64_t memory = uint64_t{256} << 20;  // two batches of memory / 2 bytes of records
  uint64_t commit_every = uint64_t{4} << 30;  // source bytes per commit (one file per host)
  int max_inflight = 4;                       // target writes at once
  bool dry_run = false;
  bool force = false;  // write although a Gigablast process works in a target dir
  int64_t lock_timeout_ms = 0;
  int64_t max_duration_ms = 0;  // 0: no limit
  double rate_mb_s = 0;         // 0: unlimited; else source bytes read per second / 1e6
};

struct ImportProgress {
  uint64_t done = 0, total = 0;  // source bytes
};

struct ImportEnv {
  const std::atomic<bool>* stop = nullptr;  // SIGINT/SIGTERM: commit what was read, then stop
  std::function<void(const ImportProgress&)> progress;
  LockManager* locks = nullptr;  // per target working dir; default ProcessLockManager(fs)
  CatalogCache* catalogs = nullptr;
  LeaseKeeper* keeper = nullptr;
  ProcessInfo* process = nullptr;
  bool heartbeat_thread = true;
  GigablastDetector* gigablast = nullptr;  // default MakeGigablastDetector()
  // Called after each batch's commit with the batch number (tests: catalog changes mid-run).
  std::function<Status(int)> after_batch;
  size_t read_buffer = size_t{4} << 20;
  // Records between stop, --rate and progress checks (which also come every 1 MiB of records and
  // every 50 ms: io/check_pacer.h).
  uint32_t check_every = 1024;
  int merge_width = 64;  // runs (and the last batch) merged at once
};

struct ImportFileReport {
  std::string file;  // path in the source dir
  int32_t id = 0;
  int64_t records = 0, negatives_skipped = 0, quarantined = 0, out_of_order = 0;
  std::vector<Finding> findings;
};

struct ImportTargetReport {
  std::string name;  // "host3" or a bundle dir
  int32_t shard = 0;
  int64_t records = 0, skipped_held = 0;
  uint64_t bytes = 0;
  std::vector<std::string> files;  // data files or bundles made (relative to their workdir)
};

struct ImportReport {
  std::string database, rdb, source_dir;
  bool resumed = false;
  bool nothing_to_do = false;
  bool dry_run = false;
  std::vector<std::string> warnings;
  std::vector<Finding> findings;  // scan notices (I1)
  std::vector<ImportFileReport> files;
  std::map<int32_t, int64_t> routed;  // records by shard
  int64_t records = 0, negatives_skipped = 0, quarantined = 0, duplicates_superseded = 0;
  int64_t batches = 0;  // commits
  int64_t runs_spilled = 0, run_merges = 0;
  uint64_t spill_bytes = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  SourcePos bookmark;
  std::vector<ImportTargetReport> targets;
  std::vector<std::string> quarantine_entries;
  double seconds = 0;
  Status outcome;  // Ok, or how the run stopped after committed work (Interrupted, StaleConfig...)
  // Exit status: the outcome's, else 1 for findings or quarantined records, else 0.
  int exit_status() const;
};

Result<ImportReport> RunImport(FileSystem* fs, const ImportRequest& req, const ImportEnv& env);

}  // namespace shardtool
