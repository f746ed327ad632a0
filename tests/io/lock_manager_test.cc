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
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = q.Acquire(kLock, LockMode::kShared, LockDeadline::After(&fs, 0));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
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
  EXPECT_TRUE(e.ok()) << e.status().ToString();
}

TEST(LockManager, CountsPerModeOneFlockPerFile) {
  MemFileSystem fs;
  LockManager p(&fs), q(&fs);
  const auto now = [&] { return LockDeadline::After(&fs, 0); };
  auto x1 = p.Acquire(kLock, LockMode::kExclusive, now());
  ASSERT_TRUE(x1.ok());
  // Exclusive is re-entrant, and a shared hold under an exclusive flock is granted at once.
  auto x2 = p.Acquire(kLock, LockMode::kExclusive, now());
  auto s1 = p.Acquire(kLock, LockMode::kShared, now());
  ASSERT_TRUE(x2.ok() && s1.ok());
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
  EXPECT_TRUE(q.Acquire(kLock, LockMode::kShared, now()).ok());
}

TEST(LockManager, HandlesMoveAndReleaseOnce) {
  MemFileSystem fs;
  LockManager p(&fs);
  LockHandle h;
  EXPECT_FALSE(h.held());
  {
    auto a = p.Acquire(kLock, LockMode::kShared, LockDeadline::After(&fs, 0));
    ASSERT_TRUE(a.ok());
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
  ASSERT_TRUE(held.ok());
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
  ASSERT_TRUE(held.ok());
  const LockDeadline d = LockDeadline::After(&fs, 100);
  auto g = q.Acquire("/w/locks/global", LockMode::kShared, d);
  ASSERT_TRUE(g.ok());
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
  ASSERT_TRUE(held.ok());
  const int64_t t0 = fs.NowMicros();
  int sleeps = 0;
  fs.on_sleep = [&] {
    ++sleeps;
    if (fs.NowMicros() - t0 >= 20000) held->Release();
  };
  auto r = q.Acquire(kLock, LockMode::kExclusive, LockDeadline::After(&fs, 5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Backoff 1, 2, 4, 8, 16 ms: the holder let go after the fifth sleep (31 ms).
  EXPECT_EQ(sleeps, 5);
  EXPECT_EQ(fs.NowMicros() - t0, 31000);
}

TEST(LockManager, CreatesTheLockDirectoryOnDemand) {
  MemFileSystem fs;
  LockManager p(&fs);
  auto a = p.Acquire("/w/shardtool/locks/coll.x", LockMode::kShared, LockDeadline::After(&fs, 0));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
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
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

TEST(LockManagerProcesses, SharedAndSharedCoexist) {
  TempDir dir;
  const std::string path = dir.path() + "/locks/db.main";
  const pid_t child = ForkHolder(path, LockMode::kShared);
  ASSERT_GT(child, 0);
  LockManager me(PosixFS());
  auto s = me.Acquire(path, LockMode::kShared, LockDeadline::After(PosixFS(), 0));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
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
  ASSERT_TRUE(a.ok() && b.ok());
  a->Release();
  EXPECT_EQ(ForkHolder(path, LockMode::kShared), -1);  // still held by b
  b->Release();
  const pid_t child = ForkHolder(path, LockMode::kShared);
  EXPECT_GT(child, 0);
  if (child > 0) Reap(child);
}

}  // namespace
}  // namespace shardtool
