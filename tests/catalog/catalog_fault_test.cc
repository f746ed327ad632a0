// The fault campaign of issue 8 for the catalog writer (testing/fault_sweep.h): every catalog
// change (init of a new catalog, init refreshing one, move-slots, reshard, create-view, drop-view)
// under every kind of file-system fault at spread calls of a clean run of the change. A faulted
// change fails cleanly (exit 7) or completes; either way catalog.json is afterwards the old or the
// new catalog, byte for byte and readable, never a mix; the global lock is released; the rerun of
// the change succeeds and leaves the new catalog and no temporary.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog_admin.h"
#include "catalog/catalog_store.h"
#include "catalog/state_paths.h"
#include "io/fault_file_system.h"
#include "io/lock_manager.h"
#include "io/mem_file_system.h"
#include "testing/fault_sweep.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

struct CatalogChange {
  const char* name;
  FixtureOptions fixture;
  std::function<void(MemFileSystem&, const FixtureF&)> prepare;  // after the fixture, unfaulted
  std::function<Result<AdminResult>(FileSystem*, const std::string&, const AdminOptions&)> run;
  // Running the change again once it is made changes nothing (reshard always makes a new
  // generation; drop-view of a dropped view is NamespaceNotFound).
  bool idempotent = true;
};

std::vector<CatalogChange> Changes() {
  std::vector<CatalogChange> out;
  out.push_back({"init",
                 {.init = false},
                 nullptr,
                 [](FileSystem* fs, const std::string& wd, const AdminOptions& o) {
                   return RunInit(fs, wd, InitArgs{"", 0, false}, o);
                 }});
  out.push_back({"init refresh",
                 {},
                 [](MemFileSystem& fs, const FixtureF& f) {
                   const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
                   ASSERT_OK(WriteDataFile(&fs, f.coll_dir, rdb, 1, RandomRecords(rdb, 10, 5)));
                 },
                 [](FileSystem* fs, const std::string& wd, const AdminOptions& o) {
                   return RunInit(fs, wd, InitArgs{}, o);
                 }});
  out.push_back(
      {"move-slots", {}, nullptr, [](FileSystem* fs, const std::string& wd, const AdminOptions& o) {
         return RunMoveSlots(fs, wd, {0, 99, 1, {}, 900}, o);
       }});
  out.push_back({"reshard",
                 {},
                 [](MemFileSystem& fs, const FixtureF&) {
                   fs.WriteAll("/new-hosts.conf",
                               FormatHostsConf(FixtureHostsConf("/cluster", 6, 1)));
                 },
                 [](FileSystem* fs, const std::string& wd, const AdminOptions& o) {
                   return RunReshard(fs, wd, "/new-hosts.conf", 0, o);
                 },
                 false});
  out.push_back({"create-view",
                 {.create_view = false},
                 nullptr,
                 [](FileSystem* fs, const std::string& wd, const AdminOptions& o) {
                   CreateViewRequest v;
                   v.ns = "main.recent";
                   v.view_on = "main.titledb";
                   v.key_min = "000000000000000000000000";
                   v.key_max = "7fffffffffffffffffffffff";
                   return RunCreateView(fs, wd, v, o);
                 }});
  out.push_back({"drop-view",
                 {},
                 nullptr,
                 [](FileSystem* fs, const std::string& wd, const AdminOptions& o) {
                   return RunDropView(fs, wd, "main.recent", o);
                 },
                 false});
  return out;
}

// The same UUIDs for every run of a change, so that the new catalog is one known catalog.
AdminOptions Admin(LockManager* locks) {
  AdminOptions o;
  o.uuids = CountingUuidGenerator(4242);
  o.store.locks = locks;
  return o;
}

struct ChangeSetup {
  MemFileSystem fs;
  FixtureF f;
};

void MakeSetup(const CatalogChange& ch, ChangeSetup* s) {
  auto f = CopyOfFixtureF(&s->fs, ch.fixture);
  ASSERT_OK(f);
  s->f = std::move(*f);
  if (ch.prepare) ch.prepare(s->fs, s->f);
}

// catalog.json's bytes, or nullopt when there is none.
std::optional<std::string> CatalogBytes(MemFileSystem& fs, const std::string& workdir) {
  const std::string p = CatalogPath(workdir);
  if (!fs.Exists(p)) return std::nullopt;
  return fs.ReadAll(p);
}

TEST(CatalogFaultCampaign, EveryChangeUnderEveryKindOfFaultLeavesOldOrNewAndRerunsComplete) {
  for (const CatalogChange& ch : Changes()) {
    SCOPED_TRACE(ch.name);
    // The old and the new catalog, and the calls a clean change makes.
    std::optional<std::string> old_bytes, new_bytes;
    Catalog new_catalog;
    CallCounts calls;
    {
      ChangeSetup s;
      MakeSetup(ch, &s);
      if (HasFatalFailure()) return;
      old_bytes = CatalogBytes(s.fs, s.f.workdir);
      FaultFileSystem counter(&s.fs);
      LockManager locks(&counter);
      auto r = ch.run(&counter, s.f.workdir, Admin(&locks));
      ASSERT_OK(r);
      ASSERT_TRUE(r->written);
      calls = CountCalls(counter);
      new_bytes = CatalogBytes(s.fs, s.f.workdir);
      ASSERT_TRUE(new_bytes.has_value());
      ASSERT_TRUE(old_bytes != new_bytes);
      auto loaded = CatalogStore(&s.fs, s.f.workdir).Load();
      ASSERT_OK(loaded);
      new_catalog = loaded->catalog;
      EXPECT_TRUE(r->catalog == new_catalog);
    }
    RunFaultCampaign(
        std::string("catalog ") + ch.name, calls,
        [&](const FaultKind& k, uint64_t n) {
          FaultedRun out;
          ChangeSetup s;
          MakeSetup(ch, &s);
          if (::testing::Test::HasFatalFailure()) return out;
          {
            FaultFileSystem ffs(&s.fs);
            ffs.AddRule(k.rule(n));
            LockManager locks(&ffs);
            auto r = ch.run(&ffs, s.f.workdir, Admin(&locks));
            out.injected = ffs.faults_injected();
            if (!r.ok()) {
              out.status = r.status();
            } else {
              EXPECT_TRUE(r->catalog == new_catalog) << "a completed change made another catalog";
            }
            EXPECT_EQ(locks.NumLockedFiles(), 0u) << "the global lock is still held";
          }
          // The old or the new catalog, whole.
          const std::optional<std::string> now = CatalogBytes(s.fs, s.f.workdir);
          const bool is_old = now == old_bytes, is_new = now == new_bytes;
          EXPECT_TRUE(is_old || is_new) << "catalog.json is neither the old nor the new one: "
                                        << (now ? now->substr(0, 200) : std::string("(none)"));
          if (out.status.ok()) {
            EXPECT_TRUE(is_new) << "a completed change left the old catalog";
          } else if (is_new) {
            // Failed after its rename: the error must say the change is made.
            EXPECT_NE(out.status.message().find("the change is made"), std::string::npos)
                << out.status.ToString();
          }
          if (now.has_value()) {
            auto loaded = CatalogStore(&s.fs, s.f.workdir).Load();
            EXPECT_OK(loaded);
          }
          LockManager locks(&s.fs);
          if (is_new && !out.status.ok() && !ch.idempotent) {
            // Not to be rerun (the error said so): the working dir must still take changes (here
            // one that finds nothing to do: shard 0 owns slot 0 under both placements).
            auto refresh = RunMoveSlots(&s.fs, s.f.workdir, {0, 0, 0, {}, 900}, Admin(&locks));
            EXPECT_OK(refresh);
            if (refresh.ok()) {
              EXPECT_FALSE(refresh->written);
            }
          } else {
            // The rerun completes the change (or finds it made).
            auto again = ch.run(&s.fs, s.f.workdir, Admin(&locks));
            EXPECT_OK(again);
            if (again.ok()) {
              EXPECT_TRUE(again->catalog == new_catalog) << "the rerun made another catalog";
              EXPECT_EQ(again->written, is_old);
            }
          }
          EXPECT_TRUE(CatalogBytes(s.fs, s.f.workdir) == new_bytes) << "not the new catalog";
          for (const std::string& p : s.fs.ListRecursive()) {
            EXPECT_EQ(p.find("catalog.json.tmp"), std::string::npos) << p;
          }
          EXPECT_EQ(locks.NumLockedFiles(), 0u);
          return out;
        },
        {FsOp::kOpen, FsOp::kRead, FsOp::kAppend, FsOp::kSync, FsOp::kSyncDir, FsOp::kRename});
    if (HasFatalFailure()) return;
  }
}

// Finding of the sweep: when the fsync of shardtool/ fails after the rename, the new catalog is in
// place (readers see it, and catalogVersion never goes down, so it cannot be taken back), but the
// error used to be the bare fsync error. A reshard rerun after it resharded a second time (a new
// generation again) and a drop-view rerun failed with NamespaceNotFound (exit 3). The error now
// says the change is made and is not to be rerun.
TEST(CatalogFaults, FailedDirectoryFsyncAfterTheRenameSaysTheChangeIsMade) {
  MemFileSystem fs;
  auto f = CopyOfFixtureF(&fs);
  ASSERT_OK(f);
  fs.WriteAll("/new-hosts.conf", FormatHostsConf(FixtureHostsConf("/cluster", 6, 1)));
  FaultFileSystem ffs(&fs);
  ffs.AddRule(FaultRule::Fail(FsOp::kSyncDir).OnPath("/shardtool").Always());
  LockManager locks(&ffs);
  auto r = RunReshard(&ffs, f->workdir, "/new-hosts.conf", 0, Admin(&locks));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kIOError);
  EXPECT_EQ(r.status().exit_status(), 7);
  EXPECT_NE(r.status().message().find("the change is made (catalogVersion " +
                                      std::to_string(f->catalog.version + 1) + " is in place"),
            std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("do not rerun"), std::string::npos);
  auto now = CatalogStore(&fs, f->workdir).Load();
  ASSERT_OK(now);
  EXPECT_EQ(now->catalog.version, f->catalog.version + 1);
  EXPECT_EQ(now->catalog.cluster.num_shards, 3);
  EXPECT_EQ(locks.NumLockedFiles(), 0u);
}

}  // namespace
}  // namespace shardtool::testing
