// Issue 17 through the CLI on a generated cluster (2 shards, 1 mirror, all on 127.0.0.1):
// `init` finding its host by IP and working dir, `cluster inventory`, `catalog export|apply|check`
// with their exit statuses, the refusal on a non-config host, and `verify --digest` agreeing
// between mirrors and across a merge.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gen/sample_cluster.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;

using Out = testing::CliOut;
using testing::St;

class ClusterCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/st-cluster-XXXXXX";
    root_ = mkdtemp(tmpl);
    gen::GenOptions o;
    o.out = root_ + "/c";
    o.shards = 2;
    o.mirrors = 1;
    o.docs = 200;
    o.files = 3;
    o.words_per_doc = 20;
    o.page_bytes = 1500;
    gen::GenReport rep;
    ASSERT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Host(int i) const { return root_ + "/c/host" + std::to_string(i); }
  std::string Conf() const { return root_ + "/c/hosts.conf"; }
  Out At(int host, std::vector<std::string> args) const {
    args.insert(args.begin(), {"--workdir", Host(host)});
    return St(args);
  }
  void Init(int host) {
    Out r = At(host, {"--json", "init", "--hosts", Conf()});  // no --host-id: by IP and dir
    ASSERT_EQ(r.code, 0) << r.err << r.out;
    EXPECT_EQ(r.json()["thisHost"], host);
  }

  std::string root_;
};

TEST_F(ClusterCli, InitFindsItsHostByAddressAndWorkdir) {
  for (int i = 0; i < 4; i++) Init(i);
  // A working dir that is no host's: exit 3 naming the candidates.
  fs::create_directories(root_ + "/c/other");
  Out r = St({"--workdir", root_ + "/c/other", "init", "--hosts", Conf()});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("host 0 (127.0.0.1 "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--host-id"), std::string::npos) << r.err;
}

TEST_F(ClusterCli, Inventory) {
  Out r = St({"cluster", "inventory", "--hosts", Conf()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["all"]["children"], nlohmann::json::array({"shardtool"}));
  EXPECT_EQ(j["shardtool"]["hosts"], nlohmann::json::array({"host0", "host1", "host2", "host3"}));
  EXPECT_EQ(j["shard_0"]["hosts"], nlohmann::json::array({"host0", "host2"}));
  EXPECT_EQ(j["shard_1"]["hosts"], nlohmann::json::array({"host1", "host3"}));
  EXPECT_EQ(j["mirror_0"]["hosts"], nlohmann::json::array({"host0", "host1"}));
  EXPECT_EQ(j["mirror_1"]["hosts"], nlohmann::json::array({"host2", "host3"}));
  const auto& h3 = j["_meta"]["hostvars"]["host3"];
  EXPECT_EQ(h3["ansible_host"], "127.0.0.1");
  EXPECT_EQ(h3["shardtool_workdir"], Host(3));
  EXPECT_EQ(h3["shardtool_host_id"], 3);
  EXPECT_EQ(h3["shardtool_shard"], 1);
  EXPECT_EQ(h3["shardtool_mirror"], 1);
  // Default: hosts.conf in --workdir.
  fs::copy_file(Conf(), Host(0) + "/hosts.conf", fs::copy_options::overwrite_existing);
  Out d = At(0, {"cluster", "inventory"});
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_EQ(d.json(), j);
  EXPECT_EQ(At(1, {"cluster", "inventory", "--hosts", "nope.conf"}).code, 3);
}

TEST_F(ClusterCli, ExportApplyCheck) {
  for (int i = 0; i < 4; i++) Init(i);  // four epochs
  const std::string file = root_ + "/cluster.json";
  ASSERT_EQ(At(0, {"catalog", "export", "--out", file}).code, 0);
  Out printed = At(0, {"catalog", "export"});
  ASSERT_EQ(printed.code, 0);
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(printed.out, text.str());
  EXPECT_EQ(printed.json()["configHost"], 0);
  EXPECT_FALSE(printed.json().contains("thisHost"));

  // Another epoch: 3 without --adopt, then adopted; again: unchanged.
  EXPECT_EQ(At(1, {"catalog", "apply", file}).code, 3);
  EXPECT_EQ(At(1, {"catalog", "check", file}).code, 1);
  Out a = At(1, {"--json", "catalog", "apply", file, "--adopt"});
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.json()["changed"], true);
  Out again = At(1, {"--json", "catalog", "apply", file});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.json()["changed"], false);
  Out ok = At(1, {"--json", "catalog", "check", file});
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_EQ(ok.json()["agree"], true);

  // Host 1 may not change the cluster catalog; host 0 may.
  Out refused = At(1, {"catalog", "move-slots", "--slots", "0-9", "--to-shard", "1"});
  EXPECT_EQ(refused.code, 3);
  EXPECT_NE(refused.err.find("config host is host 0"), std::string::npos) << refused.err;
  ASSERT_EQ(At(0, {"catalog", "move-slots", "--slots", "0-9", "--to-shard", "1"}).code, 0);
  Out differs = At(1, {"--json", "catalog", "check", file + ".new"});
  EXPECT_EQ(differs.code, 3);  // no such file
  ASSERT_EQ(At(0, {"catalog", "export", "--out", file + ".new"}).code, 0);
  differs = At(1, {"--json", "catalog", "check", file + ".new"});
  EXPECT_EQ(differs.code, 1);
  EXPECT_EQ(differs.json()["agree"], false);
  EXPECT_FALSE(differs.json()["differences"].empty());
  // Host 1 (shard 1) gains slots 0, 2, .., 8: no range deletion; its catalog follows.
  Out next = At(1, {"--json", "catalog", "apply", file + ".new"});
  ASSERT_EQ(next.code, 0) << next.err;
  EXPECT_EQ(next.json()["catalog"]["version"], 2);
  // Host 2 (shard 0, a mirror of the config host) loses them: range deletions, as move-slots.
  ASSERT_EQ(At(2, {"catalog", "apply", file, "--adopt"}).code, 0);
  Out lost = At(2, {"--json", "catalog", "apply", file + ".new"});
  ASSERT_EQ(lost.code, 0) << lost.err;
  int deletions = 0;
  const auto lost_json = lost.json();
  for (const auto& c : lost_json["changes"]) deletions += c["kind"] == "addRangeDeletion";
  EXPECT_GT(deletions, 0);
  // The older export now: exit 5; a corrupt file: exit 8.
  EXPECT_EQ(At(1, {"catalog", "apply", file}).code, 5);
  std::ofstream(root_ + "/bad.json") << "{\"configHost\": 0";
  EXPECT_EQ(At(1, {"catalog", "apply", root_ + "/bad.json"}).code, 8);
  EXPECT_EQ(At(1, {"catalog", "check", root_ + "/bad.json"}).code, 8);
}

std::map<std::string, std::pair<int64_t, std::string>> Digests(const Out& r) {
  std::map<std::string, std::pair<int64_t, std::string>> m;
  const auto j = r.json();  // the loop would outlive a temporary document
  for (const auto& d : j["digests"]) {
    m[d["collection"]] = {d["records"].get<int64_t>(), d["digest"].get<std::string>()};
  }
  return m;
}

TEST_F(ClusterCli, VerifyDigestAgreesBetweenMirrorsAndAcrossMerges) {
  Init(0);
  Init(2);  // host 2 mirrors shard 0
  Out a = At(0, {"--json", "verify", "main", "--digest"});
  ASSERT_EQ(a.code, 0) << a.err;
  const auto da = Digests(a);
  ASSERT_FALSE(da.empty());
  for (const auto& [ns, d] : da) {
    EXPECT_EQ(d.second.size(), 32u) << ns;
    EXPECT_GT(d.first, 0) << ns;
  }
  EXPECT_EQ(Digests(At(2, {"--json", "verify", "main", "--digest"})), da);
  // Merge every file of posdb and titledb on host 2: the same visible records in other files.
  for (const char* rdb : {"posdb", "titledb"}) {
    Out m = At(2, {"merge", "main", "--rdb", rdb, "--all"});
    ASSERT_EQ(m.code, 0) << m.err;
  }
  Out b = At(2, {"--json", "verify", "main", "--digest"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(Digests(b), da);
  // The text output prints them too; without --digest there are none.
  Out t = At(2, {"verify", "main", "--digest"});
  EXPECT_NE(t.out.find("digest main.posdb: " + std::to_string(da.at("main.posdb").first) +
                       " visible records, " + da.at("main.posdb").second),
            std::string::npos)
      << t.out;
  EXPECT_FALSE(At(2, {"--json", "verify", "main"}).json().contains("digests"));
  const auto jb = b.json();
  for (const auto& d : jb["digests"]) EXPECT_TRUE(d["complete"].get<bool>()) << d;
  // --quick decodes no record: no digest from it.
  EXPECT_EQ(At(2, {"verify", "main", "--quick", "--digest"}).code, 2);
}

// A file whose records stop decoding (a torn end) leaves its collection's digest incomplete: no
// digest value, the reason naming the file; verify reports the file's finding (exit 1).
TEST_F(ClusterCli, VerifyDigestOfAFileCutShortIsIncomplete) {
  Init(0);
  std::string posdb;
  for (const auto& e : fs::recursive_directory_iterator(Host(0))) {
    const std::string name = e.path().filename().string();
    if (name.rfind("posdb", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".dat") {
      posdb = e.path().string();
    }
  }
  ASSERT_FALSE(posdb.empty());
  fs::resize_file(posdb, fs::file_size(posdb) - 3);
  Out r = At(0, {"--json", "verify", "main", "--digest"});
  EXPECT_EQ(r.code, 1) << r.err;
  bool seen = false;
  const auto j = r.json();
  for (const auto& d : j["digests"]) {
    if (d["collection"] != "main.posdb") {
      EXPECT_TRUE(d["complete"].get<bool>()) << d;
      continue;
    }
    seen = true;
    EXPECT_FALSE(d["complete"].get<bool>()) << d;
    EXPECT_TRUE(d["digest"].is_null()) << d;
    EXPECT_NE(d["incomplete"].get<std::string>().find(fs::path(posdb).filename().string()),
              std::string::npos)
        << d;
  }
  EXPECT_TRUE(seen);
  Out t = At(0, {"verify", "main", "--digest"});
  EXPECT_NE(t.out.find("digest main.posdb: incomplete, no digest: "), std::string::npos) << t.out;
}

}  // namespace
}  // namespace shardtool
