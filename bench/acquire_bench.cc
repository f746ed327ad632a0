// Acquisition benchmark (doc/acquisition.md §5-§7; doc/architecture.md §8). In one run, on a
// working dir it writes itself (database main with all 8 registry Rdbs, 2 shards, so every sharded
// collection has 8192 chunks: slot i -> shard i % 2 does not coalesce):
//   - the median of --iters acquire + release of the 8 collections, router style ({dbVersion,
//     shardVersion} current), as a lock-free read, a locked read and a write;
//   - the same lock-free read while another process holds titledb exclusively (a running merge):
//     it must not block;
//   - a 1 MiB pread from the page cache, the yardstick (target: acquire + release < 1 x);
//   - for reference: writing and removing 8 lease files (what a lock-free read must do, §6), and
//     a catalog parse (what the cache saves);
//   - cold figures: the first locked read + release in a fresh process (fork, new caches of every
//     kind: the catalog parse included), and with fresh listing and lock-file caches but the
//     catalog parse cached.
// The repeated ("warm") figures are taken 2.2 s after the last change to the working dir: the
// in-process caches (catalog stamp, dir listings, idle lock files) trust a directory's or file's
// stat only once its mtime and ctime are 2 s old (git's racy rule), as a long job's are.
//   acquire_bench [--dir D] [--iters N] [--keep] [--only write|locked|lockfree|parts]
// --only: one measurement (with its user and system time), or `parts`: the costs a locked
// acquisition is made of (catalog check, listing, stats, locks), for profiling.
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "acquire/acquisition.h"
#include "acquire/router.h"
#include "bench/bench_util.h"
#include "catalog/catalog_admin.h"
#include "catalog/state_paths.h"
#include "format/data_file_writer.h"
#include "format/file_name.h"

using namespace shardtool;
using namespace shardtool::bench;

namespace {

[[noreturn]] void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// One small data file of an Rdb the sample generator does not write.
void WriteSmallFile(const std::string& dir, const RdbInfo& rdb) {
  DataFileWriter w(PosixFS(), dir, DataName(rdb.name, 1, rdb.titledb_naming), MapName(rdb.name, 1),
                   CrcName(rdb.name, 1), rdb, DataFileWriter::Options{});
  Status s = w.Open();
  std::vector<uint8_t> key(static_cast<size_t>(rdb.key_size), 0);
  key[0] = 0x01;  // positive
  std::vector<uint8_t> data(rdb.fixed_data_size > 0 ? static_cast<size_t>(rdb.fixed_data_size)
                                                    : (rdb.variable_size() ? 16 : 0),
                            'x');
  if (s.ok()) s = w.Add(key.data(), data.data(), static_cast<uint32_t>(data.size()));
  if (s.ok()) s = w.Finish();
  if (!s.ok()) Die(s, "write small file");
}

const char* FsName(const std::string& path) {
  struct statfs st {};
  if (statfs(path.c_str(), &st) != 0) return "?";
  switch (st.f_type) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    default:
      return "other";
  }
}

struct Stats {
  double median_us, p90_us;
};

Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2] * 1e6, v[v.size() * 9 / 10] * 1e6};
}

enum class Mode { kLockFree, kLocked, kWrite };

Stats MeasureAcquire(const ShardRoleOptions& o, const std::vector<AcquisitionRequest>& base,
                     Mode mode, int iters) {
  std::vector<AcquisitionRequest> reqs = base;
  for (auto& r : reqs)
    r.operation = mode == Mode::kWrite ? OperationType::kWrite : OperationType::kRead;
  AcquisitionContext ctx(o);
  std::vector<double> t;
  t.reserve(static_cast<size_t>(iters));
  for (int i = 0; i < iters + iters / 10; i++) {
    const double t0 = Now();
    {
      auto r = mode == Mode::kLockFree ? ctx.AcquireCollectionsMaybeLockFree(reqs)
                                       : ctx.AcquireCollections(reqs);
      if (!r.ok()) Die(r.status(), "acquire");
      if (mode == Mode::kLockFree && !(*r)[0].lock_free()) Die(InternalErrorStatus("locked"), "lf");
    }                                              // release
    if (i >= iters / 10) t.push_back(Now() - t0);  // the first tenth warms up
  }
  return Summarise(std::move(t));
}

// Cold: the first locked read + release with fresh in-process caches (directory listings, idle
// lock files), the catalog parse already cached (`catalogs`), each time with new caches.
Stats MeasureColdCaches(const ShardRoleOptions& base, const std::vector<AcquisitionRequest>& reqs,
                        int iters) {
  std::vector<double> t;
  for (int i = 0; i < iters; i++) {
    DirCache dirs;
    LockManager locks(PosixFS());
    ShardRoleOptions o = base;
    o.dirs = &dirs;
    o.locks = &locks;
    AcquisitionContext ctx(o);
    const double t0 = Now();
    {
      auto r = ctx.AcquireCollections(reqs);
      if (!r.ok()) Die(r.status(), "acquire");
    }
    t.push_back(Now() - t0);
  }
  return Summarise(std::move(t));
}

// Cold in a fresh process (fork, then new caches of every kind, as after exec): the first locked
// read + release, catalog parse included; median over `runs` processes, in microseconds.
Stats MeasureColdProcess(const ShardRoleOptions& base, const std::vector<AcquisitionRequest>& reqs,
                         int runs) {
  std::vector<double> t;
  for (int i = 0; i < runs; i++) {
    int fd[2];
    if (pipe(fd) != 0) std::abort();
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      CatalogCache catalogs;
      DirCache dirs;
      LockManager locks(PosixFS());
      ShardRoleOptions o = base;
      o.catalogs = &catalogs;
      o.dirs = &dirs;
      o.locks = &locks;
      AcquisitionContext ctx(o);
      const double t0 = Now();
      {
        auto r = ctx.AcquireCollections(reqs);
        if (!r.ok()) _exit(1);
      }
      const double dt = Now() - t0;
      _exit(write(fd[1], &dt, sizeof(dt)) == sizeof(dt) ? 0 : 1);
    }
    close(fd[1]);
    double dt = 0;
    if (read(fd[0], &dt, sizeof(dt)) != sizeof(dt)) Die(InternalErrorStatus("child"), "cold");
    close(fd[0]);
    waitpid(pid, nullptr, 0);
    t.push_back(dt);
  }
  return Summarise(std::move(t));
}

Stats MeasurePread(const std::string& path, int iters) {
  std::vector<uint8_t> buf(1 << 20);
  auto f = PosixFS()->OpenForRead(path);
  if (!f.ok()) Die(f.status(), "open");
  std::vector<double> t;
  uint64_t sink = 0;
  for (int i = 0; i < iters + 10; i++) {
    size_t got = 0;
    const double t0 = Now();
    if (!(*f)->Read(0, buf.size(), buf.data(), &got).ok() || got != buf.size()) std::abort();
    const double dt = Now() - t0;
    sink += buf[static_cast<size_t>(i) % buf.size()];
    if (i >= 10) t.push_back(dt);
  }
  if (sink == 42) std::puts("");
  return Summarise(std::move(t));
}

// 8 leases written (temp + rename) and removed, as a lock-free read of 8 collections does, each
// with `owned` as its ownedSlots (nullptr: "all").
Stats MeasureLeases(const std::string& workdir, const std::vector<std::string>& uuids,
                    SlotListPtr owned, int iters) {
  LeaseStore store(PosixFS(), workdir, SystemProcessInfo());
  Lease l = NewLease(SystemProcessInfo(), store.NowSeconds());
  l.files = {"titledb0001-000.dat"};
  l.owned_slots = std::move(owned);
  std::vector<double> t;
  for (int i = 0; i < iters; i++) {
    std::vector<std::string> names;
    const double t0 = Now();
    for (const std::string& u : uuids) {
      names.push_back(store.NewName());
      if (!store.Write(u, names.back(), l).ok()) std::abort();
    }
    for (size_t k = 0; k < uuids.size(); k++) store.Remove(uuids[k], names[k]).IgnoreError();
    t.push_back(Now() - t0);
  }
  return Summarise(std::move(t));
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/shardtool-acquire-bench";
  int iters = 2000;
  bool keep = false;
  std::string only;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--dir") {
      dir = next();
    } else if (a == "--iters") {
      iters = std::max(10, std::stoi(next()));
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--only") {
      only = next();
    } else {
      std::fprintf(stderr,
                   "usage: acquire_bench [--dir D] [--iters N] [--keep] "
                   "[--only write|locked|lockfree|parts]\n");
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  // The working dir: 2 shards x 1 host; host0 gets the 4 generated Rdbs and 4 more.
  gen::GenOptions g;
  g.out = dir;
  g.shards = 2;
  g.mirrors = 0;
  g.docs = 200;
  g.files = 1;
  g.negatives = 0;
  g.page_variety = 16;
  gen::GenReport rep;
  if (Status s = gen::GenerateCluster(PosixFS(), g, &rep); !s.ok()) Die(s, "generate");
  const std::string workdir = dir + "/host0";
  const std::string coll = workdir + "/coll.main.0";
  for (RdbId id : {RdbId::kLinkdb, RdbId::kTagdb, RdbId::kSpiderdb, RdbId::kDoledb}) {
    WriteSmallFile(coll, GetRdb(id));
  }
  AdminOptions admin;
  InitArgs init;
  init.hosts_path = dir + "/hosts.conf";
  init.host_id = 0;
  auto made = RunInit(PosixFS(), workdir, init, admin);
  if (!made.ok()) Die(made.status(), "init");
  const Catalog& catalog = made->catalog;
  std::vector<std::string> namespaces, uuids;
  size_t chunks = 0;
  for (const CollectionEntry& c : catalog.collections) {
    namespaces.push_back(c.ns);
    uuids.push_back(c.uuid);
    chunks += c.chunks.size();
  }
  if (namespaces.size() != 8) Die(InternalErrorStatus("want 8 collections"), "init");
  // A 1 MiB file on the same file system, in the page cache.
  const std::string mib = dir + "/one_mib";
  {
    auto f = PosixFS()->OpenForWrite(mib, WriteMode::kTruncate);
    if (!f.ok() || !(*f)->Append(std::string(1 << 20, 'x')).ok() || !(*f)->Close().ok()) {
      Die(InternalErrorStatus("write"), "1 MiB file");
    }
  }

  // Catalog parse (what the cache saves), then the router's requests from the cached catalog.
  CatalogCache cache;
  const double p0 = Now();
  auto snap = cache.Get(PosixFS(), workdir);
  const double parse_ms = (Now() - p0) * 1e3;
  if (!snap.ok()) Die(snap.status(), "catalog");
  // The same text through the JSON document for every chunk (no SAX fast path), for comparison.
  double slow_ms = 0;
  {
    std::ifstream in(workdir + "/shardtool/catalog.json", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const double s0 = Now();
    if (!ParseCatalogSlowForTest(text.str(), "catalog.json").ok())
      Die(InternalErrorStatus("slow"), "catalog");
    slow_ms = (Now() - s0) * 1e3;
  }
  CommandAcquireRequest creq;
  creq.namespaces = namespaces;
  auto reqs = BuildCommandRequests(**snap, creq);
  if (!reqs.ok()) Die(reqs.status(), "requests");
  ShardRoleOptions o;
  o.fs = PosixFS();
  o.workdir = workdir;
  o.catalogs = &cache;
  o.job = "bench";

  if (only == "parts") {
    {
      AcquisitionContext warm(o);
      (void)warm.AcquireCollections(*reqs);  // creates the lock files
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));  // settled (see below)
    auto time = [&](const char* what, const std::function<void()>& fn) {
      std::vector<double> t;
      for (int i = 0; i < iters; i++) {
        const double t0 = Now();
        fn();
        t.push_back(Now() - t0);
      }
      std::printf("%-30s %.2f us\n", what, Summarise(t).median_us);
    };
    const DatabaseEntry& db = *(*snap)->FindDatabase("main");
    std::vector<const CollectionEntry*> colls;
    for (const auto& c : (*snap)->catalog().collections) colls.push_back(&c);
    time("catalog Get", [&] { (void)cache.Get(PosixFS(), workdir); });
    time("ListCommittedSets", [&] { (void)ListCommittedSets(PosixFS(), workdir, db, colls); });
    time("ListDir coll", [&] { (void)PosixFS()->ListDir(coll); });
    time("ListJournal", [&] { (void)ListJournal(PosixFS(), workdir); });
    time("8 stats of a data file", [&] {
      for (int k = 0; k < 8; k++) (void)PosixFS()->Stat(coll + "/posdb0001.dat");
    });
    LockManager lm(PosixFS());
    time("10 lock files locked, freed", [&] {
      std::vector<LockHandle> hs;
      for (const auto& c : colls) {
        hs.push_back((lm.Acquire(CollLockPath(workdir, c->uuid), LockMode::kShared,
                                 LockDeadline::After(PosixFS(), 0)))
                         .value());
      }
      hs.push_back((lm.Acquire(GlobalLockPath(workdir), LockMode::kShared,
                               LockDeadline::After(PosixFS(), 0)))
                       .value());
      hs.push_back((lm.Acquire(DbLockPath(workdir, "main"), LockMode::kShared,
                               LockDeadline::After(PosixFS(), 0)))
                       .value());
    });
    DirCache dirs;
    time("ListCommittedSets, cached",
         [&] { (void)ListCommittedSets(PosixFS(), workdir, db, colls, &dirs, true); });
    time("10 lock files, idle files reused", [&] {
      lm.RevalidateIdle(DirName(GlobalLockPath(workdir)));
      std::vector<LockHandle> hs;
      for (const auto& c : colls) {
        hs.push_back((lm.Acquire(CollLockPath(workdir, c->uuid), LockMode::kShared,
                                 LockDeadline::After(PosixFS(), 0)))
                         .value());
      }
      hs.push_back((lm.Acquire(GlobalLockPath(workdir), LockMode::kShared,
                               LockDeadline::After(PosixFS(), 0)))
                       .value());
      hs.push_back((lm.Acquire(DbLockPath(workdir, "main"), LockMode::kShared,
                               LockDeadline::After(PosixFS(), 0)))
                       .value());
    });
    AcquisitionContext actx(o);
    time("full locked read", [&] { (void)actx.AcquireCollections(*reqs); });
    time("pread 1 MiB", [&] {
      static std::vector<uint8_t> buf(1 << 20);
      auto f = PosixFS()->OpenForRead(mib);
      size_t got;
      (void)(*f)->Read(0, buf.size(), buf.data(), &got);
    });
    time("ParseRequest x8", [&] {
      for (const auto& r : *reqs) (void)ParseRequest(r);
    });
    if (!keep) std::filesystem::remove_all(dir);
    return 0;
  }
  if (!only.empty()) {
    const Mode m = only == "write"    ? Mode::kWrite
                   : only == "locked" ? Mode::kLocked
                                      : Mode::kLockFree;
    std::fprintf(stderr, "--- %s\n", only.c_str());
    MeasureAcquire(o, *reqs, Mode::kLocked, 10);  // lock files made; then settled (see below)
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));
    rusage r0{}, r1{};
    getrusage(RUSAGE_SELF, &r0);
    const Stats s = MeasureAcquire(o, *reqs, m, iters);
    getrusage(RUSAGE_SELF, &r1);
    auto us = [](const timeval& a, const timeval& b) {
      return (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_usec - a.tv_usec);
    };
    const double n = iters + iters / 10;
    std::printf("%s: median %.1f us (user %.1f us, system %.1f us per acquire+release)\n",
                only.c_str(), s.median_us, us(r0.ru_utime, r1.ru_utime) / n,
                us(r0.ru_stime, r1.ru_stime) / n);
    if (!keep) std::filesystem::remove_all(dir);
    return 0;
  }
  // The lock files exist after a first acquisition; a long job's directories were last changed
  // long ago. The in-process caches trust a directory's stat only once its mtime and ctime are
  // 2 s old (git's racy rule), so the warm figures are taken after that.
  for (Mode m : {Mode::kWrite, Mode::kLocked}) MeasureAcquire(o, *reqs, m, 10);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  std::printf(
      "acquire benchmark: %s (%s), 8 collections of one database, %zu chunks in all, "
      "median of %d\n",
      dir.c_str(), FsName(dir), chunks, iters);
  std::printf(
      "catalog.json: %llu bytes, one parse %.1f ms (cached afterwards; %.1f ms without the "
      "chunk fast path)\n",
      static_cast<unsigned long long>((*snap)->stat().size), parse_ms, slow_ms);
  const Stats yard = MeasurePread(mib, iters);
  std::printf("%-44s %9s %9s %8s\n", "", "median us", "p90 us", "x 1 MiB");
  std::printf("%-44s %9.1f %9.1f %8.2f\n", "pread 1 MiB (page cache)", yard.median_us, yard.p90_us,
              1.0);
  auto line = [&](const char* what, Stats s) {
    std::printf("%-44s %9.1f %9.1f %8.2f\n", what, s.median_us, s.p90_us,
                s.median_us / yard.median_us);
    std::fflush(stdout);
  };
  line("cold: fresh process, locked read (+ parse)", MeasureColdProcess(o, *reqs, 15));
  line("cold: fresh caches, locked read", MeasureColdCaches(o, *reqs, std::max(10, iters / 10)));
  std::printf("warm (repeated in one process):\n");
  line("acquire+release 8, write", MeasureAcquire(o, *reqs, Mode::kWrite, iters));
  line("acquire+release 8, locked read", MeasureAcquire(o, *reqs, Mode::kLocked, iters));
  line("acquire+release 8, lock-free read", MeasureAcquire(o, *reqs, Mode::kLockFree, iters));

  // A merge running: another process holds titledb exclusively.
  int ready[2], done[2];
  if (pipe(ready) != 0 || pipe(done) != 0) std::abort();
  std::fflush(stdout);
  const pid_t merge = fork();
  if (merge == 0) {
    LockManager locks(PosixFS());
    auto held = locks.Acquire(CollLockPath(workdir, (*snap)->FindCollection("main.titledb")->uuid),
                              LockMode::kExclusive, LockDeadline::After(PosixFS(), 0), "X");
    char c = held.ok() ? '1' : '0';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    if (read(done[0], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  char c = 0;
  if (read(ready[0], &c, 1) != 1 || c != '1') Die(InternalErrorStatus("merge stand-in"), "fork");
  line("  same, another process holding titledb X",
       MeasureAcquire(o, *reqs, Mode::kLockFree, iters));
  if (write(done[1], &c, 1) != 1) std::abort();
  waitpid(merge, nullptr, 0);

  line("8 lease files written + removed, ownedSlots all",
       MeasureLeases(workdir, uuids, nullptr, std::min(iters, 500)));
  auto owned = (*snap)->OwnedSlots(*(*snap)->FindCollection("main.titledb"));
  char what[80];
  std::snprintf(what, sizeof(what), "  same, ownedSlots of %zu runs (%zu KiB)",
                owned->ranges().size(), owned->json().size() / 1024);
  line(what, MeasureLeases(workdir, uuids, owned, std::min(iters, 500)));
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
