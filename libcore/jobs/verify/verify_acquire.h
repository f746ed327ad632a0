// verify's acquisition (doc/acquisition.md §3-§7, issue 4 "How it runs"): one plural read
// acquisition of every selected collection of the database, through the router (AcquireForCommand:
// current versions, retried when stale before any work, or the --placement pins), lock-free (CLI
// reads default to it), each existing collection with a lease that pins its files and preserves the
// ranges it owned. The plan is built from the acquisitions only: the files of each snapshot, the
// ownership view of each sharded description. A merge that commits meanwhile retires the files
// but cannot delete them while the lease lists them, so the run finishes on the file set it
// acquired; the job's yields (MaybeYield) end it with QueryPlanKilled (exit 6) when a collection
// is dropped or recreated.
//
// Resumable stop (§7 "Stash across invocations"): an interrupted verify stashes its acquisitions
// under VerifyStashName(db); `verify --resume` adopts them (full restore checks) and verifies the
// adopted file set with the adopted descriptions, so its totals are those of an uninterrupted run;
// verify without --resume dismisses a stash first. The stash's last key is empty: verify's unit of
// work is a file, and a resumed run verifies the stashed set from its start (doc/format-notes.md).
#pragma once

#include <string>
#include <vector>

#include "acquire/acquisition.h"
#include "acquire/router.h"
#include "jobs/verify/verify_plan.h"

namespace shardtool {

struct VerifyAcquireRequest {
  VerifySelection selection;  // selection.unversioned is taken from the pins (none)
  PlacementPins pins;
  int64_t lock_timeout_ms = 0;
  bool resume = false;  // adopt the stash of an interrupted verify of the database
};

struct VerifyAcquired {
  VerifyPlan plan;
  std::vector<CollectionAcquisition> handles;  // keep alive for the run (leases, snapshots)
  bool resumed = false;                        // adopted a stash
};

// The stash journal of verify of `database` (in shardtool/journal/).
std::string VerifyStashName(const std::string& database);

// Acquires and plans (see the comment atop this file); test point "verify.after_acquire" once the
// acquisitions are held. Errors: InvalidNamespace (exit 2),
// NamespaceNotFound when the database is absent, UsageError for an unknown --rdb or an unmatched
// --file, and the acquisition errors of doc/acquisition.md §8 (LockTimeout 4, StaleConfig and
// StaleDbVersion 5, QueryPlanKilled 6 from an adopted stash).
Result<VerifyAcquired> AcquireVerify(AcquisitionContext& ctx, const VerifyAcquireRequest& req);

}  // namespace shardtool
