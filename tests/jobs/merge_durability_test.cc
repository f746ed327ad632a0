// The merge job under crashes, stops and faults: a simulated crash (MemFileSystem Freeze at a
// named test point, then SimulateCrash, which drops everything not synced) at every test point,
// followed by a rerun and an independent check of the result; SIGINT-style stops and
// --max-duration with reruns that end bit-identical to an uninterrupted merge; --rate; ENOSPC,
// EIO and failed fsyncs (clean errors, inputs intact); chopHead under --max-extra-disk (clusterdb
// with 1 KiB pages: 2 MiB parts); targets left by Gigablast; inputs pinned by leases.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "acquire/lease.h"
#include "acquire/local_snapshot.h"
#include "catalog/discovery.h"
#include "catalog/retired_files.h"
#include "catalog/state_paths.h"
#include "format/file_name.h"
#include "io/fault_file_system.h"
#include "io/test_point.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/merge/merge_job.h"
#include "testing/crash_at.h"
#include "testing/fault_sweep.h"
#include "testing/merge_cluster.h"
#include "testing/sanitizer.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using testing::MergeCluster;
using testing::TestRecord;

constexpr uint64_t kSmallPart = 2048ULL * 1024;  // clusterdb's smallest part size: 2 MiB

using testing::CrashAt;
using testing::ExpectRecords;

// Scenario A: four overlapping posdb files, all merged, orphans of moved slots to bundles.
struct ScenarioA {
  static constexpr int kFiles = 4;
  void Setup(MergeCluster& c) {
    const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
    testing::RandomListOptions ro;
    ro.num_hi = 400;
    ro.num_mid = 3;
    for (int i = 0; i < kFiles; i++) {
      auto recs = testing::RandomRecords(rdb, 2500, 300 + static_cast<uint64_t>(i), ro);
      if (i > 0) {  // repeat some keys of the previous file
        const auto& prev = c.written[DataName("posdb", 2 * i - 1, false)];
        for (size_t j = 0; j < prev.size(); j += 5) recs.push_back(prev[j]);
        std::sort(recs.begin(), recs.end(),
                  [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
        recs.erase(std::unique(recs.begin(), recs.end(),
                               [](const TestRecord& a, const TestRecord& b) {
                                 return CompareKeysNegEq(a.key.data(), b.key.data(), 18) == 0;
                               }),
                   recs.end());
      }
      ASSERT_OK(c.WriteInput(rdb, 2 * i + 1, recs));
    }
    ASSERT_OK(c.Init());
    // Shard 0 gives slots 0..2999 to shard 1, ready at once: their records leave.
    ASSERT_OK(c.MoveSlots(0, 2999, 1, 0));
  }
  MergeRequest Request(MergeCluster& c) {
    MergeRequest r = c.Request("posdb", MergeSelection::kAll);
    r.cleanup_orphans = true;
    r.orphans_to = "/bundles";
    return r;
  }
  // The expected output and bundle contents.
  void Check(MergeCluster& c) {
    const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
    testing::ReferenceOptions ro;
    ro.drop_negatives = true;
    ro.drop = [&](const Key& k) {
      const int slot = KeySlot(rdb, k.data());
      return slot < 3000 && slot % 2 == 0;
    };
    std::vector<TestRecord> dropped;
    auto want = testing::ReferenceMerge(rdb, c.Inputs(rdb, {1, 3, 5, 7}), ro, &dropped);
    auto got = c.ReadFile(rdb, "posdb0001.dat");
    ASSERT_OK(got);
    ExpectRecords(*got, want);
    EXPECT_EQ(*c.VerifyErrors(rdb, "posdb0001.dat"), 0);
    EXPECT_EQ(c.Listing(),
              (std::vector<std::string>{"posdb0001.crc", "posdb0001.dat", "posdb0001.map"}));
    // Exactly one committed bundle (for shard 1) holding exactly the dropped records.
    auto entries = c.mem().ListDir("/bundles");
    ASSERT_OK(entries);
    ASSERT_EQ(entries->size(), 1u) << (*entries)[0].name;
    auto b = ReadBundle(&c.mem(), "/bundles/" + (*entries)[0].name);
    ASSERT_OK(b);
    EXPECT_EQ(b->manifest.header.target_shard, 1);
    EXPECT_EQ(b->manifest.header.kind, "orphans");
    std::vector<TestRecord> in_bundle;
    for (const auto& s : b->streams) {
      for (const auto& r : s) {
        in_bundle.push_back(
            {Key::FromBytes(reinterpret_cast<const uint8_t*>(r.key.data()), 18), r.data});
      }
    }
    ExpectRecords(in_bundle, dropped);
    const std::string uuid = c.LoadCatalog()->FindCollection("main.posdb")->uuid;
    EXPECT_FALSE(c.mem().Exists(c.workdir + "/shardtool/journal/merge." + uuid + ".json"));
    EXPECT_FALSE(c.mem().Exists(RetiredListPath(c.workdir, uuid)));
  }
};

// Scenario B: a clusterdb file of several 2 MiB parts merged with a small one under
// --max-extra-disk, so that consumed parts are unlinked while merging.
struct ScenarioB {
  void Setup(MergeCluster& c) {
    const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
    ASSERT_OK(c.WriteInput(rdb, 1, testing::ClusterdbRecords(600000, 5), kSmallPart));
    ASSERT_OK(c.WriteInput(rdb, 3, testing::ClusterdbRecords(3000, 6), kSmallPart));
    ASSERT_TRUE(c.mem().Exists(c.dir + "/clusterdb0001.dat.part2"));
    ASSERT_OK(c.Init());
    ASSERT_OK(c.SetPartSize("main.clusterdb", kSmallPart));
    c.env.checkpoint_bytes = 256 << 10;
    c.env.check_every = 4096;
    c.env.buffer_size = 64 << 10;
  }
  MergeRequest Request(MergeCluster& c) {
    MergeRequest r = c.Request("clusterdb", MergeSelection::kAll);
    r.max_extra_disk = 1 << 20;
    return r;
  }
  void Check(MergeCluster& c) {
    const RdbInfo& rdb = GetRdb(RdbId::kClusterdb);
    testing::ReferenceOptions ro;
    ro.drop_negatives = true;
    auto want = testing::ReferenceMergeSorted(rdb, c.Inputs(rdb, {1, 3}), ro);
    auto got = c.ReadFile(rdb, "clusterdb0001.dat", kSmallPart);
    ASSERT_OK(got);
    ExpectRecords(*got, want);
    EXPECT_EQ(*c.VerifyErrors(rdb, "clusterdb0001.dat", kSmallPart), 0);
    for (const std::string& f : c.Listing()) {
      EXPECT_EQ(f.find("clusterdb0001"), 0u) << f;  // only the merged file is left
    }
  }
};

struct CrashCase {
  const char* point;
  int hit;
  char scenario;  // 'A' or 'B'
};

class MergeCrash : public ::testing::TestWithParam<CrashCase> {};

TEST_P(MergeCrash, RerunAfterACrashGivesTheUninterruptedResult) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  const CrashCase& cs = GetParam();
  MergeCluster c;
  ScenarioA a;
  ScenarioB b;
  if (cs.scenario == 'A') {
    a.Setup(c);
  } else {
    b.Setup(c);
  }
  const MergeRequest req = cs.scenario == 'A' ? a.Request(c) : b.Request(c);
  {
    CrashAt crash(&c.mem(), cs.point, cs.hit);
    auto r = c.Merge(req);
    ASSERT_TRUE(crash.crashed()) << cs.point << " was not reached " << cs.hit << " times";
    EXPECT_FALSE(r.ok());
  }
  c.mem().SimulateCrash();
  auto r = c.Merge(req);
  ASSERT_OK(r);
  ASSERT_OK(r->outcome);
  EXPECT_TRUE(r->resumed || std::string(cs.point) == "merge.after_journal_remove" ||
              std::string(cs.point) == "merge.after_journal_start" || r->nothing_to_do);
  if (cs.scenario == 'A') {
    a.Check(c);
  } else {
    b.Check(c);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Points, MergeCrash,
    ::testing::Values(
        CrashCase{"merge.after_journal_start", 1, 'A'},
        CrashCase{"merge.after_target_create", 1, 'A'},
        CrashCase{"merge.checkpoint.after_target_sync", 1, 'A'},
        CrashCase{"merge.checkpoint.after_target_sync", 3, 'A'},
        CrashCase{"merge.checkpoint.after_journal", 1, 'A'},
        CrashCase{"merge.checkpoint.after_journal", 3, 'A'},
        CrashCase{"merge.after_target_sync", 1, 'A'}, CrashCase{"merge.after_target_map", 1, 'A'},
        CrashCase{"merge.before_incorporate", 1, 'A'},
        CrashCase{"merge.after_bundles_commit", 1, 'A'}, CrashCase{"merge.after_retire", 1, 'A'},
        CrashCase{"merge.after_remove_inputs", 1, 'A'}, CrashCase{"merge.after_unretire", 1, 'A'},
        CrashCase{"merge.after_rename_target", 1, 'A'},
        CrashCase{"merge.after_journal_remove", 1, 'A'},
        CrashCase{"target.after_part_sync", 1, 'B'}, CrashCase{"merge.before_chop", 1, 'B'},
        CrashCase{"merge.after_chop", 1, 'B'}, CrashCase{"merge.checkpoint.after_journal", 6, 'B'}),
    [](const auto& info) {
      std::string n = std::string(info.param.point) + "_" + std::to_string(info.param.hit);
      for (char& ch : n) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return n;
    });

TEST(MergeChop, ConsumedPartsGoAndExtraDiskStaysWithinTheBudget) {
  MergeCluster c;
  ScenarioB b;
  b.Setup(c);
  uint64_t inputs = 0;
  for (const std::string& f : c.Listing()) {
    if (f.find(".dat") != std::string::npos) inputs += c.mem().ReadAll(c.dir + "/" + f).size();
  }
  auto r = c.Merge(b.Request(c));
  ASSERT_OK(r);
  EXPECT_GT(r->parts_chopped, 0);
  // The budget plus one part (doc/format.md §8.8), plus the slack of one checkpoint interval.
  EXPECT_LE(r->peak_extra_disk, (1u << 20) + kSmallPart + c.env.checkpoint_bytes);
  EXPECT_LT(r->peak_extra_disk, inputs / 2);
  b.Check(c);
  // The same merge without a budget adds the whole output.
  MergeCluster d;
  ScenarioB b2;
  b2.Setup(d);
  auto req = b2.Request(d);
  req.max_extra_disk = 0;
  req.dry_run = true;
  auto dry = d.Merge(req);
  ASSERT_OK(dry);
  EXPECT_EQ(dry->parts_chopped, 0);
  EXPECT_GE(dry->peak_extra_disk, dry->bytes_out);
}

// Runs `req` until it completes, stopping it after `ticks` progress calls each time.
Result<MergeReport> RunWithStops(MergeCluster& c, const MergeRequest& req, int ticks, int* runs) {
  std::atomic<bool> stop{false};
  *runs = 0;
  while (true) {
    int seen = 0;
    stop = false;
    c.env.stop = &stop;
    c.env.progress = [&](const MergeProgress&) {
      if (++seen >= ticks) stop = true;
    };
    auto r = c.Merge(req);
    (*runs)++;
    c.env.stop = nullptr;
    c.env.progress = nullptr;
    if (!r.ok() || r->outcome.code() != ErrorCode::kInterrupted) return r;
    EXPECT_EQ(r->outcome.exit_status(), 9);
    if (*runs > 200) return InternalErrorStatus("does not finish");
  }
}

TEST(MergeStop, StoppedMergesEndBitIdenticalToAnUninterruptedOne) {
  MergeCluster whole, stopped;
  ScenarioA a;
  a.Setup(whole);
  a.Setup(stopped);
  ASSERT_OK(whole.Merge(a.Request(whole)));
  int runs = 0;
  auto r = RunWithStops(stopped, a.Request(stopped), 3, &runs);
  ASSERT_OK(r);
  EXPECT_GT(runs, 3);
  EXPECT_TRUE(r->resumed);
  a.Check(stopped);
  for (const char* f : {"posdb0001.dat", "posdb0001.map", "posdb0001.crc"}) {
    EXPECT_EQ(stopped.mem().ReadAll(stopped.dir + "/" + f),
              whole.mem().ReadAll(whole.dir + "/" + f))
        << f;
  }
}

TEST(MergeStop, MaxDurationStopsAndRerunsContinue) {
  MergeCluster c;
  ScenarioA a;
  a.Setup(c);
  auto req = a.Request(c);
  req.max_duration_ms = 3000;
  c.env.progress = [&](const MergeProgress&) { c.mem().AdvanceMicros(1000000); };
  int runs = 0;
  while (true) {
    auto r = c.Merge(req);
    ASSERT_OK(r);
    runs++;
    if (r->outcome.ok()) break;
    ASSERT_EQ(r->outcome.code(), ErrorCode::kInterrupted);
    ASSERT_LT(runs, 500);
  }
  EXPECT_GT(runs, 1);
  a.Check(c);
}

TEST(MergeRate, ReadPlusWriteBytesKeepToTheRate) {
  MergeCluster c;
  ScenarioA a;
  a.Setup(c);
  auto req = a.Request(c);
  req.rate_mb_s = 0.5;  // 500 000 bytes per second
  const int64_t t0 = c.mem().NowMicros();
  auto r = c.Merge(req);
  ASSERT_OK(r);
  const double seconds = static_cast<double>(c.mem().NowMicros() - t0) / 1e6;
  const double bytes = static_cast<double>(r->counters.bytes_in + r->bytes_out);
  EXPECT_GE(seconds, 0.8 * bytes / 500000) << bytes;
}

// ENOSPC, EIO and a failed fsync: a clean error with the I/O exit status, inputs intact, and a
// rerun without the fault completes the merge.
TEST(MergeFaults, IoErrorsFailCleanlyAndInputsStayIntact) {
  struct Fault {
    const char* name;
    std::function<void(FaultFileSystem&)> add;
    ErrorCode code;
  };
  const Fault faults[] = {
      {"enospc", [](FaultFileSystem& f) { f.SetAppendBudget(12000); }, ErrorCode::kNoSpace},
      {"eio read",
       [](FaultFileSystem& f) {
         f.AddRule(FaultRule::Fail(FsOp::kRead, EIO).OnPath("posdb0005").Always());
       },
       ErrorCode::kIOError},
      {"fsync",
       [](FaultFileSystem& f) {
         f.AddRule(FaultRule::Fail(FsOp::kSync, EIO).OnPath("posdb0000.004.dat").Nth(2));
       },
       ErrorCode::kIOError},
      {"eio write",
       [](FaultFileSystem& f) {
         f.AddRule(FaultRule::Fail(FsOp::kAppend, EIO).OnPath("posdb0000").Nth(4));
       },
       ErrorCode::kIOError},
  };
  for (const Fault& fault : faults) {
    SCOPED_TRACE(fault.name);
    MergeCluster c;
    ScenarioA a;
    a.Setup(c);
    FaultFileSystem ffs(&c.mem());
    fault.add(ffs);
    c.UseFileSystem(&ffs);
    auto r = c.Merge(a.Request(c));
    ASSERT_FALSE(r.ok()) << "output " << r->bytes_out;
    EXPECT_EQ(r.status().code(), fault.code) << r.status().ToString();
    EXPECT_EQ(r.status().exit_status(), 7);
    const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
    for (int id : {1, 3, 5, 7}) {
      const std::string name = DataName("posdb", id, false);
      auto got = c.ReadFile(rdb, name);
      ASSERT_OK(got) << name;
      ExpectRecords(*got, c.written[name]);
      EXPECT_EQ(*c.VerifyErrors(rdb, name), 0);
    }
    c.UseFileSystem(&c.mem());
    auto again = c.Merge(a.Request(c));
    ASSERT_OK(again);
    a.Check(c);
  }
}

// A merge file Gigablast left (no journal, no map, a torn last record) is resumed after its last
// whole record with --auto.
TEST(MergeGigablastTarget, ResumedAfterItsLastWholeRecord) {
  MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  testing::RandomListOptions ro;
  ro.num_hi = 50;
  ro.max_data_size = 80;
  std::vector<std::vector<TestRecord>> lists;
  for (int i = 0; i < 4; i++) {
    lists.push_back(testing::RandomRecords(rdb, 800, 500 + static_cast<uint64_t>(i), ro));
    ASSERT_OK(c.WriteInput(rdb, 2 * i + 1, lists.back()));
  }
  // Gigablast was merging 3, 5, 7 into titledb0002-000.003.dat: about 60% done, torn at the end.
  auto want = testing::ReferenceMerge(rdb, {lists[1], lists[2], lists[3]});
  std::vector<TestRecord> done(want.begin(),
                               want.begin() + static_cast<ptrdiff_t>(want.size() * 6 / 10));
  std::string bytes = testing::EncodeRecords(rdb, done);
  bytes += std::string(bytes.data(), 7);  // a torn record
  c.mem().WriteAll(c.dir + "/titledb0002-000.003.dat", bytes);
  ASSERT_OK(c.Init());
  EXPECT_EQ(c.Merge(c.Request("titledb", MergeSelection::kFiles, {3, 5})).status().code(),
            ErrorCode::kFailedPrecondition);
  auto r = c.Merge(c.Request("titledb", MergeSelection::kAuto));
  ASSERT_OK(r);
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(r->output, "coll.main.0/titledb0003-000.dat");
  ExpectRecords(*c.ReadFile(rdb, "titledb0003-000.dat"), want);
  EXPECT_EQ(*c.VerifyErrors(rdb, "titledb0003-000.dat"), 0);
  ExpectRecords(*c.ReadFile(rdb, "titledb0001-000.dat"), lists[0]);
}

TEST(MergeGigablastTarget, InterruptedIncorporateIsRenamed) {
  MergeCluster c;
  const RdbInfo& rdb = GetRdb(RdbId::kPosdb);
  auto recs = testing::RandomRecords(rdb, 1000, 9);
  ASSERT_OK(c.WriteInput(rdb, 1, testing::RandomRecords(rdb, 10, 8)));
  c.mem().WriteAll(c.dir + "/posdb0002.003.dat", testing::EncodeRecords(rdb, recs));
  ASSERT_OK(c.Init());
  auto r = c.Merge(c.Request("posdb", MergeSelection::kAuto));
  ASSERT_OK(r);
  EXPECT_TRUE(r->incorporate_only);
  ExpectRecords(*c.ReadFile(rdb, "posdb0003.dat"), recs);
  EXPECT_EQ(*c.VerifyErrors(rdb, "posdb0003.dat"), 0);
  EXPECT_FALSE(c.mem().Exists(c.dir + "/posdb0002.003.dat"));
}

// Readers see exactly the committed files at every instant of a merge: the inputs until the
// commit (the inputs' retirement), the merge target from then on, the final name after the rename;
// never both, never neither. Both snapshot paths: ListCommittedFiles and ListCommittedSets.
TEST(MergeSnapshot, EveryTestPointSeesTheCommittedFilesOnly) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  MergeCluster c;
  ScenarioA a;
  a.Setup(c);
  auto catalog = c.LoadCatalog();
  ASSERT_OK(catalog);
  const CollectionEntry& coll = *catalog->FindCollection("main.posdb");
  const DatabaseEntry& db = *catalog->FindDatabase("main");
  std::vector<std::pair<std::string, std::vector<std::string>>> seen;
  testpoint::SetHandler([&](std::string_view name) -> Status {
    if (name.rfind("merge.", 0) != 0) return Status::Ok();
    auto one = ListCommittedFiles(&c.mem(), c.workdir, *catalog, coll);
    auto sets = ListCommittedSets(&c.mem(), c.workdir, db, {&coll});
    if (!one.ok()) return one.status();
    if (!sets.ok()) return sets.status();
    EXPECT_EQ(*one, (*sets)[0].files) << name;
    std::vector<std::string> names;
    for (const CommittedFile& f : *one) names.push_back(f.name);
    if (seen.empty() || seen.back().first != name) seen.emplace_back(std::string(name), names);
    return Status::Ok();
  });
  auto r = c.Merge(a.Request(c));
  testpoint::SetHandler(nullptr);
  ASSERT_OK(r);
  a.Check(c);
  const std::vector<std::string> inputs = {"posdb0001.dat", "posdb0003.dat", "posdb0005.dat",
                                           "posdb0007.dat"};
  const std::vector<std::string> target = {"posdb0000.004.dat"};
  const std::vector<std::string> final_name = {"posdb0001.dat"};
  std::map<std::string, std::vector<std::string>> want = {
      {"merge.after_journal_start", inputs},
      {"merge.after_target_create", inputs},
      {"merge.checkpoint.after_target_sync", inputs},
      {"merge.checkpoint.after_journal", inputs},
      {"merge.after_target_sync", inputs},
      {"merge.after_target_map", inputs},
      {"merge.before_incorporate", inputs},
      {"merge.after_bundles_commit", inputs},
      {"merge.after_retire", target},
      {"merge.after_remove_inputs", target},
      {"merge.after_unretire", target},
      {"merge.after_rename_target", final_name},
      {"merge.after_journal_remove", final_name}};
  std::set<std::string> points;
  for (const auto& [point, names] : seen) {
    points.insert(point);
    auto it = want.find(point);
    if (it == want.end()) continue;
    EXPECT_EQ(names, it->second) << point;
  }
  for (const char* p :
       {"merge.after_target_create", "merge.before_incorporate", "merge.after_retire",
        "merge.after_unretire", "merge.after_rename_target"}) {
    EXPECT_EQ(points.count(p), 1u) << p << " was not reached";
  }
}

// Inputs a live lease lists stay on disk (retired) after the commit; with the first input pinned
// the merged file keeps its merge name until a later run finds the lease gone.
TEST(MergeLeases, PinnedInputsAreRetiredNotRemoved) {
  for (const char* pinned : {"posdb0005.dat", "posdb0001.dat"}) {
    SCOPED_TRACE(pinned);
    MergeCluster c;
    ScenarioA a;
    a.Setup(c);
    std::vector<std::string> pins = {pinned};
    c.env.pinned_files = [&](const std::string&) -> Result<std::vector<std::string>> {
      return pins;
    };
    // The reader's lease itself: the write acquisition's release deletes retired files that no
    // live lease lists, so the pin must be a real lease of a live process (this one).
    // Taken after the slots moved, so it blocks no range deletion.
    auto now_catalog = c.LoadCatalog();
    const std::string uuid = now_catalog->FindCollection("main.posdb")->uuid;
    LeaseStore store(&c.mem(), c.workdir, SystemProcessInfo());
    Lease lease = NewLease(SystemProcessInfo(), store.NowSeconds());
    lease.catalog_epoch = now_catalog->epoch;
    lease.catalog_version = now_catalog->version;
    lease.ns = "main.posdb";
    lease.uuid = uuid;
    lease.files = pins;
    const std::string lease_name = store.NewName();
    ASSERT_OK(store.Write(uuid, lease_name, lease));
    auto req = a.Request(c);
    auto r = c.Merge(req);
    ASSERT_OK(r);
    EXPECT_EQ(r->pinned_inputs, (std::vector<std::string>{"coll.main.0/" + std::string(pinned)}));
    EXPECT_TRUE(c.mem().Exists(c.dir + "/" + pinned));
    auto catalog = c.LoadCatalog();
    const CollectionEntry& coll = *catalog->FindCollection("main.posdb");
    auto committed = ListCommittedFiles(&c.mem(), c.workdir, *catalog, coll);
    ASSERT_OK(committed);
    ASSERT_EQ(committed->size(), 1u);
    const bool first = std::string(pinned) == "posdb0001.dat";
    EXPECT_EQ((*committed)[0].name, first ? "posdb0000.004.dat" : "posdb0001.dat");
    if (!first) continue;
    EXPECT_FALSE(r->note.empty());
    // The reader is done: the next run finishes the incorporate.
    pins.clear();
    ASSERT_OK(store.Remove(uuid, lease_name));
    auto again = c.Merge(req);
    ASSERT_OK(again);
    EXPECT_TRUE(again->incorporate_only);
    a.Check(c);
  }
}

// The fault campaign of issue 8 for the merge writer (testing/fault_sweep.h): each kind of
// file-system fault injected at the n-th call of its kind, for n spread over every call a clean
// merge makes of that kind. Each faulted run either finishes correctly or fails with exit status 7
// and leaves the inputs readable; a clean rerun then always gives the uninterrupted result.
TEST(MergeFaultCampaign, EveryKindOfFaultAtSpreadCallsFailsCleanlyAndRerunsComplete) {
  // How many calls of each kind a clean merge makes (after Setup, which is not faulted).
  testing::CallCounts calls;
  {
    MergeCluster c;
    ScenarioA a;
    a.Setup(c);
    FaultFileSystem counter(&c.mem());
    c.UseFileSystem(&counter);
    ASSERT_OK(c.Merge(a.Request(c)));
    calls = testing::CountCalls(counter);
  }
  testing::RunFaultCampaign("merge", calls,
                            [](const testing::FaultKind& k, uint64_t n) {
                              testing::FaultedRun out;
                              MergeCluster c;
                              ScenarioA a;
                              a.Setup(c);
                              FaultFileSystem ffs(&c.mem());
                              ffs.AddRule(k.rule(n));
                              c.UseFileSystem(&ffs);
                              auto r = c.Merge(a.Request(c));
                              out.injected = ffs.faults_injected();
                              if (!r.ok()) out.status = r.status();
                              c.UseFileSystem(&c.mem());
                              auto again = c.Merge(a.Request(c));
                              EXPECT_OK(again);
                              if (again.ok()) a.Check(c);
                              return out;
                            },
                            {FsOp::kOpen, FsOp::kRead, FsOp::kAppend, FsOp::kSync, FsOp::kSyncDir,
                             FsOp::kRename, FsOp::kRemove});
}

}  // namespace
}  // namespace shardtool
