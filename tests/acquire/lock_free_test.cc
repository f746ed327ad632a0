// The lock-free read protocol (doc/acquisition.md §5): SR25 (a catalog rewrite or a merge commit
// while a lock-free read is between its steps 2 and 5), the fallback to a locked read, and what a
// merge's commit does to readers (the §6 file retirement seen from the reader's side).
#include <gtest/gtest.h>

#include "acquire/acquisition.h"
#include "acquire/file_retirement.h"
#include "acquire_env.h"
#include "format/file_name.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Env;
using testing::Proc;
using testing::Versions;

std::vector<std::string> Names(const CollectionAcquisition& a) { return (*a.snapshot())->names(); }

// A merge of titledb 0001 + 0003 into 0005 by process `q`, committed: under its write
// acquisition it writes the output and retires the inputs (which its release then tries to
// delete).
void CommitMerge(Env& env, Proc& q) {
  auto ctx = q.Context();
  auto w = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  ASSERT_OK(w);
  const LocalSnapshot* s = *w->snapshot();
  ASSERT_EQ(s->files.size(), 2u);
  // (The output's records do not matter here.)
  ASSERT_OK(testing::WriteDataFile(&env.fs, env.f.coll_dir, GetRdb(RdbId::kTitledb), 5, {}));
  ASSERT_OK(RetireFiles(&env.fs, env.f.workdir, *w->uuid(), s->files, "merge",
                        env.fs.NowMicros() / 1000000));
}

TEST(LockFree, SR25_CatalogRewriteBetweenSteps2And5IsRetried) {
  Env env;
  auto ctx = env.p->Context();
  int hits = 0;
  testpoint::SetHandler([&](std::string_view name) {
    if (name == "acquire.lock_free.after_list" && hits++ == 0) {
      EXPECT_OK(env.MoveSlots(0, 0, 1));
    }
    return Status::Ok();
  });
  auto a = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  testpoint::SetHandler(nullptr);
  ASSERT_OK(a);
  EXPECT_EQ(hits, 2);
  EXPECT_TRUE(a->lock_free());
  EXPECT_EQ(a->catalog_version(), env.f.catalog.version + 1);  // only the new state
  EXPECT_EQ(env.Leases("main.titledb").size(), 1u);            // the first attempt's is gone
}

TEST(LockFree, SR25_MergeCommitBeforeTheLeaseIsRetried) {
  Env env;
  auto q = env.OtherProcess();
  auto ctx = env.p->Context();
  int hits = 0;
  testpoint::SetHandler([&](std::string_view name) {
    if (name == "acquire.lock_free.after_list" && hits++ == 0) CommitMerge(env, *q);
    return Status::Ok();
  });
  auto a = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  testpoint::SetHandler(nullptr);
  ASSERT_OK(a);
  EXPECT_EQ(hits, 2);
  EXPECT_EQ(Names(*a), (std::vector<std::string>{"titledb0005-000.dat"}));
  // No lease listed the inputs when the merge released: they are gone.
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0001.map"));
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0003.crc"));
}

TEST(LockFree, SR25_MergeCommitAfterTheLeaseIsRetriedAndPinsUntilRelease) {
  Env env;
  auto q = env.OtherProcess();
  auto ctx = env.p->Context();
  int hits = 0;
  testpoint::SetHandler([&](std::string_view name) {
    if (name == "acquire.lock_free.before_recheck" && hits++ == 0) {
      CommitMerge(env, *q);
      // The merge's release could not delete its inputs: this attempt's lease lists them.
      EXPECT_TRUE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
    }
    return Status::Ok();
  });
  {
    auto a = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
    testpoint::SetHandler(nullptr);
    ASSERT_OK(a);
    EXPECT_EQ(hits, 2);
    EXPECT_EQ(Names(*a), (std::vector<std::string>{"titledb0005-000.dat"}));
  }
  // The first attempt's lease pinned the inputs when the merge released; the retry removed that
  // lease, and the release of the read deleted them.
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0003-000.dat"));
  EXPECT_FALSE(env.fs.Exists(RetiredListPath(env.f.workdir, env.Uuid("main.titledb"))));
}

TEST(LockFree, UnsettledProtocolFallsBackToALockedRead) {
  Env env;
  auto ctx = env.p->Context();
  int hits = 0;
  const std::string extra = env.f.coll_dir + "/titledb0099-000.dat";
  testpoint::SetHandler([&](std::string_view name) {
    if (name == "acquire.lock_free.before_recheck") {
      // Every attempt sees the file set change under it.
      if (hits++ % 2 == 0) {
        env.fs.WriteAll(extra, "x");
      } else {
        EXPECT_OK(env.fs.RemoveFile(extra));
      }
    }
    return Status::Ok();
  });
  auto a = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  testpoint::SetHandler(nullptr);
  ASSERT_OK(a);
  EXPECT_EQ(hits, 10);
  EXPECT_FALSE(a->lock_free());
  EXPECT_EQ(env.p->locks.HoldCount(env.CollLock("main.titledb"), LockMode::kShared), 1);
  EXPECT_TRUE(env.Leases("main.titledb").empty());  // a locked read writes it at a yield
}

TEST(LockFree, NeverBlocksBehindAWriter) {
  Env env;
  auto q = env.OtherProcess();
  auto qctx = q->Context();
  auto w = qctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  ASSERT_OK(w);
  auto ctx = env.p->Context();
  auto a = ctx->AcquireCollectionMaybeLockFree(
      AcquisitionRequest::Ns("main.titledb").With(Versions(env.DbV(), env.TitleV())));
  ASSERT_OK(a);
  EXPECT_TRUE(a->lock_free());
  EXPECT_EQ(Names(*a).size(), 2u);
  // Its parts are open already.
  auto part = a->OpenPart("titledb0003-000.dat");
  ASSERT_OK(part);
  EXPECT_GT(*(*part)->Size(), 0u);
  EXPECT_EQ(a->OpenPart("posdb0001.dat").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace shardtool
