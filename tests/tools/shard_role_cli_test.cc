// The (CLI) scenarios of doc/acquisition.md §9 that need verify or merge (SR3, SR26, SR30,
// SR47-SR52), and issue 4's verify-during-merge test: the real `shardtool` binary, one process per
// actor, ordered by the SHARDTOOL_TEST_PAUSE_AT hook (tools/main.cc) at named test points.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "format/data_file_writer.h"
#include "format/file_name.h"
#include "format/rdb_registry.h"
#include "gen/sample_cluster.h"
#include "io/file_system.h"
#include "io/test_point.h"
#include "testing/status_matchers.h"
#include "tools/cli_runner.h"

namespace shardtool {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

using testing::Proc;

struct Ran {
  int code;
  std::string out, err;
  json Json() const { return json::parse(out); }
};

class ShardRoleCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/st-srcli-XXXXXX";
    root_ = mkdtemp(tmpl);
    // Fixture F of doc/acquisition.md §9: 4 hosts, 1 mirror, so 2 shards; host 0 in shard 0.
    gen::GenOptions o;
    o.out = root_ + "/c";
    o.shards = 2;
    o.mirrors = 1;
    o.docs = 3000;
    o.files = 3;
    o.words_per_doc = 30;
    o.page_bytes = 1500;
    o.rdbs = {"titledb", "posdb", "clusterdb"};
    gen::GenReport rep;
    Status s = gen::GenerateCluster(PosixFS(), o, &rep);
    ASSERT_OK(s);
    // main.doledb (not shardable): one small file the generator does not write.
    const RdbInfo& dole = GetRdb(RdbId::kDoledb);
    DataFileWriter w(PosixFS(), root_ + "/c/host0/coll.main.0", DataName(dole.name, 1, false),
                     MapName(dole.name, 1), CrcName(dole.name, 1), dole, DataFileWriter::Options{});
    s = w.Open();
    std::vector<uint8_t> key(static_cast<size_t>(dole.key_size), 0);
    key[0] = 0x01;  // positive
    std::vector<uint8_t> data(16, 'x');
    if (s.ok()) s = w.Add(key.data(), data.data(), static_cast<uint32_t>(data.size()));
    if (s.ok()) s = w.Finish();
    ASSERT_OK(s);
    // The same with records of shard 1 planted on host 0 (no range deletion covers them).
    o.out = root_ + "/m";
    o.docs = 600;
    o.misplace_host = 0;
    o.misplace_rate = 0.05;
    gen::GenReport rep2;
    s = gen::GenerateCluster(PosixFS(), o, &rep2);
    ASSERT_OK(s);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  void SetUp() override {
    if (!testpoint::kEnabled) GTEST_SKIP() << "needs a build with SHARDTOOL_TEST_POINTS";
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    h_ = root_ + "/" + info->name();
    p_ = h_ + ".p";
    Reset("c");
  }

  // Host 0 of cluster `cluster`, copied afresh and initialised.
  void Reset(const std::string& cluster) {
    fs::remove_all(h_);
    fs::copy(root_ + "/" + cluster + "/host0", h_, fs::copy_options::recursive);
    ASSERT_EQ(St({"init", "--hosts", root_ + "/" + cluster + "/hosts.conf", "--host-id", "0"}).code,
              0);
  }

  // shardtool --workdir <host> <args>, run to completion in its own process.
  Ran St(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workdir", h_});
    Proc p(h_ + ".run", args);
    const int code = p.Wait();
    return {code, p.out(), p.err()};
  }
  std::vector<std::string> W(std::vector<std::string> args) {
    args.insert(args.begin(), {"--workdir", h_});
    return args;
  }

  json Catalog() { return json::parse(ReadText(h_ + "/shardtool/catalog.json")); }
  json Collection(const std::string& ns) {
    const json cat = Catalog();  // not a range-for over a temporary's member
    for (const auto& c : cat["collections"])
      if (c["ns"] == ns) return c;
    return nullptr;
  }
  // This shard's (0) shard version text of a collection, e.g. "<epoch>/1/1|0".
  std::string ShardVersion(const std::string& ns) {
    json c = Collection(ns);
    std::pair<long, long> best{-1, -1};
    std::string text;
    for (auto& ch : c["chunks"]) {
      if (ch["shard"] != 0) continue;
      const std::string v = ch["version"];
      const std::pair<long, long> mm{std::stol(v.substr(0, v.find('|'))),
                                     std::stol(v.substr(v.find('|') + 1))};
      if (mm > best) {
        best = mm;
        text = v;
      }
    }
    return c["generation"]["epoch"].get<std::string>() + "/" +
           std::to_string(c["generation"]["timestamp"].get<long>()) + "/" + text;
  }
  std::vector<std::string> Leases(const std::string& ns) {
    std::vector<std::string> out;
    const std::string dir = h_ + "/shardtool/leases/" + Collection(ns)["uuid"].get<std::string>();
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".json") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  bool Data(const std::string& name) { return fs::exists(h_ + "/coll.main.0/" + name); }
  // Per file (name) record counts and not-owned counts of a verify --json report.
  static std::map<std::string, std::pair<int64_t, int64_t>> Counts(const json& j) {
    std::map<std::string, std::pair<int64_t, int64_t>> m;
    for (auto& f : j["files"]) {
      m[f["file"]] = {
          f["records"]["positive"].get<int64_t>() + f["records"]["negative"].get<int64_t>(),
          f["not_owned"].get<int64_t>()};
    }
    return m;
  }

  static std::string root_;
  std::string h_, p_;
};
std::string ShardRoleCli::root_;

TEST_F(ShardRoleCli, SR3_StaleDbVersionPinExits5) {
  const json cat = Catalog();
  json db = cat["databases"][0];
  const std::string uuid = db["dbVersion"]["uuid"];
  Ran r = St({"--json", "verify", "main", "--rdb", "doledb", "--placement", "db=" + uuid + "/9"});
  EXPECT_EQ(r.code, 5) << r.out << r.err;
  EXPECT_EQ(r.Json()["error"]["name"], "StaleDbVersion");
  // The current version passes; doledb is not sharded, so ownership is not applicable.
  EXPECT_EQ(St({"verify", "main", "--rdb", "doledb", "--placement", "db=" + uuid + "/1"}).code, 0);
}

TEST_F(ShardRoleCli, SR26_CatalogChangedBeforeTheLocksIsRetriedUnlessPinned) {
  // Unpinned: the catalog moves between the router's read and the acquisition -> retried, ok.
  {
    Proc v(p_ + "1", W({"--json", "verify", "main", "--rdb", "titledb"}),
           "router.after_catalog_read");
    ASSERT_TRUE(v.Reached()) << v.err();
    // Slot 1 (shard 1's) moves to shard 0: shard 0's titledb version goes to major 2.
    ASSERT_EQ(St({"catalog", "move-slots", "--slots", "1-1", "--to-shard", "0"}).code, 0);
    v.Go();
    EXPECT_EQ(v.Wait(), 0) << v.err();
    EXPECT_EQ(v.Json()["catalog"]["version"], Catalog()["catalogVersion"]);
  }
  // Pinned to the version read: stale after the move, never retried -> exit 5.
  const std::string pinned = "main.titledb=" + ShardVersion("main.titledb");
  Proc v(p_ + "2", W({"--json", "verify", "main", "--rdb", "titledb", "--placement", pinned}),
         "router.after_catalog_read");
  ASSERT_TRUE(v.Reached()) << v.err();
  ASSERT_EQ(St({"catalog", "move-slots", "--slots", "3-3", "--to-shard", "0"}).code, 0);
  v.Go();
  EXPECT_EQ(v.Wait(), 5) << v.out() << v.err();
  EXPECT_EQ(v.Json()["error"]["name"], "StaleConfig");
}

TEST_F(ShardRoleCli, SR30_CollectionDroppedDuringVerifyExits6) {
  Proc v(p_, W({"--json", "verify", "main", "--threads", "1"}), "acquire.yielded");
  ASSERT_TRUE(v.Reached()) << v.err();
  fs::rename(h_ + "/coll.main.0", h_ + "/gone");
  ASSERT_EQ(St({"init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "0"}).code, 0);
  v.Go();
  EXPECT_EQ(v.Wait(), 6) << v.out() << v.err();
  EXPECT_EQ(v.Json()["error"]["name"], "QueryPlanKilled");
  EXPECT_EQ(v.Json()["error"]["reason"], "dropped");
}

// Issue 4: verify running while a merge of the same collection commits (real processes).
TEST_F(ShardRoleCli, SR47_VerifyFinishesOnItsFilesWhileAMergeCommits) {
  Ran before = St({"--json", "verify", "main", "--rdb", "titledb"});
  ASSERT_EQ(before.code, 0) << before.err;
  Proc v(p_, W({"--json", "verify", "main", "--rdb", "titledb"}), "verify.after_acquire");
  ASSERT_TRUE(v.Reached()) << v.err();
  ASSERT_EQ(Leases("main.titledb").size(), 1u);
  Ran m = St({"--json", "merge", "main", "--rdb", "titledb", "--files", "1,3"});
  ASSERT_EQ(m.code, 0) << m.out << m.err;
  EXPECT_EQ(m.Json()["pinned_inputs"].size(), 2u) << m.out;
  // Retired, out of every new snapshot, but still on disk for the verify's lease.
  EXPECT_TRUE(Data("titledb0001-000.dat"));
  EXPECT_TRUE(Data("titledb0003-000.dat"));
  Ran now = St({"--json", "verify", "main", "--rdb", "titledb"});
  ASSERT_EQ(now.code, 0) << now.err;
  EXPECT_EQ(Counts(now.Json()).count("coll.main.0/titledb0001-000.dat"), 0u) << now.out;
  EXPECT_EQ(now.Json()["files"].size(), 2u);
  v.Go();
  ASSERT_EQ(v.Wait(), 0) << v.err();
  // The paused verify read the files it acquired: the counts of the run before the merge.
  EXPECT_EQ(Counts(v.Json()), Counts(before.Json()));
  // Its release left the retired inputs to the merge, whose target still has its merge-file name
  // (a directory Gigablast reads as its own unfinished merge, never the merged data alone); they
  // are out of every snapshot.
  EXPECT_TRUE(Leases("main.titledb").empty());
  EXPECT_TRUE(Data("titledb0001-000.dat"));
  EXPECT_TRUE(Data("titledb0003-000.dat"));
  const std::string retired = h_ + "/shardtool/journal/retired." +
                              Collection("main.titledb")["uuid"].get<std::string>() + ".json";
  EXPECT_TRUE(fs::exists(retired));
  EXPECT_EQ(St({"verify", "main"}).code, 0);
  // The merge's next run removes them and gives the target the first input's name.
  Ran finish = St({"--json", "merge", "main", "--rdb", "titledb", "--files", "1,3"});
  ASSERT_EQ(finish.code, 0) << finish.out << finish.err;
  EXPECT_TRUE(Data("titledb0001-000.dat"));
  EXPECT_FALSE(Data("titledb0003-000.dat"));
  EXPECT_FALSE(Data("titledb0000-000.002.dat"));
  EXPECT_FALSE(fs::exists(retired));
  Ran after = St({"--json", "verify", "main", "--rdb", "titledb"});
  ASSERT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(after.Json()["summary"]["records"], now.Json()["summary"]["records"]);
}

TEST_F(ShardRoleCli, SR48_StaleLeasesAreReapedByTheNextCleanup) {
  // A verify holds leases on every collection; slots move away; the verify is killed.
  Proc v(p_, W({"verify", "main"}), "verify.after_acquire");
  ASSERT_TRUE(v.Reached()) << v.err();
  ASSERT_EQ(
      St({"catalog", "move-slots", "--slots", "0-4095", "--to-shard", "1", "--orphan-delay", "0"})
          .code,
      0);
  const auto posdb_leases = Leases("main.posdb");
  const auto titledb_leases = Leases("main.titledb");
  ASSERT_EQ(posdb_leases.size(), 1u);
  ASSERT_EQ(titledb_leases.size(), 1u);
  v.Kill9();
  json lease = json::parse(ReadText(titledb_leases[0]));
  // Live pid, another procStart (pid reuse): stale.
  json reused = lease;
  reused["pid"] = static_cast<int64_t>(getpid());
  reused["procStart"] = 1;
  WriteText(fs::path(titledb_leases[0]).parent_path().string() + "/reused-1-1.json", reused.dump());
  // Another host's lease, expired: stale.
  json other = lease;
  other["host"] = "elsewhere.example";
  other["expiresAt"] = 1000;
  WriteText(fs::path(titledb_leases[0]).parent_path().string() + "/elsewhere-2-2.json",
            other.dump());
  // Another host's lease, not expired: live (posdb's).
  json live = json::parse(ReadText(posdb_leases[0]));
  live["host"] = "elsewhere.example";
  live["expiresAt"] = 4102444800;  // 2100
  WriteText(fs::path(posdb_leases[0]).parent_path().string() + "/elsewhere-3-3.json", live.dump());
  fs::remove(posdb_leases[0]);  // the killed verify's own: reaped like titledb's

  Ran t = St({"--json", "merge", "main", "--rdb", "titledb", "--all", "--cleanup-orphans"});
  ASSERT_EQ(t.code, 0) << t.out << t.err;
  EXPECT_GT(t.Json()["orphans"]["dropped"].get<int64_t>(), 0);
  EXPECT_TRUE(Leases("main.titledb").empty());

  Ran p = St({"--json", "merge", "main", "--rdb", "posdb", "--all", "--cleanup-orphans"});
  EXPECT_EQ(p.code, 4) << p.out << p.err;
  EXPECT_EQ(p.Json()["error"]["name"], "RangeDeletionDeferred");
  EXPECT_EQ(p.Json()["error"]["reason"], "leaseHeld");
  EXPECT_EQ(Leases("main.posdb").size(), 1u);
}

TEST_F(ShardRoleCli, SR49_OrphanCleanupReadinessAndUnexpectedSlots) {
  // No orphans at all: nothing to drop, exit 0.
  Ran none = St({"--json", "merge", "main", "--rdb", "clusterdb", "--all", "--cleanup-orphans"});
  ASSERT_EQ(none.code, 0) << none.out << none.err;
  EXPECT_EQ(none.Json()["orphans"]["dropped"], 0);
  ASSERT_EQ(St({"catalog", "move-slots", "--slots", "0-4095", "--to-shard", "1"}).code, 0);
  // Not ready (readyAfter = now + 900 s): deferred, exit 4.
  Ran early =
      St({"--json", "merge", "main", "--rdb", "posdb", "--files", "1,3", "--cleanup-orphans"});
  EXPECT_EQ(early.code, 4) << early.out << early.err;
  EXPECT_EQ(early.Json()["error"]["reason"], "notReady");
  EXPECT_EQ(early.Json()["orphans"]["dropped"], 0);
  EXPECT_GT(early.Json()["orphans"]["deferred"].get<int64_t>(), 0);
  // --orphan-delay 0: ready, dropped, exit 0.
  Ran now = St({"--json", "merge", "main", "--rdb", "titledb", "--all", "--cleanup-orphans",
                "--orphan-delay", "0"});
  ASSERT_EQ(now.code, 0) << now.out << now.err;
  EXPECT_GT(now.Json()["orphans"]["dropped"].get<int64_t>(), 0);
  EXPECT_EQ(now.Json()["orphans"]["unexpected"], 0);
  // Records of slots this shard does not own and no range deletion covers: kept, unexpected.
  Reset("m");
  Ran un = St({"--json", "merge", "main", "--rdb", "clusterdb", "--all", "--cleanup-orphans",
               "--orphan-delay", "0"});
  ASSERT_EQ(un.code, 0) << un.out << un.err;
  EXPECT_EQ(un.Json()["orphans"]["dropped"], 0);
  EXPECT_GT(un.Json()["orphans"]["unexpected"].get<int64_t>(), 0);
  EXPECT_FALSE(un.Json()["slots"]["unexpected"].empty());
}

TEST_F(ShardRoleCli, SR50_MaxDurationStashesAndTheRerunFinishesIdentically) {
  const std::string ref = h_ + "-ref";
  fs::remove_all(ref);
  fs::copy(h_, ref, fs::copy_options::recursive);
  {
    Proc r(p_ + "ref", {"--workdir", ref, "merge", "main", "--rdb", "posdb", "--all"});
    ASSERT_EQ(r.Wait(), 0) << r.err();
  }
  Ran m = St({"--json", "merge", "main", "--rdb", "posdb", "--all", "--rate", "0.2",
              "--max-duration", "0.3"});
  ASSERT_EQ(m.code, 9) << m.out << m.err;
  const std::string stash = h_ + "/shardtool/journal/merge.main.posdb.stash.json";
  ASSERT_TRUE(fs::exists(stash));
  json j = json::parse(ReadText(stash));
  EXPECT_FALSE(j["lastKey"].get<std::string>().empty()) << j.dump();
  EXPECT_NE(j.dump().find("main.posdb"), std::string::npos);
  EXPECT_NE(j.dump().find(Collection("main.posdb")["uuid"].get<std::string>()), std::string::npos);
  Ran again = St({"--json", "merge", "main", "--rdb", "posdb", "--all"});
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_FALSE(fs::exists(stash));
  for (const char* f : {"posdb0001.dat", "posdb0001.map", "posdb0001.crc"}) {
    EXPECT_EQ(ReadText(h_ + "/coll.main.0/" + f), ReadText(ref + "/coll.main.0/" + f)) << f;
  }
  fs::remove_all(ref);
}

TEST_F(ShardRoleCli, SR51_StashedVerifyResumesWithTheTotalsOfAnUninterruptedRun) {
  Ran full = St({"--json", "verify", "main"});
  ASSERT_EQ(full.code, 0) << full.err;
  const std::string journal = h_ + "/shardtool/journal/verify.main.json";
  {
    Proc v(p_, W({"--json", "verify", "main", "--threads", "1"}), "acquire.yielded");
    ASSERT_TRUE(v.Reached()) << v.err();
    kill(v.pid(), SIGTERM);
    v.Go();
    ASSERT_EQ(v.Wait(), 9) << v.out() << v.err();
  }
  ASSERT_TRUE(fs::exists(journal));
  ASSERT_EQ(Leases("main.posdb").size(), 1u);
  json lease = json::parse(ReadText(Leases("main.posdb")[0]));
  EXPECT_EQ(lease["pid"], 0);
  EXPECT_EQ(lease["stashed"], "verify.main.json");
  // A slot the stashed verify counted as owned moves away: its cleanup is deferred.
  ASSERT_EQ(
      St({"catalog", "move-slots", "--slots", "0-4095", "--to-shard", "1", "--orphan-delay", "0"})
          .code,
      0);
  Ran m = St({"--json", "merge", "main", "--rdb", "posdb", "--all", "--cleanup-orphans"});
  EXPECT_EQ(m.code, 4) << m.out << m.err;
  EXPECT_EQ(m.Json()["error"]["reason"], "leaseHeld");
  // --resume: the stashed files and ownership view, so the totals of the uninterrupted run.
  Ran resumed = St({"--json", "verify", "main", "--resume"});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(resumed.Json()["resumed"], true);
  EXPECT_EQ(Counts(resumed.Json()), Counts(full.Json()));
  EXPECT_EQ(resumed.Json()["summary"]["records"], full.Json()["summary"]["records"]);
  EXPECT_FALSE(fs::exists(journal));
  EXPECT_TRUE(Leases("main.posdb").empty());
  // The merge's rerun finishes it (its orphans stay deferred, as frozen at its start: exit 4) now
  // that no lease holds its inputs.
  Ran m2 = St({"--json", "merge", "main", "--rdb", "posdb", "--all", "--cleanup-orphans"});
  EXPECT_EQ(m2.code, 4) << m2.out << m2.err;
  EXPECT_EQ(m2.Json()["resumed"], true);
  EXPECT_EQ(m2.Json()["output"], "coll.main.0/posdb0001.dat");
  EXPECT_FALSE(Data("posdb0003.dat"));

  // Again, but main is dropped and recreated before the resume: exit 6, stash gone.
  {
    Proc v(p_ + "b", W({"--json", "verify", "main", "--threads", "1"}), "acquire.yielded");
    ASSERT_TRUE(v.Reached()) << v.err();
    kill(v.pid(), SIGTERM);
    v.Go();
    ASSERT_EQ(v.Wait(), 9) << v.out() << v.err();
  }
  ASSERT_TRUE(fs::exists(journal));
  const std::string old_uuid = Collection("main.posdb")["uuid"];
  fs::rename(h_ + "/coll.main.0", h_ + "/coll.main.1");
  ASSERT_EQ(St({"init", "--hosts", root_ + "/c/hosts.conf", "--host-id", "0"}).code, 0);
  Ran gone = St({"--json", "verify", "main", "--resume"});
  EXPECT_EQ(gone.code, 6) << gone.out << gone.err;
  EXPECT_EQ(gone.Json()["error"]["name"], "QueryPlanKilled");
  EXPECT_FALSE(fs::exists(journal));
  EXPECT_FALSE(fs::exists(h_ + "/shardtool/leases/" + old_uuid) &&
               !fs::is_empty(h_ + "/shardtool/leases/" + old_uuid));
  Ran fresh = St({"--json", "verify", "main"});
  EXPECT_EQ(fresh.Json()["resumed"], false);
  EXPECT_EQ(fresh.Json()["summary"]["files"], full.Json()["summary"]["files"].get<int64_t>() - 2);
}

// verify --digest stopped at a yield (its files verified at once, on their own threads) stashes
// like verify; --resume --digest gives the digests of an uninterrupted run.
TEST_F(ShardRoleCli, SR51_StashedVerifyDigestResumesWithTheSameDigests) {
  Ran full = St({"--json", "verify", "main", "--digest"});
  ASSERT_EQ(full.code, 0) << full.err;
  ASSERT_FALSE(full.Json()["digests"].empty());
  {
    Proc v(p_, W({"--json", "verify", "main", "--digest", "--threads", "1"}), "acquire.yielded");
    ASSERT_TRUE(v.Reached()) << v.err();
    kill(v.pid(), SIGTERM);
    v.Go();
    ASSERT_EQ(v.Wait(), 9) << v.out() << v.err();
  }
  ASSERT_TRUE(fs::exists(h_ + "/shardtool/journal/verify.main.json"));
  Ran resumed = St({"--json", "verify", "main", "--digest", "--resume"});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(resumed.Json()["resumed"], true);
  EXPECT_EQ(resumed.Json()["digests"], full.Json()["digests"]);
}

TEST_F(ShardRoleCli, SR52_StashedVerifyLeftTooLongLosesItsLease) {
  {
    Proc v(p_, W({"verify", "main", "--threads", "1"}), "acquire.yielded");
    ASSERT_TRUE(v.Reached()) << v.err();
    kill(v.pid(), SIGTERM);
    v.Go();
    ASSERT_EQ(v.Wait(), 9) << v.err();
  }
  ASSERT_EQ(
      St({"catalog", "move-slots", "--slots", "0-4095", "--to-shard", "1", "--orphan-delay", "0"})
          .code,
      0);
  // 900 s later: the stashed leases have expired.
  for (const char* ns : {"main.posdb", "main.titledb", "main.clusterdb", "main.doledb"}) {
    for (const std::string& l : Leases(ns)) {
      json j = json::parse(ReadText(l));
      j["expiresAt"] = j["expiresAt"].get<int64_t>() - 1000;
      WriteText(l, j.dump());
    }
  }
  Ran m = St({"--json", "merge", "main", "--rdb", "posdb", "--all", "--cleanup-orphans"});
  ASSERT_EQ(m.code, 0) << m.out << m.err;
  EXPECT_GT(m.Json()["orphans"]["dropped"].get<int64_t>(), 0);
  EXPECT_TRUE(Leases("main.posdb").empty());
  Ran r = St({"--json", "verify", "main", "--resume"});
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  EXPECT_EQ(r.Json()["error"]["reason"], "leaseLost");
  EXPECT_FALSE(fs::exists(h_ + "/shardtool/journal/verify.main.json"));
}

}  // namespace
}  // namespace shardtool
