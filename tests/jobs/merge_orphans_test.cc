// Orphan cleanup in the merge job (doc/acquisition.md §6, doc/format.md §8.5, §10.2, §10.3): the
// decision interface (drop / deferred / unexpected counted exactly), the catalog's rangeDeletions
// with and without --orphan-delay, leases that block, not-shardable Rdbs, quarantine entries with
// their source ranges, bundles read back, and the completion of rangeDeletions.
#include <gtest/gtest.h>

#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/merge/merge_job.h"
#include "testing/bundle_records.h"
#include "testing/merge_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::MergeCluster;
using testing::TestRecord;

// slot % 4: 0 owned, 1 drop (to shard 1), 2 deferred, 3 unexpected.
class ModPolicy : public OrphanPolicy {
 public:
  OrphanVerdict Verdict(int slot) const override {
    switch (slot % 4) {
      case 0:
        return OrphanVerdict::kOwned;
      case 1:
        return OrphanVerdict::kDrop;
      case 2:
        return OrphanVerdict::kDeferredNotReady;
      default:
        return OrphanVerdict::kUnexpected;
    }
  }
  int32_t Owner(int slot) const override { return slot % 4 == 1 ? 1 : 0; }
  std::vector<std::string> Leases(int) const override { return {}; }
};

struct OrphanSetup {
  MergeCluster c;
  std::vector<std::vector<TestRecord>> lists;
  explicit OrphanSetup(RdbId id = RdbId::kTitledb, int files = 3) {
    const RdbInfo& rdb = GetRdb(id);
    testing::RandomListOptions ro;
    ro.num_hi = 300;
    ro.max_data_size = 40;
    for (int i = 0; i < files; i++) {
      lists.push_back(testing::RandomRecords(rdb, 1200, 900 + static_cast<uint64_t>(i), ro));
      EXPECT_OK(c.WriteInput(rdb, 2 * i + 1, lists.back()));
    }
    EXPECT_OK(c.Init());
  }
};

using testing::ExpectRecords;

TEST(MergeOrphans, DecisionInterfaceCountsDropDeferredUnexpected) {
  OrphanSetup s;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  s.c.env.orphan_policy = [](const Catalog&,
                             const CollectionEntry&) -> Result<std::unique_ptr<OrphanPolicy>> {
    return std::unique_ptr<OrphanPolicy>(new ModPolicy());
  };
  auto req = s.c.Request("titledb", MergeSelection::kAll);
  req.cleanup_orphans = true;  // to the quarantine
  auto r = s.c.Merge(req);
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  // The brute force: survivors by slot class.
  auto survivors = testing::ReferenceMerge(rdb, s.lists);
  int64_t drop = 0, deferred = 0, unexpected = 0;
  std::vector<TestRecord> dropped;
  for (const auto& t : survivors) {
    switch (KeySlot(rdb, t.key.data()) % 4) {
      case 1:
        drop++;
        dropped.push_back(t);
        break;
      case 2:
        deferred++;
        break;
      case 3:
        unexpected++;
        break;
    }
  }
  EXPECT_EQ(r->counters.orphans_dropped, drop);
  EXPECT_EQ(r->counters.orphans_exported, 0);
  EXPECT_EQ(r->counters.orphans_deferred, deferred);
  EXPECT_EQ(r->counters.orphans_unexpected, unexpected);
  testing::ReferenceOptions ro;
  ro.drop_negatives = true;
  ro.drop = [&](const Key& k) { return KeySlot(rdb, k.data()) % 4 == 1; };
  ExpectRecords(*s.c.ReadFile(rdb, "titledb0001-000.dat"),
                testing::ReferenceMerge(rdb, s.lists, ro));
  // The quarantine entry: kind quarantine, one stream per source file, ranges in the sources.
  const std::string qdir = StateDir(s.c.workdir) + "/quarantine";
  auto entries = s.c.mem().ListDir(qdir);
  ASSERT_OK(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name.rfind("main.titledb.s1.", 0), 0u) << (*entries)[0].name;
  auto b = ReadBundle(&s.c.mem(), qdir + "/" + (*entries)[0].name);
  ASSERT_OK(b);
  EXPECT_EQ(b->manifest.header.kind, "quarantine");
  EXPECT_EQ(b->manifest.header.target_shard, 1);
  EXPECT_EQ(b->manifest.header.source_shard, 0);
  ExpectRecords(testing::BundleRecords(*b, 12), dropped);
  int64_t in_ranges = 0;
  for (const BundleStreamInfo& st : b->manifest.streams) {
    EXPECT_EQ(st.reason, "orphan");
    EXPECT_EQ(st.source_file.rfind("coll.main.0/titledb000", 0), 0u) << st.source_file;
    for (const BundleRange& rg : st.ranges) in_ranges += rg.records;
  }
  EXPECT_EQ(in_ranges, drop);
}

// An Rdb with one file: without --cleanup-orphans there is nothing to merge; with it the file is
// rewritten on its own (a one-input merge), orphans out and tombstones gone (no older file).
TEST(MergeOrphans, SingleFileIsRewrittenWithoutItsOrphans) {
  OrphanSetup s(RdbId::kTitledb, 1);
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  s.c.env.orphan_policy = [](const Catalog&,
                             const CollectionEntry&) -> Result<std::unique_ptr<OrphanPolicy>> {
    return std::unique_ptr<OrphanPolicy>(new ModPolicy());
  };
  auto plain = s.c.Merge(s.c.Request("titledb", MergeSelection::kAll));
  ASSERT_OK(plain);
  EXPECT_TRUE(plain->nothing_to_do);
  EXPECT_NE(plain->note.find("--cleanup-orphans"), std::string::npos) << plain->note;

  auto req = s.c.Request("titledb", MergeSelection::kAll);
  req.cleanup_orphans = true;
  auto r = s.c.Merge(req);
  ASSERT_OK(r);
  ASSERT_FALSE(r->nothing_to_do) << r->note;
  ASSERT_OK(r->outcome);
  int64_t drop = 0;
  for (const auto& t : testing::ReferenceMerge(rdb, s.lists)) {
    drop += KeySlot(rdb, t.key.data()) % 4 == 1 ? 1 : 0;
  }
  EXPECT_GT(drop, 0);
  EXPECT_EQ(r->counters.orphans_dropped, drop);
  testing::ReferenceOptions ro;
  ro.drop_negatives = true;
  ro.drop = [&](const Key& k) { return KeySlot(rdb, k.data()) % 4 == 1; };
  ExpectRecords(*s.c.ReadFile(rdb, "titledb0001-000.dat"),
                testing::ReferenceMerge(rdb, s.lists, ro));
}

TEST(MergeOrphans, RangeDeletionNotReadyIsDeferredThenDroppedWithOrphanDelay) {
  OrphanSetup s;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  ASSERT_OK(s.c.MoveSlots(0, 8191, 1, 3600));  // shard 0 gives everything away
  auto req = s.c.Request("titledb", MergeSelection::kFiles, {3, 5});
  req.orphans_to = "/out";
  auto r = s.c.Merge(req);
  ASSERT_OK(r);
  EXPECT_EQ(r->counters.orphans_dropped, 0);
  EXPECT_GT(r->counters.orphans_deferred, 0);
  EXPECT_EQ(r->outcome.code(), ErrorCode::kRangeDeletionDeferred) << r->outcome.ToString();
  EXPECT_EQ(r->outcome.exit_status(), 4);
  EXPECT_NE(r->outcome.message().find("not ready"), std::string::npos);
  EXPECT_FALSE(s.c.mem().Exists("/out"));
  // --orphan-delay 0 makes it ready: every record leaves, negatives too, to shard 1's bundle.
  req = s.c.Request("titledb", MergeSelection::kAll);
  req.orphans_to = "/out";
  req.orphan_delay = 0;
  auto all = s.c.Merge(req);
  ASSERT_OK(all);
  ASSERT_OK(all->outcome);
  EXPECT_EQ(all->counters.orphans_deferred, 0);
  EXPECT_GT(all->counters.orphans_unexpected, 0);  // odd slots were always shard 1's
  EXPECT_EQ(all->counters.orphans_exported, all->counters.orphans_dropped);
  EXPECT_TRUE(all->range_deletions_completed);
  EXPECT_TRUE(s.c.LoadCatalog()->range_deletions.empty());
  auto entries = s.c.mem().ListDir("/out");
  ASSERT_EQ(entries->size(), 1u);
  auto b = ReadBundle(&s.c.mem(), "/out/" + (*entries)[0].name);
  ASSERT_OK(b);
  EXPECT_GT(b->manifest.negative, 0);  // negatives are exported although the merge drops them
  EXPECT_EQ(b->manifest.positive + b->manifest.negative, all->counters.orphans_dropped);
  // What is left: only the unexpected records of the odd slots.
  auto left = s.c.ReadFile(rdb, "titledb0001-000.dat");
  ASSERT_OK(left);
  EXPECT_EQ(static_cast<int64_t>(left->size()), all->counters.records_out);
  for (const auto& t : *left) EXPECT_EQ(KeySlot(rdb, t.key.data()) % 2, 1);
  EXPECT_EQ(*s.c.VerifyErrors(rdb, "titledb0001-000.dat"), 0);
}

TEST(MergeOrphans, LiveLeaseBlocksTheRangeDeletion) {
  OrphanSetup s;
  ASSERT_OK(s.c.MoveSlots(0, 4095, 1, 0));
  auto catalog = s.c.LoadCatalog();
  const std::string uuid = catalog->FindCollection("main.titledb")->uuid;
  const int64_t now = s.c.mem().NowMicros() / 1000000;
  // A reader that took its lease before the move (catalogVersion 1 < orphanedAt's).
  s.c.mem().WriteAll(LeasesDir(s.c.workdir, uuid) + "/h-1-x.json",
                     "{\"pid\": 1, \"ownedSlots\": [[0, 8192]], \"catalogEpoch\": \"" +
                         catalog->epoch + "\", \"catalogVersion\": 1, \"expiresAt\": " +
                         std::to_string(now + 60) + ", \"files\": []}");
  // A stale one (expired) blocks nothing.
  s.c.mem().WriteAll(LeasesDir(s.c.workdir, uuid) + "/h-2-y.json",
                     "{\"pid\": 2, \"ownedSlots\": \"all\", \"catalogEpoch\": \"x\", "
                     "\"catalogVersion\": 1, \"expiresAt\": 5, \"files\": []}");
  auto req = s.c.Request("titledb", MergeSelection::kAll);
  req.cleanup_orphans = true;
  auto r = s.c.Merge(req);
  ASSERT_OK(r);
  EXPECT_EQ(r->counters.orphans_dropped, 0);
  EXPECT_GT(r->counters.orphans_deferred, 0);
  EXPECT_GT(r->counters.orphans_unexpected, 0);  // odd slots: shard 1's, no rangeDeletion
  EXPECT_EQ(r->outcome.code(), ErrorCode::kRangeDeletionDeferred);
  EXPECT_EQ(r->deferred_leases, (std::vector<std::string>{"h-1-x.json"}));
  EXPECT_FALSE(s.c.LoadCatalog()->range_deletions.empty());
}

TEST(MergeOrphans, NotShardableRdbsKeepEverything) {
  OrphanSetup s(RdbId::kDoledb, 2);
  ASSERT_OK(s.c.MoveSlots(0, 8191, 1, 0));
  auto req = s.c.Request("doledb", MergeSelection::kAll);
  req.cleanup_orphans = true;
  auto r = s.c.Merge(req);
  ASSERT_OK(r);
  EXPECT_EQ(r->counters.orphans_dropped + r->counters.orphans_deferred, 0);
  testing::ReferenceOptions ro;
  ro.drop_negatives = true;
  ExpectRecords(*s.c.ReadFile(GetRdb(RdbId::kDoledb), "doledb0001.dat"),
                testing::ReferenceMerge(GetRdb(RdbId::kDoledb), s.lists, ro));
}

TEST(MergeOrphans, ResumeWithOtherOrphanOptionsIsRefused) {
  OrphanSetup s;
  ASSERT_OK(s.c.MoveSlots(0, 4095, 1, 0));
  std::atomic<bool> stop{true};
  s.c.env.stop = &stop;
  auto req = s.c.Request("titledb", MergeSelection::kAll);
  req.orphans_to = "/out";
  auto r = s.c.Merge(req);
  ASSERT_OK(r);
  ASSERT_EQ(r->outcome.code(), ErrorCode::kInterrupted);
  s.c.env.stop = nullptr;
  auto other = s.c.Request("titledb", MergeSelection::kAll);
  EXPECT_EQ(s.c.Merge(other).status().code(), ErrorCode::kFailedPrecondition);
  auto done = s.c.Merge(req);
  ASSERT_OK(done);
  EXPECT_OK(done->outcome);
  EXPECT_GT(done->counters.orphans_exported, 0);
}

}  // namespace
}  // namespace shardtool
