// `shardtool verify` driven in-process on clusters written by the sample generator.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

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

class VerifyCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-verify-XXXXXX";
    root_ = mkdtemp(tmpl);
    gen::GenOptions o;
    o.out = root_ + "/c";
    o.shards = 3;
    o.mirrors = 1;
    o.docs = 600;
    o.files = 3;
    o.words_per_doc = 40;
    o.page_bytes = 3000;
    o.misplace_host = 4;  // shard 1
    o.misplace_rate = 0.01;
    gen::GenReport rep;
    ASSERT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
    // What the generator wrote, per host and file (as gen-manifest.json says it).
    manifest_["files"] = nlohmann::json::array();
    for (const auto& f : rep.files) {
      nlohmann::json mis = nlohmann::json::object();
      for (size_t s = 0; s < f.misplaced_by_shard.size(); s++) {
        if (f.misplaced_by_shard[s]) mis[std::to_string(s)] = f.misplaced_by_shard[s];
      }
      manifest_["files"].push_back({{"host", f.host},
                                    {"file", f.file},
                                    {"records", f.records},
                                    {"negatives", f.negatives},
                                    {"misplaced_by_shard", mis}});
    }
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::string Host(int i) { return root_ + "/c/host" + std::to_string(i); }
  static void Init(int i) {
    Out r = St({"--workdir", Host(i), "init", "--hosts", root_ + "/c/hosts.conf", "--host-id",
                std::to_string(i)});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  static std::string root_;
  static nlohmann::json manifest_;
};
std::string VerifyCli::root_;
nlohmann::json VerifyCli::manifest_;

TEST_F(VerifyCli, CleanHostExitsZeroAndCountsEveryRecord) {
  Init(0);
  Out r = St({"--workdir", Host(0), "--json", "verify", "main"});
  ASSERT_EQ(r.code, 0) << r.err << r.out.substr(0, 2000);
  auto j = r.json();
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["host_id"], 0);
  EXPECT_EQ(j["shard"], 0);
  EXPECT_EQ(j["files"].size(), 12u);
  for (auto& f : j["files"]) {
    for (auto& m : manifest_["files"]) {
      if (m["host"] == 0 && m["file"] == f["file"]) {
        EXPECT_EQ(f["records"]["positive"].get<int64_t>() + f["records"]["negative"].get<int64_t>(),
                  m["records"]);
        EXPECT_EQ(f["records"]["negative"], m["negatives"]);
      }
    }
    EXPECT_EQ(f["not_owned"], 0);
    EXPECT_EQ(f["ownership_checked"], true);
    EXPECT_EQ(f["owned"].get<int64_t>(),
              f["records"]["positive"].get<int64_t>() + f["records"]["negative"].get<int64_t>());
  }
}

TEST_F(VerifyCli, PlantedMisplacedRecordsGiveExactCountsPerFileAndShard) {
  Init(4);
  Out r = St({"--workdir", Host(4), "--json", "verify", "main", "--report-limit", "3"});
  ASSERT_EQ(r.code, 1) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["shard"], 1);
  int64_t total = 0;
  int rdbs_with_misplaced = 0;
  std::set<std::string> seen;
  for (auto& f : j["files"]) {
    nlohmann::json want;
    for (auto& m : manifest_["files"]) {
      if (m["host"] == 4 && m["file"] == f["file"]) want = m["misplaced_by_shard"];
    }
    EXPECT_EQ(f["not_owned_by_shard"], want) << f["file"];
    total += f["not_owned"].get<int64_t>();
    if (f["not_owned"].get<int64_t>() > 0) {
      seen.insert(f["rdb"]);
      EXPECT_LE(f["misplaced_sample"].size(), 3u);
      for (auto& m : f["misplaced_sample"]) {
        EXPECT_NE(m["owner"], 1);
        EXPECT_EQ(m["owner"].get<int>(), m["slot"].get<int>() % 3);
      }
    }
  }
  rdbs_with_misplaced = static_cast<int>(seen.size());
  EXPECT_GE(rdbs_with_misplaced, 3);
  EXPECT_EQ(j["summary"]["not_owned"], total);
  EXPECT_GT(total, 0);
  // Text output names the misplaced records too.
  Out t = St({"--workdir", Host(4), "verify", "main"});
  EXPECT_EQ(t.code, 1);
  EXPECT_NE(t.out.find("(O1)"), std::string::npos);
  EXPECT_NE(t.out.find("PROBLEMS FOUND"), std::string::npos);
}

TEST_F(VerifyCli, UninitialisedDirectoryWithHostsConfWritesNothing) {
  const auto before = Hashes(Host(2));
  ASSERT_FALSE(fs::exists(Host(2) + "/shardtool"));
  Out r = St({"--workdir", Host(2), "--host-id", "2", "--json", "verify", "main", "--hosts",
              root_ + "/c/hosts.conf"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.json()["shard"], 2);
  EXPECT_FALSE(fs::exists(Host(2) + "/shardtool"));
  EXPECT_EQ(Hashes(Host(2)), before);
  // Without --hosts there is nothing to verify against.
  EXPECT_EQ(St({"--workdir", Host(2), "verify", "main"}).code, 3);
}

TEST_F(VerifyCli, SR1_InvalidNamesExit2AndUnknownDatabaseExit3) {
  Init(1);
  Out bad = St({"--workdir", Host(1), "verify", "ma in"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("InvalidNamespace"), std::string::npos) << bad.err;
  Out none = St({"--workdir", Host(1), "--json", "verify", "nosuch"});
  EXPECT_EQ(none.code, 3);
  EXPECT_EQ(none.json()["error"]["name"], "NamespaceNotFound");
  EXPECT_EQ(St({"--workdir", Host(1), "verify", "main", "--rdb", "nosuchdb"}).code, 2);
  EXPECT_EQ(St({"--workdir", Host(1), "verify", "main", "--file", "posdb0099.dat"}).code, 2);
}

TEST_F(VerifyCli, CorruptionIsLocatedExit1AndNothingChanges) {
  // A copy of host 3 with one flipped byte in a posdb file.
  const std::string h = root_ + "/corrupt";
  fs::copy(Host(3), h, fs::copy_options::recursive);
  Out init = St({"--workdir", h, "init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "3"});
  ASSERT_EQ(init.code, 0) << init.err;
  const std::string dat = h + "/coll.main.0/posdb0003.dat";
  {
    std::fstream f(dat, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2000);
    char c;
    f.read(&c, 1);
    f.seekp(2000);
    c ^= 0x40;
    f.write(&c, 1);
  }
  const auto before = Hashes(h);
  Out r = St({"--workdir", h, "--json", "verify", "main", "--rdb", "posdb"});
  EXPECT_EQ(r.code, 1) << r.err;
  auto j = r.json();
  bool located = false;
  for (auto& f : j["files"]) {
    if (f["file"] != "coll.main.0/posdb0003.dat") {
      EXPECT_EQ(f["errors"], 0);
      continue;
    }
    EXPECT_GT(f["errors"].get<int>(), 0);
    for (auto& fd : f["findings"]) {
      if (fd["rule"] == "C4") {
        EXPECT_EQ(fd["page"], 0);
        located = true;
      }
    }
  }
  EXPECT_TRUE(located) << r.out.substr(0, 3000);
  EXPECT_EQ(Hashes(h), before);
}

TEST_F(VerifyCli, SR8_PlacementUnknownIsStaleConfigExit5) {
  const std::string h = root_ + "/unknown";
  fs::copy(Host(0), h, fs::copy_options::recursive);
  ASSERT_EQ(St({"--workdir", h, "init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "0"}).code,
            0);
  const std::string path = h + "/shardtool/catalog.json";
  nlohmann::json cat;
  {
    std::ifstream in(path);
    cat = nlohmann::json::parse(in);
  }
  for (auto& c : cat["collections"]) {
    if (c["ns"] == "main.titledb") c["generation"] = nullptr;
  }
  {
    std::ofstream out(path);
    out << cat.dump(2);
  }
  Out r = St({"--workdir", h, "--json", "verify", "main"});
  EXPECT_EQ(r.code, 5) << r.err << r.out;
  EXPECT_EQ(r.json()["error"]["name"], "StaleConfig");
  EXPECT_TRUE(r.json()["error"]["wanted"].is_null());
  // Unversioned (ownership not checked) still works, as SR8 says.
  EXPECT_EQ(St({"--workdir", h, "verify", "main", "--placement", "none"}).code, 0);
}

// L9: the target of an interrupted merge that includes the oldest file must hold no negatives
// (doc/format.md §8 rule 3); one that leaves an older file out keeps them.
TEST_F(VerifyCli, L9_NegativesInTheTargetOfAMergeWithTheOldestFile) {
  const std::string h = root_ + "/merging";
  fs::copy(Host(3), h, fs::copy_options::recursive);
  Out init = St({"--workdir", h, "init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "3"});
  ASSERT_EQ(init.code, 0) << init.err;
  // The committed posdb file with the most negatives becomes the planted target's content.
  Out clean = St({"--workdir", h, "--json", "verify", "main", "--rdb", "posdb"});
  ASSERT_EQ(clean.code, 0) << clean.err;
  std::string src;
  int64_t negatives = 0;
  const nlohmann::json cj = clean.json();  // the loop must not range over a temporary
  for (const auto& f : cj["files"]) {
    if (f["records"]["negative"].get<int64_t>() > negatives) {
      negatives = f["records"]["negative"].get<int64_t>();
      src = fs::path(f["file"].get<std::string>()).filename().string();
    }
  }
  ASSERT_GT(negatives, 0);
  const std::string c = h + "/coll.main.0/";
  const std::string src_map = src.substr(0, src.size() - 4) + ".map";
  auto l9_by_file = [&](const std::string& target, const std::string& map) {
    fs::copy_file(c + src, c + target);
    fs::copy_file(c + src_map, c + map);
    Out r = St({"--workdir", h, "--json", "verify", "main", "--rdb", "posdb"});
    std::map<std::string, int64_t> l9;
    const nlohmann::json rj = r.json();
    for (const auto& f : rj["files"]) {
      const std::string name = fs::path(f["file"].get<std::string>()).filename().string();
      if (f["rule_counts"].contains("L9")) l9[name] = f["rule_counts"]["L9"].get<int64_t>();
      for (const auto& fd : f["findings"]) {
        if (fd["rule"] != "L9") continue;
        EXPECT_GE(fd["offset"].get<int64_t>(), 0);
        EXPECT_FALSE(fd["key"].get<std::string>().empty());
      }
    }
    fs::remove(c + target);
    fs::remove(c + map);
    return std::make_pair(r.code, l9);
  };
  // Files 1, 3 and 5 being merged: the merge includes the oldest file, so every negative of the
  // target is an error.
  auto [code, l9] = l9_by_file("posdb0000.003.dat", "posdb0000.map");
  EXPECT_EQ(code, 1);
  EXPECT_EQ(l9, (std::map<std::string, int64_t>{{"posdb0000.003.dat", negatives}}));
  // Files 3 and 5 being merged, file 1 older: the target keeps its negatives.
  auto [code2, l9_2] = l9_by_file("posdb0002.002.dat", "posdb0002.map");
  EXPECT_TRUE(l9_2.empty());
  EXPECT_NE(code2, 8);
}

// Issue 16: a merge Gigablast is running (posdb0000.002.dat, no map yet, torn at its end, no
// shardtool journal) is a normal state: a D10 notice with its size and inputs, its records not
// counted twice, exit 0.
TEST_F(VerifyCli, D10_GigablastMergeInProgressIsANotice) {
  const std::string h = root_ + "/gbmerge";
  fs::copy(Host(3), h, fs::copy_options::recursive);
  Out init = St({"--workdir", h, "init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "3"});
  ASSERT_EQ(init.code, 0) << init.err;
  Out clean = St({"--workdir", h, "--json", "verify", "main", "--rdb", "posdb"});
  ASSERT_EQ(clean.code, 0) << clean.err;
  const int64_t records = clean.json()["summary"]["records"].get<int64_t>();
  const std::string c = h + "/coll.main.0/";
  {
    std::ifstream in(c + "posdb0001.dat", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 1000u);
    std::ofstream out(c + "posdb0000.002.dat", std::ios::binary);
    out << bytes.substr(0, bytes.size() * 6 / 10 + 3);  // most likely torn in a record
  }
  Out r = St({"--workdir", h, "--json", "verify", "main", "--rdb", "posdb"});
  EXPECT_EQ(r.code, 0) << r.err << r.out.substr(0, 3000);
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["summary"]["records"].get<int64_t>(), records);
  EXPECT_EQ(j["summary"]["errors"], 0);
  bool noticed = false;
  for (const auto& f : j["files"]) {
    for (const auto& fd : f["findings"]) {
      if (fd["rule"] != "D10") continue;
      noticed = true;
      EXPECT_EQ(f["file"], "coll.main.0/posdb0000.002.dat");
      const std::string m = fd["message"].get<std::string>();
      EXPECT_NE(m.find("posdb0001.dat, posdb0003.dat"), std::string::npos) << m;
    }
  }
  EXPECT_TRUE(noticed) << r.out.substr(0, 3000);
  // Once Gigablast has removed its inputs the file is checked as any other.
  fs::remove(c + "posdb0001.dat");
  fs::remove(c + "posdb0001.map");
  fs::remove(c + "posdb0001.crc");
  Out after = St({"--workdir", h, "--json", "verify", "main", "--rdb", "posdb"});
  EXPECT_EQ(after.code, 1) << after.out.substr(0, 2000);
}

// Issue 16: a dangling symbolic link named like a data file is one located finding (it aborted the
// whole verify with exit 3), and so is a directory named like one (it was silently ignored).
TEST_F(VerifyCli, D1_DanglingSymlinkAndDirectoryNamedLikeDataFiles) {
  const std::string h = root_ + "/oddnames";
  fs::copy(Host(3), h, fs::copy_options::recursive);
  Out init = St({"--workdir", h, "init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "3"});
  ASSERT_EQ(init.code, 0) << init.err;
  const std::string c = h + "/coll.main.0/";
  fs::create_symlink(c + "nowhere.dat", c + "posdb0009.dat");
  fs::create_directory(c + "posdb0011.dat");
  Out r = St({"--workdir", h, "--json", "verify", "main", "--rdb", "posdb"});
  EXPECT_EQ(r.code, 1) << r.err << r.out.substr(0, 2000);
  std::map<std::string, int64_t> d1;
  const nlohmann::json j = r.json();
  for (const auto& f : j["files"]) {
    if (f["rule_counts"].contains("D1")) d1[f["file"]] = f["rule_counts"]["D1"].get<int64_t>();
  }
  EXPECT_EQ(d1, (std::map<std::string, int64_t>{{"coll.main.0/posdb0009.dat", 1},
                                                {"coll.main.0/posdb0011.dat", 1}}))
      << r.out.substr(0, 3000);
}

TEST_F(VerifyCli, QuickAndFilters) {
  Init(5);
  Out q = St({"--workdir", Host(5), "--json", "verify", "main", "--quick", "--threads", "2"});
  EXPECT_EQ(q.code, 0) << q.err;
  const nlohmann::json qj = q.json();  // the loop must not range over a temporary
  for (const auto& f : qj["files"]) EXPECT_EQ(f["ownership_mode"], "page_keys");
  Out one = St({"--workdir", Host(5), "--json", "verify", "main", "--rdb", "titledb", "--file",
                "titledb0003-000.dat"});
  EXPECT_EQ(one.code, 0) << one.err;
  ASSERT_EQ(one.json()["files"].size(), 1u);
  EXPECT_EQ(one.json()["files"][0]["file"], "coll.main.0/titledb0003-000.dat");
}

}  // namespace
}  // namespace shardtool
