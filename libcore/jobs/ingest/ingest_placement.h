// Is a bundle meant for this host? (issue 16 item 4; doc/format.md §10.2 B5 as refined in
// doc/format-notes.md.) Checked after B1-B4 and before anything is written:
//
//   1. target_shard is this host's shard. Otherwise StaleConfig (exit 5) when the bundle was made
//      under another catalog version than the host's (one of the two catalogs is behind), else
//      IncompatibleShardingMetadata (exit 3).
//   2. When the bundle was made under this host's catalog lineage (same catalog epoch: the same
//      host, or catalogs handed from one host to the others), its identity and placement are
//      comparable: another collection uuid is IncompatibleShardingMetadata (exit 3: the collection
//      was dropped and made again), another shard version of the target shard is StaleConfig
//      (exit 5). Catalogs made by separate `init`s have their own epochs and uuids, which say
//      nothing about each other: then only 1 and the record ownership (B5) decide.
//   Bundles written before the uuid was recorded skip its comparison (1 and B5 still apply).
#pragma once

#include "base/status.h"
#include "catalog/catalog.h"
#include "jobs/bundle/bundle_writer.h"

namespace shardtool {

// `coll`: the bundle's collection in the host's catalog (nullptr when absent).
Status CheckBundlePlacement(const BundleManifest& m, const Catalog& cat,
                            const CollectionEntry* coll, const std::string& bundle_dir);

}  // namespace shardtool
