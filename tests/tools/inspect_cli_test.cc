// `shardtool inspect db|catalog|key` and `inspect records --view`, in-process on a cluster written
// by the sample generator: exact counts and keys (computed here from `inspect records` of every
// file), the state files of shardtool/ (leases, retired files, quarantine, range deletions), the
// JSON fields, error exit codes, and the read-only guarantee.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "acquire/lease.h"
#include "base/crc32c.h"
#include "catalog/retired_files.h"
#include "cli/shardtool_main.h"
#include "format/key_fields.h"
#include "gen/sample_cluster.h"
#include "jobs/bundle/bundle_writer.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Out = testing::CliOut;
using testing::St;

using testing::Hashes;

// Every member listed is present (a schema check of the documented minimum).
void ExpectMembers(const json& j, std::initializer_list<const char*> names, const char* what) {
  for (const char* n : names) EXPECT_TRUE(j.contains(n)) << what << " lacks \"" << n << "\"";
}

class InspectCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-inspect-XXXXXX";
    root_ = mkdtemp(tmpl);
    gen::GenOptions o;
    o.out = root_ + "/c";
    o.shards = 2;
    o.mirrors = 1;
    o.docs = 300;
    o.files = 3;
    o.words_per_doc = 20;
    o.page_bytes = 2000;
    o.seed = 11;
    gen::GenReport rep;
    ASSERT_OK(gen::GenerateCluster(PosixFS(), o, &rep));
    for (const auto& f : rep.files) {
      if (f.host == 0) manifest_[f.file] = {f.records, f.negatives};
    }
    for (int h : {0, 1}) {
      Out r = St({"--workdir", Host(h), "init", "--hosts", root_ + "/c/hosts.conf", "--host-id",
                  std::to_string(h)});
      ASSERT_EQ(r.code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static std::string Host(int i) { return root_ + "/c/host" + std::to_string(i); }

  // Every record of every committed file of an Rdb on host 0, oldest file first.
  struct Rec {
    std::string file, key;
    uint64_t offset;
    bool negative;
    json fields;
  };
  static std::vector<Rec> AllRecords(const std::string& rdb) {
    std::vector<Rec> v;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(Host(0) + "/coll.main.0")) {
      const std::string n = e.path().filename().string();
      if (n.rfind(rdb, 0) == 0 && n.find(".dat") != std::string::npos) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      Out r = St({"--workdir", Host(0), "--json", "inspect", "records", "coll.main.0/" + n});
      EXPECT_EQ(r.code, 0) << r.err;
      const json j = r.json();  // (no range-for over a temporary's member)
      for (auto& x : j["records"]) {
        v.push_back({"coll.main.0/" + n, x["key"], x["offset"], x["negative"], x["fields"]});
      }
    }
    return v;
  }

  static std::string root_;
  static std::map<std::string, std::pair<uint64_t, uint64_t>> manifest_;  // file -> (n, neg)
};
std::string InspectCli::root_;
std::map<std::string, std::pair<uint64_t, uint64_t>> InspectCli::manifest_;

TEST_F(InspectCli, DbListsEveryFileWithExactCounts) {
  const auto before = Hashes(Host(0));
  Out r = St({"--workdir", Host(0), "--json", "inspect", "db", "main"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = r.json();
  ExpectMembers(j,
                {"schema_version", "command", "database", "uuid", "dir", "db_version", "host_id",
                 "shard", "catalog", "collections", "views", "journals", "bookmarks", "spill_runs",
                 "quarantine", "totals"},
                "inspect db");
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["command"], "inspect db");
  EXPECT_EQ(j["dir"], "coll.main.0");
  EXPECT_EQ(j["host_id"], 0);
  EXPECT_EQ(j["shard"], 0);
  std::set<std::string> nss;
  uint64_t files = 0, records = 0, negatives = 0;
  for (auto& c : j["collections"]) {
    ExpectMembers(c,
                  {"ns", "uuid", "rdb", "sharded", "shard_version", "files", "merge", "retired",
                   "leases", "range_deletions", "totals"},
                  "collection");
    nss.insert(c["ns"]);
    EXPECT_TRUE(c["merge"].is_null());
    EXPECT_TRUE(c["leases"].empty());
    EXPECT_EQ(c["files"].size(), 3u) << c["ns"];
    for (auto& f : c["files"]) {
      ExpectMembers(f,
                    {"file", "id", "parts", "size", "records", "key_range", "page_size", "sidecar",
                     "headless", "retired", "merge"},
                    "file");
      auto m = manifest_.find(f["file"]);
      ASSERT_NE(m, manifest_.end()) << f["file"];
      EXPECT_EQ(f["records"]["positive"].get<uint64_t>() + f["records"]["negative"].get<uint64_t>(),
                m->second.first)
          << f["file"];
      EXPECT_EQ(f["records"]["negative"], m->second.second) << f["file"];
      EXPECT_EQ(f["sidecar"], "present");
      EXPECT_EQ(f["headless"], false);
      EXPECT_EQ(f["retired"], false);
      files++;
      records += m->second.first;
      negatives += m->second.second;
    }
  }
  EXPECT_EQ(
      nss, (std::set<std::string>{"main.clusterdb", "main.indexdb", "main.posdb", "main.titledb"}));
  EXPECT_EQ(j["totals"]["files"], files);
  EXPECT_EQ(j["totals"]["records"], records);
  EXPECT_EQ(j["totals"]["negative"], negatives);
  // Text form, and nothing written anywhere.
  Out t = St({"--workdir", Host(0), "inspect", "db", "main"});
  EXPECT_EQ(t.code, 0);
  EXPECT_NE(t.out.find("titledb0001-000.dat"), std::string::npos);
  EXPECT_NE(t.out.find("total "), std::string::npos);
  EXPECT_EQ(Hashes(Host(0)), before);
}

TEST_F(InspectCli, DbShowsLeasesRetiredFilesQuarantineAndRangeDeletions) {
  // State planted on a copy of host 1: a live lease (this process), a stale one (a dead pid,
  // expired), posdb0001.dat retired, a quarantine entry, and a range deletion from move-slots.
  const std::string h = root_ + "/state";
  fs::copy(Host(1), h, fs::copy_options::recursive);
  json cat = St({"--workdir", h, "--json", "inspect", "catalog"}).json();
  std::string posdb_uuid;
  for (auto& c : cat["collections"])
    if (c["ns"] == "main.posdb") posdb_uuid = c["uuid"];
  ASSERT_FALSE(posdb_uuid.empty());
  LeaseStore store(PosixFS(), h, SystemProcessInfo());
  Lease live = NewLease(SystemProcessInfo(), 2000000000);
  live.job = "verify";
  live.ns = "main.posdb";
  live.uuid = posdb_uuid;
  ASSERT_OK(store.Write(posdb_uuid, "live.json", live));
  Lease dead = live;
  dead.pid = 0;  // stashed, expired long ago
  dead.expires_at = 1000;
  ASSERT_OK(store.Write(posdb_uuid, "dead.json", dead));
  RetiredList rl;
  rl.uuid = posdb_uuid;
  rl.files.push_back({"posdb0001.dat", {"posdb0001.dat"}, 123, 1700000000, "merge"});
  ASSERT_OK(WriteRetiredList(PosixFS(), h, rl));
  BundleHeader bh;
  bh.kind = "quarantine";
  bh.database = "main";
  bh.created = "2024-01-31T12:00:00Z";
  BundleWriter bw(PosixFS(), h + "/shardtool/quarantine", "main.titledb.s1.x.00000001",
                  GetRdb(RdbId::kTitledb), bh);
  ASSERT_OK(bw.Open());
  bw.SetSlotSource(0, "coll.main.0/titledb0001-000.dat", "corrupt-record");
  Key k = MakeTitledbKey(12345, 678, false);
  ASSERT_OK(bw.Add(0, k.data(), nullptr, 0, 0, 12));
  ASSERT_OK(bw.Commit());
  ASSERT_EQ(St({"--workdir", h, "catalog", "move-slots", "--slots", "0-9", "--to-shard", "0"}).code,
            0);

  Out r = St({"--workdir", h, "--json", "inspect", "db", "main"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = r.json();
  for (auto& c : j["collections"]) {
    // Shard 1 lost slots 1, 3, 5, 7, 9 of every sharded collection.
    ASSERT_EQ(c["range_deletions"].size(), 1u) << c["ns"];
    EXPECT_EQ(c["range_deletions"][0]["slots"], json::parse("[[1,2],[3,4],[5,6],[7,8],[9,10]]"));
    if (c["ns"] != "main.posdb") continue;
    ASSERT_EQ(c["leases"].size(), 2u);
    EXPECT_EQ(c["leases"][0]["name"], "dead.json");
    EXPECT_EQ(c["leases"][0]["live"], false);
    EXPECT_EQ(c["leases"][1]["name"], "live.json");
    EXPECT_EQ(c["leases"][1]["live"], true);
    EXPECT_EQ(c["leases"][1]["job"], "verify");
    ASSERT_EQ(c["retired"].size(), 1u);
    EXPECT_EQ(c["retired"][0]["name"], "posdb0001.dat");
    EXPECT_EQ(c["files"][0]["retired"], true);
    EXPECT_EQ(c["totals"]["files"], 2);
  }
  EXPECT_EQ(j["totals"]["live_leases"], 1);
  EXPECT_EQ(j["totals"]["retired_files"], 1);
  ASSERT_EQ(j["quarantine"].size(), 1u);
  EXPECT_EQ(j["quarantine"][0]["kind"], "quarantine");
  EXPECT_EQ(j["quarantine"][0]["records"]["negative"], 1);
  EXPECT_EQ(j["quarantine"][0]["reasons"], json::parse(R"(["corrupt-record"])"));
  bool retired_journal = false;
  for (auto& f : j["journals"]) retired_journal |= f["what"] == "retired files";
  EXPECT_TRUE(retired_journal);
  // The leases were only read: the stale one is still there.
  EXPECT_TRUE(fs::exists(h + "/shardtool/leases/" + posdb_uuid + "/dead.json"));
  Out t = St({"--workdir", h, "inspect", "db", "main"});
  EXPECT_NE(t.out.find("lease dead.json: stale"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("retired posdb0001.dat"), std::string::npos);
  EXPECT_NE(t.out.find("range deletion: slots"), std::string::npos);
  fs::remove_all(h);
}

TEST_F(InspectCli, CatalogShowsClusterChunksAndVersions) {
  Out r = St({"--workdir", Host(1), "--json", "inspect", "catalog"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = r.json();
  ExpectMembers(j,
                {"schema_version", "command", "epoch", "version", "cluster", "this_host", "shard",
                 "databases", "collections", "views", "range_deletions"},
                "inspect catalog");
  EXPECT_EQ(j["cluster"]["num_shards"], 2);
  EXPECT_EQ(j["cluster"]["num_mirrors"], 1);
  ASSERT_EQ(j["cluster"]["hosts"].size(), 4u);
  EXPECT_EQ(j["cluster"]["hosts"][1]["this"], true);
  EXPECT_EQ(j["cluster"]["hosts"][3]["shard"], 1);
  EXPECT_EQ(j["shard"], 1);
  ASSERT_EQ(j["databases"].size(), 1u);
  EXPECT_EQ(j["databases"][0]["dir"], "coll.main.0");
  ASSERT_EQ(j["collections"].size(), 4u);
  for (auto& c : j["collections"]) {
    ExpectMembers(c, {"ns", "uuid", "rdb", "generation", "chunks", "shard_versions", "version"},
                  "collection");
    int32_t next = 0;
    for (auto& ch : c["chunks"]) {
      EXPECT_EQ(ch["min"], next);
      EXPECT_EQ(ch["shard"], ch["min"].get<int>() % 2);
      EXPECT_EQ(ch["version"], "1|0");
      next = ch["max"];
    }
    EXPECT_EQ(next, 8192);
    EXPECT_EQ(c["slots_by_shard"]["0"], 4096);
    EXPECT_EQ(c["slots_by_shard"]["1"], 4096);
    const std::string gen = c["generation"]["epoch"].get<std::string>() + "/1/1|0";
    EXPECT_EQ(c["shard_versions"]["1"], gen);
  }
  Out t = St({"--workdir", Host(1), "inspect", "catalog"});
  EXPECT_EQ(t.code, 0);
  EXPECT_NE(t.out.find("<- this host"), std::string::npos);
  EXPECT_NE(t.out.find("main.titledb"), std::string::npos);
}

TEST_F(InspectCli, KeyByDocIdListsEveryVersionNewestFirstWithPayload) {
  // A titledb docId with a tombstone in a later file (the generator deletes 5% of documents).
  auto recs = AllRecords("titledb");
  std::map<uint64_t, std::vector<Rec>> by_docid;
  for (const Rec& r : recs) by_docid[r.fields["docid"].get<uint64_t>()].push_back(r);
  uint64_t deleted = 0, live = 0;
  for (auto& [d, v] : by_docid) {
    if (v.size() >= 2 && v.back().negative && deleted == 0) deleted = d;
    if (v.size() == 1 && !v.back().negative && live == 0) live = d;
  }
  ASSERT_NE(deleted, 0u);
  ASSERT_NE(live, 0u);

  Out r = St({"--workdir", Host(0), "--json", "inspect", "key", "main", "--rdb", "titledb",
              "--docid", std::to_string(deleted)});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = r.json();
  ExpectMembers(
      j, {"schema_version", "command", "ns", "slot", "owner", "owner_hosts", "keys", "files"},
      "inspect key");
  EXPECT_EQ(j["slot"], DocIdSlot(deleted));
  EXPECT_EQ(j["owner"], DocIdSlot(deleted) % 2);
  ASSERT_EQ(j["owner_hosts"].size(), 2u);
  EXPECT_EQ(j["owner_hosts"][0]["id"], DocIdSlot(deleted) % 2);
  ASSERT_EQ(j["keys"].size(), 1u);
  const json& k = j["keys"][0];
  const auto& want = by_docid[deleted];
  ASSERT_EQ(k["versions"].size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    const Rec& w = want[want.size() - 1 - i];  // newest first
    EXPECT_EQ(k["versions"][i]["file"], w.file);
    EXPECT_EQ(k["versions"][i]["offset"], w.offset);
    EXPECT_EQ(k["versions"][i]["negative"], w.negative);
    EXPECT_EQ(k["versions"][i]["seen"], i == 0);
  }
  EXPECT_EQ(k["visible"], false);

  // --payload N: the first N bytes of the inflated page; --payload: all of it.
  Out p = St({"--workdir", Host(0), "--json", "inspect", "key", "main", "--rdb", "titledb",
              "--docid", std::to_string(live), "--payload", "40"});
  ASSERT_EQ(p.code, 0) << p.err;
  json pv = p.json()["keys"][0]["versions"][0];
  EXPECT_EQ(p.json()["keys"][0]["visible"], true);
  EXPECT_EQ(pv["payload"].get<std::string>().size(), 40u);
  const uint64_t full = pv["payload_size"];
  EXPECT_GT(full, 40u);
  Out all = St({"--workdir", Host(0), "--json", "inspect", "key", "main", "--rdb", "titledb",
                "--docid", std::to_string(live), "--payload"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(all.json()["keys"][0]["versions"][0]["payload"].get<std::string>().size(), full);
  // The same key given as hex finds the same version; the text form shows who sees what.
  Out byhex =
      St({"--workdir", Host(0), "--json", "inspect", "key", "main", "--rdb", "titledb", pv["key"]});
  ASSERT_EQ(byhex.code, 0) << byhex.err;
  EXPECT_EQ(byhex.json()["keys"][0]["versions"][0]["offset"], pv["offset"]);
  Out text = St({"--workdir", Host(0), "inspect", "key", "main", "--rdb", "titledb", "--docid",
                 std::to_string(deleted)});
  EXPECT_NE(text.out.find("sees it deleted"), std::string::npos) << text.out;
}

TEST_F(InspectCli, KeyByTermIdFindsEveryPosdbKeyOfTheTerm) {
  auto recs = AllRecords("posdb");
  ASSERT_FALSE(recs.empty());
  const uint64_t termid = recs[recs.size() / 2].fields["termid"];
  std::map<std::string, size_t> versions;  // positive key -> versions
  for (const Rec& r : recs) {
    if (r.fields["termid"] != termid) continue;
    std::string pos = r.key;
    // The positive form: the last hex digit's low bit set.
    int last = std::stoi(pos.substr(pos.size() - 1), nullptr, 16) | 1;
    pos.back() = "0123456789abcdef"[last];
    versions[pos]++;
  }
  Out r = St({"--workdir", Host(0), "--json", "inspect", "key", "main", "--rdb", "posdb",
              "--termid", std::to_string(termid)});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = r.json();
  ASSERT_EQ(j["keys"].size(), versions.size());
  for (auto& k : j["keys"]) {
    ASSERT_TRUE(versions.count(k["key"])) << k["key"];
    EXPECT_EQ(k["versions"].size(), versions[k["key"]]);
    EXPECT_EQ(k["fields"]["termid"], termid);
  }
  // --docid on posdb scans and filters: the keys of one document of that term.
  const uint64_t docid = j["keys"][0]["fields"]["docid"];
  Out both = St({"--workdir", Host(0), "--json", "inspect", "key", "main", "--rdb", "posdb",
                 "--termid", std::to_string(termid), "--docid", std::to_string(docid)});
  ASSERT_EQ(both.code, 0) << both.err;
  const json bj = both.json();
  EXPECT_FALSE(bj["keys"].empty());
  for (auto& k : bj["keys"]) EXPECT_EQ(k["fields"]["docid"], docid);
}

TEST_F(InspectCli, RecordsOfAViewAreTheMergedNewestVersionsInItsRange) {
  const std::string h = root_ + "/view";
  fs::copy(Host(0), h, fs::copy_options::recursive);
  auto recs = AllRecords("titledb");
  // Newest version of each key (files are oldest first in recs).
  std::map<std::string, Rec> newest;
  for (const Rec& r : recs) {
    std::string pos = r.key;
    int last = std::stoi(pos.substr(pos.size() - 1), nullptr, 16) | 1;
    pos.back() = "0123456789abcdef"[last];
    newest.insert_or_assign(pos, r);
  }
  auto it = newest.begin();
  std::advance(it, static_cast<long>(newest.size() / 4));
  const std::string lo = it->first;
  std::advance(it, static_cast<long>(newest.size() / 3));
  const std::string hi = it->first;
  size_t want = 0;
  for (auto& [key, r] : newest) want += key >= lo && key < hi;
  ASSERT_GT(want, 20u);
  std::string lo_neg = lo;
  lo_neg.back() = "0123456789abcdef"[std::stoi(lo.substr(lo.size() - 1), nullptr, 16) & 14];
  ASSERT_EQ(St({"--workdir", h, "catalog", "create-view", "main.recent", "--on", "main.titledb",
                "--min", lo_neg, "--max", hi})
                .code,
            0);
  Out r = St({"--workdir", h, "--json", "inspect", "records", "--view", "main.recent"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = r.json();
  ExpectMembers(j, {"schema_version", "view", "view_on", "rdb", "key_range", "records"},
                "inspect records --view");
  EXPECT_EQ(j["view_on"], "main.titledb");
  ASSERT_EQ(j["records"].size(), want);
  for (auto& x : j["records"]) {
    std::string pos = x["key"];
    int last = std::stoi(pos.substr(pos.size() - 1), nullptr, 16) | 1;
    pos.back() = "0123456789abcdef"[last];
    const Rec& w = newest.at(pos);
    EXPECT_EQ(x["file"], w.file);
    EXPECT_EQ(x["offset"], w.offset);
    EXPECT_EQ(x["negative"], w.negative);
  }
  EXPECT_EQ(
      St({"--workdir", h, "--json", "inspect", "records", "--view", "main.recent", "--limit", "3"})
          .json()["records"]
          .size(),
      3u);
  // A view is not a collection: inspect key refuses it (exit 3); an unknown view is exit 3.
  Out kv = St({"--workdir", h, "--json", "inspect", "key", "main", "--rdb", "recent", lo});
  EXPECT_EQ(kv.code, 3);
  EXPECT_EQ(kv.json()["error"]["name"], "CommandNotSupportedOnView");
  EXPECT_EQ(St({"--workdir", h, "inspect", "records", "--view", "main.nosuch"}).code, 3);
  fs::remove_all(h);
}

TEST_F(InspectCli, UsageAndStateErrorsHaveTheirExitCodes) {
  const std::string w = Host(0);
  // Both a key and --docid; neither; --payload outside titledb; --termid on titledb.
  EXPECT_EQ(
      St({"--workdir", w, "inspect", "key", "main", "--rdb", "titledb", "00", "--docid", "1"}).code,
      2);
  EXPECT_EQ(St({"--workdir", w, "inspect", "key", "main", "--rdb", "titledb"}).code, 2);
  EXPECT_EQ(
      St({"--workdir", w, "inspect", "key", "main", "--rdb", "posdb", "--termid", "1", "--payload"})
          .code,
      2);
  EXPECT_EQ(
      St({"--workdir", w, "inspect", "key", "main", "--rdb", "titledb", "--termid", "1"}).code, 2);
  EXPECT_EQ(St({"--workdir", w, "inspect", "key", "main", "--rdb", "titledb", "zz"}).code, 2);
  EXPECT_EQ(St({"--workdir", w, "inspect", "db", "ma in"}).code, 2);
  EXPECT_EQ(St({"--workdir", w, "inspect", "records"}).code, 2);
  Out nf = St({"--workdir", w, "--json", "inspect", "db", "nosuch"});
  EXPECT_EQ(nf.code, 3);
  EXPECT_EQ(nf.json()["error"]["name"], "NamespaceNotFound");
  EXPECT_EQ(St({"--workdir", w, "inspect", "key", "main", "--rdb", "linkdb", "--docid", "1"}).code,
            3);
  // No catalog yet: exit 3 naming init.
  Out none = St({"--workdir", root_ + "/c/host2", "inspect", "catalog"});
  EXPECT_EQ(none.code, 3);
  EXPECT_NE(none.err.find("shardtool init"), std::string::npos) << none.err;
  // A key that is nowhere: exit 0, no keys.
  Out miss =
      St({"--workdir", w, "--json", "inspect", "key", "main", "--rdb", "titledb", "--docid", "1"});
  EXPECT_EQ(miss.code, 0) << miss.err;
  EXPECT_TRUE(miss.json()["keys"].empty());
}

}  // namespace
}  // namespace shardtool
