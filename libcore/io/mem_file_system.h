// MemFileSystem: an in-memory FileSystem with an exact model of what survives a crash, for tests.
//
// Inodes and directories. A file is an inode with `data` (what reads see) and `durable_data` (what
// a crash keeps); WritableFile::Sync() copies data to durable_data. A directory maps names to
// inodes twice: `entries` (current) and `durable_entries`; SyncDir() copies entries to
// durable_entries. So a created-and-synced file whose directory was never synced vanishes on a
// crash, a rename not followed by SyncDir is undone (the old target inode, with its durable bytes,
// comes back), and a removal not followed by SyncDir is undone. Simplification: CreateDirs() (and
// WriteAll()) make new directories durable in their parents at once, as if the parent had been
// synced. Truncate() changes `data` only; it becomes durable with the next Sync() of a handle on
// the file.
//
// SimulateCrash(): every directory's entries revert to its durable entries (recursively from the
// root), every inode's data reverts to durable_data, all locks are released and every open handle
// (files and locks) becomes invalid: operations on it fail with IOError. Freeze(): from then on
// every operation, on the file system or on an open handle, fails with IOError("crashed") until
// SimulateCrash() (Exists() answers false); a test point handler freezes the file system to stop
// a job dead at a crash point.
//
// Paths: absolute or relative to "/"; "." and ".." components are resolved lexically; no symlinks.
// Locks emulate flock(2): shared/shared compatible, anything with exclusive conflicts, two FileLock
// objects conflict even within one process. A blocking Lock() waits on a condition variable.
// The clock is fake: NowMicros() returns a settable value and SleepMicros() advances it.
// Thread-safe: one mutex guards everything; handles share the state, so they may outlive the
// object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/file_system.h"

namespace shardtool {

class MemFileSystem : public FileSystem {
 public:
  MemFileSystem();
  ~MemFileSystem() override;
  MemFileSystem(const MemFileSystem&) = delete;
  MemFileSystem& operator=(const MemFileSystem&) = delete;

  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     WriteMode mode) override;
  Result<FileStat> Stat(const std::string& path) override;
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

  // Crash simulation (see the comment atop this file).
  void SimulateCrash();
  void Freeze();
  bool frozen() const;

  // Disk accounting, for tests of disk budgets. From SetCapacity on, an append that would take the
  // bytes of the files in the tree past `bytes` fails with NoSpace (ENOSPC), FreeBytes() says what
  // is left, and the peak of the bytes in use is tracked (from the bytes in use at the call).
  // Files unlinked while open no longer count. Without it FreeBytes() is UINT64_MAX.
  void SetCapacity(uint64_t bytes);
  uint64_t UsedBytes() const;
  uint64_t PeakUsedBytes() const;
  Result<uint64_t> FreeBytes(const std::string& path) override;

  // Fake clock. The initial time is 2023-11-14T22:13:20Z (1.7e15 us).
  void SetNowMicros(int64_t micros);
  void AdvanceMicros(int64_t micros);

  // Test helpers; they ignore Freeze() so that a test can look at the frozen state.
  // Current contents of a file; "" when it does not exist or is a directory.
  std::string ReadAll(const std::string& path) const;
  // Creates or replaces a file with `contents`, durable at once (data, entry, and missing parent
  // directories).
  void WriteAll(const std::string& path, const std::string& contents);
  // Every path in the current tree, sorted, without the root; directories end in '/'.
  std::vector<std::string> ListRecursive() const;

  struct State;  // shared with open handles

 private:
  std::shared_ptr<State> state_;
};

}  // namespace shardtool
