#include "jobs/repair/misplaced_job.h"

#include <algorithm>
#include <utility>

#include "catalog/catalog_store.h"
#include "catalog/namespace.h"
#include "catalog/ownership_filter.h"
#include "catalog/state_paths.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/ingest/local_write.h"
#include "jobs/merge/merge_journal.h"

namespace shardtool {

std::string OutboxDir(const std::string& workdir) { return JoinPath(StateDir(workdir), "outbox"); }

namespace {

// The collections the request names, in catalog order: every collection of the database, or the
// --rdb ones (NamespaceNotFound for one the catalog does not have).
Result<std::vector<const CollectionEntry*>> SelectCollections(const Catalog& catalog,
                                                              const MisplacedRequest& req) {
  if (catalog.FindDatabase(req.database) == nullptr) {
    return NamespaceNotFoundStatus("database " + req.database + " is not in the catalog")
        .With("db", req.database);
  }
  std::vector<const CollectionEntry*> out;
  for (const std::string& rdb : req.rdbs) {
    if (!IsValidNamePart(rdb)) {
      return InvalidNamespaceStatus("'" + req.database + "." + rdb + "' is not a valid namespace")
          .With("input", req.database + "." + rdb);
    }
    if (catalog.FindCollection(req.database + "." + rdb) == nullptr) {
      return NamespaceNotFoundStatus("collection " + req.database + "." + rdb + " does not exist")
          .With("db", req.database);
    }
  }
  for (const CollectionEntry& c : catalog.collections) {
    if (c.db() != req.database) continue;
    if (!req.rdbs.empty() &&
        std::find(req.rdbs.begin(), req.rdbs.end(), std::string(c.name())) == req.rdbs.end()) {
      continue;
    }
    out.push_back(&c);
  }
  return out;
}

// The committed bundles of a merge, read back for their target shard, version and size.
Result<std::vector<MisplacedBundle>> BundlesOf(FileSystem* fs, const MergeReport& m) {
  std::vector<MisplacedBundle> out;
  for (const std::string& dir : m.bundles) {
    const std::string path = JoinPath(dir, "manifest.json");
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(fs, path));
    ASSIGN_OR_RETURN(BundleManifest man, ParseBundleManifest(text, path));
    out.push_back({dir, man.header.target_shard, man.header.catalog_shard_version,
                   man.positive + man.negative});
  }
  return out;
}

MergeRequest MergeFor(const MisplacedRequest& req, const CollectionEntry& c, const std::string& to,
                      bool dry_run) {
  MergeRequest m;
  m.workdir = req.workdir;
  m.database = req.database;
  m.rdb = std::string(c.name());
  m.selection = MergeSelection::kAll;
  m.misplaced = true;
  m.orphans_to = to;
  m.dry_run = dry_run;
  m.force = true;  // checked once for the whole run
  m.lock_timeout_ms = req.lock_timeout_ms;
  return m;
}

// One Rdb: counted by a dry-run merge, merged when it has misplaced records or an interrupted
// repair to finish. Ok with r->note when there is nothing to do; the merge's outcome in *outcome.
Status RepairRdb(FileSystem* fs, const MisplacedRequest& req, const MisplacedEnv& env,
                 const CollectionEntry& c, const std::string& to, MisplacedRdbReport* r,
                 Status* outcome) {
  r->rdb = std::string(c.name());
  r->ns = c.ns;
  r->to = to;
  const RdbInfo* rdb = FindRdb(c.rdb);
  if (rdb == nullptr || !rdb->shardable() || !c.sharded) {
    r->note = "not sharded: no record of it can be misplaced";
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::optional<MergeJournal> journal, ReadMergeJournal(fs, req.workdir, c.uuid));
  if (journal && journal->misplaced) {
    r->to = journal->orphans_to;  // its bundles are half written there: it finishes there
  }
  auto counted = RunMerge(fs, MergeFor(req, c, r->to, true), env);
  if (!counted.ok()) {
    if (counted.status().code() == ErrorCode::kStaleConfig && c.placement_unknown()) {
      r->note = "placement unknown (generation null): run shardtool catalog reshard first";
      return Status::Ok();
    }
    return counted.status();
  }
  const MergeReport* m = &*counted;
  MergeReport real;
  const bool stopped = counted->outcome.code() == ErrorCode::kInterrupted;
  if (!req.dry_run && !stopped && (journal || m->counters.orphans_dropped > 0)) {
    ASSIGN_OR_RETURN(real, RunMerge(fs, MergeFor(req, c, r->to, false), env));
    m = &real;
    r->merged = !real.nothing_to_do && real.outcome.code() != ErrorCode::kInterrupted;
    ASSIGN_OR_RETURN(r->bundles, BundlesOf(fs, real));
  }
  r->resumed = m->resumed;
  r->misplaced = m->counters.orphans_dropped;
  r->deferred = m->counters.orphans_deferred;
  r->orphans_left = m->counters.orphans_unexpected;
  r->by_owner = m->dropped_by_owner;
  if (m == &real) {
    // A resumed merge counts only what it passed itself; the bundles hold every record.
    r->by_owner.clear();
    for (const MisplacedBundle& b : r->bundles) r->by_owner[b.target_shard] += b.records;
  }
  r->slots_deferred = m->slots_deferred;
  r->deferred_leases = m->deferred_leases;
  r->records_in = m->counters.records_in;
  r->records_out = m->counters.records_out;
  if (m->nothing_to_do) {
    r->note = m->note;
  } else if (stopped && m == &*counted) {
    r->note = "stopped while counting: a rerun starts over";
  } else if (!journal && counted->counters.orphans_dropped == 0) {
    r->note = "nothing misplaced";
  }
  if (m->outcome.code() == ErrorCode::kInterrupted) *outcome = m->outcome;
  return Status::Ok();
}

// RangeDeletionDeferred (exit 4) when a lease kept misplaced records, else Ok.
Status DeferredOutcome(const MisplacedReport& rep) {
  if (rep.deferred == 0) return Status::Ok();
  std::string slots, leases, nss;
  for (const MisplacedRdbReport& r : rep.rdbs) {
    if (r.deferred == 0) continue;
    nss += (nss.empty() ? "" : ",") + r.ns;
    slots += (slots.empty() ? "" : "; ") + r.ns + " " + SlotRangesText(r.slots_deferred);
    for (const std::string& l : r.deferred_leases) leases += (leases.empty() ? "" : ",") + l;
  }
  return RangeDeletionDeferredStatus(
             std::to_string(rep.deferred) + " misplaced records were kept (" + slots +
             "): a live lease includes their slots" +
             (leases.empty() ? std::string() : " (" + leases + ")") + "; rerun later")
      .With("ns", nss)
      .With("slots", slots)
      .With("reason", std::string("leaseHeld"))
      .With("leases", leases);
}

}  // namespace

Result<MisplacedReport> RunRepairMisplaced(FileSystem* fs, const MisplacedRequest& req,
                                           const MisplacedEnv& env) {
  const int64_t t0 = fs->NowMicros();
  if (!IsValidNamePart(req.database)) {
    return InvalidNamespaceStatus("'" + req.database + "' is not a valid database name")
        .With("input", req.database);
  }
  CatalogStore store(fs, req.workdir);
  ASSIGN_OR_RETURN(LoadedCatalog loaded, store.Load());
  const Catalog& catalog = loaded.catalog;
  ASSIGN_OR_RETURN(std::vector<const CollectionEntry*> colls, SelectCollections(catalog, req));
  LocalWriteEnv guard;
  guard.gigablast = env.gigablast;
  RETURN_IF_ERROR(RefuseWhileGigablastRuns(guard, req.workdir, req.force));
  MisplacedReport rep;
  rep.database = req.database;
  rep.host_id = catalog.this_host;
  rep.shard = catalog.this_shard();
  rep.to = req.to.empty() ? OutboxDir(req.workdir) : req.to;
  rep.dry_run = req.dry_run;
  Status interrupted;
  for (const CollectionEntry* c : colls) {
    MisplacedRdbReport r;
    RETURN_IF_ERROR(RepairRdb(fs, req, env, *c, rep.to, &r, &interrupted));
    rep.misplaced += r.misplaced;
    rep.deferred += r.deferred;
    rep.orphans_left += r.orphans_left;
    for (const auto& [shard, n] : r.by_owner) rep.by_owner[shard] += n;
    rep.rdbs.push_back(std::move(r));
    if (!interrupted.ok()) break;  // stopped at a checkpoint: the rest waits for the rerun
  }
  rep.outcome = interrupted.ok() ? DeferredOutcome(rep) : interrupted;
  rep.seconds = static_cast<double>(fs->NowMicros() - t0) / 1e6;
  return rep;
}

}  // namespace shardtool
