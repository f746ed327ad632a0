// FileSystem: the only way libcore touches files, so that tests can replace it (doc/conventions.md
// rule 4).
//
// Implementations: PosixFileSystem (production), MemFileSystem (in memory, with an exact model of
// what is durable, for crash simulation), FaultFileSystem (wraps another and injects faults).
// Paths are plain strings; relative paths are relative to the process working directory (POSIX) or
// to "/" (memory). Every error names the operation and the path (ErrnoStatus).
//
// Durability model (what a simulated crash keeps): file bytes are durable up to the last Sync() of
// that file; a directory entry change (create, rename, remove) is durable once SyncDir() of its
// parent directory returns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace shardtool {

// A file open for positional reads. Thread-safe for concurrent Read calls.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into dst; *got is the number read (short only at end of file,
  // or on a short read that the caller may retry). EINTR is retried internally.
  virtual Status Read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) = 0;
  // Current size of the file (fstat).
  virtual Result<uint64_t> Size() = 0;
  virtual const std::string& path() const = 0;
};

// A file open for appending. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Makes every byte appended so far durable (fsync). After a failed Sync the file's state is
  // unknown: the caller must fail the job, never retry the Sync (doc/conventions.md rule 5).
  virtual Status Sync() = 0;
  // A hint: asks the OS to start writing the bytes appended so far to the disk, without waiting
  // and without any durability promise (Linux sync_file_range, RocksDB's bytes_per_sync), so that
  // a later Sync() finds less to wait for. Errors surface at Sync(). Default: nothing.
  virtual void StartWriteback() {}
  virtual Status Close() = 0;
  // Bytes in the file (initial size for append mode plus appended bytes).
  virtual uint64_t Size() const = 0;
  virtual const std::string& path() const = 0;
};

enum class WriteMode {
  kCreateExclusive,  // fail with Busy/IOError if the file exists (O_EXCL)
  kTruncate,         // create or truncate
  kAppend,           // create or append at the end
};

enum class LockMode { kShared, kExclusive };

// A held advisory lock (flock semantics: released when the object is destroyed or the process
// dies).
class FileLock {
 public:
  virtual ~FileLock() = default;
  virtual const std::string& path() const = 0;
  // Optional (LockManager keeps such files open between holds): Unlock drops the lock but keeps
  // the file open; Relock takes it again on the same open file description (Busy when another
  // holder conflicts). Default: not supported (the lock is dropped by destroying the object).
  virtual bool CanRelock() const { return false; }
  virtual Status Unlock() { return InternalErrorStatus("unlock: not supported"); }
  virtual Status Relock(LockMode /*mode*/, bool /*non_blocking*/) {
    return InternalErrorStatus("relock: not supported");
  }
};

struct DirEntry {
  std::string name;
  bool is_dir = false;
  bool is_symlink = false;
};

struct FileStat {
  uint64_t size = 0;
  bool is_dir = false;
  bool is_symlink = false;  // lstat: the path itself is a link
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
  uint64_t dev = 0;      // device (file system instance) of the inode
  int64_t ctime_ns = 0;  // inode change time; 0 when the file system does not keep one
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) = 0;
  virtual Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                             WriteMode mode) = 0;
  // lstat: does not follow a final symlink.
  virtual Result<FileStat> Stat(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Entries of a directory except "." and "..", sorted by name.
  virtual Result<std::vector<DirEntry>> ListDir(const std::string& path) = 0;
  // Creates the directory and its missing parents (mkdir -p). Ok if it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RemoveDir(const std::string& path) = 0;  // must be empty
  // Atomic rename; replaces an existing file at `to`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // fsync of a directory: makes entry changes in it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Takes an advisory lock on the file (created 0644 if missing). non_blocking: Busy when held.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path, LockMode mode,
                                                 bool non_blocking) = 0;
  // Wall clock, microseconds since the Unix epoch; and a sleep. Tests replace both.
  virtual int64_t NowMicros() = 0;
  virtual void SleepMicros(int64_t micros) = 0;
  // Bytes an unprivileged writer may still add to the file system holding `path` (statvfs
  // f_bavail x f_frsize): jobs check it before they start writing. UINT64_MAX when unknown.
  virtual Result<uint64_t> FreeBytes(const std::string& /*path*/) { return UINT64_MAX; }
};

// The process-wide POSIX file system (never destroyed).
FileSystem* PosixFS();

// Helpers on top of the interface.
Result<std::string> ReadFileToString(FileSystem* fs, const std::string& path,
                                     uint64_t max_size = uint64_t{1} << 30);
// Reads exactly n bytes at offset (looping over short reads); NotFound-free: a read past the end
// gives Corruption("... truncated").
Status ReadFully(RandomAccessFile* file, uint64_t offset, size_t n, uint8_t* dst);
// Stat stamps (caches validated by a stat, e.g. of a directory's listing): two stats of one path
// are the same stamp when dev, inode, size, mtime and ctime are equal. A stamp taken at
// now_micros is settled when its mtime and ctime are at least margin_micros in the past: only
// then does an equal stamp later prove that nothing changed (a change in the same timestamp
// granule would not move them; git's racy-index rule).
bool SameStamp(const FileStat& a, const FileStat& b);
bool StampSettled(const FileStat& st, int64_t now_micros, int64_t margin_micros);
// Joins two path pieces with one '/'.
std::string JoinPath(std::string_view a, std::string_view b);
// Parent directory of a path ("." for a bare name) and the last component.
std::string DirName(std::string_view path);
std::string BaseName(std::string_view path);

}  // namespace shardtool
