// Import and ingest (issue 6): exact comparison of targets with the source (every record once per
// mirror of its shard, none elsewhere) for clean, corrupt and decoy inputs; crash at every named
// test point and rerun; a catalog change mid-run (SR53); ENOSPC on one target; bundles round trip
// through ingest, which refuses records it does not own (B5).
#include "jobs/import/import_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog_admin.h"
#include "catalog/catalog_ops.h"
#include "catalog/discovery.h"
#include "format/file_name.h"
#include "io/fault_file_system.h"
#include "io/mem_file_system.h"
#include "io/test_point.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/import/import_bookmark.h"
#include "jobs/ingest/ingest_job.h"
#include "testing/import_cluster.h"
#include "testing/merge_cluster.h"
#include "testing/record_lists.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

using Cluster = ImportCluster;
const RdbInfo& Titledb() { return ImportTitledb(); }

TEST(ImportJob, CleanImportGivesEveryRecordOncePerMirror) {
  Cluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(1500, 1, 0.1));
  c.AddSource(3, TitleRecords(1500, 2, 0.1));
  auto r = c.Import();
  ASSERT_OK(r);
  EXPECT_OK(r->outcome);
  EXPECT_GT(r->batches, 1);
  EXPECT_GT(r->negatives_skipped, 0);
  EXPECT_EQ(r->routed.size(), 2u);
  EXPECT_EQ(r->exit_status(), 0);
  c.ExpectExact();
  // The bookmarks name the last file and its size.
  auto b = ReadLegacyBookmark(&c.mem, "/cluster/host0/lasttitledbinjectinfo.dat");
  ASSERT_OK(b);
  EXPECT_EQ(b->pos.file_id, 3);
  // A rerun does nothing and says so.
  auto again = c.Import();
  ASSERT_OK(again);
  EXPECT_TRUE(again->nothing_to_do);
  c.ExpectExact();
  // New source files are picked up by the next run.
  c.AddSource(5, TitleRecords(300, 3, 0.1));
  auto more = c.Import();
  ASSERT_OK(more);
  EXPECT_TRUE(more->resumed);
  EXPECT_EQ(more->records, 300 - more->negatives_skipped);
  c.ExpectExact();
}

TEST(ImportJob, DryRunWritesNothing) {
  Cluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(500, 4, 0.2));
  auto r = c.Import([&] {
    ImportRequest q = c.Request();
    q.dry_run = true;
    return q;
  }());
  ASSERT_OK(r);
  EXPECT_GT(r->records, 0);
  EXPECT_EQ(r->routed[0] + r->routed[1], r->records);
  for (int h : c.local_hosts) EXPECT_TRUE(c.HostRecords(h).empty());
  EXPECT_FALSE(c.mem.Exists("/cluster/host0/lasttitledbinjectinfo.dat"));
}

TEST(ImportJob, CorruptAndDecoyInputs) {
  Cluster c;
  c.Setup();
  std::vector<TestRecord> one = TitleRecords(400, 5, 0.1);
  // Two titlerecs failing T1 (ubufSize 0) go to the quarantine.
  int bad = 0;
  for (TestRecord& r : one) {
    if (!r.negative() && bad < 2 && r.key.data()[5] % 7 == 0) {
      r.data[0] = 0;
      ++bad;
    }
  }
  ASSERT_EQ(bad, 2);
  c.AddSource(1, one);
  // File 3 is torn: its last record runs past the end (I5); the records before it count.
  std::vector<TestRecord> three = TitleRecords(200, 6, 0.0);
  c.AddSource(3, three);
  const std::string p3 = c.source + "/titledb0003-000.dat";
  std::string bytes = c.mem.ReadAll(p3);
  c.mem.WriteAll(p3, bytes.substr(0, bytes.size() - 3));
  c.source_files[3].pop_back();
  // File 5 has a negative dataSize at its 11th record (I4).
  std::vector<TestRecord> five = TitleRecords(50, 7, 0.0);
  c.AddSource(5, five);
  {
    std::vector<uint64_t> offs;
    EncodeRecords(Titledb(), five, &offs);
    const std::string p5 = c.source + "/titledb0005-000.dat";
    std::string b5 = c.mem.ReadAll(p5);
    b5[offs[10] + 12 + 3] = static_cast<char>(0x80);
    c.mem.WriteAll(p5, b5);
    c.source_files[5].resize(10);
  }
  // Decoys: a merge-looking name is refused below; these are skipped (I1) or not source files.
  c.mem.WriteAll(c.source + "/titledb0007.dat", "junk");
  c.mem.WriteAll(c.source + "/posdb0001.dat", "junk");
  c.mem.WriteAll(c.source + "/titledb0009-000.dat.bak", "junk");
  auto r = c.Import();
  ASSERT_OK(r);
  EXPECT_EQ(r->quarantined, 2);
  EXPECT_EQ(r->exit_status(), 1);
  std::set<std::string> rules;
  for (const auto& f : r->files) {
    for (const auto& x : f.findings) rules.insert(x.rule);
  }
  for (const auto& x : r->findings) rules.insert(x.rule);
  EXPECT_TRUE(rules.count("I4")) << "I4";
  EXPECT_TRUE(rules.count("I5")) << "I5";
  EXPECT_TRUE(rules.count("I6")) << "I6";
  EXPECT_TRUE(rules.count("I1")) << "I1";
  ASSERT_EQ(r->quarantine_entries.size(), 1u);
  auto q = ReadBundle(&c.mem, r->quarantine_entries[0]);
  ASSERT_OK(q);
  EXPECT_EQ(q->manifest.header.kind, "quarantine");
  EXPECT_EQ(q->manifest.positive, 2);
  c.ExpectExact();
  // The source is only read.
  EXPECT_EQ(c.mem.ReadAll(c.source + "/titledb0007.dat"), "junk");

  // A merge in progress in the source (I3) makes the directory unusable: exit 3.
  c.mem.WriteAll(c.source + "/titledb0010-000.002.dat", "x");
  auto refused = c.Import();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().exit_status(), 3);
}

TEST(ImportJob, LegacyBookmarks) {
  Cluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(300, 8, 0.0));
  c.AddSource(3, TitleRecords(300, 9, 0.0));
  // GB bug 2: "-1,-1" means from the beginning, with a warning.
  c.mem.WriteAll("/cluster/host0/lasttitledbinjectinfo.dat", "-1,-1");
  auto r = c.Import();
  ASSERT_OK(r);
  EXPECT_FALSE(r->warnings.empty());
  c.ExpectExact();
  EXPECT_NE(c.mem.ReadAll("/cluster/host0/lasttitledbinjectinfo.dat"), "-1,-1");

  // A Gigablast bookmark naming file 3 at offset 0 (no own bookmark): file 1 is not read.
  Cluster d;
  d.Setup();
  d.AddSource(1, TitleRecords(300, 8, 0.0));
  d.AddSource(3, TitleRecords(300, 9, 0.0));
  d.mem.WriteAll("/cluster/host0/lasttitledbinjectinfo.dat", "0,3");
  auto r2 = d.Import();
  ASSERT_OK(r2);
  EXPECT_EQ(r2->records, 300);
  // An offset that is not a record boundary (I8): exit 8.
  Cluster e;
  e.Setup();
  e.AddSource(1, TitleRecords(30, 8, 0.0));
  e.mem.WriteAll("/cluster/host0/lasttitledbinjectinfo.dat", "5,1");
  auto r3 = e.Import();
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.status().exit_status(), 8);
  EXPECT_NE(r3.status().message().find("I8"), std::string::npos);
}

// Gigablast's bookmark names no source: after shardtool finished importing one source (and kept
// lasttitledbinjectinfo.dat at its end), a second source starts from its beginning, not from the
// first one's position.
TEST(ImportJob, LegacyBookmarkOfAnotherSourceIsNotTaken) {
  Cluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(200, 8, 0.0));
  auto r = c.Import();
  ASSERT_OK(r);
  EXPECT_EQ(r->records, 200);
  ASSERT_TRUE(c.mem.Exists("/cluster/host0/lasttitledbinjectinfo.dat"));
  c.source = "/foreign2/coll.main.0";
  c.AddSource(1, TitleRecords(150, 9, 0.0));
  auto r2 = c.Import();
  ASSERT_OK(r2);
  EXPECT_EQ(r2->records, 150);
  bool warned = false;
  for (const std::string& w : r2->warnings) warned |= w.find("another source") != std::string::npos;
  EXPECT_TRUE(warned);
}

// Bookmarks that would only fit by narrowing are corrupt, not silently truncated positions.
TEST(ImportJob, BookmarksOutOfRangeAreCorrupt) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/w"));
  const std::string legacy = "/w/lasttitledbinjectinfo.dat";
  fs.WriteAll(legacy, "0,4294967299");  // file id 2^32 + 3
  auto l = ReadLegacyBookmark(&fs, legacy);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().exit_status(), 8);
  fs.WriteAll(legacy, "7,2147483647");
  l = ReadLegacyBookmark(&fs, legacy);
  ASSERT_OK(l);
  EXPECT_EQ(l->pos.file_id, 2147483647);
  EXPECT_EQ(l->pos.offset, 7u);

  const std::string exact = "/w/import.main.s.json";
  const std::string head = R"({"schema_version":1,"db":"main","source_dir":"/s",)";
  for (const char* bad :
       {R"("file_id":4294967299,"offset":0})", R"("file_id":1.5,"offset":0})",
        R"("file_id":-1,"offset":0})", R"("file_id":1,"offset":-5})",
        R"("file_id":1,"offset":"7"})", R"("file_id":1,"offset":0,"records":-1})"}) {
    fs.WriteAll(exact, head + bad);
    auto b = ReadImportBookmark(&fs, exact);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.status().exit_status(), 8) << bad;
  }
  fs.WriteAll(exact, head + R"("file_id":2147483647,"offset":18446744073709551615})");
  auto b = ReadImportBookmark(&fs, exact);
  ASSERT_OK(b);
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ((*b)->pos.file_id, 2147483647);
  EXPECT_EQ((*b)->pos.offset, UINT64_MAX);
}

// Simulated crash at every named test point (its second hit: after a committed batch), then a
// rerun: exact.
TEST(ImportJob, CrashAtEveryTestPointThenRerun) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  const std::vector<std::string> points = {"import.after_target_write",
                                           "import.before_ledger_commit",
                                           "import.after_ledger_commit",
                                           "import.after_target_publish",
                                           "import.before_bookmark",
                                           "import.after_bookmark",
                                           "import.yielded"};
  for (const std::string& point : points) {
    // The second hit falls after a committed batch; the first one, before any, for one point.
    std::vector<int> hits = {2};
    if (point == "import.after_ledger_commit") hits.push_back(1);
    for (int hit : hits) {
      SCOPED_TRACE(point + " hit " + std::to_string(hit));
      Cluster c;
      c.Setup();
      c.AddSource(1, TitleRecords(600, 11, 0.1));
      c.AddSource(3, TitleRecords(400, 12, 0.1));
      std::atomic<int> n{0};
      testpoint::SetHandler([&](std::string_view name) {
        if (name == point && ++n == hit) return IOErrorStatus("crash at " + point);
        return Status::Ok();
      });
      ImportRequest q = c.Request();
      q.memory = 20 << 10;  // 3-4 batches
      auto r = c.Import(q);
      testpoint::SetHandler(nullptr);
      ASSERT_FALSE(r.ok());
      c.mem.SimulateCrash();
      auto again = c.Import(q);
      ASSERT_OK(again);
      EXPECT_OK(again->outcome);
      c.ExpectExact();
    }
  }
}

// Staged bundles under a crash at each of their commit steps: after the rerun, the bundles of
// each shard hold every record of the shard exactly once, and nothing is left pending.
TEST(ImportJob, CrashWhileStagingThenRerun) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  for (const std::string point : {"import.after_bundle_write", "import.before_ledger_commit",
                                  "import.after_ledger_commit", "import.before_bookmark"}) {
    SCOPED_TRACE(point);
    Cluster c;
    c.local_hosts = {0, 1};
    c.Setup();
    c.AddSource(1, TitleRecords(300, 21, 0.1));
    ImportRequest q = c.Request();
    q.memory = 20 << 10;
    q.commit_every = 5 << 10;  // several commits
    q.stage_dir = "/stage";
    std::atomic<int> n{0};
    testpoint::SetHandler([&](std::string_view name) {
      // The 3rd hit: some batches are committed, on hosts and in bundles.
      if (name == point && ++n == 3) return IOErrorStatus("crash at " + point);
      return Status::Ok();
    });
    auto r = c.Import(q);
    testpoint::SetHandler(nullptr);
    ASSERT_FALSE(r.ok());
    c.mem.SimulateCrash();
    auto again = c.Import(q);
    ASSERT_OK(again);
    c.ExpectExact();
    auto staged = c.Staged("/stage");
    EXPECT_EQ(staged[0], c.Expected(0));
    EXPECT_EQ(staged[1], c.Expected(1));
    auto pending = c.mem.ListDir("/stage/.import-pending");
    if (pending.ok()) {
      EXPECT_TRUE(pending->empty());
    }
  }
}

// ENOSPC on one target: the import fails with exit 7, nothing half-visible; a rerun with space
// finishes exactly.
TEST(ImportJob, NoSpaceOnOneTarget) {
  Cluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(1500, 13, 0.1));
  FaultFileSystem faults(&c.mem);
  faults.AddRule(FaultRule::Fail(FsOp::kAppend, ENOSPC).OnPath("/cluster/host3/").Nth(3).Always());
  c.fs = &faults;
  auto r = c.Import();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 7);
  c.fs = &c.mem;
  auto again = c.Import();
  ASSERT_OK(again);
  c.ExpectExact();
}

// SR53: a placement change mid-run stops the import with StaleConfig (exit 5); the rerun continues
// from the bookmark under the new placement and every record ends up once on its current owner.
TEST(ImportJob, CatalogChangeMidRunStopsAndRerunFollowsNewPlacement) {
  Cluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(2000, 14, 0.0));
  ImportEnv env = c.Env();
  auto move = [&](int h) {
    MoveSlotsRequest m;
    m.first = 1;
    m.last = 99;
    m.to_shard = 0;
    m.orphan_delay = 0;
    AdminOptions admin;
    admin.uuids = CountingUuidGenerator(500 + static_cast<uint64_t>(h));
    return RunMoveSlots(&c.mem, "/cluster/host" + std::to_string(h), m, admin).status();
  };
  env.after_batch = [&](int batch) -> Status {
    if (batch != 1) return Status::Ok();
    for (int h : c.local_hosts) RETURN_IF_ERROR(move(h));
    return Status::Ok();
  };
  auto r = RunImport(c.fs, c.Request(), env);
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_status(), 5) << r->outcome.ToString();
  auto again = c.Import();
  ASSERT_OK(again);
  EXPECT_OK(again->outcome);
  // Under the new placement shard 0 owns every slot < 100; records of the first batch stay where
  // they were routed (slots 1..99 odd ones on shard 1, orphans for merge --cleanup-orphans).
  auto owner_now = [](int slot) { return slot < 100 ? 0 : slot % 2; };
  std::map<std::string, int> total;
  for (int h : c.local_hosts) {
    for (const auto& [k, n] : c.HostRecords(h)) total[k] += n;
  }
  int moved_seen = 0;
  std::map<int, std::map<std::string, int>> held;
  for (int h : c.local_hosts) held[h] = c.HostRecords(h);
  for (const TestRecord& rec : c.source_files[1]) {
    const int slot = KeySlot(Titledb(), rec.key.data());
    const std::string k = rec.key.ToHex() + ":" + rec.data;
    const int on_owner0 = static_cast<int>(held[owner_now(slot)].count(k));
    if (slot < 100 && slot % 2 == 1) {
      // Either routed before the change (on shard 1's hosts) or after (on shard 0's).
      const int on1 = static_cast<int>(held[1].count(k));
      EXPECT_EQ(on_owner0 + on1, 1) << k;
      moved_seen += on_owner0;
    } else {
      EXPECT_EQ(on_owner0, 1) << k;
      EXPECT_EQ(total[k], 2) << k;  // both mirrors, nowhere else
    }
  }
  EXPECT_GT(moved_seen, 0);
}

// Hosts not on this machine get bundles (--stage-dir); ingest adds them on the owners, exactly
// once, and refuses a bundle of another shard (B5).
TEST(ImportJob, StagedBundlesRoundTripThroughIngest) {
  Cluster c;
  c.local_hosts = {0, 1};
  c.Setup();
  c.AddSource(1, TitleRecords(1000, 15, 0.1));
  ImportRequest req = c.Request();
  auto refused = c.Import(req);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().exit_status(), 3);
  req.stage_dir = "/stage";
  req.memory = 64 << 10;  // a few batches: a few bundles per shard
  auto r = c.Import(req);
  ASSERT_OK(r);
  c.ExpectExact();
  // Hosts 2 and 3 appear; ingest the bundles of their shards.
  c.MakeHost(2);
  c.MakeHost(3);
  auto listing = c.mem.ListDir("/stage");
  ASSERT_OK(listing);
  int ingested = 0;
  IngestEnv ienv;
  ienv.catalogs = &c.cache;
  ienv.gigablast = &c.no_gb;
  ienv.heartbeat_thread = false;
  for (const DirEntry& e : *listing) {
    if (e.name.rfind("main.titledb.s", 0) != 0) continue;
    const int shard = e.name[14] - '0';
    IngestRequest ir;
    ir.bundle_dir = "/stage/" + e.name;
    // The wrong owner refuses (same catalog version: exit 3).
    ir.workdir = "/cluster/host" + std::to_string(2 + (1 - shard));
    auto wrong = RunIngest(&c.mem, ir, ienv);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.status().exit_status(), 3) << wrong.status().ToString();
    ir.workdir = "/cluster/host" + std::to_string(2 + shard);
    auto ok = RunIngest(&c.mem, ir, ienv);
    ASSERT_OK(ok);
    EXPECT_FALSE(ok->already_ingested);
    auto twice = RunIngest(&c.mem, ir, ienv);
    ASSERT_OK(twice);
    EXPECT_TRUE(twice->already_ingested);
    ++ingested;
  }
  EXPECT_GE(ingested, 2);
  c.local_hosts = {0, 1, 2, 3};
  c.ExpectExact();
}

TEST(IngestJob, CorruptBundlesAreRefused) {
  Cluster c;
  c.local_hosts = {0, 1};
  c.Setup();
  c.AddSource(1, TitleRecords(300, 16, 0.0));
  ImportRequest req = c.Request();
  req.memory = 1 << 20;
  req.commit_every = 1 << 20;  // one bundle per shard
  req.stage_dir = "/stage";
  ASSERT_OK(c.Import(req));
  c.MakeHost(2);
  auto listing = c.mem.ListDir("/stage");
  ASSERT_OK(listing);
  std::string b0;
  for (const DirEntry& e : *listing) {
    if (e.name.rfind("main.titledb.s0", 0) == 0) b0 = "/stage/" + e.name;
  }
  ASSERT_FALSE(b0.empty());
  IngestEnv ienv;
  ienv.catalogs = &c.cache;
  ienv.gigablast = &c.no_gb;
  ienv.heartbeat_thread = false;
  IngestRequest ir;
  ir.workdir = "/cluster/host2";
  ir.bundle_dir = b0;
  // B2: a stream whose bytes changed.
  const std::string stream = b0 + "/records-0000.zst";
  const std::string good = c.mem.ReadAll(stream);
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x55;
  c.mem.WriteAll(stream, bad);
  auto r = RunIngest(&c.mem, ir, ienv);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 8);
  c.mem.WriteAll(stream, good);
  // B1: an unparsable manifest.
  const std::string manifest = c.mem.ReadAll(b0 + "/manifest.json");
  c.mem.WriteAll(b0 + "/manifest.json", "{not json");
  r = RunIngest(&c.mem, ir, ienv);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 8);
  c.mem.WriteAll(b0 + "/manifest.json", manifest);
  // Another catalog version on the host: StaleConfig (exit 5) for unowned records.
  c.MakeHost(3);
  MoveSlotsRequest m;
  m.first = 8000;
  m.last = 8001;
  m.to_shard = 1;
  AdminOptions admin;
  admin.uuids = CountingUuidGenerator(900);
  ASSERT_OK(RunMoveSlots(&c.mem, "/cluster/host3", m, admin));
  ir.workdir = "/cluster/host3";
  r = RunIngest(&c.mem, ir, ienv);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 5) << r.status().ToString();
  ir.workdir = "/cluster/host2";
  r = RunIngest(&c.mem, ir, ienv);
  ASSERT_OK(r);
}

}  // namespace
}  // namespace shardtool::testing
