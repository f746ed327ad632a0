// Acquisitions between real processes (doc/acquisition.md §5, §6, §7): fork()ed children of the
// test binary on fixture F in a temporary directory with the POSIX file system, ordered with pipes.
// SR24, SR27, SR28, SR37, SR46, SR48 (kill -9).
//
// Forking rules: a child is forked before the parent takes any lock (flock locks belong to open
// file descriptions, which a child would share), every process makes its own LockManager and
// LeaseKeeper, and a child ends with _exit(code) without running the parent's test machinery.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "acquire/acquisition.h"
#include "acquire_env.h"
#include "jobs/merge/orphan_policy.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Info;
using testing::Versions;

// A child process and two pipes to talk to it, one byte per message.
class Child {
 public:
  // Forks; the child runs body(*this) and _exits with its result.
  explicit Child(const std::function<int(Child&)>& body) {
    std::fflush(stdout);  // nothing buffered is written twice
    std::fflush(stderr);
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0) std::abort();
    pid_ = fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      close(to_child[1]);
      close(to_parent[0]);
      in_ = to_child[0];
      out_ = to_parent[1];
      _exit(body(*this));
    }
    close(to_child[0]);
    close(to_parent[1]);
    in_ = to_parent[0];
    out_ = to_child[1];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    close(in_);
    close(out_);
  }

  void Send(char c) {
    if (write(out_, &c, 1) != 1) std::abort();
  }
  // The next byte from the other side, or 0 after timeout_ms (or when the other side is gone).
  char Receive(int timeout_ms = 20000) {
    pollfd p{in_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return 0;
    char c = 0;
    return read(in_, &c, 1) == 1 ? c : 0;
  }
  // The child's exit code (-signal when killed).
  int Wait() {
    int st = 0;
    waitpid(pid_, &st, 0);
    reaped_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
  }
  void Kill9() { kill(pid_, SIGKILL); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  bool reaped_ = false;
};

// Fixture F in a fresh temporary directory on the POSIX file system.
struct PosixEnv {
  PosixEnv() {
    // One directory name per test process, so that the fixture is built once per process.
    dir = "/tmp/shardtool-acquire-" + std::to_string(getpid());
    std::filesystem::remove_all(dir);
    testing::FixtureOptions fo;
    fo.cluster_dir = dir;
    auto made = testing::CopyOfFixtureF(PosixFS(), fo);
    EXPECT_OK(made);
    f = std::move(made).value();
    EXPECT_OK(cache.Prime(PosixFS(), f.workdir, f.catalog));
  }
  ~PosixEnv() { std::filesystem::remove_all(dir); }

  // The options of "this process" (call after fork in a child: fresh lock table and keeper).
  ShardRoleOptions Options(LockManager* locks, LeaseKeeper* keeper) {
    ShardRoleOptions o;
    o.fs = PosixFS();
    o.workdir = f.workdir;
    o.locks = locks;
    o.catalogs = &cache;
    o.keeper = keeper;
    o.job = "test";
    o.heartbeat_thread = false;
    o.lease_refresh_min_ms = 0;
    return o;
  }
  std::shared_ptr<const CatalogSnapshot> Snap() { return *cache.Get(PosixFS(), f.workdir); }
  DbVersion DbV() { return *Snap()->FindDatabase("main")->db_version; }
  ShardVersion TitleV() {
    auto s = Snap();
    return s->CurrentVersion(*s->FindCollection("main.titledb"));
  }
  std::string Uuid(const std::string& ns) { return Snap()->FindCollection(ns)->uuid; }
  Status MoveSlots(int first, int last, int to, int64_t delay) {
    MoveSlotsRequest r;
    r.first = first;
    r.last = last;
    r.to_shard = to;
    r.orphan_delay = delay;
    AdminOptions o;
    o.uuids = f.uuids;
    LockManager locks(PosixFS());
    o.store.locks = &locks;
    auto res = RunMoveSlots(PosixFS(), f.workdir, r, o);
    if (res.ok() && res->written) cache.Prime(PosixFS(), f.workdir, res->catalog).IgnoreError();
    return res.status();
  }
  // Decides the orphan cleanup of titledb as `merge --cleanup-orphans` would (exit 0 or 4),
  // with one record in slot 0.
  int CleanupExit() {
    LeaseStore leases(PosixFS(), f.workdir, SystemProcessInfo());
    auto s = Snap();
    const CollectionEntry& c = *s->FindCollection("main.titledb");
    auto plan =
        CatalogOrphanPolicy::Make(PosixFS(), f.workdir, s->catalog(), c, leases.NowSeconds(), {});
    if (!plan.ok()) return 70;
    const OrphanVerdict v = (*plan)->Verdict(0);
    const bool deferred =
        v == OrphanVerdict::kDeferredNotReady || v == OrphanVerdict::kDeferredLeaseHeld;
    const std::vector<SlotRange> slots =
        deferred ? std::vector<SlotRange>{{0, 1}} : std::vector<SlotRange>{};
    return OrphanCleanupOutcome(c.ns, v == OrphanVerdict::kDrop, deferred, slots,
                                DeferredLeases(**plan, slots))
        .exit_status();
  }

  std::string dir;
  testing::FixtureF f;
  CatalogCache cache;
};

TEST(MultiProcess, SR24_WriterBlocksLockedReadsNotLockFreeOnes) {
  PosixEnv env;
  Child p([&](Child& me) {
    LockManager locks(PosixFS());
    LeaseKeeper keeper;
    AcquisitionContext ctx(env.Options(&locks, &keeper));
    auto w = ctx.AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
    if (!w.ok()) return 1;
    me.Send('h');  // holding
    if (me.Receive() != 'g') return 2;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    w = CollectionAcquisition();  // releases after 1 s
    return 0;
  });
  ASSERT_EQ(p.Receive(), 'h');
  LockManager locks(PosixFS());
  LeaseKeeper keeper;
  AcquisitionContext q(env.Options(&locks, &keeper));
  {
    auto lf = q.AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
    ASSERT_OK(lf);
    EXPECT_TRUE(lf->lock_free());
  }
  auto locked = q.AcquireCollection(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_EQ(locked.status().code(), ErrorCode::kLockTimeout);
  EXPECT_EQ(locked.status().exit_status(), 4);
  EXPECT_EQ(Info(locked.status(), "resource"), "coll." + env.Uuid("main.titledb"));
  EXPECT_EQ(Info(locked.status(), "mode"), "IS");
  EXPECT_EQ(Info(locked.status(), "waitedMs"), "0");
  EXPECT_EQ(locks.NumLockedFiles(), 0u);
  p.Send('g');
  const auto t0 = std::chrono::steady_clock::now();
  auto waited = q.AcquireCollection(AcquisitionRequest::Ns("main.titledb").Timeout(5000));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_OK(waited);
  EXPECT_GT(secs, 0.5);
  EXPECT_LT(secs, 4.5);
  EXPECT_EQ(p.Wait(), 0);
}

TEST(MultiProcess, SR27_YieldFreesReadLocksAndKeepsWriteCollLock) {
  PosixEnv env;
  // The child tries, on request: 'w' = a titledb write (exit status byte: '1' ok, '0' timeout),
  // 'g' = the global lock exclusively.
  Child q([&](Child& me) {
    LockManager locks(PosixFS());
    LeaseKeeper keeper;
    for (;;) {
      const char c = me.Receive();
      // The answer goes out once the lock is released again.
      bool ok = false;
      if (c == 'w') {
        AcquisitionContext ctx(env.Options(&locks, &keeper));
        ok = ctx.AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write()).ok();
        me.Send(ok ? '1' : '0');
      } else if (c == 'g') {
        ok = locks
                 .Acquire(GlobalLockPath(env.f.workdir), LockMode::kExclusive,
                          LockDeadline::After(PosixFS(), 0), "X")
                 .ok();
        me.Send(ok ? '1' : '0');
      } else {
        return 0;
      }
    }
  });
  LockManager locks(PosixFS());
  LeaseKeeper keeper;
  AcquisitionContext p(env.Options(&locks, &keeper));
  {
    auto read = p.AcquireCollection(AcquisitionRequest::Ns("main.titledb"));
    ASSERT_OK(read);
    q.Send('w');
    EXPECT_EQ(q.Receive(), '0');  // the read's coll lock blocks the writer
    ASSERT_OK(p.Yield());
    q.Send('w');
    EXPECT_EQ(q.Receive(), '1');  // yielded: another process takes coll exclusive
    ASSERT_OK(p.Restore());
    EXPECT_EQ(locks.NumLockedFiles(), 3u);
    q.Send('w');
    EXPECT_EQ(q.Receive(), '0');
  }
  {
    auto write = p.AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
    ASSERT_OK(write);
    q.Send('g');
    EXPECT_EQ(q.Receive(), '0');
    ASSERT_OK(p.Yield());
    EXPECT_EQ(locks.NumLockedFiles(), 1u);
    q.Send('g');
    EXPECT_EQ(q.Receive(), '1');  // global and db are free
    q.Send('w');
    EXPECT_EQ(q.Receive(), '0');  // the coll lock is kept
    ASSERT_OK(p.Restore());
  }
  q.Send('x');
  EXPECT_EQ(q.Wait(), 0);
}

TEST(MultiProcess, SR28_LockFreeReadNeverHoldsALockAndHeartbeats) {
  PosixEnv env;
  Child q([&](Child& me) {
    LockManager locks(PosixFS());
    while (me.Receive() == 'x') {
      // Everything a catalog rewrite and a merge need is free.
      bool ok = false;
      {
        auto g = locks.Acquire(GlobalLockPath(env.f.workdir), LockMode::kExclusive,
                               LockDeadline::After(PosixFS(), 0), "X");
        auto c = locks.Acquire(CollLockPath(env.f.workdir, env.Uuid("main.titledb")),
                               LockMode::kExclusive, LockDeadline::After(PosixFS(), 0), "X");
        ok = g.ok() && c.ok();
      }
      me.Send(ok ? '1' : '0');
    }
    return 0;
  });
  LockManager locks(PosixFS());
  LeaseKeeper keeper;
  AcquisitionContext p(env.Options(&locks, &keeper));
  auto read = p.AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(read);
  LeaseStore store(PosixFS(), env.f.workdir, SystemProcessInfo());
  const int64_t first = store.Read(env.Uuid("main.titledb"), read->lease_name())->heartbeat_at;
  q.Send('x');
  EXPECT_EQ(q.Receive(), '1');
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_OK(p.Yield());
  q.Send('x');
  EXPECT_EQ(q.Receive(), '1');
  ASSERT_OK(p.Restore());
  q.Send('x');
  EXPECT_EQ(q.Receive(), '1');
  EXPECT_EQ(locks.NumLockedFiles(), 0u);
  auto lease = store.Read(env.Uuid("main.titledb"), read->lease_name());
  ASSERT_OK(lease);
  EXPECT_GT(lease->heartbeat_at, first);
  EXPECT_EQ(lease->pid, static_cast<int64_t>(getpid()));
  q.Send('q');
  EXPECT_EQ(q.Wait(), 0);
}

TEST(MultiProcess, SR37_CleanupElsewhereDefersUntilTheReadIsReleased) {
  PosixEnv env;
  // The other process: 'm' = move slot 0 to shard 1 (delay 0), then the cleanup's exit code;
  // 'c' = the cleanup's exit code.
  Child q([&](Child& me) {
    for (;;) {
      const char c = me.Receive();
      if (c == 'm') {
        if (!env.MoveSlots(0, 0, 1, 0).ok()) return 1;
        me.Send(static_cast<char>('0' + env.CleanupExit()));
      } else if (c == 'c') {
        me.Send(static_cast<char>('0' + env.CleanupExit()));
      } else {
        return 0;
      }
    }
  });
  LockManager locks(PosixFS());
  LeaseKeeper keeper;
  AcquisitionContext p(env.Options(&locks, &keeper));
  {
    auto read = p.AcquireCollectionMaybeLockFree(
        AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
    ASSERT_OK(read);
    ASSERT_OK(p.Yield());
    q.Send('m');
    EXPECT_EQ(q.Receive(60000), '4');  // deferred (leaseHeld): exit 4
    ASSERT_OK(p.Restore());
    EXPECT_TRUE((*read->ownership_filter())->Owned(0));
    // A read acquired after the move does not block.
    AcquisitionContext later(env.Options(&locks, &keeper));
    auto after = later.AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
    ASSERT_OK(after);
    q.Send('c');
    EXPECT_EQ(q.Receive(), '4');  // still only the first read's lease
  }
  q.Send('c');
  EXPECT_EQ(q.Receive(), '0');  // released: dropped
  q.Send('x');
  EXPECT_EQ(q.Wait(), 0);
}

TEST(MultiProcess, SR46_SecondWriterTimesOutFirstUnaffected) {
  PosixEnv env;
  Child a([&](Child& me) {
    LockManager locks(PosixFS());
    LeaseKeeper keeper;
    AcquisitionContext ctx(env.Options(&locks, &keeper));
    auto w = ctx.AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
    if (!w.ok()) return 1;
    me.Send('h');
    if (me.Receive() != 'x') return 2;
    // Unaffected: still usable, still holding its lock.
    if (!w->snapshot().ok()) return 3;
    return locks.HoldCount(CollLockPath(env.f.workdir, env.Uuid("main.titledb")),
                           LockMode::kExclusive) == 1
               ? 0
               : 4;
  });
  ASSERT_EQ(a.Receive(), 'h');
  LockManager locks(PosixFS());
  LeaseKeeper keeper;
  AcquisitionContext b(env.Options(&locks, &keeper));
  auto w = b.AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write().Timeout(200));
  ASSERT_EQ(w.status().code(), ErrorCode::kLockTimeout);
  EXPECT_EQ(w.status().exit_status(), 4);
  EXPECT_EQ(Info(w.status(), "mode"), "IX");
  EXPECT_GE(std::stoi(Info(w.status(), "waitedMs")), 200);
  EXPECT_EQ(locks.NumLockedFiles(), 0u);
  a.Send('x');
  EXPECT_EQ(a.Wait(), 0);
}

TEST(MultiProcess, SR48_KilledHoldersLeaseIsReaped) {
  PosixEnv env;
  const std::string uuid = env.Uuid("main.titledb");
  // A reader killed with -9 in the middle of its lock-free acquisition, lease written.
  Child reader([&](Child& me) {
    LockManager locks(PosixFS());
    LeaseKeeper keeper;
    AcquisitionContext ctx(env.Options(&locks, &keeper));
    testpoint::SetHandler([&](std::string_view name) {
      if (name == "acquire.lock_free.before_recheck") {
        me.Send('l');
        pause();  // killed here
      }
      return Status::Ok();
    });
    auto r = ctx.AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
    (void)r;
    return 1;
  });
  ASSERT_EQ(reader.Receive(), 'l');
  LeaseStore store(PosixFS(), env.f.workdir, SystemProcessInfo());
  ASSERT_EQ(store.List(uuid)->size(), 1u);
  reader.Kill9();
  EXPECT_EQ(reader.Wait(), -SIGKILL);
  // A live pid with another procStart (pid reuse), and another host's lease.
  Lease reused = NewLease(SystemProcessInfo(), store.NowSeconds());
  reused.uuid = uuid;
  reused.proc_start += 1;
  ASSERT_OK(store.Write(uuid, "reused.json", reused));
  Lease remote = reused;
  remote.host = "elsewhere";
  ASSERT_OK(store.Write(uuid, "remote.json", remote));
  Lease remote_old = remote;
  remote_old.expires_at = store.NowSeconds() - 1;
  ASSERT_OK(store.Write(uuid, "remote-old.json", remote_old));
  auto live = store.Live(uuid, /*reap=*/true);
  ASSERT_OK(live);
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].name, "remote.json");
  EXPECT_EQ(store.List(uuid)->size(), 1u);
  // The killed process held no lock: a writer gets in at once.
  LockManager locks(PosixFS());
  LeaseKeeper keeper;
  AcquisitionContext w(env.Options(&locks, &keeper));
  EXPECT_OK(w.AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write()));
}

}  // namespace
}  // namespace shardtool
