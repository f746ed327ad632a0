// The incorporate of a complete merge target (doc/format.md §8.9, doc/acquisition.md §6),
// idempotent step by step so that a rerun finishes it from the journal whatever instant a crash
// hit:
//   1. the orphan bundles get their manifests and final names (written before the merge commits);
//   2. commit: the inputs are listed in journal/retired.<uuid>.json, so no later snapshot has
//      them, while the target is a committed file from then on;
//   3. the inputs no live lease lists are removed (all parts, map, sidecar), the directory fsynced;
//   4. they are unlisted again; a pinned one stays listed and on disk for the lease's reader;
//   5. journal phase "rename" (only when the first input is gone, so its name is free): the
//      target's map, sidecar and parts are renamed to the first input's names, the dir fsynced;
//   6. the journal is removed; a whole-set orphan cleanup completes its rangeDeletions.
// Before phase "rename" the target still has its .mmm name, so every name of an input refers to
// the input; after it, the inputs are gone, so a name is only ever the target's.
#include <algorithm>

#include "catalog/retired_files.h"
#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "io/test_point.h"
#include "jobs/merge/merge_run.h"

namespace shardtool {
namespace {

// Present parts of data file `name` in a listing, by name.
std::vector<std::string> PartsOf(const std::vector<DirEntry>& entries, const std::string& name) {
  std::vector<std::string> out;
  for (const DirEntry& e : entries) {
    auto n = ParseDataFileName(e.name);
    if (!e.is_dir && n && n->BaseName() == name) out.push_back(e.name);
  }
  return out;
}

}  // namespace

Status MergeRun::Incorporate(MergeJournal journal) {
  j_ = std::move(journal);
  dir_ = JoinPath(req_.workdir, j_.dir);
  sink_dir_ =
      j_.orphan_sink == "bundles" ? j_.orphans_to : JoinPath(StateDir(req_.workdir), "quarantine");
  if (report_->inputs.empty()) {
    for (const auto& in : j_.inputs) report_->inputs.push_back(JoinPath(j_.dir, in.name));
  }
  if (j_.phase != "rename") {
    RETURN_IF_ERROR(CommitBundles());
    TEST_POINT("merge.after_bundles_commit");
    bool first_gone = false;
    RETURN_IF_ERROR(RetireAndRemoveInputs(&first_gone));
    if (!first_gone) {
      report_->note = JoinPath(j_.dir, j_.final_data) +
                      " is retired but a live lease still reads it: the merged file keeps its "
                      "name " +
                      j_.target_data + " until a later merge run finishes the rename";
      report_->counters = j_.counters;
      report_->output = JoinPath(j_.dir, j_.target_data);
      return Status::Ok();
    }
    j_.phase = "rename";
    RETURN_IF_ERROR(WriteMergeJournal(fs_, req_.workdir, j_));
  }
  RETURN_IF_ERROR(RenameTarget());
  TEST_POINT("merge.after_rename_target");
  RETURN_IF_ERROR(RemoveMergeJournal(fs_, req_.workdir, j_.uuid));
  TEST_POINT("merge.after_journal_remove");
  // The rangeDeletions are completed by RunMerge once its acquisition has let go of the global
  // lock (a catalog rewrite takes it exclusively).
  if (j_.cleanup_orphans && j_.whole_set && !j_.drop_slots.empty() && !j_.misplaced) {
    report_->range_deletions_to_complete = j_.drop_slots;
  }
  report_->counters = j_.counters;
  report_->drop_negatives = j_.drop_negatives;
  report_->target = JoinPath(j_.dir, j_.target_data);
  report_->output = JoinPath(j_.dir, j_.final_data);
  report_->peak_extra_disk = std::max(report_->peak_extra_disk, j_.peak_extra_disk);
  report_->parts_chopped = j_.parts_chopped;
  if (report_->bytes_out == 0) {
    ASSIGN_OR_RETURN(auto entries, fs_->ListDir(dir_));
    for (const std::string& p : PartsOf(entries, j_.final_data)) {
      ASSIGN_OR_RETURN(FileStat st, fs_->Stat(JoinPath(dir_, p)));
      report_->bytes_out += st.size;
    }
  }
  return Status::Ok();
}

Status MergeRun::CommitBundles() {
  auto commit = [&](const std::string& sink, const MergeJournalBundle& b, const BundleHeader& h) {
    const std::string final_path = JoinPath(sink, b.dir);
    if (fs_->Exists(final_path)) return Status::Ok();  // committed by an earlier run
    BundleWriter w(fs_, sink, b.dir, rdb_, h);
    if (!fs_->Exists(w.tmp_path())) {
      return CorruptionStatus(w.tmp_path() + ": a bundle of the merge is gone");
    }
    RETURN_IF_ERROR(w.Open(b.streams));
    return w.Commit();
  };
  for (const MergeJournalBundle& b : j_.bundles) {
    report_->bundles.push_back(JoinPath(sink_dir_, b.dir));
    RETURN_IF_ERROR(commit(sink_dir_, b, HeaderFor(b.target_shard)));
  }
  if (j_.damaged_bundle) {
    // --quarantine-bad's entry (merge_damage.cc): always in the quarantine.
    const std::string qdir = JoinPath(StateDir(req_.workdir), "quarantine");
    report_->damaged_entry = JoinPath(qdir, j_.damaged_bundle->dir);
    RETURN_IF_ERROR(commit(qdir, *j_.damaged_bundle, DamagedHeader()));
  }
  return Status::Ok();
}

Status MergeRun::RetireAndRemoveInputs(bool* first_gone) {
  const std::string db(rdb_.name);
  ASSIGN_OR_RETURN(RetiredList retired, ReadRetiredList(fs_, req_.workdir, j_.uuid));
  ASSIGN_OR_RETURN(auto entries, fs_->ListDir(dir_));
  const int64_t now = fs_->NowMicros() / 1000000;
  // 2. The commit: inputs out of every later snapshot.
  bool changed = false;
  for (const MergeJournalInput& in : j_.inputs) {
    std::vector<std::string> parts = PartsOf(entries, in.name);
    if (parts.empty() || retired.Contains(in.name)) continue;
    retired.files.push_back({in.name, parts, in.size, now, "merge"});
    changed = true;
  }
  if (changed) RETURN_IF_ERROR(WriteRetiredList(fs_, req_.workdir, retired));
  TEST_POINT("merge.after_retire");

  // 3. Remove what no live lease reads.
  ASSIGN_OR_RETURN(std::vector<std::string> pinned, Pinned());
  const bool all_pinned = std::find(pinned.begin(), pinned.end(), "*") != pinned.end();
  bool removed = false;
  report_->pinned_inputs.clear();
  for (const MergeJournalInput& in : j_.inputs) {
    std::vector<std::string> parts = PartsOf(entries, in.name);
    if (!parts.empty() &&
        (all_pinned || std::find(pinned.begin(), pinned.end(), in.name) != pinned.end())) {
      report_->pinned_inputs.push_back(JoinPath(j_.dir, in.name));
      continue;
    }
    if (!parts.empty() && !retired.Contains(in.name)) continue;  // never unlisted data
    for (const std::string& p : parts) RETURN_IF_ERROR(fs_->RemoveFile(JoinPath(dir_, p)));
    for (const std::string& meta : {MapName(db, in.id), CrcName(db, in.id)}) {
      const std::string path = JoinPath(dir_, meta);
      if (fs_->Exists(path)) RETURN_IF_ERROR(fs_->RemoveFile(path));
    }
    removed = true;
  }
  if (removed) RETURN_IF_ERROR(fs_->SyncDir(dir_));
  TEST_POINT("merge.after_remove_inputs");

  // 4. Unlist the inputs that are gone.
  ASSIGN_OR_RETURN(entries, fs_->ListDir(dir_));
  const size_t before = retired.files.size();
  std::erase_if(retired.files, [&](const RetiredFile& f) {
    const bool ours = std::any_of(j_.inputs.begin(), j_.inputs.end(),
                                  [&](const MergeJournalInput& in) { return in.name == f.name; });
    return ours && PartsOf(entries, f.name).empty();
  });
  if (retired.files.size() != before) {
    if (retired.files.empty()) {
      RETURN_IF_ERROR(fs_->RemoveFile(RetiredListPath(req_.workdir, j_.uuid)));
      RETURN_IF_ERROR(fs_->SyncDir(JournalDir(req_.workdir)));
    } else {
      RETURN_IF_ERROR(WriteRetiredList(fs_, req_.workdir, retired));
    }
  }
  TEST_POINT("merge.after_unretire");
  *first_gone = j_.inputs.empty() || PartsOf(entries, j_.inputs.front().name).empty();
  return Status::Ok();
}

Status MergeRun::RenameTarget() {
  ASSIGN_OR_RETURN(auto entries, fs_->ListDir(dir_));
  const std::vector<std::string> parts = PartsOf(entries, j_.target_data);
  if (parts.empty() && PartsOf(entries, j_.final_data).empty()) {
    return CorruptionStatus(JoinPath(dir_, j_.target_data) +
                            ": the merged file to incorporate is gone");
  }
  // Map and sidecar first (a map without data is ignored by everyone), then the data parts.
  const std::pair<std::string, std::string> meta[] = {{j_.target_map, j_.final_map},
                                                      {j_.target_crc, j_.final_crc}};
  for (const auto& [from, to] : meta) {
    const std::string path = JoinPath(dir_, from);
    if (fs_->Exists(path)) RETURN_IF_ERROR(fs_->Rename(path, JoinPath(dir_, to)));
  }
  std::vector<int32_t> indices;
  for (const std::string& p : parts) indices.push_back(ParseDataFileName(p)->part);
  std::sort(indices.rbegin(), indices.rend());
  for (int32_t k : indices) {
    RETURN_IF_ERROR(fs_->Rename(JoinPath(dir_, PartName(j_.target_data, k)),
                                JoinPath(dir_, PartName(j_.final_data, k))));
  }
  return fs_->SyncDir(dir_);
}

}  // namespace shardtool
