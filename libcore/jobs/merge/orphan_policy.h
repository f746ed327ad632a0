// Orphan decisions for `merge --cleanup-orphans` (doc/acquisition.md §6): per slot, "may this
// slot's records be dropped now?" A slot this shard owns is kept (kOwned). A slot it does not own
// is dropped only if a ready rangeDeletion covers it and no live lease blocks that deletion; else
// its records are kept and reported deferred (kDeferredNotReady, kDeferredLeaseHeld) or, with no
// covering rangeDeletion at all, unexpected.
//
// OrphanPolicy is the interface the merge asks (once per slot, when it starts; the answers are
// frozen in its journal so that a resumed merge writes what an uninterrupted one would).
// CatalogOrphanPolicy reads the rules from the catalog and the lease files directly. Lease L
// blocks rangeDeletion R iff L's ownedSlots overlap R's slots and L's catalogEpoch is not the
// current one or L.catalogVersion < R.orphanedAt.catalogVersion (L was taken before the change
// that orphaned the slots, so its reader may still count them as owned). A lease file whose
// expiresAt has passed, or of this host whose process is gone, is stale: reaped, not live. An
// unreadable one blocks everything, so the policy errs on the side of keeping records.
//
// MakeMisplaced gives the rules of `repair misplaced` (doc/acquisition.md §6): there the records
// to export are the misplaced ones, of slots this shard does not own that no rangeDeletion covers:
// kDrop (to the owner's bundle), or kDeferredLeaseHeld when a live lease's ownedSlots include the
// slot. Slots a rangeDeletion covers are orphans, left to `merge --orphans-to`: kUnexpected (kept
// and counted), as are slots whose owner the catalog does not name.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/catalog_store.h"
#include "format/rdb_registry.h"
#include "io/file_system.h"

namespace shardtool {

enum class OrphanVerdict : uint8_t {
  kOwned,              // keep: this shard owns the slot
  kDrop,               // drop: covered by a ready, unblocked rangeDeletion
  kDeferredNotReady,   // keep: covered, but no covering rangeDeletion is ready
  kDeferredLeaseHeld,  // keep: ready, but a live lease blocks it
  kUnexpected,         // keep: not owned and no rangeDeletion covers it
};
std::string_view OrphanVerdictName(OrphanVerdict v);  // "owned", "drop", "notReady", ...

class OrphanPolicy {
 public:
  virtual ~OrphanPolicy() = default;
  // REQUIRES: 0 <= slot < 8192.
  virtual OrphanVerdict Verdict(int slot) const = 0;
  // The owning shard of a slot (where its records belong; -1 when unknown).
  virtual int32_t Owner(int slot) const = 0;
  // The lease files that keep a kDeferredLeaseHeld slot, for reports.
  virtual std::vector<std::string> Leases(int slot) const = 0;
};

class CatalogOrphanPolicy : public OrphanPolicy {
 public:
  // The rules for collection `c` of `catalog` at `now` (Unix seconds) with the lease files under
  // shardtool/leases/<uuid>/. orphan_delay: `merge --orphan-delay SEC`.
  static Result<std::unique_ptr<CatalogOrphanPolicy>> Make(FileSystem* fs,
                                                           const std::string& workdir,
                                                           const Catalog& catalog,
                                                           const CollectionEntry& c, int64_t now,
                                                           std::optional<int64_t> orphan_delay);
  // The rules of `repair misplaced` (see the comment atop this file).
  static Result<std::unique_ptr<CatalogOrphanPolicy>> MakeMisplaced(FileSystem* fs,
                                                                    const std::string& workdir,
                                                                    const Catalog& catalog,
                                                                    const CollectionEntry& c,
                                                                    int64_t now);
  OrphanVerdict Verdict(int slot) const override { return verdict_[static_cast<size_t>(slot)]; }
  int32_t Owner(int slot) const override { return owner_[static_cast<size_t>(slot)]; }
  std::vector<std::string> Leases(int slot) const override;

 private:
  std::array<OrphanVerdict, kNumSlots> verdict_{};
  std::array<int32_t, kNumSlots> owner_{};
  std::array<int16_t, kNumSlots> blocker_{};  // index into blocking_ for kDeferredLeaseHeld
  std::vector<std::vector<std::string>> blocking_;
  void FillOwners(const CollectionEntry& c);
};

// The data files that live leases of collection `uuid` list (doc/acquisition.md §6): a merge never
// unlinks, truncates or chops them. A lease file whose expiresAt (Unix seconds) has passed is not
// live; one that cannot be read pins nothing it could name, so it is reported by name and the
// caller treats every file as pinned (conservative): the result then holds "*".
Result<std::vector<std::string>> PinnedFilesFromLeases(FileSystem* fs, const std::string& workdir,
                                                       const std::string& uuid, int64_t now);

// The names of the leases that keep the deferred slots, in order of first appearance.
std::vector<std::string> DeferredLeases(const OrphanPolicy& policy,
                                        const std::vector<SlotRange>& slots_deferred);

// The outcome of a cleanup (doc/acquisition.md §6): Ok, or RangeDeletionDeferred{ns, slots, reason,
// leases} (exit 4) when `deferred` records were kept and none was dropped. reason is "leaseHeld"
// when `leases` (DeferredLeases) is not empty, else "notReady"; slots and leases are texts
// ("0-99 (100 slots)", "a.json,b.json").
Status OrphanCleanupOutcome(const std::string& ns, int64_t dropped, int64_t deferred,
                            const std::vector<SlotRange>& slots_deferred,
                            const std::vector<std::string>& leases);

// Removes `dropped` slots from collection `uuid`'s rangeDeletions (an entry left without slots
// goes) through an atomic catalog update under the global lock, one try. Ok(false) when the lock
// was busy or nothing changed.
Result<bool> CompleteRangeDeletions(FileSystem* fs, const std::string& workdir,
                                    const std::string& uuid, const std::vector<SlotRange>& dropped);

}  // namespace shardtool
