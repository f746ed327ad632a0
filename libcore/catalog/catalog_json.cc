// The JSON text form of the catalog (SHARD-ROLE.md §2): parsing (with types and required members
// checked here, the rules in ValidateCatalog) and the deterministic serialisation.
//
// nlohmann_json is used only inside this file (and the other catalog .cc files that read or write
// shardtool's own JSON state): no libcore header exposes JSON types. Its exceptions are caught here
// and become CorruptCatalog.
#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "catalog/catalog.h"
#include "catalog/uuid.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kLineWidth = 100;

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

std::string Index(const std::string& where, size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

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
  if (const Json* hosts = r.Array("hosts")) {
    for (size_t i = 0; i < hosts->size() && st->ok(); i++) {
      ObjectReader h((*hosts)[i], Index("cluster.hosts", i), path, st);
      CatalogHost host;
      h.I32("id", &host.id);
      h.I32("shard", &host.shard);
      h.String("workdir", &host.workdir);
      h.String("ip", &host.ip);
      host.extra = h.Unknown();
      out->hosts.push_back(std::move(host));
    }
  }
  out->extra = r.Unknown();
}

void ReadDatabase(const Json& j, const std::string& where, std::string_view path, Status* st,
                  DatabaseEntry* d) {
  ObjectReader r(j, where, path, st);
  r.String("name", &d->name);
  r.I32("collnum", &d->collnum);
  r.Uuid("uuid", &d->uuid);
  if (const Json* v = r.Get("dbVersion"); v != nullptr && !v->is_null()) {
    ObjectReader vr(*v, where + ".dbVersion", path, st);
    DbVersion dv;
    vr.Uuid("uuid", &dv.uuid);
    vr.U64("lastMod", &dv.last_mod);
    d->db_version = dv;
    d->db_version_extra = vr.Unknown();
  }
  d->extra = r.Unknown();
}

void ReadCollection(const Json& j, const std::string& where, std::string_view path, Status* st,
                    CollectionEntry* c, std::vector<Chunk>* parsed_chunks) {
  ObjectReader r(j, where, path, st);
  r.String("ns", &c->ns);
  r.Uuid("uuid", &c->uuid);
  r.String("rdb", &c->rdb);
  r.Bool("sharded", &c->sharded);
  if (const Json* g = r.Get("generation"); g != nullptr && !g->is_null()) {
    ObjectReader gr(*g, where + ".generation", path, st);
    CollectionGeneration gen;
    gr.Uuid("epoch", &gen.epoch);
    gr.U64("timestamp", &gen.timestamp);
    c->generation = gen;
    c->generation_extra = gr.Unknown();
  }
  r.U64("partSize", &c->part_size);
  if (parsed_chunks != nullptr) {
    r.Array("chunks");  // an empty placeholder: ChunkFastPath took the elements
    c->chunks = std::move(*parsed_chunks);
  } else if (const Json* chunks = r.Array("chunks")) {
    for (size_t i = 0; i < chunks->size() && st->ok(); i++) {
      const std::string cw = Index(where + ".chunks", i);
      ObjectReader cr((*chunks)[i], cw, path, st);
      Chunk ch;
      cr.I32("min", &ch.min);
      cr.I32("max", &ch.max);
      cr.I32("shard", &ch.shard);
      std::string version;
      cr.String("version", &version);
      if (st->ok()) {
        auto v = ChunkVersion::Parse(version);
        if (!v) cr.Fail(cw + ".version", "'" + version + "' is not a chunk version \"M|m\"");
        if (v) ch.version = *v;
      }
      ch.extra = cr.Unknown();
      c->chunks.push_back(std::move(ch));
    }
  }
  c->extra = r.Unknown();
}

void ReadView(const Json& j, const std::string& where, std::string_view path, Status* st,
              ViewEntry* v) {
  ObjectReader r(j, where, path, st);
  r.String("ns", &v->ns);
  r.String("viewOn", &v->view_on);
  if (const Json* kr = r.Get("keyRange")) {
    ObjectReader k(*kr, where + ".keyRange", path, st);
    k.String("min", &v->key_min);
    k.String("max", &v->key_max);
    v->key_min = LowerHex(v->key_min);
    v->key_max = LowerHex(v->key_max);
    v->key_range_extra = k.Unknown();
  }
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
  if (const Json* o = r.Get("orphanedAt")) {
    ObjectReader orr(*o, where + ".orphanedAt", path, st);
    orr.String("version", &d->orphaned_at.version);
    orr.U64("catalogVersion", &d->orphaned_at.catalog_version);
    orr.I64("time", &d->orphaned_at.time);
    d->orphaned_at_extra = orr.Unknown();
  }
  r.I64("readyAfter", &d->ready_after);
  d->extra = r.Unknown();
}

// The parse of a catalog with tens of thousands of chunks was mostly the allocations of their JSON
// objects (about five per chunk). ChunkFastPath is a SAX handler that builds the same document as
// Json::parse (it forwards every event to nlohmann's own DOM builder) except for the elements of
// each collections[i].chunks array: a chunk object with exactly the members min, max, shard
// (int32) and version (a valid "M|m") is decoded straight into a Chunk, and the document gets an
// empty array there. Anything else inside a chunks array (another member, another type, a value
// out of range, a bad version, "collections" or "chunks" given twice) makes the handler give up,
// and the caller parses the whole text the slow way, which reports the error or keeps the unknown
// members exactly as before. So the result is always the slow path's.
class ChunkFastPath {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<Json>;
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit ChunkFastPath(Json* doc) : dom_(*doc, /*allow_exceptions_=*/false) {}

  // Parses text; false when the fast path gave up or the text is not JSON (error() tells which).
  bool Parse(std::string_view text) {
    return Json::sax_parse(text.begin(), text.end(), this, nlohmann::detail::input_format_t::json,
                           /*strict=*/true) &&
           !gave_up_ && !failed_;
  }
  bool failed() const { return failed_; }
  // Chunks of collection i (by position in the collections array), or nullptr.
  std::vector<Chunk>* chunks(size_t i) {
    return i < by_collection_.size() && by_collection_[i].has_value() ? &*by_collection_[i]
                                                                      : nullptr;
  }

  bool null() { return in_chunks_ ? GiveUp() : (Value(), dom_.null()); }
  bool boolean(bool v) { return in_chunks_ ? GiveUp() : (Value(), dom_.boolean(v)); }
  bool number_integer(number_integer_t v) {
    if (in_chunks_) return Field(v >= INT32_MIN && v <= INT32_MAX, static_cast<int32_t>(v));
    Value();
    return dom_.number_integer(v);
  }
  bool number_unsigned(number_unsigned_t v) {
    if (in_chunks_) return Field(v <= INT32_MAX, static_cast<int32_t>(v));
    Value();
    return dom_.number_unsigned(v);
  }
  bool number_float(number_float_t v, const string_t& s) {
    return in_chunks_ ? GiveUp() : (Value(), dom_.number_float(v, s));
  }
  bool string(string_t& v) {
    if (!in_chunks_) {
      Value();
      return dom_.string(v);
    }
    if (depth_ != 1 || field_ != 3 || (seen_ & 8) != 0) return GiveUp();
    auto version = ChunkVersion::Parse(v);
    if (!version) return GiveUp();
    chunk_.version = *version;
    seen_ |= 8;
    field_ = -1;
    return true;
  }
  bool binary(binary_t& v) { return in_chunks_ ? GiveUp() : (Value(), dom_.binary(v)); }
  bool start_object(std::size_t n) {
    if (in_chunks_) {
      if (depth_ != 0) return GiveUp();
      depth_ = 1;
      seen_ = 0;
      field_ = -1;
      chunk_ = Chunk{};
      return true;
    }
    const std::string k = std::move(key_);
    Value();
    stack_.push_back({true, k});
    key_.clear();
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    if (in_chunks_) {
      if (depth_ != 1 || field_ != -1) return GiveUp();
      field_ = k == "min" ? 0 : k == "max" ? 1 : k == "shard" ? 2 : k == "version" ? 3 : -2;
      return field_ >= 0 ? true : GiveUp();
    }
    key_ = k;
    return dom_.key(k);
  }
  bool end_object() {
    if (in_chunks_) {
      if (depth_ != 1 || seen_ != 15) return GiveUp();
      depth_ = 0;
      (*by_collection_[collection_]).push_back(std::move(chunk_));
      return true;
    }
    stack_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    if (in_chunks_) return GiveUp();
    const bool root_member = stack_.size() == 1;
    if (root_member && key_ == "collections" && ++collections_arrays_ > 1) return GiveUp();
    if (key_ == "chunks" && InCollections() && stack_[2].is_object) {
      if (collection_ < 0) return GiveUp();
      const size_t i = static_cast<size_t>(collection_);
      if (by_collection_.size() <= i) by_collection_.resize(i + 1);
      if (by_collection_[i].has_value()) return GiveUp();  // "chunks" twice in one collection
      by_collection_[i].emplace();
      in_chunks_ = true;
      depth_ = 0;
      key_.clear();
      return dom_.start_array(0);
    }
    const std::string k = std::move(key_);
    Value();
    stack_.push_back({false, k});
    return dom_.start_array(n);
  }
  bool end_array() {
    if (in_chunks_) {
      if (depth_ != 0) return GiveUp();
      in_chunks_ = false;
      return dom_.end_array();
    }
    stack_.pop_back();
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t pos, const std::string& token, const Exception& e) {
    failed_ = true;
    return dom_.parse_error(pos, token, e);
  }

 private:
  struct Level {
    bool is_object;
    std::string key_in_parent;  // the member name this container is the value of ("" in arrays)
  };
  bool GiveUp() {
    gave_up_ = true;
    return false;
  }
  // The stack holds the root object, its "collections" array, and (at depth 2) an element of it.
  bool InCollections() const {
    return stack_.size() == 3 && stack_[0].is_object && !stack_[1].is_object &&
           stack_[1].key_in_parent == "collections";
  }
  // The start of any value outside the chunks arrays: counts the elements of "collections" (so
  // that collection_ is the element's index whatever its type) and consumes the pending key.
  void Value() {
    if (stack_.size() == 2 && stack_[0].is_object && !stack_[1].is_object &&
        stack_[1].key_in_parent == "collections") {
      ++collection_;
    }
    key_.clear();
  }
  bool Field(bool in_range, int32_t v) {
    if (depth_ != 1 || field_ < 0 || field_ > 2 || !in_range || (seen_ & (1 << field_)) != 0) {
      return GiveUp();
    }
    (field_ == 0 ? chunk_.min : field_ == 1 ? chunk_.max : chunk_.shard) = v;
    seen_ |= 1 << field_;
    field_ = -1;
    return true;
  }

  Dom dom_;
  std::vector<Level> stack_;
  std::string key_;  // the pending member name (empty after the value's first event)
  int collection_ = -1;
  int collections_arrays_ = 0;
  std::vector<std::optional<std::vector<Chunk>>> by_collection_;
  bool in_chunks_ = false;
  int depth_ = 0;  // inside a chunks array: 0 between elements, 1 inside a chunk object
  int field_ = -1;
  unsigned seen_ = 0;
  Chunk chunk_;
  bool gave_up_ = false;
  bool failed_ = false;
};

Result<Catalog> ParseUnchecked(std::string_view text, std::string_view path, bool fast) {
  Json doc;
  std::optional<ChunkFastPath> fast_path;
  if (fast) {
    fast_path.emplace(&doc);
    if (!fast_path->Parse(text)) {
      fast_path.reset();
      doc = Json();
    }
  }
  if (!fast_path) {
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
  if (const Json* a = r.Array("databases")) {
    for (size_t i = 0; i < a->size() && st.ok(); i++) {
      c.databases.emplace_back();
      ReadDatabase((*a)[i], Index("databases", i), path, &st, &c.databases.back());
    }
  }
  if (const Json* a = r.Array("collections")) {
    for (size_t i = 0; i < a->size() && st.ok(); i++) {
      c.collections.emplace_back();
      ReadCollection((*a)[i], Index("collections", i), path, &st, &c.collections.back(),
                     fast_path ? fast_path->chunks(i) : nullptr);
    }
  }
  if (const Json* a = r.Array("views")) {
    for (size_t i = 0; i < a->size() && st.ok(); i++) {
      c.views.emplace_back();
      ReadView((*a)[i], Index("views", i), path, &st, &c.views.back());
    }
  }
  if (const Json* a = r.Array("rangeDeletions")) {
    for (size_t i = 0; i < a->size() && st.ok(); i++) {
      c.range_deletions.emplace_back();
      ReadRangeDeletion((*a)[i], Index("rangeDeletions", i), path, &st, &c.range_deletions.back());
    }
  }
  c.extra = r.Unknown();
  if (!st.ok()) return st;
  return c;
}

// ---- serialisation ----

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

Result<Catalog> ParseCatalog(std::string_view text, std::string_view path) {
  return ParseCatalogWith(text, path, /*fast=*/true);
}

Result<Catalog> ParseCatalogSlowForTest(std::string_view text, std::string_view path) {
  return ParseCatalogWith(text, path, /*fast=*/false);
}

std::string SerializeCatalog(const Catalog& catalog) {
  std::string out;
  Emit(ToJson(catalog), 0, 0, 0, /*force_expand=*/true, &out);
  out += "\n";
  return out;
}

}  // namespace shardtool
