// move-slots, reshard, create-view and drop-view (doc/acquisition.md §2) as pure functions on the
// model.
#include "catalog/catalog_ops.h"

#include <algorithm>
#include <limits>
#include <set>

#include "catalog/namespace.h"
#include "catalog/ownership_filter.h"
#include "format/key.h"
#include "format/rdb_registry.h"

namespace shardtool {
namespace {

Status InvalidNamespace(const std::string& input) {
  Status s = InvalidNamespaceStatus("'" + input + "' is not a valid namespace <db>.<name> (each " +
                                    "part [A-Za-z0-9_-]{1,64})");
  s.With("input", input);
  return s;
}

Status NamespaceNotFound(const std::string& ns, const std::string& what) {
  Status s = NamespaceNotFoundStatus(ns + ": " + what);
  s.With("db", std::string(NamespaceDb(ns))).With("ns", ns).WithNull("uuid");
  return s;
}

// Removes `slots` from the range deletions of the collection `uuid`; drops emptied entries.
void DropFromRangeDeletions(Catalog* c, const std::string& uuid,
                            const std::vector<SlotRange>& slots) {
  for (RangeDeletion& r : c->range_deletions) {
    if (r.uuid == uuid) r.slots = SubtractRanges(r.slots, slots);
  }
  std::erase_if(c->range_deletions, [](const RangeDeletion& r) { return r.slots.empty(); });
}

RangeDeletion MakeRangeDeletion(const CollectionEntry& coll, std::vector<SlotRange> slots,
                                int32_t shard, uint64_t catalog_version, int64_t now,
                                int64_t delay) {
  RangeDeletion r;
  r.ns = coll.ns;
  r.uuid = coll.uuid;
  r.slots = std::move(slots);
  r.orphaned_at = {ShardVersionOf(coll, shard).ToString(), catalog_version, now};
  r.ready_after = now + delay;
  return r;
}

// Splits the chunks at slot `at` (a chunk [a,b) with a < at < b becomes [a,at) and [at,b)).
std::vector<Chunk> SplitAt(const std::vector<Chunk>& chunks, int32_t at) {
  std::vector<Chunk> out;
  for (const Chunk& ch : chunks) {
    if (ch.min < at && at < ch.max) {
      Chunk lo = ch, hi = ch;
      lo.max = at;
      hi.min = at;
      out.push_back(std::move(lo));
      out.push_back(std::move(hi));
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// Finds the dbVersion of ns's database and bumps its lastMod (a null dbVersion stays null).
void BumpDbVersion(Catalog* c, std::string_view db) {
  DatabaseEntry* d = c->FindDatabase(db);
  if (d != nullptr && d->db_version) d->db_version->last_mod++;
}

}  // namespace

Result<OpResult> MoveSlots(const Catalog& current, const MoveSlotsRequest& req, const OpEnv& env) {
  if (req.first < 0 || req.last < req.first || req.last >= kNumSlots) {
    return UsageErrorStatus("--slots " + std::to_string(req.first) + "-" +
                            std::to_string(req.last) + ": want A-B with 0 <= A <= B <= 8191");
  }
  if (req.to_shard < 0 || req.to_shard >= current.cluster.num_shards) {
    return UsageErrorStatus("--to-shard " + std::to_string(req.to_shard) + ": the cluster has " +
                            std::to_string(current.cluster.num_shards) + " shards");
  }
  if (req.orphan_delay < 0) return UsageErrorStatus("--orphan-delay must be >= 0");
  std::set<std::string> listed;
  for (const std::string& ns : req.namespaces) {
    if (!ParseNamespace(ns)) return InvalidNamespace(ns);
    const CollectionEntry* coll = current.FindCollection(ns);
    if (coll == nullptr) return NamespaceNotFound(ns, "no such collection");
    if (!coll->sharded) return FailedPreconditionStatus(ns + " is not sharded");
    if (coll->placement_unknown()) {
      return FailedPreconditionStatus(ns + " has unknown placement (generation null): run " +
                                      "`shardtool catalog reshard` first");
    }
    listed.insert(ns);
  }

  OpResult r;
  r.catalog = current;
  Catalog& c = r.catalog;
  const uint64_t next_version = current.version + 1;
  const int32_t me = current.this_shard();
  const int32_t to = req.to_shard;
  const std::vector<SlotRange> range = {{req.first, req.last + 1}};
  for (CollectionEntry& coll : c.collections) {
    if (!coll.sharded || coll.placement_unknown()) continue;
    if (!listed.empty() && !listed.count(coll.ns)) continue;
    if (IntersectRanges(OwnedRanges(coll, to), range) == range) continue;  // S owns it all
    const ChunkVersion top = CollectionVersion(coll).value_or(ChunkVersion{});
    if (top.major == std::numeric_limits<uint32_t>::max()) {
      return FailedPreconditionStatus(coll.ns + ": chunk major version would overflow");
    }
    std::vector<Chunk> chunks = SplitAt(SplitAt(coll.chunks, req.first), req.last + 1);
    std::set<int32_t> donors;
    std::vector<SlotRange> my_loss;
    for (const Chunk& ch : chunks) {
      const bool inside = ch.min >= req.first && ch.max <= req.last + 1;
      if (!inside || ch.shard == to) continue;
      donors.insert(ch.shard);
      if (ch.shard == me) my_loss.push_back({ch.min, ch.max});
    }
    for (Chunk& ch : chunks) {
      const bool inside = ch.min >= req.first && ch.max <= req.last + 1;
      if (inside) {
        ch.shard = to;
        ch.version = ChunkVersion{top.major + 1, 0};
      } else if (donors.count(ch.shard)) {
        if (ch.version.minor == std::numeric_limits<uint32_t>::max()) {
          return FailedPreconditionStatus(coll.ns + ": chunk minor version would overflow");
        }
        ch.version.minor++;
      }
    }
    coll.chunks = CoalesceChunks(std::move(chunks));
    std::string donor_text;
    for (int32_t d : donors) donor_text += (donor_text.empty() ? "" : ",") + std::to_string(d);
    r.notes.push_back({"moveSlots", coll.ns,
                       "slots " + SlotRangesText(range) + " to shard " + std::to_string(to) +
                           " at " + std::to_string(top.major + 1) + "|0 (donors " + donor_text +
                           ")"});
    if (donors.count(me)) {
      RangeDeletion rd = MakeRangeDeletion(coll, CoalesceRanges(std::move(my_loss)), me,
                                           next_version, env.now, req.orphan_delay);
      r.notes.push_back({"addRangeDeletion", coll.ns,
                         "slots " + SlotRangesText(rd.slots) + ", ready after " +
                             std::to_string(rd.ready_after)});
      c.range_deletions.push_back(std::move(rd));
    }
    if (me == to) DropFromRangeDeletions(&c, coll.uuid, range);
  }
  r.changed = !(c == current);
  if (r.changed) c.version = next_version;
  return r;
}

namespace {

// A reshard to `hosts` is already made when the catalog's cluster is the one of hosts.conf and
// every sharded collection has a known placement with the default chunks of its shard count:
// resharding again would only mint new generations for the same ownership.
bool ReshardIsApplied(const Catalog& current, const HostsConf& hosts) {
  ClusterInfo wanted = ClusterFromHostsConf(hosts);
  wanted.extra = current.cluster.extra;
  if (!(wanted == current.cluster)) return false;
  const std::vector<Chunk> defaults = DefaultChunks(wanted.num_shards);
  for (const CollectionEntry& coll : current.collections) {
    if (coll.sharded && (coll.placement_unknown() || coll.chunks != defaults)) return false;
  }
  return true;
}

}  // namespace

Result<OpResult> Reshard(const Catalog& current, const ReshardRequest& req, const OpEnv& env) {
  if (req.orphan_delay < 0) return UsageErrorStatus("--orphan-delay must be >= 0");
  if (current.this_host < 0 || static_cast<size_t>(current.this_host) >= req.hosts.hosts.size()) {
    return FailedPreconditionStatus("this host (" + std::to_string(current.this_host) +
                                    ") is not a host of the new hosts.conf (" +
                                    std::to_string(req.hosts.hosts.size()) + " hosts)");
  }
  OpResult r;
  r.catalog = current;
  if (ReshardIsApplied(current, req.hosts)) {
    r.notes.push_back({"reshard", "",
                       "already " + std::to_string(current.cluster.num_shards) +
                           " shards of these hosts with the default chunks: nothing to do"});
    return r;
  }
  Catalog& c = r.catalog;
  const uint64_t next_version = current.version + 1;
  const int32_t old_shard = current.this_shard();
  c.cluster = ClusterFromHostsConf(req.hosts);
  c.cluster.extra = current.cluster.extra;
  const int32_t new_shard = c.this_shard();
  r.notes.push_back({"reshard", "",
                     std::to_string(current.cluster.num_shards) + " -> " +
                         std::to_string(c.cluster.num_shards) + " shards; this host in shard " +
                         std::to_string(new_shard)});
  for (CollectionEntry& coll : c.collections) {
    if (!coll.sharded) continue;
    const std::vector<SlotRange> old_owned =
        coll.placement_unknown() ? std::vector<SlotRange>{} : OwnedRanges(coll, old_shard);
    const uint64_t timestamp = coll.generation ? coll.generation->timestamp + 1 : 1;
    coll.generation = CollectionGeneration{env.uuids(), timestamp};
    coll.generation_extra = {};
    coll.chunks = DefaultChunks(c.cluster.num_shards);
    const std::vector<SlotRange> new_owned = OwnedRanges(coll, new_shard);
    DropFromRangeDeletions(&c, coll.uuid, new_owned);
    std::vector<SlotRange> lost = SubtractRanges(old_owned, new_owned);
    r.notes.push_back(
        {"newGeneration", coll.ns,
         "epoch " + coll.generation->epoch + ", timestamp " + std::to_string(timestamp)});
    if (!lost.empty()) {
      RangeDeletion rd = MakeRangeDeletion(coll, std::move(lost), new_shard, next_version, env.now,
                                           req.orphan_delay);
      r.notes.push_back({"addRangeDeletion", coll.ns,
                         std::to_string(rd.slots.size()) + " slot ranges, ready after " +
                             std::to_string(rd.ready_after)});
      c.range_deletions.push_back(std::move(rd));
    }
  }
  c.version = next_version;
  r.changed = true;
  return r;
}

Result<OpResult> CreateView(const Catalog& current, const CreateViewRequest& req,
                            const OpEnv& /*env*/) {
  auto ns = ParseNamespace(req.ns);
  if (!ns) return InvalidNamespace(req.ns);
  auto on = ParseNamespace(req.view_on);
  if (!on) return InvalidNamespace(req.view_on);
  if (current.FindDatabase(ns->db) == nullptr) {
    return NamespaceNotFound(req.ns, "no database " + ns->db);
  }
  if (on->db != ns->db) {
    return UsageErrorStatus("--on " + req.view_on + ": a view is on a collection of its own " +
                            "database (" + ns->db + ")");
  }
  if (current.FindView(req.view_on) != nullptr) {
    return FailedPreconditionStatus(req.view_on + " is a view; a view is on a collection");
  }
  const CollectionEntry* coll = current.FindCollection(req.view_on);
  if (coll == nullptr) return NamespaceNotFound(req.view_on, "no such collection");
  if (current.FindCollection(req.ns) != nullptr) {
    return FailedPreconditionStatus(req.ns + " is a collection; a name is a collection or a " +
                                    "view, never both");
  }
  const RdbInfo* rdb = FindRdb(coll->rdb);
  if (rdb == nullptr) return InternalErrorStatus(coll->ns + ": unknown Rdb " + coll->rdb);
  auto lo = Key::FromHex(req.key_min, rdb->key_size);
  if (!lo.ok()) return UsageErrorStatus("--min: " + lo.status().message());
  auto hi = Key::FromHex(req.key_max, rdb->key_size);
  if (!hi.ok()) return UsageErrorStatus("--max: " + hi.status().message());
  if (!(*lo < *hi)) return UsageErrorStatus("--min must be below --max (a range [min,max))");

  ViewEntry v;
  v.ns = req.ns;
  v.view_on = req.view_on;
  v.key_min = lo->ToHex();
  v.key_max = hi->ToHex();
  OpResult r;
  r.catalog = current;
  if (const ViewEntry* existing = current.FindView(req.ns)) {
    if (existing->view_on == v.view_on && existing->key_min == v.key_min &&
        existing->key_max == v.key_max) {
      return r;  // the same definition: nothing to do
    }
    return FailedPreconditionStatus(req.ns + " is already a view with another definition " +
                                    "(drop it first)");
  }
  Catalog& c = r.catalog;
  r.notes.push_back(
      {"createView", v.ns, "on " + v.view_on + " [" + v.key_min + ", " + v.key_max + ")"});
  c.views.push_back(std::move(v));
  c.SortEntries();
  BumpDbVersion(&c, ns->db);
  c.version = current.version + 1;
  r.changed = true;
  return r;
}

Result<OpResult> DropView(const Catalog& current, const std::string& ns_text,
                          const OpEnv& /*env*/) {
  auto ns = ParseNamespace(ns_text);
  if (!ns) return InvalidNamespace(ns_text);
  if (current.FindView(ns_text) == nullptr) {
    if (current.FindCollection(ns_text) != nullptr) {
      return FailedPreconditionStatus(ns_text + " is a collection, not a view");
    }
    return NamespaceNotFound(ns_text, "no such view");
  }
  OpResult r;
  r.catalog = current;
  Catalog& c = r.catalog;
  std::erase_if(c.views, [&](const ViewEntry& v) { return v.ns == ns_text; });
  BumpDbVersion(&c, ns->db);
  c.version = current.version + 1;
  r.changed = true;
  r.notes.push_back({"dropView", ns_text, ""});
  return r;
}

}  // namespace shardtool
