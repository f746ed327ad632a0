// Import and the disk (issue 16 item 8): a free-space check before anything is written (exit 7
// with a clear message), and a run that fails on a full disk removes what it wrote that no commit
// holds, so the disk is not left full and the next run works. And the clean-up of temporaries
// never loses another source's committed batch (issue 16, the RemoveImportTemps hazard).
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "format/key_fields.h"
#include "io/fault_file_system.h"
#include "io/test_point.h"
#include "jobs/import/import_job.h"
#include "jobs/ingest/ingest_job.h"
#include "testing/import_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

// Files an import wrote that no commit holds: target temporaries, spill runs, pending bundles.
std::vector<std::string> Leftovers(MemFileSystem& mem) {
  std::vector<std::string> out;
  for (const std::string& p : mem.ListRecursive()) {
    if (p.back() == '/') continue;
    if (p.find(".import.tmp") != std::string::npos ||
        p.find("/shardtool/tmp/") != std::string::npos ||
        p.find("/.import-pending/") != std::string::npos) {
      out.push_back(p);
    }
  }
  return out;
}

// Every file under /cluster but the (empty) lock files the acquisitions make (path -> size).
std::map<std::string, size_t> Files(MemFileSystem& mem) {
  std::map<std::string, size_t> out;
  for (const std::string& p : mem.ListRecursive()) {
    if (p.rfind("/cluster/", 0) != 0 || p.back() == '/' || p.find("/locks/") != std::string::npos) {
      continue;
    }
    out[p] = mem.ReadAll(p).size();
  }
  return out;
}

TEST(ImportSpace, TooLittleFreeSpaceIsRefusedBeforeWriting) {
  ImportCluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(400, 41, 0.1));
  c.AddSource(3, TitleRecords(400, 42, 0.1));
  const auto before = Files(c.mem);
  // Room for a tenth of the source: each of the four hosts gets about half of it.
  uint64_t source_bytes = 0;
  for (const std::string& p : c.mem.ListRecursive()) {
    if (p.rfind(c.source + "/", 0) == 0) source_bytes += c.mem.ReadAll(p).size();
  }
  c.mem.SetCapacity(c.mem.UsedBytes() + source_bytes / 10);
  auto r = c.Import();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 7) << r.status().ToString();
  EXPECT_NE(r.status().message().find("free space"), std::string::npos) << r.status().message();
  EXPECT_EQ(Files(c.mem), before);  // nothing written: no data, ledger or bookmark
  // With room it runs.
  c.mem.SetCapacity(c.mem.UsedBytes() + 8 * source_bytes + (1 << 20));
  auto ok = c.Import();
  ASSERT_OK(ok);
  EXPECT_EQ(ok->exit_status(), 0) << ok->outcome.ToString();
  c.ExpectExact();
}

TEST(ImportSpace, FullDiskMidImportLeavesNothingUncommitted) {
  for (const char* path : {".import.tmp", "/shardtool/tmp/"}) {
    SCOPED_TRACE(path);
    ImportCluster c;
    c.Setup();
    c.AddSource(1, TitleRecords(500, 51, 0.1));
    c.AddSource(3, TitleRecords(500, 52, 0.1));
    {
      FaultFileSystem faults(&c.mem);
      faults.AddRule(FaultRule::Fail(FsOp::kAppend, ENOSPC).OnPath(path).Nth(5).Always());
      ImportEnv env = c.Env();
      auto r = RunImport(&faults, c.Request(), env);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().exit_status(), 7) << r.status().ToString();
      EXPECT_GT(faults.faults_injected(), 0u);
    }
    EXPECT_EQ(Leftovers(c.mem), std::vector<std::string>{});
    // The next run works and every record lands once.
    auto again = c.Import();
    ASSERT_OK(again);
    EXPECT_EQ(again->exit_status(), 0) << again->outcome.ToString();
    c.ExpectExact();
    EXPECT_EQ(Leftovers(c.mem), std::vector<std::string>{});
  }
}

// Source A crashes between its ledger commit and the renames: its batch is committed (its ledger
// says the targets hold it) but still under temporary names. An import of source B into the same
// collection must not remove those temporaries (nor reuse their names): A's rerun would skip the
// records and they would be lost.
TEST(ImportSpace, AnotherSourcesCommittedBatchSurvivesTheNextImport) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  ImportCluster c;
  c.Setup();
  c.AddSource(1, TitleRecords(300, 61, 0.1));
  const std::map<int32_t, std::vector<TestRecord>> a_files = c.source_files;
  ImportRequest a = c.Request();
  a.commit_every = uint64_t{1} << 30;  // one commit
  testpoint::SetHandler([&c](std::string_view name) {
    if (name != "import.after_ledger_commit") return Status::Ok();
    c.mem.Freeze();
    return IOErrorStatus("crash");
  });
  auto crashed = c.Import(a);
  testpoint::SetHandler(nullptr);
  ASSERT_FALSE(crashed.ok());
  c.mem.SimulateCrash();
  ASSERT_FALSE(Leftovers(c.mem).empty());  // the committed batch, under temporary names

  // Source B, another directory.
  c.source = "/foreign2/coll.main.0";
  c.source_files.clear();
  c.AddSource(1, TitleRecords(300, 62, 0.1));
  ImportRequest b = c.Request();
  ASSERT_OK(c.Import(b));
  // A again: nothing left to write, and its records are all there.
  auto again = c.Import(a);
  ASSERT_OK(again);
  for (const auto& [id, recs] : a_files) c.source_files[id + 100] = recs;
  c.ExpectExact();
  EXPECT_EQ(Leftovers(c.mem), std::vector<std::string>{});
}

// Large records (issue 16 item 10): the stop flag, --max-duration and --rate are checked by bytes
// and time too, not only every check_every records (4096 titlerecs of 30 KB are 120 MB).
TEST(ImportStopChecks, LargeRecordsAreCheckedEveryMegabyte) {
  ImportCluster c;
  c.Setup();
  std::vector<TestRecord> recs;
  for (uint64_t d = 0; d < 200; d++) {
    std::string data(4, '\0');
    data[0] = 100;
    data += std::string(30000, static_cast<char>('a' + d % 26));
    recs.push_back({MakeTitledbKey(d * 3 + 1, d * 7, true), data});
  }
  c.AddSource(1, recs);
  ImportRequest req = c.Request();
  req.memory = uint64_t{64} << 20;
  req.commit_every = uint64_t{1} << 30;
  req.rate_mb_s = 1;
  req.max_duration_ms = 1;
  ImportEnv env = c.Env();
  env.check_every = 4096;
  auto r = RunImport(c.fs, req, env);
  ASSERT_OK(r);
  EXPECT_EQ(r->outcome.code(), ErrorCode::kInterrupted) << r->outcome.ToString();
  EXPECT_EQ(r->exit_status(), 9);
  EXPECT_LT(r->bytes_read, uint64_t{3} << 20);  // of 6 MB
  // The rerun continues from the bookmark and completes.
  auto again = c.Import();
  ASSERT_OK(again);
  EXPECT_EQ(again->exit_status(), 0) << again->outcome.ToString();
  c.ExpectExact();
}

// Ingest likewise: a stop (here --max-duration with --rate) comes before the commit, promptly, and
// leaves nothing written; the rerun ingests the bundle.
TEST(IngestStopChecks, LargeRecordsStopBeforeTheCommit) {
  ImportCluster c;
  c.local_hosts = {0, 1};
  c.Setup();
  std::string data(4, '\0');
  data[0] = 100;
  data += std::string(30000, 'p');
  std::string bundle;
  c.WriteShard1Bundle("main.titledb.s1.big", 200, data, &bundle);
  ASSERT_FALSE(bundle.empty());
  const auto before = Files(c.mem);
  IngestEnv env;
  env.catalogs = &c.cache;
  env.gigablast = &c.no_gb;
  env.heartbeat_thread = false;
  IngestRequest req;
  req.workdir = "/cluster/host1";
  req.bundle_dir = bundle;
  req.rate_mb_s = 1;
  req.max_duration_ms = 1;
  const int64_t t0 = c.mem.NowMicros();
  auto r = RunIngest(&c.mem, req, env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 9) << r.status().ToString();
  EXPECT_LT(c.mem.NowMicros() - t0, 2000000);  // not 6 s at 1 MB/s
  EXPECT_EQ(Files(c.mem), before);
  req.rate_mb_s = 0;
  req.max_duration_ms = 0;
  r = RunIngest(&c.mem, req, env);
  ASSERT_OK(r);
  EXPECT_EQ(r->positive, 200);
}

}  // namespace
}  // namespace shardtool::testing
