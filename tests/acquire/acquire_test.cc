// Acquisition requests against fixture F (doc/acquisition.md §3, §4, §5): SR1-SR23 through the
// library API, on a MemFileSystem. "Both" scenarios run the locked and the lock-free variant.
#include <gtest/gtest.h>

#include "acquire/acquisition.h"
#include "acquire_env.h"
#include "io/fault_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::AcquireOne;
using testing::Env;
using testing::Info;
using testing::Mode;
using testing::Versions;

TEST(Acquire, SR01_BadNamespacesAreInvalidNamespace) {
  Env env;
  auto ctx = env.p->Context();
  const std::string uuid = env.Uuid("main.titledb");
  std::vector<AcquisitionRequest> bad = {
      AcquisitionRequest::Ns("main."), AcquisitionRequest::Ns(".titledb"),
      AcquisitionRequest::Ns("ma in.titledb"), AcquisitionRequest::ByUuid("", uuid),
      AcquisitionRequest::ByUuid("main", "xyz")};
  for (bool lf : {false, true}) {
    for (const AcquisitionRequest& r : bad) {
      auto a = AcquireOne(*ctx, r, lf);
      ASSERT_FALSE(a.ok()) << r.Describe();
      EXPECT_EQ(a.status().code(), ErrorCode::kInvalidNamespace) << Mode(lf) << r.Describe();
      EXPECT_EQ(a.status().exit_status(), 2);
      EXPECT_EQ(Info(a.status(), "input"), r.Describe());
    }
  }
  // Before any lock: nothing was ever locked.
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
}

TEST(Acquire, SR02_LockedReadOfUnshardedHoldsSharedLocksLockFreeNone) {
  Env env;
  auto ctx = env.p->Context();
  auto r =
      AcquisitionRequest::Ns("main.doledb").With(Versions(env.DbV(), ShardVersion::Untracked()));
  {
    auto a = ctx->AcquireCollection(r);
    ASSERT_OK(a);
    EXPECT_TRUE(a->exists());
    EXPECT_FALSE((*a->sharding())->is_sharded());
    EXPECT_EQ(env.p->locks.HoldCount(env.GlobalLock(), LockMode::kShared), 1);
    EXPECT_EQ(env.p->locks.HoldCount(env.DbLock(), LockMode::kShared), 1);
    EXPECT_EQ(env.p->locks.HoldCount(env.CollLock("main.doledb"), LockMode::kShared), 1);
    EXPECT_FALSE(env.p->locks.HoldsAnyExclusive());
    EXPECT_EQ(ctx->state(), ContextState::kActive);
  }
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
  EXPECT_EQ(ctx->state(), ContextState::kEmpty);
  {
    auto a = ctx->AcquireCollectionMaybeLockFree(r);
    ASSERT_OK(a);
    EXPECT_TRUE(a->lock_free());
    EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
    EXPECT_EQ((*a->snapshot())->files.size(), 1u);
  }
}

TEST(Acquire, SR03_WrongDbVersionIsStaleDbVersion) {
  Env env;
  auto ctx = env.p->Context();
  DbVersion wrong = env.DbV();
  wrong.last_mod = 9;
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.doledb").With(Versions(wrong, {})), lf);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kStaleDbVersion) << Mode(lf);
    EXPECT_EQ(a.status().exit_status(), 5);
    EXPECT_EQ(Info(a.status(), "db"), "main");
    EXPECT_EQ(Info(a.status(), "received"), env.DbV().uuid + "/9");
    EXPECT_EQ(Info(a.status(), "wanted"), env.DbV().ToString());
  }
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
}

TEST(Acquire, SR04_NullDbVersionIsStaleWantedNull) {
  Env env;
  const DbVersion old = env.DbV();
  ASSERT_OK(env.Edit([](Catalog& c) { c.FindDatabase("main")->db_version.reset(); }));
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb").With(Versions(old, {})), lf);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kStaleDbVersion);
    EXPECT_EQ(Info(a.status(), "wanted"), "null");
    auto b = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb"), lf);
    EXPECT_OK(b);
  }
}

TEST(Acquire, SR05_UnversionedIsUnshardedWithoutFilter) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    for (const char* ns : {"main.titledb", "main.doledb"}) {
      auto a = AcquireOne(*ctx, AcquisitionRequest::Ns(ns), lf);
      ASSERT_OK(a);
      EXPECT_FALSE((*a->sharding())->is_sharded()) << ns;
      auto filter = a->ownership_filter();
      EXPECT_EQ(filter.status().code(), ErrorCode::kInternalError) << ns << " " << Mode(lf);
      EXPECT_EQ(filter.status().exit_status(), 70);
    }
  }
}

TEST(Acquire, SR06_VersionedTitledbIsShardedWithFilter) {
  Env env;
  auto ctx = env.p->Context();
  auto r = AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV()));
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, r, lf);
    ASSERT_OK(a);
    const ShardingDescription* d = *a->sharding();
    EXPECT_TRUE(d->is_sharded());
    EXPECT_EQ(d->shard_version(), env.TitleV());
    EXPECT_EQ(d->chunks().size(), 8192u);  // slot i -> shard i % 2 does not coalesce
    const OwnershipFilter* f = *a->ownership_filter();
    EXPECT_TRUE(f->Owned(0));
    EXPECT_FALSE(f->Owned(1));
    EXPECT_TRUE(f->IsRangeEntirelyOwned(0, 1));
    EXPECT_FALSE(f->IsRangeEntirelyOwned(0, 2));
    EXPECT_EQ(a->catalog_epoch(), env.f.catalog.epoch);
    EXPECT_EQ(a->catalog_version(), env.f.catalog.version);
    EXPECT_EQ(*a->uuid(), env.Uuid("main.titledb"));
    // The local snapshot: titledb 0001 and 0003, sorted, with parts.
    const LocalSnapshot* s = *a->snapshot();
    ASSERT_EQ(s->files.size(), 2u);
    EXPECT_EQ(s->files[0].name, "titledb0001-000.dat");
    EXPECT_EQ(s->files[1].name, "titledb0003-000.dat");
    EXPECT_EQ(s->files[0].parts.size(), 1u);
    EXPECT_GT(s->total_size(), 0u);
    auto part = a->OpenPart("titledb0001-000.dat");
    ASSERT_OK(part);
    EXPECT_EQ(*(*part)->Size(), s->files[0].total_size);
  }
}

TEST(Acquire, SR07_UntrackedAgainstShardedIsStaleConfig) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto a = AcquireOne(
        *ctx,
        AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), ShardVersion::Untracked())),
        lf);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kStaleConfig);
    EXPECT_EQ(Info(a.status(), "ns"), "main.titledb");
    EXPECT_EQ(Info(a.status(), "received"), "UNTRACKED");
    EXPECT_EQ(Info(a.status(), "wanted"), env.TitleV().ToString());
    EXPECT_EQ(Info(a.status(), "shardId"), "0");
  }
}

TEST(Acquire, SR08_UnknownPlacementIsStaleConfigWantedNull) {
  Env env;
  const ShardVersion g = env.TitleV();
  ASSERT_OK(env.Edit([](Catalog& c) { c.FindCollection("main.titledb")->generation.reset(); }));
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    for (const ShardVersion& sv : {g, ShardVersion::Ignored()}) {
      auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb").With(Versions({}, sv)), lf);
      ASSERT_FALSE(a.ok()) << sv.ToString();
      EXPECT_EQ(a.status().code(), ErrorCode::kStaleConfig);
      EXPECT_EQ(Info(a.status(), "wanted"), "null");
      EXPECT_EQ(Info(a.status(), "received"), sv.ToString());
    }
    auto b = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb"), lf);
    EXPECT_OK(b);
  }
}

TEST(Acquire, SR09_MinorDifferencesPassOthersAreStale) {
  Env env;
  const ShardVersion g = env.TitleV();
  ASSERT_OK(env.MoveSlots(0, 0, 1));
  ASSERT_EQ(env.TitleV().version(), (ChunkVersion{1, 1}));
  auto ctx = env.p->Context();
  auto with = [&](CollectionGeneration gen, ChunkVersion v) {
    return AcquisitionRequest::Ns("main.titledb")
        .With(Versions(env.DbV(), ShardVersion::Versioned(std::move(gen), v)));
  };
  for (bool lf : {false, true}) {
    EXPECT_OK(AcquireOne(*ctx, with(g.generation(), {1, 0}), lf));
    EXPECT_OK(AcquireOne(*ctx, with(g.generation(), {1, 7}), lf));
    CollectionGeneration other_epoch = g.generation();
    other_epoch.epoch = env.Uuid("main.posdb");
    CollectionGeneration other_ts = g.generation();
    other_ts.timestamp = 2;
    for (auto [gen, v] :
         {std::pair{g.generation(), ChunkVersion{2, 0}}, std::pair{other_epoch, ChunkVersion{1, 0}},
          std::pair{other_ts, ChunkVersion{1, 0}}}) {
      auto a = AcquireOne(*ctx, with(gen, v), lf);
      ASSERT_FALSE(a.ok());
      EXPECT_EQ(a.status().code(), ErrorCode::kStaleConfig);
      EXPECT_EQ(Info(a.status(), "wanted"), env.TitleV().ToString());
    }
  }
}

TEST(Acquire, SR10_ShardOwningNothingIsUntracked) {
  Env env;
  const ShardVersion g = env.TitleV();
  ASSERT_OK(env.MoveSlots(0, 8191, 1));
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb").With(Versions({}, g)), lf);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kStaleConfig);
    EXPECT_EQ(Info(a.status(), "wanted"), "UNTRACKED");
    auto b = AcquireOne(
        *ctx, AcquisitionRequest::Ns("main.titledb").With(Versions({}, ShardVersion::Untracked())),
        lf);
    ASSERT_OK(b);
    EXPECT_TRUE((*b->sharding())->is_sharded());
    EXPECT_EQ((*b->ownership_filter())->NumOwned(), 0);
  }
}

TEST(Acquire, SR11_AbsentCollectionIsASuccessWithoutLockOrLease) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.nosuch"), lf);
    ASSERT_OK(a);
    EXPECT_FALSE(a->exists());
    EXPECT_EQ(a->ns(), "main.nosuch");
    EXPECT_FALSE((*a->sharding())->is_sharded());
    EXPECT_EQ(a->uuid().status().code(), ErrorCode::kInternalError);
    EXPECT_EQ(a->lease_name(), "");
    EXPECT_TRUE((*a->snapshot())->files.empty());
    // Only global and db (locked), nothing (lock-free); no lease directory at all.
    EXPECT_EQ(env.p->locks.NumLockedFiles(), lf ? 0u : 2u);
    EXPECT_FALSE(env.fs.Exists(env.f.workdir + "/shardtool/leases"));
  }
}

TEST(Acquire, SR12_AbsentCollectionPlacementChecks) {
  Env env;
  auto ctx = env.p->Context();
  DbVersion wrong = env.DbV();
  wrong.last_mod++;
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.nosuch").With(Versions(wrong, {})), lf);
    EXPECT_EQ(a.status().code(), ErrorCode::kStaleDbVersion);
    auto b = AcquireOne(
        *ctx, AcquisitionRequest::Ns("main.nosuch").With(Versions(env.DbV(), env.TitleV())), lf);
    EXPECT_EQ(b.status().code(), ErrorCode::kStaleConfig);
    EXPECT_EQ(Info(b.status(), "wanted"), "UNTRACKED");
    auto c = AcquireOne(
        *ctx,
        AcquisitionRequest::Ns("main.nosuch").With(Versions(env.DbV(), ShardVersion::Untracked())),
        lf);
    ASSERT_OK(c);
    EXPECT_FALSE(c->exists());
  }
}

TEST(Acquire, SR13_ViewWithMustBeCollectionIsNotSupported) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.recent"), lf);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kCommandNotSupportedOnView);
    EXPECT_EQ(a.status().exit_status(), 3);
    EXPECT_EQ(Info(a.status(), "ns"), "main.recent");
  }
}

TEST(Acquire, SR14_CanBeViewGivesTheViewOrTheCollection) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto req = AcquisitionRequest::Ns("main.recent").CanBeView();
    auto v =
        lf ? ctx->AcquireCollectionOrViewMaybeLockFree(req) : ctx->AcquireCollectionOrView(req);
    ASSERT_OK(v);
    ASSERT_TRUE(v->is_view());
    EXPECT_EQ(v->view().ns(), "main.recent");
    EXPECT_EQ(v->view().view_on(), "main.titledb");
    EXPECT_EQ(v->view().key_min(), "000000000000000000000000");
    EXPECT_EQ(v->view().key_max(), "7fffffffffffffffffffffff");
    auto req2 = AcquisitionRequest::Ns("main.titledb").CanBeView();
    auto c =
        lf ? ctx->AcquireCollectionOrViewMaybeLockFree(req2) : ctx->AcquireCollectionOrView(req2);
    ASSERT_OK(c);
    EXPECT_FALSE(c->is_view());
    EXPECT_TRUE(c->collection().exists());
  }
  // A view through the collection-only API is API misuse.
  auto bad = ctx->AcquireCollection(AcquisitionRequest::Ns("main.recent").CanBeView());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInternalError);
}

TEST(Acquire, SR15_ByUuid) {
  Env env;
  auto ctx = env.p->Context();
  const std::string uuid = env.Uuid("main.titledb");
  std::string upper = uuid;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx, AcquisitionRequest::ByUuid("main", upper), lf);
    ASSERT_OK(a);
    EXPECT_EQ(a->ns(), "main.titledb");
    EXPECT_EQ(*a->uuid(), uuid);
    for (const AcquisitionRequest& r :
         {AcquisitionRequest::ByUuid("other", uuid),
          AcquisitionRequest::ByUuid("main", "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab")}) {
      auto b = AcquireOne(*ctx, r, lf);
      ASSERT_FALSE(b.ok());
      EXPECT_EQ(b.status().code(), ErrorCode::kNamespaceNotFound) << r.Describe();
      EXPECT_EQ(Info(b.status(), "db"), std::get<DbAndUuid>(r.nss).db);
      EXPECT_EQ(b.status().exit_status(), 3);
    }
  }
}

TEST(Acquire, SR16_ByUuidTakesOnlyUntracked) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto a = AcquireOne(*ctx,
                        AcquisitionRequest::ByUuid("main", env.Uuid("main.titledb"))
                            .With(Versions(env.DbV(), env.TitleV())),
                        lf);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kIncompatibleShardingMetadata);
    EXPECT_EQ(Info(a.status(), "ns"), "main.titledb");
    EXPECT_EQ(Info(a.status(), "uuid"), env.Uuid("main.titledb"));
    EXPECT_EQ(Info(a.status(), "db"), "main");
    auto b = AcquireOne(*ctx,
                        AcquisitionRequest::ByUuid("main", env.Uuid("main.doledb"))
                            .With(Versions(env.DbV(), ShardVersion::Untracked())),
                        lf);
    EXPECT_OK(b);
  }
}

TEST(Acquire, SR17_NewRdbExistsOnlyAfterInit) {
  Env env;
  ASSERT_OK(testing::WriteDataFile(&env.fs, env.f.coll_dir, GetRdb(RdbId::kClusterdb), 1,
                                   testing::RandomRecords(GetRdb(RdbId::kClusterdb), 10, 5)));
  auto ctx = env.p->Context();
  const uint64_t last_mod = env.DbV().last_mod;
  {
    auto a = ctx->AcquireCollection(AcquisitionRequest::Ns("main.clusterdb"));
    ASSERT_OK(a);
    EXPECT_FALSE(a->exists());
  }
  ASSERT_OK(env.Init());
  auto a = ctx->AcquireCollection(AcquisitionRequest::Ns("main.clusterdb"));
  ASSERT_OK(a);
  EXPECT_TRUE(a->exists());
  EXPECT_TRUE(IsUuidV4(*a->uuid()));
  EXPECT_EQ(env.DbV().last_mod, last_mod + 1);
  EXPECT_EQ((*a->snapshot())->files.size(), 1u);
}

TEST(Acquire, SR18_ExpectedUuid) {
  Env env;
  auto ctx = env.p->Context();
  const std::string own = env.Uuid("main.titledb"), posdb = env.Uuid("main.posdb");
  const std::string unknown = "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab";
  for (bool lf : {false, true}) {
    EXPECT_OK(AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb").ExpectUuid(own), lf));
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb").ExpectUuid(posdb), lf);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kCollectionUUIDMismatch);
    EXPECT_EQ(Info(a.status(), "db"), "main");
    EXPECT_EQ(Info(a.status(), "collectionUUID"), posdb);
    EXPECT_EQ(Info(a.status(), "expectedCollection"), "titledb");
    EXPECT_EQ(Info(a.status(), "actualCollection"), "posdb");
    auto b = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb").ExpectUuid(unknown), lf);
    EXPECT_EQ(b.status().code(), ErrorCode::kCollectionUUIDMismatch);
    EXPECT_EQ(Info(b.status(), "actualCollection"), "null");
    // Absent name.
    auto c = AcquireOne(*ctx, AcquisitionRequest::Ns("main.nosuch").ExpectUuid(own), lf);
    EXPECT_EQ(c.status().code(), ErrorCode::kCollectionUUIDMismatch);
    EXPECT_EQ(Info(c.status(), "actualCollection"), "titledb");
  }
}

TEST(Acquire, SR19_ViewWithExpectedUuidIsMismatch) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    auto req =
        AcquisitionRequest::Ns("main.recent").CanBeView().ExpectUuid(env.Uuid("main.titledb"));
    auto a =
        lf ? ctx->AcquireCollectionOrViewMaybeLockFree(req) : ctx->AcquireCollectionOrView(req);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), ErrorCode::kCollectionUUIDMismatch);
    EXPECT_EQ(Info(a.status(), "expectedCollection"), "recent");
  }
}

// Records the order in which lock files are locked.
class LockLog : public FaultFileSystem {
 public:
  explicit LockLog(FileSystem* base) : FaultFileSystem(base) {}
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path, LockMode mode,
                                         bool non_blocking) override {
    locked.push_back(BaseName(path));
    return FaultFileSystem::Lock(path, mode, non_blocking);
  }
  std::vector<std::string> locked;
};

TEST(Acquire, SR20_PluralWriteLocksOnceInOrderFreedAfterLastHandle) {
  Env env;
  LockLog log(&env.fs);
  LockManager locks(&log);
  ShardRoleOptions o = env.p->options;
  o.fs = &log;
  o.locks = &locks;
  ASSERT_OK(env.cache.Prime(&log, env.f.workdir, env.Current()));
  AcquisitionContext ctx(o);
  auto r = ctx.AcquireCollections({AcquisitionRequest::Ns("main.titledb").Write(),
                                   AcquisitionRequest::Ns("main.posdb").Write()});
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].ns(), "main.titledb");  // request order
  EXPECT_EQ((*r)[1].ns(), "main.posdb");
  std::vector<std::string> colls = {"coll." + env.Uuid("main.titledb"),
                                    "coll." + env.Uuid("main.posdb")};
  std::sort(colls.begin(), colls.end());
  EXPECT_EQ(log.locked, (std::vector<std::string>{"global", "db.main", colls[0], colls[1]}));
  EXPECT_EQ(locks.HoldCount(env.DbLock(), LockMode::kShared), 1);
  EXPECT_EQ(locks.HoldCount(env.CollLock("main.titledb"), LockMode::kExclusive), 1);
  EXPECT_EQ(locks.HoldCount(env.CollLock("main.posdb"), LockMode::kExclusive), 1);
  // No lease for writes.
  EXPECT_TRUE(env.Leases("main.titledb").empty());
  CollectionAcquisition keep = (*r)[1];
  r = std::vector<CollectionAcquisition>{};
  EXPECT_EQ(locks.NumLockedFiles(), 4u);  // one handle still alive
  keep = CollectionAcquisition();
  EXPECT_EQ(locks.NumLockedFiles(), 0u);
  EXPECT_EQ(ctx.state(), ContextState::kEmpty);
}

TEST(Acquire, SR21_PluralFailureReleasesEverything) {
  Env env;
  auto ctx = env.p->Context();
  ShardVersion stale = ShardVersion::Versioned(env.PosV().generation(), {5, 0});
  for (bool lf : {false, true}) {
    auto r =
        lf ? ctx->AcquireCollectionsMaybeLockFree(
                 {AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())),
                  AcquisitionRequest::Ns("main.posdb").With(Versions(env.DbV(), stale))})
           : ctx->AcquireCollections(
                 {AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())),
                  AcquisitionRequest::Ns("main.posdb").With(Versions(env.DbV(), stale))});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kStaleConfig);
    EXPECT_EQ(Info(r.status(), "ns"), "main.posdb");
    EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
    EXPECT_TRUE(env.Leases("main.titledb").empty());
    EXPECT_TRUE(env.Leases("main.posdb").empty());
    EXPECT_EQ(ctx->state(), ContextState::kEmpty);
  }
}

TEST(Acquire, SR22_PluralAcrossDatabasesIsInternalError) {
  Env env;
  auto ctx = env.p->Context();
  for (bool lf : {false, true}) {
    std::vector<AcquisitionRequest> rs = {AcquisitionRequest::Ns("main.titledb"),
                                          AcquisitionRequest::Ns("other.titledb")};
    auto r = lf ? ctx->AcquireCollectionsMaybeLockFree(rs) : ctx->AcquireCollections(rs);
    EXPECT_EQ(r.status().code(), ErrorCode::kInternalError);
    EXPECT_EQ(r.status().exit_status(), 70);
  }
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
}

TEST(Acquire, SR23_LockFreeWriteIsInternalErrorAndExclusiveHolderReadsLocked) {
  Env env;
  auto ctx = env.p->Context();
  auto w = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb").Write());
  EXPECT_EQ(w.status().code(), ErrorCode::kInternalError);
  auto write = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  ASSERT_OK(write);
  auto read = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.posdb"));
  ASSERT_OK(read);
  EXPECT_FALSE(read->lock_free());
  EXPECT_EQ(env.p->locks.HoldCount(env.CollLock("main.posdb"), LockMode::kShared), 1);
  EXPECT_EQ(env.p->locks.HoldCount(env.GlobalLock(), LockMode::kShared), 2);
}

}  // namespace
}  // namespace shardtool
