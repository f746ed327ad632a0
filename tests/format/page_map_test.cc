// PageMap (doc/format.md §5): building (GB addRecord), the file layout, lookups, range spans and
// chopHead. Expected bytes and values are written from the spec, not from the implementation.
#include "format/page_map.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "base/coding.h"
#include "format/record_decoder_inl.h"
#include "testing/record_lists.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::DecodedRecord;

Key K16(uint8_t top) {
  Key k(16);
  k.data()[0] = 1;
  k.data()[15] = top;
  return k;
}

std::string Le64(int64_t v) {
  std::string s;
  AppendLE64(&s, static_cast<uint64_t>(v));
  return s;
}
std::string Le16(int16_t v) {
  std::string s;
  AppendLE16(&s, static_cast<uint16_t>(v));
  return s;
}
std::string KeyBytes(const Key& k) {
  return std::string(reinterpret_cast<const char*>(k.data()), static_cast<size_t>(k.size()));
}

// tagdb (16-byte keys, 1 KiB pages): R1 [0,100), R2 [100,2100) spans pages 0..2, R3 (negative)
// [2100,2150) starts in page 2, R4 [2150,5150) spans pages 2..5.
struct Example {
  Key k1 = K16(1), k2 = K16(2), k3 = K16(3).Negative(), k4 = K16(4);
  PageMap map{16, 1024};
  Example() {
    map.AddRecord(0, 100, k1.data(), false);
    map.AddRecord(100, 2000, k2.data(), false);
    map.AddRecord(2100, 50, k3.data(), true);
    map.AddRecord(2150, 3000, k4.data(), false);
  }
};

TEST(PageMapBuild, AddRecordFollowsGb) {
  Example e;
  const PageMap& m = e.map;
  EXPECT_EQ(m.num_pages(), 6);
  EXPECT_EQ(m.end_offset(), 5150);
  EXPECT_EQ(m.num_positive(), 3);
  EXPECT_EQ(m.num_negative(), 1);
  EXPECT_EQ(Key::FromBytes(m.last_key(), 16), e.k4);
  const int16_t offsets[] = {0, -1, 52, -1, -1, -1};
  const Key* keys[] = {&e.k1, &e.k2, &e.k3, &e.k4, &e.k4, &e.k4};
  for (int p = 0; p < 6; p++) {
    EXPECT_EQ(m.page_offset(p), offsets[p]) << p;
    EXPECT_EQ(Key::FromBytes(m.page_key(p), 16), *keys[p]) << p;
  }
  // The file: header, lastKey, then (one segment) the 6 keys and the 6 i16 offsets.
  std::string want = Le64(5150) + Le64(0) + Le64(3) + Le64(1) + KeyBytes(e.k4);
  for (const Key* k : keys) want += KeyBytes(*k);
  for (int16_t o : offsets) want += Le16(o);
  EXPECT_EQ(m.Serialize(), want);
  EXPECT_EQ(want.size(), 32u + 16 + 6 * 18);
  auto parsed = PageMap::Parse(want, 16, 1024, "tagdb0001.map");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->Serialize(), want);
}

// AddRecordT<KS> (the merge writer's inline path) builds exactly AddRecord's map, for records
// smaller and larger than a page, every registry key size.
TEST(PageMapBuild, InlinePathBuildsTheSameMap) {
  for (const RdbInfo& rdb : AllRdbs()) {
    SCOPED_TRACE(rdb.name);
    testing::RandomListOptions opt;
    opt.max_data_size = 2 * rdb.page_size;
    const bool key_only = rdb.fixed_data_size == 0;
    auto recs = testing::RandomRecords(rdb, key_only ? 50000 : 300, 3, opt);
    std::vector<uint64_t> offsets;
    const std::string file = testing::EncodeRecords(rdb, recs, &offsets);
    PageMap a(rdb.key_size, rdb.page_size), b(rdb.key_size, rdb.page_size);
    for (size_t i = 0; i < recs.size(); i++) {
      const uint64_t end = i + 1 < recs.size() ? offsets[i + 1] : file.size();
      const auto size = static_cast<uint32_t>(end - offsets[i]);
      a.AddRecord(offsets[i], size, recs[i].key.data(), recs[i].negative());
      VisitRdbLayout(rdb, [&](auto ks, auto, auto, auto) {
        b.AddRecordT<decltype(ks)::value>(offsets[i], size, recs[i].key.data(), recs[i].negative());
      });
    }
    EXPECT_GT(a.num_pages(), 2);
    EXPECT_EQ(a.Serialize(), b.Serialize());
  }
}

TEST(PageMapBuild, EmptyFile) {
  PageMap m(18, 32768);
  EXPECT_EQ(m.num_pages(), 0);
  const std::string bytes = m.Serialize();
  EXPECT_EQ(bytes, std::string(32 + 18, '\0'));
  EXPECT_EQ(m.GetAbsoluteOffset(0), 0);
  Key k = Key::Min(18);
  EXPECT_EQ(m.GetPage(k.data()), 0);
  PageMap::Span s = m.RangeSpan(k.data(), Key::Max(18).data());
  EXPECT_EQ(s.start, 0);
  EXPECT_EQ(s.end, 0);
  std::vector<Finding> f;
  m.CheckStructure(0, 0, 2013265920, "posdb0001.map", &f);
  EXPECT_TRUE(f.empty());
}

TEST(PageMapLookup, AbsoluteOffsetSkipsMinusOnePages) {
  Example e;
  EXPECT_EQ(e.map.GetAbsoluteOffset(0), 0);
  EXPECT_EQ(e.map.GetAbsoluteOffset(1), 2100);  // page 1 is -1: the next start is in page 2
  EXPECT_EQ(e.map.GetAbsoluteOffset(2), 2100);
  EXPECT_EQ(e.map.GetAbsoluteOffset(3), 5150);  // only -1 pages follow: endOffset
  EXPECT_EQ(e.map.GetAbsoluteOffset(6), 5150);
  EXPECT_EQ(e.map.GetAbsoluteOffset(100), 5150);
}

TEST(PageMapLookup, GetPage) {
  Example e;
  const PageMap& m = e.map;
  EXPECT_EQ(m.GetPage(e.k1.data()), 0);
  EXPECT_EQ(m.GetPage(e.k2.data()), 0);  // page 1 has k2 but is -1: R2 starts in page 0
  EXPECT_EQ(m.GetPage(e.k3.data()), 2);
  EXPECT_EQ(m.GetPage(e.k4.data()), 2);  // pages 3..5 are -1
  Key between = K16(1);
  between.data()[8] = 5;
  EXPECT_EQ(m.GetPage(between.data()), 0);
  EXPECT_EQ(m.GetPage(Key::Min(16).data()), 0);
  Key past = e.k4;
  ASSERT_TRUE(past.Increment());
  EXPECT_EQ(m.GetPage(past.data()), 6);  // > lastKey: numPages
}

TEST(PageMapLookup, RangeSpanStartsBeforeA) {
  Example e;
  // [k3, k3]: start = getPage(k3 - 1) = page 0 (k3-1 lies between k2 and k3), end skips the -1
  // pages after page 2: the span reaches the end.
  PageMap::Span s = e.map.RangeSpan(e.k3.data(), e.k3.data());
  EXPECT_EQ(s.start_page, 0);
  EXPECT_EQ(s.start, 0);
  EXPECT_EQ(s.end_page, 6);
  EXPECT_EQ(s.end, 5150);
  // [KEYMIN, k1]: page 0 only; its end is the next record start (page 2).
  s = e.map.RangeSpan(Key::Min(16).data(), e.k1.data());
  EXPECT_EQ(s.start, 0);
  EXPECT_EQ(s.end_page, 2);
  EXPECT_EQ(s.end, 2100);
}

// A titledb file whose big record spans several 32 KiB pages, with exact duplicate keys across
// page boundaries before it.
TEST(PageMapLookup, SpanningRecordsAndDuplicateKeys) {
  const RdbInfo& titledb = GetRdb(RdbId::kTitledb);
  std::vector<testing::TestRecord> recs;
  Key k(12);
  for (int i = 0; i < 50; i++) {  // small records, increasing keys
    k.data()[8] = static_cast<uint8_t>(i);
    k.data()[0] = 1;
    recs.push_back({k, std::string(500, 'a')});
  }
  Key dup = k;
  dup.data()[9] = 1;
  for (int i = 0; i < 200; i++) recs.push_back({dup, std::string(1000, 'b')});  // L5 ties
  Key big = dup;
  big.data()[9] = 2;
  recs.push_back({big, std::string(100000, 'c')});  // spans 4 pages
  Key after = big;
  after.data()[9] = 3;
  recs.push_back({after.Negative(), ""});
  recs.push_back({after, std::string(10, 'd')});
  const std::string file = testing::EncodeRecords(titledb, recs);
  DecodeStatus st;
  auto decoded = testing::DecodeAll(titledb, file, &st);
  ASSERT_EQ(st, DecodeStatus::kOk);
  PageMap m = testing::BuildMap(titledb, decoded);
  EXPECT_EQ(m.num_pages(), static_cast<int64_t>((file.size() + 32767) / 32768));
  int minus_one = 0;
  for (int64_t p = 0; p < m.num_pages(); p++) {
    if (m.page_offset(p) == -1) {
      minus_one++;
      EXPECT_EQ(Key::FromBytes(m.page_key(p), 12), big) << p;
    }
  }
  EXPECT_GE(minus_one, 2);
  // Every duplicate is found, and ranges around the big record are exact.
  bool ok;
  EXPECT_EQ(testing::RangeRead(titledb, file, m, dup, dup, &ok).size(), 200u);
  EXPECT_TRUE(ok);
  std::vector<Key> bounds = {Key::Min(12), dup, big, after.Negative(), after, Key::Max(12)};
  for (const Key& a : bounds) {
    for (const Key& b : bounds) {
      if (b < a) continue;
      EXPECT_TRUE(testing::RangeRead(titledb, file, m, a, b, &ok) == testing::KeysIn(decoded, a, b))
          << a.ToHex() << " " << b.ToHex();
      EXPECT_TRUE(ok);
    }
  }
}

// clusterdb, 1 KiB pages: a file of more than 2 segments (4096+ pages).
struct BigClusterdb {
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  std::string file;
  std::vector<DecodedRecord> recs;
  PageMap map{12, 1024};
  BigClusterdb() {
    testing::RandomListOptions opt;
    opt.num_hi = 150000;  // about 1 in 4 keys full: ~4.5 MB, ~4400 pages
    auto list = testing::RandomRecords(rdb, 600000, 5, opt);
    file = testing::EncodeRecords(rdb, list);
    DecodeStatus st;
    recs = testing::DecodeAll(rdb, file, &st);
    EXPECT_EQ(st, DecodeStatus::kOk);
    map = testing::BuildMap(rdb, recs);
  }
};

const BigClusterdb& Big() {
  static const BigClusterdb* b = new BigClusterdb;
  return *b;
}

TEST(PageMapLayout, SegmentsHoldKeysThenOffsets) {
  const BigClusterdb& b = Big();
  const PageMap& m = b.map;
  const int64_t n = m.num_pages();
  ASSERT_GT(n, 4096);
  const std::string bytes = m.Serialize();
  ASSERT_EQ(static_cast<int64_t>(bytes.size()), 32 + 12 + n * 14);
  const uint8_t* u = reinterpret_cast<const uint8_t*>(bytes.data());
  // Segment s starts at 44 + s*2048*14 with its keys; its offsets follow its keys.
  for (int64_t p : {int64_t{0}, int64_t{1}, int64_t{2047}, int64_t{2048}, int64_t{4095},
                    int64_t{4096}, n - 1}) {
    const int64_t seg = p / 2048, i = p % 2048;
    const int64_t in_seg = std::min<int64_t>(2048, n - seg * 2048);
    const int64_t base = 44 + seg * 2048 * 14;
    EXPECT_EQ(std::memcmp(u + base + i * 12, m.page_key(p), 12), 0) << p;
    EXPECT_EQ(LoadLEi16(u + base + in_seg * 12 + 2 * i), m.page_offset(p)) << p;
    EXPECT_EQ(m.KeyEntryOffset(p), base + i * 12);
    EXPECT_EQ(m.OffsetEntryOffset(p), base + in_seg * 12 + 2 * i);
  }
  auto parsed = PageMap::Parse(bytes, 12, 1024, "clusterdb0001.map");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->Serialize(), bytes);
  std::vector<Finding> f;
  parsed->CheckStructure(b.file.size(), 0, 2013265920, "clusterdb0001.map", &f);
  EXPECT_TRUE(f.empty()) << f[0].ToString();
  MapVerifier v(*parsed, "clusterdb0001.map");
  for (const auto& r : b.recs) v.AddRecord(r.offset, r.size, r.key.data(), r.negative);
  v.Finish(b.file.size(), &f);
  EXPECT_TRUE(f.empty()) << f[0].ToString();

  // Range reads: a few long ones, then short ones spread over the segments.
  std::mt19937_64 rng(9);
  for (int i = 0; i < 30; i++) {
    const size_t x = rng() % b.recs.size();
    const size_t y = i < 4 ? rng() % b.recs.size() : std::min(b.recs.size() - 1, x + rng() % 3000);
    Key lo = b.recs[std::min(x, y)].key, hi = b.recs[std::max(x, y)].key;
    if (i % 3 == 1) lo.Decrement();
    if (i % 3 == 2) hi.Increment();
    if (hi < lo) std::swap(lo, hi);
    bool ok;
    EXPECT_TRUE(testing::RangeRead(b.rdb, b.file, m, lo, hi, &ok) ==
                testing::KeysIn(b.recs, lo, hi));
    EXPECT_TRUE(ok);
    // The start page's key is below lo (or it is page 0): nothing in [lo, hi] lies before it.
    PageMap::Span s = m.RangeSpan(lo.data(), hi.data());
    if (s.start_page > 0 && s.start_page < m.num_pages()) {
      EXPECT_LE(Key::FromBytes(m.page_key(s.start_page), 12), lo);
    }
  }
}

TEST(PageMapChop, ChopHeadArithmetic) {
  const BigClusterdb& b = Big();
  const PageMap& orig = b.map;
  const int64_t n = orig.num_pages();
  PageMap m = orig;
  const uint64_t part = 2048 * 1024;  // one segment per part
  m.ChopHead(part);
  EXPECT_EQ(m.num_pages(), n - 2048);
  EXPECT_EQ(m.chopped_head(), 2048 * 1024);
  EXPECT_EQ(m.end_offset(), orig.end_offset());
  for (int64_t p = 0; p < m.num_pages(); p += 311) {
    EXPECT_EQ(std::memcmp(m.page_key(p), orig.page_key(p + 2048), 12), 0);
    EXPECT_EQ(m.page_offset(p), orig.page_offset(p + 2048));
    EXPECT_EQ(m.GetAbsoluteOffset(p), orig.GetAbsoluteOffset(p + 2048));
  }
  // Keys in the remaining pages are found at the shifted page.
  for (size_t i = b.recs.size() / 2; i < b.recs.size(); i += 9973) {
    EXPECT_EQ(m.GetPage(b.recs[i].key.data()) + 2048, orig.GetPage(b.recs[i].key.data()));
  }
  // A chopped map is consistent under M9 (numPages counts from choppedHead).
  std::vector<Finding> f;
  m.CheckStructure(b.file.size(), 1, part, "clusterdb0001.map", &f);
  for (const auto& x : f) EXPECT_NE(x.rule, "M9") << x.ToString();
  // Two segments per part; chopping past the end leaves no page.
  m.ChopHead(2 * part);
  EXPECT_EQ(m.num_pages(), std::max<int64_t>(0, n - 3 * 2048));
  EXPECT_EQ(m.chopped_head(), 3 * 2048 * 1024);
  m.ChopHead(100 * part);
  EXPECT_EQ(m.num_pages(), 0);
  EXPECT_EQ(m.chopped_head(), 103 * 2048 * 1024);
  EXPECT_EQ(m.GetAbsoluteOffset(0), m.end_offset());
  // A part smaller than a segment chops nothing.
  PageMap small = orig;
  small.ChopHead(part - 1);
  EXPECT_EQ(small.num_pages(), n);
  EXPECT_EQ(small.chopped_head(), 0);
  // GB's part size: 30 segments of 32 KiB pages, 960 of 1 KiB pages.
  PageMap posdb(18, 32768);
  posdb.ChopHead(2013265920);
  EXPECT_EQ(posdb.chopped_head(), 30LL * 2048 * 32768);
  PageMap tagdb(16, 1024);
  tagdb.ChopHead(2013265920);
  EXPECT_EQ(tagdb.chopped_head(), 960LL * 2048 * 1024);
}

TEST(PageMapParse, BadSizeIsM1) {
  for (size_t size : {size_t{0}, size_t{31}, size_t{49}, size_t{51}, size_t{50 + 19}}) {
    auto r = PageMap::Parse(std::string(size, '\0'), 18, 32768, "posdb0003.map");
    ASSERT_FALSE(r.ok()) << size;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(r.status().message().find("posdb0003.map"), std::string::npos);
    EXPECT_NE(r.status().message().find("(M1)"), std::string::npos);
  }
  EXPECT_OK(PageMap::Parse(std::string(50, '\0'), 18, 32768, "x"));
  EXPECT_OK(PageMap::Parse(std::string(50 + 20 * 3, '\0'), 18, 32768, "x"));
}

TEST(PageMapParse, RandomBytesNeverCrash) {
  std::mt19937_64 rng(1);
  for (const RdbInfo& rdb : AllRdbs()) {
    const size_t ks = static_cast<size_t>(rdb.key_size);
    for (int iter = 0; iter < 200; iter++) {
      size_t n = 32 + ks + (rng() % 40) * (ks + 2);
      if (iter % 7 == 0) n += rng() % (ks + 2);  // often a bad size
      std::unique_ptr<char[]> buf(new char[n]);
      for (size_t i = 0; i < n; i++) {
        buf[i] = static_cast<char>(rng() % 3 == 0 ? rng() : (rng() % 2 ? 0 : 0xff));
      }
      const std::string_view bytes(buf.get(), n);
      auto r = PageMap::Parse(bytes, rdb.key_size, rdb.page_size, "x.map");
      if (!r.ok()) continue;
      PageMap m = std::move(r).value();
      EXPECT_EQ(m.Serialize(), bytes);
      std::vector<Finding> f;
      m.CheckStructure(rng() % 100000, static_cast<int>(rng() % 3), 2013265920, "x.map", &f);
      Key a(rdb.key_size), b(rdb.key_size);
      for (int i = 0; i < rdb.key_size; i++) {
        a.data()[i] = static_cast<uint8_t>(rng());
        b.data()[i] = static_cast<uint8_t>(rng());
      }
      if (b < a) std::swap(a, b);
      const int64_t p = m.GetPage(a.data());
      EXPECT_GE(p, 0);
      EXPECT_LE(p, m.num_pages());
      for (int64_t q = 0; q <= m.num_pages(); q++) (void)m.GetAbsoluteOffset(q);
      PageMap::Span s = m.RangeSpan(a.data(), b.data());
      EXPECT_LE(s.start, s.end);
      MapVerifier v(m, "x.map", iter % 2 == 0);
      v.AddRecord(rng() % 70000, 1 + rng() % 70000, a.data(), false);
      v.AddRecord(rng() % 200000, 1 + rng() % 70000, b.data(), true);
      v.Finish(rng() % 300000, &f);
      m.ChopHead(rdb.page_size * 2048ULL);
      EXPECT_EQ(m.num_pages(), 0);
    }
  }
}

}  // namespace
}  // namespace shardtool
