// Map rules M2-M11 (doc/format.md §5.4), each triggered by a defect planted in a good map: the
// finding must carry the rule id, the file name and the page / offset of the defect.
#include <gtest/gtest.h>

#include <algorithm>

#include "base/coding.h"
#include "format/page_map.h"
#include "testing/record_lists.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::DecodedRecord;

constexpr uint64_t kGbMaxPartSize = 2013265920;

// A good data file with its map: records of `rdb` whose sizes give both claimed and -1 pages.
struct Fixture {
  const RdbInfo& rdb;
  std::string file;
  std::vector<DecodedRecord> recs;
  std::string map_bytes;  // serialized good map

  Fixture(RdbId id, size_t n, uint32_t max_data) : rdb(GetRdb(id)) {
    testing::RandomListOptions opt;
    opt.max_data_size = max_data;
    opt.num_hi = 50;
    file = testing::EncodeRecords(rdb, testing::RandomRecords(rdb, n, 17, opt));
    DecodeStatus st;
    recs = testing::DecodeAll(rdb, file, &st);
    EXPECT_EQ(st, DecodeStatus::kOk);
    map_bytes = testing::BuildMap(rdb, recs).Serialize();
  }
  PageMap Map(const std::string& bytes) const {
    auto m = PageMap::Parse(bytes, rdb.key_size, rdb.page_size, "x.map");
    EXPECT_OK(m);
    return std::move(m).value();
  }
  PageMap Map() const { return Map(map_bytes); }
  // Runs the verifier over the whole file.
  std::vector<Finding> Verify(const PageMap& m, bool exempt = false, int limit = 20) const {
    std::vector<Finding> f;
    MapVerifier v(m, "titledb0001.map", exempt);
    v.set_limit_per_rule(limit);
    for (const auto& r : recs) v.AddRecord(r.offset, r.size, r.key.data(), r.negative);
    v.Finish(file.size(), &f);
    return f;
  }
  std::vector<Finding> Check(const PageMap& m, uint64_t L, int missing = 0) const {
    std::vector<Finding> f;
    m.CheckStructure(L, missing, kGbMaxPartSize, "titledb0001.map", &f);
    return f;
  }
  // First page > 0 with offset >= 0 (want_claimed) or -1.
  int64_t FindPage(const PageMap& m, bool want_claimed) const {
    for (int64_t p = 1; p < m.num_pages(); p++) {
      if ((m.page_offset(p) >= 0) == want_claimed) return p;
    }
    ADD_FAILURE() << "no such page";
    return 0;
  }
  // First record starting at or after logical offset o.
  const DecodedRecord& RecordAt(uint64_t o) const {
    auto it = std::lower_bound(recs.begin(), recs.end(), o,
                               [](const DecodedRecord& r, uint64_t x) { return r.offset < x; });
    return *it;
  }
};

// titledb with records up to 100 KB: pages of 32 KiB with both kinds of entry.
const Fixture& Titledb() {
  static const Fixture* f = new Fixture(RdbId::kTitledb, 40, 100000);
  return *f;
}

// Copies of the findings of one rule (callers pass temporaries).
std::vector<Finding> WithRule(const std::vector<Finding>& f, const std::string& rule) {
  std::vector<Finding> out;
  for (const auto& x : f) {
    if (x.rule == rule) out.push_back(x);
  }
  return out;
}

void SetOffset(std::string* bytes, const PageMap& m, int64_t page, int16_t v) {
  StoreLE16(reinterpret_cast<uint8_t*>(&(*bytes)[static_cast<size_t>(m.OffsetEntryOffset(page))]),
            static_cast<uint16_t>(v));
}
uint8_t* KeyEntry(std::string* bytes, const PageMap& m, int64_t page) {
  return reinterpret_cast<uint8_t*>(&(*bytes)[static_cast<size_t>(m.KeyEntryOffset(page))]);
}

TEST(MapRules, GoodFixtureIsClean) {
  const Fixture& t = Titledb();
  PageMap m = t.Map();
  ASSERT_GT(m.num_pages(), 10);
  int minus_one = 0;
  for (int64_t p = 0; p < m.num_pages(); p++) minus_one += m.page_offset(p) == -1;
  ASSERT_GT(minus_one, 2);
  EXPECT_TRUE(t.Check(m, t.file.size()).empty());
  EXPECT_TRUE(t.Verify(m).empty());
}

TEST(MapRules, M2EndOffsetAgainstDataSize) {
  const Fixture& t = Titledb();
  PageMap m = t.Map();
  const uint64_t L = t.file.size();
  auto f = WithRule(t.Check(m, L + 5), "M2");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].file, "titledb0001.map");
  EXPECT_EQ(f[0].offset, 0);  // the endOffset field
  // Under 12 bytes off with part 0 missing: a notice. 12 or more, or part 0 present: an error.
  f = WithRule(t.Check(m, L - 11, 1), "M2");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kNotice);
  f = WithRule(t.Check(m, L + 12, 1), "M2");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].severity, Severity::kError);
  // A chopped head on disk never matches L (L counts the missing parts).
  PageMap chopped = m;
  chopped.set_chopped_head(2048LL * 32768);
  EXPECT_EQ(WithRule(t.Check(chopped, L, 1), "M2").size(), 1u);
}

TEST(MapRules, M3PagesAgainstDataSize) {
  const Fixture& t = Titledb();
  PageMap m = t.Map();
  auto f = WithRule(t.Check(m, t.file.size() + 2 * 32768), "M3");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].file, "titledb0001.map");
  EXPECT_EQ(f[0].page, -1);
  EXPECT_TRUE(WithRule(t.Check(m, t.file.size() + 32767), "M3").empty());  // within one page
  EXPECT_EQ(WithRule(t.Check(m, (m.num_pages() - 1) * 32768 - 1), "M3").size(), 1u);
}

TEST(MapRules, M4ChoppedHead) {
  const Fixture& t = Titledb();
  PageMap m = t.Map();
  m.set_chopped_head(1000);
  auto f = WithRule(t.Check(m, t.file.size(), 1), "M4");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].offset, 8);  // the choppedHead field
  EXPECT_EQ(f[0].file, "titledb0001.map");
  // A whole segment chopped (64 MiB) with a 64 MiB part size: one missing part needed.
  m.set_chopped_head(2048LL * 32768);
  std::vector<Finding> out;
  m.CheckStructure(t.file.size(), 0, 2048ULL * 32768, "titledb0001.map", &out);
  EXPECT_EQ(WithRule(out, "M4").size(), 1u);
  out.clear();
  m.CheckStructure(t.file.size(), 1, 2048ULL * 32768, "titledb0001.map", &out);
  EXPECT_TRUE(WithRule(out, "M4").empty());
}

TEST(MapRules, M5PageKeysDecrease) {
  const Fixture& t = Titledb();
  PageMap good = t.Map();
  std::string bytes = t.map_bytes;
  // Swap the keys of two pages p-1, p with distinct keys: page p's key is now below page p-1's.
  int64_t p = 1;
  while (CompareKeys(good.page_key(p - 1), good.page_key(p), 12) == 0) p++;
  ASSERT_LT(CompareKeys(good.page_key(p - 1), good.page_key(p), 12), 0);
  std::swap_ranges(KeyEntry(&bytes, good, p - 1), KeyEntry(&bytes, good, p - 1) + 12,
                   KeyEntry(&bytes, good, p));
  auto f = WithRule(t.Check(t.Map(bytes), t.file.size()), "M5");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, p);
  // One segment: keys start at 32 + 12; page p's key entry is at 44 + p*12.
  EXPECT_EQ(f[0].offset, 44 + p * 12);
  EXPECT_EQ(f[0].key, KeyHex(good.page_key(p - 1), 12));
  EXPECT_EQ(f[0].file, "titledb0001.map");
}

TEST(MapRules, M6OffsetOutOfRange) {
  const Fixture& t = Titledb();
  PageMap good = t.Map();
  std::string bytes = t.map_bytes;
  SetOffset(&bytes, good, 2, -2);
  auto f = WithRule(t.Check(t.Map(bytes), t.file.size()), "M6");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, 2);
  EXPECT_EQ(f[0].offset, 44 + good.num_pages() * 12 + 2 * 2);
  // 1 KiB pages: 1024 is out of range.
  PageMap small(16, 1024);
  Key k(16);
  k.data()[0] = 1;
  small.AddRecord(0, 2000, k.data(), false);
  std::string sb = small.Serialize();
  SetOffset(&sb, small, 1, 1024);
  auto sm = PageMap::Parse(sb, 16, 1024, "tagdb0001.map");
  ASSERT_OK(sm);
  std::vector<Finding> out;
  sm->CheckStructure(2000, 0, kGbMaxPartSize, "tagdb0001.map", &out);
  auto f6 = WithRule(out, "M6");
  ASSERT_EQ(f6.size(), 1u);
  EXPECT_EQ(f6[0].page, 1);
  EXPECT_EQ(f6[0].file, "tagdb0001.map");
}

TEST(MapRules, StructureFindingsAreCappedWithExactTotal) {
  const Fixture& t = Titledb();
  PageMap good = t.Map();
  std::string bytes = t.map_bytes;
  for (int64_t p = 0; p < good.num_pages(); p++) SetOffset(&bytes, good, p, -7);
  std::vector<Finding> out;
  t.Map(bytes).CheckStructure(t.file.size(), 0, kGbMaxPartSize, "titledb0001.map", &out, 3);
  auto f = WithRule(out, "M6");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[3].page, -1);
  EXPECT_NE(f[3].message.find(std::to_string(good.num_pages()) + " in total"), std::string::npos);
}

TEST(MapRules, M9PagesAgainstEndOffset) {
  const Fixture& t = Titledb();
  PageMap m = t.Map();
  m.set_end_offset(m.end_offset() + 32768);
  auto f = WithRule(t.Check(m, t.file.size()), "M9");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].file, "titledb0001.map");
}

TEST(MapRules, M7FirstRecordOfPage) {
  const Fixture& t = Titledb();
  PageMap good = t.Map();
  const int64_t p = t.FindPage(good, true);
  const int64_t start = p * 32768 + good.page_offset(p);
  // Offset off by one.
  std::string bytes = t.map_bytes;
  SetOffset(&bytes, good, p, static_cast<int16_t>(good.page_offset(p) + 1));
  auto f = WithRule(t.Verify(t.Map(bytes)), "M7");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, p);
  EXPECT_EQ(f[0].offset, start);  // where the first record really starts
  EXPECT_EQ(f[0].file, "titledb0001.map");
  // Wrong key.
  bytes = t.map_bytes;
  KeyEntry(&bytes, good, p)[5] ^= 0x40;
  f = WithRule(t.Verify(t.Map(bytes)), "M7");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, p);
  EXPECT_EQ(f[0].offset, start);
  EXPECT_EQ(f[0].key, t.RecordAt(static_cast<uint64_t>(start)).key.ToHex());
  // An offset in a page no record starts in.
  const int64_t q = t.FindPage(good, false);
  bytes = t.map_bytes;
  SetOffset(&bytes, good, q, 100);
  f = WithRule(t.Verify(t.Map(bytes)), "M7");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, q);
  EXPECT_EQ(f[0].offset, q * 32768 + 100);
}

TEST(MapRules, M8MinusOnePages) {
  const Fixture& t = Titledb();
  PageMap good = t.Map();
  // -1 on a page where a record starts.
  const int64_t p = t.FindPage(good, true);
  std::string bytes = t.map_bytes;
  SetOffset(&bytes, good, p, -1);
  auto f = WithRule(t.Verify(t.Map(bytes)), "M8");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, p);
  EXPECT_EQ(f[0].offset, p * 32768 + good.page_offset(p));
  EXPECT_EQ(f[0].file, "titledb0001.map");
  // The key of a -1 page is not the key of the record spanning into it.
  const int64_t q = t.FindPage(good, false);
  bytes = t.map_bytes;
  KeyEntry(&bytes, good, q)[0] ^= 0x10;
  f = WithRule(t.Verify(t.Map(bytes)), "M8");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, q);
  EXPECT_EQ(f[0].offset, q * 32768);
}

TEST(MapRules, M8HeadlessPosdbExemption) {
  // GB's regenerated map of a headless posdb file: the leading pages are -1 with undefined keys.
  Fixture t(RdbId::kPosdb, 20000, 0);
  PageMap good = t.Map();
  ASSERT_GT(good.num_pages(), 3);
  std::string bytes = t.map_bytes;
  for (int64_t p = 0; p < 2; p++) {
    SetOffset(&bytes, good, p, -1);
    std::memset(KeyEntry(&bytes, good, p), 0, 18);
  }
  PageMap headless = t.Map(bytes);
  auto f = WithRule(t.Verify(headless), "M8");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].page, 0);
  EXPECT_EQ(f[1].page, 1);
  EXPECT_TRUE(WithRule(t.Verify(headless, /*exempt=*/true), "M8").empty());
  // The exemption covers only the leading run: a later -1 page is still checked.
  SetOffset(&bytes, good, 3, -1);
  f = WithRule(t.Verify(t.Map(bytes), true), "M8");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].page, 3);
}

TEST(MapRules, M9NumPagesAgainstData) {
  const Fixture& t = Titledb();
  PageMap good = t.Map();
  // The map of all records but those in the last page: fewer pages than the data needs.
  PageMap shorter(12, 32768);
  for (const auto& r : t.recs) {
    if (r.offset + r.size <= static_cast<uint64_t>(good.num_pages() - 1) * 32768) {
      shorter.AddRecord(r.offset, r.size, r.key.data(), r.negative);
    }
  }
  ASSERT_LT(shorter.num_pages(), good.num_pages());
  auto f = WithRule(t.Verify(shorter), "M9");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].file, "titledb0001.map");
  EXPECT_NE(f[0].message.find("needs " + std::to_string(good.num_pages())), std::string::npos);
}

TEST(MapRules, M10CountsAndM11LastKey) {
  const Fixture& t = Titledb();
  PageMap m = t.Map();
  m.set_counts(m.num_positive() + 1, m.num_negative());
  auto f = t.Verify(m);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "M10");
  EXPECT_EQ(f[0].file, "titledb0001.map");
  std::string bytes = t.map_bytes;
  bytes[32 + 11] ^= 0x01;  // top byte of lastKey
  f = t.Verify(t.Map(bytes));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "M11");
  EXPECT_EQ(f[0].key, KeyHex(reinterpret_cast<const uint8_t*>(bytes.data()) + 32, 12));
  // A scan that starts mid-file (headless) cannot count: no M10.
  PageMap counts = t.Map();
  counts.set_counts(0, 0);
  std::vector<Finding> out;
  MapVerifier v(counts, "x.map");
  for (const auto& r : t.recs) {
    if (r.offset >= 32768 * 2) v.AddRecord(r.offset, r.size, r.key.data(), r.negative);
  }
  v.Finish(t.file.size(), &out);
  EXPECT_TRUE(WithRule(out, "M10").empty());
}

TEST(MapRules, PageFindingsAreCappedWithExactCounts) {
  // clusterdb, 1 KiB pages with a record start in every page: corrupt every page key.
  Fixture t(RdbId::kClusterdb, 20000, 0);
  PageMap good = t.Map();
  std::string bytes = t.map_bytes;
  for (int64_t p = 0; p < good.num_pages(); p++) KeyEntry(&bytes, good, p)[11] ^= 0x80;
  PageMap bad = t.Map(bytes);
  std::vector<Finding> out;
  MapVerifier v(bad, "clusterdb0001.map");
  v.set_limit_per_rule(5);
  for (const auto& r : t.recs) v.AddRecord(r.offset, r.size, r.key.data(), r.negative);
  v.Finish(t.file.size(), &out);
  auto f = WithRule(out, "M7");
  ASSERT_EQ(f.size(), 6u);
  for (int i = 0; i < 5; i++) EXPECT_EQ(f[static_cast<size_t>(i)].page, i);
  EXPECT_NE(f[5].message.find(std::to_string(good.num_pages()) + " in total"), std::string::npos);
  EXPECT_EQ(v.m7_count(), good.num_pages());
  EXPECT_EQ(v.m8_count(), 0);
}

}  // namespace
}  // namespace shardtool
