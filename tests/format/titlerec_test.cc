#include "format/titlerec.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <random>
#include <string>

#include "base/coding.h"
#include "format/key_fields.h"
#include "testing/golden_files.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

const uint8_t* TitleBytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}
uint32_t Size(const std::string& s) { return static_cast<uint32_t>(s.size()); }

// A page with some structure that compresses well but not trivially.
std::string SamplePage(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    s += "<p>word" + std::to_string(rng() % 500) + " ";
  }
  s.resize(n);
  return s;
}

std::string WithUbuf(int32_t ubuf, std::string_view stream) {
  std::string d;
  AppendLE32(&d, static_cast<uint32_t>(ubuf));
  d.append(stream);
  return d;
}

std::string GzipStream(std::string_view page) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, page.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(page.data()));
  zs.avail_in = static_cast<uInt>(page.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(TitlerecGolden, PositiveRecordInflatesCleanly) {
  // titledb0003-000.dat: key[12] | i32 dataSize | data, then two negative keys (no size field).
  std::string file;
  ASSERT_TRUE(testing::ReadGoldenFile("coll.main.0/titledb0003-000.dat", &file));
  ASSERT_EQ(file.size(), 1295u);
  const uint8_t* key = TitleBytes(file);
  ASSERT_FALSE(KeyIsNegative(key));
  EXPECT_EQ(TitledbDocId(key), 41029786537u);  // the dump's docId
  const int32_t data_size = LoadLEi32(TitleBytes(file) + 12);
  EXPECT_EQ(data_size, 1255);  // the dump's size=0001255
  EXPECT_EQ(12u + 4u + static_cast<uint32_t>(data_size) + 2 * 12u, file.size());
  EXPECT_TRUE(KeyIsNegative(TitleBytes(file) + 12 + 4 + data_size));
  EXPECT_TRUE(KeyIsNegative(TitleBytes(file) + 12 + 4 + data_size + 12));

  const uint8_t* data = TitleBytes(file) + 16;
  Result<TitlerecHeader> h = ParseTitlerecHeader(data, static_cast<uint32_t>(data_size));
  ASSERT_OK(h);
  EXPECT_EQ(h->data_size, 1255);
  EXPECT_EQ(h->ubuf_size, 2516);

  Inflater inflater;
  std::string page;
  ASSERT_OK(inflater.Inflate(data, static_cast<uint32_t>(data_size), &page));
  EXPECT_EQ(page.size(), 2516u);
  EXPECT_EQ(inflater.trailing_bytes(), 0u);
  // GB's serialized XmlDoc: i16 header size, then i16 titlerec version (the dump's version=121),
  // later the URL (the dump's url=) and the HTML content.
  EXPECT_EQ(LoadLE16(TitleBytes(page)), 88);
  EXPECT_EQ(LoadLE16(TitleBytes(page) + 2), 121);
  EXPECT_NE(page.find(std::string("http://127.0.0.1/doc0.html\0", 27)), std::string::npos);
  EXPECT_NE(page.find("<html><head><title>Test document 0"), std::string::npos);

  std::vector<Finding> findings;
  ASSERT_OK(CheckTitlerec(key, data, static_cast<uint32_t>(data_size), /*deep=*/true, &inflater,
                          "titledb0003-000.dat", 0, &findings));
  EXPECT_TRUE(findings.empty()) << findings[0].ToString();
  // The negative keys have their reserved bits clear too.
  EXPECT_FALSE(TitledbReservedBitsSet(TitleBytes(file) + 1271));
  EXPECT_FALSE(TitledbReservedBitsSet(TitleBytes(file) + 1283));
}

TEST(Titlerec, MakeDataRoundTrips) {
  Inflater inflater;  // one z_stream for all records
  for (size_t n : {size_t{1}, size_t{100}, size_t{65536}, size_t{65537}, size_t{1000000}}) {
    std::string page = SamplePage(n, static_cast<uint32_t>(n));
    for (int level : {kZlibDefaultLevel, 0, 1, 9}) {
      std::string data = MakeTitlerecData(page, level);
      ASSERT_GE(data.size(), 6u);
      EXPECT_EQ(LoadLEi32(TitleBytes(data)), static_cast<int32_t>(n));
      EXPECT_EQ(static_cast<uint8_t>(data[4]), 0x78);  // zlib header
      std::string out;
      Status s = inflater.Inflate(TitleBytes(data), Size(data), &out);
      ASSERT_OK(s);
      EXPECT_EQ(out, page);
      EXPECT_EQ(inflater.trailing_bytes(), 0u);
    }
  }
}

TEST(Titlerec, GzipStreamIsAccepted) {
  std::string page = SamplePage(5000, 7);
  std::string data = WithUbuf(5000, GzipStream(page));
  Inflater inflater;
  std::string out;
  ASSERT_OK(inflater.Inflate(TitleBytes(data), Size(data), &out));
  EXPECT_EQ(out, page);
}

TEST(Titlerec, T1HeaderRules) {
  for (uint32_t n : {0u, 1u, 3u}) {
    Result<TitlerecHeader> h = ParseTitlerecHeader(reinterpret_cast<const uint8_t*>("\1\0\0\0"), n);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(h.status().message().find("(T1)"), std::string::npos);
  }
  for (int32_t ubuf : {0, -1, -100, kMaxTitlerecUbufSize + 1, INT32_MIN, INT32_MAX}) {
    std::string d = WithUbuf(ubuf, "x");
    Result<TitlerecHeader> h = ParseTitlerecHeader(TitleBytes(d), Size(d));
    ASSERT_FALSE(h.ok()) << ubuf;
    EXPECT_NE(h.status().message().find("(T1)"), std::string::npos);
  }
  for (int32_t ubuf : {1, kMaxTitlerecUbufSize}) {
    std::string d = WithUbuf(ubuf, "");
    EXPECT_OK(ParseTitlerecHeader(TitleBytes(d), Size(d))) << ubuf;
  }

  Key key = MakeTitledbKey(12345, 678, true);
  std::vector<Finding> findings;
  std::string d = WithUbuf(0, "");
  EXPECT_FALSE(
      CheckTitlerecT1(TitleBytes(d), Size(d), "titledb0001-000.dat", 96, key.data(), &findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "T1");
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].offset, 96);
  EXPECT_EQ(findings[0].key, key.ToHex());
  EXPECT_NE(findings[0].ToString().find("titledb0001-000.dat: offset 96"), std::string::npos);
  EXPECT_NE(findings[0].ToString().find("(T1)"), std::string::npos);

  // Inflate reports T1 too, and CheckTitlerec stops after T1.
  Inflater inflater;
  std::string out;
  Status s = inflater.Inflate(TitleBytes(d), Size(d), &out);
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("(T1)"), std::string::npos);
  findings.clear();
  ASSERT_OK(CheckTitlerec(key.data(), TitleBytes(d), 3, true, &inflater, "f", 0, &findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "T1");
}

// Inflate must fail with T2; returns the message.
std::string ExpectT2(Inflater* inflater, const std::string& data) {
  std::string out = "stale";
  Status s = inflater->Inflate(TitleBytes(data), Size(data), &out);
  EXPECT_EQ(s.code(), ErrorCode::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("(T2)"), std::string::npos) << s.ToString();
  EXPECT_TRUE(out.empty());
  return s.message();
}

TEST(Titlerec, T2StreamRules) {
  Inflater inflater;
  std::string page = SamplePage(20000, 3);
  std::string good = MakeTitlerecData(page);
  std::string stream = good.substr(4);

  // ubufSize larger than the output.
  EXPECT_NE(ExpectT2(&inflater, WithUbuf(20001, stream)).find("inflates to 20000 bytes"),
            std::string::npos);
  // ubufSize smaller than the output: never writes past ubufSize.
  EXPECT_NE(ExpectT2(&inflater, WithUbuf(19999, stream)).find("more than ubufSize"),
            std::string::npos);
  EXPECT_NE(ExpectT2(&inflater, WithUbuf(1, stream)).find("more than ubufSize"), std::string::npos);
  // Truncated streams, at every length.
  for (size_t cut = 0; cut < stream.size(); cut += (cut < 50 ? 1 : 97)) {
    ExpectT2(&inflater, WithUbuf(20000, stream.substr(0, cut)));
  }
  ExpectT2(&inflater, WithUbuf(20000, stream.substr(0, stream.size() - 1)));  // adler32 cut
  // A damaged header and a damaged checksum.
  std::string bad_header = stream;
  bad_header[0] = 0x12;
  EXPECT_NE(ExpectT2(&inflater, WithUbuf(20000, bad_header)).find("damaged"), std::string::npos);
  std::string bad_sum = stream;
  bad_sum.back() ^= 0x40;
  EXPECT_NE(ExpectT2(&inflater, WithUbuf(20000, bad_sum)).find("damaged"), std::string::npos);
  // Not a stream at all.
  ExpectT2(&inflater, WithUbuf(100, "this is not zlib"));

  // The inflater is reusable after errors.
  std::string out;
  ASSERT_OK(inflater.Inflate(TitleBytes(good), Size(good), &out));
  EXPECT_EQ(out, page);

  // CheckTitlerec turns T2 into an error finding (deep only).
  Key key = MakeTitledbKey(1, 2, true);
  std::string bad = WithUbuf(20001, stream);
  std::vector<Finding> findings;
  ASSERT_OK(
      CheckTitlerec(key.data(), TitleBytes(bad), Size(bad), false, nullptr, "f", 5, &findings));
  EXPECT_TRUE(findings.empty());
  ASSERT_OK(
      CheckTitlerec(key.data(), TitleBytes(bad), Size(bad), true, &inflater, "f", 5, &findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "T2");
  EXPECT_EQ(findings[0].severity, Severity::kError);
  EXPECT_EQ(findings[0].message.find("(T2)"), std::string::npos);  // the rule is not repeated
  EXPECT_NE(findings[0].ToString().find("(T2)"), std::string::npos);
}

TEST(Titlerec, HugeUbufSizeDoesNotAllocateIt) {
  // A tiny stream claiming the largest legal ubufSize: T2, and the output buffer stays small.
  std::string data = MakeTitlerecData("hello");
  StoreLE32(reinterpret_cast<uint8_t*>(data.data()), kMaxTitlerecUbufSize);
  Inflater inflater;
  std::string out;
  Status s = inflater.Inflate(TitleBytes(data), Size(data), &out);
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("inflates to 5 bytes"), std::string::npos);
  EXPECT_LT(out.capacity(), size_t{1} << 20);
}

TEST(Titlerec, T3TrailingBytesAndReservedKeyBits) {
  std::string page = SamplePage(1000, 9);
  std::string data = MakeTitlerecData(page) + "junk";
  Inflater inflater;
  std::string out;
  ASSERT_OK(inflater.Inflate(TitleBytes(data), Size(data), &out));
  EXPECT_EQ(out, page);
  EXPECT_EQ(inflater.trailing_bytes(), 4u);

  Key key = MakeTitledbKey(77, 88, true);
  std::vector<Finding> findings;
  ASSERT_OK(
      CheckTitlerec(key.data(), TitleBytes(data), Size(data), true, &inflater, "t", 0, &findings));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule, "T3");
  EXPECT_EQ(findings[0].severity, Severity::kNotice);
  EXPECT_NE(findings[0].message.find("4 bytes after the end"), std::string::npos);
  // Not a deep check: trailing bytes are not looked at.
  findings.clear();
  ASSERT_OK(
      CheckTitlerec(key.data(), TitleBytes(data), Size(data), false, nullptr, "t", 0, &findings));
  EXPECT_TRUE(findings.empty());

  // Key bits 9..1.
  EXPECT_FALSE(TitledbReservedBitsSet(key.data()));
  for (int bit = 1; bit <= 9; bit++) {
    Key k = key;
    k.data()[bit / 8] |= static_cast<uint8_t>(1 << (bit % 8));
    EXPECT_TRUE(TitledbReservedBitsSet(k.data())) << bit;
    findings.clear();
    EXPECT_FALSE(CheckTitledbKeyT3(k.data(), "t", 12, &findings));
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule, "T3");
    EXPECT_EQ(findings[0].severity, Severity::kNotice);
    EXPECT_NE(findings[0].ToString().find("(T3)"), std::string::npos);
  }
  Key k = key;
  k.data()[1] |= 0x04;  // bit 10 is uh48, not reserved
  EXPECT_FALSE(TitledbReservedBitsSet(k.data()));
  k = key.Negative();
  EXPECT_FALSE(TitledbReservedBitsSet(k.data()));  // the delbit is not reserved
}

TEST(Titlerec, MalformedInputNeverCrashes) {
  std::mt19937 rng(1);
  Inflater inflater;
  std::string page = SamplePage(3000, 11);
  std::string good = MakeTitlerecData(page);
  std::string out;
  for (int i = 0; i < 3000; i++) {
    std::string d;
    if (i % 2 == 0) {
      // Random bytes with a small plausible ubufSize.
      size_t n = rng() % 64;
      AppendLE32(&d, 1 + rng() % 5000);
      for (size_t j = 0; j < n; j++) d += static_cast<char>(rng());
      if (i % 4 == 0 && d.size() > 4) d[4] = 0x78;
    } else {
      // A valid record with a few bytes flipped or cut.
      d = good;
      for (int j = 0; j < 3; j++)
        d[4 + rng() % (d.size() - 4)] ^= static_cast<char>(1 + rng() % 255);
      if (rng() % 3 == 0) d.resize(4 + rng() % (d.size() - 4));
    }
    Status s = inflater.Inflate(TitleBytes(d), Size(d), &out);
    if (s.ok()) {
      EXPECT_EQ(out.size(), LoadLE32(TitleBytes(d)));
    } else {
      EXPECT_EQ(s.code(), ErrorCode::kCorruption);
    }
  }
}

}  // namespace
}  // namespace shardtool
