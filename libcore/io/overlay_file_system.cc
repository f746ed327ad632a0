#include "io/overlay_file_system.h"

namespace shardtool {

OverlayFileSystem::OverlayFileSystem(FileSystem* lower, FileSystem* upper, std::string upper_root)
    : lower_(lower), upper_(upper), root_(std::move(upper_root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

bool OverlayFileSystem::InUpper(const std::string& path) const {
  if (path.compare(0, root_.size(), root_) != 0) return false;
  return path.size() == root_.size() || path[root_.size()] == '/';
}

Result<FileSystem*> OverlayFileSystem::Writable(const std::string& path, const char* op) const {
  if (InUpper(path)) return upper_;
  return InternalErrorStatus(std::string(op) + " " + path +
                             ": this file system is read-only outside " + root_)
      .With("what", "write outside the overlay");
}

Result<std::unique_ptr<RandomAccessFile>> OverlayFileSystem::OpenForRead(const std::string& path) {
  return (InUpper(path) ? upper_ : lower_)->OpenForRead(path);
}

Result<std::unique_ptr<WritableFile>> OverlayFileSystem::OpenForWrite(const std::string& path,
                                                                      WriteMode mode) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(path, "write"));
  return fs->OpenForWrite(path, mode);
}

Result<FileStat> OverlayFileSystem::Stat(const std::string& path) {
  return (InUpper(path) ? upper_ : lower_)->Stat(path);
}

Result<uint64_t> OverlayFileSystem::FreeBytes(const std::string& path) {
  return (InUpper(path) ? upper_ : lower_)->FreeBytes(path);
}

bool OverlayFileSystem::Exists(const std::string& path) {
  return (InUpper(path) ? upper_ : lower_)->Exists(path);
}

Result<std::vector<DirEntry>> OverlayFileSystem::ListDir(const std::string& path) {
  return (InUpper(path) ? upper_ : lower_)->ListDir(path);
}

Status OverlayFileSystem::CreateDirs(const std::string& path) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(path, "mkdir"));
  return fs->CreateDirs(path);
}

Status OverlayFileSystem::RemoveFile(const std::string& path) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(path, "remove"));
  return fs->RemoveFile(path);
}

Status OverlayFileSystem::RemoveDir(const std::string& path) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(path, "rmdir"));
  return fs->RemoveDir(path);
}

Status OverlayFileSystem::Rename(const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(from, "rename"));
  RETURN_IF_ERROR(Writable(to, "rename to").status());
  return fs->Rename(from, to);
}

Status OverlayFileSystem::Truncate(const std::string& path, uint64_t size) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(path, "truncate"));
  return fs->Truncate(path, size);
}

Status OverlayFileSystem::SyncDir(const std::string& path) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(path, "fsync"));
  return fs->SyncDir(path);
}

Result<std::unique_ptr<FileLock>> OverlayFileSystem::Lock(const std::string& path, LockMode mode,
                                                          bool non_blocking) {
  ASSIGN_OR_RETURN(FileSystem * fs, Writable(path, "lock"));
  return fs->Lock(path, mode, non_blocking);
}

}  // namespace shardtool
