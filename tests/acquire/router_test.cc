// The router role of commands (doc/acquisition.md §3, end): --placement parsing, current versions,
// retries on StaleConfig / StaleDbVersion before any work (SR26's library part), pins never
// retried, and SR53's library part (a yielded import fails its restore after a move, and a rerun
// acquires under the new placement).
#include "acquire/router.h"

#include <gtest/gtest.h>

#include "acquire_env.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Env;
using testing::Info;
using testing::Versions;

TEST(Placement, ParsesSpecs) {
  auto none = ParsePlacementSpecs({"none"});
  ASSERT_OK(none);
  EXPECT_TRUE(none->none);
  auto mixed = ParsePlacementSpecs({"db=0B1E8A40-5A9C-4D2B-9C1E-0123456789AB/9",
                                    "main.titledb=1b1e8a40-5a9c-4d2b-9c1e-0123456789ab/1/2|3",
                                    "main.posdb=UNTRACKED"});
  ASSERT_OK(mixed);
  EXPECT_EQ(mixed->db_version->ToString(), "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab/9");
  EXPECT_EQ(mixed->shard_versions.at("main.titledb").version(), (ChunkVersion{2, 3}));
  EXPECT_TRUE(mixed->shard_versions.at("main.posdb").is_untracked());
  EXPECT_OK(ParsePlacementSpecs({"ignored", "db=0b1e8a40-5a9c-4d2b-9c1e-0123456789ab/1"}));
  EXPECT_TRUE(ParsePlacementSpecs({})->empty());
  for (std::vector<std::string> bad : {std::vector<std::string>{"bogus"},
                                       {"db=xyz/1"},
                                       {"main.titledb=1|0"},
                                       {"none", "ignored"},
                                       {"ignored", "main.titledb=IGNORED"},
                                       {"main.titledb=UNTRACKED", "main.titledb=IGNORED"}}) {
    auto r = ParsePlacementSpecs(bad);
    EXPECT_EQ(r.status().code(), ErrorCode::kUsageError) << bad[0];
    EXPECT_EQ(r.status().exit_status(), 2);
  }
  auto badns = ParsePlacementSpecs({"ma in.titledb=IGNORED"});
  EXPECT_EQ(badns.status().code(), ErrorCode::kInvalidNamespace);
}

TEST(Router, SendsCurrentVersions) {
  Env env;
  auto snap = env.Snap();
  CommandAcquireRequest req;
  req.namespaces = {"main.titledb", "main.doledb", "main.nosuch", "main.recent"};
  auto rs = BuildCommandRequests(*snap, req);
  ASSERT_OK(rs);
  EXPECT_EQ((*rs)[0].placement, Versions(env.DbV(), env.TitleV()));
  EXPECT_EQ((*rs)[1].placement, Versions(env.DbV(), ShardVersion::Untracked()));
  EXPECT_EQ((*rs)[2].placement, Versions(env.DbV(), ShardVersion::Untracked()));
  EXPECT_EQ((*rs)[3].placement, Versions(env.DbV(), ShardVersion::Untracked()));
  req.pins.none = true;
  EXPECT_TRUE(BuildCommandRequests(*snap, req)->at(0).placement.unversioned());
  auto ctx = env.p->Context();
  req.pins = {};
  req.namespaces = {"main.titledb", "main.recent"};
  req.view_mode = ViewMode::kCanBeView;
  req.maybe_lock_free = true;
  auto a = AcquireForCommand(*ctx, req);
  ASSERT_OK(a);
  EXPECT_TRUE((*a)[0].collection().lock_free());
  EXPECT_TRUE((*(*a)[0].collection().sharding())->is_sharded());
  EXPECT_TRUE((*a)[1].is_view());
}

TEST(Router, SR26_CatalogChangeBeforeTheLocksIsRetriedPinsAreNot) {
  Env env;
  auto ctx = env.p->Context();
  CommandAcquireRequest req;
  req.namespaces = {"main.titledb"};
  int hits = 0;
  testpoint::SetHandler([&](std::string_view name) {
    // Between the command's catalog read and its locks, shard 0 gains slot 1 (a major change).
    if (name == "router.after_catalog_read" && hits++ == 0) {
      EXPECT_OK(env.MoveSlots(1, 1, 0));
    }
    return Status::Ok();
  });
  const ShardVersion before = env.TitleV();
  {
    auto a = AcquireForCommand(*ctx, req);
    ASSERT_OK(a);
    EXPECT_EQ(hits, 2);
    EXPECT_EQ((*(*a)[0].collection().sharding())->shard_version().version(), (ChunkVersion{2, 0}));
  }
  // Pinned to the old version: never retried, exit 5.
  auto pins = ParsePlacementSpecs({"main.titledb=" + before.ToString()});
  ASSERT_OK(pins);
  req.pins = *pins;
  hits = 0;
  auto pinned = AcquireForCommand(*ctx, req);
  testpoint::SetHandler(nullptr);
  EXPECT_EQ(pinned.status().code(), ErrorCode::kStaleConfig);
  EXPECT_EQ(pinned.status().exit_status(), 5);
  EXPECT_EQ(hits, 1);
}

TEST(Router, SR03_PinnedDbVersionIsStale) {
  Env env;
  auto ctx = env.p->Context();
  CommandAcquireRequest req;
  req.namespaces = {"main.doledb"};
  req.maybe_lock_free = true;
  req.pins = *ParsePlacementSpecs({"db=" + env.DbV().uuid + "/9"});
  auto a = AcquireForCommand(*ctx, req);
  EXPECT_EQ(a.status().code(), ErrorCode::kStaleDbVersion);
  EXPECT_EQ(a.status().exit_status(), 5);
  EXPECT_EQ(Info(a.status(), "received"), env.DbV().uuid + "/9");
}

TEST(Router, SR08_UnknownPlacementFailsAfterTheAttempts) {
  Env env;
  ASSERT_OK(env.Edit([](Catalog& c) { c.FindCollection("main.titledb")->generation.reset(); }));
  auto ctx = env.p->Context();
  CommandAcquireRequest req;
  req.namespaces = {"main.titledb", "main.posdb"};
  int hits = 0;
  testpoint::SetHandler([&](std::string_view name) {
    hits += name == "router.after_catalog_read";
    return Status::Ok();
  });
  auto a = AcquireForCommand(*ctx, req);
  testpoint::SetHandler(nullptr);
  EXPECT_EQ(a.status().code(), ErrorCode::kStaleConfig);
  EXPECT_EQ(Info(a.status(), "wanted"), "null");
  EXPECT_EQ(hits, 3);
  // Unversioned commands still work.
  req.pins.none = true;
  EXPECT_OK(AcquireForCommand(*ctx, req));
}

TEST(Router, NullDbVersionIsStaleDbVersion) {
  Env env;
  ASSERT_OK(env.Edit([](Catalog& c) { c.FindDatabase("main")->db_version.reset(); }));
  auto ctx = env.p->Context();
  CommandAcquireRequest req;
  req.namespaces = {"main.titledb"};
  auto a = AcquireForCommand(*ctx, req);
  EXPECT_EQ(a.status().code(), ErrorCode::kStaleDbVersion);
  EXPECT_EQ(Info(a.status(), "wanted"), "null");
  EXPECT_EQ(Info(a.status(), "received"), "null");
  req.pins.shard_versions["main.posdb"] = ShardVersion::Ignored();
  EXPECT_EQ(AcquireForCommand(*ctx, req).status().code(), ErrorCode::kUsageError);
}

TEST(Router, SR53_YieldedImportFailsAfterAMoveAndTheRerunUsesTheNewPlacement) {
  Env env;
  CommandAcquireRequest req;
  req.namespaces = {"main.titledb"};
  req.operation = OperationType::kWrite;
  {
    auto ctx = env.p->Context();
    auto a = AcquireForCommand(*ctx, req);
    ASSERT_OK(a);
    EXPECT_FALSE((*(*a)[0].collection().ownership_filter())->Owned(1));
    ASSERT_OK(ctx->Yield());
    ASSERT_OK(env.MoveSlots(1, 1, 0));  // shard 0 gets more slots
    Status s = ctx->Restore();
    EXPECT_EQ(s.code(), ErrorCode::kStaleConfig);
    EXPECT_EQ(s.exit_status(), 5);
  }
  auto rerun = env.p->Context();
  auto a = AcquireForCommand(*rerun, req);
  ASSERT_OK(a);
  EXPECT_TRUE((*(*a)[0].collection().ownership_filter())->Owned(1));
}

}  // namespace
}  // namespace shardtool
