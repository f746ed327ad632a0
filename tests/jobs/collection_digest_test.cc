// verify --digest (issue 17 §3): the digest of a collection's visible records does not depend on
// how the records are spread over files (split, merged, shadowed versions, tombstones) and changes
// with any visible record.
#include "jobs/verify/collection_digest.h"

#include <gtest/gtest.h>

#include "format/file_name.h"
#include "io/mem_file_system.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::TestRecord;

class Digest : public ::testing::TestWithParam<const char*> {
 protected:
  const RdbInfo& rdb() const { return *FindRdb(GetParam()); }

  // Writes the files (oldest first, ids 1, 3, 5, ...) into a fresh dir and digests them.
  CollectionDigest Of(const std::vector<std::vector<TestRecord>>& files) {
    const std::string dir = "/d" + std::to_string(n_++);
    VerifyCollection c;
    c.ns = "main." + std::string(rdb().name);
    c.rdb = &rdb();
    c.dir = dir;
    int32_t id = 1;
    for (const auto& recs : files) {
      EXPECT_OK(testing::WriteDataFile(&fs_, dir, rdb(), id, recs));
      c.data_files.push_back(DataName(rdb().name, id, rdb().titledb_naming));
      id += 2;
    }
    auto d = DigestCollection(&fs_, c, DigestOptions{});
    EXPECT_OK(d);
    return d.ok() ? *d : CollectionDigest{};
  }

  std::vector<TestRecord> Base(size_t n = 400) {
    testing::RandomListOptions o;
    o.negative_fraction = 0;
    return testing::RandomRecords(rdb(), n, 17, o);
  }

  MemFileSystem fs_;
  int n_ = 0;
};

TEST_P(Digest, SplitAcrossFilesIsTheSame) {
  const auto base = Base();
  const CollectionDigest one = Of({base});
  EXPECT_EQ(one.records, static_cast<int64_t>(base.size()));
  std::vector<std::vector<TestRecord>> three(3);
  for (size_t i = 0; i < base.size(); i++) three[i % 3].push_back(base[i]);
  const CollectionDigest split = Of(three);
  EXPECT_EQ(split.records, one.records);
  EXPECT_EQ(split.digest.Hex(), one.digest.Hex());
  // Another split (halves), and the same records in both of two files (newest wins).
  std::vector<TestRecord> lo(base.begin(), base.begin() + 150), hi(base.begin() + 150, base.end());
  EXPECT_EQ(Of({hi, lo}).digest.Hex(), one.digest.Hex());
  EXPECT_EQ(Of({base, base}).digest.Hex(), one.digest.Hex());
  EXPECT_EQ(Of({base, base}).records, one.records);
}

TEST_P(Digest, NewestWinsAndTombstonesApply) {
  const auto base = Base();
  std::vector<TestRecord> visible, older, newer;
  for (size_t i = 0; i < base.size(); i++) {
    TestRecord stale = base[i];
    if (i % 4 == 0 && rdb().variable_size()) stale.data = "stale" + std::to_string(i);
    older.push_back(stale);
    if (i % 2 == 1) {
      newer.push_back({base[i].key.Negative(), ""});  // deleted later
    } else {
      visible.push_back(base[i]);
      if (i % 4 == 0) newer.push_back(base[i]);  // the current version
    }
  }
  const CollectionDigest merged = Of({visible});
  const CollectionDigest unmerged = Of({older, newer});
  EXPECT_EQ(unmerged.records, static_cast<int64_t>(visible.size()));
  EXPECT_EQ(unmerged.digest.Hex(), merged.digest.Hex());
  // A tombstone with nothing beneath it hides nothing and counts for nothing.
  std::vector<TestRecord> lone = {base[1]};
  lone[0].key = lone[0].key.Negative();
  lone[0].data.clear();
  std::vector<TestRecord> without1 = base;
  without1.erase(without1.begin() + 1);
  EXPECT_EQ(Of({without1, lone}).digest.Hex(), Of({without1}).digest.Hex());
}

TEST_P(Digest, AMissingOrChangedRecordChangesIt) {
  const auto base = Base();
  const CollectionDigest all = Of({base});
  for (size_t drop : {size_t{0}, size_t{199}, base.size() - 1}) {
    auto fewer = base;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(drop));
    const CollectionDigest d = Of({fewer});
    EXPECT_EQ(d.records, all.records - 1);
    EXPECT_NE(d.digest.Hex(), all.digest.Hex());
  }
  if (rdb().variable_size()) {
    auto changed = base;
    changed[7].data += "x";
    EXPECT_NE(Of({changed}).digest.Hex(), all.digest.Hex());
  }
  EXPECT_EQ(Of({}).records, 0);
  EXPECT_EQ(Of({}).digest.Hex(), std::string(32, '0'));
}

INSTANTIATE_TEST_SUITE_P(Rdbs, Digest, ::testing::Values("titledb", "posdb", "linkdb"));

TEST(Digest128, SumIsOrderIndependent) {
  const uint8_t a[] = {1, 2, 3},
                b[] = {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  Digest128 x, y;
  x.Add(HashBytes128(a, sizeof a, 1));
  x.Add(HashBytes128(b, sizeof b, 1));
  y.Add(HashBytes128(b, sizeof b, 1));
  y.Add(HashBytes128(a, sizeof a, 1));
  EXPECT_EQ(x.Hex(), y.Hex());
  EXPECT_EQ(x.Hex().size(), 32u);
  EXPECT_FALSE(HashBytes128(a, 3, 1) == HashBytes128(a, 2, 1));
  Digest128 twice;
  twice.Add(HashBytes128(a, 3, 1));
  twice.Add(HashBytes128(a, 3, 1));
  EXPECT_NE(twice.Hex(), std::string(32, '0'));  // a sum: a record twice does not cancel
}

}  // namespace
}  // namespace shardtool
