// FileVerifier: every rule it reports is triggered by a planted defect and located; ownership
// counts are exact; verifying never changes a byte.
#include "jobs/verify/file_verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "base/coding.h"
#include "format/crc_sidecar.h"
#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "format/key_fields.h"
#include "format/titlerec.h"
#include "io/mem_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

constexpr char kDir[] = "/w/coll.main.0";

struct Rec {
  Key key;
  std::string data;
};

class FileVerifierTest : public ::testing::Test {
 protected:
  void WriteFile(const RdbInfo& rdb, int id, const std::vector<Rec>& recs,
                 uint64_t part = kGbPartSize) {
    ASSERT_OK(fs_.CreateDirs(kDir));
    DataFileWriter::Options o;
    o.part_size = part;
    DataFileWriter w(&fs_, kDir, DataName(rdb.name, id, rdb.titledb_naming), MapName(rdb.name, id),
                     CrcName(rdb.name, id), rdb, o);
    ASSERT_OK(w.Open());
    for (const Rec& r : recs) {
      ASSERT_OK(w.Add(r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                      static_cast<uint32_t>(r.data.size())));
    }
    ASSERT_OK(w.Finish());
  }

  FileVerifyReport Verify(const RdbInfo& rdb, int id, FileVerifyOptions opt = {}) {
    OpenDataFileOptions o;
    auto r = VerifyFile(&fs_, kDir, DataName(rdb.name, id, rdb.titledb_naming), nullptr, o, opt);
    EXPECT_OK(r);
    return r.ok() ? *r : FileVerifyReport{};
  }

  std::string Path(const std::string& name) { return std::string(kDir) + "/" + name; }
  void Patch(const std::string& name, uint64_t offset, std::string_view bytes) {
    std::string s = fs_.ReadAll(Path(name));
    ASSERT_LE(offset + bytes.size(), s.size());
    s.replace(offset, bytes.size(), bytes);
    fs_.WriteAll(Path(name), s);
  }

  MemFileSystem fs_;
};

const Finding* Find(const FileVerifyReport& r, const std::string& rule) {
  for (const Finding& f : r.findings) {
    if (f.rule == rule) return &f;
  }
  return nullptr;
}

std::vector<Rec> Titledb(int n, int seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<Rec> recs;
  for (int i = 0; i < n; i++) {
    const uint64_t docid = rng() & kDocIdMask;
    std::string page = "<html>page " + std::to_string(docid);
    for (size_t k = 200 + rng() % 3000; k > 0; k--) page += static_cast<char>('a' + rng() % 26);
    recs.push_back(
        {MakeTitledbKey(docid, rng() & 0xffffffffffffULL, true), MakeTitlerecData(page)});
  }
  std::sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  return recs;
}

std::vector<Rec> Posdb(int n, int seed = 2) {
  std::mt19937_64 rng(seed);
  std::vector<Rec> recs;
  for (int i = 0; i < n; i++) {
    PosdbFields f;
    f.termid = rng() % 50 + 1000;
    f.docid = rng() & kDocIdMask;
    f.wordpos = static_cast<uint32_t>(rng() % 1000);
    f.sharded_by_termid = rng() % 20 == 0;
    f.positive = rng() % 7 != 0;
    recs.push_back({MakePosdbKey(f), ""});
  }
  std::sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  recs.erase(std::unique(recs.begin(), recs.end(),
                         [](const Rec& a, const Rec& b) {
                           return CompareKeysNegEq(a.key.data(), b.key.data(), 18) == 0;
                         }),
             recs.end());
  return recs;
}

TEST_F(FileVerifierTest, CleanFilesHaveNoErrors) {
  WriteFile(GetRdb(RdbId::kTitledb), 1, Titledb(300));
  WriteFile(GetRdb(RdbId::kPosdb), 3, Posdb(20000));
  for (auto [rdb, id] :
       {std::pair{&GetRdb(RdbId::kTitledb), 1}, std::pair{&GetRdb(RdbId::kPosdb), 3}}) {
    FileVerifyReport r = Verify(*rdb, id);
    EXPECT_EQ(r.errors, 0) << (r.findings.empty() ? "" : r.findings[0].ToString());
    EXPECT_TRUE(r.decoded_completely);
    EXPECT_EQ(r.notices, 0);
  }
}

TEST_F(FileVerifierTest, OwnershipCountsAreExactByOwningShard) {
  auto recs = Posdb(30000);
  WriteFile(GetRdb(RdbId::kPosdb), 1, recs);
  SlotOwners owners;
  for (int s = 0; s < kNumSlots; s++)
    owners.owner[static_cast<size_t>(s)] = static_cast<int16_t>(s % 3);
  owners.self = 1;
  std::map<int, int64_t> want;
  int64_t owned = 0;
  for (const Rec& r : recs) {
    const int o = KeySlot(GetRdb(RdbId::kPosdb), r.key.data()) % 3;
    if (o == 1)
      owned++;
    else
      want[o]++;
  }
  FileVerifyOptions opt;
  opt.owners = &owners;
  opt.report_limit = 5;
  FileVerifyReport r = Verify(GetRdb(RdbId::kPosdb), 1, opt);
  EXPECT_EQ(r.owned, owned);
  EXPECT_EQ(r.not_owned_by_shard, want);
  EXPECT_EQ(r.owned + r.not_owned, r.positive + r.negative);
  ASSERT_EQ(r.misplaced_sample.size(), 5u);
  for (const MisplacedRecord& m : r.misplaced_sample) {
    EXPECT_NE(m.owner, 1);
    EXPECT_EQ(m.owner, m.slot % 3);
    EXPECT_GE(m.offset, 0);
  }
  EXPECT_EQ(r.ownership_checked, "records");
}

TEST_F(FileVerifierTest, NegativesInANegativeFreeFileAreL9) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  const std::vector<Rec> recs = Posdb(3000);
  WriteFile(rdb, 1, recs);
  int64_t negatives = 0;
  for (const Rec& r : recs) negatives += KeyIsNegative(r.key.data());
  ASSERT_GT(negatives, 0);
  // Unknown whether the file may hold negatives: no L9.
  FileVerifyReport plain = Verify(rdb, 1);
  EXPECT_EQ(plain.rule_counts.count("L9"), 0u);
  EXPECT_EQ(plain.errors, 0);
  FileVerifyOptions o;
  o.no_negatives = true;
  o.report_limit = 5;
  FileVerifyReport r = Verify(rdb, 1, o);
  EXPECT_EQ(r.negative, negatives);
  EXPECT_EQ(r.rule_counts["L9"], negatives);
  EXPECT_EQ(r.errors, negatives);
  const Finding* f = Find(r, "L9");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kError);
  EXPECT_GE(f->offset, 0);  // located at the record
  EXPECT_FALSE(f->key.empty());
}

TEST_F(FileVerifierTest, NotShardableIsO2) {
  std::vector<Rec> recs = {{Key::FromHex("000000000000000000000001", 12).value(), "abc"}};
  WriteFile(GetRdb(RdbId::kDoledb), 1, recs);
  SlotOwners owners;
  FileVerifyOptions opt;
  opt.owners = &owners;
  FileVerifyReport r = Verify(GetRdb(RdbId::kDoledb), 1, opt);
  ASSERT_NE(Find(r, "O2"), nullptr);
  EXPECT_EQ(r.ownership_checked, "not_shardable");
  EXPECT_EQ(r.errors, 0);
}

TEST_F(FileVerifierTest, OutOfOrderDuplicateAndTwinKeys) {
  auto recs = Posdb(2000);
  std::vector<Rec> bad = recs;
  std::swap(bad[100], bad[101]);            // L4 at record 101
  bad.insert(bad.begin() + 500, bad[500]);  // L5 (exact duplicate)
  Rec twin = bad[800];
  twin.key = twin.key.negative() ? twin.key.Positive() : twin.key.Negative();
  bad.insert(bad.begin() + (twin.key.negative() ? 800 : 801), twin);  // L6
  WriteFile(GetRdb(RdbId::kPosdb), 1, bad);
  FileVerifyReport r = Verify(GetRdb(RdbId::kPosdb), 1);
  const Finding* l4 = Find(r, "L4");
  ASSERT_NE(l4, nullptr);
  EXPECT_EQ(l4->key, recs[100].key.ToHex());
  EXPECT_GT(l4->offset, 0);
  EXPECT_EQ(r.rule_counts["L4"], 1);
  EXPECT_NE(Find(r, "L5"), nullptr);
  EXPECT_NE(Find(r, "L6"), nullptr);
}

TEST_F(FileVerifierTest, TornAndBadSizeRecords) {
  WriteFile(GetRdb(RdbId::kTitledb), 1, Titledb(50));
  const std::string dat = "titledb0001-000.dat";
  const uint64_t size = fs_.Stat(Path(dat))->size;
  ASSERT_OK(fs_.Truncate(Path(dat), size - 10));
  FileVerifyReport r = Verify(GetRdb(RdbId::kTitledb), 1);
  const Finding* l2 = Find(r, "L2");
  ASSERT_NE(l2, nullptr);
  EXPECT_GT(l2->offset, 0);
  // The finding names the file and the rule; its text does not repeat them (issue 16).
  EXPECT_EQ(l2->message.find(Path(dat)), std::string::npos) << l2->message;
  EXPECT_EQ(l2->message.find("(L2)"), std::string::npos) << l2->message;
  EXPECT_FALSE(r.decoded_completely);
  EXPECT_NE(Find(r, "M2"), nullptr);  // the map's end offset no longer matches

  // A negative dataSize in the second record: L3 at its offset.
  WriteFile(GetRdb(RdbId::kTitledb), 3, Titledb(5));
  const std::string dat3 = "titledb0003-000.dat";
  std::string bytes = fs_.ReadAll(Path(dat3));
  const uint64_t second = 12 + 4 + LoadLE32(reinterpret_cast<const uint8_t*>(bytes.data()) + 12);
  Patch(dat3, second + 12, std::string("\xff\xff\xff\xff", 4));
  r = Verify(GetRdb(RdbId::kTitledb), 3);
  const Finding* l3 = Find(r, "L3");
  ASSERT_NE(l3, nullptr);
  EXPECT_EQ(l3->offset, static_cast<int64_t>(second));
}

TEST_F(FileVerifierTest, CompressedFirstKeyIsL1AndNonCanonicalIsL7) {
  // indexdb (half keys): the first stored record has the half bit.
  const RdbInfo& idx = GetRdb(RdbId::kIndexdb);
  std::vector<Rec> recs = {{MakeIndexdbKey(7, 1, 100, true), ""},
                           {MakeIndexdbKey(7, 1, 200, true), ""}};
  WriteFile(idx, 1, recs);
  Patch("indexdb0001.dat", 0, std::string(1, static_cast<char>(recs[0].key[0] | 0x02)));
  FileVerifyReport r = Verify(idx, 1);
  const Finding* l1 = Find(r, "L1");
  ASSERT_NE(l1, nullptr);
  EXPECT_EQ(l1->offset, 0);

  // A full key where a half key fits: legal, reported as L7 (hand-written bytes + its map).
  std::string data;
  data.append(reinterpret_cast<const char*>(recs[0].key.data()), 12);
  data.append(reinterpret_cast<const char*>(recs[1].key.data()), 12);
  fs_.WriteAll(Path("indexdb0003.dat"), data);
  PageMap map(12, idx.page_size);
  map.AddRecord(0, 12, recs[0].key.data(), false);
  map.AddRecord(12, 12, recs[1].key.data(), false);
  fs_.WriteAll(Path("indexdb0003.map"), map.Serialize());
  r = Verify(idx, 3);
  const Finding* l7 = Find(r, "L7");
  ASSERT_NE(l7, nullptr);
  EXPECT_EQ(l7->offset, 12);
  EXPECT_EQ(r.errors, 0);
}

TEST_F(FileVerifierTest, MapDefectsAreLocated) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  WriteFile(rdb, 1, Titledb(100));
  const std::string map = "titledb0001.map";
  std::string m = fs_.ReadAll(Path(map));
  // Counters off by one (M10), last key changed (M11), page 1's offset changed (M7).
  std::string pos(8, '\0');
  StoreLE64(reinterpret_cast<uint8_t*>(pos.data()),
            LoadLE64(reinterpret_cast<const uint8_t*>(m.data()) + 16) + 1);
  Patch(map, 16, pos);
  Patch(map, 32, std::string(1, static_cast<char>(m[32] ^ 0x10)));
  PageMap pm = PageMap::Parse(fs_.ReadAll(Path(map)), 12, rdb.page_size, map).value();
  ASSERT_GT(pm.num_pages(), 2);
  std::string off(2, '\0');
  StoreLE16(reinterpret_cast<uint8_t*>(off.data()), static_cast<uint16_t>(pm.page_offset(1) + 1));
  Patch(map, static_cast<uint64_t>(pm.OffsetEntryOffset(1)), off);
  FileVerifyReport r = Verify(rdb, 1);
  EXPECT_NE(Find(r, "M10"), nullptr);
  EXPECT_NE(Find(r, "M11"), nullptr);
  const Finding* m7 = Find(r, "M7");
  ASSERT_NE(m7, nullptr);
  EXPECT_EQ(m7->page, 1);

  // A map of a bad size: M1.
  fs_.WriteAll(Path(map), "short");
  r = Verify(rdb, 1);
  EXPECT_NE(Find(r, "M1"), nullptr);
  // No map: D6.
  ASSERT_OK(fs_.RemoveFile(Path(map)));
  r = Verify(rdb, 1);
  EXPECT_NE(Find(r, "D6"), nullptr);
  EXPECT_TRUE(r.decoded_completely);
}

TEST_F(FileVerifierTest, SidecarRules) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  WriteFile(rdb, 1, Titledb(200));
  const std::string dat = "titledb0001-000.dat", crc = "titledb0001.crc";
  // C4: one flipped byte inside a titlerec's zlib stream of page 2.
  std::string d = fs_.ReadAll(Path(dat));
  ASSERT_GT(d.size(), 3u * 32768);
  const std::string saved = d;
  Patch(dat, 2 * 32768 + 100, std::string(1, static_cast<char>(d[2 * 32768 + 100] ^ 0x55)));
  FileVerifyReport r = Verify(rdb, 1);
  const Finding* c4 = Find(r, "C4");
  ASSERT_NE(c4, nullptr);
  EXPECT_EQ(c4->page, 2);
  EXPECT_EQ(c4->offset, 2 * 32768);
  fs_.WriteAll(Path(dat), saved);
  // C2: trailer CRC broken. C1: bad magic.
  std::string c = fs_.ReadAll(Path(crc));
  Patch(crc, c.size() - 1, std::string(1, static_cast<char>(c.back() ^ 1)));
  r = Verify(rdb, 1);
  const Finding* c2 = Find(r, "C2");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->message.find(Path(crc)), std::string::npos) << c2->message;
  EXPECT_EQ(c2->message.find("(C2)"), std::string::npos) << c2->message;
  Patch(crc, 0, "XHCRC001");
  EXPECT_NE(Find(Verify(rdb, 1), "C1"), nullptr);
  // C3: stale (data size differs): ignored, a notice.
  CrcSidecarBuilder b(rdb.page_size);
  b.Add(std::string_view(saved).substr(0, saved.size() - 5));
  fs_.WriteAll(Path(crc), b.Finish().Serialize());
  r = Verify(rdb, 1);
  EXPECT_NE(Find(r, "C3"), nullptr);
  EXPECT_EQ(r.errors, 0);
  // C5: none.
  ASSERT_OK(fs_.RemoveFile(Path(crc)));
  r = Verify(rdb, 1);
  EXPECT_NE(Find(r, "C5"), nullptr);
}

TEST_F(FileVerifierTest, M1TextDoesNotRepeatPathAndRule) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  WriteFile(rdb, 1, Posdb(300));
  fs_.WriteAll(Path("posdb0001.map"), "short");
  FileVerifyReport r = Verify(rdb, 1);
  const Finding* m1 = Find(r, "M1");
  ASSERT_NE(m1, nullptr);
  EXPECT_EQ(m1->file, Path("posdb0001.map"));
  EXPECT_EQ(m1->message.find(Path("posdb0001.map")), std::string::npos) << m1->message;
  EXPECT_EQ(m1->message.find("(M1)"), std::string::npos) << m1->message;
}

TEST_F(FileVerifierTest, TitlerecRules) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  auto recs = Titledb(10);
  recs[3].data[30] ^= 0x5a;                                       // damaged stream: T2
  StoreLE32(reinterpret_cast<uint8_t*>(recs[5].data.data()), 0);  // ubufSize 0: T1
  WriteFile(rdb, 1, recs);
  FileVerifyReport r = Verify(rdb, 1);
  EXPECT_NE(Find(r, "T1"), nullptr);
  EXPECT_NE(Find(r, "T2"), nullptr);
  FileVerifyOptions quick;
  quick.inflate = false;
  r = Verify(rdb, 1, quick);
  EXPECT_EQ(Find(r, "T2"), nullptr);  // not inflated
  EXPECT_NE(Find(r, "T1"), nullptr);
}

TEST_F(FileVerifierTest, QuickChecksPageKeysOnly) {
  WriteFile(GetRdb(RdbId::kPosdb), 1, Posdb(40000));
  SlotOwners owners;
  for (int s = 0; s < kNumSlots; s++)
    owners.owner[static_cast<size_t>(s)] = static_cast<int16_t>(s % 2);
  owners.self = 0;
  FileVerifyOptions opt;
  opt.quick = true;
  opt.owners = &owners;
  FileVerifyReport r = Verify(GetRdb(RdbId::kPosdb), 1, opt);
  EXPECT_EQ(r.ownership_checked, "page_keys");
  PageMap pm = PageMap::Parse(fs_.ReadAll(Path("posdb0001.map")), 18, 32768, "m").value();
  EXPECT_EQ(r.owned + r.not_owned, pm.num_pages());
  EXPECT_EQ(r.positive + r.negative, pm.num_positive() + pm.num_negative());
}

TEST_F(FileVerifierTest, NeverModifiesAByte) {
  WriteFile(GetRdb(RdbId::kTitledb), 1, Titledb(100));
  Patch("titledb0001-000.dat", 5000, "garbage!");
  auto before = fs_.ListRecursive();
  std::map<std::string, std::string> contents;
  for (const auto& p : before) {
    if (p.back() != '/') contents[p] = fs_.ReadAll(p);
  }
  Verify(GetRdb(RdbId::kTitledb), 1);
  EXPECT_EQ(fs_.ListRecursive(), before);
  for (const auto& [p, c] : contents) EXPECT_EQ(fs_.ReadAll(p), c) << p;
}

TEST_F(FileVerifierTest, PartAndNameRules) {
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  std::vector<Rec> recs;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 400000; i++)
    recs.push_back({MakeClusterdbKey(rng() & kDocIdMask, 0, 1, 5, true), ""});
  std::sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  WriteFile(rdb, 1, recs, 2048ULL * 1024);
  ASSERT_TRUE(fs_.Exists(Path("clusterdb0001.dat.part1")));
  ASSERT_OK(fs_.RemoveFile(Path("clusterdb0001.dat")));
  FileVerifyReport r = Verify(rdb, 1);
  EXPECT_NE(Find(r, "D7"), nullptr);  // headless
  for (const Finding& f : r.findings) EXPECT_NE(f.severity, Severity::kError) << f.ToString();
  EXPECT_LT(r.positive, static_cast<int64_t>(recs.size()));
  // An even id without .mmm: D4.
  WriteFile(rdb, 2, {{recs[0].key, ""}});
  EXPECT_NE(Find(Verify(rdb, 2), "D4"), nullptr);
}

}  // namespace
}  // namespace shardtool
