// Spilling of an import (import_spill.h): a full batch of an open commit becomes one sorted run
// per shard in the shard's run directory; before the commit merges them into the targets, a shard
// with too many runs has its oldest ones merged into one.
#include <algorithm>

#include "catalog/state_paths.h"
#include "catalog/uuid.h"
#include "io/test_point.h"
#include "jobs/import/import_internal.h"

namespace shardtool::import_detail {
namespace {

std::string RunDirPrefix(const ImportRequest& req, const std::string& srcid) {
  return "import." + req.database + "." + req.rdb + "." + srcid + ".";
}

// Where a shard's runs go: the state dir of its first host on this machine, else the stage dir.
std::string RunParentOfWorkdir(const std::string& workdir) {
  return JoinPath(StateDir(workdir), "tmp");
}
std::string RunParentOfStage(const std::string& stage_dir) {
  return JoinPath(stage_dir, ".import-tmp");
}

}  // namespace

void Importer::PlanRunDirs() {
  run_id_ = RandomUuidGenerator()();
  const std::string name = RunDirPrefix(req_, srcid_) + run_id_;
  for (auto& t : locals_) {
    if (!run_dirs_.count(t->shard)) {
      run_dirs_[t->shard] = JoinPath(RunParentOfWorkdir(t->workdir), name);
    }
  }
  for (int32_t shard : stage_shards_) {
    if (!run_dirs_.count(shard))
      run_dirs_[shard] = JoinPath(RunParentOfStage(req_.stage_dir), name);
  }
}

// Run directories of dead runs of this import (this run holds the import lock).
Status Importer::RemoveRunLeftovers() {
  // Every host of this machine (the targets; also before OpenTargets, for a finished import).
  std::set<std::string> parents;
  for (const CatalogHost& h : catalog_.cluster.hosts) {
    if (fs_->Exists(h.workdir)) parents.insert(RunParentOfWorkdir(h.workdir));
  }
  if (!req_.stage_dir.empty()) parents.insert(RunParentOfStage(req_.stage_dir));
  int removed = 0;
  for (const std::string& p : parents) {
    ASSIGN_OR_RETURN(int n, RemoveSpillLeftovers(fs_, p, RunDirPrefix(req_, srcid_)));
    removed += n;
  }
  if (removed > 0) {
    report_.warnings.push_back("removed " + std::to_string(removed) +
                               " run directories an interrupted import of this source left");
  }
  return Status::Ok();
}

Result<std::string> Importer::RunDir(int32_t shard) {
  auto it = run_dirs_.find(shard);
  if (it == run_dirs_.end()) {
    return InternalErrorStatus("import: no run directory for shard " + std::to_string(shard));
  }
  const std::string& dir = it->second;
  if (made_run_dirs_.insert(dir).second) {
    RETURN_IF_ERROR(fs_->CreateDirs(dir));
    // Durable, so that after a crash the next run finds (and removes) it.
    RETURN_IF_ERROR(fs_->SyncDir(DirName(DirName(dir))));
    RETURN_IF_ERROR(fs_->SyncDir(DirName(dir)));
  }
  return dir;
}

Status Importer::SpillBatch() {
  const int ks = rdb_->key_size;
  std::map<int32_t, std::vector<uint32_t>> by_shard;
  for (uint32_t i = 0; i < cb_->recs.size(); ++i) {
    by_shard[owner_[static_cast<size_t>(cb_->recs[i].slot)]].push_back(i);
  }
  for (auto& [shard, idx] : by_shard) {
    const std::vector<uint32_t> sorted =
        SortedDistinct(*cb_, cb_->recs, std::move(idx), ks, &report_.duplicates_superseded);
    ASSIGN_OR_RETURN(std::string dir, RunDir(shard));
    const std::string path =
        JoinPath(dir, "run.s" + std::to_string(shard) + "." + std::to_string(run_seq_++) + ".zst");
    SpillRunWriter w(fs_, path, ks);
    RETURN_IF_ERROR(w.Open());
    runs_[shard].push_back(path);
    BatchSource src(*cb_, sorted, ks);
    SpillRecord rec;
    for (;;) {
      ASSIGN_OR_RETURN(bool more, src.Next(&rec));
      if (!more) break;
      RETURN_IF_ERROR(w.Add(rec));
    }
    RETURN_IF_ERROR(w.Finish());
    report_.runs_spilled++;
    report_.spill_bytes += w.bytes_written();
    TEST_POINT("import.after_spill");
  }
  // The batch's quarantined records are committed now, as their own range.
  RETURN_IF_ERROR(CommitQuarantine());
  cb_->Clear();
  return Status::Ok();
}

// The final merge reads a shard's runs and the last batch at once: at most the merge width.
Status Importer::NarrowRuns() {
  const size_t width = static_cast<size_t>(std::max(2, env_.merge_width));
  for (auto& [shard, runs] : runs_) {
    while (runs.size() + 1 > width) {
      const size_t n = std::min(width, runs.size() + 2 - width);
      std::vector<std::string> oldest(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(n));
      ASSIGN_OR_RETURN(std::string dir, RunDir(shard));
      const std::string out = JoinPath(
          dir, "run.s" + std::to_string(shard) + "." + std::to_string(run_seq_++) + ".zst");
      RETURN_IF_ERROR(
          MergeSpillRuns(fs_, oldest, out, rdb_->key_size, &report_.duplicates_superseded));
      runs.erase(runs.begin(), runs.begin() + static_cast<std::ptrdiff_t>(n));
      runs.insert(runs.begin(), out);
      report_.run_merges++;
    }
  }
  return Status::Ok();
}

// After the commit: its runs are of no use any more.
void Importer::DropRuns() {
  for (auto& [shard, runs] : runs_) {
    for (const std::string& r : runs) fs_->RemoveFile(r).IgnoreError();
  }
  runs_.clear();
}

// At the end of the run, whatever its outcome (a crash leaves them to the next run).
void Importer::RemoveRunDirs() {
  runs_.clear();
  for (const std::string& d : made_run_dirs_) RemoveSpillDir(fs_, d).IgnoreError();
  made_run_dirs_.clear();
}

}  // namespace shardtool::import_detail
