#include "render/catalog_render.h"

#include "catalog/ownership_filter.h"
#include "render/text_render.h"

namespace shardtool {

Json AdminResultJson(const std::string& command, const AdminResult& r) {
  Json j;
  j["schema_version"] = 1;
  j["command"] = command;
  j["written"] = r.written;
  j["catalog"] = {{"epoch", r.catalog.epoch}, {"version", r.catalog.version}};
  j["thisHost"] = r.catalog.this_host;
  j["shard"] = r.catalog.this_shard();
  Json changes = Json::array();
  for (const ChangeNote& n : r.notes) {
    changes.push_back({{"kind", n.kind}, {"target", n.target}, {"detail", n.detail}});
  }
  j["changes"] = changes;
  if (command == "init") j["ignored"] = r.ignored;
  return j;
}

void PrintAdminResult(std::ostream& out, const AdminResult& r) {
  if (r.written) {
    out << "catalog version " << r.catalog.version << " written (epoch " << r.catalog.epoch
        << ")\n";
  } else {
    out << "catalog unchanged (version " << r.catalog.version << ", epoch " << r.catalog.epoch
        << ")\n";
  }
  for (const ChangeNote& n : r.notes) {
    out << "  " << n.kind;
    if (!n.target.empty()) out << " " << n.target;
    if (!n.detail.empty()) out << ": " << n.detail;
    out << "\n";
  }
  for (const std::string& name : r.ignored) {
    out << "  ignored " << name << ": not a database dir coll.<name>.<collnum>\n";
  }
}

void PrintCatalog(std::ostream& out, const std::string& path, const Catalog& c, int32_t host_id) {
  const int32_t shard = host_id >= 0 && static_cast<size_t>(host_id) < c.cluster.hosts.size()
                            ? c.cluster.hosts[static_cast<size_t>(host_id)].shard
                            : c.this_shard();
  out << "catalog    " << path << "\n";
  out << "epoch      " << c.epoch << "\n";
  out << "version    " << c.version << "\n";
  out << "cluster    " << c.cluster.num_shards << " shards, " << c.cluster.num_mirrors
      << " mirrors, " << c.cluster.hosts.size() << " hosts; this host " << c.this_host << " (shard "
      << c.this_shard() << ")";
  if (host_id >= 0 && host_id != c.this_host) out << "; shown for host " << host_id;
  out << "\n\ndatabases\n";
  TextTable dbs({"name", "collnum", "uuid", "dbVersion"});
  for (const DatabaseEntry& d : c.databases) {
    dbs.AddRow({d.name, std::to_string(d.collnum), d.uuid,
                d.db_version ? d.db_version->ToString() : "null (unknown)"});
  }
  dbs.Print(out);
  out << "\ncollections (versions and slots of shard " << shard << ")\n";
  TextTable colls({"ns", "uuid", "chunks", "version", "owned"});
  for (const CollectionEntry& x : c.collections) {
    std::string owned = "all (not sharded)";
    if (x.sharded) owned = SlotRangesText(OwnedRanges(x, shard), 3);
    colls.AddRow({x.ns, x.uuid, std::to_string(x.chunks.size()),
                  ShardVersionOf(x, shard).ToString(), owned});
  }
  colls.Print(out);
  if (!c.views.empty()) {
    out << "\nviews\n";
    TextTable views({"ns", "viewOn", "min", "max"});
    for (const ViewEntry& v : c.views) views.AddRow({v.ns, v.view_on, v.key_min, v.key_max});
    views.Print(out);
  }
  if (!c.range_deletions.empty()) {
    out << "\nrange deletions\n";
    TextTable rds({"ns", "slots", "orphanedAt", "catalogVersion", "readyAfter"});
    for (const RangeDeletion& r : c.range_deletions) {
      rds.AddRow({r.ns, SlotRangesText(r.slots, 4), r.orphaned_at.version,
                  std::to_string(r.orphaned_at.catalog_version), std::to_string(r.ready_after)});
    }
    rds.Print(out);
  }
}

}  // namespace shardtool
