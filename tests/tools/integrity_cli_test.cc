// Issue 16 on the command line: bookmarks per Rdb (item 6), an import of a host's own collection
// dir (item 12), sane usage errors for numeric options, and stop signals before a job's start.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gen/sample_cluster.h"
#include "io/test_point.h"
#include "testing/paths.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;
using Out = testing::CliOut;
using testing::St;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class IntegrityCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-integrity-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  // A 2-shard, 1-mirror cluster of `rdbs` with every host initialised (shards 1: one host).
  static std::string Cluster(const std::string& name, std::vector<std::string> rdbs, int shards = 2,
                             int mirrors = 1, uint64_t seed = 1) {
    const std::string c = root_ + "/" + name;
    fs::remove_all(c);
    gen::GenOptions o;
    o.out = c;
    o.shards = shards;
    o.mirrors = mirrors;
    o.docs = 60;
    o.files = 2;
    o.rdbs = std::move(rdbs);
    o.page_bytes = 800;
    o.words_per_doc = 10;
    o.seed = seed;
    gen::GenReport rep;
    EXPECT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
    const int hosts = shards * (mirrors + 1);
    for (int h = 0; h < hosts; ++h) {
      Out r = St({"--workdir", c + "/host" + std::to_string(h), "init", "--hosts",
                  c + "/hosts.conf", "--host-id", std::to_string(h)});
      EXPECT_EQ(r.code, 0) << r.err;
    }
    return c;
  }
  static std::string root_;
};
std::string IntegrityCli::root_;

// lasttitledbinjectinfo.dat belongs to titledb injects: a posdb import neither reads it (its
// file id 7 is no posdb file: the old code failed with I8) nor rewrites it.
TEST_F(IntegrityCli, PosdbImportLeavesGigablastsTitledbBookmarkAlone) {
  const std::string c = Cluster("bm", {"titledb", "posdb"});
  const std::string src = Cluster("bm-src", {"posdb"}, 1, 0, 7) + "/host0/coll.main.0";
  const std::string legacy = c + "/host0/lasttitledbinjectinfo.dat";
  std::ofstream(legacy) << "3872145,7";
  Out r = St({"--workdir", c + "/host0", "import", "--dir", src, "--db", "main", "--rdb", "posdb"});
  EXPECT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_EQ(ReadWhole(legacy), "3872145,7");
  Out again =
      St({"--workdir", c + "/host0", "import", "--dir", src, "--db", "main", "--rdb", "posdb"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.out;
  EXPECT_EQ(ReadWhole(legacy), "3872145,7");
  Out bm = St({"--workdir", c + "/host0", "import", "--dir", src, "--db", "main", "--rdb", "posdb",
               "--bookmark", legacy});
  EXPECT_EQ(bm.code, 2) << bm.err;
  EXPECT_NE(bm.err.find("titledb"), std::string::npos) << bm.err;
}

// Importing a host's own collection dir would duplicate every record: refused, nothing written.
TEST_F(IntegrityCli, ImportOfTheHostsOwnCollectionDirIsRefused) {
  const std::string c = Cluster("own", {"titledb"});
  const auto before = testing::Hashes(c, "/shardtool/");
  for (const std::string& dir :
       {c + "/host0/coll.main.0", c + "/host0/coll.main.0/", c + "/host1/../host0/coll.main.0"}) {
    Out r = St({"--workdir", c + "/host0", "import", "--dir", dir, "--db", "main"});
    EXPECT_EQ(r.code, 3) << dir << ": " << r.err;
    EXPECT_NE(r.err.find("duplicate"), std::string::npos) << r.err;
  }
  // Another host's dir on this machine is a target too.
  Out r =
      St({"--workdir", c + "/host0", "import", "--dir", c + "/host2/coll.main.0", "--db", "main"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(testing::Hashes(c, "/shardtool/"), before);
}

// Numeric options say what they accept, not CLI11's range up to DBL_MAX.
TEST_F(IntegrityCli, NumericOptionsGiveSaneUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"verify", "main", "--threads", "0"},
        std::vector<std::string>{"verify", "main", "--report-limit", "-1"},
        std::vector<std::string>{"--lock-timeout", "-1", "verify", "main"},
        std::vector<std::string>{"merge", "main", "--rdb", "posdb", "--all", "--rate", "0"}}) {
    std::vector<std::string> full = {"--workdir", root_ + "/none"};
    full.insert(full.end(), args.begin(), args.end());
    Out r = St(full);
    EXPECT_EQ(r.code, 2) << args[args.size() - 2];
    EXPECT_LT(r.err.size(), 300u) << r.err;
    EXPECT_TRUE(r.err.find("must be") != std::string::npos) << r.err;
  }
}

// SIGTERM that arrives after verify acquired its files but before its job started: the handler is
// installed at program start, so the run stops cleanly (exit 9: leases stashed for --resume),
// instead of dying with 143 and leaving live leases behind.
TEST_F(IntegrityCli, SigtermBeforeTheJobStartsStopsCleanly) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "needs a build with SHARDTOOL_TEST_POINTS";
  const std::string c = Cluster("sig", {"titledb"}, 1, 0);
  testing::Proc v(c + "/verify", {"--workdir", c + "/host0", "verify", "main"},
                  "verify.after_acquire");
  ASSERT_TRUE(v.Reached()) << v.err();
  kill(v.pid(), SIGTERM);
  v.Go();
  EXPECT_EQ(v.Wait(), 9) << v.err();
  Out resume = St({"--workdir", c + "/host0", "verify", "main", "--resume"});
  EXPECT_EQ(resume.code, 0) << resume.err << resume.out;
}

// repair on a copy of the golden Gigablast dir: every map rebuilt is Gigablast's, byte for byte;
// every file gets its sidecar, after which verify checks its pages; a second sidecar is refused.
TEST_F(IntegrityCli, RepairOnGigablastsOwnFiles) {
  const std::string w = root_ + "/golden";
  fs::create_directories(w);
  fs::copy(testing::SourceDir() + "/tests/data/gigablast/coll.main.0", w + "/coll.main.0");
  std::ofstream(w + "/hosts.conf")
      << "num-mirrors: 0\n0 5998 7000 8000 9000 127.0.0.1 127.0.0.1 " << w << "\n";
  Out init = St({"--workdir", w, "init", "--host-id", "0"});
  ASSERT_EQ(init.code, 0) << init.err;
  int maps = 0;
  for (const auto& e : fs::directory_iterator(w + "/coll.main.0")) {
    const std::string name = e.path().filename().string();
    if (name.size() < 4 || name.substr(name.size() - 4) != ".map") continue;
    const std::string map = ReadWhole(e.path().string());
    fs::remove(e.path());
    std::string dat = name.substr(0, name.size() - 4);
    dat += dat.rfind("titledb", 0) == 0 ? "-000.dat" : ".dat";
    Out r = St({"--workdir", w, "--json", "repair", "map", "coll.main.0/" + dat});
    ASSERT_EQ(r.code, 0) << r.err << r.out;
    EXPECT_EQ(r.json()["written"], "coll.main.0/" + name);
    EXPECT_EQ(ReadWhole(e.path().string()), map) << name;
    Out s = St({"--workdir", w, "repair", "sidecar", "coll.main.0/" + dat});
    EXPECT_EQ(s.code, 0) << s.err;
    Out again = St({"--workdir", w, "repair", "sidecar", "coll.main.0/" + dat});
    EXPECT_EQ(again.code, 3) << again.err;
    ++maps;
  }
  EXPECT_EQ(maps, 5);
  Out v = St({"--workdir", w, "--json", "verify", "main"});
  EXPECT_EQ(v.code, 0) << v.out << v.err;
}

}  // namespace
}  // namespace shardtool
