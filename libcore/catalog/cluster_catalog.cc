// catalog export/apply (cluster_catalog.h): the config host, the export document, and apply.
#include "catalog/cluster_catalog.h"

#include <map>
#include <nlohmann/json.hpp>

#include "catalog/ownership_filter.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

// Finds the current collection that `n` replaces: by uuid in the same epoch, by ns on adoption.
const CollectionEntry* Before(const Catalog& current, const CollectionEntry& n, bool by_name) {
  return by_name ? current.FindCollection(n.ns) : current.FindCollectionByUuid(n.uuid);
}

// The cluster parts of a catalog, for comparing two catalogs of one epoch.
Catalog ClusterPart(const Catalog& c) {
  Catalog x = c;
  x.this_host = 0;
  x.config_host.reset();
  x.range_deletions.clear();
  return x;
}

}  // namespace

int32_t ConfigHostOf(const Catalog& c) { return c.config_host.value_or(0); }

bool ChangesRefusedHere(const Catalog& c) {
  return c.config_host.has_value() && *c.config_host != c.this_host;
}

std::string ConfigHostText(const Catalog& c) {
  const int32_t id = ConfigHostOf(c);
  std::string text = "host " + std::to_string(id);
  if (id >= 0 && static_cast<size_t>(id) < c.cluster.hosts.size()) {
    const CatalogHost& h = c.cluster.hosts[static_cast<size_t>(id)];
    text += " (" + h.ip + " " + h.workdir + ")";
  }
  return text;
}

Result<Catalog> ParseClusterCatalog(std::string_view text, std::string_view path) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return CorruptCatalogError(path, std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object()) return CorruptCatalogError(path, "not a JSON object");
  auto it = doc.find("configHost");
  if (it == doc.end() || !it->is_number_integer()) {
    return CorruptCatalogError(path, "configHost: missing or not an integer (not an export of " +
                                         std::string("`shardtool catalog export`)"));
  }
  if (doc.contains("thisHost") || doc.contains("rangeDeletions")) {
    return CorruptCatalogError(path, "a cluster catalog has no thisHost or rangeDeletions (this " +
                                         std::string("is a host's catalog.json, not an export)"));
  }
  doc["thisHost"] = *it;
  doc["rangeDeletions"] = Json::array();
  return ParseCatalog(doc.dump(), path);
}

Result<OpResult> ApplyClusterCatalog(const Catalog* current, const ApplyRequest& req,
                                     const OpEnv& env) {
  const Catalog& e = req.cluster;
  if (req.orphan_delay < 0) return UsageErrorStatus("--orphan-delay must be >= 0");
  const bool other_epoch = current != nullptr && current->epoch != e.epoch;
  if (other_epoch && !req.adopt) {
    return FailedPreconditionStatus(
        "this host's catalog has epoch " + current->epoch + ", the cluster catalog " + e.epoch +
        ": they are not one cluster's (the first adoption of a host that ran its own init takes " +
        "--adopt)");
  }
  OpResult r;
  if (current != nullptr && !other_epoch) {
    if (e.version < current->version) {
      // This host's version may be ahead by its own changes only (a merge that completed a range
      // deletion bumps the version of this host's catalog): with the same cluster part there is
      // nothing to apply.
      Catalog here = ClusterPart(*current);
      here.version = e.version;
      if (here == ClusterPart(e)) {
        r.catalog = *current;
        return r;
      }
      return StaleConfigStatus("the cluster catalog (version " + std::to_string(e.version) +
                               ") is older than this host's (version " +
                               std::to_string(current->version) + ")");
    }
    if (e.version == current->version) {
      if (ClusterPart(*current) == ClusterPart(e)) {
        r.catalog = *current;
        return r;  // already applied
      }
      return FailedPreconditionStatus(
          "this host's catalog and the cluster catalog differ at the same version " +
          std::to_string(e.version) + ": they diverged (see `shardtool catalog check`)");
    }
  }
  const int32_t me = current != nullptr ? current->this_host : req.host_id;
  if (me < 0 || static_cast<size_t>(me) >= e.cluster.hosts.size()) {
    return FailedPreconditionStatus("this host (" + std::to_string(me) +
                                    ") is not a host of the cluster catalog (" +
                                    std::to_string(e.cluster.hosts.size()) + " hosts)");
  }

  Catalog& n = r.catalog;
  n = e;
  n.this_host = me;
  n.config_host = ConfigHostOf(e);
  n.range_deletions.clear();
  const int32_t new_shard = n.this_shard();
  r.notes.push_back(
      {current == nullptr ? "createCatalog" : (other_epoch ? "adoptCatalog" : "applyCatalog"), "",
       "epoch " + e.epoch + ", version " +
           (current != nullptr ? std::to_string(current->version) + " -> " : "") +
           std::to_string(e.version) + ", config host " + std::to_string(*n.config_host)});
  if (current != nullptr) {
    const int32_t old_shard = current->this_shard();
    // The existing range deletions, remapped to the cluster's collections (by uuid, or by ns on
    // adoption), lose the slots this shard now owns; those of collections gone are dropped.
    for (const RangeDeletion& rd : current->range_deletions) {
      const CollectionEntry* was = current->FindCollectionByUuid(rd.uuid);
      const CollectionEntry* now = nullptr;
      for (const CollectionEntry& c : n.collections) {
        if (was != nullptr && Before(*current, c, other_epoch) == was) now = &c;
      }
      if (now == nullptr || !now->sharded) continue;
      RangeDeletion kept = rd;
      kept.ns = now->ns;
      kept.uuid = now->uuid;
      kept.slots = SubtractRanges(rd.slots, OwnedRanges(*now, new_shard));
      if (other_epoch) {
        kept.orphaned_at = {ShardVersionOf(*now, new_shard).ToString(), n.version, env.now};
      }
      if (!kept.slots.empty()) n.range_deletions.push_back(std::move(kept));
    }
    for (const CollectionEntry& c : n.collections) {
      if (!c.sharded || c.placement_unknown()) continue;
      const CollectionEntry* was = Before(*current, c, other_epoch);
      if (was == nullptr || !was->sharded || was->placement_unknown()) continue;
      std::vector<SlotRange> lost =
          SubtractRanges(OwnedRanges(*was, old_shard), OwnedRanges(c, new_shard));
      if (lost.empty()) continue;
      RangeDeletion rd;
      rd.ns = c.ns;
      rd.uuid = c.uuid;
      rd.slots = std::move(lost);
      rd.orphaned_at = {ShardVersionOf(c, new_shard).ToString(), n.version, env.now};
      rd.ready_after = env.now + req.orphan_delay;
      r.notes.push_back({"addRangeDeletion", c.ns,
                         "slots " + SlotRangesText(rd.slots) + ", ready after " +
                             std::to_string(rd.ready_after)});
      n.range_deletions.push_back(std::move(rd));
    }
    if (other_epoch) {
      for (const CollectionEntry& c : n.collections) {
        const CollectionEntry* was = current->FindCollection(c.ns);
        if (was != nullptr && was->uuid != c.uuid) {
          r.notes.push_back({"remapUuid", c.ns, was->uuid + " -> " + c.uuid});
        }
      }
    }
  }
  r.changed = true;
  r.version_from_cluster = true;
  return r;
}

}  // namespace shardtool
