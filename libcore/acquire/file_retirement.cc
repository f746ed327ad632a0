#include "acquire/file_retirement.h"

#include <algorithm>
#include <set>

#include "catalog/discovery.h"
#include "catalog/retired_files.h"
#include "catalog/state_paths.h"
#include "format/file_name.h"

namespace shardtool {
namespace {

Status RemoveIfPresent(FileSystem* fs, const std::string& path) {
  Status s = fs->RemoveFile(path);
  if (!s.ok() && s.code() == ErrorCode::kNotFound) return Status::Ok();
  return s;
}

// Map and sidecar of a data file, unless another data file of the same Rdb and id stays in the
// dir (a normal file and a merge target share "<db>NNNN.map").
Status RemoveMeta(FileSystem* fs, const std::string& dir, const DataFileName& name,
                  const std::set<std::string>& going) {
  auto entries = fs->ListDir(dir);
  if (entries.ok()) {
    for (const DirEntry& e : *entries) {
      auto other = ParseDataFileName(e.name);
      if (other && other->db == name.db && other->id == name.id &&
          going.count(other->BaseName()) == 0) {
        return Status::Ok();
      }
    }
  }
  RETURN_IF_ERROR(RemoveIfPresent(fs, JoinPath(dir, MapName(name.db, name.id))));
  return RemoveIfPresent(fs, JoinPath(dir, CrcName(name.db, name.id)));
}

}  // namespace

Status RetireFiles(FileSystem* fs, const std::string& workdir, const std::string& uuid,
                   const std::vector<CommittedFile>& files, const std::string& retired_by,
                   int64_t now) {
  ASSIGN_OR_RETURN(RetiredList list, ReadRetiredList(fs, workdir, uuid));
  list.uuid = uuid;
  for (const CommittedFile& f : files) {
    if (list.Contains(f.name)) continue;
    RetiredFile rf;
    rf.name = f.name;
    for (const DataFilePart& p : f.parts) rf.parts.push_back(p.name);
    rf.size = f.total_size;
    rf.retired_at = now;
    rf.retired_by = retired_by;
    list.files.push_back(std::move(rf));
  }
  return WriteRetiredList(fs, workdir, list);
}

Result<RetiredDeletionReport> DeleteUnpinnedRetiredFiles(const LeaseStore& leases,
                                                         const std::string& db_dir,
                                                         const std::string& uuid) {
  FileSystem* fs = leases.fs();
  RetiredDeletionReport report;
  ASSIGN_OR_RETURN(RetiredList list, ReadRetiredList(fs, leases.workdir(), uuid));
  if (list.files.empty()) return report;
  ASSIGN_OR_RETURN(std::vector<LeaseFile> live, leases.Live(uuid, /*reap=*/true));
  // The inputs of a merge whose journal is still there stay for that merge's next run, which
  // removes them and renames its target in one step (merge_commit.cc). Deleting them here would
  // leave the merged data under its temporary merge-file name with no input beside it: Gigablast
  // (and anything that reads the directory as Gigablast does) would take it for a merge whose
  // inputs are lost. An unreadable journal keeps every retired file.
  ASSIGN_OR_RETURN(std::optional<MergeVisibility> merge,
                   ReadMergeVisibility(fs, leases.workdir(), uuid));
  auto merge_input = [&](const std::string& name) {
    return merge && (!merge->readable || std::find(merge->inputs.begin(), merge->inputs.end(),
                                                   name) != merge->inputs.end());
  };

  std::set<std::string> going;
  for (const RetiredFile& f : list.files) {
    if (merge_input(f.name)) {
      report.merge_inputs.push_back(f.name);
      continue;
    }
    bool pinned = false;
    for (const LeaseFile& l : live) {
      // An unreadable live lease may list anything: it pins every file.
      if (!l.lease || l.lease->ListsFile(f.name)) pinned = true;
    }
    if (pinned) {
      report.pinned.push_back(f.name);
    } else {
      going.insert(f.name);
    }
  }
  if (going.empty()) return report;

  RetiredList keep;
  keep.uuid = list.uuid;
  for (const RetiredFile& f : list.files) {
    if (going.count(f.name) == 0) {
      keep.files.push_back(f);
      continue;
    }
    // Every part named at retirement, and any part present now.
    std::set<std::string> parts(f.parts.begin(), f.parts.end());
    parts.insert(f.name);
    auto entries = fs->ListDir(db_dir);
    if (entries.ok()) {
      for (const DirEntry& e : *entries) {
        auto n = ParseDataFileName(e.name);
        if (n && n->BaseName() == f.name) parts.insert(e.name);
      }
    }
    for (const std::string& p : parts) RETURN_IF_ERROR(RemoveIfPresent(fs, JoinPath(db_dir, p)));
    if (auto name = ParseDataFileName(f.name))
      RETURN_IF_ERROR(RemoveMeta(fs, db_dir, *name, going));
    report.deleted.push_back(f.name);
  }
  // The unlinks are durable before the entries go (see the header).
  RETURN_IF_ERROR(fs->SyncDir(db_dir));
  if (keep.files.empty()) {
    RETURN_IF_ERROR(RemoveIfPresent(fs, RetiredListPath(leases.workdir(), uuid)));
    RETURN_IF_ERROR(fs->SyncDir(JournalDir(leases.workdir())));
  } else {
    RETURN_IF_ERROR(WriteRetiredList(fs, leases.workdir(), keep));
  }
  return report;
}

Result<RetiredDeletionReport> TryDeleteRetiredFiles(LockManager* locks, const LeaseStore& leases,
                                                    const std::string& db_dir,
                                                    const std::string& uuid) {
  RetiredDeletionReport report;
  FileSystem* fs = leases.fs();
  if (!fs->Exists(RetiredListPath(leases.workdir(), uuid))) return report;
  const std::string lock_path = CollLockPath(leases.workdir(), uuid);
  if (locks->HoldCount(lock_path, LockMode::kShared) > 0 ||
      locks->HoldCount(lock_path, LockMode::kExclusive) > 0) {
    report.skipped = true;
    return report;
  }
  auto lock = locks->Acquire(lock_path, LockMode::kExclusive, LockDeadline::After(fs, 0), "X");
  if (!lock.ok()) {
    if (lock.status().code() == ErrorCode::kLockTimeout) {
      report.skipped = true;
      return report;
    }
    return lock.status();
  }
  return DeleteUnpinnedRetiredFiles(leases, db_dir, uuid);
}

}  // namespace shardtool
