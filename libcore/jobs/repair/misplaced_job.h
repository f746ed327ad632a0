// `shardtool repair misplaced <db>` (issue 18 §1): the records this host holds in slots its shard
// does not own and that no rangeDeletion covers (what verify counts as not owned, less the orphans
// of a reshard) go home: they are exported as bundles for their owning shard, durably, and removed
// from this host, exactly once under kill -9 at any instant.
//
// Per shardable Rdb of the database (or the --rdb ones) it is a merge of every file of the Rdb
// (merge_job.h, MergeRequest::misplaced) whose orphan policy (CatalogOrphanPolicy::MakeMisplaced)
// drops the misplaced slots into per-owner bundles of kind "orphans" in the outbox, so that the
// merge's crash safety applies as is: journal before the target, bundle streams fsynced at every
// checkpoint, bundles committed (manifest, rename) before the inputs are retired, and a rerun
// resumes the journal with its frozen decisions (its bundle names included), so every misplaced
// record ends in exactly one committed bundle and none stays on the host. Slots a rangeDeletion
// covers are orphans and left alone (`merge --orphans-to` handles them). A live lease whose
// ownedSlots include a misplaced slot keeps that slot's records (deferred: RangeDeletionDeferred,
// exit 4, like a deferred orphan cleanup); the other slots are exported in the same run.
//
// An Rdb with nothing misplaced is not rewritten: each Rdb is first counted by a --dry-run merge
// (locked read, nothing written), and only one with misplaced records is merged; an interrupted
// repair (its journal) is always finished. The outbox is created only when a bundle is written.
//
// Outbox layout (doc/format.md §10.2): <to>/<db>.<rdb>.s<shard>.<yyyymmddThhmmssZ>.<8 hex>/ with
// manifest.json (kind "orphans", source host and shard, target_shard, catalog epoch, version and
// the target's shard version) and records-NNNN.zst; "<name>.tmp" while written. Default <to>:
// <workdir>/shardtool/outbox/.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "io/file_system.h"
#include "jobs/merge/merge_job.h"

namespace shardtool {

// <workdir>/shardtool/outbox: where `repair misplaced` writes its bundles by default.
std::string OutboxDir(const std::string& workdir);

struct MisplacedRequest {
  std::string workdir;
  std::string database;
  std::vector<std::string> rdbs;  // empty: every shardable Rdb of the database
  std::string to;                 // absolute bundle dir; "" = OutboxDir(workdir)
  bool dry_run = false;
  bool force = false;  // run although Gigablast works in the working dir
  int64_t lock_timeout_ms = 0;
};

// The merge's env: stop flag, progress, test replacements (locks, Gigablast detector).
using MisplacedEnv = MergeEnv;

struct MisplacedBundle {
  std::string dir;  // absolute
  int32_t target_shard = 0;
  std::string target_shard_version;  // "" when unknown
  int64_t records = 0;
};

struct MisplacedRdbReport {
  std::string rdb, ns;
  std::string note;          // why nothing was done (not shardable, no files, nothing misplaced...)
  bool merged = false;       // the Rdb was rewritten without its misplaced records
  bool resumed = false;      // an interrupted repair was continued
  int64_t misplaced = 0;     // exported (or, --dry-run, to export) in this run
  int64_t deferred = 0;      // kept: a live lease includes their slots
  int64_t orphans_left = 0;  // not owned but covered by a rangeDeletion: left alone
  std::map<int32_t, int64_t> by_owner;  // misplaced by owning shard (a merge: its bundles)
  std::vector<SlotRange> slots_deferred;
  std::vector<std::string> deferred_leases;
  std::vector<MisplacedBundle> bundles;  // committed by this run (or its resumed merge)
  std::string to;                        // the bundles' dir (the journal's, when resumed)
  int64_t records_in = 0, records_out = 0;
};

struct MisplacedReport {
  std::string database;
  int32_t host_id = 0, shard = 0;
  std::string to;  // absolute
  bool dry_run = false;
  std::vector<MisplacedRdbReport> rdbs;
  int64_t misplaced = 0, deferred = 0, orphans_left = 0;
  std::map<int32_t, int64_t> by_owner;
  double seconds = 0;
  // Ok; RangeDeletionDeferred (records kept by a lease: exit 4); Interrupted (stopped at a
  // checkpoint: exit 9, a rerun continues).
  Status outcome;
};

// Runs the repair (see the comment atop this file). Errors: NamespaceNotFound (3) for an unknown
// database or --rdb, Busy (Gigablast running, 4), LockTimeout (4), FailedPrecondition (3: an
// interrupted merge of another kind, a Gigablast merge file), StaleConfig (5), IOError / NoSpace
// (7), Corruption (8).
Result<MisplacedReport> RunRepairMisplaced(FileSystem* fs, const MisplacedRequest& req,
                                           const MisplacedEnv& env = {});

}  // namespace shardtool
