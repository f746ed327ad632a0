#include "format/crc_sidecar.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "base/coding.h"
#include "base/crc32c.h"
#include "testing/paths.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

// doc/format.md §10.1 written out by hand (not by the serializer): pageSize 512 over 521 bytes of
// data, 512 zero bytes then "123456789".
const uint8_t kSidecar[] = {
    'S',  'H',  'C',  'R',  'C',  '0',  '0',  '1',   // magic
    0x00, 0x02, 0x00, 0x00,                          // u32 pageSize 512
    0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // u64 dataSize 521
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // u64 numPages 2
    0xc0, 0xed, 0xfc, 0x30,                          // page 0: CRC32C of 512 zero bytes
    0x83, 0x92, 0x06, 0xe3,                          // page 1: CRC32C("123456789") = e3069283
    0x31, 0x1d, 0xf1, 0x22,                          // CRC32C of bytes [0, 36)
};

std::string SidecarBytes() {
  return std::string(reinterpret_cast<const char*>(kSidecar), sizeof(kSidecar));
}
std::string SidecarData() { return std::string(512, '\0') + "123456789"; }

std::string RandomData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Rewrites the trailer so that only the intended rule can fire.
void FixTrailer(std::string* b) {
  if (b->size() < 4) return;
  uint32_t crc = Crc32c(b->data(), b->size() - 4);
  StoreLE32(reinterpret_cast<uint8_t*>(b->data()) + b->size() - 4, crc);
}

std::string ExpectRule(const std::string& bytes, const std::string& rule) {
  Result<CrcSidecar> r = CrcSidecar::Parse(bytes, "posdb0003.crc");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("(" + rule + ")"), std::string::npos) << m;
  EXPECT_EQ(m.rfind("posdb0003.crc: ", 0), 0u) << m;
  return m;
}

TEST(CrcSidecar, HandWrittenBytesParse) {
  Result<CrcSidecar> r = CrcSidecar::Parse(SidecarBytes(), "posdb0003.crc");
  ASSERT_OK(r);
  EXPECT_EQ(r->page_size, 512u);
  EXPECT_EQ(r->data_size, 521u);
  ASSERT_EQ(r->num_pages(), 2u);
  EXPECT_EQ(r->page_crcs[1], 0xe3069283u);
  EXPECT_EQ(r->PageBegin(1), 512u);
  EXPECT_EQ(r->PageEnd(1), 521u);
  EXPECT_EQ(r->PageEnd(0), 512u);
  EXPECT_TRUE(r->PageMatches(1, 0xe3069283u));
  EXPECT_FALSE(r->PageMatches(0, 0xe3069283u));
  EXPECT_FALSE(r->PageMatches(2, 0));
  EXPECT_EQ(r->Serialize(), SidecarBytes());

  // The builder makes the same bytes from the data.
  CrcSidecarBuilder b(512);
  b.Add(SidecarData());
  EXPECT_EQ(b.bytes_added(), 521u);
  EXPECT_EQ(b.Finish().Serialize(), SidecarBytes());

  std::vector<Finding> findings;
  EXPECT_TRUE(r->CheckAgainstData(521, 0, SidecarData(), "posdb0003.dat", &findings));
  EXPECT_TRUE(findings.empty());
}

TEST(CrcSidecar, EmptyData) {
  CrcSidecarBuilder b(32768);
  CrcSidecar sc = b.Finish();
  EXPECT_EQ(sc.num_pages(), 0u);
  std::string bytes = sc.Serialize();
  EXPECT_EQ(bytes.size(), 32u);
  EXPECT_EQ(LoadLE32(reinterpret_cast<const uint8_t*>(bytes.data()) + 28), 0x87035301u);
  Result<CrcSidecar> r = CrcSidecar::Parse(bytes, "x.crc");
  ASSERT_OK(r);
  EXPECT_EQ(r->data_size, 0u);
  std::vector<Finding> findings;
  EXPECT_TRUE(r->CheckAgainstData(0, 0, "", "x.dat", &findings));
}

TEST(CrcSidecar, BuilderChunkingDoesNotMatter) {
  std::mt19937 rng(3);
  for (uint32_t ps : {512u, 1024u, 32768u}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{ps - 1}, size_t{ps}, size_t{ps + 1},
                     size_t{5 * ps}, size_t{7 * ps + 123}}) {
      std::string data = RandomData(n, static_cast<uint32_t>(n + ps));
      CrcSidecarBuilder whole(ps);
      whole.Add(data);
      CrcSidecar a = whole.Finish();
      CrcSidecarBuilder pieces(ps);
      for (size_t at = 0; at < n;) {
        size_t k = std::min<size_t>(n - at, rng() % (2 * ps + 1));
        pieces.Add(reinterpret_cast<const uint8_t*>(data.data()) + at, k);
        at += k;
      }
      CrcSidecar b = pieces.Finish();
      EXPECT_EQ(a.Serialize(), b.Serialize());
      EXPECT_EQ(a.num_pages(), (n + ps - 1) / ps);
      EXPECT_EQ(a.data_size, n);
      for (uint64_t p = 0; p < a.num_pages(); p++) {
        EXPECT_EQ(a.page_crcs[p],
                  Crc32c(data.data() + a.PageBegin(p), a.PageEnd(p) - a.PageBegin(p)));
      }
      Result<CrcSidecar> r = CrcSidecar::Parse(a.Serialize(), "x.crc");
      ASSERT_OK(r);
      EXPECT_EQ(r->page_crcs, a.page_crcs);
    }
  }
  // Finish resets the builder.
  CrcSidecarBuilder b(512);
  b.Add("abc");
  (void)b.Finish();
  EXPECT_EQ(b.Finish().data_size, 0u);
}

TEST(CrcSidecar, C1Structure) {
  const std::string good = SidecarBytes();
  EXPECT_NE(ExpectRule("", "C1").find("0 bytes"), std::string::npos);
  ExpectRule(good.substr(0, 31), "C1");
  // Magic.
  std::string b = good;
  b[7] = '2';
  FixTrailer(&b);
  EXPECT_NE(ExpectRule(b, "C1").find("magic"), std::string::npos);
  // Page sizes that are not a power of two in [512, 32768].
  for (uint32_t ps : {0u, 1u, 256u, 511u, 513u, 1000u, 65536u, 0xffffffffu}) {
    b = good;
    StoreLE32(reinterpret_cast<uint8_t*>(b.data()) + 8, ps);
    FixTrailer(&b);
    EXPECT_NE(ExpectRule(b, "C1").find("pageSize"), std::string::npos) << ps;
  }
  // numPages inconsistent with dataSize.
  for (uint64_t ds : {uint64_t{0}, uint64_t{512}, uint64_t{1025}, ~uint64_t{0}}) {
    b = good;
    StoreLE64(reinterpret_cast<uint8_t*>(b.data()) + 12, ds);
    FixTrailer(&b);
    EXPECT_NE(ExpectRule(b, "C1").find("numPages"), std::string::npos) << ds;
  }
  // A file size other than 32 + 4 * numPages (numPages agreeing with dataSize).
  b = good;
  b.insert(b.size() - 4, "\0\0\0\0", 4);
  FixTrailer(&b);
  ExpectRule(b, "C1");
  b = good;
  b.insert(b.size() - 4, "\0", 1);
  FixTrailer(&b);
  ExpectRule(b, "C1");
  b = good.substr(0, 28) + good.substr(32);  // one page CRC missing
  FixTrailer(&b);
  ExpectRule(b, "C1");
  // A huge numPages that agrees with dataSize must not allocate.
  b = good;
  StoreLE64(reinterpret_cast<uint8_t*>(b.data()) + 12, uint64_t{1} << 60);
  StoreLE64(reinterpret_cast<uint8_t*>(b.data()) + 20, (uint64_t{1} << 60) / 512);
  FixTrailer(&b);
  ExpectRule(b, "C1");
}

TEST(CrcSidecar, C2Trailer) {
  for (size_t i = 0; i < sizeof(kSidecar); i++) {
    // Flipping a page CRC or the trailer itself leaves the structure valid: C2.
    if (i < 28) continue;
    std::string b = SidecarBytes();
    b[i] ^= 0x10;
    EXPECT_NE(ExpectRule(b, "C2").find("trailer"), std::string::npos) << i;
  }
  // Any single flipped bit is caught by one of the two rules.
  for (size_t i = 0; i < sizeof(kSidecar) * 8; i++) {
    std::string b = SidecarBytes();
    b[i / 8] ^= static_cast<char>(1 << (i % 8));
    EXPECT_FALSE(CrcSidecar::Parse(b, "x.crc").ok()) << i;
  }
}

TEST(CrcSidecar, C3Stale) {
  Result<CrcSidecar> r = CrcSidecar::Parse(SidecarBytes(), "posdb0003.crc");
  ASSERT_OK(r);
  std::vector<Finding> findings;
  EXPECT_FALSE(r->CheckStale(522, "posdb0003.dat", &findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "C3");
  EXPECT_EQ(findings[0].severity, Severity::kNotice);
  EXPECT_NE(findings[0].ToString().find("(C3)"), std::string::npos);
  EXPECT_NE(findings[0].message.find("521"), std::string::npos);
  // A stale sidecar is ignored: no page is checked.
  findings.clear();
  std::string data = SidecarData() + "x";
  data[0] = 1;
  EXPECT_FALSE(r->CheckAgainstData(522, 0, data, "posdb0003.dat", &findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "C3");
  findings.clear();
  EXPECT_TRUE(r->CheckStale(521, "posdb0003.dat", &findings));
  EXPECT_TRUE(findings.empty());
}

TEST(CrcSidecar, C4PageMismatch) {
  const uint32_t ps = 1024;
  std::string data = RandomData(10 * ps + 100, 8);
  CrcSidecarBuilder b(ps);
  b.Add(data);
  CrcSidecar sc = b.Finish();
  std::vector<Finding> findings;
  EXPECT_TRUE(sc.CheckAgainstData(data.size(), 0, data, "posdb0003.dat", &findings));
  EXPECT_TRUE(findings.empty());

  std::string bad = data;
  bad[3 * ps + 17] ^= 1;
  bad[10 * ps + 99] ^= 1;  // the short last page
  EXPECT_FALSE(sc.CheckAgainstData(bad.size(), 0, bad, "posdb0003.dat", &findings));
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].rule, "C4");
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].page, 3);
  EXPECT_EQ(findings[0].offset, 3 * ps);
  EXPECT_NE(findings[0].message.find("bytes [3072, 4096)"), std::string::npos)
      << findings[0].message;
  EXPECT_NE(findings[0].ToString().find("posdb0003.dat: offset 3072 (page 3)"), std::string::npos);
  EXPECT_NE(findings[0].ToString().find("(C4)"), std::string::npos);
  EXPECT_EQ(findings[1].page, 10);
  EXPECT_NE(findings[1].message.find("bytes [10240, 10340)"), std::string::npos);

  // One page at a time.
  findings.clear();
  EXPECT_TRUE(sc.CheckPage(2, std::string_view(bad).substr(2 * ps, ps), "f", &findings));
  EXPECT_FALSE(sc.CheckPage(3, std::string_view(bad).substr(3 * ps, ps), "f", &findings));
  EXPECT_FALSE(sc.CheckPage(3, std::string_view(data).substr(3 * ps, ps - 1), "f", &findings));
  EXPECT_FALSE(sc.CheckPage(11, "", "f", &findings));
  EXPECT_EQ(findings.size(), 3u);
  for (const Finding& f : findings) EXPECT_EQ(f.rule, "C4");
  EXPECT_TRUE(sc.PageMatches(3, Crc32c(data.data() + 3 * ps, ps)));
}

TEST(CrcSidecar, HeadlessAndPartialRanges) {
  const uint32_t ps = 512;
  std::string data = RandomData(8 * ps + 10, 9);
  CrcSidecarBuilder b(ps);
  b.Add(data);
  CrcSidecar sc = b.Finish();
  // Leading "parts" missing: only bytes from page 4 on are present; pages 0..3 are not checked,
  // even though the present bytes would not match them.
  std::string tail = data.substr(4 * ps);
  std::vector<Finding> findings;
  EXPECT_TRUE(sc.CheckAgainstData(data.size(), 4 * ps, tail, "posdb0003.dat", &findings));
  EXPECT_TRUE(findings.empty());
  tail[5] ^= 1;
  EXPECT_EQ(sc.CheckRange(4 * ps, tail, "posdb0003.dat", &findings), 1u);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].page, 4);
  // A chunk that stops inside a page checks only the whole pages in it.
  findings.clear();
  EXPECT_EQ(sc.CheckRange(0, std::string_view(data).substr(0, 2 * ps + 3), "f", &findings), 0u);
  EXPECT_TRUE(findings.empty());
  // An offset inside a page skips that page; bytes past dataSize are ignored.
  EXPECT_EQ(sc.CheckRange(ps + 1, std::string_view(data).substr(ps + 1), "f", &findings), 0u);
  EXPECT_EQ(sc.CheckRange(0, data + "extra", "f", &findings), 0u);
  EXPECT_TRUE(findings.empty());
}

TEST(CrcSidecar, FuzzSeedsWrittenByAnotherImplementationParse) {
  // tests/fuzz/corpus/sidecar/ was written by a short Python script, not by CrcSidecar.
  int n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(testing::SourceDir() + "/tests/fuzz/corpus/sidecar")) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Result<CrcSidecar> r = CrcSidecar::Parse(bytes, e.path().filename().string());
    ASSERT_OK(r);
    EXPECT_EQ(r->Serialize(), bytes);
    n++;
  }
  EXPECT_GE(n, 3);
}

TEST(CrcSidecar, PageSizes) {
  for (uint64_t ps = 0; ps <= 70000; ps++) {
    bool want = ps == 512 || ps == 1024 || ps == 2048 || ps == 4096 || ps == 8192 || ps == 16384 ||
                ps == 32768;
    EXPECT_EQ(ValidSidecarPageSize(ps), want) << ps;
  }
}

TEST(CrcSidecar, MalformedInputNeverCrashes) {
  std::mt19937 rng(12);
  CrcSidecarBuilder b(512);
  b.Add(RandomData(5000, 1));
  const std::string good = b.Finish().Serialize();
  for (int i = 0; i < 20000; i++) {
    std::string s;
    if (i % 3 == 0) {
      s = RandomData(rng() % 80, static_cast<uint32_t>(i));
      if (s.size() >= 8 && i % 2 == 0) s.replace(0, 8, "SHCRC001");
    } else {
      s = good;
      for (int j = 0; j < 1 + static_cast<int>(rng() % 3); j++)
        s[rng() % s.size()] ^= static_cast<char>(1 + rng() % 255);
      if (rng() % 4 == 0) s.resize(rng() % s.size());
      if (i % 2 == 0) FixTrailer(&s);
    }
    Result<CrcSidecar> r = CrcSidecar::Parse(s, "x.crc");
    if (r.ok()) {
      EXPECT_EQ(r->Serialize(), s);
    } else {
      EXPECT_EQ(r.status().code(), ErrorCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace shardtool
