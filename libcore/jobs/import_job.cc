#include "jobs/import_job.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>
#include <set>
#include <thread>
#include <tuple>

#include "acquire/acquisition.h"
#include "acquire/router.h"
#include "base/crc32c.h"
#include "catalog/catalog_store.h"
#include "catalog/ownership_filter.h"
#include "catalog/state_paths.h"
#include "format/key.h"
#include "format/titlerec.h"
#include "io/test_point.h"
#include "jobs/bundle_writer.h"
#include "jobs/import_bookmark.h"
#include "jobs/import_ledger.h"
#include "jobs/import_target.h"

namespace shardtool {
namespace {

struct LocalTarget {
  int32_t host_id = 0, shard = 0;
  std::string workdir, db_dir, name;
  uint64_t part_size = 2013265920ULL;
  std::unique_ptr<AcquisitionContext> ctx;
  CollectionAcquisition acq;
  std::unique_ptr<ImportLedger> ledger;
  size_t report_index = 0;
};

struct BatchRec {
  uint64_t off = 0;  // key then data in the arena
  uint32_t data_size = 0;
  int32_t slot = 0;
  SourcePos pos;
  int32_t file_index = 0;
  uint32_t stored_size = 0;
};

struct Batch {
  std::vector<uint8_t> arena;
  std::vector<BatchRec> recs;  // good positive records
  std::vector<BatchRec> bad;   // T1 failures (quarantine)
  SourcePos from, to;
  int64_t records_total = 0, negatives_total = 0;  // bookmark counters at `to`
  // Memory a batch takes when committed: its bytes, its records, and per record the sort index
  // and a target reference (TargetRecordRef).
  // (Two target references: the mirrors of a shard are written at once.)
  static constexpr size_t kPerRecord = sizeof(BatchRec) + 2 * sizeof(uint32_t) + 2 * 24;
  uint64_t bytes() const { return arena.size() + (recs.size() + bad.size()) * kPerRecord; }
  void Clear() {
    arena.clear();
    recs.clear();
    bad.clear();
  }
  void Add(std::vector<BatchRec>* into, const SourceRecord& r, int ks, int slot, SourcePos pos,
           int32_t file_index) {
    BatchRec b;
    b.off = arena.size();
    b.data_size = r.data_size;
    b.slot = slot;
    b.pos = pos;
    b.file_index = file_index;
    b.stored_size = r.size;
    arena.insert(arena.end(), r.key, r.key + ks);
    if (r.data_size > 0) arena.insert(arena.end(), r.data, r.data + r.data_size);
    into->push_back(b);
  }
};

// Routing: slot -> shard, from a collection's chunks (or the default map).
std::vector<int32_t> RoutingTable(const Catalog& cat, const CollectionEntry* c) {
  std::vector<int32_t> owner(kNumSlots);
  if (c != nullptr && c->sharded && !c->chunks.empty()) {
    for (const Chunk& ch : c->chunks) {
      for (int s = ch.min; s < ch.max; ++s) owner[static_cast<size_t>(s)] = ch.shard;
    }
  } else {
    for (int s = 0; s < kNumSlots; ++s) owner[static_cast<size_t>(s)] = s % cat.cluster.num_shards;
  }
  return owner;
}

std::vector<SlotRange> RangesOf(const std::vector<int32_t>& owner, int32_t shard) {
  std::vector<SlotRange> out;
  for (int s = 0; s < kNumSlots; ++s) {
    if (owner[static_cast<size_t>(s)] != shard) continue;
    if (!out.empty() && out.back().max == s) {
      out.back().max = s + 1;
    } else {
      out.push_back({s, s + 1});
    }
  }
  return out;
}

// Sorts a shard's records by key; of equal keys the newest source record wins.
std::vector<uint32_t> SortedDistinct(const Batch& b, const std::vector<BatchRec>& recs,
                                     std::vector<uint32_t> idx, int ks, int64_t* superseded) {
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t x, uint32_t y) {
    return CompareKeys(b.arena.data() + recs[x].off, b.arena.data() + recs[y].off, ks) < 0;
  });
  std::vector<uint32_t> out;
  for (uint32_t i : idx) {
    if (!out.empty() && CompareKeysNegEq(b.arena.data() + recs[out.back()].off,
                                         b.arena.data() + recs[i].off, ks) == 0) {
      out.back() = i;  // stable: later in source order
      if (superseded) ++*superseded;
      continue;
    }
    out.push_back(i);
  }
  return out;
}

TargetRecordRef RefOf(const Batch& b, const BatchRec& r, int ks) {
  const uint8_t* k = b.arena.data() + r.off;
  return {k, r.data_size ? k + ks : nullptr, r.data_size};
}

// Removes every bundle directory (and its files) under `pending`.
Status RemovePending(FileSystem* fs, const std::string& pending) {
  if (!fs->Exists(pending)) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<DirEntry> dirs, fs->ListDir(pending));
  for (const DirEntry& d : dirs) {
    const std::string dir = JoinPath(pending, d.name);
    if (!d.is_dir) {
      RETURN_IF_ERROR(fs->RemoveFile(dir));
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<DirEntry> files, fs->ListDir(dir));
    for (const DirEntry& f : files) RETURN_IF_ERROR(fs->RemoveFile(JoinPath(dir, f.name)));
    RETURN_IF_ERROR(fs->RemoveDir(dir));
  }
  return fs->SyncDir(pending);
}

class Importer {
 public:
  Importer(FileSystem* fs, const ImportRequest& req, const ImportEnv& env)
      : fs_(fs), req_(req), env_(env) {}
  ~Importer() { JoinCommit().IgnoreError(); }

  Result<ImportReport> Run();

 private:
  Status Setup();
  Status OpenTargets();
  Status ReadAndCommit();
  Status CommitBatch();
  // Hands the batch read so far to the committer (after the previous commit is done); wait:
  // commit it before returning. Returns the previous (or, with wait, this) commit's error.
  Status Flush(bool wait);
  Status JoinCommit();
  uint64_t BatchLimit() const { return req_.dry_run ? req_.memory : req_.memory / 2; }
  Status CheckPlacement();
  Status CommitLocal(LocalTarget& t, const std::vector<uint32_t>& sorted);
  Status CommitLocals(const std::map<int32_t, std::vector<uint32_t>>& sorted);
  Status CommitStage(int32_t shard, const std::vector<uint32_t>& sorted);
  Status CommitQuarantine();
  Status WriteBookmark();
  bool StopRequested();

  FileSystem* fs_;
  const ImportRequest& req_;
  const ImportEnv& env_;
  const RdbInfo* rdb_ = nullptr;
  ImportReport report_;
  Catalog catalog_;
  const CollectionEntry* coll_ = nullptr;
  std::vector<int32_t> owner_;
  std::vector<Chunk> routing_chunks_;
  std::string srcid_, bookmark_path_, legacy_path_;
  SourceScan scan_;
  SourcePos pos_;
  std::vector<std::unique_ptr<LocalTarget>> locals_;
  std::vector<int32_t> stage_shards_;
  std::unique_ptr<ImportLedger> own_ledger_;  // stage bundles and quarantine
  std::unique_ptr<FileLock> import_lock_;
  std::unique_ptr<GigablastDetector> own_detector_;
  Batch batch_;  // being read
  Batch spare_;  // being committed (by committer_), then reused
  Batch* cb_ = &spare_;
  std::thread committer_;
  Status commit_status_;
  int64_t start_us_ = 0;
  int64_t records_total_ = 0, negatives_total_ = 0;
  uint64_t total_bytes_ = 0, done_bytes_ = 0;
};

bool Importer::StopRequested() {
  if (env_.stop != nullptr && env_.stop->load()) return true;
  return req_.max_duration_ms > 0 && fs_->NowMicros() - start_us_ >= req_.max_duration_ms * 1000;
}

Status Importer::Setup() {
  rdb_ = FindRdb(req_.rdb);
  if (rdb_ == nullptr) return UsageErrorStatus("--rdb " + req_.rdb + ": not a registry Rdb");
  if (!rdb_->shardable()) {
    return UsageErrorStatus("--rdb " + req_.rdb +
                            ": not shardable by shardtool (FORMAT.md §2); import refuses it");
  }
  CatalogCache* cache = env_.catalogs ? env_.catalogs : CatalogCache::Process();
  ASSIGN_OR_RETURN(auto routing, cache->Get(fs_, req_.workdir));
  catalog_ = routing->catalog();
  if (catalog_.FindDatabase(req_.database) == nullptr) {
    return NamespaceNotFoundStatus("database " + req_.database + " is not in " +
                                   CatalogPath(req_.workdir));
  }
  coll_ = catalog_.FindCollection(req_.database + "." + req_.rdb);
  if (coll_ != nullptr && coll_->placement_unknown()) {
    return StaleConfigStatus(req_.database + "." + req_.rdb +
                             ": placement unknown in the routing catalog");
  }
  owner_ = RoutingTable(catalog_, coll_);
  if (coll_ != nullptr) routing_chunks_ = coll_->chunks;

  ASSIGN_OR_RETURN(scan_, ScanImportSource(fs_, req_.source_dir, *rdb_));
  report_.findings = scan_.findings;
  for (const SourceFile& f : scan_.files) {
    ImportFileReport fr;
    fr.file = JoinPath(req_.source_dir, f.name);
    fr.id = f.id;
    report_.files.push_back(fr);
  }

  srcid_ = SourceId(req_.source_dir);
  bookmark_path_ = ImportBookmarkPath(req_.workdir, req_.database, srcid_);
  legacy_path_ = req_.legacy_bookmark.empty()
                     ? JoinPath(req_.workdir, "lasttitledbinjectinfo.dat")
                     : req_.legacy_bookmark;
  ASSIGN_OR_RETURN(auto own, ReadImportBookmark(fs_, bookmark_path_));
  if (own.has_value()) {
    pos_ = own->pos;
    records_total_ = own->records;
    negatives_total_ = own->negatives_skipped;
    report_.resumed = true;
  } else {
    ASSIGN_OR_RETURN(LegacyBookmark legacy, ReadLegacyBookmark(fs_, legacy_path_));
    if (legacy.present && legacy.from_start) {
      report_.warnings.push_back(legacy_path_ + " holds '" + legacy.text +
                                 "' (no position): importing from the beginning");
    } else if (legacy.present) {
      pos_ = legacy.pos;
      report_.resumed = true;
      report_.warnings.push_back("continuing from Gigablast's bookmark " + legacy_path_ + " (" +
                                 legacy.text + ")");
    }
  }
  // I8: the bookmark names a file of the source (or the very start).
  if (pos_ != SourcePos{}) {
    auto it = std::find_if(scan_.files.begin(), scan_.files.end(),
                           [&](const SourceFile& f) { return f.id == pos_.file_id; });
    if (it == scan_.files.end()) {
      return CorruptionStatus("bookmark (" + std::to_string(pos_.offset) + "," +
                              std::to_string(pos_.file_id) + "): file id " +
                              std::to_string(pos_.file_id) + " is not in " + req_.source_dir +
                              " (I8)");
    }
    if (pos_.offset > it->size) {
      return CorruptionStatus("bookmark offset " + std::to_string(pos_.offset) +
                              " is past the end of " + JoinPath(req_.source_dir, it->name) + " (" +
                              std::to_string(it->size) + " bytes) (I8)");
    }
  }
  for (const SourceFile& f : scan_.files) {
    if (f.id > pos_.file_id) {
      total_bytes_ += f.size;
    } else if (f.id == pos_.file_id) {
      total_bytes_ += f.size - pos_.offset;
    }
  }
  return Status::Ok();
}

Status Importer::OpenTargets() {
  // One import of a source into a database at a time.
  if (!req_.dry_run) {
    RETURN_IF_ERROR(fs_->CreateDirs(LocksDir(req_.workdir)));
    auto lock = fs_->Lock(
        JoinPath(LocksDir(req_.workdir), "import." + req_.database + "." + srcid_),
        LockMode::kExclusive, true);
    if (!lock.ok()) {
      return LockTimeoutStatus("another import of " + req_.source_dir + " into " +
                               req_.database + " is running (" + lock.status().message() + ")");
    }
    import_lock_ = std::move(lock).value();
  }

  GigablastDetector* detector = env_.gigablast;
  if (detector == nullptr && !req_.force) {
    own_detector_ = MakeGigablastDetector();
    detector = own_detector_.get();
  }
  std::vector<std::string> remote;
  std::set<int32_t> stage;
  for (const CatalogHost& h : catalog_.cluster.hosts) {
    if (!fs_->Exists(h.workdir)) {
      remote.push_back("host " + std::to_string(h.id) + " (" + h.workdir + ")");
      stage.insert(h.shard);
      continue;
    }
    auto t = std::make_unique<LocalTarget>();
    t->host_id = h.id;
    t->shard = h.shard;
    t->workdir = h.workdir;
    t->name = "host" + std::to_string(h.id);
    CatalogCache* cache = env_.catalogs ? env_.catalogs : CatalogCache::Process();
    auto loaded = cache->Get(fs_, h.workdir);
    if (!loaded.ok()) {
      if (loaded.status().code() == ErrorCode::kNotFound) {
        return FailedPreconditionStatus("host " + std::to_string(h.id) + " (" + h.workdir +
                                        "): no shardtool catalog; run `shardtool init` there");
      }
      return loaded.status();
    }
    const Catalog& tc = (*loaded)->catalog();
    const DatabaseEntry* db = tc.FindDatabase(req_.database);
    if (db == nullptr) {
      return NamespaceNotFoundStatus("host " + std::to_string(h.id) + " (" + h.workdir +
                                     "): database " + req_.database +
                                     " not found (create coll." + req_.database +
                                     ".<collnum>/ and run `shardtool init` there)");
    }
    if (tc.this_host != h.id) {
      return StaleConfigStatus("host " + std::to_string(h.id) + " (" + h.workdir +
                               "): its catalog says it is host " + std::to_string(tc.this_host));
    }
    t->db_dir = JoinPath(h.workdir, db->DirName());
    if (const CollectionEntry* c = tc.FindCollection(req_.database + "." + req_.rdb)) {
      t->part_size = c->part_size;
    }
    if (req_.dry_run) {
      locals_.push_back(std::move(t));
      continue;
    }
    if (detector != nullptr && !req_.force) {
      ASSIGN_OR_RETURN(auto running, detector->Find(h.workdir));
      if (running.has_value()) {
        return BusyStatus("Gigablast is running in host " + std::to_string(h.id) + "'s working dir (" +
                          *running + "); stop it or use --force");
      }
    }
    ShardRoleOptions so;
    so.fs = fs_;
    so.workdir = h.workdir;
    so.locks = env_.locks;
    so.catalogs = env_.catalogs;
    so.keeper = env_.keeper;
    so.process = env_.process;
    so.job = "import";
    so.heartbeat_thread = env_.heartbeat_thread;
    t->ctx = std::make_unique<AcquisitionContext>(so);
    CommandAcquireRequest car;
    car.namespaces = {req_.database + "." + req_.rdb};
    car.operation = OperationType::kWrite;
    car.lock_timeout_ms = req_.lock_timeout_ms;
    auto acq = AcquireForCommand(*t->ctx, car);
    if (!acq.ok()) {
      Status st = acq.status();
      return Status(st.code(), "host " + std::to_string(h.id) + " (" + h.workdir +
                                   "): " + st.message());
    }
    t->acq = (*acq)[0].collection();
    t->ledger = std::make_unique<ImportLedger>(
        fs_, ImportLedgerPath(h.workdir, req_.database, req_.rdb, srcid_));
    RETURN_IF_ERROR(t->ledger->Load());
    RETURN_IF_ERROR(t->ledger->RollForward().status());
    RETURN_IF_ERROR(RemoveImportTemps(fs_, t->db_dir));
    locals_.push_back(std::move(t));
  }
  if (!remote.empty() && req_.stage_dir.empty() && !req_.dry_run) {
    std::string list;
    for (const std::string& r : remote) list += (list.empty() ? "" : ", ") + r;
    return FailedPreconditionStatus("not on this machine: " + list +
                                    "; give --stage-dir DIR to write their shards' records as "
                                    "bundles for `shardtool ingest`");
  }
  stage_shards_.assign(stage.begin(), stage.end());
  for (auto& t : locals_) {
    ImportTargetReport tr;
    tr.name = t->name;
    tr.shard = t->shard;
    t->report_index = report_.targets.size();
    report_.targets.push_back(tr);
  }
  if (!req_.dry_run) {
    own_ledger_ = std::make_unique<ImportLedger>(
        fs_, JoinPath(JournalDir(req_.workdir),
                      "import-stage." + req_.database + "." + req_.rdb + "." + srcid_ + ".json"));
    RETURN_IF_ERROR(own_ledger_->Load());
    RETURN_IF_ERROR(own_ledger_->RollForward().status());
    // Bundles a crash left before their ledger entry was committed.
    if (!req_.stage_dir.empty()) {
      RETURN_IF_ERROR(RemovePending(fs_, JoinPath(req_.stage_dir, ".import-pending")));
    }
    RETURN_IF_ERROR(
        RemovePending(fs_, JoinPath(JoinPath(StateDir(req_.workdir), "quarantine"), ".import-pending")));
  }
  return Status::Ok();
}

// The placement this import routes by is still the one of every target and of the routing
// catalog: each target's acquisition yields and restores (SHARD-ROLE.md §7: a major version change
// is StaleConfig), and its ownership filter must own every slot routed to its shard.
Status Importer::CheckPlacement() {
  CatalogCache* cache = env_.catalogs ? env_.catalogs : CatalogCache::Process();
  ASSIGN_OR_RETURN(auto snap, cache->Get(fs_, req_.workdir));
  const Catalog& now_catalog = snap->catalog();
  const bool same = now_catalog.epoch == catalog_.epoch && now_catalog.version == catalog_.version;
  const CollectionEntry* c =
      same ? nullptr : now_catalog.FindCollection(req_.database + "." + req_.rdb);
  std::vector<Chunk> chunks = c ? c->chunks : std::vector<Chunk>{};
  auto owners = [](const std::vector<Chunk>& cs) {
    std::vector<std::tuple<int32_t, int32_t, int32_t>> o;
    for (const Chunk& ch : cs) o.emplace_back(ch.min, ch.max, ch.shard);
    return o;
  };
  if (!same && (now_catalog.epoch != catalog_.epoch || owners(chunks) != owners(routing_chunks_) ||
                now_catalog.cluster.num_shards != catalog_.cluster.num_shards)) {
    return StaleConfigStatus(req_.database + "." + req_.rdb + ": the routing catalog " +
                             CatalogPath(req_.workdir) +
                             " changed during the import; rerun to continue from the bookmark "
                             "under the new placement");
  }
  for (auto& t : locals_) {
    RETURN_IF_ERROR(t->ctx->Yield());
    Status st = t->ctx->Restore();
    if (!st.ok()) {
      return Status(st.code(), "host " + std::to_string(t->host_id) + " (" + t->workdir +
                                   "): " + st.message());
    }
    if (!t->acq.exists()) continue;
    auto filter = t->acq.ownership_filter();
    if (!filter.ok()) continue;  // an unsharded description: nothing to check against
    for (int slot = 0; slot < kNumSlots; ++slot) {
      if (owner_[static_cast<size_t>(slot)] == t->shard && !(*filter)->Owned(slot)) {
        return StaleConfigStatus("host " + std::to_string(t->host_id) + " (" + t->workdir +
                                 "): its catalog does not give shard " +
                                 std::to_string(t->shard) + " slot " + std::to_string(slot) +
                                 ", which the routing catalog does");
      }
    }
  }
  return Status::Ok();
}

Status Importer::CommitLocal(LocalTarget& t, const std::vector<uint32_t>& sorted) {
  const int ks = rdb_->key_size;
  ImportTargetReport& tr = report_.targets[t.report_index];
  std::vector<TargetRecordRef> refs;
  refs.reserve(sorted.size());
  for (uint32_t i : sorted) {
    const BatchRec& r = cb_->recs[i];
    if (t.ledger->Holds(t.name, r.pos, r.slot)) {
      tr.skipped_held++;
      continue;
    }
    refs.push_back(RefOf(*cb_, r, ks));
  }
  if (refs.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(TargetFilesWritten w,
                   WriteTargetFiles(fs_, t.db_dir, *rdb_, t.part_size, refs));
  LedgerEntry e;
  e.target = t.name;
  e.from = cb_->from;
  e.to = cb_->to;
  e.slots = SlotBits(RangesOf(owner_, t.shard));
  e.renames = w.renames;
  RETURN_IF_ERROR(t.ledger->Commit(std::move(e), cb_->from));
  RETURN_IF_ERROR(t.ledger->Publish());
  TEST_POINT("import.after_target_publish");
  tr.records += static_cast<int64_t>(refs.size());
  tr.bytes += w.bytes;
  const std::string db_rel = BaseName(t.db_dir);
  for (const std::string& n : w.names) tr.files.push_back(db_rel + "/" + n);
  return Status::Ok();
}

// Every local target of the batch (each with its shard's sorted records), up to --max-inflight
// written at once: a slow target slows the batch instead of growing memory.
Status Importer::CommitLocals(const std::map<int32_t, std::vector<uint32_t>>& sorted) {
  std::vector<LocalTarget*> targets;
  for (auto& t : locals_) {
    if (sorted.count(t->shard)) targets.push_back(t.get());
  }
  std::vector<uint64_t> before;
  for (LocalTarget* t : targets) before.push_back(report_.targets[t->report_index].bytes);
  const size_t width = std::max<size_t>(1, static_cast<size_t>(req_.max_inflight));
  std::vector<Status> results(targets.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < targets.size(); k = next++) {
      results[k] = CommitLocal(*targets[k], sorted.at(targets[k]->shard));
    }
  };
  const size_t n = std::min(width, targets.size());
  if (n <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (size_t k = 0; k < n; ++k) threads.emplace_back(worker);
    for (std::thread& th : threads) th.join();
  }
  for (Status& st : results) RETURN_IF_ERROR(std::move(st));
  for (size_t k = 0; k < targets.size(); ++k) {
    report_.bytes_written += report_.targets[targets[k]->report_index].bytes - before[k];
  }
  return Status::Ok();
}

BundleHeader MakeHeader(const Catalog& cat, const CollectionEntry* c, const std::string& db,
                        const std::string& kind, int32_t target_shard, int64_t now_s) {
  BundleHeader h;
  h.kind = kind;
  h.created = Iso8601Utc(now_s);
  h.source_host_id = cat.this_host;
  h.source_shard = cat.this_shard();
  h.target_shard = target_shard;
  h.database = db;
  h.catalog_epoch = cat.epoch;
  h.catalog_version = cat.version;
  if (c != nullptr) h.catalog_shard_version = ShardVersionOf(*c, target_shard).ToString();
  return h;
}

Status Importer::CommitStage(int32_t shard, const std::vector<uint32_t>& sorted) {
  const int ks = rdb_->key_size;
  const std::string target = "stage.s" + std::to_string(shard);
  std::vector<uint32_t> keep;
  for (uint32_t i : sorted) {
    const BatchRec& r = cb_->recs[i];
    if (!own_ledger_->Holds(target, r.pos, r.slot)) keep.push_back(i);
  }
  if (keep.empty()) return Status::Ok();
  const int64_t now_s = fs_->NowMicros() / 1000000;
  const std::string tag_text = srcid_ + "/" + std::to_string(shard) + "/" +
                               std::to_string(cb_->from.file_id) + "/" +
                               std::to_string(cb_->from.offset);
  const std::string name =
      BundleDirName(req_.database, req_.rdb, shard, now_s, Crc32c(tag_text));
  const std::string pending = JoinPath(req_.stage_dir, ".import-pending");
  if (fs_->Exists(JoinPath(pending, name + ".tmp"))) {
    // A crash left it: BundleWriter::Open reuses the dir and removes its files.
  }
  BundleWriter w(fs_, pending, name, *rdb_,
                 MakeHeader(catalog_, coll_, req_.database, "import", shard, now_s));
  RETURN_IF_ERROR(w.Open());
  for (uint32_t i : keep) {
    const TargetRecordRef ref = RefOf(*cb_, cb_->recs[i], ks);
    RETURN_IF_ERROR(w.Add(0, ref.key, ref.data, ref.data_size));
  }
  RETURN_IF_ERROR(w.Commit());
  TEST_POINT("import.after_bundle_write");
  LedgerEntry e;
  e.target = target;
  e.from = cb_->from;
  e.to = cb_->to;
  e.slots = SlotBits(RangesOf(owner_, shard));
  e.renames = {{w.final_path(), JoinPath(req_.stage_dir, name)}};
  RETURN_IF_ERROR(own_ledger_->Commit(std::move(e), cb_->from));
  RETURN_IF_ERROR(own_ledger_->Publish());
  ImportTargetReport tr;
  tr.name = "bundle " + name;
  tr.shard = shard;
  tr.records = static_cast<int64_t>(keep.size());
  tr.bytes = w.stream_bytes_written();
  tr.files.push_back(JoinPath(req_.stage_dir, name));
  report_.bytes_written += tr.bytes;
  report_.targets.push_back(tr);
  return Status::Ok();
}

Status Importer::CommitQuarantine() {
  const int ks = rdb_->key_size;
  std::vector<uint32_t> keep;
  for (uint32_t i = 0; i < cb_->bad.size(); ++i) {
    if (!own_ledger_->Holds("quarantine", cb_->bad[i].pos, cb_->bad[i].slot)) keep.push_back(i);
  }
  if (keep.empty()) return Status::Ok();
  // One stream per source file, keys sorted and distinct within it.
  std::map<int32_t, std::vector<uint32_t>> by_file;
  for (uint32_t i : keep) by_file[cb_->bad[i].file_index].push_back(i);
  const int64_t now_s = fs_->NowMicros() / 1000000;
  const std::string qdir = JoinPath(StateDir(req_.workdir), "quarantine");
  const std::string pending = JoinPath(qdir, ".import-pending");
  const std::string name = "import." + req_.database + "." + req_.rdb + "." + srcid_ + "." +
                           std::to_string(cb_->from.file_id) + "." +
                           std::to_string(cb_->from.offset);
  BundleWriter w(fs_, pending, name, *rdb_,
                 MakeHeader(catalog_, coll_, req_.database, "quarantine", catalog_.this_shard(),
                            now_s));
  RETURN_IF_ERROR(w.Open());
  for (auto& [fi, idx] : by_file) {
    w.SetSlotSource(fi, JoinPath(req_.source_dir, scan_.files[static_cast<size_t>(fi)].name),
                    "corrupt-record");
    for (uint32_t i : SortedDistinct(*cb_, cb_->bad, idx, ks, nullptr)) {
      const BatchRec& r = cb_->bad[i];
      const TargetRecordRef ref = RefOf(*cb_, r, ks);
      RETURN_IF_ERROR(w.Add(fi, ref.key, ref.data, ref.data_size, r.pos.offset, r.stored_size));
    }
  }
  RETURN_IF_ERROR(w.Commit());
  LedgerEntry e;
  e.target = "quarantine";
  e.from = cb_->from;
  e.to = cb_->to;
  e.slots.set();
  e.renames = {{w.final_path(), JoinPath(qdir, name)}};
  RETURN_IF_ERROR(own_ledger_->Commit(std::move(e), cb_->from));
  RETURN_IF_ERROR(own_ledger_->Publish());
  report_.quarantine_entries.push_back(JoinPath(qdir, name));
  return Status::Ok();
}

Status Importer::WriteBookmark() {
  ImportBookmark b;
  b.db = req_.database;
  b.rdb = req_.rdb;
  b.source_dir = req_.source_dir;
  b.pos = cb_->to;
  b.records = cb_->records_total;
  b.negatives_skipped = cb_->negatives_total;
  b.updated = fs_->NowMicros() / 1000000;
  TEST_POINT("import.before_bookmark");
  RETURN_IF_ERROR(WriteImportBookmark(fs_, bookmark_path_, b));
  TEST_POINT("import.after_bookmark");
  return WriteLegacyBookmark(fs_, legacy_path_, cb_->to);
}

Status Importer::CommitBatch() {
  if (cb_->from == cb_->to) return Status::Ok();
  if (!req_.dry_run) {
    const int ks = rdb_->key_size;
    RETURN_IF_ERROR(CheckPlacement());
    std::map<int32_t, std::vector<uint32_t>> by_shard;
    for (uint32_t i = 0; i < cb_->recs.size(); ++i) {
      by_shard[owner_[static_cast<size_t>(cb_->recs[i].slot)]].push_back(i);
    }
    std::map<int32_t, std::vector<uint32_t>> sorted;
    for (auto& [shard, idx] : by_shard) {
      sorted[shard] =
          SortedDistinct(*cb_, cb_->recs, std::move(idx), ks, &report_.duplicates_superseded);
    }
    by_shard.clear();
    RETURN_IF_ERROR(CommitLocals(sorted));
    for (const auto& [shard, recs] : sorted) {
      if (std::find(stage_shards_.begin(), stage_shards_.end(), shard) != stage_shards_.end()) {
        RETURN_IF_ERROR(CommitStage(shard, recs));
      }
    }
    RETURN_IF_ERROR(CommitQuarantine());
    RETURN_IF_ERROR(WriteBookmark());
  }
  report_.batches++;
  cb_->Clear();
  // Between batches the targets yield (SHARD-ROLE.md §7): catalog rewrites are not held up, and
  // the restore re-checks the placement at once.
  if (!req_.dry_run) {
    for (auto& t : locals_) RETURN_IF_ERROR(t->ctx->Yield());
  }
  if (env_.after_batch) RETURN_IF_ERROR(env_.after_batch(static_cast<int>(report_.batches)));
  if (!req_.dry_run) {
    for (auto& t : locals_) {
      Status st = t->ctx->Restore();
      if (!st.ok()) {
        return Status(st.code(), "host " + std::to_string(t->host_id) + " (" + t->workdir +
                                     "): " + st.message());
      }
    }
  }
  return Status::Ok();
}

Status Importer::JoinCommit() {
  if (committer_.joinable()) committer_.join();
  Status st = std::move(commit_status_);
  commit_status_ = Status::Ok();
  return st;
}

// Reading and writing overlap: while the committer writes batch k to the targets, the reader fills
// batch k+1 (each batch at most --memory / 2). Commits stay strictly in order.
Status Importer::Flush(bool wait) {
  RETURN_IF_ERROR(JoinCommit());
  if (batch_.from == batch_.to) return Status::Ok();
  batch_.records_total = records_total_;
  batch_.negatives_total = negatives_total_;
  std::swap(batch_, spare_);
  batch_.Clear();
  batch_.from = batch_.to = spare_.to;
  cb_ = &spare_;
  if (wait || req_.dry_run) return CommitBatch();
  committer_ = std::thread([this] { commit_status_ = CommitBatch(); });
  return Status::Ok();
}

Status Importer::ReadAndCommit() {
  const int ks = rdb_->key_size;
  const bool titledb = rdb_->id == RdbId::kTitledb;
  batch_.from = batch_.to = pos_;
  // Reserved once (pages are touched only as records arrive): no reallocation copies, and the
  // batch never holds more than --memory.
  if (!req_.dry_run) {
    const uint64_t want = std::min<uint64_t>(BatchLimit(), total_bytes_ + (1 << 20));
    for (Batch* b : {&batch_, &spare_}) {
      b->arena.reserve(static_cast<size_t>(want));
      b->recs.reserve(static_cast<size_t>(want / Batch::kPerRecord));
    }
  }
  uint32_t since_check = 0;
  for (size_t fi = 0; fi < scan_.files.size(); ++fi) {
    const SourceFile& f = scan_.files[fi];
    if (f.id < pos_.file_id) continue;
    const uint64_t start = f.id == pos_.file_id ? pos_.offset : 0;
    ImportFileReport& fr = report_.files[fi];
    if (start >= f.size && f.size > 0) continue;  // done in an earlier run
    SourceReader reader(fs_, req_.source_dir, f, *rdb_, env_.read_buffer);
    RETURN_IF_ERROR(reader.Open(start));
    SourceRecord r;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, reader.Next(&r));
      if (!more) break;
      // The batch stays within --memory: commit it before a record that would not fit.
      if (!req_.dry_run && batch_.bytes() + r.size + Batch::kPerRecord > BatchLimit() &&
          !batch_.recs.empty()) {
        RETURN_IF_ERROR(Flush(false));
      }
      report_.bytes_read += r.size;
      done_bytes_ += r.size;
      const SourcePos rpos{f.id, r.offset};
      if (r.negative) {
        fr.negatives_skipped++;
        report_.negatives_skipped++;
        negatives_total_++;
      } else {
        const int slot = KeySlot(*rdb_, r.key);
        bool bad = false;
        if (titledb) {
          std::vector<Finding> t1;
          if (!CheckTitlerecT1(r.data, r.data_size, fr.file, static_cast<int64_t>(r.offset),
                               r.key, &t1)) {
            bad = true;
            for (Finding& x : t1) {
              x.rule = "I6";
              x.message += " (I6: quarantined)";
              if (fr.findings.size() < 100) fr.findings.push_back(std::move(x));
            }
          }
        }
        if (bad) {
          fr.quarantined++;
          report_.quarantined++;
          batch_.Add(&batch_.bad, r, ks, slot, rpos, static_cast<int32_t>(fi));
        } else {
          fr.records++;
          report_.records++;
          records_total_++;
          report_.routed[owner_[static_cast<size_t>(slot)]]++;
          if (!req_.dry_run) {
            batch_.Add(&batch_.recs, r, ks, slot, rpos, static_cast<int32_t>(fi));
          }
        }
      }
      batch_.to = pos_ = SourcePos{f.id, reader.position()};
      if (++since_check >= env_.check_every) {
        since_check = 0;
        if (env_.progress) env_.progress({done_bytes_, total_bytes_});
        const bool stop = StopRequested();
        if (stop) {
          RETURN_IF_ERROR(Flush(true));
          return InterruptedStatus("import stopped at file " + std::to_string(pos_.file_id) +
                                   " offset " + std::to_string(pos_.offset) +
                                   "; a rerun continues from the bookmark");
        }
      }
    }
    for (const Finding& x : reader.findings()) fr.findings.push_back(x);
    fr.out_of_order = reader.out_of_order();
    if (fr.out_of_order > 0) {
      AddFinding(&fr.findings, "I7", Severity::kNotice, fr.file, -1, -1, "",
                 std::to_string(fr.out_of_order) +
                     " keys out of order (targets are sorted on write)");
    }
    // The whole file is handled (to its end, or to a corrupt record whose rest is skipped).
    batch_.to = pos_ = SourcePos{f.id, f.size};
    done_bytes_ += f.size - reader.position();
  }
  RETURN_IF_ERROR(Flush(true));
  if (env_.progress) env_.progress({done_bytes_, total_bytes_});
  return Status::Ok();
}

Result<ImportReport> Importer::Run() {
  start_us_ = fs_->NowMicros();
  report_.database = req_.database;
  report_.rdb = req_.rdb;
  report_.source_dir = req_.source_dir;
  report_.dry_run = req_.dry_run;
  RETURN_IF_ERROR(Setup());
  if (total_bytes_ == 0 && report_.resumed) {
    report_.nothing_to_do = true;
    report_.bookmark = pos_;
    return report_;
  }
  RETURN_IF_ERROR(OpenTargets());
  Status st = ReadAndCommit();
  Status committed = JoinCommit();
  if (st.ok()) st = std::move(committed);
  if (!st.ok()) {
    // Stops after committed work are reported (exit 9, 5, 6); other errors fail the run.
    const ErrorCode c = st.code();
    if (c != ErrorCode::kInterrupted && c != ErrorCode::kStaleConfig &&
        c != ErrorCode::kStaleDbVersion && c != ErrorCode::kQueryPlanKilled) {
      return st;
    }
    report_.outcome = st;
  }
  report_.bookmark = pos_;
  if (!report_.outcome.ok()) {
    // The bookmark on disk is where the next run starts.
    ASSIGN_OR_RETURN(auto b, ReadImportBookmark(fs_, bookmark_path_));
    report_.bookmark = b ? b->pos : SourcePos{};
  }
  report_.seconds = static_cast<double>(fs_->NowMicros() - start_us_) / 1e6;
  return report_;
}

}  // namespace

int ImportReport::exit_status() const {
  if (!outcome.ok()) return outcome.exit_status();
  if (quarantined > 0) return 1;
  for (const ImportFileReport& f : files) {
    for (const Finding& x : f.findings) {
      if (x.severity == Severity::kError) return 1;
    }
  }
  return 0;
}

Result<ImportReport> RunImport(FileSystem* fs, const ImportRequest& req, const ImportEnv& env) {
  Importer importer(fs, req, env);
  return importer.Run();
}

}  // namespace shardtool
