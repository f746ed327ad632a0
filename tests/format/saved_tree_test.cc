// Saved in-memory trees (format/saved_tree.h): every golden file Gigablast wrote decodes to the
// last byte, keys checked against a decoding of the bytes made here independently; truncations
// at every offset and random mutations give located findings, never a crash.
#include "format/saved_tree.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "base/coding.h"
#include "format/key.h"
#include "testing/golden_dump.h"
#include "testing/paths.h"
#include "testing/saved_tree_writer.h"

namespace shardtool {
namespace {

std::string Golden(const std::string& name) {
  std::string s;
  EXPECT_TRUE(testing::ReadFileBytes(testing::GoldenDir() + "/tree-saved/" + name, &s)) << name;
  return s;
}

int Errors(const SavedTree& t) { return static_cast<int>(t.error_count); }

bool Has(const SavedTree& t, const std::string& rule) {
  for (const Finding& f : t.findings)
    if (f.rule == rule) return true;
  return false;
}

std::string Dump(const SavedTree& t) {
  std::string s;
  for (const Finding& f : t.findings) s += f.ToString() + "\n";
  return s;
}

TEST(SavedTreeName, MapsFileNamesToRdbsAndOtherEngineParts) {
  auto n = ClassifySavedTreeName("posdb-buckets-saved.dat");
  EXPECT_TRUE(n.saved_tree);
  EXPECT_EQ(n.kind, SavedTreeKind::kBuckets);
  ASSERT_NE(n.rdb, nullptr);
  EXPECT_EQ(n.rdb->name, "posdb");
  n = ClassifySavedTreeName("titledb-saved.dat");
  EXPECT_EQ(n.kind, SavedTreeKind::kTree);
  ASSERT_NE(n.rdb, nullptr);
  EXPECT_EQ(n.rdb->key_size, 12);
  for (const char* other : {"autoban-saved.dat", "statsdb-saved.dat", "waitingtree-saved.dat"}) {
    n = ClassifySavedTreeName(other);
    EXPECT_TRUE(n.saved_tree) << other;
    EXPECT_EQ(n.rdb, nullptr) << other;
  }
  EXPECT_FALSE(ClassifySavedTreeName("posdb0001.dat").saved_tree);
  EXPECT_FALSE(ClassifySavedTreeName("-saved.dat").saved_tree);
  EXPECT_EQ(SavedTreeFileName("posdb", SavedTreeKind::kBuckets), "posdb-buckets-saved.dat");
}

TEST(SavedTreeGolden, EmptyRdbTreesDecodeTheirWholeHeader) {
  // numNodes of each tree as its header says (the tree's capacity), fixedDataSize as written.
  struct Case {
    const char* name;
    int32_t num_nodes, fixed;
  } cases[] = {{"clusterdb-saved.dat", 35714, 0},
               {"linkdb-saved.dat", 909090, 0},
               {"spiderdb-saved.dat", 2564102, -1},
               {"tagdb-saved.dat", 1232048, -1},
               {"titledb-saved.dat", 195312, -1}};
  for (const Case& c : cases) {
    const std::string bytes = Golden(c.name);
    const SavedTreeName n = ClassifySavedTreeName(c.name);
    ASSERT_NE(n.rdb, nullptr) << c.name;
    SavedTree t = ParseSavedTree(bytes, n.kind, n.rdb->key_size, c.name, n.rdb->fixed_data_size);
    EXPECT_EQ(Errors(t), 0) << c.name << "\n" << Dump(t);
    EXPECT_EQ(t.tree.fixed_data_size, n.rdb->fixed_data_size) << c.name;
    EXPECT_TRUE(t.decoded_completely) << c.name;
    EXPECT_EQ(t.consumed, bytes.size()) << c.name;
    EXPECT_EQ(bytes.size(), 26u);
    EXPECT_EQ(t.tree.num_nodes, c.num_nodes) << c.name;
    EXPECT_EQ(t.tree.fixed_data_size, c.fixed) << c.name;
    EXPECT_EQ(t.tree.num_used_nodes, 0);
    EXPECT_EQ(t.tree.head_node, -1);
    EXPECT_EQ(t.tree.min_unused_node, 0);
    EXPECT_EQ(t.tree.do_balancing, 1);
    EXPECT_TRUE(t.records.empty());
  }
}

TEST(SavedTreeGolden, PosdbBucketsDecodeEveryByte) {
  const std::string bytes = Golden("posdb-buckets-saved.dat");
  ASSERT_EQ(bytes.size(), 1869u);
  SavedTree t = ParseSavedTree(bytes, SavedTreeKind::kBuckets, 18, "posdb-buckets-saved.dat");
  EXPECT_EQ(t.error_count, 0) << Dump(t);
  EXPECT_EQ(t.notice_count, 0) << Dump(t);
  EXPECT_TRUE(t.decoded_completely);
  EXPECT_EQ(t.consumed, 1869u);
  EXPECT_EQ(t.buckets.version, 0);
  EXPECT_EQ(t.buckets.num_buckets, 1);
  EXPECT_EQ(t.buckets.max_buckets, 2370);
  EXPECT_EQ(t.buckets.rec_size, 18);
  EXPECT_EQ(t.buckets.num_keys, 101);
  EXPECT_EQ(t.buckets.num_neg_keys, 101);
  EXPECT_EQ(t.buckets.bucket_size, 8192);
  ASSERT_EQ(t.bucket_list.size(), 1u);
  EXPECT_EQ(t.bucket_list[0].sorted, 1);
  EXPECT_EQ(t.bucket_list[0].end_key_offset, 26 * 18);
  ASSERT_EQ(t.records.size(), 101u);
  EXPECT_EQ(t.positive, 0);
  EXPECT_EQ(t.negative, 101);
  // Independently: records are 18-byte slices from offset 37 + 14, stored least significant byte
  // first; all are deletes (delbit clear) of terms of one document.
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  std::set<uint64_t> docids;
  std::set<std::string> distinct;
  for (size_t i = 0; i < 101; i++) {
    const uint8_t* k = p + 51 + 18 * i;
    EXPECT_EQ(t.records[i].offset, static_cast<int64_t>(51 + 18 * i));
    EXPECT_EQ(KeyHex(t.key(i), 18), KeyHex(k, 18));
    EXPECT_EQ(k[0] & 1, 0);
    EXPECT_EQ(t.records[i].collnum, 0);
    // docId: bits 58..95 of the key.
    uint64_t hi = 0;
    for (int b = 12; b >= 7; b--) hi = (hi << 8) | k[b];
    docids.insert((hi >> 2) & 0x3fffffffffULL);
    distinct.insert(std::string(reinterpret_cast<const char*>(k), 18));
  }
  EXPECT_EQ(docids, std::set<uint64_t>{53556731044ULL});
  EXPECT_EQ(distinct.size(), 101u);
  EXPECT_EQ(KeyHex(t.key(0), 18), "ebb5969c8a7431e0eb7290010308c3f80a00");
  EXPECT_EQ(KeyHex(t.key(100), 18), "42bf838ca32531e0eb729000fffffff80200");
  // The end key (record 26) is the largest.
  for (size_t i = 0; i < 101; i++) {
    if (i != 26) {
      EXPECT_LT(CompareKeys(t.key(i), t.key(26), 18), 0) << i;
    }
  }
}

TEST(SavedTreeGolden, OtherEnginePartsDecodeAsTreesWhenAsked) {
  // statsdb keeps a 12-byte-key RdbTree of 16-byte data: two nodes, 112 bytes to the last one.
  const std::string stats = Golden("statsdb-saved.dat");
  SavedTree t = ParseSavedTree(stats, SavedTreeKind::kTree, 12, "statsdb-saved.dat");
  EXPECT_EQ(Errors(t), 0) << Dump(t);
  EXPECT_EQ(t.consumed, 112u);
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_EQ(t.tree.fixed_data_size, 16);
  EXPECT_EQ(KeyHex(t.key(0), 12), "6b01ef42368c07dc00000001");
  EXPECT_EQ(KeyHex(t.key(1), 12), "6b01ef428c08e67c00000001");
  EXPECT_EQ(t.records[0].data_offset, 80);
  EXPECT_EQ(t.records[1].data_offset, 96);
  EXPECT_EQ(t.positive, 2);
  const std::string waiting = Golden("waitingtree-saved.dat");
  t = ParseSavedTree(waiting, SavedTreeKind::kTree, 12, "waitingtree-saved.dat");
  EXPECT_EQ(Errors(t), 0) << Dump(t);
  EXPECT_EQ(t.consumed, 26u);
  EXPECT_EQ(t.tree.own_data, 1);
  // autoban's 4 bytes are no tree at all.
  t = ParseSavedTree(Golden("autoban-saved.dat"), SavedTreeKind::kTree, 12, "autoban-saved.dat");
  EXPECT_TRUE(Has(t, "V1"));
}

std::string Key12(uint64_t v, bool positive = true) {
  std::string k(12, '\0');
  StoreLE64(reinterpret_cast<uint8_t*>(k.data()), (v << 1) | (positive ? 1 : 0));
  return k;
}

TEST(SavedTree, WrittenTreeWithDataRoundTrips) {
  std::vector<testing::TreeNodeSpec> nodes;
  for (int i = 0; i < 25; i++)
    nodes.push_back({int16_t(i % 2), Key12(1000 - i * 7), "d" + std::to_string(i)});
  const std::string bytes = testing::WriteRdbTree(12, -1, nodes);
  SavedTree t = ParseSavedTree(bytes, SavedTreeKind::kTree, 12, "tagdb-saved.dat");
  EXPECT_EQ(Errors(t), 0) << Dump(t);
  EXPECT_TRUE(t.decoded_completely);
  ASSERT_EQ(t.records.size(), 25u);
  for (size_t i = 1; i < 25; i++) {
    const auto &a = t.records[i - 1], &b = t.records[i];
    EXPECT_TRUE(a.collnum < b.collnum ||
                (a.collnum == b.collnum && CompareKeys(t.key(i - 1), t.key(i), 12) < 0));
  }
  for (const auto& r : t.records) {
    EXPECT_EQ(bytes.substr(static_cast<size_t>(r.data_offset), static_cast<size_t>(r.data_size)),
              nodes[static_cast<size_t>(r.node)].data);
  }
}

TEST(SavedTree, NodeBlocksOf10000AndBrokenLinks) {
  // 20001 nodes: three blocks, each its arrays then its data.
  std::vector<testing::TreeNodeSpec> nodes;
  for (int i = 0; i < 20001; i++)
    nodes.push_back({0, Key12(static_cast<uint64_t>(i) * 3 + 1), std::string(size_t(i % 3), 'a')});
  std::string bytes = testing::WriteRdbTree(12, -1, nodes);
  SavedTree t = ParseSavedTree(bytes, SavedTreeKind::kTree, 12, "big-saved.dat", -1);
  EXPECT_EQ(Errors(t), 0) << Dump(t);
  EXPECT_EQ(t.consumed, bytes.size());
  ASSERT_EQ(t.records.size(), 20001u);
  for (size_t i = 0; i < t.records.size(); i++) {
    ASSERT_EQ(t.records[i].node, static_cast<int64_t>(i));  // written in key order
    ASSERT_EQ(t.records[i].data_size, static_cast<int32_t>(i % 3));
  }
  EXPECT_EQ(t.records[10000].offset,
            26 + 10000 * (2 + 12 + 12 + 1 + 4) + 9999 + 2 * 10000);  // block 2: collnums, keys
  // A left link of node 0 pointing back at the head: a cycle, V4, records in node order.
  std::vector<testing::TreeNodeSpec> small(nodes.begin(), nodes.begin() + 7);
  bytes = testing::WriteRdbTree(12, -1, small);
  const int32_t head = LoadLEi32(reinterpret_cast<const uint8_t*>(bytes.data()) + 12);
  const size_t left0 = 26 + 7 * 2 + 7 * 12;
  StoreLE32(reinterpret_cast<uint8_t*>(bytes.data()) + left0, static_cast<uint32_t>(head));
  t = ParseSavedTree(bytes, SavedTreeKind::kTree, 12, "x-saved.dat", -1);
  EXPECT_TRUE(Has(t, "V4")) << Dump(t);
  EXPECT_FALSE(t.in_tree_order);
  EXPECT_EQ(t.records.size(), 7u);
  EXPECT_FALSE(Has(t, "V5"));
}

TEST(SavedTree, OrderViolationsAreV5) {
  std::vector<testing::TreeNodeSpec> nodes;
  for (int i = 0; i < 7; i++) nodes.push_back({0, Key12(10 + i), ""});
  std::string bytes = testing::WriteRdbTree(12, 0, nodes);
  // Swap the keys of nodes 1 and 5 in place: the links stay, the order breaks.
  const size_t keys = 26 + 2 * 7;
  std::string k1 = bytes.substr(keys + 12, 12), k5 = bytes.substr(keys + 60, 12);
  bytes.replace(keys + 12, 12, k5);
  bytes.replace(keys + 60, 12, k1);
  SavedTree t = ParseSavedTree(bytes, SavedTreeKind::kTree, 12, "x-saved.dat");
  EXPECT_TRUE(Has(t, "V5")) << Dump(t);
  EXPECT_TRUE(t.decoded_completely);

  auto k18 = [](uint64_t v) {
    std::string k(18, '\0');
    StoreLE64(reinterpret_cast<uint8_t*>(k.data()) + 8, v);
    return k;
  };
  std::string b = testing::WriteRdbBuckets(
      18, {{0, {k18(1), k18(5), k18(9)}, -1, -1}, {0, {k18(12), k18(7)}, 1, 0}});
  t = ParseSavedTree(b, SavedTreeKind::kBuckets, 18, "posdb-buckets-saved.dat");
  EXPECT_TRUE(Has(t, "V5")) << Dump(t);  // 7 is below bucket 0's end key 9
  b = testing::WriteRdbBuckets(
      18, {{0, {k18(1), k18(5), k18(9)}, -1, -1}, {0, {k18(12), k18(10)}, 1, 0}});
  t = ParseSavedTree(b, SavedTreeKind::kBuckets, 18, "posdb-buckets-saved.dat");
  EXPECT_EQ(Errors(t), 0) << Dump(t);  // the unsorted tail may be in any order below the end key
  b = testing::WriteRdbBuckets(18, {{0, {k18(1), k18(5), k18(3)}, 3, 2}});
  t = ParseSavedTree(b, SavedTreeKind::kBuckets, 18, "posdb-buckets-saved.dat");
  EXPECT_TRUE(Has(t, "V5")) << Dump(t);
  EXPECT_EQ(ParseSavedTree("", SavedTreeKind::kBuckets, 18, "e").error_count, 0);
}

TEST(SavedTree, TrailingBytesAndHostileCountsAreFindings) {
  std::string bytes = Golden("posdb-buckets-saved.dat") + "xyz";
  SavedTree t = ParseSavedTree(bytes, SavedTreeKind::kBuckets, 18, "p");
  EXPECT_TRUE(Has(t, "V3")) << Dump(t);
  EXPECT_FALSE(t.decoded_completely);
  EXPECT_EQ(t.findings[0].offset, 1869);
  // 2^31-1 nodes claimed by 26 bytes: nothing is allocated by that count.
  std::string tree = Golden("titledb-saved.dat");
  tree[20] = '\xff';
  tree[21] = '\xff';
  tree[22] = '\xff';
  tree[23] = '\x7f';
  t = ParseSavedTree(tree, SavedTreeKind::kTree, 12, "titledb-saved.dat");
  EXPECT_TRUE(Has(t, "V1")) << Dump(t);
  std::string b = Golden("posdb-buckets-saved.dat");
  b[4] = '\xff';
  b[5] = '\xff';
  b[6] = '\xff';
  b[7] = '\x7f';
  t = ParseSavedTree(b, SavedTreeKind::kBuckets, 18, "p");
  EXPECT_TRUE(Has(t, "V1") || Has(t, "V2")) << Dump(t);
  b = Golden("posdb-buckets-saved.dat");
  b[12] = 12;  // key size not posdb's
  t = ParseSavedTree(b, SavedTreeKind::kBuckets, 18, "p");
  EXPECT_TRUE(Has(t, "V2")) << Dump(t);
  EXPECT_TRUE(t.records.empty());
  // The most negative counts and sizes are findings, not arithmetic overflows (a fuzz finding:
  // minUnusedNode = INT32_MIN in a message's "0..minUnusedNode-1").
  tree = Golden("titledb-saved.dat");
  tree[20] = 0;
  tree[21] = 0;
  tree[22] = 0;
  tree[23] = '\x80';
  tree[12] = '\xfe';  // head node -2: its message names the node range
  t = ParseSavedTree(tree, SavedTreeKind::kTree, 12, "titledb-saved.dat");
  EXPECT_TRUE(Has(t, "V2")) << Dump(t);
  b = Golden("posdb-buckets-saved.dat");
  b[17] = 0;  // record size INT32_MIN
  b[18] = 0;
  b[19] = 0;
  b[20] = '\x80';
  t = ParseSavedTree(b, SavedTreeKind::kBuckets, 18, "p");
  EXPECT_TRUE(Has(t, "V2")) << Dump(t);
  // The data size form must be the Rdb's, as Gigablast's loader requires.
  t = ParseSavedTree(Golden("titledb-saved.dat"), SavedTreeKind::kTree, 12, "t", 0);
  EXPECT_TRUE(Has(t, "V2")) << Dump(t);
}

std::vector<std::pair<std::string, SavedTreeKind>> Samples() {
  std::vector<testing::TreeNodeSpec> nodes;
  for (int i = 0; i < 9; i++) nodes.push_back({0, Key12(50 + i * 3), std::string(size_t(i), 'x')});
  return {{Golden("posdb-buckets-saved.dat"), SavedTreeKind::kBuckets},
          {Golden("statsdb-saved.dat"), SavedTreeKind::kTree},
          {testing::WriteRdbTree(12, -1, nodes), SavedTreeKind::kTree}};
}

TEST(SavedTree, EveryTruncationIsALocatedV1) {
  for (const auto& [bytes, kind] : Samples()) {
    const int ks = kind == SavedTreeKind::kBuckets ? 18 : 12;
    for (size_t n = 0; n < bytes.size(); n++) {
      SavedTree t = ParseSavedTree(std::string_view(bytes).substr(0, n), kind, ks, "f");
      if (n == 0 && kind == SavedTreeKind::kBuckets) {
        EXPECT_EQ(t.error_count, 0);  // an empty buckets file is an empty tree
        continue;
      }
      ASSERT_TRUE(Has(t, "V1")) << n << "\n" << Dump(t);
      EXPECT_FALSE(t.decoded_completely) << n;
      for (const Finding& f : t.findings) {
        if (f.rule == "V1") {
          EXPECT_GE(f.offset, 0);
          EXPECT_LE(f.offset, static_cast<int64_t>(n));
        }
      }
    }
  }
}

TEST(SavedTree, RandomMutationsNeverCrash) {
  std::mt19937 rng(1234);
  for (const auto& [bytes, kind] : Samples()) {
    const int ks = kind == SavedTreeKind::kBuckets ? 18 : 12;
    for (int iter = 0; iter < 3000; iter++) {
      std::string m = bytes;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; f++) {
        m[rng() % m.size()] = static_cast<char>(rng() & 0xff);
      }
      if (rng() % 4 == 0) m.resize(rng() % (m.size() + 1));
      SavedTree t = ParseSavedTree(m, kind, ks, "f");
      EXPECT_LE(t.consumed, m.size());
      EXPECT_EQ(t.keys.size(), t.records.size() * static_cast<size_t>(ks));
      for (const SavedTreeRecord& r : t.records) {
        EXPECT_LE(r.offset + ks, static_cast<int64_t>(m.size()));
        if (r.data_offset >= 0) {
          EXPECT_LE(r.data_offset + r.data_size, static_cast<int64_t>(m.size()));
        }
      }
    }
  }
}

}  // namespace
}  // namespace shardtool
