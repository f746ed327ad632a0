// What keeps a merge from running under someone else (the two guards `merge` takes before it
// touches anything):
//
// 1. The collection claim (SHARD-ROLE.md §5): the global and db lock files shared, then the
//    collection's lock file exclusively (shared for --dry-run, which only reads), taken in that
//    order within one lock-timeout deadline. Once the collection lock is held, global and db are
//    let go again, as a yielded writer does (§7): the collection's exclusive lock is the merge's
//    claim, and catalog rewrites are not held up for the hours a merge may take. A second merge of
//    the same collection fails at once with LockTimeout (exit 4). This is the one place the acquire
//    layer's write acquisition is to replace.
// 2. Gigablast itself: a `gb` process working in the same working dir would merge and rename the
//    same files. GigablastDetector finds one through /proc (a process whose argv[0] or executable
//    is named gb and whose current dir, or a "-d DIR"-style argument, is the working dir); tests
//    inject their own. `merge --force` skips the check.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "io/lock_manager.h"

namespace shardtool {

struct CollectionClaim {
  LockHandle coll;  // the collection's lock: exclusive for writes, shared for dry runs
};

// Takes the claim on collection `uuid` of database `db` (see above). LockTimeout{resource, mode,
// waitedMs} when a lock is held elsewhere.
Result<CollectionClaim> ClaimCollection(LockManager* locks, const std::string& workdir,
                                        const std::string& db, const std::string& uuid,
                                        int64_t lock_timeout_ms, bool exclusive);

struct ProcessEntry {
  int pid = 0;
  std::string exe;                // target of /proc/<pid>/exe ("" when unreadable)
  std::string cwd;                // target of /proc/<pid>/cwd ("" when unreadable)
  std::vector<std::string> args;  // /proc/<pid>/cmdline
};

class ProcessLister {
 public:
  virtual ~ProcessLister() = default;
  virtual Result<std::vector<ProcessEntry>> List() = 0;
};

// The processes of this machine from /proc (processes that vanish while listed are skipped).
ProcessLister* SystemProcessLister();

class GigablastDetector {
 public:
  virtual ~GigablastDetector() = default;
  // A description of a Gigablast process working in `workdir` ("pid 123 (/gb/gb) in /gb/host0"),
  // or nullopt.
  virtual Result<std::optional<std::string>> Find(const std::string& workdir) = 0;
};

// The detector over a process lister (default: SystemProcessLister()). Paths are compared after
// resolving symlinks and trailing slashes of the working dir.
std::unique_ptr<GigablastDetector> MakeGigablastDetector(ProcessLister* lister = nullptr);

}  // namespace shardtool
