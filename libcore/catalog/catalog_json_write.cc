// The deterministic serialisation of the catalog (SerializeCatalog; the canonical text is described
// atop catalog.h): known members in a fixed order, then the unknown ones; an object or array on
// one line when that fits in kLineWidth columns, else one member per line.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/catalog_json_internal.h"
#include "catalog/cluster_catalog.h"

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

// The object of the known members `known` (in order) followed by the unknown ones kept from the
// parse.
Json WithUnknown(Json known, const UnknownFields& unknown) {
  AddUnknown(unknown, &known);
  return known;
}

// The array of to_json(e) for each element e of v, in order.
template <class T, class ToJsonFn>
Json ArrayOf(const std::vector<T>& v, const ToJsonFn& to_json) {
  Json a = Json::array();
  for (const T& e : v) a.push_back(to_json(e));
  return a;
}

// The object to_json(*v) followed by the unknown members `extra`, or null when there is no *v.
template <class T, class ToJsonFn>
Json OrNull(const std::optional<T>& v, const UnknownFields& extra, const ToJsonFn& to_json) {
  return v ? WithUnknown(to_json(*v), extra) : Json(nullptr);
}

Json HostJson(const CatalogHost& h) {
  return WithUnknown({{"id", h.id}, {"shard", h.shard}, {"workdir", h.workdir}, {"ip", h.ip}},
                     h.extra);
}

Json ClusterJson(const ClusterInfo& c) {
  return WithUnknown({{"numShards", c.num_shards},
                      {"numMirrors", c.num_mirrors},
                      {"hosts", ArrayOf(c.hosts, HostJson)}},
                     c.extra);
}

Json DatabaseJson(const DatabaseEntry& d) {
  const Json version = OrNull(d.db_version, d.db_version_extra, [](const DbVersion& v) {
    return Json{{"uuid", v.uuid}, {"lastMod", v.last_mod}};
  });
  return WithUnknown(
      {{"name", d.name}, {"collnum", d.collnum}, {"uuid", d.uuid}, {"dbVersion", version}},
      d.extra);
}

Json ChunkJson(const Chunk& ch) {
  return WithUnknown(
      {{"min", ch.min}, {"max", ch.max}, {"shard", ch.shard}, {"version", ch.version.ToString()}},
      ch.extra);
}

Json CollectionJson(const CollectionEntry& c) {
  const Json generation =
      OrNull(c.generation, c.generation_extra, [](const CollectionGeneration& g) {
        return Json{{"epoch", g.epoch}, {"timestamp", g.timestamp}};
      });
  return WithUnknown({{"ns", c.ns},
                      {"uuid", c.uuid},
                      {"rdb", c.rdb},
                      {"sharded", c.sharded},
                      {"generation", generation},
                      {"partSize", c.part_size},
                      {"chunks", ArrayOf(c.chunks, ChunkJson)}},
                     c.extra);
}

Json ViewJson(const ViewEntry& v) {
  return WithUnknown(
      {{"ns", v.ns},
       {"viewOn", v.view_on},
       {"keyRange", WithUnknown({{"min", v.key_min}, {"max", v.key_max}}, v.key_range_extra)}},
      v.extra);
}

Json RangeDeletionJson(const RangeDeletion& r) {
  const Json slots = ArrayOf(r.slots, [](const SlotRange& s) {
    return Json::array({s.min, s.max});
  });
  const Json orphaned_at = WithUnknown({{"version", r.orphaned_at.version},
                                        {"catalogVersion", r.orphaned_at.catalog_version},
                                        {"time", r.orphaned_at.time}},
                                       r.orphaned_at_extra);
  return WithUnknown({{"ns", r.ns},
                      {"uuid", r.uuid},
                      {"slots", slots},
                      {"orphanedAt", orphaned_at},
                      {"readyAfter", r.ready_after}},
                     r.extra);
}

// The document, known members in the order of doc/acquisition.md §2, then the unknown ones.
Json ToJson(const Catalog& c) {
  Json j = {{"schema_version", c.schema_version},
            {"catalogEpoch", c.epoch},
            {"catalogVersion", c.version},
            {"cluster", ClusterJson(c.cluster)},
            {"thisHost", c.this_host}};
  if (c.config_host) j["configHost"] = *c.config_host;
  j["databases"] = ArrayOf(c.databases, DatabaseJson);
  j["collections"] = ArrayOf(c.collections, CollectionJson);
  j["views"] = ArrayOf(c.views, ViewJson);
  j["rangeDeletions"] = ArrayOf(c.range_deletions, RangeDeletionJson);
  return WithUnknown(std::move(j), c.extra);
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

std::string SerializeClusterCatalog(const Catalog& catalog) {
  Json j = ToJson(catalog);
  j.erase("thisHost");
  j.erase("rangeDeletions");
  if (!catalog.config_host) {
    // configHost goes where ToJson puts it: after cluster.
    Json out;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out[it.key()] = it.value();
      if (it.key() == "cluster") out["configHost"] = 0;
    }
    j = std::move(out);
  }
  std::string out;
  Emit(j, 0, 0, 0, /*force_expand=*/true, &out);
  out += "\n";
  return out;
}

std::string SerializeCatalog(const Catalog& catalog) {
  std::string out;
  Emit(ToJson(catalog), 0, 0, 0, /*force_expand=*/true, &out);
  out += "\n";
  return out;
}

}  // namespace shardtool
