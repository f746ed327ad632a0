// The checks of an acquisition request against one catalog snapshot (doc/acquisition.md §3 steps
// 3-7), as pure functions: the same code serves locked and lock-free acquisitions, and the
// re-checks of a restore (§7). Step 1 (syntax) is ParseRequest; step 2 (locks) is the caller's.
//
// Steps, in order; the first failure is the result (info fields as §8):
//   3 dbVersion sent: database absent or its dbVersion null -> StaleDbVersion{db, received,
//     wanted: null}; uuid or lastMod differ -> StaleDbVersion{db, received, wanted}. Runs even if
//     the collection is absent.
//   4 by uuid: no collection with that uuid in that db -> NamespaceNotFound{db, uuid}; a
//     shardVersion other than UNTRACKED sent -> IncompatibleShardingMetadata{db, uuid, ns}.
//   5 expectedUUID: the name is a view, absent, or holds another uuid -> CollectionUUIDMismatch{db,
//     collectionUUID, expectedCollection, actualCollection (name now holding the uuid, or null)}.
//   6 a view: mustBeCollection -> CommandNotSupportedOnView{ns}; canBeView -> a view (its shard
//     version counts as UNTRACKED in step 7).
//   7 shardVersion sent (received R, current W of this host's shard): see CheckShardVersion.
// Success gives the target: a collection (sharded description or not), an absent collection
// (exists() false), or a view.
#pragma once

#include <string>

#include "acquire/acquisition_request.h"
#include "acquire/catalog_cache.h"
#include "base/status.h"

namespace shardtool {

enum class TargetKind { kCollection, kAbsent, kView };

struct Resolution {
  TargetKind kind = TargetKind::kAbsent;
  std::string ns;                               // the namespace acquired
  const CollectionEntry* collection = nullptr;  // kCollection (points into the snapshot)
  const ViewEntry* view = nullptr;              // kView
  // A shardVersion was sent and the collection is sharded: the acquisition gets the sharded
  // description (chunks, this shard's version, ownership filter). Else it gets an unsharded one.
  bool sharded_description = false;
};

// The collection the request names in `snap` (by ns or by uuid within its db), or nullptr. Used to
// plan collection locks before the checks run.
const CollectionEntry* TargetCollection(const CatalogSnapshot& snap, const ParsedRequest& req);

// Steps 3-7 for one request.
Result<Resolution> CheckRequest(const CatalogSnapshot& snap, const ParsedRequest& req);

// Step 3 alone.
Status CheckDbVersion(const CatalogSnapshot& snap, const std::string& db,
                      const PlacementConcern& placement);

// Step 7 alone, for namespace `ns` whose collection is `c` (nullptr: absent) or which is a view:
//   - absent: R UNTRACKED or IGNORED pass, else StaleConfig{ns, R, wanted UNTRACKED, shardId};
//   - placement unknown: StaleConfig{wanted: null} (also for IGNORED);
//   - R IGNORED passes; R UNTRACKED passes iff W is UNTRACKED;
//   - R a version fails if W is UNTRACKED, or the generation (epoch or timestamp) or the major
//     differs; a minor difference in either direction passes.
// Failure: StaleConfig{ns, received R, wanted W, shardId}. No shardVersion sent: Ok.
Status CheckShardVersion(const CatalogSnapshot& snap, const std::string& ns,
                         const CollectionEntry* c, bool is_view, const PlacementConcern& placement);

// Error builders (doc/acquisition.md §8), shared with restore.
Status StaleConfigError(const std::string& ns, const ShardVersion& received,
                        const ShardVersion& wanted, int32_t shard_id);
Status StaleDbVersionError(const std::string& db, const std::optional<DbVersion>& received,
                           const std::optional<DbVersion>& wanted);

}  // namespace shardtool
