#include "io/lock_manager.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>

namespace shardtool {
namespace {

constexpr int64_t kFirstBackoffMicros = 1000;  // doc/acquisition.md §5: 1 ms doubling to 50 ms
constexpr int64_t kMaxBackoffMicros = 50000;

std::string_view ModeName(LockMode mode) {
  return mode == LockMode::kExclusive ? "exclusive" : "shared";
}

// Bumped in every child of fork(): a LockManager that sees another value than it recorded is a
// copy inherited by a child (an atomic increment is async-signal-safe, as a child handler must be).
std::atomic<uint64_t> g_fork_gen{0};

void OnForkChild() { g_fork_gen.fetch_add(1, std::memory_order_relaxed); }

uint64_t ForkGen() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, OnForkChild);
    return true;
  }();
  (void)registered;
  return g_fork_gen.load(std::memory_order_relaxed);
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

LockManager::LockManager(FileSystem* fs) : fs_(fs), fork_gen_(ForkGen()) {}
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
      // A lockTimeout of 0 never sleeps: it waited 0 ms, however long the tries themselves took
      // (a loaded machine can spend milliseconds in the earlier locks of the same call).
      const int64_t waited_ms =
          deadline.try_once ? 0 : std::max<int64_t>(0, now - deadline.start_micros) / 1000;
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
  std::vector<std::unique_ptr<FileLock>> to_close;  // closed after mu_ is released
  std::lock_guard<std::mutex> lock(mu_);
  DropInheritedLocked(&to_close);
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
                               "upgrade, doc/acquisition.md §5)")
        .With("what", "lock upgrade");
  }
  auto install = [&](std::unique_ptr<FileLock> file, uint64_t dir_gen) {
    Entry& e = entries_[path];
    e.flock = std::move(file);
    e.flock_mode = mode;
    e.shared = mode == LockMode::kShared ? 1 : 0;
    e.exclusive = mode == LockMode::kExclusive ? 1 : 0;
    e.dir_gen = dir_gen;
    e.fork_gen = fork_gen_;
  };
  // An idle file of this path, if its directory vouches for it.
  uint64_t dir_gen = 0, released_seq = 0;
  if (std::unique_ptr<FileLock> idle = TakeIdleLocked(path, &to_close, &dir_gen, &released_seq)) {
    Status s = idle->Relock(mode, /*non_blocking=*/true);
    if (s.ok()) {
      reuses_++;
      install(std::move(idle), dir_gen);
      return Status::Ok();
    }
    if (s.code() == ErrorCode::kBusy) {
      Idle& back = idle_[path];  // still valid: kept for the next try
      back.file = std::move(idle);
      back.dir = DirName(path);
      back.dir_gen = dir_gen;
      back.released_seq = released_seq;
      return s;
    }
    to_close.push_back(std::move(idle));  // some other failure: open the path afresh
  }
  // The directory generation before the open: the open sees the directory as it is now.
  const std::string dir = DirName(path);
  auto d = dirs_.find(dir);
  dir_gen = d == dirs_.end() ? 0 : d->second.gen;
  auto flock = fs_->Lock(path, mode, /*non_blocking=*/true);
  if (!flock.ok() && flock.status().code() == ErrorCode::kNotFound) {
    // The lock directory is created on demand, then the open is tried once more.
    RETURN_IF_ERROR(fs_->CreateDirs(dir));
    flock = fs_->Lock(path, mode, /*non_blocking=*/true);
  }
  if (!flock.ok()) return flock.status();
  install(std::move(flock).value(), dir_gen);
  return Status::Ok();
}

std::unique_ptr<FileLock> LockManager::TakeIdleLocked(
    const std::string& path, std::vector<std::unique_ptr<FileLock>>* to_close, uint64_t* dir_gen,
    uint64_t* released_seq) {
  auto it = idle_.find(path);
  if (it == idle_.end()) return nullptr;
  Idle idle = std::move(it->second);
  idle_.erase(it);
  auto d = dirs_.find(idle.dir);
  if (d != dirs_.end() && d->second.settled && d->second.gen == idle.dir_gen &&
      d->second.validated_seq > idle.released_seq) {
    *dir_gen = idle.dir_gen;
    *released_seq = idle.released_seq;
    return std::move(idle.file);
  }
  to_close->push_back(std::move(idle.file));
  return nullptr;
}

void LockManager::DropInheritedLocked(std::vector<std::unique_ptr<FileLock>>* to_close) {
  const uint64_t now = g_fork_gen.load(std::memory_order_relaxed);
  if (now == fork_gen_) return;
  // A child of fork(): the idle descriptors share their open file descriptions with the parent.
  // Closing them releases nothing (the parent still has them open); using them would share the
  // parent's flocks. Inherited holds (entries_) keep their old fork_gen and are closed, never
  // unlocked, when released.
  fork_gen_ = now;
  for (auto& [path, idle] : idle_) to_close->push_back(std::move(idle.file));
  idle_.clear();
  dirs_.clear();
}

void LockManager::ReleaseHold(const std::string& path, LockMode mode) {
  std::vector<std::unique_ptr<FileLock>> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    DropInheritedLocked(&to_close);
    auto it = entries_.find(path);
    if (it == entries_.end()) return;
    Entry& e = it->second;
    int& count = mode == LockMode::kExclusive ? e.exclusive : e.shared;
    if (count > 0) --count;
    if (e.shared + e.exclusive > 0) return;
    std::unique_ptr<FileLock> file = std::move(e.flock);
    const uint64_t dir_gen = e.dir_gen;
    const bool ours = e.fork_gen == fork_gen_;
    entries_.erase(it);
    // Kept open without its flock when it can be relocked; closing it (the other way to drop
    // the flock) is for inherited holds and file systems without relock.
    if (!ours || max_idle_ == 0 || !file->CanRelock() || !file->Unlock().ok()) {
      to_close.push_back(std::move(file));
      return;
    }
    Idle& idle = idle_[path];
    if (idle.file) to_close.push_back(std::move(idle.file));
    idle.file = std::move(file);
    idle.dir = DirName(path);
    idle.dir_gen = dir_gen;
    idle.released_seq = ++seq_;
    while (idle_.size() > max_idle_) {
      auto oldest = idle_.begin();
      for (auto i = idle_.begin(); i != idle_.end(); ++i) {
        if (i->second.released_seq < oldest->second.released_seq) oldest = i;
      }
      to_close.push_back(std::move(oldest->second.file));
      idle_.erase(oldest);
    }
  }
  // Closing a description drops its flock; done outside mu_ (it may take the file system's own
  // lock).
  to_close.clear();
}

void LockManager::RevalidateIdle(const std::string& dir) {
  Result<FileStat> st = fs_->Stat(dir);
  const int64_t now = fs_->NowMicros();
  std::vector<std::unique_ptr<FileLock>> to_close;
  std::lock_guard<std::mutex> lock(mu_);
  DropInheritedLocked(&to_close);
  DirState& d = dirs_[dir];
  if (st.ok() && d.gen != 0 && d.settled && SameStamp(*st, d.stamp)) {
    d.validated_seq = ++seq_;
    return;
  }
  // Changed, gone, first seen, or not settled when recorded: a new generation; the idle files
  // opened before it are closed.
  d.gen = next_dir_gen_++;
  d.validated_seq = 0;
  d.settled = st.ok() && StampSettled(*st, now, kSettledMicros);
  if (st.ok()) d.stamp = *st;
  for (auto i = idle_.begin(); i != idle_.end();) {
    if (i->second.dir == dir) {
      to_close.push_back(std::move(i->second.file));
      i = idle_.erase(i);
    } else {
      ++i;
    }
  }
}

size_t LockManager::NumIdleFiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

size_t LockManager::max_idle_files() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_idle_;
}

void LockManager::set_max_idle_files(size_t n) {
  std::vector<std::unique_ptr<FileLock>> to_close;
  std::lock_guard<std::mutex> lock(mu_);
  max_idle_ = n;
  while (idle_.size() > max_idle_) {
    auto oldest = idle_.begin();
    for (auto i = idle_.begin(); i != idle_.end(); ++i) {
      if (i->second.released_seq < oldest->second.released_seq) oldest = i;
    }
    to_close.push_back(std::move(oldest->second.file));
    idle_.erase(oldest);
  }
}

uint64_t LockManager::reuses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reuses_;
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
