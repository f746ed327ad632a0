#include "jobs/merge/merge_discard.h"

#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "io/test_point.h"
#include "jobs/merge/merge_job.h"

namespace shardtool {
namespace {

Status RemoveIfExists(FileSystem* fs, const std::string& path) {
  if (!fs->Exists(path)) return Status::Ok();
  return fs->RemoveFile(path);
}

// Removes the unfinished bundle dir `dir` (flat: files only) and its contents.
Status RemoveBundleDir(FileSystem* fs, const std::string& dir) {
  if (!fs->Exists(dir)) return Status::Ok();
  ASSIGN_OR_RETURN(auto entries, fs->ListDir(dir));
  for (const DirEntry& e : entries) {
    if (!e.is_dir) RETURN_IF_ERROR(fs->RemoveFile(JoinPath(dir, e.name)));
  }
  RETURN_IF_ERROR(fs->RemoveDir(dir));
  return fs->SyncDir(DirName(dir));
}

}  // namespace

std::string WhyNotDiscardable(const MergeJournal& j) {
  if (j.state != "merging") {
    return "its incorporate has begun (inputs may be gone): finish it with --auto";
  }
  if (j.parts_chopped > 0) {
    return "--max-extra-disk removed " + std::to_string(j.parts_chopped) +
           " consumed input parts: finish it with --auto";
  }
  for (const MergeJournalInput& in : j.inputs) {
    if (in.start > 0) {
      return "input " + in.name + " is headless (an earlier merge removed its first parts)";
    }
  }
  return "";
}

Status DiscardMerge(FileSystem* fs, const std::string& workdir, const MergeJournal& j) {
  const std::string why = WhyNotDiscardable(j);
  if (!why.empty()) {
    return FailedPreconditionStatus("the interrupted merge of " + j.ns +
                                    " cannot be discarded: " + why)
        .With("ns", j.ns);
  }
  const std::string dir = JoinPath(workdir, j.dir);
  ASSIGN_OR_RETURN(auto entries, fs->ListDir(dir));
  for (const DirEntry& e : entries) {
    auto name = ParseDataFileName(e.name);
    if (name && name->BaseName() == j.target_data) {
      RETURN_IF_ERROR(fs->RemoveFile(JoinPath(dir, e.name)));
    }
  }
  RETURN_IF_ERROR(RemoveIfExists(fs, JoinPath(dir, j.target_map)));
  RETURN_IF_ERROR(RemoveIfExists(fs, JoinPath(dir, j.target_crc)));
  RETURN_IF_ERROR(fs->SyncDir(dir));
  TEST_POINT("merge.discard.after_target");
  const std::string sink =
      j.orphan_sink == "bundles" ? j.orphans_to : JoinPath(StateDir(workdir), "quarantine");
  for (const MergeJournalBundle& b : j.bundles) {
    RETURN_IF_ERROR(RemoveBundleDir(fs, JoinPath(sink, b.dir + ".tmp")));
  }
  if (j.damaged_bundle) {  // --quarantine-bad: the damaged bytes stay in the inputs
    RETURN_IF_ERROR(RemoveBundleDir(
        fs, JoinPath(JoinPath(StateDir(workdir), "quarantine"), j.damaged_bundle->dir + ".tmp")));
  }
  TEST_POINT("merge.discard.after_bundles");
  return RemoveMergeJournal(fs, workdir, j.uuid);
}

Status AbortMerge(FileSystem* fs, const std::string& workdir,
                  const std::optional<MergeJournal>& journal, MergeReport* report) {
  if (!journal) {
    report->nothing_to_do = true;
    report->note = "no interrupted merge of " + report->ns + " to discard";
    return Status::Ok();
  }
  const MergeJournal& j = *journal;
  RETURN_IF_ERROR(DiscardMerge(fs, workdir, j));
  for (const MergeJournalInput& in : j.inputs) report->inputs.push_back(JoinPath(j.dir, in.name));
  report->target = JoinPath(j.dir, j.target_data);
  report->counters = j.counters;
  report->aborted = true;
  report->note = "discarded the interrupted merge into " + report->target +
                 " (its target and journal removed, the inputs untouched)";
  return Status::Ok();
}

Status AfterFailedMerge(FileSystem* fs, const std::string& workdir, const MergeJournal& j,
                        Status failure) {
  if (failure.code() != ErrorCode::kCorruption && failure.code() != ErrorCode::kNoSpace) {
    return failure;
  }
  const std::string why = WhyNotDiscardable(j);
  if (!why.empty()) {
    failure.Prefix("merge stopped; its partial target and journal stay (" + why + ")");
    return failure;
  }
  Status d = DiscardMerge(fs, workdir, j);
  if (!d.ok()) {
    failure.Prefix("merge stopped; removing its partial target failed (" + d.ToString() +
                   "): discard it with `shardtool merge " + j.database + " --rdb " + j.rdb +
                   " --abort`");
    return failure;
  }
  failure.Prefix(
      "merge abandoned (its partial target and journal were removed, the inputs are untouched)");
  return failure;
}

}  // namespace shardtool
