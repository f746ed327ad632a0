#include "jobs/ingest/ingest_job.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "acquire/acquisition.h"
#include "acquire/router.h"
#include "base/crc32c.h"
#include "catalog/catalog_store.h"
#include "catalog/ownership_filter.h"
#include "catalog/state_paths.h"
#include "format/key.h"
#include "io/check_pacer.h"
#include "io/test_point.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/import/import_ledger.h"
#include "jobs/import/import_target.h"
#include "jobs/ingest/ingest_held.h"
#include "jobs/ingest/ingest_placement.h"
#include "jobs/ingest/local_write.h"

namespace shardtool {

namespace {

// The bundle at req.bundle_dir, read and checked: a finished bundle of kind import or orphans of
// a shardable Rdb. Fills in the report's description of it.
Result<BundleContents> ReadIngestBundle(FileSystem* fs, const IngestRequest& req,
                                        IngestReport* rep) {
  if (!fs->Exists(req.bundle_dir)) {
    return NotFoundStatus("bundle " + req.bundle_dir + ": no such directory");
  }
  const std::string base = BaseName(req.bundle_dir);
  if (base.size() > 4 && base.substr(base.size() - 4) == ".tmp") {
    return FailedPreconditionStatus(req.bundle_dir +
                                    ": an incomplete bundle (.tmp: still being written)");
  }
  ASSIGN_OR_RETURN(BundleContents b, ReadBundle(fs, req.bundle_dir));
  const BundleManifest& m = b.manifest;
  rep->kind = m.header.kind;
  rep->database = m.header.database;
  rep->rdb = m.rdb;
  rep->target_shard = m.header.target_shard;
  rep->streams = static_cast<int64_t>(m.streams.size());
  if (m.header.kind != "import" && m.header.kind != "orphans") {
    return FailedPreconditionStatus(req.bundle_dir + ": a " + m.header.kind +
                                    " bundle is not for ingest (kind import or orphans)");
  }
  const RdbInfo* rdb = FindRdb(m.rdb);
  if (rdb == nullptr || !rdb->shardable()) {
    return FailedPreconditionStatus(req.bundle_dir + ": rdb " + m.rdb +
                                    " is not shardable; ingest refuses it");
  }
  return b;
}

// B5: every record belongs to this host's shard (the acquired collection's ownership filter, or
// for a collection new here the cluster's default map).
Status CheckOwnership(const CollectionAcquisition& acq, const Catalog& cat, const RdbInfo& rdb,
                      const BundleContents& b, const std::string& bundle_dir) {
  std::unique_ptr<OwnershipFilter> fallback;
  const OwnershipFilter* filter = nullptr;
  if (acq.exists()) {
    auto f = acq.ownership_filter();
    if (f.ok()) filter = *f;
  }
  if (filter == nullptr) {
    std::vector<SlotRange> owned;
    for (int s = cat.this_shard(); s < kNumSlots; s += cat.cluster.num_shards) {
      owned.push_back({s, s + 1});
    }
    fallback = std::make_unique<OwnershipFilter>(CoalesceRanges(owned), rdb);
    filter = fallback.get();
  }
  int64_t unowned = 0;
  std::string first_unowned;
  int first_slot = -1;
  for (const auto& stream : b.streams) {
    for (const BundleRecord& r : stream) {
      const auto* key = reinterpret_cast<const uint8_t*>(r.key.data());
      if (!filter->KeyOwned(key) && unowned++ == 0) {
        first_unowned = KeyHex(key, rdb.key_size);
        first_slot = KeySlot(rdb, key);
      }
    }
  }
  if (unowned == 0) return Status::Ok();
  // Hosts init their catalogs separately (epochs differ), so the version number is compared.
  const BundleManifest& m = b.manifest;
  const std::string msg = bundle_dir + ": " + std::to_string(unowned) +
                          " records are not owned by this host's shard " +
                          std::to_string(cat.this_shard()) + " (first key " + first_unowned +
                          ", slot " + std::to_string(first_slot) + ") (B5)";
  if (m.header.catalog_version != cat.version) {
    return StaleConfigStatus(msg + "; the bundle was routed under catalog version " +
                             std::to_string(m.header.catalog_version) + ", this host has " +
                             std::to_string(cat.version))
        .With("rule", "B5");
  }
  return IncompatibleShardingMetadataStatus(msg).With("rule", "B5");
}

// The ledger label of a bundle: its name and the CRC of its manifest (exactly once).
Result<std::string> IngestLabel(FileSystem* fs, const std::string& bundle_dir) {
  ASSIGN_OR_RETURN(const std::string mtext,
                   ReadFileToString(fs, JoinPath(bundle_dir, "manifest.json")));
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", Crc32c(mtext));
  return BaseName(bundle_dir) + "/" + crc;
}

// The streams merged: sorted by key, a later stream wins on equal keys (counted superseded).
std::vector<TargetRecordRef> MergeStreams(const BundleContents& b, int ks, IngestReport* rep) {
  struct Ref {
    const BundleRecord* r;
    size_t stream;
  };
  std::vector<Ref> all;
  for (size_t s = 0; s < b.streams.size(); ++s) {
    for (const BundleRecord& r : b.streams[s]) all.push_back({&r, s});
  }
  std::stable_sort(all.begin(), all.end(), [&](const Ref& x, const Ref& y) {
    const int c = CompareKeysNegEq(reinterpret_cast<const uint8_t*>(x.r->key.data()),
                                   reinterpret_cast<const uint8_t*>(y.r->key.data()), ks);
    return c < 0 || (c == 0 && x.stream < y.stream);
  });
  std::vector<TargetRecordRef> refs;
  for (const Ref& x : all) {
    const auto* key = reinterpret_cast<const uint8_t*>(x.r->key.data());
    TargetRecordRef ref{key, reinterpret_cast<const uint8_t*>(x.r->data.data()),
                        static_cast<uint32_t>(x.r->data.size())};
    if (!refs.empty() && CompareKeysNegEq(refs.back().key, key, ks) == 0) {
      refs.back() = ref;
      rep->superseded++;
      continue;
    }
    refs.push_back(ref);
  }
  return refs;
}

// Counts the records that will be written, positive and negative.
void CountIngested(const std::vector<TargetRecordRef>& refs, IngestReport* rep) {
  for (const TargetRecordRef& r : refs) {
    (KeyIsNegative(r.key) ? rep->negative : rep->positive)++;
  }
  rep->records = static_cast<int64_t>(refs.size());
}

// Where the bundle goes: its collection in this host's catalog.
struct IngestTarget {
  std::shared_ptr<const CatalogSnapshot> snap;  // keeps db alive
  const DatabaseEntry* db = nullptr;
  const CollectionEntry* coll = nullptr;  // nullptr: the collection is new here
  std::string ns;
  std::string db_dir;
  uint64_t part_size = 2013265920ULL;
};

Result<IngestTarget> FindIngestTarget(FileSystem* fs, const IngestRequest& req,
                                      const IngestEnv& env, const BundleManifest& m) {
  IngestTarget t;
  CatalogCache* cache = env.catalogs ? env.catalogs : CatalogCache::Process();
  ASSIGN_OR_RETURN(t.snap, cache->Get(fs, req.workdir));
  const Catalog& cat = t.snap->catalog();
  t.db = cat.FindDatabase(m.header.database);
  if (t.db == nullptr) {
    return NamespaceNotFoundStatus("database " + m.header.database + " (named by " +
                                   req.bundle_dir + ") is not in " + CatalogPath(req.workdir));
  }
  t.ns = m.header.database + "." + m.rdb;
  t.db_dir = JoinPath(req.workdir, t.db->DirName());
  t.coll = cat.FindCollection(t.ns);
  if (t.coll != nullptr) t.part_size = t.coll->part_size;
  return t;
}

// Writes the merged records as new data files of the target and commits them to the ledger under
// `label` (exactly once).
// The new data files of `refs` under temporary names, paced (stop flag, --max-duration, --rate).
Result<TargetFilesWritten> WritePaced(FileSystem* fs, const IngestRequest& req,
                                      const IngestEnv& env, const IngestTarget& t,
                                      const RdbInfo& rdb, const std::vector<TargetRecordRef>& refs,
                                      int64_t start_us) {
  TargetFilesWriter w(fs, t.db_dir, rdb, t.part_size);
  CheckPacer pacer(fs, 4096);
  const int64_t deadline =
      req.max_duration_ms > 0 ? start_us + req.max_duration_ms * 1000 : INT64_MAX;
  uint64_t bytes = 0, total = 0;
  for (const TargetRecordRef& r : refs) total += static_cast<uint64_t>(rdb.key_size) + r.data_size;
  for (const TargetRecordRef& r : refs) {
    RETURN_IF_ERROR(w.Add(r));
    const uint64_t size = static_cast<uint64_t>(rdb.key_size) + r.data_size;
    bytes += size;
    if (!pacer.Due(size)) continue;
    if (env.progress) env.progress({bytes, total});
    WaitForRate(fs, bytes, req.rate_mb_s, start_us, deadline, env.stop);
    if (env.stop != nullptr && env.stop->load()) {
      return InterruptedStatus("ingest stopped by a signal before its commit; a rerun ingests " +
                               req.bundle_dir);
    }
    if (fs->NowMicros() >= deadline) {
      return InterruptedStatus(
          "--max-duration reached before the ingest's commit; a rerun "
          "ingests " +
          req.bundle_dir);
    }
  }
  return w.Finish();
}

Status WriteIngested(FileSystem* fs, const IngestRequest& req, const IngestEnv& env,
                     const IngestTarget& t, const RdbInfo& rdb,
                     const std::vector<TargetRecordRef>& refs, const std::string& label,
                     ImportLedger& ledger, IngestReport* rep, int64_t start_us) {
  const std::string db = t.db->name;
  RETURN_IF_ERROR(SettleImportTemps(fs, req.workdir, db, std::string(rdb.name), t.db_dir));
  auto written = WritePaced(fs, req, env, t, rdb, refs, start_us);
  if (!written.ok()) {
    // ENOSPC, a stop and the like: nothing is committed, so the temporaries go now (best effort:
    // the next run removes what is left).
    SettleImportTemps(fs, req.workdir, db, std::string(rdb.name), t.db_dir).IgnoreError();
    return written.status();
  }
  TargetFilesWritten w = std::move(*written);
  LedgerEntry e;
  e.target = "ingest";
  e.label = label;
  e.renames = w.renames;
  RETURN_IF_ERROR(ledger.Commit(std::move(e), SourcePos{-1, 0}));
  RETURN_IF_ERROR(ledger.Publish());
  TEST_POINT("ingest.after_publish");
  for (const std::string& n : w.names) rep->files.push_back(t.db->DirName() + "/" + n);
  rep->bytes_written = w.bytes;
  return Status::Ok();
}

}  // namespace

Result<IngestReport> RunIngest(FileSystem* fs, const IngestRequest& req, const IngestEnv& env) {
  const int64_t start_us = fs->NowMicros();
  IngestReport rep;
  rep.bundle = req.bundle_dir;
  rep.dry_run = req.dry_run;
  ASSIGN_OR_RETURN(BundleContents b, ReadIngestBundle(fs, req, &rep));
  const BundleManifest& m = b.manifest;
  const RdbInfo* rdb = FindRdb(m.rdb);

  ASSIGN_OR_RETURN(IngestTarget target, FindIngestTarget(fs, req, env, m));
  RETURN_IF_ERROR(CheckBundlePlacement(m, target.snap->catalog(), target.coll, req.bundle_dir));
  RETURN_IF_ERROR(RefuseWhileGigablastRuns(env, req.workdir, req.force || req.dry_run));
  ASSIGN_OR_RETURN(LocalWrite lw, AcquireLocalWrite(fs, req.workdir, env, "ingest", target.ns,
                                                    req.dry_run, req.lock_timeout_ms));
  RETURN_IF_ERROR(CheckOwnership(lw.collection(), target.snap->catalog(), *rdb, b, req.bundle_dir));

  ASSIGN_OR_RETURN(const std::string label, IngestLabel(fs, req.bundle_dir));
  ImportLedger ledger(fs, ImportLedgerPath(req.workdir, m.header.database, m.rdb, "ingest"));
  RETURN_IF_ERROR(ledger.Load());
  if (!req.dry_run) RETURN_IF_ERROR(ledger.RollForward().status());
  if (ledger.HasLabel("ingest", label)) {
    rep.already_ingested = true;
    rep.seconds = static_cast<double>(fs->NowMicros() - start_us) / 1e6;
    return rep;
  }
  std::vector<TargetRecordRef> refs = MergeStreams(b, rdb->key_size, &rep);
  if (m.header.kind == "orphans") {
    // Orphans are older than anything this host holds for the same key (ingest_held.h).
    ASSIGN_OR_RETURN(rep.held_by_host,
                     DropKeysHeldByHost(fs, target.db_dir, *rdb, target.part_size, &refs));
  }
  CountIngested(refs, &rep);
  if (req.dry_run || refs.empty()) {
    rep.seconds = static_cast<double>(fs->NowMicros() - start_us) / 1e6;
    return rep;
  }
  RETURN_IF_ERROR(WriteIngested(fs, req, env, target, *rdb, refs, label, ledger, &rep, start_us));
  rep.seconds = static_cast<double>(fs->NowMicros() - start_us) / 1e6;
  return rep;
}

}  // namespace shardtool
