// PosixFileSystem: the production FileSystem, a thin layer over POSIX calls.
//
// Every descriptor is opened O_CLOEXEC; reads are pread(2) retried on EINTR; appends loop until all
// bytes are written; Sync is fsync(2) (never fdatasync, so size and metadata are durable too);
// SyncDir fsyncs the directory opened O_DIRECTORY|O_RDONLY. Locks are flock(2) on a file created
// 0644: like flock, two locks taken through two different FileLock objects conflict even inside one
// process (the acquire layer keeps one FileLock per lock file). Errors come from ErrnoStatus and
// name the operation and the path.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/file_system.h"

namespace shardtool {

class PosixFileSystem : public FileSystem {
 public:
  PosixFileSystem() = default;

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
  int64_t NowMicros() override;
  void SleepMicros(int64_t micros) override;
};

}  // namespace shardtool
