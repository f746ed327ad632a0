// The orphan-cleanup decision (doc/acquisition.md §6) that `merge --cleanup-orphans` applies: SR37
// and SR49 at the library level, on fixture F, with readers' leases written by real acquisitions.
#include "acquire/orphan_cleanup.h"

#include <gtest/gtest.h>

#include "acquire/acquisition.h"
#include "acquire_env.h"

namespace shardtool {
namespace {

using testing::Env;
using testing::Info;
using testing::Versions;

// What a cleanup of titledb in process `q` would decide now.
OrphanCleanupPlan Plan(Env& env, testing::Proc& q, std::optional<int64_t> delay = std::nullopt) {
  const Catalog& c = env.Current();
  LeaseStore leases(&env.fs, env.f.workdir, &q.process);
  auto live = leases.Live(c.FindCollection("main.titledb")->uuid, /*reap=*/true);
  EXPECT_TRUE(live.ok());
  return PlanOrphanCleanup(c, *c.FindCollection("main.titledb"), *live, leases.NowSeconds(), delay);
}

// The outcome of a cleanup that finds one record in each of `slots`.
Status Outcome(const OrphanCleanupPlan& plan, const std::vector<int>& slots) {
  OrphanTally t;
  for (int s : slots) t.Count(s, plan.Action(s));
  return OrphanCleanupOutcome("main.titledb", plan, t);
}

TEST(OrphanCleanup, SR37_ALeaseFromBeforeTheMoveDefersUntilReleased) {
  Env env;
  auto q = env.OtherProcess();
  auto ctx = env.p->Context();
  std::string lease;
  {
    auto read = ctx->AcquireCollectionMaybeLockFree(
        AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
    ASSERT_TRUE(read.ok());
    lease = read->lease_name();
    ASSERT_TRUE(ctx->Yield().ok());
    ASSERT_TRUE(env.MoveSlots(0, 0, 1, /*orphan_delay=*/0).ok());
    ASSERT_TRUE(ctx->Restore().ok());
    EXPECT_TRUE((*read->ownership_filter())->Owned(0));

    OrphanCleanupPlan plan = Plan(env, *q);
    EXPECT_EQ(plan.Action(0), OrphanAction::kDeferredLeaseHeld);
    EXPECT_EQ(plan.LeasesFor(0), std::vector<std::string>{lease});
    EXPECT_EQ(plan.Action(1), OrphanAction::kUnexpected);  // shard 1's since init: no deletion
    EXPECT_EQ(plan.Action(2), OrphanAction::kOwned);
    ASSERT_EQ(plan.deletions().size(), 1u);
    EXPECT_TRUE(plan.deletions()[0].ready);
    Status s = Outcome(plan, {0, 2});
    EXPECT_EQ(s.code(), ErrorCode::kRangeDeletionDeferred);
    EXPECT_EQ(s.exit_status(), 4);
    EXPECT_EQ(Info(s, "reason"), "leaseHeld");
    EXPECT_EQ(Info(s, "leases"), lease);
    EXPECT_EQ(Info(s, "slots"), "0 (1 slots)");
    EXPECT_EQ(Info(s, "ns"), "main.titledb");

    // A read acquired after the move does not block.
    auto later_ctx = env.p->Context();
    auto later = later_ctx->AcquireCollectionMaybeLockFree(
        AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
    ASSERT_TRUE(later.ok());
    EXPECT_EQ(Plan(env, *q).LeasesFor(0), std::vector<std::string>{lease});
  }
  // Released: dropped.
  OrphanCleanupPlan plan = Plan(env, *q);
  EXPECT_EQ(plan.Action(0), OrphanAction::kDrop);
  EXPECT_TRUE(Outcome(plan, {0, 2}).ok());
}

TEST(OrphanCleanup, SR49_NotReadyDelayNoOrphansUnexpected) {
  Env env;
  auto q = env.OtherProcess();
  ASSERT_TRUE(env.MoveSlots(0, 99, 1).ok());  // readyAfter now + 900
  OrphanCleanupPlan plan = Plan(env, *q);
  EXPECT_EQ(plan.Action(0), OrphanAction::kDeferredNotReady);
  EXPECT_EQ(plan.Action(98), OrphanAction::kDeferredNotReady);
  EXPECT_EQ(plan.Action(1), OrphanAction::kUnexpected);
  EXPECT_EQ(plan.Action(100), OrphanAction::kOwned);
  EXPECT_EQ(plan.Slots(OrphanAction::kDeferredNotReady).size(), 50u);
  Status s = Outcome(plan, {0, 1, 100});
  EXPECT_EQ(s.code(), ErrorCode::kRangeDeletionDeferred);
  EXPECT_EQ(Info(s, "reason"), "notReady");
  EXPECT_EQ(Info(s, "leases"), "");
  // merge --orphan-delay 0: ready now.
  OrphanCleanupPlan now = Plan(env, *q, 0);
  EXPECT_EQ(now.Action(0), OrphanAction::kDrop);
  EXPECT_TRUE(Outcome(now, {0, 1, 100}).ok());
  // No orphans at all; only unexpected ones (kept, reported): exit 0.
  EXPECT_TRUE(Outcome(plan, {100, 102}).ok());
  EXPECT_TRUE(Outcome(plan, {1, 3}).ok());
  // Some dropped and some deferred: Ok (deferred ones are reported, not an error).
  OrphanTally mixed;
  mixed.Count(0, OrphanAction::kDrop);
  mixed.Count(2, OrphanAction::kDeferredNotReady);
  EXPECT_TRUE(OrphanCleanupOutcome("main.titledb", plan, mixed).ok());
  // After readyAfter passes.
  env.fs.AdvanceMicros(901 * 1000000LL);
  EXPECT_EQ(Plan(env, *q).Action(0), OrphanAction::kDrop);
}

TEST(OrphanCleanup, OtherEpochLeaseBlocksAndUnreadableLeaseBlocks) {
  Env env;
  auto q = env.OtherProcess();
  ASSERT_TRUE(env.MoveSlots(0, 0, 1, 0).ok());
  const Catalog& c = env.Current();
  const CollectionEntry& t = *c.FindCollection("main.titledb");
  LeaseFile other;
  other.name = "x.json";
  other.lease = Lease{};
  other.lease->catalog_epoch = "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab";  // another epoch
  other.lease->catalog_version = c.version + 10;
  other.lease->owned_slots = MakeSlotList({{0, 1}});
  LeaseFile newer = other;
  newer.name = "y.json";
  newer.lease->catalog_epoch = c.epoch;
  LeaseFile disjoint = newer;
  disjoint.name = "z.json";
  disjoint.lease->catalog_epoch = "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab";
  disjoint.lease->owned_slots = MakeSlotList({{2, 3}});
  LeaseFile garbage;
  garbage.name = "g.json";
  const int64_t now = env.fs.NowMicros() / 1000000;
  EXPECT_EQ(PlanOrphanCleanup(c, t, {other, newer, disjoint}, now, {}).LeasesFor(0),
            std::vector<std::string>{"x.json"});
  EXPECT_EQ(PlanOrphanCleanup(c, t, {garbage}, now, {}).Action(0),
            OrphanAction::kDeferredLeaseHeld);
  EXPECT_EQ(PlanOrphanCleanup(c, *c.FindCollection("main.doledb"), {}, now, {}).Action(1),
            OrphanAction::kOwned);  // not sharded: nothing is an orphan
}

TEST(OrphanCleanup, CompleteRangeDeletionsRemovesDroppedSlotsOnce) {
  Env env;
  ASSERT_TRUE(env.MoveSlots(0, 99, 1, 0).ok());
  const std::string uuid = env.Uuid("main.titledb");
  const uint64_t v = env.Current().version;
  // Busy: someone holds the global lock.
  LockManager other(&env.fs);
  {
    auto g = other.Acquire(env.GlobalLock(), LockMode::kShared, LockDeadline::After(&env.fs, 0));
    ASSERT_TRUE(g.ok());
    auto busy = CompleteRangeDeletions(&env.fs, env.f.workdir, uuid, {{0, 1}});
    ASSERT_TRUE(busy.ok()) << busy.status().ToString();
    EXPECT_FALSE(*busy);
  }
  auto done = CompleteRangeDeletions(&env.fs, env.f.workdir, uuid, {{0, 1}, {2, 3}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(*done);
  const Catalog& c = env.Current();
  EXPECT_EQ(c.version, v + 1);
  ASSERT_EQ(c.range_deletions.size(), 2u);  // posdb's is untouched
  const RangeDeletion& r =
      c.range_deletions[0].uuid == uuid ? c.range_deletions[0] : c.range_deletions[1];
  EXPECT_EQ(r.slots.front(), (SlotRange{4, 5}));
  EXPECT_EQ(r.slots.size(), 48u);
  auto again = CompleteRangeDeletions(&env.fs, env.f.workdir, uuid, {{0, 1}});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // nothing left to remove
}

}  // namespace
}  // namespace shardtool
