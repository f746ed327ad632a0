#include "io/lock_manager.h"

#include <algorithm>

namespace shardtool {
namespace {

constexpr int64_t kFirstBackoffMicros = 1000;  // SHARD-ROLE.md §5: 1 ms doubling to 50 ms
constexpr int64_t kMaxBackoffMicros = 50000;

std::string_view ModeName(LockMode mode) {
  return mode == LockMode::kExclusive ? "exclusive" : "shared";
}

}  // namespace

LockDeadline LockDeadline::After(FileSystem* fs, int64_t timeout_ms) {
  LockDeadline d;
  d.start_micros = fs->NowMicros();
  d.try_once = timeout_ms <= 0;
  d.deadline_micros = d.try_once ? d.start_micros : d.start_micros + timeout_ms * 1000;
  return d;
}

LockHandle::LockHandle(LockHandle&& other) noexcept
    : manager_(other.manager_), path_(std::move(other.path_)), mode_(other.mode_) {
  other.manager_ = nullptr;
}

LockHandle& LockHandle::operator=(LockHandle&& other) noexcept {
  if (this != &other) {
    Release();
    manager_ = other.manager_;
    path_ = std::move(other.path_);
    mode_ = other.mode_;
    other.manager_ = nullptr;
  }
  return *this;
}

void LockHandle::Release() {
  if (manager_ == nullptr) return;
  manager_->ReleaseHold(path_, mode_);
  manager_ = nullptr;
}

LockManager::LockManager(FileSystem* fs) : fs_(fs) {}
LockManager::~LockManager() = default;

Result<LockHandle> LockManager::Acquire(const std::string& path, LockMode mode,
                                        const LockDeadline& deadline, std::string_view mode_label) {
  int64_t backoff = kFirstBackoffMicros;
  for (;;) {
    Status s = TryAcquire(path, mode);
    if (s.ok()) return LockHandle(this, path, mode);
    if (s.code() != ErrorCode::kBusy) return s;
    const int64_t now = fs_->NowMicros();
    if (deadline.try_once || now >= deadline.deadline_micros) {
      const int64_t waited_ms = std::max<int64_t>(0, now - deadline.start_micros) / 1000;
      const std::string resource = BaseName(path);
      const std::string label(mode_label.empty() ? ModeName(mode) : mode_label);
      Status timeout = LockTimeoutStatus("lock " + resource + " (" + label +
                                         "): held by another process; gave up after " +
                                         std::to_string(waited_ms) + " ms");
      timeout.With("resource", resource).With("mode", label).With("waitedMs", waited_ms);
      return timeout;
    }
    fs_->SleepMicros(std::min(backoff, deadline.deadline_micros - now));
    backoff = std::min(backoff * 2, kMaxBackoffMicros);
  }
}

Status LockManager::TryAcquire(const std::string& path, LockMode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(path);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (mode == LockMode::kShared) {
      ++e.shared;  // a shared or an exclusive flock covers a shared hold
      return Status::Ok();
    }
    if (e.flock_mode == LockMode::kExclusive) {
      ++e.exclusive;
      return Status::Ok();
    }
    return InternalErrorStatus("lock " + path +
                               ": exclusive requested while this process holds it shared (no "
                               "upgrade, SHARD-ROLE.md §5)")
        .With("what", "lock upgrade");
  }
  auto flock = fs_->Lock(path, mode, /*non_blocking=*/true);
  if (!flock.ok() && flock.status().code() == ErrorCode::kNotFound) {
    // The lock directory is created on demand, then the open is tried once more.
    RETURN_IF_ERROR(fs_->CreateDirs(DirName(path)));
    flock = fs_->Lock(path, mode, /*non_blocking=*/true);
  }
  if (!flock.ok()) return flock.status();
  Entry& e = entries_[path];
  e.flock = std::move(flock).value();
  e.flock_mode = mode;
  e.shared = mode == LockMode::kShared ? 1 : 0;
  e.exclusive = mode == LockMode::kExclusive ? 1 : 0;
  return Status::Ok();
}

void LockManager::ReleaseHold(const std::string& path, LockMode mode) {
  std::unique_ptr<FileLock> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(path);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    int& count = mode == LockMode::kExclusive ? e.exclusive : e.shared;
    if (count > 0) --count;
    if (e.shared + e.exclusive > 0) return;
    to_close = std::move(e.flock);
    entries_.erase(it);
  }
  // Closing the description drops the flock; done outside mu_ (it may take the file system's own
  // lock).
  to_close.reset();
}

int LockManager::HoldCount(const std::string& path, LockMode mode) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(path);
  if (it == entries_.end()) return 0;
  return mode == LockMode::kExclusive ? it->second.exclusive : it->second.shared;
}

bool LockManager::HoldsAnyExclusive() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [path, e] : entries_) {
    if (e.flock_mode == LockMode::kExclusive) return true;
  }
  return false;
}

size_t LockManager::NumLockedFiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

LockManager* ProcessLockManager(FileSystem* fs) {
  static std::mutex mu;
  static auto* managers = new std::map<FileSystem*, LockManager*>();  // never destroyed
  std::lock_guard<std::mutex> lock(mu);
  LockManager*& m = (*managers)[fs];
  if (m == nullptr) m = new LockManager(fs);
  return m;
}

}  // namespace shardtool
