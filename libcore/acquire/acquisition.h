// Acquisitions (doc/acquisition.md §3-§7): the only way a job reaches a collection's data.
//
// An AcquisitionContext belongs to one job (MongoDB's operation context plus its transaction
// resources). Its acquire calls check a request against the catalog (§3), take the locks of §5 or
// run the lock-free protocol, write the leases of §6, and return handles:
//   CollectionAcquisition        a collection (or an absent one: exists() false)
//   ViewAcquisition              a view: viewOn and keyRange; the reader acquires viewOn itself
//   CollectionOrViewAcquisition  either, for canBeView requests
// Each handle gives ns, exists, uuid, the catalog epoch and version of its snapshot, the local
// snapshot (committed files), the sharding description and, with a sharded description, the
// ownership filter.
//
// Lifetime. Handles are ref-counted copies of one call's result. When the last handle of a call
// goes, the call's locks are freed, its leases removed, and deletion of retired files no live
// lease lists is attempted (coll X tried once, skipped if busy). Handles may outlive the context
// object (they keep its state alive).
//
// States of a context (§7): EMPTY -> ACTIVE (first acquisition) <-> YIELDED (Yield/Restore);
// ACTIVE -> STASHED (Stash: resumable stop); ACTIVE -> EMPTY (last handle released); a failed
// Restore (or a failed AdoptStash) -> FAILED, which releases everything and is final. While
// YIELDED, STASHED or FAILED, acquisitions are InternalError and handles are unusable (their data
// accessors return InternalError).
//
// Yield keeps open files, releases the global and db locks and the coll locks of reads, keeps the
// coll locks of writes (no other writer starts in between) and refreshes the leases. A locked read
// writes its leases at its first yield (or stash), not at acquisition: while it holds its coll
// lock shared, every process that acts on leases (merge commits and file deletion, orphan
// cleanup: coll X; catalog rewrites: global X) is excluded, so a lease written earlier could not
// be observed by anyone who cares, and an acquisition stays cheap. Lock-free reads write theirs
// before they open any file, as §5 says.
//
// Threads: the acquire, yield, restore and stash calls of one context are serialised by a mutex;
// MaybeYield may be called from several threads (one of them yields, the others go on).
// Handles may be copied and destroyed on any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "acquire/acquisition_request.h"
#include "acquire/catalog_cache.h"
#include "acquire/lease.h"
#include "acquire/lease_keeper.h"
#include "acquire/local_snapshot.h"
#include "acquire/process_info.h"
#include "acquire/sharding_description.h"
#include "base/status.h"
#include "io/file_system.h"
#include "io/lock_manager.h"

namespace shardtool {

namespace acquire_internal {
struct ContextShared;
struct CallState;
struct Entry;
}  // namespace acquire_internal

enum class ContextState { kEmpty, kActive, kYielded, kStashed, kFailed };
std::string_view ContextStateName(ContextState state);  // "EMPTY", "ACTIVE", ...

// What a context works on, and its tunables. Only fs and workdir are required.
struct ShardRoleOptions {
  FileSystem* fs = nullptr;
  std::string workdir;
  LockManager* locks = nullptr;      // default ProcessLockManager(fs)
  ProcessInfo* process = nullptr;    // default SystemProcessInfo()
  CatalogCache* catalogs = nullptr;  // default CatalogCache::Process()
  DirCache* dirs = nullptr;          // default DirCache::Process()
  LeaseKeeper* keeper = nullptr;     // default LeaseKeeper::Process()
  std::string job = "shardtool";     // written into leases ("verify", "merge", ...)
  // MaybeYield: yield every yield_records records or yield_ms milliseconds (§7).
  uint64_t yield_records = 10000;
  int64_t yield_ms = 100;
  // Lock-free protocol attempts before falling back to a locked read (§5).
  int lock_free_attempts = 10;
  // Start the process's lease heartbeat thread with the first lease (tests on a fake clock don't).
  bool heartbeat_thread = true;
  // A yield or restore rewrites a lease only when it was refreshed longer ago than this (a lease
  // lives 60 s and the heartbeat runs every 10 s; rewriting it every 100 ms would cost more than
  // the job's reads on some file systems). 0: every yield and restore.
  int64_t lease_refresh_min_ms = 1000;
};

class CollectionAcquisition {
 public:
  CollectionAcquisition() = default;  // an empty handle (valid() false)

  bool valid() const { return call_ != nullptr; }
  // Identity: never changes while the handle lives (usable in any state).
  const std::string& ns() const;
  bool exists() const;
  OperationType operation() const;
  const PlacementConcern& placement() const;
  bool lock_free() const;  // acquired without locks (§5)

  // Ok while the context is ACTIVE; InternalError while YIELDED, STASHED or FAILED.
  Status CheckUsable() const;
  // InternalError for an absent collection (and when unusable).
  Result<std::string> uuid() const;
  // Of the snapshot the description was taken from (a write's restore re-takes both).
  const std::string& catalog_epoch() const;
  uint64_t catalog_version() const;
  // Committed files at acquisition. Valid while the handle lives.
  Result<const LocalSnapshot*> snapshot() const;
  // Valid until the next Restore() (a write's restore re-takes it).
  Result<const ShardingDescription*> sharding() const;
  // InternalError without a sharded description. Valid until the next Restore().
  Result<const OwnershipFilter*> ownership_filter() const;
  // A part of a committed file, opened: a lock-free acquisition hands out the file it opened in
  // step 4 (§5), others open it now. NotFound for a name not in the snapshot.
  Result<std::shared_ptr<RandomAccessFile>> OpenPart(const std::string& part_name) const;
  // The lease's file name ("" when the acquisition has none yet).
  std::string lease_name() const;

 private:
  friend class AcquisitionContext;
  friend class CollectionOrViewAcquisition;
  CollectionAcquisition(std::shared_ptr<acquire_internal::CallState> call,
                        acquire_internal::Entry* entry)
      : call_(std::move(call)), entry_(entry) {}

  std::shared_ptr<acquire_internal::CallState> call_;
  acquire_internal::Entry* entry_ = nullptr;
};

class ViewAcquisition {
 public:
  ViewAcquisition() = default;
  bool valid() const { return call_ != nullptr; }
  const std::string& ns() const;
  const std::string& view_on() const;
  const std::string& key_min() const;  // hex, [min, max)
  const std::string& key_max() const;
  Status CheckUsable() const;

 private:
  friend class AcquisitionContext;
  friend class CollectionOrViewAcquisition;
  ViewAcquisition(std::shared_ptr<acquire_internal::CallState> call, acquire_internal::Entry* entry)
      : call_(std::move(call)), entry_(entry) {}

  std::shared_ptr<acquire_internal::CallState> call_;
  acquire_internal::Entry* entry_ = nullptr;
};

class CollectionOrViewAcquisition {
 public:
  CollectionOrViewAcquisition() = default;
  bool is_view() const { return is_view_; }
  const std::string& ns() const;
  // REQUIRES: !is_view() / is_view().
  const CollectionAcquisition& collection() const { return collection_; }
  const ViewAcquisition& view() const { return view_; }

 private:
  friend class AcquisitionContext;
  bool is_view_ = false;
  CollectionAcquisition collection_;
  ViewAcquisition view_;
};

// What AdoptStash gives back: the acquisitions as they were stashed, and where the job stopped.
struct AdoptedStash {
  std::vector<CollectionOrViewAcquisition> acquisitions;  // in stash order
  std::string last_key;
  std::string job;
};

class AcquisitionContext {
 public:
  explicit AcquisitionContext(ShardRoleOptions options);
  ~AcquisitionContext();
  AcquisitionContext(const AcquisitionContext&) = delete;
  AcquisitionContext& operator=(const AcquisitionContext&) = delete;

  // Locked acquisitions (§3, §5). The plural forms take requests of one database (else
  // InternalError), lock once for the call, check the requests in ns order, and on any failure
  // release everything and fail. Handles come back in request order. AcquireCollection(s) is
  // InternalError for a canBeView request that names a view: use AcquireCollection(s)OrView(s).
  Result<CollectionAcquisition> AcquireCollection(const AcquisitionRequest& request);
  Result<std::vector<CollectionAcquisition>> AcquireCollections(
      const std::vector<AcquisitionRequest>& requests);
  Result<CollectionOrViewAcquisition> AcquireCollectionOrView(const AcquisitionRequest& request);
  Result<std::vector<CollectionOrViewAcquisition>> AcquireCollectionsOrViews(
      const std::vector<AcquisitionRequest>& requests);

  // Lock-free reads (§5): writes are InternalError; a process holding an exclusive lock, and a
  // protocol that did not settle in lock_free_attempts attempts, get a locked read.
  Result<CollectionAcquisition> AcquireCollectionMaybeLockFree(const AcquisitionRequest& request);
  Result<std::vector<CollectionAcquisition>> AcquireCollectionsMaybeLockFree(
      const std::vector<AcquisitionRequest>& requests);
  Result<CollectionOrViewAcquisition> AcquireCollectionOrViewMaybeLockFree(
      const AcquisitionRequest& request);
  Result<std::vector<CollectionOrViewAcquisition>> AcquireCollectionsOrViewsMaybeLockFree(
      const std::vector<AcquisitionRequest>& requests);

  // §7. Yield: REQUIRES state ACTIVE (else InternalError). Restore: REQUIRES YIELDED; retakes the
  // locks (same order and timeout), re-reads the catalog and checks every acquisition; a failure
  // (LockTimeout, QueryPlanKilled{reason}, StaleConfig, StaleDbVersion, I/O) makes the context
  // FAILED and is returned.
  Status Yield();
  Status Restore();
  // Yields and restores when yield_records records were counted or yield_ms passed since the last
  // yield; otherwise a few relaxed atomic operations. Ok without doing anything when EMPTY. Call
  // it between records, never inside a commit. Test point "acquire.yielded" is between the two.
  Status MaybeYield(uint64_t records = 1);

  // Resumable stop (§7 "Stash across invocations"): writes shardtool/journal/<journal_name> with
  // every live acquisition's prerequisites, catalogEpoch, catalogVersion, lease name and
  // `last_key`; each lease gets pid 0, "stashed": journal_name and expiresAt now + 900 s; every
  // lock is released. REQUIRES: ACTIVE. Then STASHED.
  Status Stash(const std::string& journal_name, const std::string& last_key);
  // The next invocation: REQUIRES EMPTY. Reads the journal, adopts its leases, retakes locks and
  // runs the full restore checks. On failure the stash is dismissed (journal and leases deleted),
  // the context is FAILED and the error returned. NotFound (and nothing changes) when there is no
  // such journal.
  Result<AdoptedStash> AdoptStash(const std::string& journal_name);
  // Deletes a stash without adopting it (verify without --resume). Ok when there is none.
  Status DismissStash(const std::string& journal_name);

  ContextState state() const;
  // The error that made the context FAILED (Ok otherwise).
  Status failure() const;
  const ShardRoleOptions& options() const;
  // Number of yields done (tests, progress).
  uint64_t yields() const;

 private:
  Result<std::vector<CollectionOrViewAcquisition>> Acquire(
      const std::vector<AcquisitionRequest>& requests, bool maybe_lock_free);
  Result<std::vector<CollectionAcquisition>> CollectionsOnly(
      Result<std::vector<CollectionOrViewAcquisition>> r);

  std::shared_ptr<acquire_internal::ContextShared> shared_;
};

}  // namespace shardtool
