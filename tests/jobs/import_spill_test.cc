// Spilling of an import (issue 6): sorted runs and their merge (newest source record of a key
// wins, corrupt runs are located), an import far larger than --memory making one data file per
// host per commit with every record exactly once per mirror, a crash at each spill and merge test
// point then a rerun (exact, leftover run directories removed), and ENOSPC while spilling.
#include "jobs/import/import_spill.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "catalog/discovery.h"
#include "io/fault_file_system.h"
#include "io/mem_file_system.h"
#include "io/test_point.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/import/import_job.h"
#include "testing/import_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

// A positive 12-byte key for k: 2k+1 in its low (little-endian) bytes.
std::string SpillKey(uint32_t k) {
  const uint32_t v = 2 * k + 1;
  std::string s(12, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<size_t>(i)] = static_cast<char>(v >> (8 * i));
  return s;
}

void WriteRun(MemFileSystem* fs, const std::string& path, const std::vector<uint32_t>& keys,
              const std::string& tag, int32_t file_id) {
  SpillRunWriter w(fs, path, 12);
  ASSERT_OK(w.Open());
  for (uint32_t k : keys) {
    const std::string key = SpillKey(k);
    const std::string data = tag + std::to_string(k);
    SpillRecord r;
    r.key = reinterpret_cast<const uint8_t*>(key.data());
    r.data = reinterpret_cast<const uint8_t*>(data.data());
    r.data_size = static_cast<uint32_t>(data.size());
    r.pos = {file_id, k};
    ASSERT_OK(w.Add(r));
  }
  ASSERT_OK(w.Finish());
}

TEST(ImportSpill, RunsMergeInKeyOrderNewestWins) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/t"));
  std::vector<uint32_t> a, b, c;
  for (uint32_t k = 0; k < 30000; k += 2) a.push_back(k);  // several blocks
  for (uint32_t k = 0; k < 30000; k += 3) b.push_back(k);
  c = {5, 6, 29999};
  WriteRun(&fs, "/t/a", a, "a", 1);
  WriteRun(&fs, "/t/b", b, "b", 3);
  WriteRun(&fs, "/t/c", c, "c", 5);
  ZstdBlockCodec codec;
  auto sources = OpenSpillRuns(&fs, {"/t/a", "/t/b", "/t/c"}, 12, &codec);
  ASSERT_OK(sources);
  SpillMerger m(std::move(*sources), 12);
  SpillRecord r;
  std::vector<std::string> got;
  int64_t prev = -1;
  for (;;) {
    auto more = m.Next(&r);
    ASSERT_OK(more);
    if (!*more) break;
    const std::string data(reinterpret_cast<const char*>(r.data), r.data_size);
    const int64_t k = static_cast<int64_t>(r.pos.offset);
    EXPECT_GT(k, prev);
    prev = k;
    const char want = (k == 5 || k == 6 || k == 29999) ? 'c' : (k % 3 == 0 ? 'b' : 'a');
    EXPECT_EQ(data, std::string(1, want) + std::to_string(k)) << k;
    got.push_back(data);
  }
  size_t distinct = 0;
  for (uint32_t k = 0; k < 30000; ++k) {
    distinct += (k % 2 == 0 || k % 3 == 0 || k == 5 || k == 29999);
  }
  EXPECT_EQ(got.size(), distinct);
  // The 5000 multiples of 6 are in a and b; 6 is in c too.
  EXPECT_EQ(m.superseded(), 5001);

  // MergeSpillRuns gives the same run and removes its inputs.
  int64_t sup = 0;
  ASSERT_OK(MergeSpillRuns(&fs, {"/t/a", "/t/b", "/t/c"}, "/t/m", 12, &sup));
  EXPECT_EQ(sup, m.superseded());
  EXPECT_FALSE(fs.Exists("/t/a"));
  SpillRunReader back(&fs, "/t/m", 12, &codec);
  ASSERT_OK(back.Open());
  size_t n = 0;
  for (;;) {
    auto more = back.Next(&r);
    ASSERT_OK(more);
    if (!*more) break;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.data), r.data_size), got[n]);
    ++n;
  }
  EXPECT_EQ(n, got.size());

  // A flipped byte in the second block's frame (in its checksum: a flip elsewhere in compressed
  // bytes may not change the content): Corruption naming the run and the block's offset.
  std::string bytes = fs.ReadAll("/t/m");
  auto le32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
      v = v << 8 | static_cast<uint8_t>(bytes[at + static_cast<size_t>(i)]);
    return v;
  };
  const size_t block1 = 8 + le32(4);
  ASSERT_LT(block1, bytes.size());
  bytes[block1 + 8 + le32(block1 + 4) - 1] ^= 0x40;
  fs.WriteAll("/t/m", bytes);
  SpillRunReader bad(&fs, "/t/m", 12, &codec);
  ASSERT_OK(bad.Open());
  Status st;
  for (;;) {
    auto more = bad.Next(&r);
    if (!more.ok()) {
      st = more.status();
      break;
    }
    ASSERT_TRUE(*more) << "the corruption went unnoticed";
  }
  EXPECT_EQ(st.code(), ErrorCode::kCorruption);
  EXPECT_NE(st.message().find("/t/m: offset " + std::to_string(block1)), std::string::npos)
      << st.message();
}

// Names of the entries under a host's shardtool/tmp (run directories).
std::vector<std::string> RunDirsOf(MemFileSystem& mem, int h) {
  std::vector<std::string> out;
  auto l = mem.ListDir("/cluster/host" + std::to_string(h) + "/shardtool/tmp");
  if (l.ok()) {
    for (const DirEntry& e : *l) out.push_back(e.name);
  }
  return out;
}

int DataFilesOf(MemFileSystem& mem, int h) {
  auto files =
      ListDataFiles(&mem, "/cluster/host" + std::to_string(h) + "/coll.main.0", ImportTitledb());
  EXPECT_OK(files);
  return files.ok() ? static_cast<int>(files->size()) : -1;
}

// Two source files, and with dupes a third that repeats keys of the first with other data (the
// newer wins within a commit; across commits both would stay, for the next merge to decide).
void AddSources(ImportCluster& c, uint64_t seed, bool dupes = true) {
  std::vector<TestRecord> one = TitleRecords(2500, seed, 0.1);
  c.AddSource(1, one);
  c.AddSource(3, TitleRecords(2500, seed + 1, 0.1));
  if (!dupes) return;
  std::vector<TestRecord> again;
  for (size_t i = 0; i < one.size(); i += 3) {
    if (one[i].negative()) continue;
    TestRecord r = one[i];
    r.data += "-newer";
    again.push_back(r);
  }
  c.AddSource(5, again);
}

TEST(ImportSpill, TinyMemoryManySpillsOneFilePerHostPerCommit) {
  ImportCluster c;
  c.Setup();
  AddSources(c, 31);
  ImportRequest q = c.Request();
  q.memory = 24 << 10;       // batches of 12 KiB: dozens of spills
  q.commit_every = 1 << 30;  // one commit
  ImportEnv env = c.Env();
  env.merge_width = 4;  // forces merges of runs before the commit
  auto r = RunImport(c.fs, q, env);
  ASSERT_OK(r);
  EXPECT_OK(r->outcome);
  EXPECT_EQ(r->batches, 1);
  EXPECT_GT(r->runs_spilled, 20);
  EXPECT_GT(r->run_merges, 0);
  EXPECT_GT(r->duplicates_superseded, 500);
  c.ExpectExact();
  for (int h : c.local_hosts) {
    EXPECT_EQ(DataFilesOf(c.mem, h), 2) << "host " << h << ": the initial file and one new";
    EXPECT_TRUE(RunDirsOf(c.mem, h).empty()) << "host " << h;
  }
  // Two commits: one more file per host.
  c.AddSource(7, TitleRecords(3000, 37, 0.1));
  c.AddSource(9, TitleRecords(3000, 38, 0.1));
  q.commit_every = 100 << 10;
  auto more = RunImport(c.fs, q, env);
  ASSERT_OK(more);
  EXPECT_GE(more->batches, 2);
  EXPECT_GT(more->runs_spilled, 4);
  c.ExpectExact();
  for (int h : c.local_hosts) {
    EXPECT_EQ(DataFilesOf(c.mem, h), 2 + more->batches) << "host " << h;
  }
}

// Staged shards spill under <stage>/.import-tmp and become one bundle per shard and commit.
TEST(ImportSpill, StagedShardsSpillToo) {
  ImportCluster c;
  c.local_hosts = {0, 1};
  c.Setup();
  AddSources(c, 41);
  ImportRequest q = c.Request();
  q.memory = 24 << 10;
  q.commit_every = 1 << 30;
  q.stage_dir = "/stage";
  auto r = c.Import(q);
  ASSERT_OK(r);
  EXPECT_GT(r->runs_spilled, 20);
  c.ExpectExact();
  int bundles = 0;
  auto staged = c.Staged("/stage", &bundles);
  EXPECT_EQ(bundles, 2);
  EXPECT_EQ(staged[0], c.Expected(0));
  EXPECT_EQ(staged[1], c.Expected(1));
  auto tmp = c.mem.ListDir("/stage/.import-tmp");
  if (tmp.ok()) {
    EXPECT_TRUE(tmp->empty());
  }
}

// A simulated crash at each spill and merge test point, then a rerun: exact, and the run
// directories the crash left are removed.
TEST(ImportSpill, CrashWhileSpillingOrMergingThenRerun) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  const std::vector<std::pair<std::string, int>> cases = {
      {"import.after_spill", 1},
      {"import.after_spill", 9},
      {"import.run_block", 3},
      {"import.run_block", 60},
      {"import.after_run_merge", 1},
      {"import.after_target_write", 2},
      {"import.after_target_publish", 3},
      // After the last bookmark: the rerun has nothing to import but must still remove the runs.
      {"import.after_bookmark", 2}};
  for (const auto& [point, hit] : cases) {
    SCOPED_TRACE(point + " hit " + std::to_string(hit));
    ImportCluster c;
    c.Setup();
    AddSources(c, 51, false);
    ImportRequest q = c.Request();
    q.memory = 24 << 10;
    q.commit_every = 120 << 10;  // two commits, each with spills
    ImportEnv env = c.Env();
    env.merge_width = 4;
    std::atomic<int> n{0};
    testpoint::SetHandler([&, point = point, hit = hit](std::string_view name) {
      if (name == point && ++n == hit) return IOErrorStatus("crash at " + point);
      return Status::Ok();
    });
    auto r = RunImport(c.fs, q, env);
    testpoint::SetHandler(nullptr);
    ASSERT_FALSE(r.ok());
    c.mem.SimulateCrash();
    bool left = false;
    for (int h : c.local_hosts) left |= !RunDirsOf(c.mem, h).empty();
    EXPECT_TRUE(left) << "the crash left no run directory";
    auto again = RunImport(c.fs, q, env);
    ASSERT_OK(again);
    EXPECT_OK(again->outcome);
    bool warned = false;
    for (const std::string& w : again->warnings) warned |= w.find("run directories") != w.npos;
    EXPECT_TRUE(warned);
    c.ExpectExact();
    for (int h : c.local_hosts) EXPECT_TRUE(RunDirsOf(c.mem, h).empty()) << "host " << h;
  }
}

// ENOSPC while spilling: exit 7, the runs are removed (space is given back), nothing visible
// changes; a rerun with space completes exactly.
TEST(ImportSpill, NoSpaceWhileSpillingFailsCleanlyThenRerunCompletes) {
  ImportCluster c;
  c.Setup();
  AddSources(c, 61);
  ImportRequest q = c.Request();
  q.memory = 24 << 10;
  q.commit_every = 1 << 30;
  FaultFileSystem faults(&c.mem);
  faults.AddRule(FaultRule::Fail(FsOp::kAppend, ENOSPC).OnPath("/shardtool/tmp/").Nth(5).Always());
  c.fs = &faults;
  auto r = c.Import(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 7) << r.status().ToString();
  EXPECT_NE(r.status().message().find("/shardtool/tmp/import.main.titledb."), std::string::npos)
      << r.status().message();
  for (int h : c.local_hosts) {
    EXPECT_TRUE(RunDirsOf(c.mem, h).empty()) << "host " << h;
    EXPECT_EQ(DataFilesOf(c.mem, h), 1) << "host " << h;
  }
  c.fs = &c.mem;
  auto again = c.Import(q);
  ASSERT_OK(again);
  c.ExpectExact();
}

}  // namespace
}  // namespace shardtool::testing
