// Gigablast's saved in-memory trees through the CLI, in-process: `inspect tree` on the golden
// files, and verify's "tree" rows on a generated host with planted trees (clean, misplaced,
// truncated, other engine parts, --no-tree).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "format/key.h"
#include "format/rdb_registry.h"
#include "gen/sample_cluster.h"
#include "testing/paths.h"
#include "testing/saved_tree_writer.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::St;
using Out = testing::CliOut;

std::string GoldenTree(const std::string& name) {
  return testing::GoldenDir() + "/tree-saved/" + name;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

using testing::PosdbTreeKey;

std::vector<std::string> Sorted(std::vector<std::string> keys) {
  return testing::SortedKeys(std::move(keys));
}

std::string Hex(const std::string& k) {
  return KeyHex(reinterpret_cast<const uint8_t*>(k.data()), static_cast<int>(k.size()));
}

class TreeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-tree-XXXXXX";
    root_ = mkdtemp(tmpl);
    gen::GenOptions o;
    o.out = root_ + "/c";
    o.shards = 3;
    o.mirrors = 1;
    o.docs = 150;
    o.files = 2;
    o.words_per_doc = 10;
    o.page_bytes = 1000;
    o.seed = 5;
    gen::GenReport rep;
    ASSERT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
    Out r = St({"--workdir", Host(), "init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "0"});
    ASSERT_EQ(r.code, 0) << r.err;
    // Which of docIds 1..300 shard 0 owns: every docId's key planted once, the misplaced ones
    // reported (all of them: --report-limit).
    std::vector<std::string> keys;
    for (uint64_t d = 1; d <= 300; d++) keys.push_back(PosdbTreeKey(777, d));
    WriteFile(Host() + "/posdb-buckets-saved.dat",
              testing::WriteRdbBuckets(18, {{0, Sorted(keys), -1, -1}}));
    r = St({"--workdir", Host(), "--json", "verify", "main", "--rdb", "posdb", "--report-limit",
            "1000"});
    ASSERT_EQ(r.code, 1) << r.err << r.out.substr(0, 3000);
    const json tree = r.json()["trees"][0];
    std::set<std::string> misplaced;
    for (const auto& m : tree["misplaced_sample"]) misplaced.insert(m["key"].get<std::string>());
    ASSERT_EQ(misplaced.size(), tree["not_owned"].get<size_t>());
    for (uint64_t d = 1; d <= 300; d++) {
      (misplaced.count(Hex(PosdbTreeKey(777, d))) ? not_owned_ : owned_).push_back(d);
    }
    fs::remove(Host() + "/posdb-buckets-saved.dat");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  void TearDown() override {
    for (const auto& e : fs::directory_iterator(Host())) {
      const std::string n = e.path().filename().string();
      if (n.size() > 10 && n.substr(n.size() - 10) == "-saved.dat") fs::remove(e.path());
    }
  }
  static std::string Host() { return root_ + "/c/host0"; }
  static Out Verify(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--workdir", Host(), "--json", "verify", "main"};
    args.insert(args.end(), extra.begin(), extra.end());
    return St(args);
  }
  // A bucket of posdb keys of these docIds (term 4242), positive.
  static std::string Buckets(const std::vector<uint64_t>& docids, int16_t collnum = 0) {
    std::vector<std::string> keys;
    for (uint64_t d : docids) keys.push_back(PosdbTreeKey(4242, d));
    return testing::WriteRdbBuckets(18, {{collnum, Sorted(keys), -1, -1}});
  }

  static std::string root_;
  static std::vector<uint64_t> owned_, not_owned_;
};
std::string TreeCli::root_;
std::vector<uint64_t> TreeCli::owned_, TreeCli::not_owned_;

TEST_F(TreeCli, OwnershipSplitMatchesInspectKey) {
  // Shard 0 of 3 owns about a third; inspect key (the catalog's slot owner, another code path)
  // agrees on a docId of each side.
  ASSERT_GT(owned_.size(), 30u);
  ASSERT_GT(not_owned_.size(), 100u);
  for (uint64_t d : {owned_.front(), not_owned_.front()}) {
    Out r = St({"--workdir", Host(), "--json", "inspect", "key", "main", "--rdb", "titledb",
                "--docid", std::to_string(d)});
    ASSERT_EQ(r.code, 0) << r.err;
    const bool owned = std::find(owned_.begin(), owned_.end(), d) != owned_.end();
    EXPECT_EQ(r.json()["owner"].get<int>() == 0, owned) << d << " " << r.out.substr(0, 500);
  }
}

TEST_F(TreeCli, CleanTreeIsATreeRowAndExitsZero) {
  std::vector<uint64_t> docs(owned_.begin(), owned_.begin() + 20);
  WriteFile(Host() + "/posdb-buckets-saved.dat", Buckets(docs));
  WriteFile(Host() + "/titledb-saved.dat", testing::WriteRdbTree(12, -1, {}));
  Out r = Verify();
  ASSERT_EQ(r.code, 0) << r.err << r.out.substr(0, 3000);
  const json j = r.json();
  ASSERT_EQ(j["trees"].size(), 2u);
  json posdb, titledb;
  for (const auto& t : j["trees"]) (t["rdb"] == "posdb" ? posdb : titledb) = t;
  EXPECT_EQ(posdb["file"], "posdb-buckets-saved.dat");
  EXPECT_EQ(posdb["form"], "rdbbuckets");
  EXPECT_EQ(posdb["records"]["positive"], 20);
  EXPECT_EQ(posdb["records"]["negative"], 0);
  EXPECT_EQ(posdb["owned"], 20);
  EXPECT_EQ(posdb["not_owned"], 0);
  EXPECT_EQ(posdb["ownership_mode"], "records");
  EXPECT_EQ(posdb["decoded_completely"], true);
  EXPECT_EQ(posdb["findings"].size(), 0u);
  EXPECT_EQ(titledb["form"], "rdbtree");
  EXPECT_EQ(titledb["records"]["positive"], 0);
  EXPECT_EQ(j["summary"]["trees"], 2);
  EXPECT_EQ(j["summary"]["tree_records"], 20);
  // Text: a table whose first column is "tree".
  r = St({"--workdir", Host(), "verify", "main"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\ntree "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("posdb-buckets-saved.dat"), std::string::npos) << r.out;
}

TEST_F(TreeCli, PlantedMisplacedTreeRecordIsFoundAndCounted) {
  std::vector<uint64_t> docs(owned_.begin(), owned_.begin() + 10);
  const uint64_t bad = not_owned_[3];
  docs.push_back(bad);
  // And a record of another collection (collnum 7) in a second bucket: counted, not checked.
  std::vector<std::string> keys;
  for (uint64_t d : docs) keys.push_back(PosdbTreeKey(4242, d));
  WriteFile(Host() + "/posdb-buckets-saved.dat",
            testing::WriteRdbBuckets(
                18, {{0, Sorted(keys), -1, -1}, {7, {PosdbTreeKey(1, not_owned_[0])}, -1, -1}}));
  Out r = Verify();
  ASSERT_EQ(r.code, 1) << r.err << r.out.substr(0, 3000);
  const json t = r.json()["trees"][0];
  EXPECT_EQ(t["this_collnum"], 11);
  EXPECT_EQ(t["other_collnums"], 1);
  EXPECT_EQ(t["owned"], 10);
  EXPECT_EQ(t["not_owned"], 1);
  ASSERT_EQ(t["misplaced_sample"].size(), 1u);
  EXPECT_EQ(t["misplaced_sample"][0]["key"], Hex(PosdbTreeKey(4242, bad)));
  EXPECT_EQ(t["misplaced_sample"][0]["slot"], DocIdSlot(bad));
  EXPECT_NE(t["misplaced_sample"][0]["owner"], 0);
  EXPECT_EQ(r.json()["summary"]["not_owned"], 1);
  EXPECT_EQ(r.json()["ok"], false);
  // Text names it with its offset in the tree file.
  r = St({"--workdir", Host(), "verify", "main", "--rdb", "posdb"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("tree records of collnum 0 do not belong to shard 0 (O1)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(Hex(PosdbTreeKey(4242, bad))), std::string::npos) << r.out;
}

TEST_F(TreeCli, TruncatedAndDisorderedTreesAreLocatedFindings) {
  std::vector<uint64_t> docs(owned_.begin(), owned_.begin() + 12);
  const std::string good = Buckets(docs);
  WriteFile(Host() + "/posdb-buckets-saved.dat", good.substr(0, good.size() - 7));
  Out r = Verify({"--rdb", "posdb"});
  ASSERT_EQ(r.code, 1) << r.err << r.out.substr(0, 3000);
  json t = r.json()["trees"][0];
  EXPECT_EQ(t["decoded_completely"], false);
  ASSERT_GE(t["findings"].size(), 1u);
  EXPECT_EQ(t["findings"][0]["rule"], "V1");
  EXPECT_EQ(t["findings"][0]["offset"], 51);  // the bucket's records start there
  EXPECT_EQ(t["findings"][0]["file"], "posdb-buckets-saved.dat");
  EXPECT_EQ(t["rule_counts"]["V1"], 1);
  EXPECT_GE(r.json()["summary"]["errors"], 1);

  // Two records swapped inside the sorted part: V5 at the second one's offset.
  std::vector<std::string> keys;
  for (uint64_t d : docs) keys.push_back(PosdbTreeKey(4242, d));
  keys = Sorted(keys);
  std::swap(keys[4], keys[5]);
  WriteFile(Host() + "/posdb-buckets-saved.dat", testing::WriteRdbBuckets(18, {{0, keys, -1, -1}}));
  r = Verify({"--rdb", "posdb"});
  ASSERT_EQ(r.code, 1) << r.err;
  t = r.json()["trees"][0];
  ASSERT_GE(t["findings"].size(), 1u);
  EXPECT_EQ(t["findings"][0]["rule"], "V5");
  EXPECT_EQ(t["findings"][0]["offset"], 37 + 14 + 5 * 18);
  EXPECT_EQ(t["owned"], 12);

  // A tree file of garbage: findings, no crash.
  WriteFile(Host() + "/titledb-saved.dat", std::string(1000, '\x7f'));
  r = Verify({"--rdb", "titledb"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_GE(r.json()["trees"][0]["errors"], 1);
}

TEST_F(TreeCli, OtherEnginePartsAreNoticedAndNoTreeSkipsAll) {
  for (const char* n : {"autoban-saved.dat", "statsdb-saved.dat", "waitingtree-saved.dat"})
    fs::copy_file(GoldenTree(n), Host() + "/" + n);
  WriteFile(Host() + "/posdb-buckets-saved.dat", std::string(10, '\0'));  // truncated
  Out r = Verify();
  ASSERT_EQ(r.code, 1) << r.err;
  json j = r.json();
  int skipped = 0;
  for (const auto& t : j["trees"]) {
    if (t["skipped"] == true) {
      skipped++;
      EXPECT_EQ(t["findings"][0]["rule"], "V6");
      EXPECT_EQ(t["findings"][0]["severity"], "notice");
      EXPECT_EQ(t["errors"], 0);
    }
  }
  EXPECT_EQ(skipped, 3);
  EXPECT_EQ(j["summary"]["trees"], 4);
  r = Verify({"--no-tree"});
  ASSERT_EQ(r.code, 0) << r.err << r.out.substr(0, 2000);
  j = r.json();
  EXPECT_EQ(j["trees"].size(), 0u);
  EXPECT_EQ(j["summary"]["trees"], 0);
  // --file selects data files only: no trees.
  r = Verify({"--rdb", "posdb", "--file", "posdb0001.dat"});
  ASSERT_EQ(r.code, 0) << r.err << r.out.substr(0, 2000);
  EXPECT_EQ(r.json()["trees"].size(), 0u) << r.out.substr(0, 2000);
}

TEST_F(TreeCli, InspectTreeShowsGoldenFiles) {
  Out r = St({"--json", "inspect", "tree", GoldenTree("posdb-buckets-saved.dat"), "--limit", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = r.json();
  EXPECT_EQ(j["command"], "inspect tree");
  EXPECT_EQ(j["rdb"], "posdb");
  EXPECT_EQ(j["form"], "rdbbuckets");
  EXPECT_EQ(j["header"]["num_keys"], 101);
  EXPECT_EQ(j["record_count"]["negative"], 101);
  EXPECT_EQ(j["decoded_bytes"], 1869);
  EXPECT_EQ(j["decoded_completely"], true);
  ASSERT_EQ(j["records"].size(), 5u);
  EXPECT_EQ(j["records"][0]["key"], "ebb5969c8a7431e0eb7290010308c3f80a00");
  EXPECT_EQ(j["records"][0]["offset"], 51);
  EXPECT_EQ(j["records"][0]["negative"], true);
  EXPECT_EQ(j["buckets"][0]["sorted"], 1);

  r = St({"inspect", "tree", GoldenTree("clusterdb-saved.dat")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("nodes 35714, fixed data size 0, used 0, head -1"), std::string::npos)
      << r.out;
  r = St({"--json", "inspect", "tree", GoldenTree("waitingtree-saved.dat")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.json()["skipped"], true);
  EXPECT_EQ(r.json()["findings"][0]["rule"], "V6");
  // statsdb decoded as a 12-byte-key tree on request.
  r = St({"--json", "inspect", "tree", GoldenTree("statsdb-saved.dat"), "--rdb", "titledb"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.json()["findings"][0]["rule"], "V2");  // titledb's data size form is not statsdb's

  r = St({"inspect", "tree", "/nonexistent/posdb-buckets-saved.dat"});
  EXPECT_EQ(r.code, 3) << r.err;
  r = St({"inspect", "tree", GoldenTree("posdb-buckets-saved.dat"), "--rdb", "nosuchdb"});
  EXPECT_EQ(r.code, 2);
  r = St({"inspect", "tree", testing::GoldenDir() + "/README.md"});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace shardtool
