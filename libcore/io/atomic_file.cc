#include "io/atomic_file.h"

#include "io/test_point.h"

namespace shardtool {

AtomicFile::AtomicFile(FileSystem* fs, std::string target, std::string temp_suffix)
    : fs_(fs), target_(std::move(target)), temp_(target_ + temp_suffix) {}

AtomicFile::~AtomicFile() {
  if (committed_ || file_ == nullptr) return;
  // Not committed: drop the temporary so that a failed job leaves only the old target. Best
  // effort; the handle is closed first (its own errors are as irrelevant as the removal's).
  file_->Close().IgnoreError();
  file_.reset();
  fs_->RemoveFile(temp_).IgnoreError();
}

Status AtomicFile::Open() {
  if (file_ != nullptr || committed_) {
    return InternalErrorStatus("AtomicFile " + target_ + ": opened twice");
  }
  if (BaseName(temp_).find(".dat") != std::string::npos) {
    // doc/format.md §4 [sd]: Gigablast loads every name containing ".dat" in a collection dir.
    return InternalErrorStatus("AtomicFile " + target_ + ": temporary name " + temp_ +
                               " contains \".dat\" (doc/format.md §4)");
  }
  ASSIGN_OR_RETURN(file_, fs_->OpenForWrite(temp_, WriteMode::kTruncate));
  return Status::Ok();
}

Status AtomicFile::Append(std::string_view data) {
  if (file_ == nullptr || committed_) {
    return InternalErrorStatus("AtomicFile " + target_ + ": append when not open");
  }
  return file_->Append(data);
}

Status AtomicFile::Commit() {
  if (file_ == nullptr || committed_) {
    return InternalErrorStatus("AtomicFile " + target_ + ": commit when not open");
  }
  RETURN_IF_ERROR(file_->Sync());
  RETURN_IF_ERROR(file_->Close());
  TEST_POINT("atomic_file.before_rename");
  RETURN_IF_ERROR(fs_->Rename(temp_, target_));
  // From here the temporary is gone: the destructor must not remove anything, even if the
  // directory sync below fails (the new content is then visible but maybe not durable).
  committed_ = true;
  file_.reset();
  TEST_POINT("atomic_file.after_rename");
  return fs_->SyncDir(DirName(target_));
}

Status WriteFileAtomically(FileSystem* fs, const std::string& path, std::string_view contents,
                           std::string temp_suffix) {
  AtomicFile file(fs, path, std::move(temp_suffix));
  RETURN_IF_ERROR(file.Open());
  RETURN_IF_ERROR(file.Append(contents));
  return file.Commit();
}

}  // namespace shardtool
