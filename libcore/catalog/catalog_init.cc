// init (doc/acquisition.md §2): the catalog made from hosts.conf and the database dirs, or
// refreshed. Also the pieces other operations share: default chunks, coalescing, the cluster of a
// hosts.conf.
#include <algorithm>
#include <map>
#include <set>

#include "catalog/catalog_ops.h"
#include "catalog/namespace.h"
#include "format/rdb_registry.h"

namespace shardtool {

std::vector<Chunk> CoalesceChunks(std::vector<Chunk> chunks) {
  std::vector<Chunk> out;
  for (Chunk& ch : chunks) {
    if (!out.empty() && out.back().max == ch.min && out.back().shard == ch.shard &&
        out.back().version == ch.version) {
      out.back().max = ch.max;
    } else {
      out.push_back(std::move(ch));
    }
  }
  return out;
}

std::vector<Chunk> DefaultChunks(int32_t num_shards) {
  std::vector<Chunk> chunks;
  chunks.reserve(kNumSlots);
  for (int32_t slot = 0; slot < kNumSlots; slot++) {
    chunks.push_back(Chunk{slot, slot + 1, slot % num_shards, ChunkVersion{1, 0}, {}});
  }
  return CoalesceChunks(std::move(chunks));
}

ClusterInfo ClusterFromHostsConf(const HostsConf& hosts) {
  ClusterInfo c;
  c.num_shards = hosts.num_shards;
  c.num_mirrors = hosts.num_mirrors;
  for (const HostEntry& h : hosts.hosts) {
    c.hosts.push_back(CatalogHost{h.id, h.shard, h.workdir, h.ip1, {}});
  }
  return c;
}

namespace {

// Builds the catalog's entries for what is on disk, with fresh UUIDs.
class Builder {
 public:
  Builder(Catalog* c, const OpEnv& env, std::vector<ChangeNote>* notes)
      : c_(c), env_(env), notes_(notes) {}

  void AddCollection(const std::string& db, const std::string& rdb_name) {
    const RdbInfo* rdb = FindRdb(rdb_name);
    const std::string ns = db + "." + rdb_name;
    if (rdb == nullptr || c_->FindCollection(ns) != nullptr) return;
    if (c_->FindView(ns) != nullptr) {
      Note("skipCollection", ns, "has data files but is a view; not added");
      return;
    }
    CollectionEntry coll;
    coll.ns = ns;
    coll.uuid = env_.uuids();
    coll.rdb = rdb_name;
    coll.sharded = rdb->shardable();
    if (coll.sharded) {
      coll.generation = CollectionGeneration{env_.uuids(), 1};
      coll.chunks = DefaultChunks(c_->cluster.num_shards);
    }
    coll.part_size = kDefaultPartSize;
    Note("addCollection", ns,
         coll.sharded ? "sharded, uuid " + coll.uuid : "not sharded, uuid " + coll.uuid);
    c_->collections.push_back(std::move(coll));
  }

  void AddDatabase(const DiscoveredDatabase& disk) {
    DatabaseEntry d;
    d.name = disk.name;
    d.collnum = disk.collnum;
    d.uuid = env_.uuids();
    d.db_version = DbVersion{env_.uuids(), 1};
    Note("addDatabase", disk.name, disk.dir + ", uuid " + d.uuid);
    c_->databases.push_back(std::move(d));
    for (const std::string& rdb : disk.rdbs) AddCollection(disk.name, rdb);
  }

  // Removes a database with its collections, views and range deletions.
  void RemoveDatabase(const std::string& name) {
    std::erase_if(c_->databases, [&](const DatabaseEntry& d) { return d.name == name; });
    std::erase_if(c_->collections, [&](const CollectionEntry& x) { return x.db() == name; });
    std::erase_if(c_->views, [&](const ViewEntry& v) { return NamespaceDb(v.ns) == name; });
    std::erase_if(c_->range_deletions,
                  [&](const RangeDeletion& r) { return NamespaceDb(r.ns) == name; });
  }

  void Note(std::string kind, std::string target, std::string detail) {
    notes_->push_back({std::move(kind), std::move(target), std::move(detail)});
  }

 private:
  Catalog* c_;
  const OpEnv& env_;
  std::vector<ChangeNote>* notes_;
};

std::string Renamed(const std::string& ns, const std::string& to_db) {
  return to_db + ns.substr(ns.find('.'));
}

// Renames database `from` to `to` in every namespace (uuids kept).
void RenameDatabase(Catalog* c, const std::string& from, const std::string& to) {
  for (DatabaseEntry& d : c->databases) {
    if (d.name == from) d.name = to;
  }
  for (CollectionEntry& x : c->collections) {
    if (x.db() == from) x.ns = Renamed(x.ns, to);
  }
  for (ViewEntry& v : c->views) {
    if (NamespaceDb(v.ns) == from) {
      v.ns = Renamed(v.ns, to);
      v.view_on = Renamed(v.view_on, to);
    }
  }
  for (RangeDeletion& r : c->range_deletions) {
    if (NamespaceDb(r.ns) == from) r.ns = Renamed(r.ns, to);
  }
}

Status CheckDisk(const std::vector<DiscoveredDatabase>& dbs) {
  std::map<std::string, std::string> by_name;
  std::map<int32_t, std::string> by_collnum;
  for (const DiscoveredDatabase& d : dbs) {
    auto [it, fresh] = by_name.emplace(d.name, d.dir);
    if (!fresh) {
      return FailedPreconditionStatus("two database dirs for database " + d.name + ": " +
                                      it->second + " and " + d.dir);
    }
    auto [it2, fresh2] = by_collnum.emplace(d.collnum, d.dir);
    if (!fresh2) {
      return FailedPreconditionStatus("two database dirs with collnum " +
                                      std::to_string(d.collnum) + ": " + it2->second + " and " +
                                      d.dir);
    }
  }
  return Status::Ok();
}

// The cluster after a refresh: hosts.conf's, keeping the unknown fields of hosts that stay.
ClusterInfo MergeCluster(const ClusterInfo& old, ClusterInfo fresh) {
  fresh.extra = old.extra;
  for (size_t i = 0; i < fresh.hosts.size() && i < old.hosts.size(); i++) {
    fresh.hosts[i].extra = old.hosts[i].extra;
  }
  return fresh;
}

Result<OpResult> FromNothing(const Catalog* current, const InitRequest& req, const OpEnv& env) {
  OpResult r;
  Catalog& c = r.catalog;
  c.epoch = env.uuids();
  c.version = current != nullptr ? current->version + 1 : 1;
  c.cluster = ClusterFromHostsConf(req.hosts);
  c.this_host = req.host_id;
  Builder b(&c, env, &r.notes);
  b.Note(current != nullptr ? "rebuildCatalog" : "createCatalog", "",
         "epoch " + c.epoch + ", " + std::to_string(c.cluster.num_shards) + " shards, host " +
             std::to_string(req.host_id) + " in shard " + std::to_string(c.this_shard()));
  for (const DiscoveredDatabase& d : req.databases) b.AddDatabase(d);
  c.SortEntries();
  r.changed = true;
  return r;
}

}  // namespace

Result<OpResult> InitCatalog(const Catalog* current, const InitRequest& req, const OpEnv& env) {
  if (req.host_id < 0 || static_cast<size_t>(req.host_id) >= req.hosts.hosts.size()) {
    return FailedPreconditionStatus("host id " + std::to_string(req.host_id) +
                                    " is not a host of hosts.conf (" +
                                    std::to_string(req.hosts.hosts.size()) + " hosts)");
  }
  RETURN_IF_ERROR(CheckDisk(req.databases));
  if (current == nullptr || req.rebuild) return FromNothing(current, req, env);

  const Catalog& old = *current;
  if (req.hosts.num_shards != old.cluster.num_shards) {
    return FailedPreconditionStatus(
        "hosts.conf has " + std::to_string(req.hosts.num_shards) + " shards, the catalog " +
        std::to_string(old.cluster.num_shards) +
        ": use `shardtool catalog reshard` to change the number of shards");
  }
  OpResult r;
  r.catalog = old;
  Catalog& c = r.catalog;
  Builder b(&c, env, &r.notes);

  const int32_t new_shard = req.hosts.hosts[static_cast<size_t>(req.host_id)].shard;
  if (req.host_id != old.this_host) {
    if (new_shard != old.this_shard()) {
      return FailedPreconditionStatus(
          "host " + std::to_string(req.host_id) + " is in shard " + std::to_string(new_shard) +
          " but the catalog's host " + std::to_string(old.this_host) + " is in shard " +
          std::to_string(old.this_shard()) + ": use `shardtool init --rebuild`");
    }
    c.this_host = req.host_id;
    b.Note("setThisHost", "", "host " + std::to_string(req.host_id));
  }
  ClusterInfo cluster = MergeCluster(old.cluster, ClusterFromHostsConf(req.hosts));
  if (!(cluster == old.cluster)) {
    c.cluster = std::move(cluster);
    b.Note("updateCluster", "", "hosts taken from hosts.conf");
  }

  std::map<std::string, const DiscoveredDatabase*> disk_by_name;
  for (const DiscoveredDatabase& d : req.databases) disk_by_name[d.name] = &d;
  std::set<std::string> handled;  // disk names matched by a catalog database
  std::set<std::string> touched;  // databases whose set of collections or name changed

  for (const DatabaseEntry& d : old.databases) {
    auto it = disk_by_name.find(d.name);
    if (it != disk_by_name.end()) {
      handled.insert(d.name);
      if (it->second->collnum == d.collnum) continue;  // kept
      b.RemoveDatabase(d.name);
      b.Note("recreateDatabase", d.name,
             "collnum " + std::to_string(d.collnum) + " -> " + it->second->dir);
      b.AddDatabase(*it->second);
      continue;
    }
    // The name is gone: a rename when its collnum reappears under a name the catalog lacks.
    const DiscoveredDatabase* to = nullptr;
    for (const DiscoveredDatabase& x : req.databases) {
      if (x.collnum == d.collnum && old.FindDatabase(x.name) == nullptr && !handled.count(x.name)) {
        to = &x;
        break;
      }
    }
    if (to != nullptr) {
      RenameDatabase(&c, d.name, to->name);
      handled.insert(to->name);
      touched.insert(to->name);
      b.Note("renameDatabase", to->name, "from " + d.name + " (" + to->dir + ")");
    } else {
      b.RemoveDatabase(d.name);
      b.Note("removeDatabase", d.name, d.DirName() + " is gone");
    }
  }
  for (const DiscoveredDatabase& d : req.databases) {
    if (!handled.count(d.name)) b.AddDatabase(d);
  }
  // New Rdbs with files in databases that stay (new and recreated ones have all of theirs).
  for (const DiscoveredDatabase& d : req.databases) {
    const DatabaseEntry* was = old.FindDatabase(d.name);
    const bool kept = was != nullptr && was->collnum == d.collnum;
    if (!kept && !touched.count(d.name)) continue;
    const size_t before = c.collections.size();
    for (const std::string& rdb : d.rdbs) b.AddCollection(d.name, rdb);
    if (c.collections.size() != before) touched.insert(d.name);
  }
  for (const std::string& name : touched) {
    DatabaseEntry* d = c.FindDatabase(name);
    if (d != nullptr && d->db_version) d->db_version->last_mod++;
  }
  c.SortEntries();
  r.changed = !(c == old);
  if (r.changed) c.version = old.version + 1;
  return r;
}

}  // namespace shardtool
