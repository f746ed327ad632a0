// repair map / repair sidecar (issue 16, "repair on one host"): the map rebuilt from every golden
// Gigablast data file is byte-identical to the map Gigablast wrote for it; the job refuses damaged
// data, headless files and existing sidecars, and writes atomically under the write acquisition.
#include "jobs/repair/repair_job.h"

#include <gtest/gtest.h>

#include <string>

#include "format/crc_sidecar.h"
#include "io/mem_file_system.h"
#include "testing/golden_dump.h"
#include "testing/import_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

TEST(RepairJob, RebuiltMapsOfEveryGoldenFileAreGigablastsBytes) {
  int files = 0;
  for (const GoldenFile& g : GoldenFiles()) {
    SCOPED_TRACE(g.dat);
    std::string dat, map;
    ASSERT_TRUE(ReadFileBytes(GoldenDataDir() + "/" + g.dat, &dat));
    ASSERT_TRUE(ReadFileBytes(GoldenDataDir() + "/" + g.map, &map));
    MemFileSystem mem;
    mem.WriteAll(std::string("/w/coll.main.0/") + g.dat, dat);
    const RdbInfo* rdb = FindRdb(g.rdb);
    ASSERT_NE(rdb, nullptr);
    auto m = RebuildMeta(&mem, "/w/coll.main.0", g.dat, *rdb, kGbPartSize);
    ASSERT_OK(m);
    EXPECT_EQ(m->map, map);
    EXPECT_EQ(m->bytes, dat.size());
    auto crc = CrcSidecar::Parse(m->sidecar, "crc");
    ASSERT_OK(crc);
    EXPECT_EQ(crc->data_size, dat.size());
    ++files;
  }
  EXPECT_GE(files, 5);
}

struct RepairFixture : ::testing::Test {
  ImportCluster c;
  RepairEnv env;
  const std::string wd = "/cluster/host1";
  const std::string dir = "/cluster/host1/coll.main.0";
  std::string map0, crc0;
  void SetUp() override {
    c.local_hosts = {0, 1};
    c.Setup();
    env.catalogs = &c.cache;
    env.gigablast = &c.no_gb;
    env.heartbeat_thread = false;
    RandomListOptions o;
    o.negative_fraction = 0.1;
    const std::vector<TestRecord> recs = RandomRecords(GetRdb(RdbId::kPosdb), 3000, 5, o);
    ASSERT_OK(WriteDataFile(&c.mem, dir, GetRdb(RdbId::kPosdb), 3, recs));
    map0 = c.mem.ReadAll(dir + "/posdb0003.map");
    crc0 = c.mem.ReadAll(dir + "/posdb0003.crc");
  }
  Result<RepairReport> Repair(RepairWhat what,
                              const std::string& file = "coll.main.0/posdb0003.dat") {
    RepairRequest r;
    r.workdir = wd;
    r.file = file;
    r.what = what;
    return RunRepair(&c.mem, r, env);
  }
};

TEST_F(RepairFixture, MapIsRebuiltByteForByte) {
  auto same = Repair(RepairWhat::kMap);
  ASSERT_OK(same);
  EXPECT_TRUE(same->unchanged);
  // A missing map, then a damaged one.
  ASSERT_OK(c.mem.RemoveFile(dir + "/posdb0003.map"));
  auto r = Repair(RepairWhat::kMap);
  ASSERT_OK(r);
  EXPECT_FALSE(r->unchanged);
  EXPECT_EQ(c.mem.ReadAll(dir + "/posdb0003.map"), map0);
  std::string bad = map0;
  bad[0] ^= 0x40;  // endOffset (M2)
  c.mem.WriteAll(dir + "/posdb0003.map", bad);
  r = Repair(RepairWhat::kMap, "coll.main.0/posdb0003.map");
  ASSERT_OK(r);
  EXPECT_TRUE(r->replaced);
  EXPECT_FALSE(r->findings.empty());
  EXPECT_EQ(c.mem.ReadAll(dir + "/posdb0003.map"), map0);
}

TEST_F(RepairFixture, SidecarOnlyForAFileWithoutOne) {
  auto r = Repair(RepairWhat::kSidecar);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 3) << r.status().ToString();
  ASSERT_OK(c.mem.RemoveFile(dir + "/posdb0003.crc"));
  r = Repair(RepairWhat::kSidecar);
  ASSERT_OK(r);
  EXPECT_EQ(c.mem.ReadAll(dir + "/posdb0003.crc"), crc0);
}

// Damaged data is never blessed: the check fails, nothing is written.
TEST_F(RepairFixture, DamagedDataIsRefused) {
  const std::string good = c.mem.ReadAll(dir + "/posdb0003.dat");
  c.mem.WriteAll(dir + "/posdb0003.dat", good.substr(0, good.size() - 3));  // a torn last record
  ASSERT_OK(c.mem.RemoveFile(dir + "/posdb0003.crc"));
  auto r = Repair(RepairWhat::kSidecar);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 8) << r.status().ToString();
  EXPECT_FALSE(c.mem.Exists(dir + "/posdb0003.crc"));
  std::string data = good;
  data[data.size() / 2] ^= 0x10;
  c.mem.WriteAll(dir + "/posdb0003.dat", data);
  c.mem.WriteAll(dir + "/posdb0003.crc", crc0);  // the sidecar tells the flip (C4)
  ASSERT_OK(c.mem.RemoveFile(dir + "/posdb0003.map"));
  r = Repair(RepairWhat::kMap);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 8) << r.status().ToString();
  EXPECT_FALSE(c.mem.Exists(dir + "/posdb0003.map"));
}

}  // namespace
}  // namespace shardtool::testing
