// LockManager: hold counts, no upgrade, timeouts with backoff on a fake clock (two managers on one
// MemFileSystem play two processes), and real flock across processes (fork).
#include "io/lock_manager.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

#include "io/mem_file_system.h"
#include "io/posix_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

constexpr char kLock[] = "/w/shardtool/locks/global";

std::string Info(const Status& s, const std::string& name) {
  for (const ErrorInfo& i : s.info()) {
    if (i.name != name) continue;
    if (auto* str = std::get_if<std::string>(&i.value)) return *str;
    if (auto* n = std::get_if<int64_t>(&i.value)) return std::to_string(*n);
    return "null";
  }
  return "<missing>";
}

TEST(LockManager, SharedHoldsShareAcrossProcessesExclusiveConflicts) {
  MemFileSystem fs;
  LockManager p(&fs), q(&fs);  // two "processes"
  auto a = p.Acquire(kLock, LockMode::kShared, LockDeadline::After(&fs, 0));
  ASSERT_OK(a);
  auto b = q.Acquire(kLock, LockMode::kShared, LockDeadline::After(&fs, 0));
  ASSERT_OK(b);
  auto c = q.Acquire(kLock, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  // q holds it shared itself: asking exclusive is an upgrade, refused at once.
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kInternalError);
  b->Release();
  auto d = q.Acquire(kLock, LockMode::kExclusive, LockDeadline::After(&fs, 0), "X");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::kLockTimeout);
  EXPECT_EQ(d.status().exit_status(), 4);
  EXPECT_EQ(Info(d.status(), "resource"), "global");
  EXPECT_EQ(Info(d.status(), "mode"), "X");
  EXPECT_EQ(Info(d.status(), "waitedMs"), "0");
  a->Release();
  auto e = q.Acquire(kLock, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  EXPECT_OK(e);
}

TEST(LockManager, CountsPerModeOneFlockPerFile) {
  MemFileSystem fs;
  LockManager p(&fs), q(&fs);
  const auto now = [&] { return LockDeadline::After(&fs, 0); };
  auto x1 = p.Acquire(kLock, LockMode::kExclusive, now());
  ASSERT_OK(x1);
  // Exclusive is re-entrant, and a shared hold under an exclusive flock is granted at once.
  auto x2 = p.Acquire(kLock, LockMode::kExclusive, now());
  auto s1 = p.Acquire(kLock, LockMode::kShared, now());
  ASSERT_OK(x2);
  ASSERT_OK(s1);
  EXPECT_EQ(p.HoldCount(kLock, LockMode::kExclusive), 2);
  EXPECT_EQ(p.HoldCount(kLock, LockMode::kShared), 1);
  EXPECT_EQ(p.NumLockedFiles(), 1u);
  EXPECT_TRUE(p.HoldsAnyExclusive());
  x1->Release();
  x2->Release();
  // The flock stays exclusive while any hold remains (never converted back to shared).
  EXPECT_FALSE(q.Acquire(kLock, LockMode::kShared, now()).ok());
  EXPECT_TRUE(p.HoldsAnyExclusive());
  s1->Release();
  EXPECT_EQ(p.NumLockedFiles(), 0u);
  EXPECT_FALSE(p.HoldsAnyExclusive());
  EXPECT_OK(q.Acquire(kLock, LockMode::kShared, now()));
}

TEST(LockManager, HandlesMoveAndReleaseOnce) {
  MemFileSystem fs;
  LockManager p(&fs);
  LockHandle h;
  EXPECT_FALSE(h.held());
  {
    auto a = p.Acquire(kLock, LockMode::kShared, LockDeadline::After(&fs, 0));
    ASSERT_OK(a);
    h = std::move(a).value();
  }
  EXPECT_TRUE(h.held());
  EXPECT_EQ(h.path(), kLock);
  EXPECT_EQ(p.HoldCount(kLock, LockMode::kShared), 1);
  LockHandle moved(std::move(h));
  EXPECT_FALSE(h.held());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  moved.Release();
  moved.Release();
  EXPECT_EQ(p.HoldCount(kLock, LockMode::kShared), 0);
}

TEST(LockManager, TimeoutBacksOffOnTheClockUntilTheDeadline) {
  MemFileSystem fs;
  LockManager p(&fs), q(&fs);
  auto held = p.Acquire(kLock, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  ASSERT_OK(held);
  const int64_t t0 = fs.NowMicros();
  auto r = q.Acquire(kLock, LockMode::kShared, LockDeadline::After(&fs, 200));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kLockTimeout);
  // The fake clock advanced exactly by the sleeps: 1+2+4+8+16+32+50+50+37 ms = the deadline.
  EXPECT_EQ(fs.NowMicros() - t0, 200000);
  EXPECT_EQ(Info(r.status(), "waitedMs"), "200");
  EXPECT_EQ(Info(r.status(), "mode"), "shared");
}

TEST(LockManager, OneDeadlineCoversSeveralLocks) {
  MemFileSystem fs;
  LockManager p(&fs), q(&fs);
  auto held = p.Acquire("/w/locks/db.main", LockMode::kExclusive, LockDeadline::After(&fs, 0));
  ASSERT_OK(held);
  const LockDeadline d = LockDeadline::After(&fs, 100);
  auto g = q.Acquire("/w/locks/global", LockMode::kShared, d);
  ASSERT_OK(g);
  fs.AdvanceMicros(150000);  // the deadline has passed: one last try, then the timeout
  auto db = q.Acquire("/w/locks/db.main", LockMode::kShared, d, "IS");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(Info(db.status(), "resource"), "db.main");
  EXPECT_EQ(Info(db.status(), "waitedMs"), "150");
}

// A MemFileSystem whose sleeps run a hook: "another process" acts while a waiter backs off.
class SleepHookFileSystem : public MemFileSystem {
 public:
  std::function<void()> on_sleep;
  void SleepMicros(int64_t micros) override {
    MemFileSystem::SleepMicros(micros);
    if (on_sleep) on_sleep();
  }
};

TEST(LockManager, WaitSucceedsWhenTheHolderLetsGo) {
  SleepHookFileSystem fs;
  LockManager p(&fs), q(&fs);
  auto held = p.Acquire(kLock, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  ASSERT_OK(held);
  const int64_t t0 = fs.NowMicros();
  int sleeps = 0;
  fs.on_sleep = [&] {
    ++sleeps;
    if (fs.NowMicros() - t0 >= 20000) held->Release();
  };
  auto r = q.Acquire(kLock, LockMode::kExclusive, LockDeadline::After(&fs, 5000));
  ASSERT_OK(r);
  // Backoff 1, 2, 4, 8, 16 ms: the holder let go after the fifth sleep (31 ms).
  EXPECT_EQ(sleeps, 5);
  EXPECT_EQ(fs.NowMicros() - t0, 31000);
}

TEST(LockManager, CreatesTheLockDirectoryOnDemand) {
  MemFileSystem fs;
  LockManager p(&fs);
  auto a = p.Acquire("/w/shardtool/locks/coll.x", LockMode::kShared, LockDeadline::After(&fs, 0));
  ASSERT_OK(a);
  EXPECT_TRUE(fs.Exists("/w/shardtool/locks/coll.x"));
}

TEST(LockManager, ProcessLockManagerIsOnePerFileSystem) {
  MemFileSystem a, b;
  EXPECT_EQ(ProcessLockManager(&a), ProcessLockManager(&a));
  EXPECT_NE(ProcessLockManager(&a), ProcessLockManager(&b));
  EXPECT_EQ(ProcessLockManager(&a)->fs(), &a);
}

// ---- real processes ----

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/lock_manager_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Forks a child that takes `mode` on `path` through the process lock manager, reports on a pipe,
// and holds the lock until killed.
pid_t ForkHolder(const std::string& path, LockMode mode) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    auto h = ProcessLockManager(PosixFS())->Acquire(path, mode, LockDeadline::After(PosixFS(), 0));
    const char c = h.ok() ? 'y' : 'n';
    if (::write(fds[1], &c, 1) != 1) ::_exit(2);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  char c = 0;
  const bool ok = ::read(fds[0], &c, 1) == 1 && c == 'y';
  ::close(fds[0]);
  if (!ok) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
  }
  return pid;
}

void Reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(LockManagerProcesses, ExclusiveHolderMakesOthersTimeOutAfterTheTimeout) {
  TempDir dir;
  const std::string path = dir.path() + "/locks/global";
  const pid_t child = ForkHolder(path, LockMode::kExclusive);
  ASSERT_GT(child, 0);
  LockManager me(PosixFS());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = me.Acquire(path, LockMode::kShared, LockDeadline::After(PosixFS(), 300), "IS");
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kLockTimeout);
  EXPECT_GE(ms, 300);
  EXPECT_LT(ms, 2000);
  EXPECT_GE(std::stoi(Info(r.status(), "waitedMs")), 300);
  auto once = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(PosixFS(), 0));
  EXPECT_EQ(once.status().code(), ErrorCode::kLockTimeout);
  // A dead holder releases at once (flock).
  Reap(child);
  auto after = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(PosixFS(), 0));
  EXPECT_OK(after);
}

TEST(LockManagerProcesses, SharedAndSharedCoexist) {
  TempDir dir;
  const std::string path = dir.path() + "/locks/db.main";
  const pid_t child = ForkHolder(path, LockMode::kShared);
  ASSERT_GT(child, 0);
  LockManager me(PosixFS());
  auto s = me.Acquire(path, LockMode::kShared, LockDeadline::After(PosixFS(), 0));
  EXPECT_OK(s);
  // Our own shared hold plus an exclusive request is an upgrade: InternalError, not a wait.
  auto x = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(PosixFS(), 1000));
  EXPECT_EQ(x.status().code(), ErrorCode::kInternalError);
  s->Release();
  auto x2 = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(PosixFS(), 0));
  EXPECT_EQ(x2.status().code(), ErrorCode::kLockTimeout);  // the child still holds it shared
  Reap(child);
}

TEST(LockManagerProcesses, HoldsInOneProcessShareOneDescription) {
  // Two holds of one process on one file must not conflict with each other (flock would, with two
  // open descriptions); the child sees the file locked until the last hold goes.
  TempDir dir;
  const std::string path = dir.path() + "/locks/coll.x";
  LockManager me(PosixFS());
  auto a = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(PosixFS(), 0));
  auto b = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(PosixFS(), 0));
  ASSERT_OK(a);
  ASSERT_OK(b);
  a->Release();
  EXPECT_EQ(ForkHolder(path, LockMode::kShared), -1);  // still held by b
  b->Release();
  const pid_t child = ForkHolder(path, LockMode::kShared);
  EXPECT_GT(child, 0);
  if (child > 0) Reap(child);
}

// ---- idle lock files (kept open between holds) ----

// The POSIX file system with a clock 10 s ahead, so that directories just made count as settled
// (LockManager::kSettledMicros) without waiting.
class ClockAheadFS : public FileSystem {
 public:
  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& p) override {
    return fs_->OpenForRead(p);
  }
  Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& p, WriteMode m) override {
    return fs_->OpenForWrite(p, m);
  }
  Result<FileStat> Stat(const std::string& p) override { return fs_->Stat(p); }
  bool Exists(const std::string& p) override { return fs_->Exists(p); }
  Result<std::vector<DirEntry>> ListDir(const std::string& p) override { return fs_->ListDir(p); }
  Status CreateDirs(const std::string& p) override { return fs_->CreateDirs(p); }
  Status RemoveFile(const std::string& p) override { return fs_->RemoveFile(p); }
  Status RemoveDir(const std::string& p) override { return fs_->RemoveDir(p); }
  Status Rename(const std::string& a, const std::string& b) override { return fs_->Rename(a, b); }
  Status Truncate(const std::string& p, uint64_t n) override { return fs_->Truncate(p, n); }
  Status SyncDir(const std::string& p) override { return fs_->SyncDir(p); }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& p, LockMode m, bool nb) override {
    return fs_->Lock(p, m, nb);
  }
  int64_t NowMicros() override { return fs_->NowMicros() + 10000000; }
  void SleepMicros(int64_t us) override { fs_->SleepMicros(us); }

 private:
  FileSystem* fs_ = PosixFS();
};

// Makes `path` an idle lock file, usable again: created (the directory changes), directory
// recorded, opened under that record and released, directory found unchanged.
void MakeIdle(LockManager& m, const std::string& path) {
  ASSERT_OK(m.Acquire(path, LockMode::kShared, LockDeadline::After(m.fs(), 0)));
  m.RevalidateIdle(DirName(path));
  ASSERT_OK(m.Acquire(path, LockMode::kShared, LockDeadline::After(m.fs(), 0)));
  m.RevalidateIdle(DirName(path));
}

TEST(LockManagerIdle, ReusedDescriptionStillExcludesAnotherProcess) {
  TempDir dir;
  ClockAheadFS fs;
  const std::string path = dir.path() + "/locks/coll.a";
  LockManager me(&fs);
  MakeIdle(me, path);
  EXPECT_EQ(me.NumIdleFiles(), 1u);
  auto x = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  ASSERT_OK(x);
  EXPECT_EQ(me.reuses(), 1u);
  EXPECT_EQ(me.NumIdleFiles(), 0u);
  EXPECT_EQ(ForkHolder(path, LockMode::kShared), -1);  // held through the reused description
  x->Release();
  EXPECT_EQ(me.NumIdleFiles(), 1u);                         // unlocked, kept open
  const pid_t child = ForkHolder(path, LockMode::kShared);  // so the flock really went
  ASSERT_GT(child, 0);
  me.RevalidateIdle(DirName(path));
  auto y = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  EXPECT_EQ(y.status().code(), ErrorCode::kLockTimeout);
  EXPECT_EQ(me.NumIdleFiles(), 1u);  // the idle description was tried, and kept for the next try
  Reap(child);
  auto z = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  EXPECT_OK(z);
  EXPECT_EQ(me.reuses(), 2u);
}

TEST(LockManagerIdle, NotReusedWithoutRevalidationOrOnARacyDirectory) {
  TempDir dir;
  const std::string path = dir.path() + "/locks/coll.a";
  {
    ClockAheadFS fs;
    LockManager me(&fs);
    MakeIdle(me, path);
    ASSERT_OK(me.Acquire(path, LockMode::kShared, LockDeadline::After(&fs, 0)));
    EXPECT_EQ(me.reuses(), 1u);
    // Released again, no revalidation since: opened afresh.
    ASSERT_OK(me.Acquire(path, LockMode::kShared, LockDeadline::After(&fs, 0)));
    EXPECT_EQ(me.reuses(), 1u);
  }
  // The real clock: the directory changed less than 2 s ago, so its stat proves nothing.
  const std::string fresh = dir.path() + "/locks2/coll.b";
  LockManager me(PosixFS());
  MakeIdle(me, fresh);
  ASSERT_OK(me.Acquire(fresh, LockMode::kShared, LockDeadline::After(PosixFS(), 0)));
  EXPECT_EQ(me.reuses(), 0u);
}

TEST(LockManagerIdle, AReplacedLockFileIsOpenedAfresh) {
  TempDir dir;
  ClockAheadFS fs;
  const std::string path = dir.path() + "/locks/coll.a";
  LockManager me(&fs);
  MakeIdle(me, path);
  // The lock file is removed and made again (what a removed and recreated working dir does).
  ASSERT_EQ(std::system(("rm " + path + " && touch " + path).c_str()), 0);
  me.RevalidateIdle(DirName(path));
  EXPECT_EQ(me.NumIdleFiles(), 0u);  // the directory changed: closed
  auto x = me.Acquire(path, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  ASSERT_OK(x);
  EXPECT_EQ(me.reuses(), 0u);
  EXPECT_EQ(ForkHolder(path, LockMode::kShared), -1);  // the new file is the one locked
}

TEST(LockManagerIdle, AForkedChildNeitherUsesNorUnlocksWhatItInherited) {
  TempDir dir;
  ClockAheadFS fs;
  const std::string idle_path = dir.path() + "/locks/coll.idle";
  const std::string held_path = dir.path() + "/locks/coll.held";
  LockManager me(&fs);
  ASSERT_OK(fs.CreateDirs(dir.path() + "/locks"));
  ASSERT_OK(me.Acquire(held_path, LockMode::kShared, LockDeadline::After(&fs, 0)));
  MakeIdle(me, idle_path);
  MakeIdle(me, held_path);
  auto held = me.Acquire(held_path, LockMode::kExclusive, LockDeadline::After(&fs, 0));
  ASSERT_OK(held);
  ASSERT_EQ(me.reuses(), 2u);        // held_path: by MakeIdle and by this hold
  ASSERT_EQ(me.NumIdleFiles(), 1u);  // idle_path, validated
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    char r[3] = {'n', 'n', 'n'};
    // 1. The inherited idle description is not used: the path is opened afresh.
    me.RevalidateIdle(dir.path() + "/locks");
    auto x = me.Acquire(idle_path, LockMode::kExclusive, LockDeadline::After(&fs, 0));
    if (x.ok() && me.reuses() == 2) r[0] = 'y';
    // 2. Releasing the inherited exclusive hold does not unlock the parent's flock.
    held->Release();
    LockManager other(PosixFS());
    auto y = other.Acquire(held_path, LockMode::kShared, LockDeadline::After(PosixFS(), 0));
    if (y.status().code() == ErrorCode::kLockTimeout) r[1] = 'y';
    if (me.NumIdleFiles() == 0) r[2] = 'y';
    if (::write(fds[1], r, 3) != 3) ::_exit(2);
    for (;;) ::pause();  // holds idle_path exclusively
  }
  ::close(fds[1]);
  char r[3] = {};
  ASSERT_EQ(::read(fds[0], r, 3), 3);
  ::close(fds[0]);
  EXPECT_EQ(r[0], 'y') << "child reused an inherited description";
  EXPECT_EQ(r[1], 'y') << "child's release unlocked the parent's lock";
  EXPECT_EQ(r[2], 'y');
  // The child holds idle_path on its own description: the parent's idle one conflicts.
  me.RevalidateIdle(dir.path() + "/locks");
  auto mine = me.Acquire(idle_path, LockMode::kShared, LockDeadline::After(&fs, 0));
  EXPECT_EQ(mine.status().code(), ErrorCode::kLockTimeout);
  Reap(pid);
  auto again = me.Acquire(idle_path, LockMode::kShared, LockDeadline::After(&fs, 0));
  EXPECT_OK(again);
}

TEST(LockManagerIdle, IdleFilesAreBounded) {
  TempDir dir;
  ClockAheadFS fs;
  LockManager me(&fs);
  EXPECT_EQ(me.max_idle_files(), LockManager::kDefaultMaxIdleFiles);
  me.set_max_idle_files(3);
  for (int i = 0; i < 5; i++) {
    const std::string p = dir.path() + "/locks/coll." + std::to_string(i);
    ASSERT_OK(me.Acquire(p, LockMode::kShared, LockDeadline::After(&fs, 0)));
  }
  EXPECT_EQ(me.NumIdleFiles(), 3u);
  me.set_max_idle_files(1);
  EXPECT_EQ(me.NumIdleFiles(), 1u);
  me.set_max_idle_files(0);
  EXPECT_EQ(me.NumIdleFiles(), 0u);
  ASSERT_OK(
      me.Acquire(dir.path() + "/locks/coll.9", LockMode::kShared, LockDeadline::After(&fs, 0)));
  EXPECT_EQ(me.NumIdleFiles(), 0u);
}

TEST(LockManagerIdle, MemFileSystemLocksAreNeverKeptIdle) {
  MemFileSystem fs;
  LockManager p(&fs);
  ASSERT_OK(p.Acquire(kLock, LockMode::kShared, LockDeadline::After(&fs, 0)));
  EXPECT_EQ(p.NumIdleFiles(), 0u);
}

}  // namespace
}  // namespace shardtool
