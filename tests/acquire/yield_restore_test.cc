// Yield and restore (doc/acquisition.md §7): the state machine, the restore checks and their
// QueryPlanKilled reasons, the re-checks of writes, MaybeYield. SR27-SR42 on a MemFileSystem
// (two lock tables play two processes); the real-process variants are in multi_process_test.cc.
#include <gtest/gtest.h>

#include "acquire/acquisition.h"
#include "acquire_env.h"
#include "format/file_name.h"
#include "format/hosts_conf.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Env;
using testing::Info;
using testing::Versions;

// Removes a directory tree of the memory file system.
void RemoveTree(FileSystem* fs, const std::string& dir) {
  auto entries = fs->ListDir(dir);
  ASSERT_OK(entries);
  for (const DirEntry& e : *entries) {
    const std::string p = JoinPath(dir, e.name);
    if (e.is_dir) {
      RemoveTree(fs, p);
    } else {
      ASSERT_OK(fs->RemoveFile(p));
    }
  }
  ASSERT_OK(fs->RemoveDir(dir));
}

enum class Kind { kLockedRead, kLockFreeRead, kWrite };
const char* Name(Kind k) {
  return k == Kind::kLockedRead     ? "locked read"
         : k == Kind::kLockFreeRead ? "lock-free read"
                                    : "write";
}

Result<CollectionAcquisition> AcquireAs(AcquisitionContext& ctx, AcquisitionRequest r, Kind k) {
  if (k == Kind::kWrite) return ctx.AcquireCollection(r.Write());
  if (k == Kind::kLockFreeRead) return ctx.AcquireCollectionMaybeLockFree(r);
  return ctx.AcquireCollection(r);
}

// Acquires titledb as `k` in a fresh fixture, yields, runs `change`, restores; returns the
// restore's status (and checks the context is FAILED with nothing held when it failed).
Status YieldChangeRestore(Kind k, const std::function<void(Env&)>& change,
                          const std::string& ns = "main.titledb") {
  Env env;
  auto ctx = env.p->Context();
  auto a = AcquireAs(*ctx, AcquisitionRequest::Ns(ns), k);
  EXPECT_OK(a);
  if (!a.ok()) return a.status();
  EXPECT_OK(ctx->Yield());
  change(env);
  Status s = ctx->Restore();
  if (!s.ok()) {
    EXPECT_EQ(ctx->state(), ContextState::kFailed);
    EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u) << Name(k);
    EXPECT_EQ(a->CheckUsable().code(), ErrorCode::kInternalError);
  }
  return s;
}

void ExpectKilled(const Status& s, const std::string& reason, const std::string& ns, Kind k) {
  EXPECT_EQ(s.code(), ErrorCode::kQueryPlanKilled) << Name(k) << ": " << s.ToString();
  EXPECT_EQ(s.exit_status(), 6);
  EXPECT_EQ(Info(s, "reason"), reason) << Name(k);
  EXPECT_EQ(Info(s, "ns"), ns);
}

TEST(YieldRestore, SR29_YieldedContextRefusesAcquisitions) {
  Env env;
  auto ctx = env.p->Context();
  EXPECT_EQ(ctx->state(), ContextState::kEmpty);
  EXPECT_EQ(ctx->Yield().code(), ErrorCode::kInternalError);  // nothing to yield
  auto a = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(a);
  EXPECT_EQ(ctx->state(), ContextState::kActive);
  EXPECT_EQ(ctx->Restore().code(), ErrorCode::kInternalError);  // not yielded
  ASSERT_OK(ctx->Yield());
  EXPECT_EQ(ctx->state(), ContextState::kYielded);
  auto b = ctx->AcquireCollection(AcquisitionRequest::Ns("main.posdb"));
  EXPECT_EQ(b.status().code(), ErrorCode::kInternalError);
  EXPECT_EQ(a->snapshot().status().code(), ErrorCode::kInternalError);
  EXPECT_EQ(a->ns(), "main.titledb");  // identity stays readable
  ASSERT_OK(ctx->Restore());
  EXPECT_EQ(ctx->state(), ContextState::kActive);
  EXPECT_OK(a->snapshot());
  EXPECT_OK(ctx->AcquireCollection(AcquisitionRequest::Ns("main.posdb")));
}

TEST(YieldRestore, SR30_DroppedDatabaseKillsTheJob) {
  for (Kind k : {Kind::kLockedRead, Kind::kLockFreeRead, Kind::kWrite}) {
    Status s = YieldChangeRestore(k, [](Env& env) {
      RemoveTree(&env.fs, env.f.coll_dir);
      ASSERT_OK(env.Init());
    });
    ExpectKilled(s, "dropped", "main.titledb", k);
  }
}

TEST(YieldRestore, SR31_RenamedDatabaseKillsTheJob) {
  for (Kind k : {Kind::kLockedRead, Kind::kLockFreeRead, Kind::kWrite}) {
    Status s = YieldChangeRestore(k, [](Env& env) {
      ASSERT_OK(env.fs.Rename(env.f.coll_dir, env.f.workdir + "/coll.main2.0"));
      ASSERT_OK(env.Init());
      ASSERT_NE(env.Current().FindCollection("main2.titledb"), nullptr);
    });
    ExpectKilled(s, "renamed", "main.titledb", k);
  }
}

TEST(YieldRestore, SR32_RecreatedDatabaseKillsTheJob) {
  for (Kind k : {Kind::kLockedRead, Kind::kLockFreeRead, Kind::kWrite}) {
    Status s = YieldChangeRestore(k, [](Env& env) {
      ASSERT_OK(env.fs.Rename(env.f.coll_dir, env.f.workdir + "/coll.main.1"));
      ASSERT_OK(env.Init());
    });
    ExpectKilled(s, "recreated", "main.titledb", k);
  }
}

TEST(YieldRestore, SR33_CollectionReplacedByAViewKillsTheJob) {
  for (Kind k : {Kind::kLockedRead, Kind::kLockFreeRead, Kind::kWrite}) {
    Status s = YieldChangeRestore(k, [](Env& env) {
      ASSERT_OK(env.Edit([](Catalog& c) {
        std::erase_if(c.collections,
                      [](const CollectionEntry& e) { return e.ns == "main.titledb"; });
        std::erase_if(c.range_deletions,
                      [](const RangeDeletion& r) { return r.ns == "main.titledb"; });
        ViewEntry v;
        v.ns = "main.titledb";
        v.view_on = "main.posdb";
        v.key_min = std::string(36, '0');
        v.key_max = "7" + std::string(35, 'f');
        c.views = {v};
        c.FindDatabase("main")->db_version->last_mod++;
      }));
    });
    ExpectKilled(s, "becameView", "main.titledb", k);
  }
}

TEST(YieldRestore, SR34_CreatedCollectionKillsTheJob) {
  for (Kind k : {Kind::kLockedRead, Kind::kLockFreeRead, Kind::kWrite}) {
    Status s = YieldChangeRestore(
        k,
        [](Env& env) {
          ASSERT_OK(
              testing::WriteDataFile(&env.fs, env.f.coll_dir, GetRdb(RdbId::kClusterdb), 1,
                                     testing::RandomRecords(GetRdb(RdbId::kClusterdb), 10, 5)));
          ASSERT_OK(env.Init());
        },
        "main.clusterdb");
    ExpectKilled(s, "created", "main.clusterdb", k);
  }
}

TEST(YieldRestore, SR35_ViewMustStayTheSame) {
  for (bool lock_free : {false, true}) {
    Env env;
    auto ctx = env.p->Context();
    auto req = AcquisitionRequest::Ns("main.recent").CanBeView();
    auto v = lock_free ? ctx->AcquireCollectionOrViewMaybeLockFree(req)
                       : ctx->AcquireCollectionOrView(req);
    ASSERT_TRUE(v.ok() && v->is_view());
    ASSERT_OK(ctx->Yield());
    ASSERT_OK(ctx->Restore());  // unchanged
    ASSERT_OK(ctx->Yield());
    ASSERT_OK(env.Edit([](Catalog& c) { c.views[0].key_max = "6fffffffffffffffffffffff"; }));
    Status s = ctx->Restore();
    ExpectKilled(s, "viewChanged", "main.recent", Kind::kLockedRead);
  }
}

TEST(YieldRestore, SR36_RebuildOrOlderCatalogIsEpochChanged) {
  for (Kind k : {Kind::kWrite, Kind::kLockFreeRead, Kind::kLockedRead}) {
    Status rebuilt = YieldChangeRestore(k, [](Env& env) { ASSERT_OK(env.Init(true)); });
    ExpectKilled(rebuilt, "epochChanged", "main.titledb", k);

    Env env;
    const std::string path = CatalogPath(env.f.workdir);
    const std::string old = env.fs.ReadAll(path);
    ASSERT_OK(env.MoveSlots(0, 0, 1));  // version 3: the acquisition sees it
    auto ctx = env.p->Context();
    auto a = AcquireAs(*ctx, AcquisitionRequest::Ns("main.titledb"), k);
    ASSERT_OK(a);
    ASSERT_OK(ctx->Yield());
    env.fs.WriteAll(path, old);  // version 2 copied back
    ExpectKilled(ctx->Restore(), "epochChanged", "main.titledb", k);
  }
}

TEST(YieldRestore, SR37_ReadKeepsItsFilterAcrossAMove) {
  Env env;
  auto ctx = env.p->Context();
  auto a = ctx->AcquireCollectionMaybeLockFree(
      AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
  ASSERT_OK(a);
  ASSERT_OK(ctx->Yield());
  ASSERT_OK(env.MoveSlots(0, 0, 1, /*orphan_delay=*/0));
  ASSERT_OK(ctx->Restore());
  EXPECT_TRUE((*a->ownership_filter())->Owned(0));  // the original description is kept
  EXPECT_EQ(a->catalog_version(), env.f.catalog.version);
}

// A write at G/1|0 yielded; returns the restore's status after `change`.
Status WriteYieldChangeRestore(Env& env, std::unique_ptr<AcquisitionContext>& ctx,
                               CollectionAcquisition* out, const PlacementConcern& p,
                               const std::function<void()>& change) {
  auto a = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write().With(p));
  EXPECT_OK(a);
  if (!a.ok()) return a.status();
  *out = *a;
  EXPECT_OK(ctx->Yield());
  // A yielded write keeps only its coll lock.
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 1u);
  EXPECT_EQ(env.p->locks.HoldCount(env.CollLock("main.titledb"), LockMode::kExclusive), 1);
  change();
  return ctx->Restore();
}

TEST(YieldRestore, SR38_WriteRestoreAfterMajorChangeIsStaleConfig) {
  Env env;
  auto ctx = env.p->Context();
  const ShardVersion g = env.TitleV();
  CollectionAcquisition a;
  Status s = WriteYieldChangeRestore(env, ctx, &a, Versions(env.DbV(), g),
                                     [&] { ASSERT_OK(env.MoveSlots(1, 1, 0)); });
  EXPECT_EQ(s.code(), ErrorCode::kStaleConfig) << s.ToString();
  EXPECT_EQ(Info(s, "received"), g.ToString());
  EXPECT_EQ(Info(s, "wanted"), g.generation().epoch + "/1/2|0");
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
  EXPECT_EQ(ctx->state(), ContextState::kFailed);
  EXPECT_EQ(ctx->failure().code(), ErrorCode::kStaleConfig);
}

TEST(YieldRestore, SR39_WriteRestoreAfterMinorChangeRetakesTheFilter) {
  Env env;
  auto ctx = env.p->Context();
  CollectionAcquisition a;
  Status s = WriteYieldChangeRestore(env, ctx, &a, Versions(env.DbV(), env.TitleV()),
                                     [&] { ASSERT_OK(env.MoveSlots(0, 0, 1)); });
  ASSERT_OK(s);
  EXPECT_FALSE((*a.ownership_filter())->Owned(0));
  EXPECT_TRUE((*a.ownership_filter())->Owned(2));
  EXPECT_EQ((*a.sharding())->shard_version().version(), (ChunkVersion{1, 1}));
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 3u);
}

Status Reshard3(Env& env) {
  const std::string path = env.f.workdir + "/hosts3.conf";
  env.fs.WriteAll(path, FormatHostsConf(testing::FixtureHostsConf("/cluster", 6, 1)));
  auto r = RunReshard(&env.fs, env.f.workdir, path, 900, env.AdminOpts());
  return env.Admin(std::move(r));
}

TEST(YieldRestore, SR40_WriteRestoreAfterReshardOrViewChange) {
  {
    Env env;
    auto ctx = env.p->Context();
    CollectionAcquisition a;
    Status s = WriteYieldChangeRestore(env, ctx, &a, Versions(env.DbV(), env.TitleV()),
                                       [&] { ASSERT_OK(Reshard3(env)); });
    EXPECT_EQ(s.code(), ErrorCode::kStaleConfig) << s.ToString();
  }
  {
    Env env(testing::FixtureOptions{.create_view = false});
    const DbVersion before = env.DbV();
    ASSERT_EQ(before.last_mod, 1u);
    auto ctx = env.p->Context();
    CollectionAcquisition a;
    Status s = WriteYieldChangeRestore(env, ctx, &a, Versions(before, env.TitleV()), [&] {
      ASSERT_OK(env.CreateView("main.recent", "main.titledb", "000000000000000000000000",
                               "7fffffffffffffffffffffff"));
    });
    EXPECT_EQ(s.code(), ErrorCode::kStaleDbVersion) << s.ToString();
    EXPECT_EQ(Info(s, "received"), before.uuid + "/1");
    EXPECT_EQ(Info(s, "wanted"), before.uuid + "/2");
  }
}

TEST(YieldRestore, SR41_IgnoredWriteSurvivesMovesAndReshards) {
  Env env;
  auto ctx = env.p->Context();
  CollectionAcquisition a;
  Status s = WriteYieldChangeRestore(env, ctx, &a, Versions(env.DbV(), ShardVersion::Ignored()),
                                     [&] { ASSERT_OK(env.MoveSlots(1, 1, 0)); });
  ASSERT_OK(s);
  EXPECT_TRUE((*a.ownership_filter())->Owned(1));
  ASSERT_OK(ctx->Yield());
  ASSERT_OK(Reshard3(env));
  ASSERT_OK(ctx->Restore());
  EXPECT_EQ((*a.sharding())->generation()->timestamp, 2u);
  EXPECT_TRUE((*a.ownership_filter())->Owned(3));  // slot 3 -> shard 0 of 3
}

TEST(YieldRestore, SR42_FailedContextIsFinal) {
  Env env;
  auto ctx = env.p->Context();
  {
    CollectionAcquisition a;
    Status s = WriteYieldChangeRestore(env, ctx, &a, Versions(env.DbV(), env.TitleV()),
                                       [&] { ASSERT_OK(env.MoveSlots(1, 1, 0)); });
    ASSERT_EQ(s.code(), ErrorCode::kStaleConfig);
    auto b = ctx->AcquireCollection(AcquisitionRequest::Ns("main.posdb"));
    EXPECT_EQ(b.status().code(), ErrorCode::kInternalError);
    EXPECT_EQ(ctx->Yield().code(), ErrorCode::kInternalError);
  }
  // All handles gone: still FAILED.
  EXPECT_EQ(ctx->state(), ContextState::kFailed);
  EXPECT_EQ(ctx->AcquireCollection(AcquisitionRequest::Ns("main.posdb")).status().code(),
            ErrorCode::kInternalError);
  auto fresh = env.p->Context();
  EXPECT_OK(fresh->AcquireCollection(AcquisitionRequest::Ns("main.posdb")));
}

TEST(YieldRestore, SR27_LockedReadFreesItsLocksWriteKeepsOnlyItsCollLock) {
  Env env;
  auto q = env.OtherProcess();
  auto ctx = env.p->Context();
  auto read = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(read);
  // Another process cannot write meanwhile.
  auto blocked = q->Context()->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  EXPECT_EQ(blocked.status().code(), ErrorCode::kLockTimeout);
  EXPECT_EQ(Info(blocked.status(), "mode"), "IX");
  ASSERT_OK(ctx->Yield());
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
  EXPECT_EQ(env.Leases("main.titledb").size(), 1u);  // written at the first yield
  {
    auto qctx = q->Context();
    auto w = qctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
    ASSERT_OK(w);
  }  // Q releases
  ASSERT_OK(ctx->Restore());
  EXPECT_EQ(env.p->locks.HoldCount(env.CollLock("main.titledb"), LockMode::kShared), 1);
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 3u);
  // A restore that cannot get its locks fails (LockTimeout) and the context is FAILED.
  ASSERT_OK(ctx->Yield());
  auto qctx = q->Context();
  auto w = qctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  ASSERT_OK(w);
  Status s = ctx->Restore();
  EXPECT_EQ(s.code(), ErrorCode::kLockTimeout);
  EXPECT_EQ(Info(s, "resource"), "coll." + env.Uuid("main.titledb"));
  EXPECT_EQ(ctx->state(), ContextState::kFailed);
  EXPECT_TRUE(env.Leases("main.titledb").empty());  // FAILED released its lease
}

TEST(YieldRestore, SR28_LockFreeReadYieldsWithoutLocksAndHeartbeats) {
  Env env;
  auto ctx = env.p->Context();
  auto a = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(a);
  const std::string name = a->lease_name();
  ASSERT_FALSE(name.empty());
  LeaseStore store(&env.fs, env.f.workdir, &env.p->process);
  auto before = store.Read(env.Uuid("main.titledb"), name);
  ASSERT_OK(before);
  for (int i = 0; i < 3; i++) {
    env.fs.AdvanceMicros(2000000);
    ASSERT_OK(ctx->Yield());
    EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
    ASSERT_OK(ctx->Restore());
    EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
  }
  auto after = store.Read(env.Uuid("main.titledb"), name);
  ASSERT_OK(after);
  EXPECT_EQ(after->heartbeat_at, before->heartbeat_at + 6);
  EXPECT_EQ(after->expires_at, after->heartbeat_at + kLeaseTtlSeconds);
  EXPECT_EQ(after->created_at, before->created_at);
  EXPECT_EQ(after->files, before->files);
}

TEST(YieldRestore, ReadWhoseLeaseWasReapedIsLeaseLost) {
  Env env;
  auto ctx = env.p->Context();
  auto a = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(a);
  ASSERT_OK(ctx->Yield());
  LeaseStore store(&env.fs, env.f.workdir, &env.p->process);
  ASSERT_OK(store.Remove(env.Uuid("main.titledb"), a->lease_name()));
  ExpectKilled(ctx->Restore(), "leaseLost", "main.titledb", Kind::kLockFreeRead);
}

TEST(YieldRestore, MaybeYieldEveryNRecordsOrMs) {
  Env env;
  env.p->options.yield_records = 5;
  env.p->options.yield_ms = 100;
  auto ctx = env.p->Context();
  EXPECT_OK(ctx->MaybeYield());  // EMPTY: nothing to do
  auto a = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(a);
  std::vector<std::string> seen;
  testpoint::SetHandler([&](std::string_view name) {
    seen.emplace_back(name);
    // Between the yield and the restore the locks are free.
    EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
    return Status::Ok();
  });
  for (int i = 0; i < 12; i++) ASSERT_OK(ctx->MaybeYield());
  EXPECT_EQ(ctx->yields(), 2u);
  EXPECT_EQ(seen, (std::vector<std::string>{"acquire.yielded", "acquire.yielded"}));
  EXPECT_EQ(ctx->state(), ContextState::kActive);
  // Time: 64 calls read the clock once; after 100 ms one yield.
  env.fs.AdvanceMicros(150000);
  for (int i = 0; i < 64; i++) ASSERT_OK(ctx->MaybeYield(0));
  EXPECT_EQ(ctx->yields(), 3u);
  testpoint::SetHandler(nullptr);
}

TEST(YieldRestore, MaybeYieldReportsTheFailure) {
  Env env;
  env.p->options.yield_records = 1;
  auto ctx = env.p->Context();
  auto a = ctx->AcquireCollection(
      AcquisitionRequest::Ns("main.titledb").Write().With(Versions(env.DbV(), env.TitleV())));
  ASSERT_OK(a);
  testpoint::SetHandler([&](std::string_view name) {
    if (name == "acquire.yielded") {
      testpoint::SetHandler(nullptr);
      EXPECT_OK(env.MoveSlots(1, 1, 0));
    }
    return Status::Ok();
  });
  EXPECT_EQ(ctx->MaybeYield().code(), ErrorCode::kStaleConfig);
  EXPECT_EQ(ctx->MaybeYield().code(), ErrorCode::kStaleConfig);  // FAILED: the same error
}

}  // namespace
}  // namespace shardtool
