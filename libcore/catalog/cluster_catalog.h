// One catalog for the cluster (issue 17 §2). The config host (configHost, host 0 unless the
// catalog says otherwise) holds the authoritative catalog; `catalog export` prints the cluster
// catalog (the catalog without this host's own members, thisHost and rangeDeletions, and with
// configHost); `catalog apply` adopts it on any host; `catalog check` compares.
//
// The export document is catalog.json's (catalog.h) without "thisHost" and "rangeDeletions" and
// with "configHost" always present; ParseClusterCatalog reads it into a Catalog whose thisHost is
// the config host and whose range deletions are empty, validated as catalog.json is.
//
// Apply (a pure operation, as catalog_ops.h's) makes this host's catalog the cluster's: the same
// epoch, uuids, generations, chunks, views and versions, configHost set, thisHost kept; this host's
// range deletions derived as move-slots and reshard derive them: per sharded collection, the slots
// its shard owned under the current catalog and does not own under the cluster's get a range
// deletion (orphanedAt {its new shard version, the cluster's catalogVersion, now}, readyAfter now +
// orphan delay), and the existing range deletions lose the slots it now owns. A collection whose
// placement was unknown here owned nothing: its data is kept.
//   - same epoch, same version: no change when the cluster parts agree; FailedPrecondition when
//     they differ (the catalogs diverged).
//   - same epoch, older version: StaleConfig (exit 5).
//   - another epoch: FailedPrecondition (exit 3) unless adopt: then collections and databases
//     are matched by name, this host's uuids are replaced by the cluster's (its range deletions
//     remapped), and the version is the cluster's.
//   - no catalog here: the cluster's with thisHost request.host_id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "catalog/catalog.h"
#include "catalog/catalog_ops.h"

namespace shardtool {

// configHost, or host 0 when the catalog has none.
int32_t ConfigHostOf(const Catalog& c);
// True when changes to placement and views must be made on another host (the config host).
bool ChangesRefusedHere(const Catalog& c);
// "host 0 (10.0.0.1 /data/gb0)".
std::string ConfigHostText(const Catalog& c);

// The export text: catalog.json's canonical form without this host's members (see above).
std::string SerializeClusterCatalog(const Catalog& catalog);
// Reads an export. CorruptCatalog{path, detail} when the text is not a valid cluster catalog.
Result<Catalog> ParseClusterCatalog(std::string_view text, std::string_view path);

struct ApplyRequest {
  Catalog cluster;       // ParseClusterCatalog's result
  int32_t host_id = -1;  // when there is no catalog here: this host (REQUIRES >= 0 then)
  bool adopt = false;
  int64_t orphan_delay = kDefaultOrphanDelaySeconds;
};

Result<OpResult> ApplyClusterCatalog(const Catalog* current, const ApplyRequest& request,
                                     const OpEnv& env);

// The differences between this host's catalog and the cluster's, one line each (empty: they
// agree). This host's own members (thisHost, rangeDeletions) and unknown members are not compared;
// configHost only when this host's catalog has one.
std::vector<std::string> CatalogDifferences(const Catalog& here, const Catalog& cluster);

}  // namespace shardtool
