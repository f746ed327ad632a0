// The merge job's semantics (doc/format.md §8) on an in-memory host: Gigablast list-merge scenarios
// through real files, every compression form, byte-exactness against Gigablast's own files, input
// selection (--files, --all, --auto), refusals, --dry-run, and the guards (lock, Gigablast).
// Every result is checked independently: the output is decoded with the format layer and compared
// with a brute-force merge of the inputs, and verify finds nothing in it.
#include "jobs/merge/merge_job.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "acquire/router.h"
#include "base/crc32c.h"
#include "catalog/catalog_admin.h"
#include "catalog/state_paths.h"
#include "format/crc_sidecar.h"
#include "format/file_name.h"
#include "format/key_fields.h"
#include "testing/golden_files.h"
#include "testing/merge_cluster.h"
#include "testing/paths.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::MergeCluster;
using testing::ReferenceMerge;
using testing::TestRecord;

TestRecord T(uint64_t docid, bool positive, const std::string& tag = "") {
  return {MakeTitledbKey(docid, docid * 7, positive), positive ? "v" + tag : ""};
}

using testing::ExpectRecords;

std::vector<TestRecord> Random(const RdbInfo& rdb, size_t n, uint64_t seed) {
  testing::RandomListOptions ro;
  ro.num_hi = 6;  // few tops: the files overlap in key space and share keys
  ro.num_mid = 3;
  ro.max_data_size = 100;
  ro.negative_fraction = 0.25;
  return testing::RandomRecords(rdb, n, seed, ro);
}

// Makes later files repeat some keys of earlier ones (other data, sometimes the other twin), so
// that newest-wins and annihilation both happen.
void Overlap(const RdbInfo& rdb, std::vector<std::vector<TestRecord>>* lists) {
  for (size_t i = 1; i < lists->size(); i++) {
    for (size_t j = 0; j < (*lists)[i - 1].size(); j += 4) {
      TestRecord r = (*lists)[i - 1][j];
      if (j % 8 == 0) r.key = r.key.negative() ? r.key.Positive() : r.key.Negative();
      r.data = r.key.negative() || rdb.fixed_data_size == 0 ? "" : "new" + std::to_string(i);
      (*lists)[i].push_back(r);
    }
    auto& l = (*lists)[i];
    std::sort(l.begin(), l.end(),
              [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
    l.erase(std::unique(l.begin(), l.end(),
                        [&](const TestRecord& a, const TestRecord& b) {
                          return CompareKeysNegEq(a.key.data(), b.key.data(), rdb.key_size) == 0;
                        }),
            l.end());
  }
}

class MergeJob : public ::testing::Test {
 protected:
  // Files ids 1, 3, 5, ... of `rdb` from `lists`, then init.
  void Write(const RdbInfo& rdb, const std::vector<std::vector<TestRecord>>& lists) {
    for (size_t i = 0; i < lists.size(); i++) {
      ASSERT_OK(c_.WriteInput(rdb, static_cast<int32_t>(2 * i + 1), lists[i]));
    }
  }
  void Init() { ASSERT_OK(c_.Init()); }
  MergeCluster c_;
};

TEST_F(MergeJob, AllMergesEveryFileAndDropsNegatives) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  std::vector<std::vector<TestRecord>> lists;
  for (int i = 0; i < 4; i++) lists.push_back(Random(rdb, 3000, 10 + static_cast<uint64_t>(i)));
  Overlap(rdb, &lists);
  Write(rdb, lists);
  Init();
  auto r = c_.Merge(c_.Request("posdb", MergeSelection::kAll));
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_EQ(r->output, "coll.main.0/posdb0001.dat");
  EXPECT_EQ(r->target, "coll.main.0/posdb0000.004.dat");
  EXPECT_TRUE(r->drop_negatives);
  EXPECT_FALSE(r->resumed);
  testing::ReferenceOptions ro;
  ro.drop_negatives = true;
  auto want = ReferenceMerge(rdb, lists, ro);
  auto got = c_.ReadFile(rdb, "posdb0001.dat");
  ASSERT_OK(got);
  ExpectRecords(*got, want);
  EXPECT_EQ(*c_.VerifyErrors(rdb, "posdb0001.dat"), 0);
  // Only the merged file, its map and sidecar are left; no journal, no retired list.
  EXPECT_EQ(c_.Listing(),
            (std::vector<std::string>{"posdb0001.crc", "posdb0001.dat", "posdb0001.map"}));
  EXPECT_FALSE(c_.mem().Exists(c_.workdir + "/shardtool/journal/merge." +
                               c_.LoadCatalog()->FindCollection("main.posdb")->uuid + ".json"));
  size_t in = 0;
  for (auto& l : lists) in += l.size();
  const MergeCounters& k = r->counters;
  EXPECT_EQ(k.records_in, static_cast<int64_t>(in));
  EXPECT_EQ(k.records_out, static_cast<int64_t>(want.size()));
  EXPECT_EQ(k.records_in, k.records_out + k.annihilated + k.negatives_dropped);
  EXPECT_GT(k.annihilated, 0);
  EXPECT_GT(k.negatives_dropped, 0);
  EXPECT_EQ(r->records_in_total, static_cast<int64_t>(in));
  EXPECT_EQ(k.bytes_in, r->bytes_in_total);
}

TEST_F(MergeJob, FilesWithoutTheOldestKeepNegatives) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::vector<std::vector<TestRecord>> lists;
  for (int i = 0; i < 4; i++) lists.push_back(Random(rdb, 500, 20 + static_cast<uint64_t>(i)));
  Overlap(rdb, &lists);
  Write(rdb, lists);
  Init();
  auto r = c_.Merge(c_.Request("titledb", MergeSelection::kFiles, {3, 5}));
  ASSERT_OK(r);
  EXPECT_FALSE(r->drop_negatives);
  EXPECT_EQ(r->output, "coll.main.0/titledb0003-000.dat");
  EXPECT_EQ(r->target, "coll.main.0/titledb0002-000.002.dat");
  auto want = ReferenceMerge(rdb, {lists[1], lists[2]});
  ExpectRecords(*c_.ReadFile(rdb, "titledb0003-000.dat"), want);
  EXPECT_EQ(*c_.VerifyErrors(rdb, "titledb0003-000.dat"), 0);
  // Files 1 and 7 are untouched.
  ExpectRecords(*c_.ReadFile(rdb, "titledb0001-000.dat"), lists[0]);
  ExpectRecords(*c_.ReadFile(rdb, "titledb0007-000.dat"), lists[3]);
  EXPECT_FALSE(c_.mem().Exists(c_.dir + "/titledb0005-000.dat"));
  EXPECT_FALSE(c_.mem().Exists(c_.dir + "/titledb0005.map"));
  EXPECT_TRUE(c_.mem().Exists(c_.dir + "/titledb0003.map"));
  EXPECT_TRUE(c_.mem().Exists(c_.dir + "/titledb0003.crc"));
}

// The PC fork's RdbList merge scenarios, through files and the job.
TEST_F(MergeJob, ListScenarios) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  struct Case {
    const char* name;
    std::vector<std::vector<TestRecord>> lists;
    bool all;  // merge includes the oldest file (negatives dropped)
  };
  const Key kmax = Key::Max(12);
  std::vector<TestRecord> superset;
  for (uint64_t d = 1; d < 40; d++) superset.push_back(T(d, false));
  std::vector<TestRecord> some;
  for (uint64_t d = 5; d < 30; d += 3) some.push_back(T(d, true, "s"));
  const Case cases[] = {
      {"empty lists", {{}, {}, {}}, true},
      {"one empty", {{T(2, true, "a"), T(4, false)}, {}}, false},
      {"negatives in the oldest",
       {{T(1, false), T(3, false)}, {T(2, true, "b"), T(3, true, "c")}},
       false},
      {"negatives in the newest",
       {{T(1, true, "a"), T(2, true, "b")}, {T(2, false), T(9, false)}},
       false},
      {"superset negatives", {some, superset}, false},
      {"superset negatives, oldest included", {some, superset}, true},
      {"end-key negative", {{T(1, true, "a"), {kmax, "z"}}, {{kmax.Negative(), ""}}}, false},
      {"equal keys dedupe newest",
       {{T(7, true, "old")}, {T(7, true, "mid")}, {T(7, true, "new")}},
       true},
  };
  for (const Case& cs : cases) {
    SCOPED_TRACE(cs.name);
    MergeCluster c;
    // With all = false an older file 1 stays out of the merge.
    int32_t id = 1;
    if (!cs.all) {
      ASSERT_OK(c.WriteInput(rdb, 1, {T(100, true, "x")}));
      id = 3;
    }
    std::vector<int32_t> ids;
    for (const auto& l : cs.lists) {
      ASSERT_OK(c.WriteInput(rdb, id, l));
      ids.push_back(id);
      id += 2;
    }
    ASSERT_OK(c.Init());
    auto r = c.Merge(c.Request("titledb", MergeSelection::kFiles, ids));
    ASSERT_OK(r);
    testing::ReferenceOptions ro;
    ro.drop_negatives = cs.all;
    const std::string out = DataName("titledb", ids.front(), true);
    ExpectRecords(*c.ReadFile(rdb, out), ReferenceMerge(rdb, cs.lists, ro));
    EXPECT_EQ(*c.VerifyErrors(rdb, out), 0);
  }
}

class MergeEveryRdb : public ::testing::TestWithParam<RdbId> {};

TEST_P(MergeEveryRdb, EveryCompressionFormMatchesBruteForce) {
  const RdbInfo& rdb = GetRdb(GetParam());
  MergeCluster c;
  std::vector<std::vector<TestRecord>> lists;
  for (int i = 0; i < 3; i++) lists.push_back(Random(rdb, 1500, 40 + static_cast<uint64_t>(i)));
  Overlap(rdb, &lists);
  for (size_t i = 0; i < lists.size(); i++) {
    ASSERT_OK(c.WriteInput(rdb, static_cast<int32_t>(2 * i + 1), lists[i]));
  }
  ASSERT_OK(c.Init());
  auto r = c.Merge(c.Request(std::string(rdb.name), MergeSelection::kFiles, {3, 5}));
  ASSERT_OK(r);
  const std::string out = DataName(rdb.name, 3, rdb.titledb_naming);
  ExpectRecords(*c.ReadFile(rdb, out), ReferenceMerge(rdb, {lists[1], lists[2]}));
  EXPECT_EQ(*c.VerifyErrors(rdb, out), 0);
  // The map rebuilds byte for byte from the data, and the sidecar likewise.
  std::string data = c.mem().ReadAll(c.dir + "/" + out);
  PageMap map(rdb.key_size, rdb.page_size);
  RecordDecoder dec(rdb);
  dec.Reset();
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t off = 0; off < data.size();) {
    Record rec;
    ASSERT_EQ(dec.Decode(p + off, p + data.size(), &rec), DecodeStatus::kOk);
    ASSERT_EQ(rec.key_bytes, CanonicalKeyBytes(rdb, off == 0 ? nullptr : map.last_key(), rec.key));
    map.AddRecord(off, rec.size, rec.key, rec.negative);
    off += rec.size;
  }
  EXPECT_EQ(c.mem().ReadAll(c.dir + "/" + MapName(rdb.name, 3)), map.Serialize());
  CrcSidecarBuilder crc(rdb.page_size);
  crc.Add(data);
  EXPECT_EQ(c.mem().ReadAll(c.dir + "/" + CrcName(rdb.name, 3)), crc.Finish().Serialize());
}

INSTANTIATE_TEST_SUITE_P(Rdbs, MergeEveryRdb,
                         ::testing::Values(RdbId::kPosdb, RdbId::kIndexdb, RdbId::kClusterdb,
                                           RdbId::kTitledb, RdbId::kLinkdb, RdbId::kTagdb,
                                           RdbId::kSpiderdb, RdbId::kDoledb),
                         [](const auto& info) { return std::string(GetRdb(info.param).name); });

// A file Gigablast wrote, merged with an empty newer file (negatives kept: an older file stays
// out), comes out byte for byte as Gigablast wrote it, and so does its map.
TEST(MergeGolden, GigablastFilesReencodeByteForByte) {
  struct G {
    RdbId rdb;
    const char* data;
    const char* map;
  };
  const G files[] = {{RdbId::kPosdb, "posdb0003.dat", "posdb0003.map"},
                     {RdbId::kTitledb, "titledb0003-000.dat", "titledb0003.map"},
                     {RdbId::kClusterdb, "clusterdb0001.dat", "clusterdb0001.map"},
                     {RdbId::kLinkdb, "linkdb0007.dat", "linkdb0007.map"},
                     {RdbId::kTagdb, "tagdb0001.dat", "tagdb0001.map"}};
  for (const G& g : files) {
    const RdbInfo& rdb = GetRdb(g.rdb);
    SCOPED_TRACE(rdb.name);
    std::string data, map;
    ASSERT_TRUE(testing::ReadGoldenFile(std::string("coll.main.0/") + g.data, &data));
    ASSERT_TRUE(testing::ReadGoldenFile(std::string("coll.main.0/") + g.map, &map));
    MergeCluster c;
    ASSERT_OK(c.WriteInput(rdb, 1, {}));
    c.mem().WriteAll(c.dir + "/" + DataName(rdb.name, 3, rdb.titledb_naming), data);
    c.mem().WriteAll(c.dir + "/" + MapName(rdb.name, 3), map);
    ASSERT_OK(c.WriteInput(rdb, 5, {}));
    ASSERT_OK(c.Init());
    auto r = c.Merge(c.Request(std::string(rdb.name), MergeSelection::kFiles, {3, 5}));
    ASSERT_OK(r);
    const std::string out = DataName(rdb.name, 3, rdb.titledb_naming);
    EXPECT_EQ(c.mem().ReadAll(c.dir + "/" + out), data);
    EXPECT_EQ(c.mem().ReadAll(c.dir + "/" + MapName(rdb.name, 3)), map);
    EXPECT_EQ(*c.VerifyErrors(rdb, out), 0);
  }
}

TEST_F(MergeJob, AutoTakesGigablastsWindow) {
  const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
  // Seven files: a big old one, then small ones; min files 6 -> n = 3; the smallest window of 3
  // whose predecessor is at least a quarter of it.
  const size_t sizes[] = {5000, 900, 300, 200, 100, 100, 2000};
  for (size_t i = 0; i < 7; i++) {
    ASSERT_OK(c_.WriteInput(rdb, static_cast<int32_t>(2 * i + 1),
                            testing::ClusterdbRecords(sizes[i], 60 + i)));
  }
  Init();
  auto req = c_.Request("clusterdb", MergeSelection::kAuto);
  req.min_files = 6;
  auto r = c_.Merge(req);
  ASSERT_OK(r);
  // Windows: [1,3,5] 6200, [3,5,7] 1400 (pred 5000 ok), [5,7,9] 600 (pred 900 ok), [7,9,11] 400
  // (pred 300 ok), [9,11,13] 2200. The smallest is 7,9,11.
  EXPECT_EQ(r->inputs, (std::vector<std::string>{"coll.main.0/clusterdb0007.dat",
                                                 "coll.main.0/clusterdb0009.dat",
                                                 "coll.main.0/clusterdb0011.dat"}));
  EXPECT_FALSE(r->drop_negatives);
  // Five files now: below min files 6, nothing to do.
  auto again = c_.Merge(req);
  ASSERT_OK(again);
  EXPECT_TRUE(again->nothing_to_do);
  EXPECT_NE(again->note.find("nothing to merge"), std::string::npos);
}

TEST_F(MergeJob, BadSelectionsAreRefused) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  for (int id : {1, 3, 5}) ASSERT_OK(c_.WriteInput(rdb, id, {T(id, true)}));
  Init();
  EXPECT_EQ(c_.Merge(c_.Request("titledb", MergeSelection::kFiles, {1, 5})).status().code(),
            ErrorCode::kUsageError);  // 3 lies between
  EXPECT_EQ(c_.Merge(c_.Request("titledb", MergeSelection::kFiles, {3})).status().code(),
            ErrorCode::kUsageError);
  EXPECT_EQ(c_.Merge(c_.Request("titledb", MergeSelection::kFiles, {5, 7})).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(c_.Merge(c_.Request("nosuch", MergeSelection::kAll)).status().code(),
            ErrorCode::kNamespaceNotFound);
  auto bad = c_.Request("titledb", MergeSelection::kAll);
  bad.database = "other";
  EXPECT_EQ(c_.Merge(bad).status().code(), ErrorCode::kNamespaceNotFound);
  bad.database = "ma in";
  EXPECT_EQ(c_.Merge(bad).status().code(), ErrorCode::kInvalidNamespace);
  CreateViewRequest v;
  v.ns = "main.recent";
  v.view_on = "main.titledb";
  v.key_min = "000000000000000000000000";
  v.key_max = "7fffffffffffffffffffffff";
  AdminOptions admin;
  admin.uuids = CountingUuidGenerator(3);
  ASSERT_OK(RunCreateView(&c_.mem(), c_.workdir, v, admin));
  EXPECT_EQ(c_.Merge(c_.Request("recent", MergeSelection::kAll)).status().code(),
            ErrorCode::kCommandNotSupportedOnView);
  // Nothing changed.
  for (int id : {1, 3, 5})
    ExpectRecords(*c_.ReadFile(rdb, DataName("titledb", id, true)), {T(id, true)});
}

std::map<std::string, uint32_t> Snapshot(MemFileSystem& fs) {
  std::map<std::string, uint32_t> out;
  for (const std::string& p : fs.ListRecursive()) {
    // Lock files are created on demand by any locked job; they hold no data.
    if (p.back() != '/' && p.find("/shardtool/locks/") == std::string::npos) {
      out[p] = Crc32c(fs.ReadAll(p));
    }
  }
  return out;
}

TEST_F(MergeJob, DryRunGivesTheRealNumbersAndWritesNothing) {
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  std::vector<std::vector<TestRecord>> lists;
  for (int i = 0; i < 3; i++) lists.push_back(Random(rdb, 2000, 70 + static_cast<uint64_t>(i)));
  Overlap(rdb, &lists);
  Write(rdb, lists);
  Init();
  const auto before = Snapshot(c_.mem());
  auto req = c_.Request("posdb", MergeSelection::kAll);
  req.dry_run = true;
  auto dry = c_.Merge(req);
  ASSERT_OK(dry);
  EXPECT_TRUE(dry->dry_run);
  EXPECT_EQ(Snapshot(c_.mem()), before);
  req.dry_run = false;
  auto real = c_.Merge(req);
  ASSERT_OK(real);
  EXPECT_EQ(dry->counters, real->counters);
  EXPECT_EQ(dry->bytes_out, real->bytes_out);
  EXPECT_EQ(dry->bytes_out, c_.mem().ReadAll(c_.dir + "/posdb0001.dat").size());
  EXPECT_EQ(dry->peak_extra_disk, real->peak_extra_disk);
  EXPECT_GE(real->peak_extra_disk, real->bytes_out);
}

TEST_F(MergeJob, SecondMergeOfTheCollectionIsBusy) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  for (int id : {1, 3}) ASSERT_OK(c_.WriteInput(rdb, id, {T(id, true)}));
  Init();
  // Another process holds the collection exclusively (a running merge's write acquisition).
  LockManager other(&c_.mem());
  CatalogCache other_catalogs;
  ShardRoleOptions so;
  so.fs = &c_.mem();
  so.workdir = c_.workdir;
  so.locks = &other;
  so.catalogs = &other_catalogs;
  AcquisitionContext actx(so);
  CommandAcquireRequest ar;
  ar.namespaces = {"main.titledb"};
  ar.operation = OperationType::kWrite;
  auto held = AcquireForCommand(actx, ar);
  ASSERT_OK(held);
  auto r = c_.Merge(c_.Request("titledb", MergeSelection::kAll));
  EXPECT_EQ(r.status().code(), ErrorCode::kLockTimeout) << r.status().ToString();
  EXPECT_EQ(r.status().exit_status(), 4);
  held->clear();
  EXPECT_EQ(actx.state(), ContextState::kEmpty);
  EXPECT_OK(c_.Merge(c_.Request("titledb", MergeSelection::kAll)));
}

class FakeProcesses : public ProcessLister {
 public:
  Result<std::vector<ProcessEntry>> List() override { return procs; }
  std::vector<ProcessEntry> procs;
};

TEST_F(MergeJob, RunningGigablastIsBusyUnlessForced) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  for (int id : {1, 3}) ASSERT_OK(c_.WriteInput(rdb, id, {T(id, true)}));
  Init();
  FakeProcesses procs;
  procs.procs = {{10, "/usr/bin/bash", c_.workdir, {"bash"}},
                 {11, "/opt/gb/gb", "/elsewhere", {"./gb"}},
                 {12, "/opt/gb/gb", c_.workdir + "/", {"./gb", "-c", "hosts.conf"}}};
  auto detector = MakeGigablastDetector(&procs);
  c_.env.gigablast = detector.get();
  auto r = c_.Merge(c_.Request("titledb", MergeSelection::kAll));
  EXPECT_EQ(r.status().code(), ErrorCode::kBusy);
  EXPECT_NE(r.status().message().find("pid 12"), std::string::npos) << r.status().ToString();
  // A gb whose argument names the working dir is found too.
  procs.procs = {{13, "", "/", {"/opt/gb/gb", c_.workdir}}};
  EXPECT_EQ(c_.Merge(c_.Request("titledb", MergeSelection::kAll)).status().code(),
            ErrorCode::kBusy);
  auto forced = c_.Request("titledb", MergeSelection::kAll);
  forced.force = true;
  EXPECT_OK(c_.Merge(forced));
}

}  // namespace
}  // namespace shardtool
