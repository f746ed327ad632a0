// The orphan-cleanup decision of doc/acquisition.md §6, which `merge --cleanup-orphans` (under coll
// X) applies record by record.
//
// A record of a slot this shard owns is kept. A record of a slot it does not own is dropped (to
// quarantine or --orphans-to) only if (a) a rangeDeletion R of the collection covers the slot and
// is ready (now >= readyAfter; with `merge --orphan-delay SEC`: now >= orphanedAt.time + SEC) and
// (b) no live lease blocks R. Lease L blocks R iff L's ownedSlots overlap R's slots and L's
// catalogEpoch is not the current one or L.catalogVersion < R.orphanedAt.catalogVersion (L was
// taken before the change that orphaned the slots, so its reader may still count them as owned).
// Otherwise the record is kept and reported deferred (notReady, or leaseHeld with the lease
// names); a slot not owned and not covered by any rangeDeletion is kept and reported unexpected.
// An unreadable live lease blocks every rangeDeletion (it may own anything).
//
// The outcome (OrphanCleanupOutcome): RangeDeletionDeferred{ns, slots, reason, leases} (exit 4)
// only when deferred records exist and none was dropped; Ok otherwise. A cleanup over the whole
// committed set, once committed, removes the slots it dropped from rangeDeletions
// (CompleteRangeDeletions: global X, one try; if busy, left for later).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acquire/lease.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/catalog_store.h"
#include "format/rdb_registry.h"

namespace shardtool {

enum class OrphanAction : uint8_t {
  kOwned,              // keep: this shard owns the slot
  kDrop,               // drop: covered by a ready, unblocked rangeDeletion
  kDeferredNotReady,   // keep: covered, but no covering rangeDeletion is ready
  kDeferredLeaseHeld,  // keep: a covering rangeDeletion is ready but a live lease blocks it
  kUnexpected,         // keep: not owned, and no rangeDeletion covers it
};
std::string_view OrphanActionName(OrphanAction a);  // "owned", "drop", "notReady", ...

struct RangeDeletionVerdict {
  RangeDeletion deletion;
  bool ready = false;
  std::vector<std::string> blocking_leases;  // names of the live leases that block it
  bool droppable() const { return ready && blocking_leases.empty(); }
};

class OrphanCleanupPlan {
 public:
  // The action for a slot (0..8191); O(1).
  OrphanAction Action(int slot) const { return actions_[static_cast<size_t>(slot)]; }
  // The leases that keep a kDeferredLeaseHeld slot (empty otherwise).
  std::vector<std::string> LeasesFor(int slot) const;
  const std::vector<RangeDeletionVerdict>& deletions() const { return verdicts_; }
  // The slots with an action, as sorted [min, max) ranges.
  std::vector<SlotRange> Slots(OrphanAction a) const;

 private:
  friend OrphanCleanupPlan PlanOrphanCleanup(const Catalog&, const CollectionEntry&,
                                             const std::vector<LeaseFile>&, int64_t,
                                             std::optional<int64_t>);
  std::array<OrphanAction, kNumSlots> actions_{};
  std::array<int16_t, kNumSlots> verdict_of_{};  // blocking verdict of a kDeferredLeaseHeld slot
  std::vector<RangeDeletionVerdict> verdicts_;
};

// The plan for collection `c` of the current `catalog`, given the collection's live leases
// (LeaseStore::Live) and the time (Unix seconds). orphan_delay: `merge --orphan-delay SEC`.
OrphanCleanupPlan PlanOrphanCleanup(const Catalog& catalog, const CollectionEntry& c,
                                    const std::vector<LeaseFile>& live_leases, int64_t now,
                                    std::optional<int64_t> orphan_delay);

// Records counted by a cleanup as it applies a plan.
class OrphanTally {
 public:
  void Count(int slot, OrphanAction a, uint64_t records = 1);
  uint64_t records(OrphanAction a) const { return counts_[static_cast<size_t>(a)]; }
  // Slots with at least one record of an action.
  std::vector<SlotRange> Slots(OrphanAction a) const;

 private:
  std::array<uint64_t, 5> counts_{};
  std::array<std::bitset<kNumSlots>, 5> slots_{};
};

// Ok, or RangeDeletionDeferred{ns, slots, reason, leases} when deferred records exist and none
// was dropped. reason is "leaseHeld" when any deferred record was held by a lease, else
// "notReady"; slots and leases are texts ("0-99 (100 slots)", "a.json,b.json").
Status OrphanCleanupOutcome(const std::string& ns, const OrphanCleanupPlan& plan,
                            const OrphanTally& tally);

// Removes `dropped` slots from collection `uuid`'s rangeDeletions (entries left empty go) through
// an atomic catalog update under global X, one try. Ok(false) when the lock was busy or nothing
// changed; Ok(true) when the catalog was rewritten.
Result<bool> CompleteRangeDeletions(FileSystem* fs, const std::string& workdir,
                                    const std::string& uuid, const std::vector<SlotRange>& dropped,
                                    CatalogStoreOptions store = {});

}  // namespace shardtool
