// The fault campaign of issue 8 for the import and ingest writers (testing/fault_sweep.h): every
// kind of file-system fault at spread calls of a clean run, through the whole job: source reads,
// spilled runs and their merges, target data files, ledgers, bookmarks, staged bundles; for
// ingest, the bundle reads, the new data files and the ingest ledger.
//
// After each faulted run: a clean failure (exit 7) or a complete result, the source (or the
// bundle) byte for byte as before, no lock left held. After a clean rerun: every source record
// once per mirror of its shard (and once in its shard's staged bundles), no temporaries, spill
// runs or pending bundles left, and a further rerun does nothing.
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "base/crc32c.h"
#include "io/fault_file_system.h"
#include "io/lock_manager.h"
#include "io/mem_file_system.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/import/import_job.h"
#include "jobs/ingest/ingest_job.h"
#include "testing/fault_sweep.h"
#include "testing/import_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

// Size and CRC of every file under `dir` (recursively), by path.
std::map<std::string, std::pair<size_t, uint32_t>> Hashes(MemFileSystem& mem,
                                                          const std::string& dir) {
  std::map<std::string, std::pair<size_t, uint32_t>> out;
  for (const std::string& p : mem.ListRecursive()) {
    if (p.rfind(dir + "/", 0) != 0 || p.back() == '/') continue;
    const std::string bytes = mem.ReadAll(p);
    out[p] = {bytes.size(), Crc32c(bytes)};
  }
  return out;
}

// Leftovers of an import or ingest anywhere in the file system: temporaries (".tmp" in a name),
// spill-run directories (under shardtool/tmp), staged bundles not yet published (.import-pending)
// and spills of staged shards (.import-tmp).
std::vector<std::string> Debris(MemFileSystem& mem) {
  // Something inside `dir` (the directory itself may stay).
  auto inside = [](const std::string& p, const std::string& dir) {
    const size_t at = p.find(dir);
    return at != std::string::npos && at + dir.size() < p.size();
  };
  std::vector<std::string> out;
  for (const std::string& p : mem.ListRecursive()) {
    if (p.find(".tmp") != std::string::npos || inside(p, "/shardtool/tmp/") ||
        inside(p, "/.import-pending/") || inside(p, "/.import-tmp/")) {
      out.push_back(p);
    }
  }
  return out;
}

// The scenarios: what is imported, and how.
struct ImportScenario {
  const char* name;
  std::vector<int> local_hosts;
  std::string stage_dir;  // empty: every host is local
  uint64_t memory;        // small: batches spill as runs
  uint64_t commit_every;  // source bytes per commit
  int merge_width;        // runs merged at once (small: merges of runs before the commit)
  bool dupes;             // a third file repeating keys of the first (one commit only)
};

const ImportScenario kScenarios[] = {
    // Every host local; three commits, each spilling runs and merging them.
    {"hosts", {0, 1, 2, 3}, "", 12 << 10, 24 << 10, 3, false},
    // Hosts 2 and 3 not on this machine: their shards' records go to staged bundles (spilled under
    // the stage dir); one commit, with newer versions of keys superseding older ones.
    {"staged", {0, 1}, "/stage", 12 << 10, 1 << 30, 3, true},
};

void Populate(ImportCluster& c, const ImportScenario& s) {
  c.local_hosts = s.local_hosts;
  c.Setup();
  std::vector<TestRecord> one = TitleRecords(500, 71, 0.1);
  c.AddSource(1, one);
  c.AddSource(3, TitleRecords(500, 72, 0.1));
  if (!s.dupes) return;
  std::vector<TestRecord> again;
  for (size_t i = 0; i < one.size(); i += 3) {
    if (one[i].negative()) continue;
    TestRecord r = one[i];
    r.data += "-newer";
    again.push_back(r);
  }
  c.AddSource(5, again);
}

ImportRequest Request(ImportCluster& c, const ImportScenario& s) {
  ImportRequest q = c.Request();
  q.memory = s.memory;
  q.commit_every = s.commit_every;
  q.stage_dir = s.stage_dir;
  return q;
}

ImportEnv Env(ImportCluster& c, const ImportScenario& s, LockManager* locks) {
  ImportEnv e = c.Env();
  e.merge_width = s.merge_width;
  e.locks = locks;
  return e;
}

// Every source record once per mirror of its shard, and once in its shard's bundles.
void CheckRecords(ImportCluster& c, const ImportScenario& s) {
  c.ExpectExact();
  if (!s.stage_dir.empty()) {
    auto staged = c.Staged(s.stage_dir);
    EXPECT_EQ(staged[0], c.Expected(0));
    EXPECT_EQ(staged[1], c.Expected(1));
  }
}

// The records, and no leftovers.
void CheckComplete(ImportCluster& c, const ImportScenario& s) {
  CheckRecords(c, s);
  EXPECT_EQ(Debris(c.mem), std::vector<std::string>{});
}

TEST(ImportFaultCampaign, EveryKindOfFaultAtSpreadCallsFailsCleanlyAndRerunsComplete) {
  for (const ImportScenario& s : kScenarios) {
    SCOPED_TRACE(s.name);
    CallCounts calls;
    {
      ImportCluster c;
      Populate(c, s);
      FaultFileSystem counter(&c.mem);
      LockManager locks(&counter);
      auto r = RunImport(&counter, Request(c, s), Env(c, s, &locks));
      ASSERT_OK(r);
      ASSERT_EQ(r->exit_status(), 0) << r->outcome.ToString();
      EXPECT_GT(r->runs_spilled, 0);
      EXPECT_GT(r->run_merges, 0);
      if (!s.dupes) {
        EXPECT_GT(r->batches, 1);
      }
      CheckComplete(c, s);
      calls = CountCalls(counter);
    }
    RunFaultCampaign(std::string("import (") + s.name + ")", calls,
                     [&s](const FaultKind& k, uint64_t n) {
                       FaultedRun out;
                       ImportCluster c;
                       Populate(c, s);
                       const auto source_before = Hashes(c.mem, c.source);
                       {
                         FaultFileSystem ffs(&c.mem);
                         ffs.AddRule(k.rule(n));
                         LockManager locks(&ffs);
                         auto r = RunImport(&ffs, Request(c, s), Env(c, s, &locks));
                         out.injected = ffs.faults_injected();
                         if (!r.ok()) {
                           out.status = r.status();
                         } else if (!r->outcome.ok()) {
                           out.status = r->outcome;
                         } else {
                           EXPECT_EQ(r->exit_status(), 0);
                           // A run that says it completed must have: every record is there already.
                           CheckRecords(c, s);
                         }
                         EXPECT_EQ(locks.NumLockedFiles(), 0u) << "a lock is still held";
                       }
                       EXPECT_EQ(Hashes(c.mem, c.source), source_before) << "the source changed";
                       LockManager locks(&c.mem);
                       auto again = RunImport(&c.mem, Request(c, s), Env(c, s, &locks));
                       EXPECT_OK(again);
                       if (again.ok()) {
                         EXPECT_EQ(again->exit_status(), 0) << again->outcome.ToString();
                         CheckComplete(c, s);
                         auto third = RunImport(&c.mem, Request(c, s), Env(c, s, &locks));
                         EXPECT_TRUE(third.ok() && third->nothing_to_do)
                             << "a third run found work";
                       }
                       EXPECT_EQ(Hashes(c.mem, c.source), source_before) << "the source changed";
                       return out;
                     },
                     {FsOp::kOpen, FsOp::kRead, FsOp::kAppend, FsOp::kSync, FsOp::kSyncDir,
                      FsOp::kRename, FsOp::kRemove});
    if (HasFatalFailure()) return;
  }
}

// Ingest of a staged bundle (made by a spilling import) under every kind of fault: a
// clean failure or a complete ingest, the bundle untouched, and the rerun ingests it exactly once.
TEST(IngestFaultCampaign, EveryKindOfFaultAtSpreadCallsFailsCleanlyAndRerunsComplete) {
  // One bundle per shard, staged once; each case copies the cluster with host 2 made.
  ImportCluster base;
  base.local_hosts = {0, 1};
  base.Setup();
  base.AddSource(1, TitleRecords(600, 81, 0.1));
  base.AddSource(3, TitleRecords(600, 82, 0.1));
  {
    ImportRequest q = base.Request();
    q.memory = 12 << 10;
    q.commit_every = 1 << 30;
    q.stage_dir = "/stage";
    auto r = base.Import(q);
    ASSERT_OK(r);
    ASSERT_EQ(r->exit_status(), 0);
  }
  base.MakeHost(2);
  std::string bundle;
  {
    auto listing = base.mem.ListDir("/stage");
    ASSERT_OK(listing);
    for (const DirEntry& e : *listing) {
      if (e.name.rfind("main.titledb.s0", 0) == 0) bundle = "/stage/" + e.name;
    }
    ASSERT_FALSE(bundle.empty());
    auto b = ReadBundle(&base.mem, bundle);
    ASSERT_OK(b);
    ASSERT_FALSE(b->streams.empty());
  }
  struct Case {
    ImportCluster c;
    explicit Case(ImportCluster& from) {
      c.source_files = from.source_files;
      c.local_hosts = {2};
      ImportCluster::CopyTree(from.mem, c.mem, "/cluster");
      ImportCluster::CopyTree(from.mem, c.mem, "/stage");
    }
  };
  auto ingest = [&](Case& x, FileSystem* fs, LockManager* locks) {
    IngestEnv env;
    env.catalogs = &x.c.cache;
    env.gigablast = &x.c.no_gb;
    env.heartbeat_thread = false;
    env.locks = locks;
    IngestRequest ir;
    ir.workdir = "/cluster/host2";
    ir.bundle_dir = bundle;
    return RunIngest(fs, ir, env);
  };
  CallCounts calls;
  {
    Case x(base);
    FaultFileSystem counter(&x.c.mem);
    LockManager locks(&counter);
    auto r = ingest(x, &counter, &locks);
    ASSERT_OK(r);
    ASSERT_FALSE(r->already_ingested);
    x.c.ExpectExact();
    calls = CountCalls(counter);
  }
  RunFaultCampaign(
      "ingest", calls,
      [&](const FaultKind& k, uint64_t n) {
        FaultedRun out;
        Case x(base);
        const auto bundle_before = Hashes(x.c.mem, bundle);
        {
          FaultFileSystem ffs(&x.c.mem);
          ffs.AddRule(k.rule(n));
          LockManager locks(&ffs);
          auto r = ingest(x, &ffs, &locks);
          out.injected = ffs.faults_injected();
          if (!r.ok()) {
            out.status = r.status();
          } else {
            EXPECT_FALSE(r->already_ingested);
            x.c.ExpectExact();
          }
          EXPECT_EQ(locks.NumLockedFiles(), 0u) << "a lock is still held";
        }
        EXPECT_EQ(Hashes(x.c.mem, bundle), bundle_before) << "the bundle changed";
        LockManager locks(&x.c.mem);
        auto again = ingest(x, &x.c.mem, &locks);
        EXPECT_OK(again);
        if (again.ok()) {
          // The rerun ingests it unless the faulted run got past its commit point.
          if (out.status.ok()) {
            EXPECT_TRUE(again->already_ingested);
          }
          x.c.ExpectExact();
          EXPECT_EQ(Debris(x.c.mem), std::vector<std::string>{});
          auto third = ingest(x, &x.c.mem, &locks);
          EXPECT_TRUE(third.ok() && third->already_ingested) << "ingested twice";
          x.c.ExpectExact();
        }
        EXPECT_EQ(Hashes(x.c.mem, bundle), bundle_before) << "the bundle changed";
        return out;
      },
      {FsOp::kOpen, FsOp::kRead, FsOp::kAppend, FsOp::kSync, FsOp::kSyncDir, FsOp::kRename});
}

}  // namespace
}  // namespace shardtool::testing
