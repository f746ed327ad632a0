#include "jobs/inspect/inspect_key.h"

#include <algorithm>
#include <map>

#include "base/coding.h"
#include "catalog/discovery.h"
#include "catalog/namespace.h"
#include "format/key_fields.h"
#include "format/titlerec.h"
#include "jobs/verify/file_verifier.h"

namespace shardtool {
namespace {

struct Range {
  Key lo, hi;
  bool scan = false;  // the range is every key: filter by `keep`
  std::function<bool(const uint8_t*)> keep;
  std::string words;
};

// Sets the integer value v into the little-endian key bytes [from, from + n).
void PutLE(Key* k, int from, int n, uint64_t v) {
  for (int i = 0; i < n; i++) {
    k->data()[from + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

Result<Range> QueryRange(const RdbInfo& rdb, const KeyQuery& q) {
  const int ks = rdb.key_size;
  const int forms = !q.key_hex.empty() + (q.docid || q.termid ? 1 : 0);
  if (forms != 1) {
    return UsageErrorStatus("give exactly one of KEY, or --docid and/or --termid");
  }
  Range r{Key::Min(ks), Key::Max(ks), false, nullptr, ""};
  if (!q.key_hex.empty()) {
    ASSIGN_OR_RETURN(Key k, Key::FromHex(q.key_hex, ks));
    // Both versions of the key: the delbit (and posdb's compression bits) do not count.
    const uint8_t low = rdb.compression == KeyCompression::kPosdb ? 0x07 : 0x01;
    r.lo = k;
    r.hi = k;
    r.lo.data()[0] = static_cast<uint8_t>(k[0] & ~low);
    r.hi.data()[0] = static_cast<uint8_t>(k[0] | low);
    r.words = "key " + q.key_hex;
    return r;
  }
  if (q.docid && *q.docid > kDocIdMask) {
    return UsageErrorStatus("--docid " + std::to_string(*q.docid) + ": more than 38 bits");
  }
  const std::string docid_words = q.docid ? "docid " + std::to_string(*q.docid) : "";
  const std::string termid_words = q.termid ? "termid " + std::to_string(*q.termid) : "";
  r.words = docid_words + (q.docid && q.termid ? ", " : "") + termid_words;
  if (q.termid) {
    if (*q.termid >> 48) return UsageErrorStatus("--termid: more than 48 bits");
    if (rdb.id == RdbId::kPosdb) {
      PutLE(&r.lo, 12, 6, *q.termid);
      PutLE(&r.hi, 12, 6, *q.termid);
    } else if (rdb.id == RdbId::kIndexdb) {
      PutLE(&r.lo, 6, 6, *q.termid);
      PutLE(&r.hi, 6, 6, *q.termid);
    } else {
      return UsageErrorStatus("--termid: " + std::string(rdb.name) + " keys hold no termId");
    }
  }
  if (!q.docid) return r;
  const uint64_t d = *q.docid;
  switch (rdb.id) {
    case RdbId::kTitledb:
      r.lo = MakeTitledbKey(d, 0, false);
      r.hi = MakeTitledbKey(d, 0xffffffffffffULL, true);
      r.hi.data()[0] = 0xff;  // reserved bits 9..1 set too: every key of the docId
      r.hi.data()[1] |= 0x03;
      return r;
    case RdbId::kClusterdb: {
      // docId at bits 72..35.
      r.lo = Key::Min(ks);
      PutLE(&r.lo, 0, 8, d << 35);
      PutLE(&r.lo, 8, 4, d >> 29);
      r.hi = r.lo;
      PutLE(&r.hi, 0, 8, (d << 35) | ((uint64_t{1} << 35) - 1));
      return r;
    }
    case RdbId::kPosdb:
      r.scan = !q.termid;
      r.keep = [d](const uint8_t* k) { return DecodePosdbKey(k).docid == d; };
      return r;
    case RdbId::kIndexdb:
      r.scan = !q.termid;
      r.keep = [d](const uint8_t* k) { return IndexdbDocId(k) == d; };
      return r;
    case RdbId::kLinkdb:
      r.scan = true;
      r.keep = [d](const uint8_t* k) { return DecodeLinkdbKey(k).linker_docid == d; };
      return r;
    default:
      return UsageErrorStatus("--docid: " + std::string(rdb.name) + " keys hold no docId");
  }
}

// The positive form of a key (group id of its versions).
std::string PositiveHex(const RdbInfo& rdb, const uint8_t* key) {
  Key k = Key::FromBytes(key, rdb.key_size);
  k.data()[0] |= 0x01;
  if (rdb.compression == KeyCompression::kPosdb) k.data()[0] &= static_cast<uint8_t>(~0x06);
  return KeyHex(k.data(), rdb.key_size);
}

}  // namespace

namespace {

// The owning shard of a slot, or -1 (unsharded collection, or no slot).
struct OwnerLookup {
  bool sharded = false;
  SlotOwners owners;
  int32_t operator()(int slot) const {
    if (!sharded || slot < 0) return -1;
    return owners.owner[static_cast<size_t>(slot)];
  }
};

// The hosts of r.owner's shard (none when the owner is unknown).
void AddOwnerHosts(const Catalog& catalog, KeyReport& r) {
  if (r.owner < 0) return;
  for (const CatalogHost& h : catalog.cluster.hosts) {
    if (h.shard == r.owner) r.owner_hosts.push_back({h.id, h.ip, h.workdir});
  }
}

// The query's collection: refuses an invalid name, a view, an unknown Rdb, --payload outside
// titledb, and a collection the catalog does not have.
Result<const CollectionEntry*> QueriedCollection(const Catalog& catalog, const KeyQuery& q,
                                                 const RdbInfo* rdb) {
  if (!IsValidNamePart(q.database)) {
    return InvalidNamespaceStatus("'" + q.database + "' is not a valid database name")
        .With("input", q.database);
  }
  const std::string ns = q.database + "." + q.rdb;
  if (catalog.FindView(ns) != nullptr) {
    return CommandNotSupportedOnViewStatus(ns + " is a view: inspect key reads collections")
        .With("ns", ns);
  }
  if (rdb == nullptr) return UsageErrorStatus("--rdb " + q.rdb + ": not a known Rdb");
  if (q.payload && rdb->id != RdbId::kTitledb) {
    return UsageErrorStatus("--payload: only titledb records carry a page");
  }
  const CollectionEntry* c = catalog.FindCollection(ns);
  if (catalog.FindDatabase(q.database) == nullptr || c == nullptr) {
    return NamespaceNotFoundStatus(ns + " is not in the catalog (run shardtool init?)")
        .With("db", q.database)
        .WithNull("uuid");
  }
  return c;
}

// The report's header: the query, its key range, this host and the slot the query names.
void DescribeQuery(const Catalog& catalog, const CollectionEntry& c, const RdbInfo& rdb,
                   const KeyQuery& q, const Range& range, const OwnerLookup& owner_of,
                   KeyReport& r) {
  r.database = q.database;
  r.ns = q.database + "." + q.rdb;
  r.rdb = q.rdb;
  r.query = range.words;
  r.range_first = KeyHex(range.lo.data(), rdb.key_size);
  r.range_last = KeyHex(range.hi.data(), rdb.key_size);
  r.scanned = range.scan;
  r.host_id = catalog.this_host;
  r.shard = catalog.this_shard();
  r.sharded = owner_of.sharded;
  r.shard_version = CurrentShardVersion(catalog, c).ToString();
  if (!q.key_hex.empty()) {
    r.slot = KeySlot(rdb, range.lo.data());
  } else if (q.docid && (rdb.id == RdbId::kTitledb || rdb.id == RdbId::kClusterdb ||
                         rdb.id == RdbId::kIndexdb)) {
    r.slot = DocIdSlot(*q.docid);
  } else if (q.termid && !q.docid && rdb.id == RdbId::kPosdb) {
    r.slot = -1;  // termId slot only for N-set keys: per key below
  }
  r.owner = owner_of(r.slot);
  AddOwnerHosts(catalog, r);
}

// One version of a key as found in file `rel` (with its page inflated for --payload).
KeyVersionInfo VersionOf(const RdbInfo& info, const RecordEntry& e, const std::string& rel,
                         int32_t file_id, const KeyQuery& q, Inflater& inflater) {
  KeyVersionInfo v;
  v.file = rel;
  v.file_id = file_id;
  v.offset = e.offset;
  v.key = KeyHex(e.key, info.key_size);
  v.negative = e.negative;
  v.data_size = e.data_size;
  if (q.payload && !e.negative) {
    std::string page;
    Status st = inflater.Inflate(e.data, e.data_size, &page);
    v.has_payload = st.ok();
    if (!st.ok()) {
      v.payload_error = st.message();
    } else {
      v.payload_size = page.size();
      if (q.payload_limit > 0 && page.size() > q.payload_limit) page.resize(q.payload_limit);
      v.payload = std::move(page);
    }
  }
  return v;
}

// Every version of the matching keys in the committed files, oldest file first (at most
// q.max_keys keys; r.truncated beyond). r.files lists the files newest first.
Result<std::map<std::string, KeyEntry>> CollectVersions(FileSystem* fs, const std::string& workdir,
                                                        const Catalog& catalog,
                                                        const CollectionEntry& c,
                                                        const RdbInfo& rdb, const KeyQuery& q,
                                                        const Range& range,
                                                        const OwnerLookup& owner_of, KeyReport& r) {
  ASSIGN_OR_RETURN(auto files, ListCommittedFiles(fs, workdir, catalog, c));
  const std::string dir = catalog.FindDatabase(q.database)->DirName();
  std::map<std::string, KeyEntry> keys;
  Inflater inflater;
  for (const CommittedFile& f : files) {
    const std::string rel = JoinPath(dir, f.name);
    r.files.insert(r.files.begin(), rel);
    RecordsOptions ro;
    ro.file.rdb = &rdb;
    ro.file.default_part_size = c.part_size;
    if (!range.scan) {
      ro.start_hex = r.range_first;
      ro.end_hex = r.range_last;
    }
    auto res = InspectRecords(
        fs, JoinPath(workdir, rel), ro, [&](const RdbInfo& info, const RecordEntry& e) {
          if (range.keep && !range.keep(e.key)) return;
          const std::string id = PositiveHex(info, e.key);
          auto it = keys.find(id);
          if (it == keys.end()) {
            if (keys.size() >= q.max_keys) {
              r.truncated = true;
              return;
            }
            KeyEntry k;
            k.key = id;
            k.slot = KeySlot(info, e.key);
            k.owner = owner_of(k.slot);
            k.owned = k.owner < 0 || k.owner == r.shard;
            k.fields = DecodeKeyFields(info, e.key);
            it = keys.emplace(id, std::move(k)).first;
          }
          it->second.versions.push_back(VersionOf(info, e, rel, f.id, q, inflater));
        });
    RETURN_IF_ERROR(res.status());
  }
  return keys;
}

// The keys into the report, newest version first; a termId query whose keys all share one slot
// (posdb keys sharded by termId) gets that slot and its owner.
void SettleKeys(const Catalog& catalog, const KeyQuery& q, const OwnerLookup& owner_of,
                std::map<std::string, KeyEntry> keys, KeyReport& r) {
  for (auto& [id, k] : keys) {
    std::reverse(k.versions.begin(), k.versions.end());
    k.versions.front().seen = true;
    k.visible = !k.versions.front().negative;
    r.keys.push_back(std::move(k));
  }
  if (r.slot >= 0 || r.keys.empty()) return;
  const int32_t s = r.keys.front().slot;
  bool same = true;
  for (const KeyEntry& k : r.keys) same = same && k.slot == s;
  if (same && !q.docid) {
    r.slot = s;
    r.owner = owner_of(s);
    AddOwnerHosts(catalog, r);
  }
}

Result<KeyReport> InspectKeyOnce(FileSystem* fs, const std::string& workdir, const Catalog& catalog,
                                 const KeyQuery& q) {
  const RdbInfo* rdb = FindRdb(q.rdb);
  ASSIGN_OR_RETURN(const CollectionEntry* c, QueriedCollection(catalog, q, rdb));
  ASSIGN_OR_RETURN(Range range, QueryRange(*rdb, q));
  OwnerLookup owner_of;
  owner_of.sharded = c->sharded && !c->placement_unknown();
  owner_of.owners = SlotOwnersOf(*c, catalog.this_shard());
  KeyReport r;
  DescribeQuery(catalog, *c, *rdb, q, range, owner_of, r);
  ASSIGN_OR_RETURN(auto keys,
                   CollectVersions(fs, workdir, catalog, *c, *rdb, q, range, owner_of, r));
  SettleKeys(catalog, q, owner_of, std::move(keys), r);
  return r;
}

}  // namespace

Result<KeyReport> InspectKey(FileSystem* fs, const std::string& workdir, const Catalog& catalog,
                             const KeyQuery& q) {
  // No lease and no lock: a merge may retire and delete a file between the listing and its
  // opening. The file set is then listed again (doc/acquisition.md §5's lock-free read retries
  // too).
  for (int attempt = 1;; attempt++) {
    auto r = InspectKeyOnce(fs, workdir, catalog, q);
    if (r.ok() || r.status().code() != ErrorCode::kNotFound || attempt == 3) return r;
  }
}

}  // namespace shardtool
