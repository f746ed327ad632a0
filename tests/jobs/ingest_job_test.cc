// Ingest (issue 16): orphan bundles never shadow a version the host holds (item 3), bundles of
// another shard or catalog are refused before anything is written (item 4).
#include "jobs/ingest/ingest_job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "format/key_fields.h"
#include "jobs/bundle/bundle_writer.h"
#include "jobs/ingest/ingest_held.h"
#include "jobs/inspect/inspect_key.h"
#include "testing/import_cluster.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

constexpr char kHost1[] = "/cluster/host1";

// A titledb record of docId d (owned by shard d's slot % 2) with `data` ("" = negative).
TestRecord Rec(uint64_t docid, const std::string& data) {
  TestRecord r;
  r.key = MakeTitledbKey(docid, 7, !data.empty());
  if (!data.empty()) r.data = std::string(1, '\x64') + std::string(3, '\0') + data;
  return r;
}

// DocIds owned by shard 1 (odd slots) under the default map.
std::vector<uint64_t> Shard1DocIds(size_t n) {
  std::vector<uint64_t> out;
  for (uint64_t d = 1000; out.size() < n; d += 7) {
    if (KeySlot(ImportTitledb(), MakeTitledbKey(d, 7, true).data()) % 2 == 1) out.push_back(d);
  }
  return out;
}

struct IngestFixture : ::testing::Test {
  ImportCluster c;
  IngestEnv env;
  int bundles = 0;
  void SetUp() override {
    c.local_hosts = {0, 1};
    c.Setup();
    env.catalogs = &c.cache;
    env.gigablast = &c.no_gb;
    env.heartbeat_thread = false;
  }
  uint64_t Version(const std::string& wd) {
    auto snap = c.cache.Get(&c.mem, wd);
    EXPECT_OK(snap);
    return (*snap)->catalog().version;
  }
  // An orphans bundle for shard `target` holding `recs` (sorted), made under `header`.
  std::string Bundle(const std::vector<TestRecord>& recs, BundleHeader h) {
    const std::string name =
        "main.titledb.s" + std::to_string(h.target_shard) + ".b" + std::to_string(bundles++);
    BundleWriter w(&c.mem, "/orphans", name, ImportTitledb(), h);
    EXPECT_OK(w.Open());
    for (const TestRecord& r : recs) {
      EXPECT_TRUE(w.Add(0, r.key.data(), reinterpret_cast<const uint8_t*>(r.data.data()),
                        static_cast<uint32_t>(r.data.size()))
                      .ok());
    }
    EXPECT_OK(w.Commit());
    return w.final_path();
  }
  BundleHeader Header(int32_t target) {
    BundleHeader h;
    h.kind = "orphans";
    h.source_host_id = 0;
    h.source_shard = 0;
    h.target_shard = target;
    h.database = "main";
    h.catalog_version = Version(kHost1);
    return h;
  }
  Result<IngestReport> Ingest(const std::string& wd, const std::string& bundle) {
    IngestRequest r;
    r.workdir = wd;
    r.bundle_dir = bundle;
    return RunIngest(&c.mem, r, env);
  }
  // The version of docId d a reader of host 1 sees: its data, "-" when negative, "" when none.
  std::string Seen(uint64_t docid) {
    auto snap = c.cache.Get(&c.mem, kHost1);
    EXPECT_OK(snap);
    KeyQuery q;
    q.database = "main";
    q.rdb = "titledb";
    q.key_hex = MakeTitledbKey(docid, 7, true).ToHex();
    auto r = InspectKey(&c.mem, kHost1, (*snap)->catalog(), q);
    EXPECT_OK(r);
    if (!r.ok() || r->keys.empty()) return "";
    for (const KeyVersionInfo& v : r->keys[0].versions) {
      if (!v.seen) continue;
      if (v.negative) return "-";
      RecordsOptions ro;
      std::string data;
      auto rec = InspectRecords(
          &c.mem, JoinPath(kHost1, v.file), ro, [&](const RdbInfo&, const RecordEntry& e) {
            if (e.offset == v.offset)
              data.assign(reinterpret_cast<const char*>(e.data) + 4, e.data_size - 4);
          });
      EXPECT_OK(rec);
      return data;
    }
    return "";
  }
};

// Host 1 received newer versions after the slots moved to it; host 0's orphan bundle holds the
// old ones. After ingest, host 1 still sees its own versions of every key it held, positive or
// negative, and the bundle adds only keys host 1 had no version of.
TEST_F(IngestFixture, OrphanBundleNeverShadowsWhatTheHostHolds) {
  const std::vector<uint64_t> d = Shard1DocIds(4);
  // Host 1: a newer A, B re-added after a delete, C deleted; no D.
  ASSERT_OK(WriteDataFile(&c.mem, std::string(kHost1) + "/coll.main.0", ImportTitledb(), 3,
                          {Rec(d[0], "A-new"), Rec(d[1], "B-readded"), Rec(d[2], "")}));
  // The orphan bundle: old A, B's old delete, an old C, and D.
  std::vector<TestRecord> old = {Rec(d[0], "A-old"), Rec(d[1], ""), Rec(d[2], "C-old"),
                                 Rec(d[3], "D-old")};
  std::sort(old.begin(), old.end(),
            [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
  const std::string b = Bundle(old, Header(1));
  auto r = Ingest(kHost1, b);
  ASSERT_OK(r);
  EXPECT_EQ(r->held_by_host, 3);
  EXPECT_EQ(r->positive, 1);
  EXPECT_EQ(r->negative, 0);
  EXPECT_EQ(Seen(d[0]), "A-new");
  EXPECT_EQ(Seen(d[1]), "B-readded");
  EXPECT_EQ(Seen(d[2]), "-");
  EXPECT_EQ(Seen(d[3]), "D-old");
  // Again: nothing.
  r = Ingest(kHost1, b);
  ASSERT_OK(r);
  EXPECT_TRUE(r->already_ingested);
}

// Imported bundles keep their import semantics: they are new data and win.
TEST_F(IngestFixture, ImportBundleStillWins) {
  const std::vector<uint64_t> d = Shard1DocIds(1);
  ASSERT_OK(WriteDataFile(&c.mem, std::string(kHost1) + "/coll.main.0", ImportTitledb(), 3,
                          {Rec(d[0], "A-host")}));
  BundleHeader h = Header(1);
  h.kind = "import";
  auto r = Ingest(kHost1, Bundle({Rec(d[0], "A-import")}, h));
  ASSERT_OK(r);
  EXPECT_EQ(r->held_by_host, 0);
  EXPECT_EQ(Seen(d[0]), "A-import");
}

// The files of host h's collection dir and its state dir's journal: nothing may change on a
// refusal.
std::vector<std::string> Listing(MemFileSystem& mem, const std::string& wd) {
  std::vector<std::string> out;
  for (const std::string& dir : {wd + "/coll.main.0", wd + "/shardtool/journal"}) {
    auto l = mem.ListDir(dir);
    if (!l.ok()) continue;
    for (const DirEntry& e : *l) out.push_back(dir + "/" + e.name);
  }
  return out;
}

// A bundle made for shard 1 on a host of shard 0 whose catalog still owns those slots: refused,
// 5 when the bundle was made under another catalog version, else 3; nothing written.
TEST_F(IngestFixture, BundleForAnotherShardIsRefused) {
  std::vector<TestRecord> recs;
  for (uint64_t d = 1000; recs.size() < 3; d += 7) {
    TestRecord r = Rec(d, "x");
    if (KeySlot(ImportTitledb(), r.key.data()) % 2 == 0) recs.push_back(r);
  }
  std::sort(recs.begin(), recs.end(),
            [](const TestRecord& a, const TestRecord& b) { return a.key < b.key; });
  const std::string host0 = "/cluster/host0";
  const auto before = Listing(c.mem, host0);
  BundleHeader h = Header(1);
  h.catalog_version = Version(host0) + 1;  // made after a move-slots the host has not seen
  auto r = Ingest(host0, Bundle(recs, h));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 5) << r.status().ToString();
  h.catalog_version = Version(host0);
  r = Ingest(host0, Bundle(recs, h));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 3) << r.status().ToString();
  EXPECT_EQ(Listing(c.mem, host0), before);
}

// Under the host's own catalog lineage (same epoch) the collection uuid and the target shard's
// version are compared too.
TEST_F(IngestFixture, SameCatalogLineageComparesUuidAndShardVersion) {
  auto snap = c.cache.Get(&c.mem, kHost1);
  ASSERT_OK(snap);
  const Catalog& cat = (*snap)->catalog();
  const CollectionEntry* coll = cat.FindCollection("main.titledb");
  ASSERT_NE(coll, nullptr);
  BundleHeader h = Header(1);
  h.catalog_epoch = cat.epoch;
  h.collection_uuid = "00000000-0000-4000-8000-000000000001";
  h.catalog_shard_version = ShardVersionOf(*coll, 1).ToString();
  const std::vector<TestRecord> recs = {Rec(Shard1DocIds(1)[0], "x")};
  auto r = Ingest(kHost1, Bundle(recs, h));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 3) << r.status().ToString();
  h.collection_uuid = coll->uuid;
  h.catalog_shard_version = "UNTRACKED";
  r = Ingest(kHost1, Bundle(recs, h));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().exit_status(), 5) << r.status().ToString();
  h.catalog_shard_version = ShardVersionOf(*coll, 1).ToString();
  r = Ingest(kHost1, Bundle(recs, h));
  ASSERT_OK(r);
  EXPECT_EQ(r->positive, 1);
}

// A stream name is a file of the bundle: a manifest naming "../x/records-0000.zst" (a copy with a
// matching CRC placed there) is refused before anything outside the bundle is opened.
TEST_F(IngestFixture, StreamNamesOutsideTheBundleAreRefused) {
  const std::string b = Bundle({Rec(Shard1DocIds(1)[0], "x")}, Header(1));
  const std::string manifest = c.mem.ReadAll(b + "/manifest.json");
  c.mem.WriteAll("/evil/records-0000.zst", c.mem.ReadAll(b + "/records-0000.zst"));
  for (const std::string name :
       {"../../evil/records-0000.zst", "/evil/records-0000.zst", "..", "sub/records-0000.zst"}) {
    std::string m = manifest;
    const size_t at = m.find("\"records-0000.zst\"");
    ASSERT_NE(at, std::string::npos);
    m.replace(at, 18, "\"" + name + "\"");
    c.mem.WriteAll(b + "/manifest.json", m);
    auto r = Ingest(kHost1, b);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().exit_status(), 8) << r.status().ToString();
    EXPECT_NE(r.status().message().find("inside the bundle"), std::string::npos)
        << r.status().ToString();
  }
}

// DropKeysHeldByHost through the map (few keys: one page each) and by a scan (many keys) gives
// exactly the keys held in either form.
TEST(IngestHeld, LookupsAndScanAgree) {
  const RdbInfo& posdb = GetRdb(RdbId::kPosdb);
  const int ks = posdb.key_size;
  MemFileSystem mem;
  RandomListOptions o;
  o.negative_fraction = 0.2;
  o.num_hi = 400;
  const std::vector<TestRecord> file = RandomRecords(posdb, 60000, 3, o);
  ASSERT_OK(WriteDataFile(&mem, "/d", posdb, 1, file));
  // 6 keys read through the map (6 pages are less than the file), 4000 by a scan.
  ASSERT_GT(mem.ReadAll("/d/posdb0001.dat").size(), 6u * posdb.page_size);
  auto masked = [&](const uint8_t* k) {
    std::string m(reinterpret_cast<const char*>(k), static_cast<size_t>(ks));
    m[0] = static_cast<char>(m[0] & NegEqMask(ks));
    return m;
  };
  std::set<std::string> held;
  for (const TestRecord& r : file) held.insert(masked(r.key.data()));
  for (size_t n : {size_t{6}, size_t{4000}}) {
    SCOPED_TRACE(n);
    // Half from the file (with the delbit flipped for some), half from elsewhere.
    std::vector<Key> keys;
    for (size_t i = 0; i < n / 2; i++) {
      Key k = file[(i * 7919) % file.size()].key;
      if (i % 3 == 0) k.data()[0] ^= 0x01;
      keys.push_back(k);
    }
    for (const TestRecord& r : RandomRecords(posdb, n / 2, 99, o)) keys.push_back(r.key);
    std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
      return CompareKeysNegEq(a.data(), b.data(), ks) < 0;
    });
    keys.erase(std::unique(keys.begin(), keys.end(),
                           [&](const Key& a, const Key& b) {
                             return CompareKeysNegEq(a.data(), b.data(), ks) == 0;
                           }),
               keys.end());
    std::vector<TargetRecordRef> refs;
    std::vector<std::string> want;
    for (const Key& k : keys) {
      refs.push_back({k.data(), nullptr, 0});
      if (!held.count(masked(k.data()))) want.push_back(k.ToHex());
    }
    auto dropped = DropKeysHeldByHost(&mem, "/d", posdb, kGbPartSize, &refs);
    ASSERT_OK(dropped);
    std::vector<std::string> got;
    for (const TargetRecordRef& r : refs) got.push_back(KeyHex(r.key, ks));
    EXPECT_EQ(got, want);
    EXPECT_EQ(*dropped, static_cast<int64_t>(keys.size() - want.size()));
    EXPECT_GT(*dropped, 0);
  }
}

}  // namespace
}  // namespace shardtool::testing
