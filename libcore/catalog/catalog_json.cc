// The parse of catalog.json (doc/acquisition.md §2): types and required members are checked here,
// the rules in ValidateCatalog. The chunk fast path of the parse is in catalog_json_fast.cc, the
// serialisation in catalog_json_write.cc.
//
// nlohmann_json is used only inside these files (and the other catalog .cc files that read or
// write shardtool's own JSON state): no libcore header exposes JSON types. Its exceptions are
// caught here and become CorruptCatalog.
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/catalog_json_internal.h"
#include "catalog/uuid.h"

namespace shardtool {
namespace {

using Json = CatalogJson;

std::string Index(const std::string& where, size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

// Reads the members of one JSON object: typed getters for the known ones (each records the first
// error with its location), the rest collected as unknown fields.
class ObjectReader {
 public:
  ObjectReader(const Json& j, std::string where, std::string_view path, Status* status)
      : j_(j), where_(std::move(where)), path_(path), status_(status) {
    if (!j_.is_object()) Fail(where_, "is not an object");
  }

  bool ok() const { return status_->ok(); }
  bool valid() const { return j_.is_object(); }

  // The member (marked known); nullptr and an error when it is missing.
  const Json* Get(const char* name) {
    known_.push_back(name);
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(name);
    if (it == j_.end()) {
      Fail(Where(name), "missing");
      return nullptr;
    }
    return &*it;
  }

  void String(const char* name, std::string* out) {
    const Json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(Where(name), "is not a string");
    *out = v->get<std::string>();
  }

  void Uuid(const char* name, std::string* out) {
    String(name, out);
    if (auto u = NormalizeUuid(*out)) *out = *u;  // invalid ones are reported by the validator
  }

  void Bool(const char* name, bool* out) {
    const Json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_boolean()) return Fail(Where(name), "is not a boolean");
    *out = v->get<bool>();
  }

  void U64(const char* name, uint64_t* out) {
    const Json* v = Get(name);
    if (v == nullptr) return;
    if (!v->is_number_unsigned()) return Fail(Where(name), "is not a non-negative integer");
    *out = v->get<uint64_t>();
  }

  // Returns true when the member was read.
  bool I64(const char* name, int64_t* out) {
    const Json* v = Get(name);
    if (v == nullptr) return false;
    if (v->is_number_unsigned() && v->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
      *out = static_cast<int64_t>(v->get<uint64_t>());
    } else if (v->is_number_integer() && !v->is_number_unsigned()) {
      *out = v->get<int64_t>();
    } else {
      Fail(Where(name), "is not an integer");
      return false;
    }
    return true;
  }

  void I32(const char* name, int32_t* out) {
    int64_t v = 0;
    if (!I64(name, &v)) return;
    if (v < INT32_MIN || v > INT32_MAX) return Fail(Where(name), "is out of range");
    *out = static_cast<int32_t>(v);
  }

  // An array member; nullptr (and an error) when missing or not an array.
  const Json* Array(const char* name) {
    const Json* v = Get(name);
    if (v != nullptr && !v->is_array()) {
      Fail(Where(name), "is not an array");
      return nullptr;
    }
    return v;
  }

  // Reads the object member `name` with read(reader of it), when it is present (else the error
  // of Get) and, if `nullable`, not null.
  template <class Read>
  void Object(const char* name, bool nullable, const Read& read) {
    const Json* v = Get(name);
    if (v == nullptr || (nullable && v->is_null())) return;
    ObjectReader sub(*v, Where(name), path_, status_);
    read(sub);
  }

  // Reads the array member `name` (see Array): for each element, appends an entry to *out and
  // calls read(element, where, i, &entry), `where` naming the element ("collections[3]") and i
  // its index. Stops at the first error.
  template <class T, class Read>
  void Elements(const char* name, std::vector<T>* out, const Read& read) {
    const Json* a = Array(name);
    if (a == nullptr) return;
    const std::string where = Where(name);
    for (size_t i = 0; i < a->size() && ok(); i++) {
      out->emplace_back();
      read((*a)[i], Index(where, i), i, &out->back());
    }
  }

  UnknownFields Unknown() const {
    UnknownFields u;
    if (!j_.is_object()) return u;
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      bool is_known = false;
      for (const char* k : known_) is_known = is_known || it.key() == k;
      if (!is_known) {
        u.members.emplace_back(it.key(),
                               it.value().dump(-1, ' ', false, Json::error_handler_t::replace));
      }
    }
    return u;
  }

  std::string Where(const char* name) const {
    return where_.empty() ? std::string(name) : where_ + "." + name;
  }
  void Fail(const std::string& where, const std::string& what) {
    if (status_->ok()) *status_ = CorruptCatalogError(path_, where + ": " + what);
  }

 private:
  const Json& j_;
  std::string where_;
  std::string_view path_;
  Status* status_;
  std::vector<const char*> known_;
};

std::string LowerHex(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void ReadCluster(const Json& j, std::string_view path, Status* st, ClusterInfo* out) {
  ObjectReader r(j, "cluster", path, st);
  r.I32("numShards", &out->num_shards);
  r.I32("numMirrors", &out->num_mirrors);
  r.Elements("hosts", &out->hosts,
             [&](const Json& e, const std::string& where, size_t, CatalogHost* host) {
               ObjectReader h(e, where, path, st);
               h.I32("id", &host->id);
               h.I32("shard", &host->shard);
               h.String("workdir", &host->workdir);
               h.String("ip", &host->ip);
               host->extra = h.Unknown();
             });
  out->extra = r.Unknown();
}

void ReadDatabase(const Json& j, const std::string& where, std::string_view path, Status* st,
                  DatabaseEntry* d) {
  ObjectReader r(j, where, path, st);
  r.String("name", &d->name);
  r.I32("collnum", &d->collnum);
  r.Uuid("uuid", &d->uuid);
  r.Object("dbVersion", /*nullable=*/true, [&](ObjectReader& vr) {
    DbVersion dv;
    vr.Uuid("uuid", &dv.uuid);
    vr.U64("lastMod", &dv.last_mod);
    d->db_version = dv;
    d->db_version_extra = vr.Unknown();
  });
  d->extra = r.Unknown();
}

void ReadCollection(const Json& j, const std::string& where, std::string_view path, Status* st,
                    CollectionEntry* c, std::vector<Chunk>* parsed_chunks) {
  ObjectReader r(j, where, path, st);
  r.String("ns", &c->ns);
  r.Uuid("uuid", &c->uuid);
  r.String("rdb", &c->rdb);
  r.Bool("sharded", &c->sharded);
  r.Object("generation", /*nullable=*/true, [&](ObjectReader& gr) {
    CollectionGeneration gen;
    gr.Uuid("epoch", &gen.epoch);
    gr.U64("timestamp", &gen.timestamp);
    c->generation = gen;
    c->generation_extra = gr.Unknown();
  });
  r.U64("partSize", &c->part_size);
  if (parsed_chunks != nullptr) {
    r.Array("chunks");  // an empty placeholder: ChunkFastPath took the elements
    c->chunks = std::move(*parsed_chunks);
  } else {
    r.Elements("chunks", &c->chunks, [&](const Json& e, const std::string& cw, size_t, Chunk* ch) {
      ObjectReader cr(e, cw, path, st);
      cr.I32("min", &ch->min);
      cr.I32("max", &ch->max);
      cr.I32("shard", &ch->shard);
      std::string version;
      cr.String("version", &version);
      if (st->ok()) {
        auto v = ChunkVersion::Parse(version);
        if (!v) cr.Fail(cw + ".version", "'" + version + "' is not a chunk version \"M|m\"");
        if (v) ch->version = *v;
      }
      ch->extra = cr.Unknown();
    });
  }
  c->extra = r.Unknown();
}

void ReadView(const Json& j, const std::string& where, std::string_view path, Status* st,
              ViewEntry* v) {
  ObjectReader r(j, where, path, st);
  r.String("ns", &v->ns);
  r.String("viewOn", &v->view_on);
  r.Object("keyRange", /*nullable=*/false, [&](ObjectReader& k) {
    k.String("min", &v->key_min);
    k.String("max", &v->key_max);
    v->key_min = LowerHex(v->key_min);
    v->key_max = LowerHex(v->key_max);
    v->key_range_extra = k.Unknown();
  });
  v->extra = r.Unknown();
}

void ReadRangeDeletion(const Json& j, const std::string& where, std::string_view path, Status* st,
                       RangeDeletion* d) {
  ObjectReader r(j, where, path, st);
  r.String("ns", &d->ns);
  r.Uuid("uuid", &d->uuid);
  if (const Json* slots = r.Array("slots")) {
    for (size_t i = 0; i < slots->size(); i++) {
      const Json& p = (*slots)[i];
      if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() ||
          !p[1].is_number_integer()) {
        r.Fail(Index(where + ".slots", i), "is not a [min,max) pair of integers");
        break;
      }
      const int64_t lo = p[0].get<int64_t>(), hi = p[1].get<int64_t>();
      if (lo < 0 || hi < 0 || lo > INT32_MAX || hi > INT32_MAX) {
        r.Fail(Index(where + ".slots", i), "is out of range");
        break;
      }
      d->slots.push_back({static_cast<int32_t>(lo), static_cast<int32_t>(hi)});
    }
  }
  r.Object("orphanedAt", /*nullable=*/false, [&](ObjectReader& orr) {
    orr.String("version", &d->orphaned_at.version);
    orr.U64("catalogVersion", &d->orphaned_at.catalog_version);
    orr.I64("time", &d->orphaned_at.time);
    d->orphaned_at_extra = orr.Unknown();
  });
  r.I64("readyAfter", &d->ready_after);
  d->extra = r.Unknown();
}

// The chunks the fast path decoded for collection i, or nullptr.
std::vector<Chunk>* Decoded(FastChunks* chunks, size_t i) {
  return i < chunks->size() && (*chunks)[i].has_value() ? &*(*chunks)[i] : nullptr;
}

Result<Catalog> ParseUnchecked(std::string_view text, std::string_view path, bool fast) {
  Json doc;
  FastChunks fast_chunks;
  const bool fast_parsed = fast && ParseCatalogJsonFast(text, &doc, &fast_chunks);
  if (!fast_parsed) {
    doc = Json();
    try {
      doc = Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
      return CorruptCatalogError(path, std::string("not JSON: ") + e.what());
    }
  }
  Status st;
  Catalog c;
  ObjectReader r(doc, "", path, &st);
  if (!r.valid()) return st;
  r.U64("schema_version", &c.schema_version);
  if (st.ok() && c.schema_version != kCatalogSchemaVersion) {
    return CorruptCatalogError(
        path, "schema_version: unsupported value " + std::to_string(c.schema_version));
  }
  r.Uuid("catalogEpoch", &c.epoch);
  r.U64("catalogVersion", &c.version);
  if (const Json* cl = r.Get("cluster")) ReadCluster(*cl, path, &st, &c.cluster);
  r.I32("thisHost", &c.this_host);
  if (doc.is_object() && doc.contains("configHost")) {
    int32_t config_host = 0;
    r.I32("configHost", &config_host);
    c.config_host = config_host;
  }
  r.Elements("databases", &c.databases,
             [&](const Json& e, const std::string& where, size_t, DatabaseEntry* d) {
               ReadDatabase(e, where, path, &st, d);
             });
  r.Elements("collections", &c.collections,
             [&](const Json& e, const std::string& where, size_t i, CollectionEntry* col) {
               ReadCollection(e, where, path, &st, col,
                              fast_parsed ? Decoded(&fast_chunks, i) : nullptr);
             });
  r.Elements("views", &c.views, [&](const Json& e, const std::string& where, size_t, ViewEntry* v) {
    ReadView(e, where, path, &st, v);
  });
  r.Elements("rangeDeletions", &c.range_deletions,
             [&](const Json& e, const std::string& where, size_t, RangeDeletion* d) {
               ReadRangeDeletion(e, where, path, &st, d);
             });
  c.extra = r.Unknown();
  if (!st.ok()) return st;
  return c;
}

Result<Catalog> ParseCatalogWith(std::string_view text, std::string_view path, bool fast) {
  try {
    ASSIGN_OR_RETURN(Catalog c, ParseUnchecked(text, path, fast));
    RETURN_IF_ERROR(ValidateCatalog(c, path));
    return c;
  } catch (const std::exception& e) {
    // A type error nlohmann raises for a case the readers above did not foresee.
    return CorruptCatalogError(path, std::string("unreadable: ") + e.what());
  }
}

}  // namespace

Result<Catalog> ParseCatalog(std::string_view text, std::string_view path) {
  return ParseCatalogWith(text, path, /*fast=*/true);
}

Result<Catalog> ParseCatalogSlowForTest(std::string_view text, std::string_view path) {
  return ParseCatalogWith(text, path, /*fast=*/false);
}

}  // namespace shardtool
