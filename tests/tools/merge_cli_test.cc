// `shardtool merge` driven in-process on clusters written by the sample generator (real files),
// plus one real second process for the lock: JSON per doc/architecture.md §9, exit codes,
// --dry-run,
// --max-duration and the rerun, orphans to bundles after move-slots, views and usage errors.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/crc32c.h"
#include "cli/shardtool_main.h"
#include "gen/sample_cluster.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;

using Out = testing::CliOut;
using testing::St;

using testing::Hashes;

class MergeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-merge-XXXXXX";
    root_ = mkdtemp(tmpl);
    gen::GenOptions o;
    o.out = root_ + "/c";
    o.shards = 2;
    o.mirrors = 0;
    o.docs = 1500;
    o.files = 4;
    o.words_per_doc = 40;
    o.page_bytes = 2000;
    gen::GenReport rep;
    ASSERT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // A fresh initialised copy of host 0.
  std::string Host(const std::string& name) {
    const std::string h = root_ + "/" + name;
    fs::remove_all(h);
    fs::copy(root_ + "/c/host0", h, fs::copy_options::recursive);
    Out r = St({"--workdir", h, "init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "0"});
    EXPECT_EQ(r.code, 0) << r.err;
    return h;
  }

  static std::string root_;
};
std::string MergeCli::root_;

TEST_F(MergeCli, AllMergesAndJsonFollowsDesign9) {
  const std::string h = Host("all");
  Out r = St({"--workdir", h, "--json", "merge", "main", "--rdb", "posdb", "--all"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = r.json();
  for (const char* k : {"schema_version", "command", "database", "rdb", "inputs", "output",
                        "resumed", "records_in", "records_out", "annihilated", "negatives_dropped",
                        "orphans", "bytes_in", "bytes_out", "seconds", "dry_run"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  for (const char* k : {"dropped", "exported", "deferred"}) EXPECT_TRUE(j["orphans"].contains(k));
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["command"], "merge");
  EXPECT_EQ(j["inputs"].size(), 4u);
  EXPECT_EQ(j["inputs"][0], "coll.main.0/posdb0001.dat");
  EXPECT_EQ(j["output"], "coll.main.0/posdb0001.dat");
  EXPECT_EQ(j["resumed"], false);
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["records_in"].get<int64_t>(), j["records_out"].get<int64_t>() +
                                                j["annihilated"].get<int64_t>() +
                                                j["negatives_dropped"].get<int64_t>());
  EXPECT_EQ(j["bytes_out"].get<uint64_t>(), fs::file_size(h + "/coll.main.0/posdb0001.dat"));
  EXPECT_FALSE(fs::exists(h + "/coll.main.0/posdb0003.dat"));
  Out v = St({"--workdir", h, "verify", "main"});
  EXPECT_EQ(v.code, 0) << v.out;
  // Text output, and nothing left to merge for --auto.
  Out t = St({"--workdir", h, "merge", "main", "--rdb", "titledb", "--files", "5,7"});
  EXPECT_EQ(t.code, 0) << t.err;
  EXPECT_NE(t.out.find("merge main.titledb: 2 files -> coll.main.0/titledb0005-000.dat"),
            std::string::npos)
      << t.out;
  Out a = St({"--workdir", h, "--json", "merge", "main", "--rdb", "posdb"});
  EXPECT_EQ(a.code, 0);
  EXPECT_EQ(a.json()["nothing_to_do"], true);
}

// Issue 16, the reported case: one flipped bit in a key byte of posdb0001.dat (which has a
// sidecar). verify says C4; merge used to exit 0 with a fresh sidecar over the damaged record, and
// verify then said OK. Now merge exits 8, changes nothing and leaves no target; --abort has
// nothing to discard.
TEST_F(MergeCli, DamagedInputIsNotLaundered) {
  const std::string h = Host("launder");
  const std::string dat = h + "/coll.main.0/posdb0001.dat";
  {
    std::fstream f(dat, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4000);
    char c;
    f.read(&c, 1);
    f.seekp(4000);
    c ^= 0x10;
    f.write(&c, 1);
  }
  EXPECT_EQ(St({"--workdir", h, "verify", "main", "--rdb", "posdb"}).code, 1);
  const auto before = Hashes(h, "/shardtool/");
  Out m = St({"--workdir", h, "merge", "main", "--rdb", "posdb", "--all"});
  EXPECT_EQ(m.code, 8) << m.out << m.err;
  EXPECT_NE(m.err.find("posdb0001.dat"), std::string::npos) << m.err;
  EXPECT_EQ(Hashes(h, "/shardtool/"), before);
  EXPECT_EQ(St({"--workdir", h, "verify", "main", "--rdb", "posdb"}).code, 1);
  Out a = St({"--workdir", h, "--json", "merge", "main", "--rdb", "posdb", "--abort"});
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.json()["nothing_to_do"], true);
  EXPECT_EQ(St({"--workdir", h, "merge", "main", "--rdb", "posdb", "--abort", "--all"}).code, 2);
}

TEST_F(MergeCli, DryRunWritesNothing) {
  const std::string h = Host("dry");
  const auto before = Hashes(h, "/shardtool/locks/");
  Out r = St({"--workdir", h, "--json", "merge", "main", "--rdb", "indexdb", "--all", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.json()["dry_run"], true);
  EXPECT_GT(r.json()["records_out"].get<int64_t>(), 0);
  EXPECT_EQ(Hashes(h, "/shardtool/locks/"), before);
}

TEST_F(MergeCli, MaxDurationStopsWithExit9AndARerunContinues) {
  const std::string h = Host("dur");
  Out r = St({"--workdir", h, "--json", "merge", "main", "--rdb", "posdb", "--all",
              "--max-duration", "0.000001"});
  ASSERT_EQ(r.code, 9) << r.err << r.out;
  EXPECT_EQ(r.json()["error"]["name"], "Interrupted");
  Out again = St({"--workdir", h, "--json", "merge", "main", "--rdb", "posdb", "--all"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.json()["resumed"], true);
  EXPECT_EQ(St({"--workdir", h, "verify", "main", "--rdb", "posdb"}).code, 0);
}

TEST_F(MergeCli, OrphansLeaveAsBundlesAfterMoveSlots) {
  const std::string h = Host("orphans");
  Out m = St({"--workdir", h, "catalog", "move-slots", "--slots", "0-2047", "--to-shard", "1",
              "--orphan-delay", "3600"});
  ASSERT_EQ(m.code, 0) << m.err;
  // Not ready yet: kept, exit 4.
  Out d = St({"--workdir", h, "--json", "merge", "main", "--rdb", "titledb", "--files", "1,3",
              "--cleanup-orphans"});
  EXPECT_EQ(d.code, 4) << d.out;
  EXPECT_EQ(d.json()["error"]["name"], "RangeDeletionDeferred");
  EXPECT_GT(d.json()["orphans"]["deferred"].get<int64_t>(), 0);
  // With --orphan-delay 0 they leave, to a bundle for shard 1.
  Out r = St({"--workdir", h, "--json", "merge", "main", "--rdb", "posdb", "--all", "--orphans-to",
              root_ + "/moved", "--orphan-delay", "0"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = r.json();
  EXPECT_GT(j["orphans"]["dropped"].get<int64_t>(), 0);
  EXPECT_EQ(j["orphans"]["exported"], j["orphans"]["dropped"]);
  ASSERT_EQ(j["bundles"].size(), 1u);
  const std::string bundle = j["bundles"][0];
  EXPECT_NE(bundle.find("main.posdb.s1."), std::string::npos);
  EXPECT_TRUE(fs::exists(bundle + "/manifest.json"));
  // The cleanup covered every posdb file: posdb's range deletion is done; titledb's still waits.
  EXPECT_EQ(j["range_deletions_completed"], true);
  Out c = St({"--workdir", h, "--json", "catalog", "show"});
  ASSERT_EQ(c.code, 0);
  std::vector<std::string> left;
  const auto catalog = c.json();
  for (const auto& rd : catalog["rangeDeletions"]) left.push_back(rd["ns"].get<std::string>());
  EXPECT_EQ(std::count(left.begin(), left.end(), "main.posdb"), 0);
  EXPECT_EQ(std::count(left.begin(), left.end(), "main.titledb"), 1);
}

TEST_F(MergeCli, SR13_ViewsAndUsageErrors) {
  const std::string h = Host("usage");
  Out v = St({"--workdir", h, "catalog", "create-view", "main.recent", "--on", "main.titledb",
              "--min", "000000000000000000000000", "--max", "7fffffffffffffffffffffff"});
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(St({"--workdir", h, "merge", "main", "--rdb", "recent", "--all"}).code, 3);
  EXPECT_EQ(St({"--workdir", h, "merge", "main", "--rdb", "posdb", "--all", "--auto"}).code, 2);
  EXPECT_EQ(St({"--workdir", h, "merge", "main", "--rdb", "posdb", "--files", "1,x"}).code, 2);
  EXPECT_EQ(St({"--workdir", h, "merge", "main", "--rdb", "posdb", "--files", "1,5"}).code, 2);
  EXPECT_EQ(
      St({"--workdir", h, "merge", "main", "--rdb", "posdb", "--all", "--max-extra-disk", "12Q"})
          .code,
      2);
  EXPECT_EQ(St({"--workdir", h, "merge", "main"}).code, 2);  // --rdb is required
  Out nf = St({"--workdir", h, "--json", "merge", "nosuch", "--rdb", "posdb"});
  EXPECT_EQ(nf.code, 3);
  EXPECT_EQ(nf.json()["error"]["name"], "NamespaceNotFound");
}

// SR46: merge A runs on titledb (a real process, paused at a test point); merge B on titledb
// exits 4 at once; A is unaffected.
TEST_F(MergeCli, SR46_SecondMergeOfACollectionExits4) {
  const std::string h = Host("busy");
  const std::string prefix = root_ + "/pause";
  fs::remove(prefix + ".reached");
  fs::remove(prefix + ".go");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("SHARDTOOL_TEST_PAUSE_AT", ("merge.after_target_create:" + prefix).c_str(), 1);
    execl(SHARDTOOL_BIN, SHARDTOOL_BIN, "--workdir", h.c_str(), "merge", "main", "--rdb", "titledb",
          "--all", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 1000 && !fs::exists(prefix + ".reached"); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(prefix + ".reached")) << "the first merge did not start";
  Out b = St({"--workdir", h, "--json", "merge", "main", "--rdb", "titledb", "--all"});
  EXPECT_EQ(b.code, 4) << b.out;
  EXPECT_EQ(b.json()["error"]["name"], "LockTimeout");
  // Another collection is not held.
  EXPECT_EQ(St({"--workdir", h, "merge", "main", "--rdb", "clusterdb", "--all"}).code, 0);
  std::ofstream(prefix + ".go").put('\n');
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(fs::exists(h + "/coll.main.0/titledb0001-000.dat"));
  EXPECT_FALSE(fs::exists(h + "/coll.main.0/titledb0003-000.dat"));
  EXPECT_EQ(St({"--workdir", h, "verify", "main"}).code, 0);
}

}  // namespace
}  // namespace shardtool
