// File retirement (doc/acquisition.md §6) seen from readers and writers: SR47's library part (a
// reader keeps the files a merge retired until its release; if that release finds the collection
// busy, the next write acquisition deletes them), pinning, and the retired list's life.
#include "acquire/file_retirement.h"

#include <gtest/gtest.h>

#include "acquire/acquisition.h"
#include "acquire_env.h"
#include "catalog/discovery.h"
#include "catalog/retired_files.h"
#include "catalog/state_paths.h"
#include "io/atomic_file.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::Env;

// Under a write acquisition of `q`: titledb 0005 written, 0001 and 0003 retired.
void CommitTitledbMerge(Env& env, testing::Proc& q) {
  auto ctx = q.Context();
  auto w = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  ASSERT_OK(w);
  ASSERT_OK(testing::WriteDataFile(&env.fs, env.f.coll_dir, GetRdb(RdbId::kTitledb), 5, {}));
  ASSERT_OK(RetireFiles(&env.fs, env.f.workdir, *w->uuid(), (*w->snapshot())->files, "merge",
                        env.fs.NowMicros() / 1000000));
}

std::vector<std::string> Snapshot(AcquisitionContext& ctx) {
  auto a = ctx.AcquireCollection(AcquisitionRequest::Ns("main.titledb"));
  EXPECT_OK(a);
  return a.ok() ? (*a->snapshot())->names() : std::vector<std::string>{};
}

TEST(FileRetirement, SR47_ReaderKeepsRetiredFilesUntilItsRelease) {
  for (bool lock_free : {true, false}) {
    Env env;
    auto q = env.OtherProcess();
    auto ctx = env.p->Context();
    {
      auto verify =
          lock_free ? ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"))
                    : ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb"));
      ASSERT_OK(verify);
      // A locked read lets the merge in only at a yield.
      if (!lock_free) {
        ASSERT_OK(ctx->Yield());
      }
      CommitTitledbMerge(env, *q);
      if (!lock_free) {
        ASSERT_OK(ctx->Restore());
      }
      // The reader still sees (and can open) its files; new snapshots do not.
      EXPECT_EQ((*verify->snapshot())->names(),
                (std::vector<std::string>{"titledb0001-000.dat", "titledb0003-000.dat"}));
      EXPECT_OK(verify->OpenPart("titledb0001-000.dat"));
      EXPECT_TRUE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
      auto other = q->Context();
      EXPECT_EQ(Snapshot(*other), (std::vector<std::string>{"titledb0005-000.dat"}));
    }
    // The reader's release deleted them: parts, map, sidecar and the list.
    for (const char* f : {"titledb0001-000.dat", "titledb0001.map", "titledb0001.crc",
                          "titledb0003-000.dat", "titledb0003.map", "titledb0003.crc"}) {
      EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/" + f)) << f;
    }
    EXPECT_TRUE(env.fs.Exists(env.f.coll_dir + "/titledb0005-000.dat"));
    EXPECT_TRUE(env.fs.Exists(env.f.coll_dir + "/titledb0005.map"));
    EXPECT_FALSE(env.fs.Exists(RetiredListPath(env.f.workdir, env.Uuid("main.titledb"))));
  }
}

TEST(FileRetirement, SR47_BusyReleaseLeavesThemToTheNextWrite) {
  Env env;
  auto q = env.OtherProcess();
  auto ctx = env.p->Context();
  auto verify = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(verify);
  CommitTitledbMerge(env, *q);
  // Another writer holds the collection when the reader releases: the deletion is skipped.
  auto writer_ctx = q->Context();
  auto writer = writer_ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  ASSERT_OK(writer);
  verify = CollectionAcquisition();
  EXPECT_TRUE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
  EXPECT_TRUE(env.Leases("main.titledb").empty());
  writer = CollectionAcquisition();  // its release deletes them (no lease lists them now)
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
}

TEST(FileRetirement, WriteAcquisitionDeletesUnpinnedRetiredFiles) {
  Env env;
  auto q = env.OtherProcess();
  // Retire 0001 by hand (as a merge crashed after its commit would leave it).
  ASSERT_TRUE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
  const std::string uuid = env.Uuid("main.titledb");
  CommittedFile f1;
  f1.id = 1;
  f1.name = "titledb0001-000.dat";
  f1.parts = {{0, "titledb0001-000.dat", 1}};
  ASSERT_OK(RetireFiles(&env.fs, env.f.workdir, uuid, {f1}, "merge", 1));
  ASSERT_OK(RetireFiles(&env.fs, env.f.workdir, uuid, {f1}, "merge", 2));  // once
  EXPECT_EQ(ReadRetiredList(&env.fs, env.f.workdir, uuid)->files.size(), 1u);
  auto ctx = q->Context();
  auto w = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
  ASSERT_OK(w);
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
  EXPECT_TRUE(env.fs.Exists(env.f.coll_dir + "/titledb0003-000.dat"));
  EXPECT_EQ((*w->snapshot())->names(), std::vector<std::string>{"titledb0003-000.dat"});
}

// A merge whose inputs were pinned when it committed keeps its target under the merge-file name
// and its journal; the reader's release (and any later write acquisition) must then leave those
// inputs to the merge's next run, which removes them and renames the target together. Deleting
// them here left the merged data under its temporary name alone (the concurrency campaign saw a
// titledb merge's records vanish from a format-level read of the directory).
TEST(FileRetirement, InputsOfAnUnfinishedMergeStayForItsNextRun) {
  Env env;
  auto q = env.OtherProcess();
  const std::string uuid = env.Uuid("main.titledb");
  {
    auto ctx = env.p->Context();
    auto verify = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
    ASSERT_OK(verify);
    CommitTitledbMerge(env, *q);
    ASSERT_OK(env.fs.CreateDirs(JournalDir(env.f.workdir)));
    ASSERT_OK(WriteFileAtomically(
        &env.fs, JoinPath(JournalDir(env.f.workdir), MergeJournalFileName(uuid)),
        R"({"state": "incorporating", "phase": "", "target": {"data": "titledb0000-000.002.dat"},
            "inputs": [{"name": "titledb0001-000.dat"}, {"name": "titledb0003-000.dat"}]})"));
  }
  // The release kept both inputs, listed as retired (no snapshot has them).
  for (const char* f : {"titledb0001-000.dat", "titledb0001.map", "titledb0003-000.dat"}) {
    EXPECT_TRUE(env.fs.Exists(env.f.coll_dir + "/" + f)) << f;
  }
  LeaseStore leases(&env.fs, env.f.workdir, &env.p->process);
  auto r = DeleteUnpinnedRetiredFiles(leases, env.f.coll_dir, uuid);
  ASSERT_OK(r);
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_EQ(r->merge_inputs,
            (std::vector<std::string>{"titledb0001-000.dat", "titledb0003-000.dat"}));
  // Once the merge's journal is gone, the next write acquisition deletes them.
  ASSERT_OK(env.fs.RemoveFile(JoinPath(JournalDir(env.f.workdir), MergeJournalFileName(uuid))));
  {
    auto ctx = q->Context();
    auto w = ctx->AcquireCollection(AcquisitionRequest::Ns("main.titledb").Write());
    ASSERT_OK(w);
  }
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0001-000.dat"));
  EXPECT_FALSE(env.fs.Exists(env.f.coll_dir + "/titledb0003-000.dat"));
}

TEST(FileRetirement, PinnedFilesStayAndAreReported) {
  Env env;
  auto ctx = env.p->Context();
  auto read = ctx->AcquireCollectionMaybeLockFree(AcquisitionRequest::Ns("main.titledb"));
  ASSERT_OK(read);
  const std::string uuid = env.Uuid("main.titledb");
  ASSERT_OK(RetireFiles(&env.fs, env.f.workdir, uuid, (*read->snapshot())->files, "merge", 1));
  LeaseStore leases(&env.fs, env.f.workdir, &env.p->process);
  auto r = DeleteUnpinnedRetiredFiles(leases, env.f.coll_dir, uuid);
  ASSERT_OK(r);
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_EQ(r->pinned, (std::vector<std::string>{"titledb0001-000.dat", "titledb0003-000.dat"}));
  // TryDelete skips while this process holds the collection.
  LockManager locks(&env.fs);
  auto held = locks.Acquire(env.CollLock("main.titledb"), LockMode::kShared,
                            LockDeadline::After(&env.fs, 0));
  ASSERT_OK(held);
  auto t = TryDeleteRetiredFiles(&locks, leases, env.f.coll_dir, uuid);
  ASSERT_OK(t);
  EXPECT_TRUE(t->skipped);
}

}  // namespace
}  // namespace shardtool
