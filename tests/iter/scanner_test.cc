// RecordScanner, RangeReader and DataFile over files written by DataFileWriter on an in-memory
// file system: multi-part files, headless files, islands, retries, torn tails, huge records.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "format/key_fields.h"
#include "io/fault_file_system.h"
#include "io/mem_file_system.h"
#include "iter/data_file.h"
#include "iter/range_reader.h"
#include "iter/record_scanner.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

constexpr char kDir[] = "/w/coll.main.0";

struct Rec {
  Key key;
  std::string data;
};

std::vector<Rec> ClusterdbRecords(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Rec> recs;
  for (size_t i = 0; i < n; i++) {
    const uint64_t docid = rng() & kDocIdMask;
    recs.push_back({MakeClusterdbKey(docid, rng() & 1, rng() % 4,
                                     static_cast<uint32_t>(rng()) & 0x3ffffff, rng() % 10 != 0),
                    ""});
  }
  std::sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.key < b.key; });
  recs.erase(std::unique(recs.begin(), recs.end(),
                         [](const Rec& a, const Rec& b) {
                           return CompareKeysNegEq(a.key.data(), b.key.data(), 12) == 0;
                         }),
             recs.end());
  return recs;
}

void Write(FileSystem* fs, const RdbInfo& rdb, int id, const std::vector<Rec>& recs,
           uint64_t part_size) {
  ASSERT_OK(fs->CreateDirs(kDir));
  DataFileWriter::Options o;
  o.part_size = part_size;
  DataFileWriter w(fs, kDir, DataName(rdb.name, id, rdb.titledb_naming), MapName(rdb.name, id),
                   CrcName(rdb.name, id), rdb, o);
  ASSERT_OK(w.Open());
  for (const Rec& r : recs) {
    ASSERT_OK(w.Add(r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                    static_cast<uint32_t>(r.data.size())));
  }
  ASSERT_OK(w.Finish());
}

Result<DataFile> Open(FileSystem* fs, const RdbInfo& rdb, int id, uint64_t part_size,
                      std::vector<Finding>* findings = nullptr) {
  OpenDataFileOptions o;
  o.default_part_size = part_size;
  return OpenDataFile(fs, kDir, DataName(rdb.name, id, rdb.titledb_naming), nullptr, o, findings);
}

constexpr uint64_t kClusterPart = 2048ULL * 1024;  // smallest legal part for 1 KiB pages

TEST(Scanner, MultiPartFileScansBackExactly) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  auto recs = ClusterdbRecords(700000, 1);
  Write(&fs, rdb, 1, recs, kClusterPart);
  ASSERT_TRUE(fs.Exists(std::string(kDir) + "/clusterdb0001.dat.part1"));
  std::vector<Finding> findings;
  auto df = Open(&fs, rdb, 1, kGbPartSize, &findings);
  ASSERT_OK(df);
  EXPECT_EQ(df->big->part_size(), kClusterPart);  // taken from the parts, not the default
  EXPECT_TRUE(findings.empty());
  RecordScanner s(df->big.get(), rdb, {});
  size_t i = 0;
  for (s.SeekToStart(); s.Valid(); s.Next(), i++) {
    ASSERT_LT(i, recs.size());
    ASSERT_EQ(Key::FromBytes(s.record().key, 12), recs[i].key) << "record " << i;
  }
  ASSERT_OK(s.status());
  EXPECT_EQ(i, recs.size());
  EXPECT_EQ(s.bytes_read(), df->big->logical_size());
}

TEST(Scanner, RangeReadsMatchBruteForce) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  auto recs = ClusterdbRecords(50000, 2);
  Write(&fs, rdb, 1, recs, kClusterPart);
  auto df = Open(&fs, rdb, 1, kClusterPart);
  ASSERT_OK(df);
  std::mt19937 rng(3);
  for (int t = 0; t < 200; t++) {
    size_t i = rng() % recs.size(), j = rng() % recs.size();
    if (i > j) std::swap(i, j);
    Key a = recs[i].key, b = recs[j].key;
    if (t % 3 == 0) a = a.Positive();  // bounds between keys too
    std::vector<Key> want;
    for (const Rec& r : recs) {
      if (r.key >= a && r.key <= b) want.push_back(r.key);
    }
    RangeReader rr(*df, a, b);
    std::vector<Key> got;
    for (rr.SeekToStart(); rr.Valid(); rr.Next())
      got.push_back(Key::FromBytes(rr.record().key, 12));
    ASSERT_OK(rr.status());
    ASSERT_EQ(got, want) << "range " << i << ".." << j;
    // The span is map-guided: it never reads the whole file for a small range.
    if (j - i < 100) {
      EXPECT_LT(rr.span_end() - rr.span_start(), 4 * 1024u);
    }
  }
}

TEST(Scanner, HeadlessFileReadsFromFirstPresentPart) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  auto recs = ClusterdbRecords(700000, 4);
  Write(&fs, rdb, 1, recs, kClusterPart);
  // Offsets of every record, from a full scan.
  std::vector<uint64_t> offsets;
  {
    auto df = Open(&fs, rdb, 1, kClusterPart);
    RecordScanner s(df->big.get(), rdb, {});
    for (s.SeekToStart(); s.Valid(); s.Next()) offsets.push_back(s.offset());
  }
  ASSERT_OK(fs.RemoveFile(std::string(kDir) + "/clusterdb0001.dat"));
  std::vector<Finding> findings;
  auto df = Open(&fs, rdb, 1, kClusterPart, &findings);
  ASSERT_OK(df);
  EXPECT_TRUE(df->big->headless());
  EXPECT_EQ(df->big->first_part(), 1);
  EXPECT_TRUE(std::any_of(findings.begin(), findings.end(),
                          [](const Finding& f) { return f.rule == "D7"; }));
  auto first = df->FirstReadable();
  ASSERT_OK(first);
  EXPECT_GE(first->first, kClusterPart);
  RecordScanner::Options so;
  so.start = first->first;
  so.seed_key = first->second;
  RecordScanner s(df->big.get(), rdb, so);
  const size_t k = static_cast<size_t>(
      std::lower_bound(offsets.begin(), offsets.end(), first->first) - offsets.begin());
  ASSERT_EQ(offsets[k], first->first);
  size_t i = k;
  for (s.SeekToStart(); s.Valid(); s.Next(), i++)
    ASSERT_EQ(Key::FromBytes(s.record().key, 12), recs[i].key);
  EXPECT_OK(s.status());
  EXPECT_EQ(i, recs.size());
}

TEST(Scanner, IslandBelowAGapIsIgnoredAndReported) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  auto recs = ClusterdbRecords(900000, 5);
  Write(&fs, rdb, 1, recs, kClusterPart);
  ASSERT_TRUE(fs.Exists(std::string(kDir) + "/clusterdb0001.dat.part2"));
  ASSERT_OK(fs.RemoveFile(std::string(kDir) + "/clusterdb0001.dat.part1"));
  std::vector<Finding> findings;
  auto df = Open(&fs, rdb, 1, kClusterPart, &findings);
  ASSERT_OK(df);
  EXPECT_EQ(df->big->first_part(), 2);
  ASSERT_EQ(df->big->islands().size(), 1u);
  EXPECT_TRUE(std::any_of(findings.begin(), findings.end(),
                          [](const Finding& f) { return f.rule == "D3"; }));
}

TEST(Scanner, UnequalPartsAreD1) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  Write(&fs, rdb, 1, ClusterdbRecords(700000, 6), kClusterPart);
  ASSERT_OK(fs.Truncate(std::string(kDir) + "/clusterdb0001.dat", kClusterPart - 10));
  std::vector<Finding> findings;
  auto df = Open(&fs, rdb, 1, kClusterPart, &findings);
  EXPECT_EQ(df.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(df.status().message().find("D1"), std::string::npos);
}

TEST(Scanner, TornTailIsL2WithOffset) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::vector<Rec> recs;
  for (uint64_t d = 1; d <= 20; d++)
    recs.push_back({MakeTitledbKey(d << 20, d, true), std::string(5000, 'a' + d)});
  Write(&fs, rdb, 1, recs, kGbPartSize);
  const std::string path = std::string(kDir) + "/titledb0001-000.dat";
  auto size = fs.Stat(path)->size;
  ASSERT_OK(fs.Truncate(path, size - 100));
  auto df = Open(&fs, rdb, 1, kGbPartSize);
  ASSERT_OK(df);
  RecordScanner s(df->big.get(), rdb, {});
  int n = 0;
  for (s.SeekToStart(); s.Valid(); s.Next()) n++;
  EXPECT_EQ(n, 19);
  EXPECT_EQ(s.status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(s.failed_rule(), "L2");
  EXPECT_NE(s.status().message().find("offset " + std::to_string(s.consumed())), std::string::npos);
  EXPECT_NE(s.status().message().find("titledb0001-000.dat"), std::string::npos);
}

TEST(Scanner, RecordLargerThanBufferGrowsIt) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::vector<Rec> recs = {{MakeTitledbKey(5, 1, true), std::string(300000, 'x')},
                           {MakeTitledbKey(6, 1, true), "small"}};
  Write(&fs, rdb, 1, recs, kGbPartSize);
  auto df = Open(&fs, rdb, 1, kGbPartSize);
  RecordScanner::Options o;
  o.buffer_size = 4096;
  RecordScanner s(df->big.get(), rdb, o);
  s.SeekToStart();
  ASSERT_TRUE(s.Valid());
  EXPECT_EQ(s.record().data_size, 300000u);
  s.Next();
  ASSERT_TRUE(s.Valid());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(s.record().data), s.record().data_size),
            "small");
  s.Next();
  EXPECT_FALSE(s.Valid());
  EXPECT_OK(s.status());
}

TEST(Scanner, TransientReadErrorsAreRetriedPersistentOnesLocated) {
  MemFileSystem mem;
  FaultFileSystem fs(&mem);
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  auto recs = ClusterdbRecords(20000, 7);
  Write(&mem, rdb, 1, recs, kClusterPart);
  {
    fs.AddRule(FaultRule::Fail(FsOp::kRead, EIO).OnPath(".dat").Times(2));
    auto df = Open(&fs, rdb, 1, kClusterPart);
    const int64_t t0 = mem.NowMicros();
    RecordScanner s(df->big.get(), rdb, {});
    size_t n = 0;
    for (s.SeekToStart(); s.Valid(); s.Next()) n++;
    EXPECT_OK(s.status());
    EXPECT_EQ(n, recs.size());
    EXPECT_EQ(mem.NowMicros() - t0, 10000 + 400000);  // backoff: 10 ms, then 200 ms x 2
  }
  fs.ClearRules();
  {
    fs.AddRule(FaultRule::Fail(FsOp::kRead, EIO).Always());
    auto df = Open(&fs, rdb, 1, kClusterPart);
    RecordScanner s(df->big.get(), rdb, {});
    s.SeekToStart();
    EXPECT_FALSE(s.Valid());
    EXPECT_EQ(s.status().code(), ErrorCode::kIOError);
    EXPECT_NE(s.status().message().find("clusterdb0001.dat"), std::string::npos)
        << s.status().ToString();
  }
}

TEST(DataFile, MissingMapIsD6ButFileStillReadable) {
  MemFileSystem fs;
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  auto recs = ClusterdbRecords(1000, 8);
  Write(&fs, rdb, 1, recs, kClusterPart);
  ASSERT_OK(fs.RemoveFile(std::string(kDir) + "/clusterdb0001.map"));
  std::vector<Finding> findings;
  auto df = Open(&fs, rdb, 1, kClusterPart, &findings);
  ASSERT_OK(df);
  EXPECT_FALSE(df->map.has_value());
  EXPECT_EQ(df->map_status.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(std::any_of(findings.begin(), findings.end(),
                          [](const Finding& f) { return f.rule == "D6"; }));
  RecordScanner s(df->big.get(), rdb, {});
  size_t n = 0;
  for (s.SeekToStart(); s.Valid(); s.Next()) n++;
  EXPECT_EQ(n, recs.size());
}

TEST(DataFile, ResolvesMapAndPartPaths) {
  MemFileSystem fs;
  Write(&fs, GetRdb(RdbId::kClusterdb), 3, ClusterdbRecords(700000, 9), kClusterPart);
  auto a = ResolveDataFilePath(&fs, std::string(kDir) + "/clusterdb0003.map");
  ASSERT_OK(a);
  EXPECT_EQ(a->second, "clusterdb0003.dat");
  auto b = ResolveDataFilePath(&fs, std::string(kDir) + "/clusterdb0003.dat.part1");
  ASSERT_OK(b);
  EXPECT_EQ(b->second, "clusterdb0003.dat");
  EXPECT_EQ(ResolveDataFilePath(&fs, std::string(kDir) + "/notes.txt").status().code(),
            ErrorCode::kUsageError);
}

}  // namespace
}  // namespace shardtool
