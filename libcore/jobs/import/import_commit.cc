// The commit (import_job.h): per target host one new data file (more only past a part's size) under
// its ledger, per staged shard a bundle, the quarantine entry, then the bookmarks. Each target
// merges its shard's runs of the commit with the last batch itself (a target skips, per record,
// what its ledger says it holds, so mirrors may differ in what they need).
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "base/crc32c.h"
#include "catalog/state_paths.h"
#include "format/rdb_registry.h"
#include "io/test_point.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/import/import_bookmark.h"
#include "jobs/import/import_internal.h"
#include "jobs/import/import_target.h"

namespace shardtool::import_detail {

Result<Importer::ShardStream> Importer::OpenShardStream(int32_t shard,
                                                        const std::vector<uint32_t>& sorted,
                                                        ZstdBlockCodec* codec) {
  const int ks = rdb_->key_size;
  ShardStream out;
  auto runs = runs_.find(shard);
  if (runs == runs_.end() || runs->second.empty()) {
    out.source = std::make_unique<BatchSource>(*cb_, sorted, ks);
    return out;
  }
  ASSIGN_OR_RETURN(auto sources, OpenSpillRuns(fs_, runs->second, ks, codec));
  sources.push_back(std::make_unique<BatchSource>(*cb_, sorted, ks));  // the newest
  auto merger = std::make_unique<SpillMerger>(std::move(sources), ks);
  out.merger = merger.get();
  out.source = std::move(merger);
  return out;
}

// One merge of a shard's records feeds each of `ts` (hosts of that shard); each writes what its
// ledger does not hold yet into new files and commits them.
Status Importer::CommitLocal(const std::vector<LocalTarget*>& ts,
                             const std::vector<uint32_t>& sorted, int64_t* superseded) {
  const int32_t shard = ts.front()->shard;
  ZstdBlockCodec codec;
  ASSIGN_OR_RETURN(ShardStream stream, OpenShardStream(shard, sorted, &codec));
  std::vector<std::unique_ptr<TargetFilesWriter>> ws;
  for (LocalTarget* t : ts) {
    ws.push_back(std::make_unique<TargetFilesWriter>(fs_, t->db_dir, *rdb_, t->part_size));
  }
  SpillRecord rec;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, stream.source->Next(&rec));
    if (!more) break;
    const int slot = KeySlot(*rdb_, rec.key);
    for (size_t k = 0; k < ts.size(); ++k) {
      if (ts[k]->ledger->Holds(ts[k]->name, rec.pos, slot)) {
        report_.targets[ts[k]->report_index].skipped_held++;
        continue;
      }
      RETURN_IF_ERROR(ws[k]->Add({rec.key, rec.data, rec.data_size}));
    }
  }
  *superseded = stream.superseded();
  for (auto& w : ws) RETURN_IF_ERROR(w->Drain());
  for (size_t k = 0; k < ts.size(); ++k) {
    LocalTarget& t = *ts[k];
    TargetFilesWriter& w = *ws[k];
    if (w.records() == 0) continue;
    ASSIGN_OR_RETURN(TargetFilesWritten fw, w.Finish());
    LedgerEntry e;
    e.target = t.name;
    e.from = cb_->commit_from;
    e.to = cb_->to;
    e.slots = SlotBits(RangesOf(owner_, shard));
    e.renames = fw.renames;
    RETURN_IF_ERROR(t.ledger->Commit(std::move(e), cb_->commit_from));
    RETURN_IF_ERROR(t.ledger->Publish());
    TEST_POINT("import.after_target_publish");
    ImportTargetReport& tr = report_.targets[t.report_index];
    tr.records += w.records();
    tr.bytes += fw.bytes;
    const std::string db_rel = BaseName(t.db_dir);
    for (const std::string& n : fw.names) tr.files.push_back(db_rel + "/" + n);
  }
  return Status::Ok();
}

// Every local target of the commit, up to --max-inflight tasks at once: a slow target slows the
// commit instead of growing memory. A task is one target when its shard's records are all in
// memory, and all hosts of the shard when it has runs (merged once for its mirrors).
// *superseded: per shard, the older records of keys met in more than one run.
Status Importer::CommitLocals(const std::map<int32_t, std::vector<uint32_t>>& sorted,
                              std::map<int32_t, int64_t>* superseded) {
  std::vector<std::vector<LocalTarget*>> tasks;
  std::map<int32_t, size_t> shard_task;
  for (auto& t : locals_) {
    if (!sorted.count(t->shard)) continue;
    auto runs = runs_.find(t->shard);
    const bool spilled = runs != runs_.end() && !runs->second.empty();
    auto it = shard_task.find(t->shard);
    if (spilled && it != shard_task.end()) {
      tasks[it->second].push_back(t.get());
      continue;
    }
    shard_task.emplace(t->shard, tasks.size());
    tasks.push_back({t.get()});
  }
  std::vector<uint64_t> before;
  for (auto& t : locals_) before.push_back(report_.targets[t->report_index].bytes);
  const size_t width = std::max<size_t>(1, static_cast<size_t>(req_.max_inflight));
  std::vector<Status> results(tasks.size());
  std::vector<int64_t> dupes(tasks.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < tasks.size(); k = next++) {
      results[k] = CommitLocal(tasks[k], sorted.at(tasks[k].front()->shard), &dupes[k]);
    }
  };
  const size_t n = std::min(width, tasks.size());
  if (n <= 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (size_t k = 0; k < n; ++k) threads.emplace_back(worker);
    for (std::thread& th : threads) th.join();
  }
  for (Status& st : results) RETURN_IF_ERROR(std::move(st));
  for (size_t k = 0; k < locals_.size(); ++k) {
    report_.bytes_written += report_.targets[locals_[k]->report_index].bytes - before[k];
  }
  for (size_t k = 0; k < tasks.size(); ++k) superseded->emplace(tasks[k].front()->shard, dupes[k]);
  return Status::Ok();
}

namespace {

BundleHeader ImportBundleHeader(const Catalog& cat, const CollectionEntry* c, const std::string& db,
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
  if (c != nullptr) {
    h.catalog_shard_version = ShardVersionOf(*c, target_shard).ToString();
    h.collection_uuid = c->uuid;
  }
  return h;
}

}  // namespace

Status Importer::CommitStage(int32_t shard, const std::vector<uint32_t>& sorted,
                             int64_t* superseded) {
  const std::string target = "stage.s" + std::to_string(shard);
  const int64_t now_s = fs_->NowMicros() / 1000000;
  const std::string tag_text = srcid_ + "/" + std::to_string(shard) + "/" +
                               std::to_string(cb_->commit_from.file_id) + "/" +
                               std::to_string(cb_->commit_from.offset);
  const std::string name = BundleDirName(req_.database, req_.rdb, shard, now_s, Crc32c(tag_text));
  // A bundle a crash left pending under this name: BundleWriter::Open reuses the dir.
  const std::string pending = JoinPath(req_.stage_dir, ".import-pending");
  BundleWriter w(fs_, pending, name, *rdb_,
                 ImportBundleHeader(catalog_, coll_, req_.database, "import", shard, now_s));
  ZstdBlockCodec codec;
  ASSIGN_OR_RETURN(ShardStream stream, OpenShardStream(shard, sorted, &codec));
  int64_t kept = 0;
  SpillRecord rec;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, stream.source->Next(&rec));
    if (!more) break;
    if (own_ledger_->Holds(target, rec.pos, KeySlot(*rdb_, rec.key))) continue;
    if (kept++ == 0) RETURN_IF_ERROR(w.Open());
    RETURN_IF_ERROR(w.Add(0, rec.key, rec.data, rec.data_size));
  }
  *superseded = stream.superseded();
  if (kept == 0) return Status::Ok();
  RETURN_IF_ERROR(w.Commit());
  TEST_POINT("import.after_bundle_write");
  LedgerEntry e;
  e.target = target;
  e.from = cb_->commit_from;
  e.to = cb_->to;
  e.slots = SlotBits(RangesOf(owner_, shard));
  e.renames = {{w.final_path(), JoinPath(req_.stage_dir, name)}};
  RETURN_IF_ERROR(own_ledger_->Commit(std::move(e), cb_->commit_from));
  RETURN_IF_ERROR(own_ledger_->Publish());
  ImportTargetReport tr;
  tr.name = "bundle " + name;
  tr.shard = shard;
  tr.records = kept;
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
                 ImportBundleHeader(catalog_, coll_, req_.database, "quarantine",
                                    catalog_.this_shard(), now_s));
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
  RETURN_IF_ERROR(own_ledger_->Commit(std::move(e), cb_->commit_from));
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
  if (legacy_path_.empty()) return Status::Ok();  // not a titledb import
  return WriteLegacyBookmark(fs_, legacy_path_, cb_->to);
}

// The commit of [commit_from, to): the last batch and the runs spilled since commit_from.
Status Importer::CommitBatch() {
  if (cb_->commit_from == cb_->to) return Status::Ok();
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
    for (const auto& [shard, runs] : runs_) sorted[shard];  // shards with runs only
    RETURN_IF_ERROR(NarrowRuns());
    std::map<int32_t, int64_t> superseded;
    RETURN_IF_ERROR(CommitLocals(sorted, &superseded));
    for (const auto& [shard, recs] : sorted) {
      if (std::find(stage_shards_.begin(), stage_shards_.end(), shard) != stage_shards_.end()) {
        int64_t n = 0;
        RETURN_IF_ERROR(CommitStage(shard, recs, &n));
        superseded.emplace(shard, n);
      }
    }
    for (const auto& [shard, n] : superseded) report_.duplicates_superseded += n;
    RETURN_IF_ERROR(CommitQuarantine());
    RETURN_IF_ERROR(WriteBookmark());
    DropRuns();
  }
  report_.batches++;
  cb_->Clear();
  // Between commits the targets yield (doc/acquisition.md §7): catalog rewrites are not held up,
  // and the restore re-checks the placement at once.
  if (!req_.dry_run) {
    for (auto& t : locals_) RETURN_IF_ERROR(t->ctx->Yield());
    TEST_POINT("import.yielded");  // nothing held: SR53 changes the catalog here
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

}  // namespace shardtool::import_detail
