// MergingIterator: Gigablast list-merge scenarios (the PC fork's RdbList merge tests: empty lists,
// negatives in the oldest and the newest list, superset negatives, negatives at the end key, equal
// keys), randomized comparisons with a brute-force merge for every key size and k up to 65, the
// order check, error propagation, and FileStream inputs read from real data files (parts,
// headless files, seeks through the map).
#include "iter/merging_iterator.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "format/key_fields.h"
#include "io/mem_file_system.h"
#include "iter/file_stream.h"
#include "iter/record_scanner.h"
#include "testing/merge_reference.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::ReferenceMerge;
using testing::TestRecord;
using testing::VectorStream;

// A titledb record of docId d: positive with data "v<tag>", or negative.
TestRecord T(uint64_t docid, bool positive, const std::string& tag = "") {
  return {MakeTitledbKey(docid, docid * 7, positive), positive ? "v" + tag : ""};
}

struct Out {
  std::string key;
  bool negative;
  std::string data;
  size_t source;
};

std::vector<Out> MergeLists(const std::vector<std::vector<TestRecord>>& lists,
                            uint64_t* shadowed = nullptr, Status* status = nullptr) {
  std::vector<std::unique_ptr<VectorStream>> streams;
  std::vector<RecordStream*> ptrs;
  for (const auto& l : lists) {
    streams.push_back(std::make_unique<VectorStream>(&l));
    ptrs.push_back(streams.back().get());
  }
  int ks = 12;  // (any size will do when every list is empty)
  for (const auto& l : lists) {
    if (!l.empty()) {
      ks = l[0].key.size();
      break;
    }
  }
  MergingIterator it(ptrs, ks);
  std::vector<Out> out;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    const Record& r = it.record();
    out.push_back({KeyHex(it.key(), ks), r.negative,
                   std::string(reinterpret_cast<const char*>(r.data), r.data ? r.data_size : 0),
                   it.source()});
  }
  if (shadowed) *shadowed = it.shadowed();
  if (status) *status = it.status();
  return out;
}

void ExpectSame(const std::vector<Out>& got, const std::vector<TestRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); i++) {
    EXPECT_EQ(got[i].key, want[i].key.ToHex()) << i;
    EXPECT_EQ(got[i].negative, want[i].negative()) << i;
    EXPECT_EQ(got[i].data, want[i].data) << i;
  }
}

TEST(MergingIterator, EmptyLists) {
  EXPECT_TRUE(MergeLists({}).empty());
  EXPECT_TRUE(MergeLists({{}}).empty());
  EXPECT_TRUE(MergeLists({{}, {}, {}}).empty());
  ExpectSame(MergeLists({{}, {T(5, true, "a")}, {}}), {T(5, true, "a")});
  ExpectSame(MergeLists({{T(1, true), T(2, false)}, {}}), {T(1, true), T(2, false)});
}

TEST(MergingIterator, NegativesInTheOldestListAreShadowedByNewerPositives) {
  // Oldest holds deletes of 1 and 3; the newest re-adds 3: the newest version of each key wins.
  uint64_t shadowed = 0;
  auto got =
      MergeLists({{T(1, false), T(3, false)}, {T(2, true, "b"), T(3, true, "c")}}, &shadowed);
  ExpectSame(got, {T(1, false), T(2, true, "b"), T(3, true, "c")});
  EXPECT_EQ(shadowed, 1u);
  EXPECT_EQ(got[2].source, 1u);
}

TEST(MergingIterator, NegativesInTheNewestListWin) {
  uint64_t shadowed = 0;
  auto got = MergeLists(
      {{T(1, true, "a"), T(2, true, "b"), T(3, true, "c")}, {T(2, false), T(4, false)}}, &shadowed);
  ExpectSame(got, {T(1, true, "a"), T(2, false), T(3, true, "c"), T(4, false)});
  EXPECT_EQ(shadowed, 1u);
}

TEST(MergingIterator, SupersetNegativesCancelEveryOlderVersion) {
  // The newest list deletes every key of the older ones and more.
  std::vector<TestRecord> old1, old2, neg;
  for (uint64_t d = 10; d < 20; d++) old1.push_back(T(d, true, "1"));
  for (uint64_t d = 15; d < 25; d++) old2.push_back(T(d, true, "2"));
  for (uint64_t d = 5; d < 30; d++) neg.push_back(T(d, false));
  uint64_t shadowed = 0;
  auto got = MergeLists({old1, old2, neg}, &shadowed);
  ExpectSame(got, neg);
  EXPECT_EQ(shadowed, old1.size() + old2.size());
}

TEST(MergingIterator, NegativeAtTheEndKeyAndKeymax) {
  // The last key of the merge is a negative; and the largest possible key.
  Key kmax = Key::Max(12);
  Key kmax_neg = kmax.Negative();
  std::vector<TestRecord> a = {T(1, true, "a"), {kmax, "z"}};
  std::vector<TestRecord> b = {T(1, false), {kmax_neg, ""}};
  auto got = MergeLists({a, b});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].negative);
  EXPECT_TRUE(got[1].negative);
  EXPECT_EQ(got[1].key, kmax_neg.ToHex());
  // Reversed age: the positive KEYMAX survives.
  got = MergeLists({b, a});
  EXPECT_FALSE(got[1].negative);
  EXPECT_EQ(got[1].data, "z");
}

TEST(MergingIterator, EqualKeysDedupeToTheNewestVersion) {
  // Three lists with the same positive key and different data: the newest data survives.
  auto got = MergeLists({{T(7, true, "old")}, {T(7, true, "mid")}, {T(7, true, "new")}});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "vnew");
  EXPECT_EQ(got[0].source, 2u);
}

TEST(MergingIterator, RepeatsWithinOneInputKeepTheFirst) {
  // L5/L6 inside one file: the first version in file order is that input's.
  uint64_t shadowed = 0;
  auto got =
      MergeLists({{T(3, false), T(3, true, "x"), T(4, true, "a"), T(4, true, "b")}}, &shadowed);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].negative);
  EXPECT_EQ(got[1].data, "va");
  EXPECT_EQ(shadowed, 2u);
}

TEST(MergingIterator, PosdbCompressionBitsAreIgnoredByCmpNegEq) {
  // Keys that differ only in bits 1..2 of byte 0 are one key for posdb.
  Key a(18), b(18);
  for (int i = 0; i < 18; i++) a.data()[i] = b.data()[i] = static_cast<uint8_t>(i * 13 + 1);
  a.data()[0] = 0xa1;  // positive
  b.data()[0] = 0xa0;  // negative twin
  auto got = MergeLists({{{a, ""}}, {{b, ""}}});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].negative);
}

TEST(MergingIterator, OutOfOrderInputStopsWithCorruption) {
  Status st;
  auto got = MergeLists({{T(5, true), T(2, true)}, {T(3, true)}}, nullptr, &st);
  EXPECT_EQ(st.code(), ErrorCode::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("L4"), std::string::npos);
  ASSERT_EQ(got.size(), 2u);  // 3, 5; then 2 < 5 is caught
}

TEST(MergingIterator, StreamErrorIsSticky) {
  std::vector<TestRecord> a = {T(1, true), T(3, true), T(5, true)};
  std::vector<TestRecord> b = {T(2, true), T(4, true)};
  VectorStream sa(&a), sb(&b);
  sa.FailAt(2, IOErrorStatus("read failed"));
  MergingIterator it({&sa, &sb}, 12);
  int n = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) n++;
  EXPECT_EQ(it.status().code(), ErrorCode::kIOError);
  EXPECT_LT(n, 5);
}

TEST(MergingIterator, SeekPositionsEveryInput) {
  std::vector<TestRecord> a = {T(1, true, "a"), T(4, true, "a"), T(9, true, "a")};
  std::vector<TestRecord> b = {T(2, true, "b"), T(4, false), T(6, true, "b")};
  VectorStream sa(&a), sb(&b);
  MergingIterator it({&sa, &sb}, 12);
  Key target = T(4, false).key;
  it.Seek(target.data());
  ASSERT_TRUE(it.Valid());
  EXPECT_TRUE(it.record().negative);  // 4: the newer negative
  it.Next();
  EXPECT_EQ(KeyHex(it.key(), 12), T(6, true).key.ToHex());
}

// Random lists of every key size (and so every compare width) against the brute force, k from 1
// to 65 (a loser tree of 128 leaves).
TEST(MergingIterator, RandomListsMatchBruteForce) {
  std::mt19937_64 rng(42);
  const RdbId rdbs[] = {RdbId::kTitledb, RdbId::kPosdb, RdbId::kTagdb, RdbId::kLinkdb,
                        RdbId::kClusterdb};
  for (RdbId id : rdbs) {
    const RdbInfo& rdb = GetRdb(id);
    for (int k : {1, 2, 3, 4, 7, 8, 17, 50, 65}) {
      std::vector<std::vector<TestRecord>> lists;
      testing::RandomListOptions ro;
      ro.num_hi = 3;  // few distinct tops: many keys shared between lists
      ro.num_mid = 2;
      ro.negative_fraction = 0.3;
      for (int i = 0; i < k; i++) {
        // (Two statements: the order in which arguments are evaluated differs between compilers.)
        const size_t n = rng() % 60;
        lists.push_back(testing::RandomRecords(rdb, n, rng(), ro));
      }
      // Share keys across lists: copy some of list 0's keys (with other data) into others.
      for (int i = 1; i < k && !lists[0].empty(); i++) {
        for (size_t j = 0; j < lists[0].size(); j += 3) {
          TestRecord r = lists[0][j];
          if (rng() % 2) r.key = r.key.negative() ? r.key.Positive() : r.key.Negative();
          r.data = r.key.negative() || rdb.fixed_data_size == 0 ? "" : "L" + std::to_string(i);
          lists[static_cast<size_t>(i)].push_back(r);
        }
        auto& l = lists[static_cast<size_t>(i)];
        std::stable_sort(l.begin(), l.end(),
                         [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
      }
      uint64_t shadowed = 0;
      Status st;
      auto got = MergeLists(lists, &shadowed, &st);
      ASSERT_OK(st);
      auto want = ReferenceMerge(rdb, lists);
      ExpectSame(got, want);
      size_t total = 0;
      for (auto& l : lists) total += l.size();
      EXPECT_EQ(got.size() + shadowed, total) << rdb.name << " k=" << k;
    }
  }
}

// FileStream over real data files: every compression form, several parts, seeks through the map.
class FileStreamTest : public ::testing::TestWithParam<RdbId> {};

TEST_P(FileStreamTest, MergeOfFilesMatchesBruteForce) {
  const RdbInfo& rdb = GetRdb(GetParam());
  MemFileSystem fs;
  const std::string dir = "/w/coll.main.0";
  std::vector<std::vector<TestRecord>> lists;
  testing::RandomListOptions ro;
  ro.num_hi = 40;
  ro.max_data_size = 300;
  std::vector<DataFile> files;
  ASSERT_OK(fs.CreateDirs(dir));
  for (int i = 0; i < 4; i++) {
    lists.push_back(testing::RandomRecords(rdb, 3000, 100 + static_cast<uint64_t>(i), ro));
    DataFileWriter::Options o;
    o.part_size = 2048ULL * rdb.page_size;  // the smallest legal part size: several parts
    const int id = 2 * i + 1;
    DataFileWriter w(&fs, dir, DataName(rdb.name, id, rdb.titledb_naming), MapName(rdb.name, id),
                     CrcName(rdb.name, id), rdb, o);
    ASSERT_OK(w.Open());
    for (const auto& r : lists.back()) {
      ASSERT_OK(w.Add(r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                      static_cast<uint32_t>(r.data.size())));
    }
    ASSERT_OK(w.Finish());
  }
  for (int i = 0; i < 4; i++) {
    OpenDataFileOptions oo;
    oo.default_part_size = 2048ULL * rdb.page_size;
    auto df = OpenDataFile(&fs, dir, DataName(rdb.name, 2 * i + 1, rdb.titledb_naming), nullptr, oo,
                           nullptr);
    ASSERT_OK(df);
    files.push_back(std::move(df).value());
  }
  std::vector<std::unique_ptr<FileStream>> streams;
  std::vector<RecordStream*> ptrs;
  for (auto& f : files) {
    streams.push_back(std::make_unique<FileStream>(&f, 4096));
    ptrs.push_back(streams.back().get());
  }
  auto want = ReferenceMerge(rdb, lists);
  MergingIterator it(ptrs, rdb.key_size);
  size_t n = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next(), n++) {
    ASSERT_LT(n, want.size());
    ASSERT_EQ(KeyHex(it.key(), rdb.key_size), want[n].key.ToHex()) << n;
    ASSERT_EQ(std::string(reinterpret_cast<const char*>(it.record().data),
                          it.record().data ? it.record().data_size : 0),
              want[n].data);
  }
  ASSERT_OK(it.status());
  EXPECT_EQ(n, want.size());

  // Seek to the middle key: the rest of the merge.
  const Key mid = want[want.size() / 2].key;
  it.Seek(mid.data());
  size_t m = want.size() / 2;
  // A seek at a key lands on its first version; the twin that sorts below does not count.
  while (m > 0 && CompareKeysNegEq(want[m - 1].key.data(), mid.data(), rdb.key_size) == 0) m--;
  for (; it.Valid(); it.Next()) {
    if (CompareKeys(want[m].key.data(), mid.data(), rdb.key_size) < 0) m++;
    ASSERT_LT(m, want.size());
    ASSERT_EQ(KeyHex(it.key(), rdb.key_size), want[m].key.ToHex());
    m++;
  }
  ASSERT_OK(it.status());
  EXPECT_EQ(m, want.size());
}

INSTANTIATE_TEST_SUITE_P(Rdbs, FileStreamTest,
                         ::testing::Values(RdbId::kPosdb, RdbId::kClusterdb, RdbId::kTitledb,
                                           RdbId::kIndexdb, RdbId::kLinkdb),
                         [](const auto& info) { return std::string(GetRdb(info.param).name); });

// The merge job's stream compiled for the Rdb's layout (FileStreamT<KS, C, D>, records decoded
// ahead in batches) gives exactly what a RecordScanner gives: keys, data, offsets, also through
// refills of a buffer smaller than some records, after a seek, and a torn end as a clean error.
class TypedFileStreamTest : public ::testing::TestWithParam<RdbId> {};

TEST_P(TypedFileStreamTest, MatchesTheScannerThroughRefillsSeeksAndATornEnd) {
  const RdbInfo& rdb = GetRdb(GetParam());
  MemFileSystem fs;
  const std::string dir = "/w/coll.main.0";
  ASSERT_OK(fs.CreateDirs(dir));
  testing::RandomListOptions ro;
  ro.num_hi = 30;
  ro.max_data_size = 9000;  // larger than the 4 KiB buffer: it must grow
  auto recs = testing::RandomRecords(rdb, 5000, 11, ro);
  const std::string name = DataName(rdb.name, 1, rdb.titledb_naming);
  DataFileWriter::Options o;
  o.part_size = 2048ULL * rdb.page_size;
  DataFileWriter w(&fs, dir, name, MapName(rdb.name, 1), CrcName(rdb.name, 1), rdb, o);
  ASSERT_OK(w.Open());
  for (const auto& r : recs) {
    ASSERT_OK(w.Add(r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                    static_cast<uint32_t>(r.data.size())));
  }
  ASSERT_OK(w.Finish());
  OpenDataFileOptions oo;
  oo.default_part_size = o.part_size;
  auto df = OpenDataFile(&fs, dir, name, nullptr, oo, nullptr);
  ASSERT_OK(df);
  std::vector<uint64_t> offsets;
  {
    RecordScanner sc(df->big.get(), rdb, {});
    for (sc.SeekToStart(); sc.Valid(); sc.Next()) offsets.push_back(sc.consumed());
    ASSERT_OK(sc.status());
  }
  ASSERT_EQ(offsets.size(), recs.size());
  VisitRdbLayout(rdb, [&](auto ks, auto, auto comp, auto form) {
    FileStreamT<decltype(ks)::value, decltype(comp)::value, decltype(form)::value> s(&*df, 4096);
    auto check_from = [&](size_t i) {
      for (; s.Valid(); s.Next(), i++) {
        ASSERT_LT(i, recs.size());
        ASSERT_EQ(KeyHex(s.record().key, rdb.key_size), recs[i].key.ToHex()) << i;
        ASSERT_EQ(s.record().negative, recs[i].negative());
        ASSERT_EQ(std::string(reinterpret_cast<const char*>(s.record().data),
                              s.record().data ? s.record().data_size : 0),
                  recs[i].data)
            << i;
        ASSERT_EQ(s.offset(), offsets[i]) << i;
      }
      ASSERT_OK(s.status());
      EXPECT_EQ(i, recs.size());
      EXPECT_EQ(s.offset(), df->big->logical_size());
    };
    s.SeekToFirst();
    check_from(0);
    for (size_t at : {size_t{1}, recs.size() / 3, recs.size() - 1}) {
      s.Seek(recs[at].key.data());
      check_from(at);
    }
  });
  // A torn last record: every whole record, then a corruption naming the file and offset.
  const std::string path = dir + "/" + PartName(name, df->big->last_part());
  const uint64_t part_bytes =
      df->big->logical_size() - static_cast<uint64_t>(df->big->last_part()) * o.part_size;
  ASSERT_OK(fs.Truncate(path, part_bytes - 1));
  auto torn = OpenDataFile(&fs, dir, name, nullptr, oo, nullptr);
  ASSERT_OK(torn);
  VisitRdbLayout(rdb, [&](auto ks, auto, auto comp, auto form) {
    FileStreamT<decltype(ks)::value, decltype(comp)::value, decltype(form)::value> s(&*torn, 4096);
    size_t n = 0;
    for (s.SeekToFirst(); s.Valid(); s.Next()) n++;
    EXPECT_EQ(n, recs.size() - 1);
    EXPECT_EQ(s.status().code(), ErrorCode::kCorruption);
    EXPECT_NE(s.status().ToString().find(name + ": offset " + std::to_string(offsets.back())),
              std::string::npos)
        << s.status().ToString();
  });
}

INSTANTIATE_TEST_SUITE_P(Rdbs, TypedFileStreamTest,
                         ::testing::Values(RdbId::kPosdb, RdbId::kClusterdb, RdbId::kTitledb,
                                           RdbId::kIndexdb, RdbId::kLinkdb, RdbId::kTagdb),
                         [](const auto& info) { return std::string(GetRdb(info.param).name); });

TEST(FileStream, HeadlessFileSeekRefusesRemovedRecords) {
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  MemFileSystem fs;
  const std::string dir = "/w/coll.main.0";
  testing::RandomListOptions ro;
  ro.num_hi = 100;
  auto recs = testing::RandomRecords(rdb, 600000, 7, ro);
  ASSERT_OK(fs.CreateDirs(dir));
  DataFileWriter::Options o;
  o.part_size = 2048ULL * rdb.page_size;  // 2 MiB parts
  DataFileWriter w(&fs, dir, "clusterdb0001.dat", "clusterdb0001.map", "clusterdb0001.crc", rdb, o);
  ASSERT_OK(w.Open());
  for (const auto& r : recs) ASSERT_OK(w.Add(r.key.data(), nullptr, 0));
  ASSERT_OK(w.Finish());
  ASSERT_TRUE(fs.Exists(dir + "/clusterdb0001.dat.part1"));
  ASSERT_OK(fs.RemoveFile(dir + "/clusterdb0001.dat"));  // part 0 consumed by a merge
  OpenDataFileOptions oo;
  oo.default_part_size = o.part_size;
  auto df = OpenDataFile(&fs, dir, "clusterdb0001.dat", nullptr, oo, nullptr);
  ASSERT_OK(df);
  FileStream s(&*df, 65536);
  s.Seek(recs[10].key.data());  // lives in the removed part 0
  EXPECT_FALSE(s.Valid());
  EXPECT_EQ(s.status().code(), ErrorCode::kCorruption);
  s.Seek(recs.back().key.data());  // in the last part: fine
  ASSERT_TRUE(s.Valid()) << s.status().ToString();
  EXPECT_EQ(KeyHex(s.record().key, 12), recs.back().key.ToHex());
  s.SeekToFirst();  // the first record of the first present part
  ASSERT_TRUE(s.Valid());
  EXPECT_GE(s.offset(), df->big->first_offset());
}

}  // namespace
}  // namespace shardtool
