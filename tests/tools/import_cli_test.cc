// `shardtool import` and `shardtool ingest` driven in-process on clusters written by the sample
// generator (real files): JSON per doc/architecture.md §9, exit codes, --dry-run, --max-duration
// and the rerun, a finished import doing nothing, staged bundles and ingest, usage errors.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "catalog/discovery.h"
#include "cli/shardtool_main.h"
#include "format/key.h"
#include "format/rdb_registry.h"
#include "gen/sample_cluster.h"
#include "testing/record_lists.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;

using Out = testing::CliOut;
using testing::St;

// Every titledb key of a collection dir (part 0 of each file; the small test files have one part),
// with how many files hold it; negatives are left out.
std::map<std::string, int> TitledbKeys(const std::string& dir) {
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::map<std::string, int> keys;
  auto files = ListDataFiles(PosixFS(), dir, rdb);
  EXPECT_OK(files);
  if (!files.ok()) return keys;
  for (const CommittedFile& f : *files) {
    std::ifstream in(dir + "/" + f.name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    DecodeStatus st;
    for (const auto& r : testing::DecodeAll(rdb, ss.str(), &st)) {
      if (!KeyIsNegative(r.key.data())) keys[r.key.ToHex()]++;
    }
    EXPECT_EQ(st, DecodeStatus::kOk) << f.name;
  }
  return keys;
}

class ImportCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-import-XXXXXX";
    root_ = mkdtemp(tmpl);
    ForeignCluster(root_ + "/foreign", 600, 9);
  }
  // A foreign one-host cluster with two titledb files of `docs` documents (~1 KB each); returns
  // its collection dir (the import source).
  static std::string ForeignCluster(const std::string& out, uint64_t docs, uint64_t seed) {
    gen::GenOptions f;
    f.out = out;
    f.shards = 1;
    f.mirrors = 0;
    f.docs = docs;
    f.files = 2;
    f.rdbs = {"titledb"};
    f.page_bytes = 2000;
    f.seed = seed;
    gen::GenReport rep;
    EXPECT_OK(gen::GenerateCluster(PosixFS(), f, &rep));
    return out + "/host0/coll.main.0";
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
    EXPECT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
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

// An import killed while spilling leaves its runs in shardtool/tmp/: inspect db lists them (they
// are only a cache), and the next import of the same source removes them and finishes.
TEST_F(ImportCli, KilledImportsSpillRunsAreListedThenRemovedByTheRerun) {
  const std::string c = Cluster("spill");
  testing::Proc imp(
      c + "/import",
      {"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main", "--memory", "1M"},
      "import.after_spill");
  ASSERT_TRUE(imp.Reached()) << "exit " << imp.Wait() << ": " << imp.err();
  imp.Kill9();
  Out in = St({"--workdir", c + "/host0", "--json", "inspect", "db", "main"});
  ASSERT_EQ(in.code, 0) << in.err;
  auto runs = in.json()["spill_runs"];
  ASSERT_EQ(runs.size(), 1u) << in.out;
  EXPECT_EQ(runs[0]["path"].get<std::string>().rfind("shardtool/tmp/import.main.titledb.", 0), 0u)
      << runs[0];
  EXPECT_GT(runs[0]["size"], 0);
  Out text = St({"--workdir", c + "/host0", "inspect", "db", "main"});
  EXPECT_NE(text.out.find("import spill runs"), std::string::npos) << text.out;
  Out again = St({"--workdir", c + "/host0", "import", "--dir", Source(), "--db", "main"});
  ASSERT_EQ(again.code, 0) << again.err;
  Out after = St({"--workdir", c + "/host0", "--json", "inspect", "db", "main"});
  EXPECT_TRUE(after.json()["spill_runs"].empty()) << after.out;
}

// SR53 (CLI): an import paused at a yield after its first commit; `catalog move-slots` gives
// shard 0 the slots 1-99 on every host; the import exits 5 at its next placement check; the rerun
// continues from its bookmark under the new placement. Every source key ends up on the hosts of
// exactly one shard, once on each: its current owner, or, for a moved slot whose record was
// committed before the move, its old owner (an orphan for merge --cleanup-orphans).
TEST_F(ImportCli, SR53_CatalogChangeMidImportExits5AndTheRerunUsesTheNewPlacement) {
  const std::string c = Cluster("sr53");
  // A source of ~3 MB: three commits of --commit-every 1M.
  const std::string src = ForeignCluster(c + "/foreign", 3000, 53);
  std::map<int, std::map<std::string, int>> before;
  for (int h = 0; h < 4; ++h)
    before[h] = TitledbKeys(c + "/host" + std::to_string(h) + "/coll.main.0");
  testing::Proc imp(c + "/import",
                    {"--workdir", c + "/host0", "--json", "import", "--dir", src, "--db", "main",
                     "--memory", "1M", "--commit-every", "1M"},
                    "import.yielded");
  ASSERT_TRUE(imp.Reached()) << "exit " << imp.Wait() << ": " << imp.out() << imp.err();
  for (int h = 0; h < 4; ++h) {
    Out m = St({"--workdir", c + "/host" + std::to_string(h), "catalog", "move-slots", "--slots",
                "1-99", "--to-shard", "0"});
    ASSERT_EQ(m.code, 0) << m.err;
  }
  imp.Go();
  ASSERT_EQ(imp.Wait(), 5) << imp.err();
  EXPECT_EQ(imp.Json()["error"]["name"], "StaleConfig") << imp.out();
  Out again = St({"--workdir", c + "/host0", "--json", "import", "--dir", src, "--db", "main",
                  "--memory", "1M", "--commit-every", "1M"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(again.json()["resumed"].get<bool>()) << again.out;

  // Hosts 0 and 2 are shard 0, hosts 1 and 3 shard 1 (hostId % 2 with one mirror).
  const RdbInfo& rdb = GetRdb(RdbId::kTitledb);
  std::map<int, std::map<std::string, int>> added;
  for (int h = 0; h < 4; ++h) {
    for (const auto& [k, n] : TitledbKeys(c + "/host" + std::to_string(h) + "/coll.main.0")) {
      const int old = before[h].count(k) != 0 ? before[h][k] : 0;
      if (n > old) added[h][k] = n - old;
    }
  }
  const std::map<std::string, int> source = TitledbKeys(src);
  ASSERT_FALSE(source.empty());
  int moved_on_old_owner = 0, moved_on_new_owner = 0;
  for (const auto& [k, n] : source) {
    auto key = Key::FromHex(k, rdb.key_size);
    ASSERT_OK(key) << k;
    const int slot = KeySlot(rdb, key->data());
    std::vector<int> holders;
    for (int h = 0; h < 4; ++h) {
      if (added[h].count(k) != 0) {
        holders.push_back(h);
        EXPECT_EQ(added[h][k], 1) << k << " twice on host " << h;
      }
    }
    const int now = slot >= 1 && slot <= 99 ? 0 : slot % 2;
    const std::vector<int> owner_now = {now, now + 2};
    if (slot >= 1 && slot <= 99 && slot % 2 == 1 && holders == std::vector<int>{1, 3}) {
      moved_on_old_owner++;  // committed before the move
      continue;
    }
    EXPECT_EQ(holders, owner_now) << k << " slot " << slot;
    if (slot >= 1 && slot <= 99 && slot % 2 == 1) moved_on_new_owner++;
  }
  EXPECT_GT(moved_on_old_owner + moved_on_new_owner, 0);
  EXPECT_GT(moved_on_new_owner, 0) << "no moved record was routed after the move";
}

}  // namespace
}  // namespace shardtool
