// `shardtool init` and `shardtool catalog ...` in-process on a MemFileSystem holding fixture F
// (doc/acquisition.md §9: SR17, SR43, SR44, SR45 through the CLI).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "catalog/state_paths.h"
#include "cli/shardtool_main.h"
#include "io/local_host.h"
#include "io/lock_manager.h"
#include "io/mem_file_system.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using Json = nlohmann::json;

struct CliResult {
  int code;
  std::string out, err;
};

CliResult Cli(FileSystem* fs, std::vector<std::string> args, LocalHost* local = nullptr) {
  static FixedLocalHost loopback({"127.0.0.1", "::1"});
  std::vector<const char*> argv = {"shardtool"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Context ctx;
  ctx.fs = fs;
  ctx.local = local != nullptr ? local : &loopback;
  ctx.out = &out;
  ctx.err = &err;
  const int code = Main(static_cast<int>(argv.size()), argv.data(), ctx);
  return {code, out.str(), err.str()};
}

class CatalogCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::FixtureOptions o;
    o.init = false;  // the CLI makes the catalog
    auto f = testing::MakeFixtureF(&fs_, o);
    ASSERT_OK(f);
    f_ = std::move(f).value();
  }

  CliResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workdir", f_.workdir});
    return Cli(&fs_, std::move(args));
  }
  Json CatalogDoc() { return Json::parse(fs_.ReadAll(CatalogPath(f_.workdir))); }
  // init + create-view main.recent: fixture F through the CLI.
  void InitF() {
    CliResult r = Run({"init", "--host-id", "0"});
    ASSERT_EQ(r.code, 0) << r.err;
    r = Run({"catalog", "create-view", "main.recent", "--on", "main.titledb", "--min",
             std::string(24, '0'), "--max", "7" + std::string(23, 'f')});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  MemFileSystem fs_;
  testing::FixtureF f_;
};

const Json& Coll(const Json& doc, const std::string& ns) {
  for (const Json& c : doc["collections"]) {
    if (c["ns"] == ns) return c;
  }
  static const Json kNull;
  return kNull;
}

TEST_F(CatalogCli, SR45_InitTwiceGivesAByteIdenticalCatalog) {
  CliResult r1 = Run({"--json", "init", "--host-id", "0"});
  ASSERT_EQ(r1.code, 0) << r1.err << r1.out;
  Json j1 = Json::parse(r1.out);
  EXPECT_EQ(j1["command"], "init");
  EXPECT_EQ(j1["written"], true);
  EXPECT_EQ(j1["catalog"]["version"], 1);
  const std::string first = fs_.ReadAll(CatalogPath(f_.workdir));
  const uint64_t inode = fs_.Stat(CatalogPath(f_.workdir))->inode;
  fs_.AdvanceMicros(3000000);
  CliResult r2 = Run({"--json", "init", "--host-id", "0"});
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_EQ(Json::parse(r2.out)["written"], false);
  EXPECT_EQ(fs_.ReadAll(CatalogPath(f_.workdir)), first);
  EXPECT_EQ(fs_.Stat(CatalogPath(f_.workdir))->inode, inode);
  // The default hosts.conf is the working dir's; --hosts names another.
  fs_.WriteAll("/elsewhere.conf", fs_.ReadAll(f_.workdir + "/hosts.conf"));
  EXPECT_EQ(Run({"init", "--hosts", "/elsewhere.conf"}).code, 0);
  EXPECT_EQ(fs_.ReadAll(CatalogPath(f_.workdir)), first);
}

TEST_F(CatalogCli, SR17_InitTurnsNewRdbFilesIntoACollection) {
  InitF();
  const Json before = CatalogDoc();
  ASSERT_TRUE(Coll(before, "main.clusterdb").is_null());
  ASSERT_OK(testing::WriteDataFile(&fs_, f_.coll_dir, GetRdb(RdbId::kClusterdb), 1,
                                   testing::RandomRecords(GetRdb(RdbId::kClusterdb), 5, 3)));
  CliResult r = Run({"init"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("addCollection main.clusterdb"), std::string::npos) << r.out;
  const Json after = CatalogDoc();
  EXPECT_FALSE(Coll(after, "main.clusterdb").is_null());
  EXPECT_EQ(after["databases"][0]["dbVersion"]["lastMod"].get<int>(),
            before["databases"][0]["dbVersion"]["lastMod"].get<int>() + 1);
  EXPECT_EQ(after["catalogVersion"].get<int>(), before["catalogVersion"].get<int>() + 1);
}

TEST_F(CatalogCli, SR43_MoveSlotsGivesExactChunksVersionsAndRangeDeletion) {
  InitF();
  const Json before = CatalogDoc();
  const std::string epoch = Coll(before, "main.titledb")["generation"]["epoch"];
  CliResult r = Run({"--json", "catalog", "move-slots", "--slots", "0-99", "--to-shard", "1"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_EQ(Json::parse(r.out)["written"], true);
  const Json doc = CatalogDoc();
  EXPECT_EQ(doc["catalogVersion"].get<int>(), before["catalogVersion"].get<int>() + 1);
  const Json& chunks = Coll(doc, "main.titledb")["chunks"];
  EXPECT_EQ(chunks[0], (Json{{"min", 0}, {"max", 100}, {"shard", 1}, {"version", "2|0"}}));
  ASSERT_EQ(chunks.size(), 1u + 8092u);
  for (size_t i = 1; i < chunks.size(); i++) {
    const int shard = chunks[i]["shard"];
    ASSERT_EQ(shard, chunks[i]["min"].get<int>() % 2);
    ASSERT_EQ(chunks[i]["version"], shard == 0 ? "1|1" : "1|0") << i;
  }
  Json titledb_rd;
  int n = 0;
  for (const Json& rd : doc["rangeDeletions"]) {
    if (rd["ns"] == "main.titledb") {
      titledb_rd = rd;
      n++;
    }
  }
  ASSERT_EQ(n, 1);
  Json want_slots = Json::array();
  for (int s = 0; s < 100; s += 2) want_slots.push_back({s, s + 1});
  EXPECT_EQ(titledb_rd["slots"], want_slots);
  EXPECT_EQ(titledb_rd["orphanedAt"]["version"], epoch + "/1/1|1");
  EXPECT_EQ(titledb_rd["orphanedAt"]["catalogVersion"], doc["catalogVersion"]);
  EXPECT_EQ(titledb_rd["readyAfter"].get<int64_t>(),
            titledb_rd["orphanedAt"]["time"].get<int64_t>() + 900);
  // Again: the file stays as it is, exit 0.
  const std::string text = fs_.ReadAll(CatalogPath(f_.workdir));
  CliResult again = Run({"catalog", "move-slots", "--slots", "0-99", "--to-shard", "1"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("unchanged"), std::string::npos);
  EXPECT_EQ(fs_.ReadAll(CatalogPath(f_.workdir)), text);
}

TEST_F(CatalogCli, SR44_ReshardToThreeShards) {
  InitF();
  const Json before = CatalogDoc();
  fs_.WriteAll(f_.workdir + "/hosts6.conf",
               FormatHostsConf(testing::FixtureHostsConf("/cluster", 6, 1)));
  CliResult r = Run({"catalog", "reshard", "--hosts", "hosts6.conf", "--orphan-delay", "60"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json doc = CatalogDoc();
  EXPECT_EQ(doc["cluster"]["numShards"], 3);
  for (const char* ns : {"main.titledb", "main.posdb"}) {
    const Json& c = Coll(doc, ns);
    EXPECT_NE(c["generation"]["epoch"], Coll(before, ns)["generation"]["epoch"]);
    EXPECT_EQ(c["generation"]["timestamp"], 2);
    ASSERT_EQ(c["chunks"].size(), 8192u);
    for (const Json& ch : c["chunks"]) {
      ASSERT_EQ(ch["shard"].get<int>(), ch["min"].get<int>() % 3);
      ASSERT_EQ(ch["version"], "1|0");
    }
  }
  ASSERT_EQ(doc["rangeDeletions"].size(), 2u);
  for (const Json& rd : doc["rangeDeletions"]) {
    Json want = Json::array();
    for (int s = 0; s < 8192; s++) {
      if (s % 2 == 0 && s % 3 != 0) want.push_back({s, s + 1});
    }
    EXPECT_EQ(rd["slots"], want);
    EXPECT_EQ(rd["readyAfter"].get<int64_t>(), rd["orphanedAt"]["time"].get<int64_t>() + 60);
  }
  // init with the old hosts.conf is refused now: exit 3.
  EXPECT_EQ(Run({"init"}).code, 3);
}

TEST_F(CatalogCli, ShowPrintsTheCatalogAndItsJsonIsTheDocument) {
  InitF();
  CliResult text = Run({"catalog", "show"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("main.titledb"), std::string::npos);
  EXPECT_NE(text.out.find("/1/1|0"), std::string::npos);
  EXPECT_NE(text.out.find("main.recent"), std::string::npos);
  CliResult json = Run({"--json", "catalog", "show"});
  ASSERT_EQ(json.code, 0);
  EXPECT_EQ(json.out, fs_.ReadAll(CatalogPath(f_.workdir)));
  CliResult other = Run({"--host-id", "1", "catalog", "show"});
  EXPECT_EQ(other.code, 0);
  EXPECT_NE(other.out.find("shown for host 1"), std::string::npos);
  EXPECT_EQ(Run({"--host-id", "9", "catalog", "show"}).code, 3);
}

TEST_F(CatalogCli, ViewsThroughTheCli) {
  InitF();
  const Json doc = CatalogDoc();
  ASSERT_EQ(doc["views"].size(), 1u);
  EXPECT_EQ(doc["views"][0]["viewOn"], "main.titledb");
  EXPECT_EQ(doc["databases"][0]["dbVersion"]["lastMod"], 2);
  EXPECT_EQ(Run({"catalog", "drop-view", "main.recent"}).code, 0);
  EXPECT_EQ(CatalogDoc()["views"].size(), 0u);
  EXPECT_EQ(CatalogDoc()["databases"][0]["dbVersion"]["lastMod"], 3);
  EXPECT_EQ(Run({"catalog", "drop-view", "main.recent"}).code, 3);
  EXPECT_EQ(Run({"catalog", "drop-view", "ma in.recent"}).code, 2);
  EXPECT_EQ(Run({"catalog", "create-view", "main.titledb", "--on", "main.posdb", "--min", "00",
                 "--max", "01"})
                .code,
            3);
  EXPECT_EQ(Run({"catalog", "create-view", "main.x", "--on", "main.titledb", "--min", "zz", "--max",
                 "01"})
                .code,
            2);
}

TEST_F(CatalogCli, ErrorsAndExitCodes) {
  // No catalog yet: exit 3 with the hint; init without a host id, on no host's address: exit 3.
  CliResult none = Run({"catalog", "show"});
  EXPECT_EQ(none.code, 3);
  EXPECT_NE(none.err.find("error: NotFound:"), std::string::npos) << none.err;
  EXPECT_EQ(Run({"init"}).code, 3);
  EXPECT_EQ(Run({"init", "--host-id", "7"}).code, 3);
  EXPECT_EQ(Run({"init", "--host-id", "0", "--hosts", "/nope"}).code, 3);
  InitF();
  // Usage errors.
  EXPECT_EQ(Run({"catalog", "move-slots", "--slots", "9-1", "--to-shard", "1"}).code, 2);
  EXPECT_EQ(Run({"catalog", "move-slots", "--slots", "0-8192", "--to-shard", "1"}).code, 2);
  EXPECT_EQ(Run({"catalog", "move-slots", "--slots", "x", "--to-shard", "1"}).code, 2);
  EXPECT_EQ(Run({"catalog", "move-slots", "--slots", "1", "--to-shard", "5"}).code, 2);
  EXPECT_EQ(
      Run({"catalog", "move-slots", "--slots", "1", "--to-shard", "1", "--orphan-delay", "-1"})
          .code,
      2);
  EXPECT_EQ(Run({"catalog", "move-slots", "--slots", "1"}).code, 2);
  EXPECT_EQ(Run({"catalog", "reshard"}).code, 2);
  // Namespaces.
  EXPECT_EQ(
      Run({"catalog", "move-slots", "--slots", "1", "--to-shard", "1", "--ns", "ma in.x"}).code, 2);
  CliResult nf = Run({"--json", "catalog", "move-slots", "--slots", "1", "--to-shard", "1", "--ns",
                      "main.nosuch"});
  EXPECT_EQ(nf.code, 3);
  EXPECT_EQ(Json::parse(nf.out)["error"]["name"], "NamespaceNotFound");
  EXPECT_EQ(
      Run({"catalog", "move-slots", "--slots", "1", "--to-shard", "1", "--ns", "main.doledb"}).code,
      3);
  // The catalog is host 0's.
  EXPECT_EQ(
      Run({"--host-id", "1", "catalog", "move-slots", "--slots", "1", "--to-shard", "1"}).code, 3);
  // The global lock held elsewhere: exit 4 (LockTimeout), with --lock-timeout too.
  LockManager other(&fs_);
  auto held =
      other.Acquire(GlobalLockPath(f_.workdir), LockMode::kShared, LockDeadline::After(&fs_, 0));
  ASSERT_OK(held);
  CliResult busy = Run({"--json", "--lock-timeout", "0.2", "catalog", "move-slots", "--slots", "1",
                        "--to-shard", "1"});
  EXPECT_EQ(busy.code, 4);
  const Json e = Json::parse(busy.out)["error"];
  EXPECT_EQ(e["name"], "LockTimeout");
  EXPECT_EQ(e["resource"], "global");
  EXPECT_EQ(e["mode"], "X");
  EXPECT_EQ(e["waitedMs"], 200);
  EXPECT_EQ(Run({"init"}).code, 4);
  held->Release();
  // A corrupt catalog: exit 8 with path and detail; init --rebuild repairs it.
  fs_.WriteAll(CatalogPath(f_.workdir), "{\"schema_version\": 1}");
  CliResult bad = Run({"--json", "catalog", "show"});
  EXPECT_EQ(bad.code, 8);
  const Json be = Json::parse(bad.out)["error"];
  EXPECT_EQ(be["name"], "CorruptCatalog");
  EXPECT_EQ(be["path"], CatalogPath(f_.workdir));
  EXPECT_NE(be["detail"].get<std::string>().find("catalogEpoch: missing"), std::string::npos);
  EXPECT_EQ(Run({"init"}).code, 8);
  EXPECT_EQ(Run({"init", "--host-id", "0", "--rebuild"}).code, 0);
  EXPECT_EQ(Run({"catalog", "show"}).code, 0);
}

}  // namespace
}  // namespace shardtool
