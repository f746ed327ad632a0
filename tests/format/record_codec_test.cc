// Record list codec (doc/format.md §3): hand-written byte lists taken from the spec (not from the
// encoder), decoder results for malformed input, and encoder/decoder round trips.
#include "format/record_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <set>

#include "base/coding.h"
#include "base/hex.h"
#include "format/record_encoder_inl.h"
#include "testing/record_lists.h"

namespace shardtool {
namespace {

using testing::DecodeAll;
using testing::DecodedRecord;

// Bytes from hex written in memory order (byte 0 first), spaces ignored.
std::string Bytes(std::string hex) {
  std::erase(hex, ' ');
  std::vector<uint8_t> v;
  EXPECT_TRUE(ParseHex(hex, &v)) << hex;
  return std::string(v.begin(), v.end());
}

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Encodes decoded records again; the result must be the original bytes when they were canonical.
std::string Reencode(const RdbInfo& rdb, const std::vector<DecodedRecord>& recs) {
  RecordEncoder enc(rdb);
  std::string out;
  for (const auto& r : recs) enc.Append(r.key.data(), r.data, &out);
  return out;
}

// Registry-like Rdbs with fixed N > 0 data (unused by GB but supported by the codec).
constexpr RdbInfo kFixed4{RdbId::kDoledb,          "fixed4", 12, 4, KeyCompression::kNone, 1024,
                          SlotKind::kNotShardable, false};
constexpr RdbInfo kHalfFixed3{
    RdbId::kDoledb,          "halffixed3", 12, 3, KeyCompression::kHalf, 1024,
    SlotKind::kNotShardable, false};
constexpr RdbInfo kPosdbVar{
    RdbId::kDoledb,          "posdbvar", 18, -1, KeyCompression::kPosdb, 1024,
    SlotKind::kNotShardable, false};

TEST(RecordCodecBytes, IndexdbHalfKeyPair) {
  // Full key (12 bytes, byte 0 = 0x01: positive, half bit clear), then a half key: 6 bytes with
  // 0x02 set that borrow the top 6 bytes (a0..a5), then a negative full key with new top bytes.
  const std::string file = Bytes(
      "01 11 22 33 44 55 a0 a1 a2 a3 a4 a5"
      "03 12 22 33 44 55"
      "00 00 00 00 00 00 b0 b1 b2 b3 b4 b5");
  const RdbInfo& rdb = GetRdb(RdbId::kIndexdb);
  DecodeStatus st;
  auto recs = DecodeAll(rdb, file, &st);
  ASSERT_EQ(st, DecodeStatus::kOk);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].key.ToHex(), "a5a4a3a2a1a0554433221101");
  EXPECT_EQ(recs[1].key.ToHex(), "a5a4a3a2a1a0554433221201");  // 0x02 cleared in the full key
  EXPECT_EQ(recs[2].key.ToHex(), "b5b4b3b2b1b0000000000000");
  EXPECT_EQ(recs[0].key_bytes, 12u);
  EXPECT_EQ(recs[1].key_bytes, 6u);
  EXPECT_EQ(recs[1].size, 6u);
  EXPECT_EQ(recs[2].offset, 18u);
  EXPECT_FALSE(recs[1].negative);
  EXPECT_TRUE(recs[2].negative);
  EXPECT_EQ(Reencode(rdb, recs), file);
}

TEST(RecordCodecBytes, PosdbEighteenTwelveSix) {
  // 18-byte key; a 12-byte key (0x02) that shares bytes 12..17; a 6-byte key (0x06) that also
  // shares bytes 6..11 of the 12-byte record; a 6-byte key stored with 0x04 alone (legal,
  // not canonical); then a 12-byte key after 6-byte keys (mid comes from the last 12-byte record).
  const std::string file = Bytes(
      "01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12"
      "03 22 23 24 25 26 27 28 29 2a 2b 2c"
      "06 32 33 34 35 36"
      "05 42 43 44 45 46"
      "02 52 53 54 55 56 57 58 59 5a 5b 5c");
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  DecodeStatus st;
  auto recs = DecodeAll(rdb, file, &st);
  ASSERT_EQ(st, DecodeStatus::kOk);
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].key.ToHex(),
            "1211100f0e0d0c0b0a0908070605040302"
            "01");
  EXPECT_EQ(recs[1].key.ToHex(),
            "1211100f0e0d2c2b2a2928272625242322"
            "01");
  EXPECT_EQ(recs[2].key.ToHex(), "1211100f0e0d2c2b2a292827363534333200");
  EXPECT_EQ(recs[3].key.ToHex(), "1211100f0e0d2c2b2a292827464544434201");
  EXPECT_EQ(recs[4].key.ToHex(), "1211100f0e0d5c5b5a595857565554535200");
  const uint32_t want_bytes[] = {18, 12, 6, 6, 12};
  for (size_t i = 0; i < recs.size(); i++) EXPECT_EQ(recs[i].key_bytes, want_bytes[i]) << i;
  EXPECT_TRUE(recs[2].negative);
  EXPECT_FALSE(recs[3].negative);
  // Canonical re-encoding writes 0x06 for the 0x04-only record and is otherwise identical.
  std::string canonical = file;
  canonical[36] = 0x07;
  EXPECT_EQ(Reencode(rdb, recs), canonical);
}

TEST(RecordCodecBytes, TitledbNegativeHasNoSizeField) {
  // Positive: key, i32 dataSize 3, 3 bytes. Negative: the key alone. Positive with dataSize 0.
  const std::string file = Bytes(
      "01 00 00 00 00 00 00 10 20 30 40 50  03 00 00 00  aa bb cc"
      "00 00 00 00 00 00 00 11 20 30 40 50"
      "01 00 00 00 00 00 00 12 20 30 40 50  00 00 00 00");
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  DecodeStatus st;
  auto recs = DecodeAll(rdb, file, &st);
  ASSERT_EQ(st, DecodeStatus::kOk);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].data, Bytes("aabbcc"));
  EXPECT_EQ(recs[0].size, 19u);
  EXPECT_TRUE(recs[1].negative);
  EXPECT_EQ(recs[1].size, 12u);
  EXPECT_EQ(recs[1].offset, 19u);
  EXPECT_EQ(recs[2].offset, 31u);
  EXPECT_EQ(recs[2].size, 16u);
  EXPECT_TRUE(recs[2].data.empty());
  EXPECT_EQ(Reencode(rdb, recs), file);
}

TEST(RecordCodecBytes, VariableRecord) {
  // tagdb: 16-byte key, i32 dataSize 5, "hello".
  const std::string file =
      Bytes("01 00 00 00 f4 24 8a 17 82 4b de 68 c6 5f 6e 50  05 00 00 00") + "hello";
  RecordDecoder dec(GetRdb(RdbId::kTagdb));
  Record rec;
  ASSERT_EQ(dec.Decode(U8(file), U8(file) + file.size(), &rec), DecodeStatus::kOk);
  EXPECT_EQ(KeyHex(rec.key, 16), "506e5fc668de4b82178a24f400000001");
  EXPECT_EQ(rec.data_size, 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(rec.data), rec.data_size), "hello");
  EXPECT_EQ(rec.data, U8(file) + 20);
  EXPECT_EQ(rec.size, 25u);
  EXPECT_EQ(rec.key_bytes, 16u);
}

TEST(RecordCodecBytes, FixedSizeData) {
  // Fixed N = 4: a positive carries 4 data bytes and no size field; a negative none.
  const std::string file = Bytes(
      "01 00 00 00 00 00 00 00 00 00 00 01  de ad be ef"
      "00 00 00 00 00 00 00 00 00 00 00 02"
      "01 00 00 00 00 00 00 00 00 00 00 02  01 02 03 04");
  DecodeStatus st;
  auto recs = DecodeAll(kFixed4, file, &st);
  ASSERT_EQ(st, DecodeStatus::kOk);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].data, Bytes("deadbeef"));
  EXPECT_EQ(recs[0].size, 16u);
  EXPECT_TRUE(recs[1].data.empty());
  EXPECT_EQ(recs[1].size, 12u);
  EXPECT_EQ(recs[2].data, Bytes("01020304"));
  EXPECT_EQ(Reencode(kFixed4, recs), file);
  // Half keys with fixed data: the half key is followed by the 3 data bytes.
  const std::string half = Bytes(
      "01 00 00 00 00 00 00 00 00 00 00 01  aa bb cc"
      "03 01 00 00 00 00  dd ee ff");
  recs = DecodeAll(kHalfFixed3, half, &st);
  ASSERT_EQ(st, DecodeStatus::kOk);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].key.ToHex(), "010000000000000000000101");
  EXPECT_EQ(recs[1].data, Bytes("ddeeff"));
  EXPECT_EQ(recs[1].size, 9u);
  EXPECT_EQ(Reencode(kHalfFixed3, recs), half);
}

TEST(RecordDecoder, CompressedFirstRecordHasNoState) {
  Record rec;
  struct Case {
    RdbId rdb;
    std::string bytes;
  } cases[] = {
      {RdbId::kIndexdb, Bytes("03 12 22 33 44 55")},
      {RdbId::kClusterdb, Bytes("02 12 22 33 44 55")},
      {RdbId::kPosdb, Bytes("03 22 23 24 25 26 27 28 29 2a 2b 2c")},
      {RdbId::kPosdb, Bytes("06 32 33 34 35 36")},
      {RdbId::kPosdb, Bytes("04 32 33 34 35 36")},
  };
  for (const auto& c : cases) {
    RecordDecoder dec(GetRdb(c.rdb));
    EXPECT_EQ(dec.Decode(U8(c.bytes), U8(c.bytes) + c.bytes.size(), &rec), DecodeStatus::kNoState)
        << c.bytes.size();
    // After a seed (a page start) the same bytes decode.
    uint8_t seed[kMaxKeySize] = {};
    dec.SeedFromPageKey(seed);
    EXPECT_EQ(dec.Decode(U8(c.bytes), U8(c.bytes) + c.bytes.size(), &rec), DecodeStatus::kOk);
    EXPECT_EQ(rec.size, c.bytes.size());
  }
  // A non-compressing Rdb never lacks state, whatever byte 0 holds.
  RecordDecoder dec(GetRdb(RdbId::kLinkdb));
  const std::string linkdb(28, '\x07');
  EXPECT_EQ(dec.Decode(U8(linkdb), U8(linkdb) + 28, &rec), DecodeStatus::kOk);
}

TEST(RecordDecoder, TruncatedAndBadSizesChangeNothing) {
  const RdbInfo& titledb = GetRdb(RdbId::kTitledb);
  const std::string first = Bytes("01 00 00 00 00 00 00 10 20 30 40 50  01 00 00 00  aa");
  RecordDecoder dec(titledb);
  Record rec;
  ASSERT_EQ(dec.Decode(U8(first), U8(first) + first.size(), &rec), DecodeStatus::kOk);
  const std::string before = KeyHex(dec.last_key(), 12);
  const std::string next = Bytes("01 00 00 00 00 00 00 11 20 30 40 50  02 00 00 00  bb cc");
  // Every proper prefix is truncated (key, size field or data).
  for (size_t n = 0; n < next.size(); n++) {
    EXPECT_EQ(dec.Decode(U8(next), U8(next) + n, &rec), DecodeStatus::kTruncated) << n;
    EXPECT_EQ(KeyHex(dec.last_key(), 12), before);
  }
  const std::string negative_size = Bytes("01 00 00 00 00 00 00 11 20 30 40 50  ff ff ff ff");
  EXPECT_EQ(dec.Decode(U8(negative_size), U8(negative_size) + negative_size.size(), &rec),
            DecodeStatus::kBadDataSize);
  dec.set_max_data_size(1);
  EXPECT_EQ(dec.Decode(U8(next), U8(next) + next.size(), &rec), DecodeStatus::kBadDataSize);
  EXPECT_EQ(KeyHex(dec.last_key(), 12), before);
  dec.set_max_data_size(2);
  EXPECT_EQ(dec.Decode(U8(next), U8(next) + next.size(), &rec), DecodeStatus::kOk);
  EXPECT_EQ(rec.size, next.size());
  // A negative needs no size field: 12 bytes are enough even with garbage after them.
  const std::string neg = Bytes("00 00 00 00 00 00 00 12 20 30 40 50  ff ff");
  EXPECT_EQ(dec.Decode(U8(neg), U8(neg) + neg.size(), &rec), DecodeStatus::kOk);
  EXPECT_EQ(rec.size, 12u);

  // posdb: a failure leaves the state of the last good record.
  RecordDecoder pd(GetRdb(RdbId::kPosdb));
  const std::string p18 = Bytes("01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12");
  ASSERT_EQ(pd.Decode(U8(p18), U8(p18) + 18, &rec), DecodeStatus::kOk);
  const std::string p12 = Bytes("03 22 23 24 25 26 27 28 29 2a 2b 2c");
  EXPECT_EQ(pd.Decode(U8(p12), U8(p12) + 11, &rec), DecodeStatus::kTruncated);
  EXPECT_EQ(KeyHex(pd.last_key(), 18), "1211100f0e0d0c0b0a090807060504030201");
  ASSERT_EQ(pd.Decode(U8(p12), U8(p12) + 12, &rec), DecodeStatus::kOk);
  EXPECT_EQ(KeyHex(rec.key, 18), "1211100f0e0d2c2b2a292827262524232201");
}

TEST(RecordDecoder, SeedFromPageKeyCompletesTheFirstRecord) {
  auto recs = testing::RandomRecords(GetRdb(RdbId::kPosdb), 500, 7);
  std::vector<uint64_t> offsets;
  const std::string file = testing::EncodeRecords(GetRdb(RdbId::kPosdb), recs, &offsets);
  // From any record start, seeded with that record's full key, the rest decodes exactly.
  for (size_t i = 0; i < recs.size(); i += 37) {
    DecodeStatus st;
    auto tail = DecodeAll(GetRdb(RdbId::kPosdb), std::string_view(file).substr(offsets[i]), &st,
                          nullptr, recs[i].key.data(), offsets[i]);
    ASSERT_EQ(st, DecodeStatus::kOk);
    ASSERT_EQ(tail.size(), recs.size() - i);
    for (size_t j = 0; j < tail.size(); j++) EXPECT_EQ(tail[j].key, recs[i + j].key);
  }
}

TEST(RecordEncoder, CanonicalFormsAndFullKeysOnly) {
  const RdbInfo& posdb = GetRdb(RdbId::kPosdb);
  Key a = Key::FromHex("1211100f0e0d0c0b0a090807060504030201", 18).value();
  Key b = Key::FromHex("1211100f0e0d0c0b0a090807060504030301", 18).value();  // same 6..17
  Key c = Key::FromHex("1211100f0e0d0c0b0a090807060504030301", 18).value();
  c.data()[7] ^= 0x10;  // same 12..17 only
  Key d = c;
  d.data()[16] ^= 0x01;  // differs in 12..17
  EXPECT_EQ(CanonicalKeyBytes(posdb, nullptr, a.data()), 18u);
  EXPECT_EQ(CanonicalKeyBytes(posdb, a.data(), b.data()), 6u);
  EXPECT_EQ(CanonicalKeyBytes(posdb, b.data(), c.data()), 12u);
  EXPECT_EQ(CanonicalKeyBytes(posdb, c.data(), d.data()), 18u);
  const RdbInfo& titledb = GetRdb(RdbId::kTitledb);
  EXPECT_EQ(CanonicalKeyBytes(titledb, a.data(), a.data()), 12u);

  RecordEncoder enc(posdb);
  std::string out;
  EXPECT_EQ(enc.Append(a.data(), "", &out), 18u);
  EXPECT_EQ(enc.Append(b.data(), "", &out), 6u);
  EXPECT_EQ(static_cast<uint8_t>(out[18]), (b[0] | 0x06));
  EXPECT_EQ(enc.Append(c.data(), "", &out), 12u);
  EXPECT_EQ(static_cast<uint8_t>(out[24]), (c[0] | 0x02));
  EXPECT_EQ(enc.Append(d.data(), "", &out), 18u);

  RecordEncoder full(posdb, /*full_keys_only=*/true);
  std::string f;
  for (const Key* k : {&a, &b, &c, &d}) EXPECT_EQ(full.Append(k->data(), "", &f), 18u);
  EXPECT_EQ(f.substr(18, 18), std::string(reinterpret_cast<const char*>(b.data()), 18));

  // SeedLastKey: a resumed file continues compressed against the seed; Reset writes full again.
  RecordEncoder resumed(posdb);
  resumed.SeedLastKey(a.data());
  std::string r;
  EXPECT_EQ(resumed.Append(b.data(), "", &r), 6u);
  resumed.Reset();
  EXPECT_EQ(resumed.Append(b.data(), "", &r), 18u);

  EXPECT_EQ(RecordEncoder(titledb).MaxEncodedSize(100), 116u);
  EXPECT_EQ(RecordEncoder(posdb).MaxEncodedSize(100), 18u);
  EXPECT_EQ(RecordEncoder(kFixed4).MaxEncodedSize(4), 16u);
}

// Every registry Rdb plus fixed-N forms: random sorted lists round-trip, are stored canonically,
// and use every key form of their compression.
std::vector<const RdbInfo*> AllCodecForms() {
  std::vector<const RdbInfo*> v;
  for (const auto& r : AllRdbs()) v.push_back(&r);
  v.push_back(&kFixed4);
  v.push_back(&kHalfFixed3);
  v.push_back(&kPosdbVar);
  return v;
}

TEST(RecordCodecRoundTrip, EveryRdbAndForm) {
  for (const RdbInfo* rdb : AllCodecForms()) {
    for (uint64_t seed = 1; seed <= 3; seed++) {
      SCOPED_TRACE(std::string(rdb->name) + " seed " + std::to_string(seed));
      testing::RandomListOptions opt;
      opt.num_hi = static_cast<int>(seed * 3);
      auto recs = testing::RandomRecords(*rdb, 2000, seed, opt);
      std::vector<uint64_t> offsets;
      const std::string file = testing::EncodeRecords(*rdb, recs, &offsets);
      DecodeStatus st;
      auto got = DecodeAll(*rdb, file, &st);
      ASSERT_EQ(st, DecodeStatus::kOk);
      ASSERT_EQ(got.size(), recs.size());
      std::set<uint32_t> forms;
      for (size_t i = 0; i < got.size(); i++) {
        ASSERT_EQ(got[i].key, recs[i].key) << i;
        ASSERT_EQ(got[i].data, recs[i].data) << i;
        ASSERT_EQ(got[i].negative, recs[i].negative());
        ASSERT_EQ(got[i].offset, offsets[i]);
        const uint8_t* prev = i == 0 ? nullptr : recs[i - 1].key.data();
        ASSERT_EQ(got[i].key_bytes, CanonicalKeyBytes(*rdb, prev, recs[i].key.data()));
        forms.insert(got[i].key_bytes);
      }
      const int ks = rdb->key_size;
      if (rdb->compression == KeyCompression::kPosdb) {
        EXPECT_EQ(forms, (std::set<uint32_t>{6, 12, 18}));
      } else if (rdb->compression == KeyCompression::kHalf) {
        EXPECT_EQ(forms,
                  (std::set<uint32_t>{static_cast<uint32_t>(ks - 6), static_cast<uint32_t>(ks)}));
      } else {
        EXPECT_EQ(forms, (std::set<uint32_t>{static_cast<uint32_t>(ks)}));
      }
      EXPECT_EQ(Reencode(*rdb, got), file);
      // Bundle form: every key full; decodes to the same records.
      RecordEncoder full(*rdb, true);
      std::string bundle;
      for (const auto& r : recs) full.Append(r.key.data(), r.data, &bundle);
      auto from_bundle = DecodeAll(*rdb, bundle, &st);
      ASSERT_EQ(st, DecodeStatus::kOk);
      ASSERT_EQ(from_bundle.size(), recs.size());
      for (size_t i = 0; i < recs.size(); i++) {
        EXPECT_EQ(from_bundle[i].key, recs[i].key);
        EXPECT_EQ(from_bundle[i].key_bytes, static_cast<uint32_t>(ks));
      }
    }
  }
}

// EncodeAs<KS, C, D> (the merge's inlined encoder) writes exactly EncodeTo's bytes, for every
// registry layout, after a seed and from a fresh encoder.
TEST(RecordEncoder, InlinedLayoutEncoderWritesTheCanonicalBytes) {
  for (const RdbInfo& rdb : AllRdbs()) {
    SCOPED_TRACE(rdb.name);
    testing::RandomListOptions opt;
    opt.num_hi = 5;
    opt.max_data_size = 100;
    auto recs = testing::RandomRecords(rdb, 3000, 5, opt);
    VisitRdbLayout(rdb, [&](auto ks, auto, auto comp, auto form) {
      for (int seeded = 0; seeded < 2; seeded++) {
        RecordEncoder a(rdb), b(rdb);
        if (seeded) {
          a.SeedLastKey(recs[0].key.data());
          b.SeedLastKey(recs[0].key.data());
        }
        std::vector<uint8_t> x(20000), y(20000);
        for (size_t i = 0; i < recs.size(); i++) {
          const auto* d = reinterpret_cast<const uint8_t*>(recs[i].data.data());
          const auto sz = static_cast<uint32_t>(recs[i].data.size());
          const size_t n = a.EncodeTo(recs[i].key.data(), d, sz, x.data());
          const size_t m =
              b.EncodeAs<decltype(ks)::value, decltype(comp)::value, decltype(form)::value>(
                  recs[i].key.data(), d, sz, y.data());
          ASSERT_EQ(m, n) << i;
          ASSERT_LE(m, b.MaxEncodedSize(sz));
          ASSERT_EQ(std::memcmp(x.data(), y.data(), n), 0) << i;
        }
      }
    });
  }
}

TEST(RecordCodecRoundTrip, EmptyFile) {
  for (const RdbInfo& rdb : AllRdbs()) {
    EXPECT_TRUE(testing::EncodeRecords(rdb, {}).empty());
    DecodeStatus st;
    uint64_t stop = 1;
    EXPECT_TRUE(DecodeAll(rdb, "", &st, &stop).empty());
    EXPECT_EQ(st, DecodeStatus::kOk);
    EXPECT_EQ(stop, 0u);
    RecordDecoder dec(rdb);
    Record rec;
    const uint8_t b = 0;
    EXPECT_EQ(dec.Decode(&b, &b, &rec), DecodeStatus::kTruncated);
  }
}

TEST(RecordCodecRoundTrip, EveryCutIsTruncatedAtTheTornRecord) {
  for (const RdbInfo* rdb : AllCodecForms()) {
    auto recs = testing::RandomRecords(*rdb, 40, 11);
    std::vector<uint64_t> offsets;
    const std::string file = testing::EncodeRecords(*rdb, recs, &offsets);
    offsets.push_back(file.size());
    for (size_t cut = 0; cut <= file.size(); cut++) {
      DecodeStatus st;
      uint64_t stop;
      // Exact-size heap copy so ASan catches any read past the cut.
      std::unique_ptr<char[]> buf(new char[cut > 0 ? cut : 1]);
      std::memcpy(buf.get(), file.data(), cut);
      auto got = DecodeAll(*rdb, std::string_view(buf.get(), cut), &st, &stop);
      const size_t whole = static_cast<size_t>(
          std::upper_bound(offsets.begin(), offsets.end(), cut) - offsets.begin() - 1);
      ASSERT_EQ(got.size(), whole) << rdb->name << " cut " << cut;
      ASSERT_EQ(stop, offsets[whole]);
      ASSERT_EQ(st, cut == offsets[whole] ? DecodeStatus::kOk : DecodeStatus::kTruncated);
    }
  }
}

TEST(RecordDecoder, RandomBytesNeverReadOutOfBounds) {
  std::mt19937_64 rng(42);
  for (const RdbInfo* rdb : AllCodecForms()) {
    for (int iter = 0; iter < 300; iter++) {
      const size_t n = rng() % 300;
      std::unique_ptr<uint8_t[]> buf(new uint8_t[n + 1]);
      for (size_t i = 0; i < n; i++) {
        // Mostly small bytes so size fields are often plausible.
        buf[i] = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 8);
      }
      RecordDecoder dec(*rdb);
      uint8_t seed[kMaxKeySize];
      for (auto& b : seed) b = static_cast<uint8_t>(rng());
      if (iter % 2) dec.SeedFromPageKey(seed);  // any bytes as a page key
      const uint8_t* p = buf.get();
      const uint8_t* end = buf.get() + n;
      Record rec;
      while (p < end && dec.Decode(p, end, &rec) == DecodeStatus::kOk) {
        ASSERT_GT(rec.size, 0u);
        ASSERT_LE(rec.size, static_cast<size_t>(end - p));
        ASSERT_EQ(rec.size, rec.key_bytes + rec.data_size +
                                (rdb->variable_size() && !rec.negative ? 4u : 0u));
        p += rec.size;
      }
    }
  }
}

// L1, L2, L3 located by DecodeFailureFinding; L7 by CanonicalKeyBytes.
TEST(ListRules, DecodeFailuresNameRuleFileAndOffset) {
  EXPECT_EQ(DecodeStatusRule(DecodeStatus::kOk), "");
  const RdbInfo& indexdb = GetRdb(RdbId::kIndexdb);
  // L1: the first record is a half key.
  {
    const std::string file = Bytes("03 12 22 33 44 55");
    DecodeStatus st;
    uint64_t stop;
    DecodeAll(indexdb, file, &st, &stop);
    Finding f = DecodeFailureFinding(indexdb, st, "indexdb0001.dat", static_cast<int64_t>(stop));
    EXPECT_EQ(f.rule, "L1");
    EXPECT_EQ(f.file, "indexdb0001.dat");
    EXPECT_EQ(f.offset, 0);
    EXPECT_EQ(f.page, 0);
    EXPECT_EQ(f.severity, Severity::kError);
  }
  // L2: a torn last record after 40000 bytes of good ones (page 1 of 32 KiB).
  {
    const RdbInfo& titledb = GetRdb(RdbId::kTitledb);
    testing::RandomListOptions opt;
    opt.max_data_size = 200;
    auto recs = testing::RandomRecords(titledb, 600, 3, opt);
    std::vector<uint64_t> offsets;
    std::string file = testing::EncodeRecords(titledb, recs, &offsets);
    ASSERT_GT(file.size(), 40000u);
    size_t i = 0;
    while (offsets[i] < 40000 || recs[i].negative()) i++;
    file.resize(offsets[i] + 13);  // key and one byte of the size field
    DecodeStatus st;
    uint64_t stop;
    auto got = DecodeAll(titledb, file, &st, &stop);
    EXPECT_EQ(got.size(), i);
    Finding f =
        DecodeFailureFinding(titledb, st, "titledb0001-000.dat", static_cast<int64_t>(stop));
    EXPECT_EQ(f.rule, "L2");
    EXPECT_EQ(f.offset, static_cast<int64_t>(offsets[i]));
    EXPECT_EQ(f.page, static_cast<int64_t>(offsets[i] / 32768));
    EXPECT_NE(f.ToString().find("titledb0001-000.dat: offset " + std::to_string(offsets[i])),
              std::string::npos);
  }
  // L3: a negative dataSize in the second record.
  {
    const RdbInfo& tagdb = GetRdb(RdbId::kTagdb);
    const std::string file = Bytes(
        "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01  01 00 00 00 aa"
        "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02  fe ff ff ff");
    DecodeStatus st;
    uint64_t stop;
    DecodeAll(tagdb, file, &st, &stop);
    Finding f = DecodeFailureFinding(tagdb, st, "tagdb0001.dat", static_cast<int64_t>(stop));
    EXPECT_EQ(f.rule, "L3");
    EXPECT_EQ(f.offset, 21);
    EXPECT_EQ(f.page, 0);
  }
}

TEST(ListRules, NonCanonicalKeyIsDetected) {
  // L7: the second record repeats the top 6 bytes but is stored full (12 bytes, 0x02 clear).
  const RdbInfo& clusterdb = GetRdb(RdbId::kClusterdb);
  const std::string file = Bytes(
      "01 11 22 33 44 55 a0 a1 a2 a3 a4 a5"
      "01 12 22 33 44 55 a0 a1 a2 a3 a4 a5"
      "03 13 22 33 44 55");
  DecodeStatus st;
  auto recs = DecodeAll(clusterdb, file, &st);
  ASSERT_EQ(st, DecodeStatus::kOk);
  std::vector<uint64_t> bad;
  for (size_t i = 0; i < recs.size(); i++) {
    const uint8_t* prev = i == 0 ? nullptr : recs[i - 1].key.data();
    if (CanonicalKeyBytes(clusterdb, prev, recs[i].key.data()) != recs[i].key_bytes) {
      bad.push_back(recs[i].offset);
    }
  }
  EXPECT_EQ(bad, std::vector<uint64_t>{12});
}

}  // namespace
}  // namespace shardtool
