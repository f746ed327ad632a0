// Issue 16, disk and stop checks: the disk a merge adds, measured on the in-memory file system
// (--max-extra-disk kept its promise only for one input; the peak is measured, not taken from the
// merge's own report), and verify's checks by bytes.
#include <gtest/gtest.h>

#include "format/key_fields.h"
#include "jobs/inspect/inspect_db.h"
#include "jobs/merge/merge_job.h"
#include "jobs/verify/file_verifier.h"
#include "testing/merge_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::MergeCluster;

constexpr uint64_t kPart = uint64_t{2} << 20;

TEST(MergeDiskBudget, PeakExtraDiskStaysWithinTheBudgetPlusOnePartPerInput) {
  MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  for (int i = 0; i < 3; i++) {
    auto recs = testing::ClusterdbRecords(620000 + 40000 * static_cast<size_t>(i),
                                          40 + static_cast<uint64_t>(i));
    ASSERT_OK(c.WriteInput(rdb, 2 * i + 1, recs, kPart));
  }
  ASSERT_TRUE(c.mem().Exists(c.dir + "/clusterdb0001.dat.part2"));
  ASSERT_OK(c.Init());
  ASSERT_OK(c.SetPartSize("main.clusterdb", kPart));
  c.env.checkpoint_bytes = 256 << 10;
  c.env.check_every = 4096;
  c.env.buffer_size = 64 << 10;
  c.mem().SetCapacity(UINT64_MAX);
  const uint64_t before = c.mem().UsedBytes();
  MergeRequest req = c.Request("clusterdb", MergeSelection::kAll);
  req.max_extra_disk = 1 << 20;
  auto r = c.Merge(req);
  ASSERT_OK(r);
  ASSERT_OK(r->outcome) << r->outcome.ToString();
  const uint64_t peak = c.mem().PeakUsedBytes() - before;
  const uint64_t bound = req.max_extra_disk + 3 * kPart;
  RecordProperty("peak_extra_disk", std::to_string(peak));
  EXPECT_LE(peak, bound) << "peak extra disk " << peak << ", report says " << r->peak_extra_disk;
  EXPECT_LE(r->peak_extra_disk, bound);
  EXPECT_GT(r->parts_chopped, 0);
}

// Issue 16 for verify: its yield (stop flag, acquisition checks) comes every 1 MiB of large records
// too, not only every yield_every records.
TEST(VerifyYield, LargeRecordsYieldEveryMegabyte) {
  MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::vector<testing::TestRecord> recs;
  for (uint64_t d = 1; d <= 200; d++) {
    recs.push_back({MakeTitledbKey(d, d * 7, true), std::string(30000, 'x')});
  }
  ASSERT_OK(c.WriteInput(rdb, 1, recs));
  FileVerifyOptions fo;
  fo.yield_every = 10000;
  int yields = 0;
  fo.yield = [&](uint64_t) {
    yields++;
    return Status::Ok();
  };
  fo.inflate = false;
  OpenDataFileOptions oo;
  oo.rdb = &rdb;
  auto r = VerifyFile(&c.mem(), c.dir, "titledb0001-000.dat", nullptr, oo, fo);
  ASSERT_OK(r);
  EXPECT_GE(yields, 5) << r->bytes;
}

// Issue 16: `inspect db` took the counts of a map that fails M2 (endOffset past the data) as true:
// 4611686018427388566 records, state "ok".
TEST(InspectDbMap, MapFailingItsStructureIsNotUsable) {
  MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  ASSERT_OK(c.WriteInput(rdb, 1, testing::RandomRecords(rdb, 500, 8)));
  ASSERT_OK(c.Init());
  std::string map = c.mem().ReadAll(c.dir + "/posdb0001.map");
  for (int i = 0; i < 8; i++) map[static_cast<size_t>(16 + i)] = i == 7 ? 0x40 : 0;  // numPositive
  map[6] = 0x10;  // endOffset far past the data
  c.mem().WriteAll(c.dir + "/posdb0001.map", map);
  auto cat = c.LoadCatalog();
  ASSERT_OK(cat);
  auto r = InspectDb(&c.mem(), c.workdir, *cat, "main", {});
  ASSERT_OK(r);
  bool seen = false;
  for (const DbCollectionInfo& ci : r->collections) {
    for (const DbFileInfo& f : ci.files) {
      if (f.name != "posdb0001.dat") continue;
      seen = true;
      EXPECT_FALSE(f.map_ok);
      EXPECT_NE(f.map_error.find("(M2)"), std::string::npos) << f.map_error;
    }
  }
  EXPECT_TRUE(seen);
  EXPECT_LT(r->positive, 1000);
}

}  // namespace
}  // namespace shardtool
