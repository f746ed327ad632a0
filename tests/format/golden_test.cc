// shardtool against files written by the real Gigablast engine (tests/testing/golden_dump.h):
// decoding matches Gigablast's own dumps, maps rebuild and data re-encodes byte for byte, the map
// checks find nothing, and range reads through the golden maps return exactly the keys asked for.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "format/page_map.h"
#include "format/rdb_registry.h"
#include "format/record_codec.h"
#include "testing/golden_dump.h"
#include "testing/golden_files.h"
#include "testing/record_lists.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::DecodedRecord;
using testing::GoldenFile;

constexpr uint64_t kGbPartSize = 2013265920;

struct Loaded {
  const RdbInfo* rdb = nullptr;
  std::string dat, map;
  std::vector<DecodedRecord> recs;
  std::vector<testing::DumpRecord> dump;
};

// Loads a golden file, its map and its dump; a missing one is a fatal failure naming it (call
// through ASSERT_NO_FATAL_FAILURE).
void Load(const GoldenFile& g, Loaded* out) {
  Loaded& l = *out;
  l.rdb = FindRdb(g.rdb);
  ASSERT_NE(l.rdb, nullptr) << g.rdb;
  ASSERT_TRUE(testing::ReadGoldenFile(std::string("coll.main.0/") + g.dat, &l.dat));
  ASSERT_TRUE(testing::ReadGoldenFile(std::string("coll.main.0/") + g.map, &l.map));
  ASSERT_GOLDEN_FILE(testing::GoldenDumpDir() + "/" + g.dump);
  std::string error;
  EXPECT_TRUE(
      testing::ParseGoldenDump(g.rdb, testing::GoldenDumpDir() + "/" + g.dump, &l.dump, &error))
      << error;
  DecodeStatus st;
  uint64_t stop = 0;
  l.recs = testing::DecodeAll(*l.rdb, l.dat, &st, &stop);
  EXPECT_EQ(st, DecodeStatus::kOk) << g.dat << " at " << stop;
  EXPECT_EQ(stop, l.dat.size()) << g.dat;
}

class GoldenTest : public ::testing::TestWithParam<GoldenFile> {};

TEST_P(GoldenTest, DecodesToGigablastDump) {
  const GoldenFile& g = GetParam();
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(g, &l));
  ASSERT_EQ(l.recs.size(), l.dump.size()) << g.dat;
  int64_t pos = 0, neg = 0;
  for (size_t i = 0; i < l.recs.size(); i++) {
    const DecodedRecord& r = l.recs[i];
    const testing::DumpRecord& d = l.dump[i];
    SCOPED_TRACE(std::string(g.dat) + " record " + std::to_string(i) + " at offset " +
                 std::to_string(r.offset));
    EXPECT_EQ(r.key.ToHex(), d.key_hex);
    EXPECT_EQ(r.negative, d.negative);
    EXPECT_EQ(r.negative, r.key.negative());
    if (d.stored_size >= 0) {
      EXPECT_EQ(r.size, d.stored_size);
    }
    if (d.data_size >= 0) {
      EXPECT_EQ(r.data.size(), static_cast<size_t>(d.data_size));
    }
    if (!d.tag_value.empty()) {
      EXPECT_NE(r.data.find(d.tag_value), std::string::npos);
    }
    if (r.negative) {
      EXPECT_TRUE(r.data.empty());
      EXPECT_EQ(r.size, r.key_bytes);  // no size field, no data
    }
    (r.negative ? neg : pos)++;
  }
  EXPECT_EQ(pos, g.positive);
  EXPECT_EQ(neg, g.negative);
}

TEST_P(GoldenTest, MapRebuildsByteForByte) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(GetParam(), &l));
  PageMap m = testing::BuildMap(*l.rdb, l.recs);
  EXPECT_EQ(m.Serialize(), l.map) << GetParam().map;
}

TEST_P(GoldenTest, DataReencodesByteForByte) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(GetParam(), &l));
  RecordEncoder enc(*l.rdb);
  std::string out;
  for (const auto& r : l.recs) {
    const size_t n = enc.Append(r.key.data(), r.data, &out);
    EXPECT_EQ(n, r.size) << "offset " << r.offset;
  }
  EXPECT_EQ(out, l.dat) << GetParam().dat;
  // Gigablast's files are canonical throughout (L7 never fires).
  for (size_t i = 0; i < l.recs.size(); i++) {
    const uint8_t* prev = i == 0 ? nullptr : l.recs[i - 1].key.data();
    EXPECT_EQ(CanonicalKeyBytes(*l.rdb, prev, l.recs[i].key.data()), l.recs[i].key_bytes);
  }
}

TEST_P(GoldenTest, MapChecksFindNothing) {
  const GoldenFile& g = GetParam();
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(g, &l));
  auto map = PageMap::Parse(l.map, l.rdb->key_size, l.rdb->page_size, g.map);
  ASSERT_OK(map);
  std::vector<Finding> findings;
  map->CheckStructure(l.dat.size(), 0, kGbPartSize, g.map, &findings);
  MapVerifier v(*map, g.map);
  for (const auto& r : l.recs) v.AddRecord(r.offset, r.size, r.key.data(), r.negative);
  v.Finish(l.dat.size(), &findings);
  for (const auto& f : findings) ADD_FAILURE() << f.ToString();
  EXPECT_EQ(map->num_positive(), g.positive);
  EXPECT_EQ(map->num_negative(), g.negative);
  EXPECT_EQ(map->end_offset(), static_cast<int64_t>(l.dat.size()));
}

// The span RangeSpan gives for [a, b] holds exactly the keys in [a, b] of the whole file.
void ExpectRangeExact(const Loaded& l, const PageMap& map, const Key& a, const Key& b) {
  bool ok;
  std::vector<Key> got = testing::RangeRead(*l.rdb, l.dat, map, a, b, &ok);
  EXPECT_TRUE(ok);
  std::vector<Key> want = testing::KeysIn(l.recs, a, b);
  EXPECT_TRUE(got == want) << got.size() << " keys, want " << want.size() << ": [" << a.ToHex()
                           << ", " << b.ToHex() << "]";
}

TEST_P(GoldenTest, RangeSpansHoldExactlyTheRange) {
  const GoldenFile& g = GetParam();
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(g, &l));
  const int ks = l.rdb->key_size;
  auto map = PageMap::Parse(l.map, ks, l.rdb->page_size, g.map);
  ASSERT_OK(map);
  // Bounds: KEYMIN, KEYMAX, about 8 record keys and their neighbours, the page keys.
  std::vector<Key> bounds = {Key::Min(ks), Key::Max(ks)};
  for (size_t i = 0; i < l.recs.size(); i += std::max<size_t>(1, l.recs.size() / 8)) {
    Key k = l.recs[i].key;
    bounds.push_back(k);
    Key up = k, down = k;
    if (up.Increment()) bounds.push_back(up);
    if (down.Decrement()) bounds.push_back(down);
  }
  bounds.push_back(l.recs.back().key);
  for (int p = 0; p < map->num_pages(); p++) bounds.push_back(Key::FromBytes(map->page_key(p), ks));
  for (const Key& a : bounds) {
    for (const Key& b : bounds) {
      if (a <= b) ExpectRangeExact(l, *map, a, b);
    }
  }
  // GetPage of every record key is a page whose records start at or before the key.
  for (const auto& r : l.recs) {
    const int64_t p = map->GetPage(r.key.data());
    ASSERT_LT(p, map->num_pages());
    EXPECT_LE(map->GetAbsoluteOffset(p), static_cast<int64_t>(r.offset));
  }
}

INSTANTIATE_TEST_SUITE_P(Gigablast, GoldenTest, ::testing::ValuesIn(testing::GoldenFiles()),
                         [](const auto& info) { return std::string(info.param.rdb); });

TEST(GoldenPosdb, HasEveryStoredForm) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(Load(testing::GoldenFiles()[0], &l));
  std::set<uint32_t> forms;
  for (const auto& r : l.recs) forms.insert(r.key_bytes);
  EXPECT_EQ(forms, (std::set<uint32_t>{6, 12, 18}));
  EXPECT_EQ(l.recs.back().negative, true);  // README: the last key is negative
  EXPECT_EQ(l.recs.size(), 5083u);
}

}  // namespace
}  // namespace shardtool
