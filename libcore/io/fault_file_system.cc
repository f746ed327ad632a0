#include "io/fault_file_system.h"

#include <algorithm>

#include "io/mem_file_system.h"

namespace shardtool {

std::string_view FsOpName(FsOp op) {
  switch (op) {
    case FsOp::kOpen:
      return "open";
    case FsOp::kRead:
      return "read";
    case FsOp::kAppend:
      return "append";
    case FsOp::kSync:
      return "sync";
    case FsOp::kSyncDir:
      return "sync_dir";
    case FsOp::kRename:
      return "rename";
    case FsOp::kRemove:
      return "remove";
    case FsOp::kTruncate:
      return "truncate";
    case FsOp::kList:
      return "list";
    case FsOp::kStat:
      return "stat";
    case FsOp::kCreateDirs:
      return "create_dirs";
    case FsOp::kLock:
      return "lock";
    case FsOp::kClose:
      return "close";
  }
  return "unknown";
}

FaultRule FaultRule::Fail(FsOp op, int err) {
  FaultRule r;
  r.op = op;
  r.action = Action::kFail;
  r.err = err;
  return r;
}

FaultRule FaultRule::ShortWrite(size_t keep_bytes) {
  FaultRule r;
  r.op = FsOp::kAppend;
  r.action = Action::kShortWrite;
  r.max_bytes = keep_bytes;
  return r;
}

FaultRule FaultRule::ShortRead(size_t max_bytes) {
  FaultRule r;
  r.op = FsOp::kRead;
  r.action = Action::kShortRead;
  r.max_bytes = max_bytes;
  return r;
}

FaultRule& FaultRule::OnPath(std::string substring) {
  path_contains = std::move(substring);
  return *this;
}
FaultRule& FaultRule::Nth(uint64_t n) {
  nth = n;
  return *this;
}
FaultRule& FaultRule::Times(uint64_t n) {
  times = n;
  return *this;
}
FaultRule& FaultRule::Always() {
  times = 0;
  return *this;
}
FaultRule& FaultRule::WithCode(ErrorCode c) {
  code = c;
  return *this;
}

namespace {

Status InjectedStatus(const FaultRule& rule, std::string_view op_name, const std::string& path) {
  Status s = ErrnoStatus(rule.err, op_name, path);
  if (rule.code) s = Status(*rule.code, s.message());
  return s.With("injected", std::string(FsOpName(rule.op)));
}

class FaultRandomAccessFile : public RandomAccessFile {
 public:
  FaultRandomAccessFile(FaultFileSystem* fs, std::unique_ptr<RandomAccessFile> base)
      : fs_(fs), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, uint8_t* dst, size_t* got) override {
    *got = 0;
    FaultFileSystem::Decision d = fs_->Decide(FsOp::kRead, "pread", path());
    RETURN_IF_ERROR(d.fail);
    if (d.limit) n = std::min(n, *d.limit);
    if (n == 0) return Status::Ok();
    return base_->Read(offset, n, dst, got);
  }

  Result<uint64_t> Size() override {
    RETURN_IF_ERROR(fs_->Decide(FsOp::kStat, "fstat", path()).fail);
    return base_->Size();
  }

  const std::string& path() const override { return base_->path(); }

 private:
  FaultFileSystem* fs_;
  std::unique_ptr<RandomAccessFile> base_;
};

class FaultWritableFile : public WritableFile {
 public:
  FaultWritableFile(FaultFileSystem* fs, std::unique_ptr<WritableFile> base)
      : fs_(fs), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    FaultFileSystem::Decision d = fs_->Decide(FsOp::kAppend, "write", path());
    RETURN_IF_ERROR(d.fail);
    size_t keep = data.size();
    bool short_write = false;
    if (d.limit) {
      keep = std::min(keep, *d.limit);
      short_write = true;
    }
    size_t fits = fs_->ChargeAppend(keep);
    if (fits < keep) {
      keep = fits;
      short_write = true;
    }
    if (keep > 0) RETURN_IF_ERROR(base_->Append(data.substr(0, keep)));
    if (short_write) {
      return ErrnoStatus(ENOSPC, "write", path())
          .With("injected", "short_write")
          .With("bytes_written", static_cast<int64_t>(keep));
    }
    return Status::Ok();
  }

  Status Sync() override {
    RETURN_IF_ERROR(fs_->Decide(FsOp::kSync, "fsync", path()).fail);
    return base_->Sync();
  }

  Status Close() override {
    Status s = fs_->Decide(FsOp::kClose, "close", path()).fail;
    // An injected close failure still closes the file, as close(2) does.
    Status closed = base_->Close();
    return s.ok() ? closed : s;
  }

  uint64_t Size() const override { return base_->Size(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultFileSystem* fs_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

FaultFileSystem::FaultFileSystem(FileSystem* base) : base_(base) {}

void FaultFileSystem::AddRule(FaultRule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back({std::move(rule), 0});
}

void FaultFileSystem::ClearRules() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

void FaultFileSystem::SetAppendBudget(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  append_budget_ = bytes;
}

void FaultFileSystem::ClearAppendBudget() {
  std::lock_guard<std::mutex> lock(mu_);
  append_budget_.reset();
}

uint64_t FaultFileSystem::calls(FsOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[static_cast<size_t>(op)];
}

uint64_t FaultFileSystem::faults_injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

void FaultFileSystem::ResetCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.fill(0);
  faults_ = 0;
}

Status FaultFileSystem::Crash() {
  auto* mem = dynamic_cast<MemFileSystem*>(base_);
  if (mem == nullptr) {
    return FailedPreconditionStatus("FaultFileSystem::Crash needs a MemFileSystem underneath");
  }
  mem->SimulateCrash();
  return Status::Ok();
}

Status FaultFileSystem::Freeze() {
  auto* mem = dynamic_cast<MemFileSystem*>(base_);
  if (mem == nullptr) {
    return FailedPreconditionStatus("FaultFileSystem::Freeze needs a MemFileSystem underneath");
  }
  mem->Freeze();
  return Status::Ok();
}

FaultFileSystem::Decision FaultFileSystem::Decide(FsOp op, std::string_view op_name,
                                                  const std::string& path,
                                                  const std::string& path2) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[static_cast<size_t>(op)];
  Decision d;
  bool decided = false;
  for (RuleState& rs : rules_) {
    const FaultRule& r = rs.rule;
    if (r.op != op) continue;
    if (!r.path_contains.empty() && path.find(r.path_contains) == std::string::npos &&
        path2.find(r.path_contains) == std::string::npos) {
      continue;
    }
    uint64_t index = ++rs.seen;
    bool fires = index >= r.nth && (r.times == 0 || index - r.nth < r.times);
    if (!fires || decided) continue;
    decided = true;
    ++faults_;
    if (r.action == FaultRule::Action::kFail) {
      d.fail = InjectedStatus(r, op_name, path2.empty() ? path : path + " -> " + path2);
    } else {
      d.limit = r.max_bytes;
    }
  }
  return d;
}

size_t FaultFileSystem::ChargeAppend(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!append_budget_) return n;
  size_t fits = static_cast<size_t>(std::min<uint64_t>(n, *append_budget_));
  *append_budget_ -= fits;
  if (fits < n) ++faults_;
  return fits;
}

Status FaultFileSystem::Simple(FsOp op, std::string_view op_name, const std::string& path,
                               const std::string& path2) {
  return Decide(op, op_name, path, path2).fail;
}

Result<std::unique_ptr<RandomAccessFile>> FaultFileSystem::OpenForRead(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kOpen, "open", path));
  ASSIGN_OR_RETURN(auto file, base_->OpenForRead(path));
  return std::unique_ptr<RandomAccessFile>(new FaultRandomAccessFile(this, std::move(file)));
}

Result<std::unique_ptr<WritableFile>> FaultFileSystem::OpenForWrite(const std::string& path,
                                                                    WriteMode mode) {
  RETURN_IF_ERROR(Simple(FsOp::kOpen, "open", path));
  ASSIGN_OR_RETURN(auto file, base_->OpenForWrite(path, mode));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(file)));
}

Result<uint64_t> FaultFileSystem::FreeBytes(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kStat, "statvfs", path));
  ASSIGN_OR_RETURN(uint64_t free, base_->FreeBytes(path));
  std::lock_guard<std::mutex> lock(mu_);
  return append_budget_ ? std::min(free, *append_budget_) : free;
}

Result<FileStat> FaultFileSystem::Stat(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kStat, "lstat", path));
  return base_->Stat(path);
}

bool FaultFileSystem::Exists(const std::string& path) { return base_->Exists(path); }

Result<std::vector<DirEntry>> FaultFileSystem::ListDir(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kList, "opendir", path));
  return base_->ListDir(path);
}

Status FaultFileSystem::CreateDirs(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kCreateDirs, "mkdir", path));
  return base_->CreateDirs(path);
}

Status FaultFileSystem::RemoveFile(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kRemove, "unlink", path));
  return base_->RemoveFile(path);
}

Status FaultFileSystem::RemoveDir(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kRemove, "rmdir", path));
  return base_->RemoveDir(path);
}

Status FaultFileSystem::Rename(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(Simple(FsOp::kRename, "rename", from, to));
  return base_->Rename(from, to);
}

Status FaultFileSystem::Truncate(const std::string& path, uint64_t size) {
  RETURN_IF_ERROR(Simple(FsOp::kTruncate, "truncate", path));
  return base_->Truncate(path, size);
}

Status FaultFileSystem::SyncDir(const std::string& path) {
  RETURN_IF_ERROR(Simple(FsOp::kSyncDir, "fsync dir", path));
  return base_->SyncDir(path);
}

Result<std::unique_ptr<FileLock>> FaultFileSystem::Lock(const std::string& path, LockMode mode,
                                                        bool non_blocking) {
  RETURN_IF_ERROR(Simple(FsOp::kLock, "flock", path));
  return base_->Lock(path, mode, non_blocking);
}

int64_t FaultFileSystem::NowMicros() { return base_->NowMicros(); }
void FaultFileSystem::SleepMicros(int64_t micros) { base_->SleepMicros(micros); }

}  // namespace shardtool
