// Helpers of the acquire tests: fixture F (doc/acquisition.md §9) on a MemFileSystem, plus
// "processes" on it (each with its own lock table, process info, catalog cache and lease keeper, as
// separate processes would have), catalog changes through the catalog layer, and error info
// lookups.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "acquire/acquisition.h"
#include "catalog/catalog_admin.h"
#include "catalog/catalog_store.h"
#include "catalog/state_paths.h"
#include "io/lock_manager.h"
#include "io/mem_file_system.h"
#include "io/test_point.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {

// One simulated process on the shared file system.
// Simulated processes share the test's catalog cache: the cache is validated against the file on
// every use, so sharing it changes nothing but the number of (slow, in Debug builds) parses.
struct Proc {
  Proc(FileSystem* fs, std::string workdir, int64_t pid, CatalogCache* cache,
       std::string host = "hostA")
      : locks(fs), process(std::move(host), pid, 1000 + static_cast<uint64_t>(pid)) {
    options.fs = fs;
    options.workdir = std::move(workdir);
    options.locks = &locks;
    options.process = &process;
    options.catalogs = cache;
    options.keeper = &keeper;
    options.job = "test";
    options.heartbeat_thread = false;
    options.lease_refresh_min_ms = 0;
  }
  std::unique_ptr<AcquisitionContext> Context() {
    return std::make_unique<AcquisitionContext>(options);
  }

  LockManager locks;
  FakeProcessInfo process;
  LeaseKeeper keeper;
  ShardRoleOptions options;
};

// Fixture F on a MemFileSystem, with process P (pid 100) ready.
struct Env {
  explicit Env(FixtureOptions fo = {}) {
    auto made = CopyOfFixtureF(&fs, fo);
    EXPECT_OK(made);
    if (made.ok()) f = std::move(made).value();
    if (fo.init) Prime(f.catalog);
    p = std::make_unique<Proc>(&fs, f.workdir, 100, &cache);
    // "Other processes" of the same host are alive too.
    p->process.SetProcess(200, 1200);
  }
  ~Env() { testpoint::SetHandler(nullptr); }

  std::unique_ptr<Proc> OtherProcess(int64_t pid = 200) {
    auto q = std::make_unique<Proc>(&fs, f.workdir, pid, &cache);
    q->process.SetProcess(100, 1100);
    return q;
  }

  void Prime(const Catalog& c) {
    Status s = cache.Prime(&fs, f.workdir, c);
    EXPECT_OK(s);
  }
  // The catalog now on disk.
  std::shared_ptr<const CatalogSnapshot> Snap() {
    auto l = cache.Get(&fs, f.workdir);
    EXPECT_OK(l);
    return l.ok() ? *l : nullptr;
  }
  const Catalog& Current() {
    last_ = Snap();
    return last_->catalog();
  }
  // Runs an administration call and primes the cache with the catalog it wrote.
  Status Admin(Result<AdminResult> r) {
    if (r.ok() && r->written) Prime(r->catalog);
    return r.status();
  }
  AdminOptions AdminOpts() {
    AdminOptions o;
    o.uuids = f.uuids;
    o.store.locks = &admin_locks;
    return o;
  }
  // Catalog commands, as another process would run them.
  Status MoveSlots(int first, int last, int to_shard, int64_t orphan_delay = 900) {
    MoveSlotsRequest r;
    r.first = first;
    r.last = last;
    r.to_shard = to_shard;
    r.orphan_delay = orphan_delay;
    return Admin(RunMoveSlots(&fs, f.workdir, r, AdminOpts()));
  }
  Status Init(bool rebuild = false) {
    InitArgs a;
    a.host_id = 0;
    a.rebuild = rebuild;
    return Admin(RunInit(&fs, f.workdir, a, AdminOpts()));
  }
  Status CreateView(const std::string& ns, const std::string& on, const std::string& min,
                    const std::string& max) {
    CreateViewRequest v{ns, on, min, max};
    return Admin(RunCreateView(&fs, f.workdir, v, AdminOpts()));
  }
  // An arbitrary change of the catalog (catalogVersion + 1).
  Status Edit(const std::function<void(Catalog&)>& edit) {
    CatalogStore store(&fs, f.workdir, AdminOpts().store);
    auto u = store.Update(
        [&](const CatalogStore::Current& cur) -> Result<OpResult> {
          OpResult r;
          r.catalog = *cur.catalog;
          edit(r.catalog);
          r.catalog.version++;
          r.changed = true;
          return r;
        },
        0);
    if (u.ok()) Prime(u->catalog);
    return u.status();
  }

  // F's versions.
  DbVersion DbV() { return *Current().FindDatabase("main")->db_version; }
  ShardVersion TitleV() {
    auto s = Snap();
    return s->CurrentVersion(*s->FindCollection("main.titledb"));
  }
  ShardVersion PosV() {
    auto s = Snap();
    return s->CurrentVersion(*s->FindCollection("main.posdb"));
  }
  std::string Uuid(const std::string& ns) { return Current().FindCollection(ns)->uuid; }

  std::string GlobalLock() { return GlobalLockPath(f.workdir); }
  std::string DbLock(const std::string& db = "main") { return DbLockPath(f.workdir, db); }
  std::string CollLock(const std::string& ns) { return CollLockPath(f.workdir, Uuid(ns)); }
  std::vector<std::string> Leases(const std::string& ns) {
    std::vector<std::string> out;
    auto l = fs.ListDir(LeasesDir(f.workdir, Uuid(ns)));
    if (l.ok()) {
      for (const DirEntry& e : *l) out.push_back(e.name);
    }
    return out;
  }

  MemFileSystem fs;
  FixtureF f;
  CatalogCache cache;
  LockManager admin_locks{&fs};
  std::unique_ptr<Proc> p;
  std::shared_ptr<const CatalogSnapshot> last_;
};

// An info field of an error as text: strings as is, integers in decimal, null as "null", a
// missing field as "<missing>".
inline std::string Info(const Status& s, const std::string& name) {
  for (const ErrorInfo& i : s.info()) {
    if (i.name != name) continue;
    if (const auto* v = std::get_if<std::string>(&i.value)) return *v;
    if (const auto* n = std::get_if<int64_t>(&i.value)) return std::to_string(*n);
    return "null";
  }
  return "<missing>";
}

inline PlacementConcern Versions(std::optional<DbVersion> db, std::optional<ShardVersion> sv) {
  return PlacementConcern::Versions(std::move(db), std::move(sv));
}

// Acquires one collection, locked or lock-free.
inline Result<CollectionAcquisition> AcquireOne(AcquisitionContext& ctx,
                                                const AcquisitionRequest& r, bool lock_free) {
  return lock_free ? ctx.AcquireCollectionMaybeLockFree(r) : ctx.AcquireCollection(r);
}

inline const char* Mode(bool lock_free) { return lock_free ? "lock-free" : "locked"; }

}  // namespace shardtool::testing
