#include "jobs/import/import_job.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <tuple>

#include "acquire/acquisition.h"
#include "acquire/router.h"
#include "catalog/catalog_store.h"
#include "catalog/ownership_filter.h"
#include "catalog/state_paths.h"
#include "format/key.h"
#include "format/titlerec.h"
#include "io/check_pacer.h"
#include "io/test_point.h"
#include "jobs/import/import_bookmark.h"
#include "jobs/import/import_internal.h"
#include "jobs/import/import_ledger.h"
#include "jobs/import/import_target.h"

namespace shardtool {
namespace import_detail {
namespace {

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

}  // namespace

void Importer::CleanUpAfterFailure() {
  if (req_.dry_run) return;
  for (auto& t : locals_) {
    if (t->ledger == nullptr) continue;  // not acquired
    SettleImportTemps(fs_, t->workdir, req_.database, req_.rdb, t->db_dir).IgnoreError();
  }
  if (own_ledger_ == nullptr) return;
  // Bundles whose ledger entry is committed are renamed out of .import-pending first.
  ImportLedger own(fs_, own_ledger_->path());
  if (!own.Load().ok() || !own.RollForward().ok()) return;
  if (!req_.stage_dir.empty()) {
    RemovePending(fs_, JoinPath(req_.stage_dir, ".import-pending")).IgnoreError();
  }
  RemovePending(fs_, JoinPath(JoinPath(StateDir(req_.workdir), "quarantine"), ".import-pending"))
      .IgnoreError();
}

bool Importer::StopRequested() {
  if (env_.stop != nullptr && env_.stop->load()) return true;
  return req_.max_duration_ms > 0 && fs_->NowMicros() - start_us_ >= req_.max_duration_ms * 1000;
}

Status Importer::ChooseBookmarks() {
  // Gigablast's lasttitledbinjectinfo.dat belongs to titledb injects: only a titledb import reads
  // or writes it, and keeps the spec's bookmark name; other Rdbs have their own exact bookmark
  // (import.<db>.<rdb>.<srcid>.json), so that imports of one source's Rdbs never share a position.
  const bool titledb = rdb_->id == RdbId::kTitledb;
  if (!titledb && !req_.legacy_bookmark.empty()) {
    return UsageErrorStatus(
        "--bookmark names Gigablast's titledb inject bookmark: only an import of "
        "titledb uses it (--rdb " +
        req_.rdb + " keeps shardtool's own bookmark)");
  }
  bookmark_path_ = ImportBookmarkPath(
      req_.workdir, titledb ? req_.database : req_.database + "." + req_.rdb, srcid_);
  legacy_path_.clear();
  if (titledb) {
    legacy_path_ = req_.legacy_bookmark.empty()
                       ? JoinPath(req_.workdir, "lasttitledbinjectinfo.dat")
                       : req_.legacy_bookmark;
  }
  return Status::Ok();
}

Status Importer::CheckSourceIsNotTarget(const std::string& db_dir, int32_t host_id) {
  // Importing a host's own collection dir would add every record to it again (and route copies of
  // them everywhere): the same directory by inode, or by path when it cannot be stat'ed.
  bool same = db_dir == req_.source_dir;
  auto a = fs_->Stat(db_dir);
  auto b = fs_->Stat(req_.source_dir);
  if (a.ok() && b.ok()) same = same || (a->inode == b->inode && a->dev == b->dev);
  if (!same) return Status::Ok();
  return FailedPreconditionStatus("--dir " + req_.source_dir + " is the collection dir of host " +
                                  std::to_string(host_id) + " (" + db_dir +
                                  "), a target of this import: it would duplicate every record")
      .With("source_dir", req_.source_dir);
}

std::string Importer::OtherSourceBookmark() {
  const std::string dir = DirName(bookmark_path_);
  auto entries = fs_->ListDir(dir);
  if (!entries.ok()) return "";
  const std::string prefix = "import." + req_.database + ".";
  const std::string own = BaseName(bookmark_path_);
  for (const auto& e : *entries) {
    // Titledb bookmarks only: import.<db>.<8 hex srcid>.json (other Rdbs' names hold the rdb).
    if (e.name.rfind(prefix, 0) == 0 && e.name.size() == prefix.size() + 13 &&
        e.name.compare(e.name.size() - 5, 5, ".json") == 0 && e.name != own) {
      return JoinPath(dir, e.name);
    }
  }
  return "";
}

Status Importer::Setup() {
  rdb_ = FindRdb(req_.rdb);
  if (rdb_ == nullptr) return UsageErrorStatus("--rdb " + req_.rdb + ": not a registry Rdb");
  if (!rdb_->shardable()) {
    return UsageErrorStatus("--rdb " + req_.rdb +
                            ": not shardable by shardtool (doc/format.md §2); import refuses it");
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
  RETURN_IF_ERROR(ChooseBookmarks());
  ASSIGN_OR_RETURN(auto own, ReadImportBookmark(fs_, bookmark_path_));
  if (own.has_value()) {
    pos_ = own->pos;
    records_total_ = own->records;
    negatives_total_ = own->negatives_skipped;
    report_.resumed = true;
  } else if (!legacy_path_.empty()) {
    ASSIGN_OR_RETURN(LegacyBookmark legacy, ReadLegacyBookmark(fs_, legacy_path_));
    if (legacy.present && legacy.from_start) {
      report_.warnings.push_back(legacy_path_ + " holds '" + legacy.text +
                                 "' (no position): importing from the beginning");
    } else if (legacy.present && req_.legacy_bookmark.empty() && !OtherSourceBookmark().empty()) {
      // Gigablast's bookmark names no source, and shardtool keeps it up to date for the source it
      // imports: with an exact bookmark of another source beside it, it is that source's position.
      report_.warnings.push_back(legacy_path_ + " (" + legacy.text +
                                 ") was last written for another source (" + OtherSourceBookmark() +
                                 "): importing " + req_.source_dir + " from the beginning");
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
      return CorruptionStatus(
          "bookmark (" + std::to_string(pos_.offset) + "," + std::to_string(pos_.file_id) +
          "): file id " + std::to_string(pos_.file_id) + " is not in " + req_.source_dir + " (I8)");
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

Status Importer::TakeImportLock() {
  RETURN_IF_ERROR(fs_->CreateDirs(LocksDir(req_.workdir)));
  auto lock = fs_->Lock(JoinPath(LocksDir(req_.workdir), "import." + req_.database + "." + srcid_),
                        LockMode::kExclusive, true);
  if (!lock.ok()) {
    return LockTimeoutStatus("another import of " + req_.source_dir + " into " + req_.database +
                             " is running (" + lock.status().message() + ")");
  }
  import_lock_ = std::move(lock).value();
  return Status::Ok();
}

Status Importer::OpenTargets() {
  // One import of a source into a database at a time.
  if (!req_.dry_run) RETURN_IF_ERROR(TakeImportLock());

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
                                     "): database " + req_.database + " not found (create coll." +
                                     req_.database + ".<collnum>/ and run `shardtool init` there)");
    }
    if (tc.this_host != h.id) {
      return StaleConfigStatus("host " + std::to_string(h.id) + " (" + h.workdir +
                               "): its catalog says it is host " + std::to_string(tc.this_host));
    }
    t->db_dir = JoinPath(h.workdir, db->DirName());
    RETURN_IF_ERROR(CheckSourceIsNotTarget(t->db_dir, h.id));
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
        return BusyStatus("Gigablast is running in host " + std::to_string(h.id) +
                          "'s working dir (" + *running + "); stop it or use --force");
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
      return Status(st.code(),
                    "host " + std::to_string(h.id) + " (" + h.workdir + "): " + st.message());
    }
    t->acq = (*acq)[0].collection();
    t->ledger = std::make_unique<ImportLedger>(
        fs_, ImportLedgerPath(h.workdir, req_.database, req_.rdb, srcid_));
    RETURN_IF_ERROR(t->ledger->Load());
    RETURN_IF_ERROR(t->ledger->RollForward().status());
    RETURN_IF_ERROR(SettleImportTemps(fs_, h.workdir, req_.database, req_.rdb, t->db_dir));
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
    PlanRunDirs();
    RETURN_IF_ERROR(RemoveRunLeftovers());
    // Bundles a crash left before their ledger entry was committed.
    if (!req_.stage_dir.empty()) {
      RETURN_IF_ERROR(RemovePending(fs_, JoinPath(req_.stage_dir, ".import-pending")));
    }
    RETURN_IF_ERROR(RemovePending(
        fs_, JoinPath(JoinPath(StateDir(req_.workdir), "quarantine"), ".import-pending")));
  }
  return Status::Ok();
}

// The placement this import routes by is still the one of every target and of the routing
// catalog: each target's acquisition yields and restores (doc/acquisition.md §7: a major version
// change is StaleConfig), and its ownership filter must own every slot routed to its shard.
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
                                 "): its catalog does not give shard " + std::to_string(t->shard) +
                                 " slot " + std::to_string(slot) +
                                 ", which the routing catalog does");
      }
    }
  }
  return Status::Ok();
}

bool Importer::SpillEarly() const {
  // The rest of this commit: to --commit-every or the end of the input, whichever comes first.
  const uint64_t rest_input = total_bytes_ > done_bytes_ ? total_bytes_ - done_bytes_ : 0;
  const uint64_t rest_commit =
      req_.commit_every > commit_bytes_ ? req_.commit_every - commit_bytes_ : 0;
  const uint64_t rest = std::min(rest_input, rest_commit);
  // Its memory in a batch, records counted at the batch's average size so far.
  const uint64_t avg = batch_.arena.size() / batch_.recs.size();
  const uint64_t need = rest + (avg > 0 ? rest / avg * Batch::kPerRecord : rest);
  const uint64_t limit = BatchLimit();
  return batch_.bytes() + need > limit && need <= limit - limit / 8;
}

Status Importer::JoinCommit() {
  if (committer_.joinable()) committer_.join();
  Status st = std::move(commit_status_);
  commit_status_ = Status::Ok();
  return st;
}

// Reading and writing overlap: while the committer spills batch k as runs (or commits it with the
// runs before it), the reader fills batch k+1 (each batch at most --memory / 2). Batches are
// handled strictly in order.
Status Importer::Flush(bool commit, bool wait) {
  RETURN_IF_ERROR(JoinCommit());
  if (commit) commit_bytes_ = 0;
  if (batch_.from == batch_.to && !(commit && commit_open_)) return Status::Ok();
  batch_.records_total = records_total_;
  batch_.negatives_total = negatives_total_;
  batch_.commit_from = commit_start_;
  std::swap(batch_, spare_);
  batch_.Clear();
  batch_.from = batch_.to = spare_.to;
  commit_open_ = !commit;
  if (commit) commit_start_ = spare_.to;
  cb_ = &spare_;
  auto work = [this, commit] { return commit ? CommitBatch() : SpillBatch(); };
  if (wait || req_.dry_run) return work();
  committer_ = std::thread([this, work] { commit_status_ = work(); });
  return Status::Ok();
}

namespace {

// Transparent huge pages for a large buffer that is filled once and reused: a batch arena of
// --memory / 2 would otherwise take a page fault per 4 KiB the first time it fills (a quarter of
// the import's time on a virtual machine). Only the 2 MiB-aligned middle is advised; a refusal
// (no THP in this kernel) changes nothing.
void AdviseHugePages(void* p, size_t n) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace

Status Importer::ReadAndCommit() {
  const int ks = rdb_->key_size;
  const bool titledb = rdb_->id == RdbId::kTitledb;
  batch_.from = batch_.to = commit_start_ = pos_;
  // Reserved once (pages are touched only as records arrive): no reallocation copies, and the
  // batch never holds more than --memory.
  if (!req_.dry_run) {
    const uint64_t want = std::min<uint64_t>(BatchLimit(), total_bytes_ + (1 << 20));
    for (Batch* b : {&batch_, &spare_}) {
      b->arena.reserve(static_cast<size_t>(want));
      b->recs.reserve(static_cast<size_t>(want / Batch::kPerRecord));
      AdviseHugePages(b->arena.data(), b->arena.capacity());
    }
  }
  CheckPacer pacer(fs_, env_.check_every);
  const int64_t deadline =
      req_.max_duration_ms > 0 ? start_us_ + req_.max_duration_ms * 1000 : INT64_MAX;
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
      // A commit covers about --commit-every source bytes; within it, the batch stays within
      // --memory / 2 and is spilled before a record that would not fit.
      if (commit_bytes_ >= req_.commit_every) {
        RETURN_IF_ERROR(Flush(true, false));
      } else if (!req_.dry_run && !batch_.recs.empty() &&
                 (batch_.bytes() + r.size + Batch::kPerRecord > BatchLimit() || SpillEarly())) {
        RETURN_IF_ERROR(Flush(false, false));
      }
      commit_bytes_ += r.size;
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
          if (!CheckTitlerecT1(r.data, r.data_size, fr.file, static_cast<int64_t>(r.offset), r.key,
                               &t1)) {
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
      if (pacer.Due(r.size)) {
        if (env_.progress) env_.progress({done_bytes_, total_bytes_});
        WaitForRate(fs_, report_.bytes_read, req_.rate_mb_s, start_us_, deadline, env_.stop);
        const bool stop = StopRequested();
        if (stop) {
          RETURN_IF_ERROR(Flush(true, true));
          return InterruptedStatus("import stopped at file " + std::to_string(pos_.file_id) +
                                   " offset " + std::to_string(pos_.offset) +
                                   "; a rerun continues from the bookmark");
        }
      }
    }
    for (const Finding& x : reader.findings()) fr.findings.push_back(x);
    fr.out_of_order = reader.out_of_order();
    if (fr.out_of_order > 0) {
      AddFinding(
          &fr.findings, "I7", Severity::kNotice, fr.file, -1, -1, "",
          std::to_string(fr.out_of_order) + " keys out of order (targets are sorted on write)");
    }
    // The whole file is handled (to its end, or to a corrupt record whose rest is skipped).
    batch_.to = pos_ = SourcePos{f.id, f.size};
    done_bytes_ += f.size - reader.position();
  }
  RETURN_IF_ERROR(Flush(true, true));
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
    // A run killed after its last bookmark but before it removed its spill runs left them: they
    // go now (under the import lock; when another import of this source runs, they are its own).
    if (!req_.dry_run && TakeImportLock().ok()) RETURN_IF_ERROR(RemoveRunLeftovers());
    return report_;
  }
  RETURN_IF_ERROR(OpenTargets());
  RETURN_IF_ERROR(CheckFreeSpace());
  Status st = ReadAndCommit();
  Status committed = JoinCommit();
  RemoveRunDirs();
  if (st.ok()) st = std::move(committed);
  if (!st.ok()) {
    // Stops after committed work are reported (exit 9, 5, 6); other errors fail the run, which
    // leaves nothing uncommitted behind (a full disk stays usable).
    const ErrorCode c = st.code();
    if (c != ErrorCode::kInterrupted && c != ErrorCode::kStaleConfig &&
        c != ErrorCode::kStaleDbVersion && c != ErrorCode::kQueryPlanKilled) {
      CleanUpAfterFailure();
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

}  // namespace import_detail

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
  import_detail::Importer importer(fs, req, env);
  return importer.Run();
}

}  // namespace shardtool
