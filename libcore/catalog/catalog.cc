// The catalog model: lookups, shard versions, and the validation rules of doc/acquisition.md §2.
// (The JSON text form is in catalog_json.cc, catalog_json_fast.cc and catalog_json_write.cc.)
#include "catalog/catalog.h"

#include <algorithm>
#include <set>

#include "base/hex.h"
#include "catalog/namespace.h"
#include "catalog/uuid.h"
#include "format/rdb_registry.h"

namespace shardtool {

std::string DatabaseEntry::DirName() const { return DatabaseDirName(name, collnum); }

std::string_view CollectionEntry::db() const { return NamespaceDb(ns); }

std::string_view CollectionEntry::name() const {
  const size_t dot = ns.find('.');
  return dot == std::string::npos ? std::string_view() : std::string_view(ns).substr(dot + 1);
}

const DatabaseEntry* Catalog::FindDatabase(std::string_view name) const {
  for (const auto& d : databases) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

DatabaseEntry* Catalog::FindDatabase(std::string_view name) {
  for (auto& d : databases) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const CollectionEntry* Catalog::FindCollection(std::string_view ns) const {
  for (const auto& c : collections) {
    if (c.ns == ns) return &c;
  }
  return nullptr;
}

CollectionEntry* Catalog::FindCollection(std::string_view ns) {
  for (auto& c : collections) {
    if (c.ns == ns) return &c;
  }
  return nullptr;
}

const CollectionEntry* Catalog::FindCollectionByUuid(std::string_view uuid) const {
  for (const auto& c : collections) {
    if (c.uuid == uuid) return &c;
  }
  return nullptr;
}

const ViewEntry* Catalog::FindView(std::string_view ns) const {
  for (const auto& v : views) {
    if (v.ns == ns) return &v;
  }
  return nullptr;
}

int32_t Catalog::this_shard() const {
  if (this_host < 0 || static_cast<size_t>(this_host) >= cluster.hosts.size()) return -1;
  return cluster.hosts[static_cast<size_t>(this_host)].shard;
}

void Catalog::SortEntries() {
  std::stable_sort(databases.begin(), databases.end(),
                   [](const auto& a, const auto& b) { return a.name < b.name; });
  std::stable_sort(collections.begin(), collections.end(),
                   [](const auto& a, const auto& b) { return a.ns < b.ns; });
  std::stable_sort(views.begin(), views.end(),
                   [](const auto& a, const auto& b) { return a.ns < b.ns; });
}

std::optional<ChunkVersion> MaxChunkVersion(const CollectionEntry& c, int32_t shard) {
  std::optional<ChunkVersion> best;
  for (const Chunk& ch : c.chunks) {
    if (ch.shard == shard && (!best || ch.version > *best)) best = ch.version;
  }
  return best;
}

std::optional<ChunkVersion> CollectionVersion(const CollectionEntry& c) {
  std::optional<ChunkVersion> best;
  for (const Chunk& ch : c.chunks) {
    if (!best || ch.version > *best) best = ch.version;
  }
  return best;
}

ShardVersion ShardVersionOf(const CollectionEntry& c, int32_t shard) {
  if (!c.sharded) return ShardVersion::Untracked();
  if (!c.generation) return ShardVersion::Unknown();
  auto v = MaxChunkVersion(c, shard);
  if (!v) return ShardVersion::Untracked();
  return ShardVersion::Versioned(*c.generation, *v);
}

ShardVersion CurrentShardVersion(const Catalog& catalog, const CollectionEntry& c) {
  return ShardVersionOf(c, catalog.this_shard());
}

Status CorruptCatalogError(std::string_view path, std::string detail) {
  Status s = CorruptCatalogStatus(std::string(path) + ": " + detail);
  s.With("path", std::string(path)).With("detail", std::move(detail));
  return s;
}

namespace {

// Collects the first rule breach with its location in the document.
class Validator {
 public:
  Validator(const Catalog& c, std::string_view path) : c_(c), path_(path) {}

  Status Run() {
    CheckTop();
    CheckCluster();
    CheckDatabases();
    CheckCollections();
    CheckViews();
    CheckRangeDeletions();
    return status_;
  }

 private:
  // Records a breach (only the first counts).
  void Fail(const std::string& where, const std::string& what) {
    if (status_.ok()) status_ = CorruptCatalogError(path_, where + ": " + what);
  }
  static std::string At(const char* array, size_t i) {
    return std::string(array) + "[" + std::to_string(i) + "]";
  }

  void CheckUuid(const std::string& where, const std::string& uuid) {
    if (!IsUuidV4(uuid)) Fail(where, "'" + uuid + "' is not a v4 UUID");
  }

  void CheckTop() {
    if (c_.schema_version != kCatalogSchemaVersion) {
      Fail("schema_version", "unsupported value " + std::to_string(c_.schema_version));
    }
    CheckUuid("catalogEpoch", c_.epoch);
    if (c_.version < 1) Fail("catalogVersion", "must be >= 1");
  }

  void CheckCluster() {
    const ClusterInfo& cl = c_.cluster;
    if (cl.num_shards < 1) return Fail("cluster.numShards", "must be >= 1");
    if (cl.num_mirrors < 0) return Fail("cluster.numMirrors", "must be >= 0");
    const size_t want =
        static_cast<size_t>(cl.num_shards) * (static_cast<size_t>(cl.num_mirrors) + 1);
    if (cl.hosts.size() != want) {
      return Fail("cluster.hosts", std::to_string(cl.hosts.size()) + " hosts, numShards x " +
                                       "(numMirrors+1) = " + std::to_string(want));
    }
    for (size_t i = 0; i < cl.hosts.size(); i++) {
      const CatalogHost& h = cl.hosts[i];
      if (h.id != static_cast<int32_t>(i)) {
        Fail(At("cluster.hosts", i) + ".id",
             "is " + std::to_string(h.id) + ", must be " + std::to_string(i));
      }
      if (h.shard != static_cast<int32_t>(i % static_cast<size_t>(cl.num_shards))) {
        Fail(At("cluster.hosts", i) + ".shard",
             "is " + std::to_string(h.shard) + ", must be id % numShards");
      }
    }
    if (c_.this_host < 0 || static_cast<size_t>(c_.this_host) >= cl.hosts.size()) {
      Fail("thisHost", std::to_string(c_.this_host) + " is not a host of the cluster");
    }
    if (c_.config_host &&
        (*c_.config_host < 0 || static_cast<size_t>(*c_.config_host) >= cl.hosts.size())) {
      Fail("configHost", std::to_string(*c_.config_host) + " is not a host of the cluster");
    }
  }

  void CheckDatabases() {
    std::set<std::string> uuids;
    for (size_t i = 0; i < c_.databases.size(); i++) {
      const DatabaseEntry& d = c_.databases[i];
      const std::string at = At("databases", i);
      if (!IsValidNamePart(d.name)) Fail(at + ".name", "'" + d.name + "' is not a valid name");
      if (i > 0 && !(c_.databases[i - 1].name < d.name)) {
        Fail(at + ".name", "'" + d.name + "' is not sorted after '" + c_.databases[i - 1].name +
                               "' (databases are sorted by name, unique)");
      }
      if (d.collnum < 0) Fail(at + ".collnum", "must be >= 0");
      CheckUuid(at + ".uuid", d.uuid);
      if (!uuids.insert(d.uuid).second) Fail(at + ".uuid", "duplicate uuid " + d.uuid);
      if (d.db_version) CheckUuid(at + ".dbVersion.uuid", d.db_version->uuid);
    }
  }

  void CheckChunks(const std::string& at, const CollectionEntry& coll) {
    if (coll.chunks.empty() && !coll.generation) return;  // placement unknown, no chunks
    int32_t next = 0;
    for (size_t j = 0; j < coll.chunks.size(); j++) {
      const Chunk& ch = coll.chunks[j];
      const std::string cat = at + "." + At("chunks", j);
      if (ch.min != next) {
        return Fail(cat + ".min", std::to_string(ch.min) + " where " + std::to_string(next) +
                                      " was expected (chunks sorted, contiguous, from 0)");
      }
      if (ch.max <= ch.min || ch.max > kNumSlots) {
        return Fail(cat + ".max", std::to_string(ch.max) + " is not in (min, 8192]");
      }
      if (ch.shard < 0 || ch.shard >= c_.cluster.num_shards) {
        return Fail(cat + ".shard", std::to_string(ch.shard) + " is not a shard of the cluster");
      }
      next = ch.max;
    }
    if (next != kNumSlots) {
      Fail(at + ".chunks", "cover [0," + std::to_string(next) + ") instead of [0,8192)");
    }
  }

  void CheckCollections() {
    std::set<std::string> uuids;
    for (size_t i = 0; i < c_.collections.size(); i++) {
      const CollectionEntry& coll = c_.collections[i];
      const std::string at = At("collections", i);
      if (!ParseNamespace(coll.ns)) {
        Fail(at + ".ns", "'" + coll.ns + "' is not a valid namespace");
        continue;
      }
      if (i > 0 && !(c_.collections[i - 1].ns < coll.ns)) {
        Fail(at + ".ns", "'" + coll.ns + "' is not sorted after '" + c_.collections[i - 1].ns +
                             "' (collections are sorted by ns, unique)");
      }
      if (c_.FindDatabase(coll.db()) == nullptr) {
        Fail(at + ".ns", "database '" + std::string(coll.db()) + "' is not in databases");
      }
      CheckUuid(at + ".uuid", coll.uuid);
      if (!uuids.insert(coll.uuid).second) Fail(at + ".uuid", "duplicate uuid " + coll.uuid);
      const RdbInfo* rdb = FindRdb(coll.rdb);
      if (rdb == nullptr) {
        Fail(at + ".rdb", "'" + coll.rdb + "' is not a registry Rdb");
        continue;
      }
      if (coll.sharded != rdb->shardable()) {
        Fail(at + ".sharded", std::string(coll.sharded ? "true" : "false") + " but " + coll.rdb +
                                  (rdb->shardable() ? " is" : " is not") + " shardable");
      }
      const uint64_t unit = 2048ULL * rdb->page_size;
      if (coll.part_size == 0 || coll.part_size % unit != 0) {
        Fail(at + ".partSize", std::to_string(coll.part_size) + " is not a positive multiple of " +
                                   std::to_string(unit) + " (2048 x page size, doc/format.md §4)");
      }
      if (!coll.sharded) {
        if (coll.generation) Fail(at + ".generation", "must be null for an unsharded collection");
        if (!coll.chunks.empty()) Fail(at + ".chunks", "must be [] for an unsharded collection");
        continue;
      }
      if (coll.generation) CheckUuid(at + ".generation.epoch", coll.generation->epoch);
      CheckChunks(at, coll);
    }
  }

  void CheckViews() {
    for (size_t i = 0; i < c_.views.size(); i++) {
      const ViewEntry& v = c_.views[i];
      const std::string at = At("views", i);
      auto ns = ParseNamespace(v.ns);
      if (!ns) {
        Fail(at + ".ns", "'" + v.ns + "' is not a valid namespace");
        continue;
      }
      if (i > 0 && !(c_.views[i - 1].ns < v.ns)) {
        Fail(at + ".ns", "'" + v.ns + "' is not sorted after '" + c_.views[i - 1].ns +
                             "' (views are sorted by ns, unique)");
      }
      if (c_.FindDatabase(ns->db) == nullptr) {
        Fail(at + ".ns", "database '" + ns->db + "' is not in databases");
      }
      if (c_.FindCollection(v.ns) != nullptr) {
        Fail(at + ".ns", "'" + v.ns + "' is both a collection and a view");
      }
      const CollectionEntry* on = c_.FindCollection(v.view_on);
      if (on == nullptr || on->db() != ns->db) {
        Fail(at + ".viewOn", "'" + v.view_on + "' is not a collection of database " + ns->db);
        continue;
      }
      const RdbInfo* rdb = FindRdb(on->rdb);
      if (rdb == nullptr) continue;  // reported on the collection
      std::vector<uint8_t> lo, hi;
      const size_t digits = 2 * static_cast<size_t>(rdb->key_size);
      if (v.key_min.size() != digits || !ParseHex(v.key_min, &lo)) {
        Fail(at + ".keyRange.min", "'" + v.key_min + "' is not " + std::to_string(digits) +
                                       " hex digits (" + on->rdb + " key)");
      } else if (v.key_max.size() != digits || !ParseHex(v.key_max, &hi)) {
        Fail(at + ".keyRange.max", "'" + v.key_max + "' is not " + std::to_string(digits) +
                                       " hex digits (" + on->rdb + " key)");
      } else if (!(lo < hi)) {  // text order = integer order (most significant byte first)
        Fail(at + ".keyRange", "min is not below max ([min,max) would be empty)");
      }
    }
  }

  void CheckRangeDeletions() {
    for (size_t i = 0; i < c_.range_deletions.size(); i++) {
      const RangeDeletion& r = c_.range_deletions[i];
      const std::string at = At("rangeDeletions", i);
      const CollectionEntry* coll = c_.FindCollectionByUuid(r.uuid);
      if (coll == nullptr || coll->ns != r.ns) {
        Fail(at, "no collection " + r.ns + " with uuid " + r.uuid);
      } else if (!coll->sharded) {
        Fail(at, r.ns + " is not sharded");
      }
      if (r.slots.empty()) Fail(at + ".slots", "is empty");
      int32_t prev_max = 0;
      for (size_t j = 0; j < r.slots.size(); j++) {
        const SlotRange& s = r.slots[j];
        if (s.min < prev_max || s.max <= s.min || s.max > kNumSlots) {
          Fail(at + "." + At("slots", j),
               "[" + std::to_string(s.min) + "," + std::to_string(s.max) +
                   ") is not a sorted, disjoint, non-empty range within [0,8192]");
          break;
        }
        prev_max = s.max;
      }
      if (!ShardVersion::Parse(r.orphaned_at.version)) {
        Fail(at + ".orphanedAt.version",
             "'" + r.orphaned_at.version + "' is not a shard version text");
      }
      if (r.orphaned_at.catalog_version > c_.version) {
        Fail(at + ".orphanedAt.catalogVersion", "is above catalogVersion");
      }
    }
  }

  const Catalog& c_;
  std::string path_;
  Status status_;
};

}  // namespace

Status ValidateCatalog(const Catalog& catalog, std::string_view path) {
  return Validator(catalog, path).Run();
}

}  // namespace shardtool
