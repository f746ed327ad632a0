// The orphan-cleanup decision (doc/acquisition.md §6) that `merge --cleanup-orphans` applies
// (CatalogOrphanPolicy, OrphanCleanupOutcome, CompleteRangeDeletions): SR37 and SR49 at the
// library level, on fixture F, with readers' leases written by real acquisitions.
#include "jobs/merge/orphan_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "acquire/acquire_env.h"
#include "acquire/acquisition.h"
#include "acquire/lease.h"
#include "acquire/slot_list.h"
#include "io/atomic_file.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Env;
using testing::Info;
using testing::Versions;

// What a cleanup of collection `ns` would decide now (the merge's policy, made as RunMerge makes
// it).
std::unique_ptr<CatalogOrphanPolicy> PolicyNow(Env& env,
                                               std::optional<int64_t> delay = std::nullopt,
                                               const std::string& ns = "main.titledb") {
  const Catalog& c = env.Current();
  auto made = CatalogOrphanPolicy::Make(&env.fs, env.f.workdir, c, *c.FindCollection(ns),
                                        env.fs.NowMicros() / 1000000, delay);
  EXPECT_OK(made);
  return made.ok() ? std::move(*made) : nullptr;
}

// The slots with verdict `v`, as sorted [min, max) ranges.
std::vector<SlotRange> SlotsWith(const OrphanPolicy& policy, OrphanVerdict v) {
  std::vector<SlotRange> out;
  for (int s = 0; s < kNumSlots; s++) {
    if (policy.Verdict(s) != v) continue;
    if (!out.empty() && out.back().max == s) {
      out.back().max = s + 1;
    } else {
      out.push_back({s, s + 1});
    }
  }
  return out;
}

// The outcome of a cleanup that finds one record in each of `slots` (as RunMerge computes it).
Status OutcomeOf(const OrphanPolicy& policy, const std::vector<int>& slots) {
  int64_t dropped = 0, deferred = 0;
  std::vector<SlotRange> slots_deferred;
  for (int s : slots) {
    const OrphanVerdict v = policy.Verdict(s);
    dropped += v == OrphanVerdict::kDrop;
    if (v == OrphanVerdict::kDeferredNotReady || v == OrphanVerdict::kDeferredLeaseHeld) {
      deferred++;
      slots_deferred.push_back({s, s + 1});
    }
  }
  return OrphanCleanupOutcome("main.titledb", dropped, deferred, slots_deferred,
                              DeferredLeases(policy, slots_deferred));
}

// Writes a lease file of titledb (doc/acquisition.md §6) named `name`; `text` empty: `lease` as
// JSON.
void WriteLeaseFile(Env& env, const std::string& name, const Lease& lease,
                    const std::string& text = "") {
  const std::string dir = LeasesDir(env.f.workdir, env.Uuid("main.titledb"));
  ASSERT_OK(env.fs.CreateDirs(dir));
  ASSERT_OK(
      WriteFileAtomically(&env.fs, dir + "/" + name, text.empty() ? SerializeLease(lease) : text));
}

TEST(OrphanCleanup, SR37_ALeaseFromBeforeTheMoveDefersUntilReleased) {
  Env env;
  auto ctx = env.p->Context();
  std::string lease;
  {
    auto read = ctx->AcquireCollectionMaybeLockFree(
        AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
    ASSERT_OK(read);
    lease = read->lease_name();
    ASSERT_OK(ctx->Yield());
    ASSERT_OK(env.MoveSlots(0, 0, 1, /*orphan_delay=*/0));
    ASSERT_OK(ctx->Restore());
    EXPECT_TRUE((*read->ownership_filter())->Owned(0));

    auto plan = PolicyNow(env);
    ASSERT_NE(plan, nullptr);
    // kDeferredLeaseHeld: the one rangeDeletion covers slot 0 and is ready, but a lease blocks it.
    EXPECT_EQ(plan->Verdict(0), OrphanVerdict::kDeferredLeaseHeld);
    EXPECT_EQ(plan->Leases(0), std::vector<std::string>{lease});
    EXPECT_EQ(plan->Verdict(1), OrphanVerdict::kUnexpected);  // shard 1's since init: no deletion
    EXPECT_EQ(plan->Verdict(2), OrphanVerdict::kOwned);
    const std::string uuid = env.Uuid("main.titledb");
    EXPECT_EQ(
        std::count_if(env.Current().range_deletions.begin(), env.Current().range_deletions.end(),
                      [&](const RangeDeletion& d) { return d.uuid == uuid; }),
        1);
    Status s = OutcomeOf(*plan, {0, 2});
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
    ASSERT_OK(later);
    EXPECT_EQ(PolicyNow(env)->Leases(0), std::vector<std::string>{lease});
  }
  // Released: dropped.
  auto plan = PolicyNow(env);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->Verdict(0), OrphanVerdict::kDrop);
  EXPECT_OK(OutcomeOf(*plan, {0, 2}));
}

TEST(OrphanCleanup, SR49_NotReadyDelayNoOrphansUnexpected) {
  Env env;
  ASSERT_OK(env.MoveSlots(0, 99, 1));  // readyAfter now + 900
  auto plan = PolicyNow(env);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->Verdict(0), OrphanVerdict::kDeferredNotReady);
  EXPECT_EQ(plan->Verdict(98), OrphanVerdict::kDeferredNotReady);
  EXPECT_EQ(plan->Verdict(1), OrphanVerdict::kUnexpected);
  EXPECT_EQ(plan->Verdict(100), OrphanVerdict::kOwned);
  EXPECT_EQ(SlotsWith(*plan, OrphanVerdict::kDeferredNotReady).size(), 50u);
  Status s = OutcomeOf(*plan, {0, 1, 100});
  EXPECT_EQ(s.code(), ErrorCode::kRangeDeletionDeferred);
  EXPECT_EQ(Info(s, "reason"), "notReady");
  EXPECT_EQ(Info(s, "leases"), "");
  // merge --orphan-delay 0: ready now.
  auto now = PolicyNow(env, 0);
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->Verdict(0), OrphanVerdict::kDrop);
  EXPECT_OK(OutcomeOf(*now, {0, 1, 100}));
  // No orphans at all; only unexpected ones (kept, reported): exit 0.
  EXPECT_OK(OutcomeOf(*plan, {100, 102}));
  EXPECT_OK(OutcomeOf(*plan, {1, 3}));
  // Some dropped and some deferred: Ok (deferred ones are reported, not an error).
  EXPECT_OK(OrphanCleanupOutcome("main.titledb", /*dropped=*/1, /*deferred=*/1, {{2, 3}}, {}));
  // After readyAfter passes.
  env.fs.AdvanceMicros(901 * 1000000LL);
  EXPECT_EQ(PolicyNow(env)->Verdict(0), OrphanVerdict::kDrop);
}

TEST(OrphanCleanup, OtherEpochLeaseBlocksAndUnreadableLeaseBlocks) {
  Env env;
  ASSERT_OK(env.MoveSlots(0, 0, 1, 0));
  const Catalog& c = env.Current();
  Lease other;
  other.catalog_epoch = "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab";  // another epoch
  other.catalog_version = c.version + 10;
  other.owned_slots = MakeSlotList({{0, 1}});
  other.expires_at = env.fs.NowMicros() / 1000000 + 900;  // live
  Lease newer = other;
  newer.catalog_epoch = c.epoch;
  Lease disjoint = newer;
  disjoint.catalog_epoch = "0b1e8a40-5a9c-4d2b-9c1e-0123456789ab";
  disjoint.owned_slots = MakeSlotList({{2, 3}});
  WriteLeaseFile(env, "x.json", other);
  WriteLeaseFile(env, "y.json", newer);
  WriteLeaseFile(env, "z.json", disjoint);
  EXPECT_EQ(PolicyNow(env)->Leases(0), std::vector<std::string>{"x.json"});
  const std::string dir = LeasesDir(env.f.workdir, env.Uuid("main.titledb"));
  for (const char* name : {"x.json", "y.json", "z.json"}) {
    ASSERT_OK(env.fs.RemoveFile(dir + "/" + name));
  }
  WriteLeaseFile(env, "g.json", Lease{}, "garbage");
  EXPECT_EQ(PolicyNow(env)->Verdict(0), OrphanVerdict::kDeferredLeaseHeld);
  // Not sharded, nothing is an orphan: RunMerge applies no policy to an Rdb that is not
  // shardable (merge_orphans_test.cc).
}

TEST(OrphanCleanup, CompleteRangeDeletionsRemovesDroppedSlotsOnce) {
  Env env;
  ASSERT_OK(env.MoveSlots(0, 99, 1, 0));
  const std::string uuid = env.Uuid("main.titledb");
  const uint64_t v = env.Current().version;
  // Busy: someone holds the global lock.
  LockManager other(&env.fs);
  {
    auto g = other.Acquire(env.GlobalLock(), LockMode::kShared, LockDeadline::After(&env.fs, 0));
    ASSERT_OK(g);
    auto busy = CompleteRangeDeletions(&env.fs, env.f.workdir, uuid, {{0, 1}});
    ASSERT_OK(busy);
    EXPECT_FALSE(*busy);
  }
  auto done = CompleteRangeDeletions(&env.fs, env.f.workdir, uuid, {{0, 1}, {2, 3}});
  ASSERT_OK(done);
  EXPECT_TRUE(*done);
  const Catalog& c = env.Current();
  EXPECT_EQ(c.version, v + 1);
  ASSERT_EQ(c.range_deletions.size(), 2u);  // posdb's is untouched
  const RangeDeletion& r =
      c.range_deletions[0].uuid == uuid ? c.range_deletions[0] : c.range_deletions[1];
  EXPECT_EQ(r.slots.front(), (SlotRange{4, 5}));
  EXPECT_EQ(r.slots.size(), 48u);
  auto again = CompleteRangeDeletions(&env.fs, env.f.workdir, uuid, {{0, 1}});
  ASSERT_OK(again);
  EXPECT_FALSE(*again);  // nothing left to remove
}

}  // namespace
}  // namespace shardtool
