// `shardtool import` and `shardtool ingest` driven in-process on clusters written by the sample
// generator (real files): JSON per DESIGN.md §9, exit codes, --dry-run, --max-duration and the
// rerun, a finished import doing nothing, staged bundles and ingest, usage errors.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/shardtool_main.h"
#include "gen/sample_cluster.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;

using Out = testing::CliOut;
using testing::St;

class ImportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-import-XXXXXX";
    root_ = mkdtemp(tmpl);
    gen::GenOptions f;
    f.out = root_ + "/foreign";
    f.shards = 1;
    f.mirrors = 0;
    f.docs = 600;
    f.files = 2;
    f.rdbs = {"titledb"};
    f.page_bytes = 2000;
    f.seed = 9;
    gen::GenReport rep;
    ASSERT_TRUE(gen::GenerateCluster(PosixFS(), f, &rep).ok());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // A fresh 2-shard, 1-mirror cluster, every host initialised.
  std::string Cluster(const std::string& name) {
    const std::string c = root_ + "/" + name;
    fs::remove_all(c);
    gen::GenOptions o;
    o.out = c;
    o.shards = 2;
    o.mirrors = 1;
    o.docs = 50;
    o.files = 1;
    o.rdbs = {"titledb"};
    o.page_bytes = 1000;
    gen::GenReport rep;
    EXPECT_TRUE(gen::GenerateCluster(PosixFS(), o, &rep).ok());
    for (int h = 0; h < 4; ++h) {
      Out r = St({"--workdir", c + "/host" + std::to_string(h), "init", "--hosts",
                  c + "/hosts.conf", "--host-id", std::to_string(h)});
      EXPECT_EQ(r.code, 0) << r.err;
    }
    return c;
  }
  std::string Source() const { return root_ + "/foreign/host0/coll.main.0"; }

  static std::string root_;
};
std::string ImportCli::root_;

TEST_F(ImportCli, ImportsJsonFollowsDesign9AndRerunDoesNothing) {
  const std::string c = Cluster("plain");
  Out r = St({"--workdir", c + "/host0", "--json", "import", "--dir", Source(), "--db", "main",
              "--memory", "1M"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = r.json();
  for (const char* k : {"schema_version", "command", "database", "source_dir", "resumed", "files",
                        "routed", "quarantined", "bookmark", "seconds", "dry_run"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["command"], "import");
  ASSERT_EQ(j["files"].size(), 2u);
  for (const char* k : {"file", "id", "records", "negatives_skipped", "findings"}) {
    EXPECT_TRUE(j["files"][0].contains(k)) << k;
  }
  const int64_t records = j["records"];
  EXPECT_EQ(static_cast<int64_t>(j["routed"]["0"]) + static_cast<int64_t>(j["routed"]["1"]),
            records);
  // Every host got its shard's records: 4 targets, one new file each (one commit: the 634 KB
  // source does not fit in the 512 KiB batches of --memory 1M, so the first batch was spilled).
  ASSERT_EQ(j["targets"].size(), 4u);
  for (const auto& t : j["targets"]) {
    EXPECT_GT(t["records"], 0);
    EXPECT_EQ(t["files"].size(), 1u);
  }
  EXPECT_EQ(j["batches"], 1);
  EXPECT_GE(j["runs_spilled"], 2);
  EXPECT_GT(j["spill_bytes"], 0);
  EXPECT_EQ(j["run_merges"], 0);
  // The imported files verify clean on every host (ownership included).
  for (int h = 0; h < 4; ++h) {
    Out v =
        St({"--workdir", c + "/host" + std::to_string(h), "verify", "main", "--rdb", "titledb"});
    EXPECT_EQ(v.code, 0) << v.out << v.err;
  }
  // The Gigablast bookmark names the last file and its size.
  EXPECT_TRUE(fs::exists(c + "/host0/lasttitledbinjectinfo.dat"));
  Out again = St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to do"), std::string::npos) << again.out;
}

TEST_F(ImportCli, DryRunAndMaxDuration) {
  const std::string c = Cluster("dry");
  Out d = St({"--workdir", c + "/host0", "--json", "import", "--dir", Source(), "--db", "main",
              "--dry-run"});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_EQ(d.json()["dry_run"], true);
  EXPECT_FALSE(fs::exists(c + "/host0/lasttitledbinjectinfo.dat"));
  // --max-duration tiny: stops at a batch commit with exit 9; reruns finish.
  Out s = St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main", "--memory",
              "1M", "--max-duration", "0.001"});
  EXPECT_TRUE(s.code == 9 || s.code == 0) << s.code << s.err;
  int code = s.code;
  for (int i = 0; i < 10 && code == 9; ++i) {
    code = St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main", "--memory",
               "1M", "--max-duration", "0.001"})
               .code;
  }
  EXPECT_EQ(St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main"}).code, 0);
}

TEST_F(ImportCli, StageDirAndIngest) {
  const std::string c = Cluster("stage");
  // Hosts 2 and 3 are "on another machine".
  fs::rename(c + "/host2", c + "/away2");
  fs::rename(c + "/host3", c + "/away3");
  Out no = St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main"});
  EXPECT_EQ(no.code, 3) << no.err;
  EXPECT_NE(no.err.find("--stage-dir"), std::string::npos) << no.err;
  Out r = St({"--workdir", c + "/host0", "--json", "import", "--dir", Source(), "--db", "main",
              "--stage-dir", c + "/stage"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  fs::rename(c + "/away2", c + "/host2");
  fs::rename(c + "/away3", c + "/host3");
  int ingested = 0;
  for (const auto& e : fs::directory_iterator(c + "/stage")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("main.titledb.s", 0) != 0) continue;
    const int shard = name[14] - '0';
    const std::string owner = c + "/host" + std::to_string(2 + shard);
    const std::string other = c + "/host" + std::to_string(3 - shard);
    Out wrong = St({"--workdir", other, "ingest", e.path().string()});
    EXPECT_EQ(wrong.code, 3) << wrong.err;
    Out in = St({"--workdir", owner, "--json", "ingest", e.path().string()});
    ASSERT_EQ(in.code, 0) << in.err;
    Out twice = St({"--workdir", owner, "ingest", e.path().string()});
    EXPECT_EQ(twice.code, 0);
    EXPECT_NE(twice.out.find("already ingested"), std::string::npos) << twice.out;
    ++ingested;
  }
  EXPECT_GE(ingested, 2);
  for (int h = 2; h < 4; ++h) {
    Out v =
        St({"--workdir", c + "/host" + std::to_string(h), "verify", "main", "--rdb", "titledb"});
    EXPECT_EQ(v.code, 0) << v.out << v.err;
  }
}

TEST_F(ImportCli, UsageAndMissingThings) {
  const std::string c = Cluster("usage");
  EXPECT_EQ(St({"--workdir", c + "/host0", "import", "--db", "main"}).code, 2);
  EXPECT_EQ(St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main", "--rdb",
                "doledb"})
                .code,
            2);
  EXPECT_EQ(St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "nosuch"}).code, 3);
  EXPECT_EQ(St({"--workdir", c + "/host0", "import", "--dir", "/nonexistent", "--db", "main"}).code,
            3);
  EXPECT_EQ(St({"--workdir", c + "/host0", "ingest", "/nonexistent"}).code, 3);
  for (const char* bad : {"512K", "2X", "lots"}) {
    Out r = St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main",
                "--commit-every", bad});
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.err.find("--commit-every"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace shardtool
