// CatalogStore and the administration calls on a MemFileSystem: atomic replace, no rewrite without
// a change, leftover temporaries, the global lock, crashes at every catalog test point (SR45), and
// SR17, SR43, SR44 end to end through the store.
#include "catalog/catalog_store.h"

#include <gtest/gtest.h>

#include "catalog/catalog_admin.h"
#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "io/mem_file_system.h"
#include "io/test_point.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::FixtureF;
using testing::MakeFixtureF;

AdminOptions Admin(const FixtureF& f) {
  AdminOptions o;
  o.uuids = f.uuids;
  return o;
}

// Clears the test point handler when a test ends.
struct HandlerGuard {
  ~HandlerGuard() { testpoint::SetHandler(nullptr); }
};

TEST(CatalogStore, LoadWithoutCatalogIsNotFound) {
  MemFileSystem fs;
  CatalogStore store(&fs, "/w");
  auto r = store.Load();
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.status().exit_status(), 3);
  EXPECT_NE(r.status().message().find("shardtool init"), std::string::npos);
}

TEST(CatalogStore, FixtureFIsAsSpecified) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  const Catalog& c = f->catalog;
  EXPECT_EQ(c.version, 2u);  // init, then create-view
  EXPECT_EQ(c.this_host, 0);
  EXPECT_EQ(c.cluster.num_shards, 2);
  EXPECT_TRUE(f->titledb().sharded);
  EXPECT_TRUE(f->posdb().sharded);
  EXPECT_FALSE(f->doledb().sharded);
  EXPECT_EQ(CurrentShardVersion(c, f->titledb()).ToString(),
            f->titledb().generation->epoch + "/1/1|0");
  EXPECT_EQ(c.FindView("main.recent")->view_on, "main.titledb");
  EXPECT_EQ(f->main().db_version->last_mod, 2u);
  for (const char* name : {"titledb0001-000.dat", "titledb0001.map", "titledb0001.crc",
                           "titledb0003-000.dat", "posdb0001.dat", "doledb0001.dat"}) {
    EXPECT_TRUE(fs.Exists(f->coll_dir + "/" + name)) << name;
  }
  CatalogStore store(&fs, f->workdir);
  auto loaded = store.Load();
  ASSERT_OK(loaded);
  EXPECT_EQ(loaded->catalog, c);
  // Same options, same bytes.
  MemFileSystem fs2;
  auto g = MakeFixtureF(&fs2);
  ASSERT_OK(g);
  EXPECT_EQ(fs.ReadAll(CatalogPath(f->workdir)), fs2.ReadAll(CatalogPath(g->workdir)));
}

TEST(CatalogStore, SR45_InitTwiceIsByteIdenticalAndTouchesNothing) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs, {.create_view = false});
  ASSERT_OK(f);
  const std::string path = CatalogPath(f->workdir);
  const std::string before = fs.ReadAll(path);
  auto st1 = fs.Stat(path);
  ASSERT_OK(st1);
  fs.AdvanceMicros(5000000);
  AdminOptions random;  // real random UUIDs: an unchanged refresh draws none
  auto r = RunInit(&fs, f->workdir, InitArgs{"", 0, false}, random);
  ASSERT_OK(r);
  EXPECT_FALSE(r->written);
  EXPECT_EQ(fs.ReadAll(path), before);
  auto st2 = fs.Stat(path);
  ASSERT_OK(st2);
  EXPECT_EQ(st2->inode, st1->inode);
  EXPECT_EQ(st2->mtime_ns, st1->mtime_ns);
  // Without --host-id the catalog's host is used.
  auto again = RunInit(&fs, f->workdir, InitArgs{}, random);
  ASSERT_OK(again);
  EXPECT_FALSE(again->written);
  EXPECT_EQ(fs.Stat(path)->inode, st1->inode);
}

TEST(CatalogStore, SR17_NewRdbFilesAppearAfterInit) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  ASSERT_OK(testing::WriteDataFile(&fs, f->coll_dir, GetRdb(RdbId::kClusterdb), 1,
                                   testing::RandomRecords(GetRdb(RdbId::kClusterdb), 10, 5)));
  CatalogStore store(&fs, f->workdir);
  EXPECT_EQ(store.Load()->catalog.FindCollection("main.clusterdb"), nullptr);  // before init
  auto r = RunInit(&fs, f->workdir, InitArgs{}, Admin(*f));
  ASSERT_OK(r);
  EXPECT_TRUE(r->written);
  auto c = store.Load();
  ASSERT_OK(c);
  const CollectionEntry* cl = c->catalog.FindCollection("main.clusterdb");
  ASSERT_NE(cl, nullptr);
  EXPECT_TRUE(IsUuidV4(cl->uuid));
  EXPECT_EQ(c->catalog.FindCollectionByUuid(cl->uuid), cl);
  EXPECT_EQ(c->catalog.FindDatabase("main")->db_version->last_mod,
            f->main().db_version->last_mod + 1);
  EXPECT_EQ(c->catalog.version, f->catalog.version + 1);
  EXPECT_EQ(c->catalog.epoch, f->catalog.epoch);
}

TEST(CatalogStore, SR43_MoveSlotsThroughTheStoreAndRerunLeavesTheFile) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  MoveSlotsRequest req{0, 99, 1, {}, kDefaultOrphanDelaySeconds};
  auto r = RunMoveSlots(&fs, f->workdir, req, Admin(*f));
  ASSERT_OK(r);
  EXPECT_TRUE(r->written);
  EXPECT_EQ(r->catalog.version, f->catalog.version + 1);
  const std::string path = CatalogPath(f->workdir);
  const std::string text = fs.ReadAll(path);
  auto st = fs.Stat(path);
  fs.AdvanceMicros(1000000);
  auto again = RunMoveSlots(&fs, f->workdir, req, Admin(*f));
  ASSERT_OK(again);
  EXPECT_FALSE(again->written);
  EXPECT_EQ(fs.ReadAll(path), text);
  EXPECT_EQ(fs.Stat(path)->inode, st->inode);
  EXPECT_EQ(fs.Stat(path)->mtime_ns, st->mtime_ns);
  // orphanedAt.time and readyAfter come from the file system's clock.
  const int64_t now = 1700000000;
  EXPECT_EQ(r->catalog.range_deletions[0].orphaned_at.time, now);
  EXPECT_EQ(r->catalog.range_deletions[0].ready_after, now + 900);
}

TEST(CatalogStore, SR44_ReshardThroughTheStore) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  fs.WriteAll("/new-hosts.conf", FormatHostsConf(testing::FixtureHostsConf("/cluster", 6, 1)));
  auto r = RunReshard(&fs, f->workdir, "/new-hosts.conf", 0, Admin(*f));
  ASSERT_OK(r);
  EXPECT_TRUE(r->written);
  const CollectionEntry* t = r->catalog.FindCollection("main.titledb");
  EXPECT_EQ(t->generation->timestamp, 2u);
  EXPECT_NE(t->generation->epoch, f->titledb().generation->epoch);
  EXPECT_EQ(r->catalog.cluster.num_shards, 3);
  EXPECT_EQ(r->catalog.range_deletions.size(), 2u);
  EXPECT_EQ(r->catalog.range_deletions[0].ready_after, 1700000000);
  // init now sees 3 shards in the new hosts.conf only; the old one is refused (exit 3).
  auto init = RunInit(&fs, f->workdir, InitArgs{}, Admin(*f));
  EXPECT_EQ(init.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(RunReshard(&fs, f->workdir, "/nope.conf", 0, Admin(*f)).status().code(),
            ErrorCode::kNotFound);
}

TEST(CatalogStore, LeftoverTemporariesAreRemovedByTheNextWriter) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  const std::string leftover = CatalogTempPath(f->workdir, 4242);
  fs.WriteAll(leftover, "half a catalog");
  auto r = RunInit(&fs, f->workdir, InitArgs{}, Admin(*f));  // no change, still a writer
  ASSERT_OK(r);
  EXPECT_FALSE(fs.Exists(leftover));
  // The writer's own temporary is gone after a write, too.
  auto m = RunMoveSlots(&fs, f->workdir, {0, 0, 1, {}, 0}, Admin(*f));
  ASSERT_OK(m);
  for (const std::string& p : fs.ListRecursive()) {
    EXPECT_EQ(p.find("catalog.json.tmp"), std::string::npos) << p;
  }
}

TEST(CatalogStore, WritersWaitForTheGlobalLock) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  LockManager other(&fs), mine(&fs);  // another process holds global IS
  auto held =
      other.Acquire(GlobalLockPath(f->workdir), LockMode::kShared, LockDeadline::After(&fs, 0));
  ASSERT_OK(held);
  AdminOptions o = Admin(*f);
  o.store.locks = &mine;
  o.lock_timeout_ms = 300;
  const std::string before = fs.ReadAll(CatalogPath(f->workdir));
  auto r = RunMoveSlots(&fs, f->workdir, {0, 0, 1, {}, 0}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kLockTimeout);
  EXPECT_EQ(r.status().exit_status(), 4);
  EXPECT_EQ(fs.ReadAll(CatalogPath(f->workdir)), before);
  held->Release();
  auto ok = RunMoveSlots(&fs, f->workdir, {0, 0, 1, {}, 0}, o);
  EXPECT_OK(ok);
  EXPECT_EQ(mine.NumLockedFiles(), 0u);  // released after the update
}

TEST(CatalogStore, InvalidOrMisnumberedResultsAreNotWritten) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  CatalogStore store(&fs, f->workdir);
  const std::string before = fs.ReadAll(CatalogPath(f->workdir));
  auto bad = store.Update(
      [](const CatalogStore::Current& cur) -> Result<OpResult> {
        OpResult r{*cur.catalog, true, {}};
        r.catalog.version++;
        r.catalog.collections[0].uuid = "not-a-uuid";
        return r;
      },
      0);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInternalError);
  auto skipped = store.Update(
      [](const CatalogStore::Current& cur) -> Result<OpResult> {
        OpResult r{*cur.catalog, true, {}};
        r.catalog.version += 2;
        return r;
      },
      0);
  EXPECT_EQ(skipped.status().code(), ErrorCode::kInternalError);
  EXPECT_EQ(fs.ReadAll(CatalogPath(f->workdir)), before);
}

TEST(CatalogStore, CorruptCatalogNeedsRebuild) {
  MemFileSystem fs;
  auto f = MakeFixtureF(&fs);
  ASSERT_OK(f);
  fs.WriteAll(CatalogPath(f->workdir), "{\"schema_version\": 1, \"catalogEpoch\": 3}");
  auto r = RunInit(&fs, f->workdir, InitArgs{"", 0, false}, Admin(*f));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruptCatalog);
  EXPECT_NE(r.status().message().find("--rebuild"), std::string::npos);
  EXPECT_EQ(RunMoveSlots(&fs, f->workdir, {0, 0, 1, {}, 0}, Admin(*f)).status().code(),
            ErrorCode::kCorruptCatalog);
  auto rb = RunInit(&fs, f->workdir, InitArgs{"", 0, true}, Admin(*f));
  ASSERT_OK(rb);
  EXPECT_TRUE(rb->written);
  EXPECT_EQ(rb->catalog.version, 1u);
  EXPECT_NE(rb->catalog.epoch, f->catalog.epoch);
  // --rebuild of a readable catalog: new epoch, version continues.
  auto rb2 = RunInit(&fs, f->workdir, InitArgs{"", 0, true}, Admin(*f));
  ASSERT_OK(rb2);
  EXPECT_EQ(rb2->catalog.version, 2u);
  EXPECT_NE(rb2->catalog.epoch, rb->catalog.epoch);
  // A fresh init without a host id, on a machine that is no host of hosts.conf: exit 3.
  MemFileSystem empty;
  empty.WriteAll("/w/hosts.conf", FormatHostsConf(testing::FixtureHostsConf("/w")));
  FixedLocalHost elsewhere({"127.0.0.1"});
  AdminOptions no_host;
  no_host.local = &elsewhere;
  EXPECT_EQ(RunInit(&empty, "/w", InitArgs{}, no_host).status().code(),
            ErrorCode::kFailedPrecondition);
}

// A crash at each catalog test point: power loss (Freeze, then SimulateCrash: only what was
// synced survives) and process death (the job stops there, the page cache survives). Either way
// the catalog afterwards is the old or the new one, valid, with catalogVersion never lower, and a
// rerun completes the change.
TEST(CatalogStore, SR45_CrashAtEachCatalogTestPointLeavesOldOrNew) {
  HandlerGuard guard;
  for (const char* point :
       {"catalog.after_tmp_write", "catalog.before_rename", "catalog.after_rename"}) {
    for (bool power_loss : {true, false}) {
      SCOPED_TRACE(std::string(point) + (power_loss ? " (power loss)" : " (process death)"));
      MemFileSystem fs;
      auto f = MakeFixtureF(&fs);
      ASSERT_OK(f);
      const uint64_t old_version = f->catalog.version;
      int hits = 0;
      testpoint::SetHandler([&](std::string_view name) -> Status {
        if (name != point) return Status::Ok();
        ++hits;
        if (power_loss) fs.Freeze();
        return IOErrorStatus(std::string("crash at ") + std::string(name));
      });
      auto r = RunMoveSlots(&fs, f->workdir, {0, 99, 1, {}, 900}, Admin(*f));
      testpoint::SetHandler(nullptr);
      EXPECT_FALSE(r.ok());
      EXPECT_EQ(hits, 1);
      if (power_loss) fs.SimulateCrash();
      CatalogStore store(&fs, f->workdir);
      auto after = store.Load();
      ASSERT_OK(after);
      const uint64_t v = after->catalog.version;
      EXPECT_TRUE(v == old_version || v == old_version + 1) << v;
      // With the page cache intact, a crash after the rename shows the new catalog.
      if (!power_loss && std::string(point) == "catalog.after_rename") {
        EXPECT_EQ(v, old_version + 1);
      }
      if (power_loss) {
        EXPECT_EQ(v, old_version);  // the directory was never synced
      }
      auto rerun = RunMoveSlots(&fs, f->workdir, {0, 99, 1, {}, 900}, Admin(*f));
      ASSERT_OK(rerun);
      EXPECT_EQ(rerun->catalog.version, old_version + 1);
      EXPECT_EQ(rerun->written, v == old_version);
      for (const std::string& p : fs.ListRecursive()) {
        EXPECT_EQ(p.find("catalog.json.tmp"), std::string::npos) << p;
      }
    }
  }
}

}  // namespace
}  // namespace shardtool
