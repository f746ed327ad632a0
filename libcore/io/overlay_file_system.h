// OverlayFileSystem: one directory tree served from another file system, everything else read-only.
//
// Paths equal to `upper_root` or below it go to `upper` (read and write); every other path goes to
// `lower`, for reads only: a change there (create, remove, rename, truncate, fsync of a directory,
// lock) is InternalError, because the overlay exists to guarantee that nothing is written outside
// upper_root. Used by verify on a Gigablast dir that was never initialised: the catalog built in
// memory, the leases and the lock files live in a MemFileSystem mounted at <workdir>/shardtool,
// while the data files are read from disk and provably never written.
//
// Paths are compared as strings: callers build upper paths from the same upper_root spelling
// (StateDir(workdir) and its children). A rename across the two trees is InternalError.
// Thread-safe as far as both file systems are.
#pragma once

#include <string>

#include "io/file_system.h"

namespace shardtool {

class OverlayFileSystem : public FileSystem {
 public:
  // REQUIRES: lower and upper outlive the overlay.
  OverlayFileSystem(FileSystem* lower, FileSystem* upper, std::string upper_root);

  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     WriteMode mode) override;
  Result<FileStat> Stat(const std::string& path) override;
  Result<uint64_t> FreeBytes(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<std::vector<DirEntry>> ListDir(const std::string& path) override;
  Status CreateDirs(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path, LockMode mode,
                                         bool non_blocking) override;
  int64_t NowMicros() override { return lower_->NowMicros(); }
  void SleepMicros(int64_t micros) override { lower_->SleepMicros(micros); }

  bool InUpper(const std::string& path) const;

 private:
  // The upper file system for `path`, or InternalError naming `op` for a path outside it.
  Result<FileSystem*> Writable(const std::string& path, const char* op) const;

  FileSystem* lower_;
  FileSystem* upper_;
  std::string root_;
};

}  // namespace shardtool
