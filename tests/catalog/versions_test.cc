// Chunk, shard and db versions and their text forms; UUIDs; namespaces (doc/acquisition.md §2).
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "catalog/chunk_version.h"
#include "catalog/namespace.h"
#include "catalog/shard_version.h"
#include "catalog/uuid.h"

namespace shardtool {
namespace {

constexpr char kEpoch[] = "0b7c6f5e-1d2a-4c3b-8e9f-0a1b2c3d4e5f";

TEST(ChunkVersion, TextFormRoundTripsAndComparesAsPairs) {
  EXPECT_EQ((ChunkVersion{1, 0}).ToString(), "1|0");
  EXPECT_EQ((ChunkVersion{4294967295U, 7}).ToString(), "4294967295|7");
  for (const char* t : {"1|0", "0|0", "2|13", "4294967295|4294967295"}) {
    auto v = ChunkVersion::Parse(t);
    ASSERT_TRUE(v) << t;
    EXPECT_EQ(v->ToString(), t);
  }
  for (const char* bad : {"", "1", "1|", "|0", "1|0|0", "-1|0", "1|+2", "4294967296|0", "1 |0",
                          "a|b", "1.0|0", "01234567890|0"}) {
    EXPECT_FALSE(ChunkVersion::Parse(bad)) << bad;
  }
  EXPECT_LT((ChunkVersion{1, 9}), (ChunkVersion{2, 0}));
  EXPECT_LT((ChunkVersion{2, 0}), (ChunkVersion{2, 1}));
  EXPECT_EQ((ChunkVersion{3, 3}), *ChunkVersion::Parse("3|3"));
}

TEST(ShardVersion, TextForms) {
  const CollectionGeneration g{kEpoch, 2};
  const ShardVersion v = ShardVersion::Versioned(g, {1, 1});
  EXPECT_EQ(v.ToString(), std::string(kEpoch) + "/2/1|1");
  EXPECT_EQ(ShardVersion::Untracked().ToString(), "UNTRACKED");
  EXPECT_EQ(ShardVersion::Ignored().ToString(), "IGNORED");
  EXPECT_EQ(ShardVersion::Unknown().ToString(), "unknown");
  auto p = ShardVersion::Parse(v.ToString());
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, v);
  EXPECT_TRUE(ShardVersion::Parse("UNTRACKED")->is_untracked());
  EXPECT_TRUE(ShardVersion::Parse("IGNORED")->is_ignored());
  // UUIDs are read in either case and kept lower-case.
  auto upper = ShardVersion::Parse("0B7C6F5E-1D2A-4C3B-8E9F-0A1B2C3D4E5F/2/1|1");
  ASSERT_TRUE(upper);
  EXPECT_EQ(*upper, v);
  for (const char* bad :
       {"untracked", "unknown", "", "x/1/1|0", "0b7c6f5e-1d2a-4c3b-8e9f-0a1b2c3d4e5f/1",
        "0b7c6f5e-1d2a-4c3b-8e9f-0a1b2c3d4e5f/-1/1|0",
        "0b7c6f5e-1d2a-4c3b-8e9f-0a1b2c3d4e5f/1/1|0/x",
        "0b7c6f5e-1d2a-1c3b-8e9f-0a1b2c3d4e5f/1/1|0"}) {
    EXPECT_FALSE(ShardVersion::Parse(bad)) << bad;
  }
}

TEST(ShardVersion, OrderedOnlyWithinOneGeneration) {
  const CollectionGeneration g{kEpoch, 1}, g2{kEpoch, 2};
  const auto a = ShardVersion::Versioned(g, {1, 0});
  const auto b = ShardVersion::Versioned(g, {1, 7});
  const auto c = ShardVersion::Versioned(g, {2, 0});
  const auto other = ShardVersion::Versioned(g2, {1, 0});
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b < c);
  EXPECT_TRUE(SameGeneration(a, c));
  EXPECT_FALSE(SameGeneration(a, other));
  EXPECT_EQ(a <=> other, std::partial_ordering::unordered);
  EXPECT_EQ(a <=> ShardVersion::Untracked(), std::partial_ordering::unordered);
  EXPECT_EQ(ShardVersion::Untracked() <=> ShardVersion::Untracked(),
            std::partial_ordering::equivalent);
  EXPECT_NE(a, other);
  EXPECT_EQ(ShardVersion(), ShardVersion::Untracked());
}

TEST(DbVersion, TextForm) {
  DbVersion v{kEpoch, 9};
  EXPECT_EQ(v.ToString(), std::string(kEpoch) + "/9");
  EXPECT_EQ(*DbVersion::Parse(v.ToString()), v);
  EXPECT_FALSE(DbVersion::Parse("nope/1"));
  EXPECT_FALSE(DbVersion::Parse(std::string(kEpoch) + "/"));
  EXPECT_FALSE(DbVersion::Parse(std::string(kEpoch)));
}

TEST(Uuid, V4FormAndGenerators) {
  EXPECT_TRUE(IsUuidV4(kEpoch));
  EXPECT_TRUE(IsUuidV4("0B7C6F5E-1D2A-4C3B-BE9F-0A1B2C3D4E5F"));
  EXPECT_FALSE(IsUuidV4("0b7c6f5e-1d2a-3c3b-8e9f-0a1b2c3d4e5f"));  // version 3
  EXPECT_FALSE(IsUuidV4("0b7c6f5e-1d2a-4c3b-ce9f-0a1b2c3d4e5f"));  // variant 110x
  EXPECT_FALSE(IsUuidV4("0b7c6f5e1d2a-4c3b-8e9f-0a1b2c3d4e5f0"));
  EXPECT_FALSE(IsUuidV4("0b7c6f5e-1d2a-4c3b-8e9f-0a1b2c3d4e5g"));
  EXPECT_EQ(*NormalizeUuid("0B7C6F5E-1D2A-4C3B-8E9F-0A1B2C3D4E5F"), kEpoch);
  std::set<std::string> seen;
  auto random = RandomUuidGenerator();
  auto counting = CountingUuidGenerator(5);
  for (int i = 0; i < 1000; i++) {
    for (const std::string& u : {random(), counting()}) {
      EXPECT_TRUE(IsUuidV4(u)) << u;
      EXPECT_EQ(*NormalizeUuid(u), u);  // written lower-case
      EXPECT_TRUE(seen.insert(u).second) << u;
    }
  }
  auto again = CountingUuidGenerator(5), other = CountingUuidGenerator(6);
  const std::string first = again();
  EXPECT_EQ(first, CountingUuidGenerator(5)());
  EXPECT_NE(first, other());
}

TEST(Namespace, Rules) {
  auto ns = ParseNamespace("main.titledb");
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->db, "main");
  EXPECT_EQ(ns->name, "titledb");
  EXPECT_EQ(ns->ToString(), "main.titledb");
  EXPECT_TRUE(ParseNamespace("A-b_9.x"));
  EXPECT_TRUE(ParseNamespace(std::string(64, 'a') + "." + std::string(64, 'b')));
  for (const std::string& bad :
       std::vector<std::string>{"main.", ".titledb", "ma in.titledb", "main", "main.a.b", "",
                                std::string(65, 'a') + ".x", "main.tit/ledb", "m\xc3\xa9.x"}) {
    EXPECT_FALSE(ParseNamespace(bad)) << bad;
  }
  EXPECT_EQ(NamespaceDb("main.titledb"), "main");
}

TEST(Namespace, DatabaseDirNames) {
  EXPECT_EQ(DatabaseDirName("main", 0), "coll.main.0");
  auto d = ParseDatabaseDirName("coll.main.12");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->db, "main");
  EXPECT_EQ(d->collnum, 12);
  for (const char* bad : {"coll.main", "coll..0", "coll.main.", "coll.main.01", "coll.ma in.0",
                          "coll.a.b.0", "coll.main.-1", "coll.main.99999999999", "xcoll.main.0"}) {
    EXPECT_FALSE(ParseDatabaseDirName(bad)) << bad;
  }
}

}  // namespace
}  // namespace shardtool
