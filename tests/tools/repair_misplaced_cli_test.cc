// `shardtool repair misplaced` on the command line (issue 18 §1): usage and lookup errors, the
// --json document of a dry run and of a run, the text for people, and "nothing misplaced" writing
// nothing. The crash behaviour is in tests/jobs/repair_misplaced_test.cc and
// tests/cli/repair_kill.sh.
#include <gtest/gtest.h>

#include <filesystem>

#include "gen/sample_cluster.h"
#include "testing/paths.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;
using testing::St;

class MisplacedCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/st-misplaced-XXXXXX";
    root_ = mkdtemp(tmpl);
    gen::GenOptions o;
    o.out = root_ + "/c";
    o.shards = 2;
    o.mirrors = 0;
    o.docs = 80;
    o.files = 2;
    o.rdbs = {"posdb", "titledb"};
    o.page_bytes = 800;
    o.words_per_doc = 10;
    gen::GenReport rep;
    ASSERT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
    for (int h = 0; h < 2; ++h) {
      auto r = St({"--workdir", Host(h), "init", "--hosts", root_ + "/c/hosts.conf", "--host-id",
                   std::to_string(h)});
      ASSERT_EQ(r.code, 0) << r.err;
    }
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Host(int h) const { return root_ + "/c/host" + std::to_string(h); }
  // Host 1's posdb file 1 copied into host 0 as file 21: misplaced there.
  void Plant() {
    const std::string from = Host(1) + "/coll.main.0/", to = Host(0) + "/coll.main.0/";
    for (const char* ext : {".dat", ".map", ".crc"}) {
      if (fs::exists(from + "posdb0001" + ext)) {
        fs::copy_file(from + "posdb0001" + ext, to + "posdb0021" + ext);
      }
    }
  }
  std::string root_;
};

TEST_F(MisplacedCli, UsageAndLookupErrors) {
  EXPECT_EQ(St({"--workdir", Host(0), "repair", "misplaced"}).code, 2);
  auto no_db = St({"--workdir", Host(0), "--json", "repair", "misplaced", "nosuch"});
  EXPECT_EQ(no_db.code, 3) << no_db.out;
  EXPECT_EQ(no_db.json()["error"]["name"], "NamespaceNotFound");
  EXPECT_EQ(St({"--workdir", Host(0), "repair", "misplaced", "main", "--rdb", "nosuch"}).code, 3);
  EXPECT_EQ(St({"--workdir", Host(0), "repair", "misplaced", "main", "--rdb", "a.b"}).code, 2);
}

TEST_F(MisplacedCli, NothingMisplacedWritesNothing) {
  const auto before = testing::Hashes(Host(0) + "/coll.main.0");
  auto r = St({"--workdir", Host(0), "--json", "repair", "misplaced", "main"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["command"], "repair misplaced");
  EXPECT_EQ(j["summary"]["misplaced"], 0);
  EXPECT_EQ(j["to"], "shardtool/outbox");
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(testing::Hashes(Host(0) + "/coll.main.0"), before);
  EXPECT_FALSE(fs::exists(Host(0) + "/shardtool/outbox"));
  auto text = St({"--workdir", Host(0), "repair", "misplaced", "main"});
  EXPECT_NE(text.out.find("nothing misplaced, nothing written"), std::string::npos) << text.out;
}

TEST_F(MisplacedCli, DryRunThenRunWithJson) {
  Plant();
  const auto before = testing::Hashes(Host(0) + "/coll.main.0");
  auto dry = St({"--workdir", Host(0), "--json", "repair", "misplaced", "main", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  auto d = dry.json();
  EXPECT_EQ(d["dry_run"], true);
  const int64_t n = d["summary"]["misplaced"].get<int64_t>();
  EXPECT_GT(n, 0);
  EXPECT_EQ(d["summary"]["by_owner"]["1"], n);
  EXPECT_EQ(testing::Hashes(Host(0) + "/coll.main.0"), before);

  const std::string to = root_ + "/out";
  auto run = St({"--workdir", Host(0), "--json", "repair", "misplaced", "main", "--to", to});
  ASSERT_EQ(run.code, 0) << run.err;
  auto j = run.json();
  EXPECT_EQ(j["summary"]["misplaced"], n);
  EXPECT_EQ(j["to"], to);
  int64_t in_bundles = 0;
  for (const auto& rdb : j["rdbs"]) {
    if (rdb["rdb"] == "posdb") {
      EXPECT_EQ(rdb["merged"], true);
      ASSERT_EQ(rdb["bundles"].size(), 1u);
    } else {
      EXPECT_EQ(rdb["bundles"].size(), 0u);
    }
    for (const auto& b : rdb["bundles"]) {
      EXPECT_EQ(b["target_shard"], 1);
      EXPECT_NE(b["target_shard_version"], "");
      EXPECT_TRUE(fs::exists(b["dir"].get<std::string>() + "/manifest.json"));
      in_bundles += b["records"].get<int64_t>();
    }
  }
  EXPECT_EQ(in_bundles, n);
  EXPECT_EQ(St({"--workdir", Host(0), "verify", "main"}).code, 0);
  // The bundles ingest on their owner.
  for (const auto& e : fs::directory_iterator(to)) {
    auto in = St({"--workdir", Host(1), "ingest", e.path().string()});
    EXPECT_EQ(in.code, 0) << in.err;
  }
}

}  // namespace
}  // namespace shardtool
