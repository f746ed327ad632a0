#include "jobs/ingest/ingest_placement.h"

#include <string>

namespace shardtool {

Status CheckBundlePlacement(const BundleManifest& m, const Catalog& cat,
                            const CollectionEntry* coll, const std::string& bundle_dir) {
  const BundleHeader& h = m.header;
  const std::string made = "the bundle was made under catalog version " +
                           std::to_string(h.catalog_version) + ", this host has " +
                           std::to_string(cat.version);
  if (h.target_shard != cat.this_shard()) {
    const std::string msg = bundle_dir + ": the bundle is for shard " +
                            std::to_string(h.target_shard) + ", this host is in shard " +
                            std::to_string(cat.this_shard());
    if (h.catalog_version != cat.version) {
      return StaleConfigStatus(msg + "; " + made).With("rule", "B5");
    }
    return IncompatibleShardingMetadataStatus(msg).With("rule", "B5");
  }
  if (h.catalog_epoch.empty() || h.catalog_epoch != cat.epoch || coll == nullptr) {
    return Status::Ok();
  }
  if (!h.collection_uuid.empty() && h.collection_uuid != coll->uuid) {
    return IncompatibleShardingMetadataStatus(bundle_dir + ": the bundle is for collection uuid " +
                                              h.collection_uuid + ", " + coll->ns + " here is " +
                                              coll->uuid + " (dropped and made again?)")
        .With("rule", "B5");
  }
  const std::string here = ShardVersionOf(*coll, h.target_shard).ToString();
  if (!h.catalog_shard_version.empty() && h.catalog_shard_version != here) {
    return StaleConfigStatus(bundle_dir + ": the bundle was routed under shard version " +
                             h.catalog_shard_version + " of shard " +
                             std::to_string(h.target_shard) + ", this host has " + here + "; " +
                             made)
        .With("rule", "B5");
  }
  return Status::Ok();
}

}  // namespace shardtool
