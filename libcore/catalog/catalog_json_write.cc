// The deterministic serialisation of the catalog (SerializeCatalog; the canonical text is described
// atop catalog.h): known members in a fixed order, then the unknown ones; an object or array on
// one line when that fits in kLineWidth columns, else one member per line.
#include <algorithm>
#include <charconv>
#include <string>

#include "catalog/catalog.h"
#include "catalog/catalog_json_internal.h"

namespace shardtool {
namespace {

using Json = CatalogJson;

constexpr size_t kLineWidth = 100;

void AddUnknown(const UnknownFields& u, Json* j) {
  for (const auto& [name, text] : u.members) {
    Json v = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!v.is_discarded()) (*j)[name] = std::move(v);
  }
}

Json ToJson(const Catalog& c) {
  Json j;
  j["schema_version"] = c.schema_version;
  j["catalogEpoch"] = c.epoch;
  j["catalogVersion"] = c.version;
  Json cluster;
  cluster["numShards"] = c.cluster.num_shards;
  cluster["numMirrors"] = c.cluster.num_mirrors;
  Json hosts = Json::array();
  for (const CatalogHost& h : c.cluster.hosts) {
    Json hj;
    hj["id"] = h.id;
    hj["shard"] = h.shard;
    hj["workdir"] = h.workdir;
    hj["ip"] = h.ip;
    AddUnknown(h.extra, &hj);
    hosts.push_back(std::move(hj));
  }
  cluster["hosts"] = std::move(hosts);
  AddUnknown(c.cluster.extra, &cluster);
  j["cluster"] = std::move(cluster);
  j["thisHost"] = c.this_host;
  Json dbs = Json::array();
  for (const DatabaseEntry& d : c.databases) {
    Json dj;
    dj["name"] = d.name;
    dj["collnum"] = d.collnum;
    dj["uuid"] = d.uuid;
    if (d.db_version) {
      Json v;
      v["uuid"] = d.db_version->uuid;
      v["lastMod"] = d.db_version->last_mod;
      AddUnknown(d.db_version_extra, &v);
      dj["dbVersion"] = std::move(v);
    } else {
      dj["dbVersion"] = nullptr;
    }
    AddUnknown(d.extra, &dj);
    dbs.push_back(std::move(dj));
  }
  j["databases"] = std::move(dbs);
  Json colls = Json::array();
  for (const CollectionEntry& col : c.collections) {
    Json cj;
    cj["ns"] = col.ns;
    cj["uuid"] = col.uuid;
    cj["rdb"] = col.rdb;
    cj["sharded"] = col.sharded;
    if (col.generation) {
      Json g;
      g["epoch"] = col.generation->epoch;
      g["timestamp"] = col.generation->timestamp;
      AddUnknown(col.generation_extra, &g);
      cj["generation"] = std::move(g);
    } else {
      cj["generation"] = nullptr;
    }
    cj["partSize"] = col.part_size;
    Json chunks = Json::array();
    for (const Chunk& ch : col.chunks) {
      Json chj;
      chj["min"] = ch.min;
      chj["max"] = ch.max;
      chj["shard"] = ch.shard;
      chj["version"] = ch.version.ToString();
      AddUnknown(ch.extra, &chj);
      chunks.push_back(std::move(chj));
    }
    cj["chunks"] = std::move(chunks);
    AddUnknown(col.extra, &cj);
    colls.push_back(std::move(cj));
  }
  j["collections"] = std::move(colls);
  Json views = Json::array();
  for (const ViewEntry& v : c.views) {
    Json vj;
    vj["ns"] = v.ns;
    vj["viewOn"] = v.view_on;
    Json kr;
    kr["min"] = v.key_min;
    kr["max"] = v.key_max;
    AddUnknown(v.key_range_extra, &kr);
    vj["keyRange"] = std::move(kr);
    AddUnknown(v.extra, &vj);
    views.push_back(std::move(vj));
  }
  j["views"] = std::move(views);
  Json rds = Json::array();
  for (const RangeDeletion& r : c.range_deletions) {
    Json rj;
    rj["ns"] = r.ns;
    rj["uuid"] = r.uuid;
    Json slots = Json::array();
    for (const SlotRange& s : r.slots) slots.push_back(Json::array({s.min, s.max}));
    rj["slots"] = std::move(slots);
    Json o;
    o["version"] = r.orphaned_at.version;
    o["catalogVersion"] = r.orphaned_at.catalog_version;
    o["time"] = r.orphaned_at.time;
    AddUnknown(r.orphaned_at_extra, &o);
    rj["orphanedAt"] = std::move(o);
    rj["readyAfter"] = r.ready_after;
    AddUnknown(r.extra, &rj);
    rds.push_back(std::move(rj));
  }
  j["rangeDeletions"] = std::move(rds);
  AddUnknown(c.extra, &j);
  return j;
}

std::string Scalar(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Appends the JSON text of a string: quoted as it is when no byte needs escaping (printable ASCII
// other than '"' and '\'), else through Scalar (nlohmann's escapes and U+FFFD replacement). The
// same bytes either way; the fast path spares a DOM node and a dump per key of a 2 MB catalog.
void AppendQuoted(const std::string& s, std::string* out) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      *out += Scalar(Json(s));
      return;
    }
  }
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

// Appends the JSON text of a scalar (what Scalar gives, faster for strings and integers).
void AppendScalar(const Json& j, std::string* out) {
  char buf[24];
  switch (j.type()) {
    case Json::value_t::string:
      AppendQuoted(j.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::number_integer: {
      const auto r = std::to_chars(buf, buf + sizeof(buf), j.get<int64_t>());
      out->append(buf, r.ptr);
      return;
    }
    case Json::value_t::number_unsigned: {
      const auto r = std::to_chars(buf, buf + sizeof(buf), j.get<uint64_t>());
      out->append(buf, r.ptr);
      return;
    }
    default:
      *out += Scalar(j);
  }
}

// Appends the one-line form of j (", " and ": " separators) to *out; stops early and returns
// false once *out is longer than `limit` (so a huge array is never flattened just to learn that
// it does not fit).
bool Flat(const Json& j, size_t limit, std::string* out) {
  if (out->size() > limit) return false;
  if (j.is_object()) {
    *out += '{';
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) *out += ", ";
      first = false;
      AppendQuoted(it.key(), out);
      *out += ": ";
      if (!Flat(it.value(), limit, out)) return false;
    }
    *out += '}';
  } else if (j.is_array()) {
    *out += '[';
    for (size_t i = 0; i < j.size(); i++) {
      if (i > 0) *out += ", ";
      if (!Flat(j[i], limit, out)) return false;
    }
    *out += ']';
  } else {
    AppendScalar(j, out);
  }
  return out->size() <= limit;
}

// Appends j at `indent`, where `column` characters are already on the line and `tail` more follow
// it (a comma). One line when that fits in kLineWidth (and not forced), else one member per line.
void Emit(const Json& j, size_t indent, size_t column, size_t tail, bool force_expand,
          std::string* out) {
  if (!j.is_structured() || j.empty()) {
    AppendScalar(j, out);
    return;
  }
  if (!force_expand) {
    std::string flat;
    const size_t room = kLineWidth - std::min(kLineWidth, column + tail);
    if (Flat(j, room, &flat)) {
      *out += flat;
      return;
    }
  }
  const std::string pad(indent + 2, ' ');
  *out += j.is_object() ? "{\n" : "[\n";
  size_t i = 0;
  for (auto it = j.begin(); it != j.end(); ++it, ++i) {
    const bool last = i + 1 == j.size();
    *out += pad;
    size_t col = pad.size();
    if (j.is_object()) {
      std::string key;
      AppendQuoted(it.key(), &key);
      key += ": ";
      *out += key;
      col += key.size();
    }
    Emit(it.value(), indent + 2, col, last ? 0 : 1, false, out);
    *out += last ? "\n" : ",\n";
  }
  *out += std::string(indent, ' ') + (j.is_object() ? "}" : "]");
}

}  // namespace

std::string SerializeCatalog(const Catalog& catalog) {
  std::string out;
  Emit(ToJson(catalog), 0, 0, 0, /*force_expand=*/true, &out);
  out += "\n";
  return out;
}

}  // namespace shardtool
