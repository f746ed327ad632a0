// OpenDataFile on hostile companions (issue 16).
#include "iter/data_file.h"

#include <gtest/gtest.h>

#include "testing/merge_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

// A map far larger than the data needs (a sparse 1.5 GB map took verify to 2.9 GB RSS) is refused
// (M1) before it is read; a map a little off is still read, for its checks to judge.
TEST(OpenDataFile, OversizedMapIsRefusedBeforeItIsRead) {
  testing::MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  ASSERT_OK(c.WriteInput(rdb, 1, testing::RandomRecords(rdb, 2000, 3)));
  const std::string map = c.dir + "/posdb0001.map";
  const std::string good = c.mem().ReadAll(map);
  ASSERT_OK(c.mem().Truncate(map, good.size() + (uint64_t{12} << 20)));
  auto df = OpenDataFile(&c.mem(), c.dir, "posdb0001.dat", nullptr, {}, nullptr);
  ASSERT_OK(df);
  EXPECT_FALSE(df->map.has_value());
  EXPECT_EQ(df->map_status.code(), ErrorCode::kCorruption);
  EXPECT_NE(df->map_status.message().find("not read (M1)"), std::string::npos)
      << df->map_status.message();
  // A map with a few pages too many is read (and judged by its checks).
  c.mem().WriteAll(map, good + std::string(4000, '\0'));
  auto near = OpenDataFile(&c.mem(), c.dir, "posdb0001.dat", nullptr, {}, nullptr);
  ASSERT_OK(near);
  EXPECT_EQ(near->map_status.message().find("not read"), std::string::npos);
}

}  // namespace
}  // namespace shardtool
