// Verify's saved-tree check through the FileSystem interface (an in-memory file system): the
// database dir names the collnum, records of other collnums are counted and not checked, ownership
// uses the collection's slot owners, missing trees are nothing, other engine parts are a notice,
// and RunVerify adds the trees to its summary unless told not to.
#include "jobs/verify/tree_verifier.h"

#include <gtest/gtest.h>

#include "io/mem_file_system.h"
#include "jobs/verify/verify_job.h"
#include "testing/saved_tree_writer.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::PosdbTreeKey;

class TreeVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(fs_.CreateDirs("/w/coll.main.3")); }
  VerifyCollection Coll(RdbId id, bool owners = true) {
    VerifyCollection c;
    c.rdb = &GetRdb(id);
    c.ns = "main." + std::string(c.rdb->name);
    c.dir = "/w/coll.main.3";
    if (owners) {
      SlotOwners o;
      o.owner.fill(0);
      o.self = 0;
      o.owner[static_cast<size_t>(DocIdSlot(kForeign))] = 2;
      c.owners = o;
    }
    return c;
  }
  static constexpr uint64_t kOwn = 1000, kForeign = 123456;
  MemFileSystem fs_;
};

TEST_F(TreeVerifierTest, CollnumOwnershipAndOtherCollections) {
  const std::string b = testing::WriteRdbBuckets(
      18, {{0, {PosdbTreeKey(5, kOwn)}, -1, -1},
           {3, testing::SortedKeys({PosdbTreeKey(9, kOwn), PosdbTreeKey(9, kForeign, false)}), -1,
            -1}});
  fs_.WriteAll("/w/posdb-buckets-saved.dat", b);
  auto r = VerifySavedTrees(&fs_, {Coll(RdbId::kPosdb), Coll(RdbId::kTitledb)}, 20);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 1u);  // no titledb tree: nothing to report
  const TreeVerifyReport& t = (*r)[0];
  EXPECT_EQ(t.file, "/w/posdb-buckets-saved.dat");
  EXPECT_EQ(t.kind, "rdbbuckets");
  EXPECT_EQ(t.collnum, 3);
  EXPECT_EQ(t.positive, 2);
  EXPECT_EQ(t.negative, 1);
  EXPECT_EQ(t.this_collnum, 2);
  EXPECT_EQ(t.other_collnums, 1);
  EXPECT_EQ(t.ownership_checked, "records");
  EXPECT_EQ(t.owned, 1);
  EXPECT_EQ(t.not_owned, 1);
  EXPECT_EQ(t.not_owned_by_shard.at(2), 1);
  ASSERT_EQ(t.misplaced_sample.size(), 1u);
  EXPECT_EQ(t.misplaced_sample[0].slot, DocIdSlot(kForeign));
  EXPECT_EQ(t.errors, 0) << (t.findings.empty() ? "" : t.findings[0].ToString());
  EXPECT_TRUE(t.decoded_completely);

  // Unversioned: counted, not checked.
  r = VerifySavedTrees(&fs_, {Coll(RdbId::kPosdb, false)}, 20);
  ASSERT_OK(r);
  EXPECT_EQ((*r)[0].ownership_checked, "unversioned");
  EXPECT_EQ((*r)[0].not_owned, 0);
}

TEST_F(TreeVerifierTest, NotShardableOtherPartsAndTheSummary) {
  fs_.WriteAll("/w/spiderdb-saved.dat",
               testing::WriteRdbTree(16, -1, {{3, std::string(16, '\x01'), "abc"}}));
  fs_.WriteAll("/w/waitingtree-saved.dat", std::string(26, '\0'));
  fs_.WriteAll("/w/posdb-buckets-saved.dat",  // cut inside the bucket header
               testing::WriteRdbBuckets(18, {{3, {PosdbTreeKey(1, kOwn)}, -1, -1}}).substr(0, 40));
  std::vector<VerifyCollection> colls = {Coll(RdbId::kSpiderdb), Coll(RdbId::kPosdb)};
  auto r = VerifySavedTrees(&fs_, colls, 20);
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].rdb, "spiderdb");
  EXPECT_EQ((*r)[0].ownership_checked, "not_shardable");
  EXPECT_EQ((*r)[0].this_collnum, 1);
  EXPECT_EQ((*r)[1].rdb, "posdb");
  EXPECT_EQ((*r)[1].rule_counts.at("V1"), 1);
  EXPECT_EQ((*r)[2].rdb, "waitingtree");
  EXPECT_TRUE((*r)[2].skipped);
  EXPECT_EQ((*r)[2].notices, 1);

  VerifyOptions o;
  auto rep = RunVerify(&fs_, colls, o);
  ASSERT_OK(rep);
  EXPECT_EQ(rep->summary.trees, 3);
  EXPECT_EQ(rep->summary.tree_records, 1);
  EXPECT_EQ(rep->summary.errors, 1);
  EXPECT_EQ(rep->summary.notices, 1);
  EXPECT_FALSE(rep->ok());
  o.trees = false;
  rep = RunVerify(&fs_, colls, o);
  ASSERT_OK(rep);
  EXPECT_TRUE(rep->trees.empty());
  EXPECT_TRUE(rep->ok());
}

}  // namespace
}  // namespace shardtool
