// One catalog for the cluster (issue 17 §2): export, apply (idempotent, older, other epoch,
// adoption, range deletions derived as move-slots and reshard derive them), check, and the refusal
// of changes on a host other than the config host.
#include "catalog/cluster_catalog.h"

#include <gtest/gtest.h>

#include "catalog/catalog_admin.h"
#include "io/mem_file_system.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

constexpr int64_t kApplyNow = 1700000000;

OpEnv ApplyEnv(uint64_t seed = 99) { return OpEnv{CountingUuidGenerator(seed), kApplyNow}; }

// The catalog of host `host` of a 4-host, 2-shard cluster, from its own init (uuid seed `seed`).
Catalog OwnInitCatalog(int32_t host, uint64_t seed = 7) {
  InitRequest req;
  req.hosts = testing::FixtureHostsConf("/c");
  req.host_id = host;
  req.databases = {{"main", 0, "coll.main.0", {"doledb", "posdb", "titledb"}}};
  auto r = InitCatalog(nullptr, req, ApplyEnv(seed));
  EXPECT_OK(r);
  return r->catalog;
}

// Host `host`'s copy of `c` (the same catalog, as an earlier apply would have made it).
Catalog CopyForHost(Catalog c, int32_t host) {
  c.this_host = host;
  c.config_host = 0;
  c.range_deletions.clear();
  return c;
}

Catalog ExportOf(const Catalog& c) {
  auto e = ParseClusterCatalog(SerializeClusterCatalog(c), "export.json");
  EXPECT_OK(e);
  return e.ok() ? *e : Catalog{};
}

Result<OpResult> ApplyExport(const Catalog* current, const Catalog& cluster, bool adopt = false,
                             int32_t host_id = -1) {
  ApplyRequest req;
  req.cluster = cluster;
  req.adopt = adopt;
  req.host_id = host_id;
  auto r = ApplyClusterCatalog(current, req, ApplyEnv());
  if (r.ok() && r->changed) {
    Status v = ValidateCatalog(r->catalog, "applied");
    EXPECT_OK(v) << v.ToString();
  }
  return r;
}

TEST(ClusterCatalog, ExportHasNoHostMembers) {
  Catalog c = OwnInitCatalog(2);
  const std::string text = SerializeClusterCatalog(c);
  EXPECT_EQ(text.find("\"thisHost\""), std::string::npos);
  EXPECT_EQ(text.find("\"rangeDeletions\""), std::string::npos);
  EXPECT_NE(text.find("\"configHost\": 0"), std::string::npos) << text.substr(0, 400);
  Catalog e = ExportOf(c);
  EXPECT_EQ(e.this_host, 0);
  EXPECT_EQ(e.config_host, 0);
  EXPECT_EQ(e.epoch, c.epoch);
  EXPECT_EQ(e.collections, c.collections);
  // A host's catalog.json is not an export, and garbage is corrupt.
  EXPECT_EQ(ParseClusterCatalog(SerializeCatalog(c), "x").status().code(),
            ErrorCode::kCorruptCatalog);
  EXPECT_EQ(ParseClusterCatalog("{", "x").status().exit_status(), 8);
  // configHost survives catalog.json's round trip.
  Catalog withcfg = CopyForHost(c, 1);
  auto back = ParseCatalog(SerializeCatalog(withcfg), "x");
  ASSERT_OK(back);
  EXPECT_EQ(*back, withcfg);
}

TEST(ClusterCatalog, ApplyIdempotentOlderAndFromNothing) {
  Catalog config = OwnInitCatalog(0);
  const Catalog e = ExportOf(config);
  // No catalog here: the cluster's, with this host's id.
  auto made = ApplyExport(nullptr, e, false, 3);
  ASSERT_OK(made);
  EXPECT_TRUE(made->changed);
  EXPECT_EQ(made->catalog.this_host, 3);
  EXPECT_EQ(made->catalog.config_host, 0);
  EXPECT_EQ(made->catalog.version, config.version);
  EXPECT_EQ(made->catalog.epoch, config.epoch);
  // The same version again: nothing to do.
  auto again = ApplyExport(&made->catalog, e);
  ASSERT_OK(again);
  EXPECT_FALSE(again->changed);
  // The config host applying its own export: nothing to do either.
  auto own = ApplyExport(&config, e);
  ASSERT_OK(own);
  EXPECT_FALSE(own->changed);
  // A newer version here by this host's own changes (a completed range deletion): the same
  // cluster part, nothing to do.
  Catalog ahead = made->catalog;
  ahead.version++;
  auto same = ApplyExport(&ahead, e);
  ASSERT_OK(same);
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->catalog, ahead);
  // A newer cluster catalog here: the export is older, exit 5.
  Catalog newer = made->catalog;
  newer.version++;
  newer.collections[1].part_size *= 2;
  auto older = ApplyExport(&newer, e);
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.status().code(), ErrorCode::kStaleConfig);
  EXPECT_EQ(older.status().exit_status(), 5);
  // The same version with other contents: diverged, exit 3.
  Catalog diverged = made->catalog;
  diverged.collections[1].part_size *= 2;
  EXPECT_EQ(ApplyExport(&diverged, e).status().exit_status(), 3);
}

TEST(ClusterCatalog, OtherEpochNeedsAdoptAndRemapsUuids) {
  Catalog config = OwnInitCatalog(0, 7);
  Catalog own = OwnInitCatalog(1, 8);  // host 1 ran its own init: another epoch, other uuids
  ASSERT_NE(own.epoch, config.epoch);
  own.range_deletions.push_back({"main.posdb",
                                 own.FindCollection("main.posdb")->uuid,
                                 {{0, 10}},
                                 {"x", 1, kApplyNow},
                                 kApplyNow,
                                 {},
                                 {}});
  // Slot 0..9: 0,2,4.. are shard 0's. Keep shard 1's ones in a valid range deletion: [0,1) is
  // shard 0's, so this host (shard 1) never owned it; the deletion stays for slots it lost.
  const Catalog e = ExportOf(config);
  auto refused = ApplyExport(&own, e);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--adopt"), std::string::npos);
  auto adopted = ApplyExport(&own, e, /*adopt=*/true);
  ASSERT_OK(adopted);
  const Catalog& n = adopted->catalog;
  EXPECT_EQ(n.epoch, config.epoch);
  EXPECT_EQ(n.this_host, 1);
  EXPECT_EQ(n.FindCollection("main.posdb")->uuid, config.FindCollection("main.posdb")->uuid);
  EXPECT_EQ(n.FindDatabase("main")->uuid, config.FindDatabase("main")->uuid);
  // The range deletion follows its collection to the cluster's uuid, minus owned slots.
  ASSERT_EQ(n.range_deletions.size(), 1u);
  EXPECT_EQ(n.range_deletions[0].uuid, config.FindCollection("main.posdb")->uuid);
  for (const SlotRange& r : n.range_deletions[0].slots) {
    for (int s = r.min; s < r.max; s++) EXPECT_EQ(s % 2, 0) << s;  // shard 0's slots only
  }
  bool remapped = false;
  for (const ChangeNote& note : adopted->notes) remapped = remapped || note.kind == "remapUuid";
  EXPECT_TRUE(remapped);
  // Then the ordinary rules: applying it again is no change.
  auto again = ApplyExport(&n, e);
  ASSERT_OK(again);
  EXPECT_FALSE(again->changed);
}

TEST(ClusterCatalog, UnknownPlacementKeepsItsData) {
  Catalog config = OwnInitCatalog(0, 7);
  Catalog own = OwnInitCatalog(1, 8);
  for (CollectionEntry& c : own.collections) {
    if (c.sharded) {
      c.generation.reset();
      c.chunks.clear();
    }
  }
  MoveSlotsRequest move{1, 99, 0, {}, 900};
  auto moved = MoveSlots(config, move, ApplyEnv());
  ASSERT_OK(moved);
  auto adopted = ApplyExport(&own, ExportOf(moved->catalog), true);
  ASSERT_OK(adopted);
  EXPECT_TRUE(adopted->catalog.range_deletions.empty());
}

// Apply on host 1 derives exactly the range deletions move-slots derives on host 1 itself.
TEST(ClusterCatalog, RangeDeletionsAsMoveSlots) {
  Catalog config = OwnInitCatalog(0);
  Catalog host1 = CopyForHost(config, 1);
  MoveSlotsRequest move{1, 99, 0, {}, 900};  // shard 1 (host 1) loses its odd slots in 1..99
  auto on_config = MoveSlots(config, move, ApplyEnv());
  ASSERT_OK(on_config);
  auto on_host1 = MoveSlots(host1, move, ApplyEnv());
  ASSERT_OK(on_host1);
  ASSERT_FALSE(on_host1->catalog.range_deletions.empty());
  auto applied = ApplyExport(&host1, ExportOf(on_config->catalog));
  ASSERT_OK(applied);
  EXPECT_EQ(applied->catalog.range_deletions, on_host1->catalog.range_deletions);
  EXPECT_EQ(applied->catalog.collections, on_host1->catalog.collections);
  EXPECT_EQ(applied->catalog.version, on_host1->catalog.version);
  // Moving them back: host 1 gets them again and its range deletions lose them, as move-slots.
  MoveSlotsRequest back{1, 99, 1, {}, 900};
  auto config2 = MoveSlots(on_config->catalog, back, ApplyEnv());
  auto host1b = MoveSlots(on_host1->catalog, back, ApplyEnv());
  ASSERT_OK(config2);
  ASSERT_OK(host1b);
  auto applied2 = ApplyExport(&applied->catalog, ExportOf(config2->catalog));
  ASSERT_OK(applied2);
  EXPECT_EQ(applied2->catalog.range_deletions, host1b->catalog.range_deletions);
}

TEST(ClusterCatalog, RangeDeletionsAsReshard) {
  Catalog config = OwnInitCatalog(0);
  Catalog host1 = CopyForHost(config, 1);
  ReshardRequest req;
  req.hosts = testing::FixtureHostsConf("/c", 4, 0);  // 4 shards
  auto on_config = Reshard(config, req, ApplyEnv(5));
  auto on_host1 = Reshard(host1, req, ApplyEnv(5));  // the same uuids
  ASSERT_OK(on_config);
  ASSERT_OK(on_host1);
  auto applied = ApplyExport(&host1, ExportOf(on_config->catalog));
  ASSERT_OK(applied);
  ASSERT_FALSE(on_host1->catalog.range_deletions.empty());
  EXPECT_EQ(applied->catalog.range_deletions, on_host1->catalog.range_deletions);
}

TEST(ClusterCatalog, Check) {
  Catalog config = OwnInitCatalog(0);
  Catalog host1 = CopyForHost(config, 1);
  EXPECT_TRUE(CatalogDifferences(host1, ExportOf(config)).empty());
  EXPECT_TRUE(CatalogDifferences(config, ExportOf(config)).empty());
  auto moved = MoveSlots(config, MoveSlotsRequest{1, 99, 0, {}, 900}, ApplyEnv());
  ASSERT_OK(moved);
  auto diffs = CatalogDifferences(host1, ExportOf(moved->catalog));
  ASSERT_FALSE(diffs.empty());
  EXPECT_EQ(diffs[0], "catalogVersion: here 1, cluster 2");
  bool chunk = false;
  for (const std::string& d : diffs) chunk = chunk || d.find("collection main.posdb chunk") == 0;
  EXPECT_TRUE(chunk);
  Catalog other = OwnInitCatalog(1, 8);
  diffs = CatalogDifferences(other, ExportOf(config));
  EXPECT_EQ(diffs[0].rfind("catalogEpoch:", 0), 0u);
}

TEST(ClusterCatalog, ChangesRefusedOnOtherHosts) {
  MemFileSystem fs;
  testing::FixtureOptions o;
  o.host_id = 1;
  auto f = testing::MakeFixtureF(&fs, o);
  ASSERT_OK(f);
  // Host 1 adopts the config host's catalog (another epoch: --adopt).
  Catalog config = OwnInitCatalog(0);
  ASSERT_OK(fs.CreateDirs("/x"));
  {
    auto w = fs.OpenForWrite("/x/cluster.json", WriteMode::kTruncate);
    ASSERT_OK(w);
    ASSERT_OK((*w)->Append(SerializeClusterCatalog(config)));
    ASSERT_OK((*w)->Close());
  }
  AdminOptions admin;
  ApplyArgs args;
  args.path = "/x/cluster.json";
  EXPECT_EQ(RunApplyCatalog(&fs, f->workdir, args, admin).status().exit_status(), 3);
  args.adopt = true;
  auto applied = RunApplyCatalog(&fs, f->workdir, args, admin);
  ASSERT_OK(applied);
  EXPECT_TRUE(applied->written);
  auto again = RunApplyCatalog(&fs, f->workdir, args, admin);
  ASSERT_OK(again);
  EXPECT_FALSE(again->written);
  auto refused = RunMoveSlots(&fs, f->workdir, MoveSlotsRequest{1, 9, 0, {}, 900}, admin);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().exit_status(), 3);
  EXPECT_NE(refused.status().message().find("host 0 (10.0.0.1 /c/host0)"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(RunDropView(&fs, f->workdir, "main.recent", admin).status().exit_status(), 3);
  // The plain single-host catalog of the fixture changes as before.
  MemFileSystem fs2;
  auto f2 = testing::MakeFixtureF(&fs2, o);
  ASSERT_OK(f2);
  EXPECT_OK(RunMoveSlots(&fs2, f2->workdir, MoveSlotsRequest{1, 9, 0, {}, 900}, admin));
}

}  // namespace
}  // namespace shardtool
