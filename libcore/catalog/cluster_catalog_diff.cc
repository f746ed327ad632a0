// CatalogDifferences (cluster_catalog.h): what `catalog check` reports.
#include <map>

#include "catalog/cluster_catalog.h"

namespace shardtool {
namespace {

std::string Gen(const std::optional<CollectionGeneration>& g) {
  return g ? g->epoch + "/" + std::to_string(g->timestamp) : "null";
}

std::string ChunkText(const Chunk& c) {
  return "[" + std::to_string(c.min) + "," + std::to_string(c.max) + ") shard " +
         std::to_string(c.shard) + " " + c.version.ToString();
}

class Differ {
 public:
  explicit Differ(std::vector<std::string>* out) : out_(out) {}

  template <class T>
  void Field(const std::string& what, const T& here, const T& there) {
    if (!(here == there)) Add(what + ": here " + Text(here) + ", cluster " + Text(there));
  }
  void Add(std::string line) { out_->push_back(std::move(line)); }

  // Compares two lists of named entries: only here, only in the cluster, or `same` on both.
  template <class T, class Name, class Same>
  void Entries(const std::string& what, const std::vector<T>& here, const std::vector<T>& there,
               Name name, Same same) {
    std::map<std::string, const T*> h, t;
    for (const T& x : here) h[name(x)] = &x;
    for (const T& x : there) t[name(x)] = &x;
    for (const auto& [k, x] : h) {
      auto it = t.find(k);
      if (it == t.end()) {
        Add(what + " " + k + ": only here");
      } else {
        same(what + " " + k, *x, *it->second);
      }
    }
    for (const auto& [k, x] : t) {
      if (!h.count(k)) Add(what + " " + k + ": only in the cluster catalog");
    }
  }

 private:
  static std::string Text(const std::string& s) { return s; }
  template <class N>
  static std::string Text(const N& n) {
    return std::to_string(n);
  }
  std::vector<std::string>* out_;
};

}  // namespace

std::vector<std::string> CatalogDifferences(const Catalog& here, const Catalog& cluster) {
  std::vector<std::string> out;
  Differ d(&out);
  d.Field("catalogEpoch", here.epoch, cluster.epoch);
  d.Field("catalogVersion", here.version, cluster.version);
  if (here.config_host) d.Field("configHost", *here.config_host, ConfigHostOf(cluster));
  d.Field("cluster.numShards", here.cluster.num_shards, cluster.cluster.num_shards);
  d.Field("cluster.numMirrors", here.cluster.num_mirrors, cluster.cluster.num_mirrors);
  const size_t hosts = std::max(here.cluster.hosts.size(), cluster.cluster.hosts.size());
  for (size_t i = 0; i < hosts; i++) {
    const std::string what = "cluster.hosts[" + std::to_string(i) + "]";
    if (i >= here.cluster.hosts.size()) {
      d.Add(what + ": only in the cluster catalog");
    } else if (i >= cluster.cluster.hosts.size()) {
      d.Add(what + ": only here");
    } else {
      const CatalogHost& a = here.cluster.hosts[i];
      const CatalogHost& b = cluster.cluster.hosts[i];
      d.Field(what + ".ip", a.ip, b.ip);
      d.Field(what + ".workdir", a.workdir, b.workdir);
    }
  }
  d.Entries(
      "database", here.databases, cluster.databases, [](const DatabaseEntry& x) { return x.name; },
      [&](const std::string& what, const DatabaseEntry& a, const DatabaseEntry& b) {
        d.Field(what + " uuid", a.uuid, b.uuid);
        d.Field(what + " collnum", a.collnum, b.collnum);
        d.Field(what + " dbVersion", a.db_version ? a.db_version->ToString() : "null",
                b.db_version ? b.db_version->ToString() : "null");
      });
  d.Entries(
      "collection", here.collections, cluster.collections,
      [](const CollectionEntry& x) { return x.ns; },
      [&](const std::string& what, const CollectionEntry& a, const CollectionEntry& b) {
        d.Field(what + " uuid", a.uuid, b.uuid);
        d.Field(what + " rdb", a.rdb, b.rdb);
        d.Field(what + " generation", Gen(a.generation), Gen(b.generation));
        d.Field(what + " partSize", a.part_size, b.part_size);
        d.Field(what + " chunks", a.chunks.size(), b.chunks.size());
        for (size_t i = 0; i < a.chunks.size() && i < b.chunks.size(); i++) {
          if (a.chunks[i].min != b.chunks[i].min || a.chunks[i].max != b.chunks[i].max ||
              a.chunks[i].shard != b.chunks[i].shard ||
              a.chunks[i].version != b.chunks[i].version) {
            d.Add(what + " chunk " + std::to_string(i) + ": here " + ChunkText(a.chunks[i]) +
                  ", cluster " + ChunkText(b.chunks[i]));
            break;  // the first one says enough
          }
        }
      });
  d.Entries(
      "view", here.views, cluster.views, [](const ViewEntry& x) { return x.ns; },
      [&](const std::string& what, const ViewEntry& a, const ViewEntry& b) {
        d.Field(what + " viewOn", a.view_on, b.view_on);
        d.Field(what + " keyRange.min", a.key_min, b.key_min);
        d.Field(what + " keyRange.max", a.key_max, b.key_max);
      });
  return out;
}

}  // namespace shardtool
