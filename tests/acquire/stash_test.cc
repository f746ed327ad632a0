// Stash across invocations (doc/acquisition.md §7): the library parts of SR50 (a write stashed and
// adopted with its last key), SR51 (a stashed read keeps its slots; adoption after a drop and
// recreate fails and dismisses the stash) and SR52 (a stash left too long is reaped: leaseLost).
#include <gtest/gtest.h>

#include "acquire/acquisition.h"
#include "acquire/stash_journal.h"
#include "acquire_env.h"
#include "jobs/merge/orphan_policy.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Env;
using testing::Info;
using testing::Versions;

constexpr char kJournal[] = "verify.main.stash.json";

std::string JournalFile(Env& env) { return JournalDir(env.f.workdir) + "/" + kJournal; }

TEST(Stash, SR50_WriteStashedAndAdoptedWithItsLastKey) {
  Env env;
  auto ctx = env.p->Context();
  {
    auto w = ctx->AcquireCollection(
        AcquisitionRequest::Ns("main.titledb").Write().With(Versions(env.DbV(), env.TitleV())));
    ASSERT_OK(w);
    ASSERT_OK(ctx->Stash(kJournal, "00000000000000000000abcd"));
    EXPECT_EQ(ctx->state(), ContextState::kStashed);
    EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);
    EXPECT_EQ(w->snapshot().status().code(), ErrorCode::kInternalError);
    EXPECT_EQ(ctx->AcquireCollection(AcquisitionRequest::Ns("main.posdb")).status().code(),
              ErrorCode::kInternalError);
  }
  // The journal holds the prerequisites.
  auto journal = ParseStashJournal(env.fs.ReadAll(JournalFile(env)), "j");
  ASSERT_OK(journal);
  EXPECT_EQ(journal->last_key, "00000000000000000000abcd");
  ASSERT_EQ(journal->acquisitions.size(), 1u);
  const StashedAcquisition& a = journal->acquisitions[0];
  EXPECT_EQ(a.ns, "main.titledb");
  EXPECT_EQ(a.uuid, env.Uuid("main.titledb"));
  EXPECT_EQ(a.request.operation, OperationType::kWrite);
  EXPECT_EQ(a.request.placement.shard_version, env.TitleV());
  EXPECT_EQ(a.catalog_version, env.f.catalog.version);
  EXPECT_EQ(a.lease, "");  // writes have none

  // The rerun (another process) adopts it.
  auto q = env.OtherProcess();
  auto next = q->Context();
  auto adopted = next->AdoptStash(kJournal);
  ASSERT_OK(adopted);
  EXPECT_EQ(adopted->last_key, "00000000000000000000abcd");
  EXPECT_EQ(adopted->job, "test");
  ASSERT_EQ(adopted->acquisitions.size(), 1u);
  const CollectionAcquisition& w = adopted->acquisitions[0].collection();
  EXPECT_EQ(w.operation(), OperationType::kWrite);
  EXPECT_TRUE((*w.ownership_filter())->Owned(0));
  EXPECT_EQ(q->locks.HoldCount(env.CollLock("main.titledb"), LockMode::kExclusive), 1);
  EXPECT_EQ(next->state(), ContextState::kActive);
  EXPECT_FALSE(env.fs.Exists(JournalFile(env)));
  EXPECT_EQ(next->AdoptStash(kJournal).status().code(), ErrorCode::kInternalError);  // ACTIVE
}

TEST(Stash, SR51_StashedReadKeepsItsSlotsAndResumes) {
  Env env;
  auto ctx = env.p->Context();
  std::string lease;
  {
    auto r = ctx->AcquireCollection(
        AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
    ASSERT_OK(r);
    ASSERT_OK(ctx->Stash(kJournal, "k"));  // a locked read writes its lease now
    lease = r->lease_name();
  }
  ASSERT_FALSE(lease.empty());
  LeaseStore store(&env.fs, env.f.workdir, &env.p->process);
  auto l = store.Read(env.Uuid("main.titledb"), lease);
  ASSERT_OK(l);
  EXPECT_EQ(l->pid, 0);
  EXPECT_EQ(l->stashed, std::string(kJournal));
  EXPECT_EQ(l->expires_at, store.NowSeconds() + kStashTtlSeconds);
  EXPECT_EQ(env.p->locks.NumLockedFiles(), 0u);

  // The slot it read moves away; a cleanup defers it.
  ASSERT_OK(env.MoveSlots(0, 0, 1, 0));
  auto q = env.OtherProcess();
  LeaseStore qstore(&env.fs, env.f.workdir, &q->process);
  const Catalog& c = env.Current();
  auto live = qstore.Live(env.Uuid("main.titledb"), true);
  ASSERT_OK(live);
  auto plan = CatalogOrphanPolicy::Make(&env.fs, env.f.workdir, c,
                                        *c.FindCollection("main.titledb"), qstore.NowSeconds(), 0);
  ASSERT_OK(plan);
  EXPECT_EQ((*plan)->Verdict(0), OrphanVerdict::kDeferredLeaseHeld);

  // verify --resume: the original description and files, the lease adopted.
  auto next = q->Context();
  auto adopted = next->AdoptStash(kJournal);
  ASSERT_OK(adopted);
  const CollectionAcquisition& r = adopted->acquisitions[0].collection();
  EXPECT_TRUE((*r.ownership_filter())->Owned(0));
  EXPECT_EQ((*r.sharding())->chunks().size(), 8192u);
  EXPECT_EQ((*r.snapshot())->files.size(), 2u);
  EXPECT_EQ(r.lease_name(), lease);
  EXPECT_EQ(r.catalog_version(), env.f.catalog.version);
  auto adopted_lease = qstore.Read(env.Uuid("main.titledb"), lease);
  ASSERT_OK(adopted_lease);
  EXPECT_EQ(adopted_lease->pid, 200);
  EXPECT_FALSE(adopted_lease->stashed.has_value());
  EXPECT_EQ(adopted_lease->catalog_version, env.f.catalog.version);
  EXPECT_EQ(q->locks.HoldCount(env.CollLock("main.titledb"), LockMode::kShared), 1);
}

TEST(Stash, SR51_AdoptionAfterDropAndRecreateDismissesTheStash) {
  Env env;
  auto ctx = env.p->Context();
  std::string lease;
  {
    auto r = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
    ASSERT_OK(r);
    lease = r->lease_name();
    ASSERT_OK(ctx->Stash(kJournal, "k"));
  }
  const std::string old_uuid = env.Uuid("main.titledb");
  ASSERT_OK(env.fs.Rename(env.f.coll_dir, env.f.workdir + "/coll.main.1"));
  ASSERT_OK(env.Init());
  auto q = env.OtherProcess();
  auto next = q->Context();
  auto adopted = next->AdoptStash(kJournal);
  ASSERT_FALSE(adopted.ok());
  EXPECT_EQ(adopted.status().code(), ErrorCode::kQueryPlanKilled);
  EXPECT_EQ(Info(adopted.status(), "reason"), "recreated");
  EXPECT_EQ(next->state(), ContextState::kFailed);
  EXPECT_FALSE(env.fs.Exists(JournalFile(env)));
  EXPECT_FALSE(env.fs.Exists(LeasesDir(env.f.workdir, old_uuid) + "/" + lease));
  EXPECT_EQ(q->locks.NumLockedFiles(), 0u);
  // The next verify starts over.
  auto fresh = q->Context();
  EXPECT_EQ(fresh->AdoptStash(kJournal).status().code(), ErrorCode::kNotFound);
  EXPECT_OK(fresh->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb")));
}

TEST(Stash, SR52_StashLeftTooLongIsReapedAndLeaseLost) {
  Env env;
  auto ctx = env.p->Context();
  {
    auto r = ctx->AcquireCollectionMaybeLockFree(
        AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
    ASSERT_OK(r);
    ASSERT_OK(ctx->Stash(kJournal, "k"));
  }
  ASSERT_OK(env.MoveSlots(0, 0, 1, 0));
  env.fs.AdvanceMicros((kStashTtlSeconds + 1) * 1000000);
  auto q = env.OtherProcess();
  LeaseStore qstore(&env.fs, env.f.workdir, &q->process);
  const Catalog& c = env.Current();
  auto live = qstore.Live(env.Uuid("main.titledb"), /*reap=*/true);
  ASSERT_OK(live);
  EXPECT_TRUE(live->empty());
  auto plan = CatalogOrphanPolicy::Make(&env.fs, env.f.workdir, c,
                                        *c.FindCollection("main.titledb"), qstore.NowSeconds(), 0);
  ASSERT_OK(plan);
  EXPECT_EQ((*plan)->Verdict(0), OrphanVerdict::kDrop);
  auto next = q->Context();
  auto adopted = next->AdoptStash(kJournal);
  EXPECT_EQ(adopted.status().code(), ErrorCode::kQueryPlanKilled);
  EXPECT_EQ(Info(adopted.status(), "reason"), "leaseLost");
  EXPECT_EQ(adopted.status().exit_status(), 6);
  EXPECT_FALSE(env.fs.Exists(JournalFile(env)));
}

TEST(Stash, DismissDeletesJournalAndLeases) {
  Env env;
  auto ctx = env.p->Context();
  {
    auto rs = ctx->AcquireCollectionsMaybeLockFree({AcquisitionRequest::Ns("main.titledb"),
                                                    AcquisitionRequest::Ns("main.posdb"),
                                                    AcquisitionRequest::Ns("main.nosuch")});
    ASSERT_OK(rs);
    ASSERT_OK(ctx->Stash(kJournal, "k"));
  }
  EXPECT_EQ(env.Leases("main.titledb").size(), 1u);
  EXPECT_EQ(env.Leases("main.posdb").size(), 1u);
  auto other = env.p->Context();
  ASSERT_OK(other->DismissStash(kJournal));
  EXPECT_TRUE(env.Leases("main.titledb").empty());
  EXPECT_TRUE(env.Leases("main.posdb").empty());
  EXPECT_FALSE(env.fs.Exists(JournalFile(env)));
  EXPECT_OK(other->DismissStash(kJournal));  // none: Ok
  EXPECT_EQ(other->Stash("../x", "k").code(), ErrorCode::kInternalError);
}

TEST(Stash, ViewsAndAbsentCollectionsRoundTrip) {
  Env env;
  auto ctx = env.p->Context();
  {
    auto rs = ctx->AcquireCollectionsOrViews(
        {AcquisitionRequest::Ns("main.recent").CanBeView(), AcquisitionRequest::Ns("main.nosuch"),
         AcquisitionRequest::ByUuid("main", env.Uuid("main.doledb"))});
    ASSERT_OK(rs);
    ASSERT_OK(ctx->Stash(kJournal, "k"));
  }
  auto next = env.p->Context();
  auto adopted = next->AdoptStash(kJournal);
  ASSERT_OK(adopted);
  ASSERT_EQ(adopted->acquisitions.size(), 3u);
  EXPECT_TRUE(adopted->acquisitions[0].is_view());
  EXPECT_EQ(adopted->acquisitions[0].view().view_on(), "main.titledb");
  EXPECT_FALSE(adopted->acquisitions[1].collection().exists());
  EXPECT_EQ(adopted->acquisitions[2].ns(), "main.doledb");
}

}  // namespace
}  // namespace shardtool
