// Internals of acquisition.h shared by its .cc files (not for jobs): the state of a context, of
// one acquire call and of one acquired namespace, and the steps the public calls are made of.
//
// Ownership: handles hold a shared_ptr to their CallState; a CallState holds a shared_ptr to the
// ContextShared; the context keeps weak_ptrs to its live calls. When the last handle of a call
// goes, ~CallState releases the call's resources and tells the context. Code that holds
// ContextShared::mu never drops the last reference to a CallState while holding it (local
// shared_ptrs are declared before the lock guard), because ~CallState takes mu.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "acquire/acquisition.h"
#include "acquire/placement_check.h"
#include "format/rdb_registry.h"

namespace shardtool::acquire_internal {

// One acquired namespace: a collection, an absent collection, or a view.
struct Entry {
  ParsedRequest req;
  TargetKind kind = TargetKind::kAbsent;
  std::string ns;
  std::string db;
  std::string uuid;  // kCollection
  const RdbInfo* rdb = nullptr;
  std::optional<ViewEntry> view;  // kView
  // The snapshot the description was taken from, and the last version seen by a restore.
  std::string catalog_epoch;
  uint64_t catalog_version = 0;
  uint64_t seen_version = 0;
  std::shared_ptr<const CatalogSnapshot> catalog;  // keeps the description's chunks alive
  LocalSnapshot snapshot;
  ShardingDescription description;
  std::vector<std::pair<std::string, std::shared_ptr<RandomAccessFile>>> open_parts;
  // The lease (reads of existing collections): written or not yet (a locked read writes it at
  // its first yield), and its keeper registration.
  std::string lease_name;
  bool lease_written = false;
  uint64_t lease_id = 0;

  bool is_write() const { return req.request.operation == OperationType::kWrite; }
  bool needs_lease() const { return !is_write() && kind == TargetKind::kCollection; }
};

// A collection lock of a call.
struct CollLock {
  std::string uuid;
  bool exclusive = false;  // some request of the call writes the collection
  LockHandle handle;
};

struct ContextShared;

// One acquire call (or one adopted stash call): its locks and its entries.
struct CallState {
  explicit CallState(std::shared_ptr<ContextShared> ctx) : ctx(std::move(ctx)) {}
  ~CallState();
  CallState(const CallState&) = delete;
  CallState& operator=(const CallState&) = delete;

  std::shared_ptr<ContextShared> ctx;
  bool lock_free = false;
  bool any_write = false;
  int64_t lock_timeout_ms = 0;
  std::string db;
  LockHandle global;
  LockHandle db_lock;
  std::vector<CollLock> coll_locks;  // sorted by uuid
  std::vector<std::unique_ptr<Entry>> entries;
  bool registered = false;  // counted in the context's live calls
  bool yielded = false;     // yielded at least once (others may have retired files meanwhile)
  // Resources already given back (FAILED, stashed, failed attempt). Atomic: handles on other
  // threads read it.
  std::atomic<bool> released{false};
  bool stashed = false;  // its leases belong to a stash: never removed here

  std::string LockLabel() const { return any_write ? "IX" : "IS"; }
};

struct ContextShared {
  explicit ContextShared(ShardRoleOptions o);

  ShardRoleOptions opt;  // defaults filled in
  LeaseStore leases;
  std::string locks_prefix;  // "<workdir>/shardtool/locks/": lock paths are built per acquisition

  mutable std::mutex mu;
  std::atomic<ContextState> state{ContextState::kEmpty};
  std::vector<std::weak_ptr<CallState>> calls;
  int live_calls = 0;
  Status failure;
  uint64_t yields = 0;

  // MaybeYield's counters (relaxed atomics: the fast path takes no lock).
  std::mutex yield_mu;
  std::atomic<uint64_t> records_since_yield{0};
  std::atomic<uint32_t> calls_since_clock{0};
  std::atomic<int64_t> last_yield_micros{0};

  // The live calls (strong references). REQUIRES: mu held.
  std::vector<std::shared_ptr<CallState>> LiveCallsLocked();
  // Counts a successful call. REQUIRES: mu held.
  void RegisterLocked(const std::shared_ptr<CallState>& call);
  // ~CallState: a registered call is gone.
  void OnCallGone();
};

// Gives back everything a call holds: leases (removed unless stashed), locks; then, when
// `attempt_deletion`, the deletion of retired files of its collections. Idempotent.
void ReleaseCall(CallState& call, bool attempt_deletion);

// FAILED: releases every live call and records `error`. REQUIRES: mu held; `calls` keeps the
// strong references alive until after mu is released.
void FailLocked(ContextShared& ctx, const std::vector<std::shared_ptr<CallState>>& calls,
                const Status& error);

// The lease document of an entry (fresh times).
Lease LeaseFor(const ContextShared& ctx, const Entry& e);
// Writes and registers the entry's lease if it has none yet.
Status WriteLease(ContextShared& ctx, Entry& e);

// Takes the global and db locks of a call, then its coll locks (those not held already), until
// `deadline` (doc/acquisition.md §5: one deadline covers the whole call). On failure the locks of
// the call are released, except, with coll_reads_only (a restore), the coll locks of its writes.
Status TakeLocks(ContextShared& ctx, CallState& call, bool coll_reads_only,
                 const LockDeadline& deadline);
// The deadline of a call's locks, from now.
LockDeadline CallDeadline(const ContextShared& ctx, const CallState& call);

// The QueryPlanKilled error of a restore.
Status QueryPlanKilledError(const std::string& ns, std::string_view reason, std::string why);

// Checks 1-4 of a restore (§7) for one entry against `snap`; a write's description is re-taken.
Status RestoreCheck(ContextShared& ctx, const std::shared_ptr<const CatalogSnapshot>& snap,
                    Entry& e);

// Reads the current catalog and runs RestoreCheck on every entry of every call (the re-validation
// of a restore and of an adopted stash); the first failure is returned.
Status RecheckAll(ContextShared& ctx, const std::vector<std::shared_ptr<CallState>>& calls);

// The description for a resolved entry.
ShardingDescription DescriptionFor(const std::shared_ptr<const CatalogSnapshot>& snap,
                                   const Resolution& res);

}  // namespace shardtool::acquire_internal
