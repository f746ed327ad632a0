// OwnershipFilter and slot-range arithmetic (doc/acquisition.md §4).
#include "catalog/ownership_filter.h"

#include <gtest/gtest.h>

#include "catalog/catalog_ops.h"
#include "format/key.h"

namespace shardtool {
namespace {

CollectionEntry Titledb(std::vector<Chunk> chunks) {
  CollectionEntry c;
  c.ns = "main.titledb";
  c.rdb = "titledb";
  c.sharded = true;
  c.generation = CollectionGeneration{"0b7c6f5e-1d2a-4c3b-8e9f-0a1b2c3d4e5f", 1};
  c.chunks = std::move(chunks);
  return c;
}

TEST(OwnershipFilter, DefaultChunksOfTwoShards) {
  const CollectionEntry c = Titledb(DefaultChunks(2));
  ASSERT_EQ(c.chunks.size(), 8192u);  // slot i to i % 2: nothing to coalesce
  const OwnershipFilter f(c, 0, GetRdb(RdbId::kTitledb));
  // SR6: owned(0) true, owned(1) false; isRangeEntirelyOwned(0,1) true, (0,2) false.
  EXPECT_TRUE(f.Owned(0));
  EXPECT_FALSE(f.Owned(1));
  EXPECT_TRUE(f.IsRangeEntirelyOwned(0, 1));
  EXPECT_FALSE(f.IsRangeEntirelyOwned(0, 2));
  EXPECT_FALSE(f.IsRangeEntirelyOwned(1, 2));
  EXPECT_TRUE(f.IsRangeEntirelyOwned(8190, 8191));
  EXPECT_EQ(f.NumOwned(), 4096);
  EXPECT_EQ(f.OwnedRanges().size(), 4096u);
  EXPECT_EQ(f.OwnedRanges()[1], (SlotRange{2, 3}));
  EXPECT_FALSE(f.Owned(-1));
  EXPECT_FALSE(f.Owned(8192));
}

TEST(OwnershipFilter, OneShardOwnsEverythingInOneChunk) {
  const auto chunks = DefaultChunks(1);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].min, 0);
  EXPECT_EQ(chunks[0].max, 8192);
  const OwnershipFilter f(Titledb(chunks), 0, GetRdb(RdbId::kTitledb));
  EXPECT_TRUE(f.IsRangeEntirelyOwned(0, 8192));
  EXPECT_FALSE(f.IsRangeEntirelyOwned(0, 8193));
  EXPECT_TRUE(f.IsRangeEntirelyOwned(5, 5));  // empty
  EXPECT_EQ(f.OwnedRanges(), (std::vector<SlotRange>{{0, 8192}}));
}

TEST(OwnershipFilter, AdjacentOwnedChunksFormOneRun) {
  const CollectionEntry c = Titledb({{0, 100, 1, {2, 0}, {}},
                                     {100, 200, 1, {1, 0}, {}},
                                     {200, 300, 0, {1, 1}, {}},
                                     {300, 8192, 1, {1, 0}, {}}});
  const OwnershipFilter f1(c, 1, GetRdb(RdbId::kTitledb));
  EXPECT_EQ(f1.OwnedRanges(), (std::vector<SlotRange>{{0, 200}, {300, 8192}}));
  EXPECT_TRUE(f1.IsRangeEntirelyOwned(0, 200));
  EXPECT_TRUE(f1.IsRangeEntirelyOwned(150, 199));
  EXPECT_FALSE(f1.IsRangeEntirelyOwned(150, 201));
  EXPECT_FALSE(f1.IsRangeEntirelyOwned(250, 301));
  const OwnershipFilter f0(c, 0, GetRdb(RdbId::kTitledb));
  EXPECT_EQ(f0.NumOwned(), 100);
  const OwnershipFilter none(c, 2, GetRdb(RdbId::kTitledb));
  EXPECT_EQ(none.NumOwned(), 0);
  EXPECT_FALSE(none.IsRangeEntirelyOwned(0, 1));
}

TEST(OwnershipFilter, KeyOwnedUsesTheRdbsSlotFunction) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  const OwnershipFilter f(Titledb(DefaultChunks(2)), 0, rdb);
  // docId d in titledb key: bits 58..63 of n0 and n1 << 6 (doc/format.md §6.1).
  for (uint64_t docid : {0ULL, 1ULL << 7, 1ULL << 14, 123456789ULL, 274877906943ULL}) {
    Key k(12);
    const uint64_t n0 = (docid & 0x3f) << 58, n1 = docid >> 6;
    for (int i = 0; i < 8; i++) k.data()[i] = static_cast<uint8_t>(n0 >> (8 * i));
    for (int i = 0; i < 4; i++) k.data()[8 + i] = static_cast<uint8_t>(n1 >> (8 * i));
    const int slot = KeySlot(rdb, k.data());
    EXPECT_EQ(slot, DocIdSlot(docid));
    EXPECT_EQ(f.KeyOwned(k.data()), slot % 2 == 0) << docid;
  }
}

TEST(SlotRanges, CoalesceSubtractIntersect) {
  EXPECT_EQ(CoalesceRanges({{5, 6}, {0, 1}, {1, 3}, {2, 4}, {7, 7}}),
            (std::vector<SlotRange>{{0, 4}, {5, 6}}));
  const std::vector<SlotRange> a = {{0, 10}, {20, 30}};
  EXPECT_EQ(SubtractRanges(a, {{2, 3}, {8, 22}, {29, 40}}),
            (std::vector<SlotRange>{{0, 2}, {3, 8}, {22, 29}}));
  EXPECT_EQ(SubtractRanges(a, {}), a);
  EXPECT_EQ(SubtractRanges(a, {{0, 8192}}), (std::vector<SlotRange>{}));
  EXPECT_EQ(IntersectRanges(a, {{5, 25}}), (std::vector<SlotRange>{{5, 10}, {20, 25}}));
  EXPECT_EQ(IntersectRanges(a, {{10, 20}}), (std::vector<SlotRange>{}));
}

}  // namespace
}  // namespace shardtool
