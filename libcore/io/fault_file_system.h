// FaultFileSystem: wraps another FileSystem and injects faults, for tests of error paths.
//
// Faults are rules. A rule matches calls of one operation kind (FsOp) whose path contains a
// substring (empty: every path; a rename matches on either path). Each rule counts its own matching
// calls, 1-based; the calls numbered nth .. nth+times-1 (times 0: every call from nth on) get the
// rule's action instead of (or on top of) the real call:
//   kFail       the call fails, touching nothing, with ErrnoStatus(err) (EIO -> IOError, ENOSPC ->
//               NoSpace, EACCES -> PermissionDenied, ...) or with an explicit ErrorCode;
//   kShortWrite an Append writes only its first max_bytes bytes, then returns NoSpace, like a real
//               short write followed by ENOSPC;
//   kShortRead  a Read returns at most max_bytes bytes and no error (the caller must loop); with
//               max_bytes 0 it makes no progress at all.
// When several rules fire on one call, the first added wins; every matching rule counts the call.
// Independently, an append budget makes appends fail with NoSpace once the total number of bytes
// appended through this wrapper would exceed it (the bytes that still fit are written first).
// A failing fsync is a kFail rule on FsOp::kSync. Exists(), NowMicros() and SleepMicros() are
// forwarded without faults.
//
// Counters: calls(op) counts every call of a kind, including failed ones.
// Crash() and Freeze() forward to the wrapped file system when it is a MemFileSystem (crash
// simulation needs a MemFileSystem underneath); otherwise they return FailedPrecondition.
// Thread-safe. REQUIRES: the wrapped file system outlives this object, and this object outlives
// every handle it returned.
#pragma once

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/file_system.h"

namespace shardtool {

enum class FsOp {
  kOpen,  // OpenForRead, OpenForWrite
  kRead,  // RandomAccessFile::Read
  kAppend,
  kSync,     // WritableFile::Sync
  kSyncDir,  // FileSystem::SyncDir
  kRename,
  kRemove,  // RemoveFile, RemoveDir
  kTruncate,
  kList,
  kStat,  // Stat, RandomAccessFile::Size
  kCreateDirs,
  kLock,
  kClose,  // WritableFile::Close
};
inline constexpr size_t kNumFsOps = static_cast<size_t>(FsOp::kClose) + 1;
std::string_view FsOpName(FsOp op);

struct FaultRule {
  enum class Action { kFail, kShortWrite, kShortRead };

  FsOp op = FsOp::kRead;
  Action action = Action::kFail;
  std::string path_contains;      // empty: any path
  uint64_t nth = 1;               // first matching call affected (1-based)
  uint64_t times = 1;             // number of consecutive matching calls affected; 0 = all from nth
  int err = EIO;                  // kFail: errno for ErrnoStatus
  std::optional<ErrorCode> code;  // kFail: overrides the code ErrnoStatus picks for err
  size_t max_bytes = 0;           // kShortWrite: bytes written; kShortRead: bytes returned

  // Builders: FaultRule::Fail(FsOp::kRead, EIO).OnPath("posdb").Nth(3).Always()
  static FaultRule Fail(FsOp op, int err = EIO);
  static FaultRule ShortWrite(size_t keep_bytes);
  static FaultRule ShortRead(size_t max_bytes);
  FaultRule& OnPath(std::string substring);
  FaultRule& Nth(uint64_t n);
  FaultRule& Times(uint64_t n);
  FaultRule& Always();  // every matching call from nth on
  FaultRule& WithCode(ErrorCode c);
};

class FaultFileSystem : public FileSystem {
 public:
  explicit FaultFileSystem(FileSystem* base);

  void AddRule(FaultRule rule);
  void ClearRules();
  // Appends fail with NoSpace once `bytes` more bytes would have been appended in total.
  void SetAppendBudget(uint64_t bytes);
  void ClearAppendBudget();

  uint64_t calls(FsOp op) const;
  uint64_t faults_injected() const;
  void ResetCounters();

  Status Crash();
  Status Freeze();
  FileSystem* base() const { return base_; }

  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path,
                                                     WriteMode mode) override;
  Result<FileStat> Stat(const std::string& path) override;
  // The base's free space, less what the append budget (SetAppendBudget) has left when smaller.
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

  // What the wrapper decided for one call (used by the wrapped handles).
  struct Decision {
    Status fail;                  // non-Ok: fail the call with this
    std::optional<size_t> limit;  // short write / short read: at most this many bytes
  };
  // Counts a call and applies the rules. `op_name` and `path` build the error message.
  Decision Decide(FsOp op, std::string_view op_name, const std::string& path,
                  const std::string& path2 = "");
  // Charges `n` bytes of appends to the budget; returns how many fit.
  size_t ChargeAppend(size_t n);

 private:
  struct RuleState {
    FaultRule rule;
    uint64_t seen = 0;
  };

  Status Simple(FsOp op, std::string_view op_name, const std::string& path,
                const std::string& path2 = "");

  FileSystem* base_;
  mutable std::mutex mu_;
  std::vector<RuleState> rules_;
  std::array<uint64_t, kNumFsOps> calls_{};
  uint64_t faults_ = 0;
  std::optional<uint64_t> append_budget_;  // bytes still allowed
};

}  // namespace shardtool
