// LockManager: a process's table of advisory (flock) locks on lock files, keyed by path.
//
// flock(2) locks belong to an open file description, and two descriptions of one file conflict
// with each other even inside one process. So the table keeps exactly one FileLock (one open file
// description) per lock file and counts holds per mode on top of it: the first hold takes the
// flock, later compatible holds only bump a count, and the flock is dropped when the last hold
// goes. Invariants of an entry:
//   - shared holds only            -> the flock is LOCK_SH;
//   - any exclusive hold since the flock was taken -> the flock is LOCK_EX, and it stays LOCK_EX
//     until the last hold (shared or exclusive) goes. A shared hold asked for while the process
//     holds the file exclusively is granted at once (the exclusive flock covers it); the flock is
//     never converted back to shared, because flock conversion is not atomic (another process
//     could slip in between and the shared hold would be lost).
//   - an exclusive hold asked for while the process holds the file only shared is refused with
//     InternalError: there is no upgrade (doc/acquisition.md §5). Exclusive holds are re-entrant.
// The table arbitrates between processes, not between threads of one process: two threads asking
// for the same file exclusively both get a hold (the acquire layer serialises its own users).
//
// Waiting (doc/acquisition.md §5): a deadline made with LockDeadline::After(fs, timeout_ms).
// Timeout 0 means one non-blocking try; > 0 means non-blocking tries with a backoff of 1 ms
// doubling up to 50 ms until the deadline (FileSystem::NowMicros / SleepMicros, so a fake clock
// drives tests). One deadline may cover several Acquire calls (a whole acquisition). Failure is
// LockTimeout with the info fields resource (the lock file's base name: "global", "db.main",
// "coll.<uuid>"), mode (the caller's label, default "shared"/"exclusive") and waitedMs (0 for a
// single try). A lock file and its parent directory are created on demand (0644) and never deleted.
//
// Idle lock files: when the last hold of a lock file goes and its FileLock can be relocked (the
// POSIX file system), the flock is dropped (LOCK_UN) but the file stays open, so that the next
// hold costs one flock instead of open + flock + close. An idle file is used again only when its
// directory was revalidated (RevalidateIdle) after the file was last released, and the
// directory's stat (dev, inode, mtime, ctime, size) has not changed since before the file was
// opened, and that stat was settled (mtime and ctime at least kSettledMicros old when taken: a
// change in the same timestamp granule would not move them; git's racy-index rule). An unchanged
// directory means no entry was added, removed or replaced, so the path still names the open
// inode and the flock excludes every other process that opens the path. Otherwise the idle file
// is closed and the path opened afresh. At most max_idle_files() idle files are kept (least
// recently released closed first). After fork() the child never uses or unlocks what it
// inherited (the open file descriptions, and their flocks, are shared with the parent): its idle
// files are closed (which releases nothing of the parent's) and inherited holds are dropped by
// closing, as before.
//
// Lifetime: the manager must outlive its handles. ProcessLockManager(fs) is the process-wide table
// for a file system; tests that play two processes on one MemFileSystem use two LockManagers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/file_system.h"

namespace shardtool {

// When waiting for locks stops. Copyable; the same deadline may be passed to several Acquire calls.
struct LockDeadline {
  int64_t start_micros = 0;     // when the caller started waiting (for waitedMs)
  int64_t deadline_micros = 0;  // give up after this instant (ignored when try_once)
  bool try_once = true;         // timeout 0: one non-blocking try

  // A deadline timeout_ms after fs->NowMicros(); timeout_ms <= 0 gives one try.
  static LockDeadline After(FileSystem* fs, int64_t timeout_ms);
};

class LockManager;

// One hold on a lock file. Move-only; releasing (or destroying) it gives the hold back.
class LockHandle {
 public:
  LockHandle() = default;
  ~LockHandle() { Release(); }
  LockHandle(LockHandle&& other) noexcept;
  LockHandle& operator=(LockHandle&& other) noexcept;
  LockHandle(const LockHandle&) = delete;
  LockHandle& operator=(const LockHandle&) = delete;

  bool held() const { return manager_ != nullptr; }
  const std::string& path() const { return path_; }
  LockMode mode() const { return mode_; }
  // Gives the hold back now (no-op when not held).
  void Release();

 private:
  friend class LockManager;
  LockHandle(LockManager* manager, std::string path, LockMode mode)
      : manager_(manager), path_(std::move(path)), mode_(mode) {}

  LockManager* manager_ = nullptr;
  std::string path_;
  LockMode mode_ = LockMode::kShared;
};

class LockManager {
 public:
  explicit LockManager(FileSystem* fs);
  ~LockManager();
  LockManager(const LockManager&) = delete;
  LockManager& operator=(const LockManager&) = delete;

  // Takes one hold on `path` in `mode`, waiting until `deadline` (see the comment atop the file).
  // `mode_label` names the mode in a LockTimeout ("IX", "X", ...); empty = "shared"/"exclusive".
  // Errors: LockTimeout; InternalError for an upgrade; the file system's error when the lock file
  // cannot be opened.
  Result<LockHandle> Acquire(const std::string& path, LockMode mode, const LockDeadline& deadline,
                             std::string_view mode_label = {});

  // Holds this table has on `path` in `mode` (0 when none).
  int HoldCount(const std::string& path, LockMode mode) const;
  // True when the table holds any lock file's flock exclusively.
  bool HoldsAnyExclusive() const;
  // Number of lock files with a flock held.
  size_t NumLockedFiles() const;

  // Stats `dir` and lets idle lock files in it be used again if it is unchanged (see above); an
  // acquisition calls it once before taking its locks. Errors are ignored (idle files of the dir
  // are closed).
  void RevalidateIdle(const std::string& dir);
  // Idle lock files kept open, and their bound (default kDefaultMaxIdleFiles).
  size_t NumIdleFiles() const;
  size_t max_idle_files() const;
  void set_max_idle_files(size_t n);
  // Idle files used again instead of opening the path (tests and benchmarks).
  uint64_t reuses() const;

  static constexpr size_t kDefaultMaxIdleFiles = 256;
  static constexpr int64_t kSettledMicros = 2000000;

  FileSystem* fs() const { return fs_; }

 private:
  friend class LockHandle;
  struct Entry {
    std::unique_ptr<FileLock> flock;
    LockMode flock_mode = LockMode::kShared;
    int shared = 0;
    int exclusive = 0;
    uint64_t dir_gen = 0;   // the directory generation the file was opened under
    uint64_t fork_gen = 0;  // the process (fork generation) that took the flock
  };
  struct Idle {
    std::unique_ptr<FileLock> file;
    std::string dir;
    uint64_t dir_gen = 0;
    uint64_t released_seq = 0;
  };
  struct DirState {
    FileStat stamp;
    bool settled = false;
    uint64_t gen = 0;            // bumped whenever the stamp changes
    uint64_t validated_seq = 0;  // seq_ of the last revalidation that found it unchanged
  };

  // One try under mu_: Ok with a hold, Busy when another holder conflicts, other errors as is.
  Status TryAcquire(const std::string& path, LockMode mode);
  void ReleaseHold(const std::string& path, LockMode mode);

  // REQUIRES: mu_ held. In a forked child: forgets (and hands back for closing) the idle files.
  void DropInheritedLocked(std::vector<std::unique_ptr<FileLock>>* to_close);
  // REQUIRES: mu_ held. Takes the idle file of `path` out of the cache: usable (validated) or
  // handed back for closing.
  std::unique_ptr<FileLock> TakeIdleLocked(const std::string& path,
                                           std::vector<std::unique_ptr<FileLock>>* to_close,
                                           uint64_t* dir_gen, uint64_t* released_seq);

  FileSystem* fs_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, Idle> idle_;
  std::map<std::string, DirState> dirs_;
  uint64_t seq_ = 0;
  uint64_t next_dir_gen_ = 1;
  uint64_t fork_gen_ = 0;
  uint64_t reuses_ = 0;
  size_t max_idle_ = kDefaultMaxIdleFiles;
};

// The process-wide lock table for `fs` (created on first use, never destroyed).
LockManager* ProcessLockManager(FileSystem* fs);

}  // namespace shardtool
