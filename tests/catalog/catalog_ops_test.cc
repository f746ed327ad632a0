// The catalog operations of doc/acquisition.md §2 as pure functions: init and its refresh rules,
// move-slots (SR43), reshard (SR44), views.
#include "catalog/catalog_ops.h"

#include <gtest/gtest.h>

#include <set>

#include "catalog/ownership_filter.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

constexpr int64_t kNow = 1700000000;

OpEnv Env(uint64_t seed = 99) { return OpEnv{CountingUuidGenerator(seed), kNow}; }

DiscoveredDatabase Db(std::string name, int32_t collnum, std::vector<std::string> rdbs) {
  return DiscoveredDatabase{name, collnum, "coll." + name + "." + std::to_string(collnum),
                            std::move(rdbs)};
}

InitRequest Request(std::vector<DiscoveredDatabase> dbs, int host_id = 0, int hosts = 4,
                    int mirrors = 1) {
  InitRequest r;
  r.hosts = testing::FixtureHostsConf("/c", hosts, mirrors);
  r.host_id = host_id;
  r.databases = std::move(dbs);
  return r;
}

Catalog MustInit(const Catalog* cur, const InitRequest& req, uint64_t seed = 99) {
  auto r = InitCatalog(cur, req, Env(seed));
  EXPECT_OK(r);
  if (!r.ok()) return {};
  EXPECT_OK(ValidateCatalog(r->catalog, "x"));
  return r->catalog;
}

TEST(InitCatalog, FromNothing) {
  auto r = InitCatalog(nullptr, Request({Db("main", 0, {"doledb", "posdb", "titledb"})}), Env());
  ASSERT_OK(r);
  EXPECT_TRUE(r->changed);
  const Catalog& c = r->catalog;
  EXPECT_EQ(c.version, 1u);
  EXPECT_TRUE(IsUuidV4(c.epoch));
  EXPECT_EQ(c.cluster.num_shards, 2);
  EXPECT_EQ(c.cluster.num_mirrors, 1);
  ASSERT_EQ(c.cluster.hosts.size(), 4u);
  EXPECT_EQ(c.cluster.hosts[3].shard, 1);
  EXPECT_EQ(c.cluster.hosts[3].workdir, "/c/host3");
  EXPECT_EQ(c.cluster.hosts[3].ip, "10.0.0.4");
  ASSERT_EQ(c.databases.size(), 1u);
  EXPECT_EQ(c.databases[0].db_version->last_mod, 1u);
  ASSERT_EQ(c.collections.size(), 3u);
  const CollectionEntry& doledb = c.collections[0];
  EXPECT_EQ(doledb.ns, "main.doledb");
  EXPECT_FALSE(doledb.sharded);
  EXPECT_FALSE(doledb.generation);
  EXPECT_TRUE(doledb.chunks.empty());
  const CollectionEntry& titledb = c.collections[2];
  EXPECT_TRUE(titledb.sharded);
  EXPECT_EQ(titledb.generation->timestamp, 1u);
  EXPECT_EQ(titledb.part_size, 2013265920u);
  EXPECT_EQ(titledb.chunks.size(), 8192u);
  for (const Chunk& ch : titledb.chunks) {
    ASSERT_EQ(ch.shard, ch.min % 2);
    ASSERT_EQ(ch.version, (ChunkVersion{1, 0}));
  }
  // All UUIDs distinct.
  std::set<std::string> uuids = {c.epoch, c.databases[0].uuid, c.databases[0].db_version->uuid};
  for (const auto& x : c.collections) {
    uuids.insert(x.uuid);
    if (x.generation) uuids.insert(x.generation->epoch);
  }
  EXPECT_EQ(uuids.size(), 3u + 3u + 2u);
  // One shard: one chunk; 3 shards: slot i to i % 3.
  Catalog one = MustInit(nullptr, Request({Db("main", 0, {"posdb"})}, 0, 2, 1));
  EXPECT_EQ(one.collections[0].chunks.size(), 1u);
  Catalog three = MustInit(nullptr, Request({Db("main", 0, {"posdb"})}, 4, 6, 1));
  EXPECT_EQ(three.this_shard(), 1);
  EXPECT_EQ(three.collections[0].chunks[7].shard, 1);
}

TEST(InitCatalog, RefreshWithoutChangeIsNoChange) {
  const InitRequest req = Request({Db("main", 0, {"doledb", "titledb"})});
  const Catalog c1 = MustInit(nullptr, req);
  auto r = InitCatalog(&c1, req, Env(7));
  ASSERT_OK(r);
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(r->catalog, c1);
  EXPECT_TRUE(r->notes.empty());
}

TEST(InitCatalog, SR17_NewRdbFilesBecomeACollectionAndBumpLastMod) {
  const Catalog c1 = MustInit(nullptr, Request({Db("main", 0, {"posdb", "titledb"})}));
  EXPECT_EQ(c1.FindCollection("main.clusterdb"), nullptr);
  auto r = InitCatalog(&c1, Request({Db("main", 0, {"clusterdb", "posdb", "titledb"})}), Env(7));
  ASSERT_OK(r);
  ASSERT_TRUE(r->changed);
  const Catalog& c2 = r->catalog;
  EXPECT_EQ(c2.version, c1.version + 1);
  EXPECT_EQ(c2.epoch, c1.epoch);
  const CollectionEntry* cl = c2.FindCollection("main.clusterdb");
  ASSERT_NE(cl, nullptr);
  EXPECT_TRUE(IsUuidV4(cl->uuid));
  EXPECT_EQ(c2.FindDatabase("main")->db_version->last_mod, 2u);
  EXPECT_EQ(c2.FindDatabase("main")->db_version->uuid, c1.FindDatabase("main")->db_version->uuid);
  // Existing collections keep their uuids and versions.
  EXPECT_EQ(*c2.FindCollection("main.titledb"), *c1.FindCollection("main.titledb"));
  EXPECT_EQ(r->notes.back().kind, "addCollection");
}

TEST(InitCatalog, RefreshRenameRecreateRemoveAdd) {
  const Catalog c1 = MustInit(nullptr, Request({Db("main", 0, {"titledb"}), Db("old", 1, {"posdb"}),
                                                Db("gone", 2, {"posdb"})}));
  // A view and a range deletion in "main" follow its rename.
  auto v = CreateView(
      c1, {"main.recent", "main.titledb", std::string(24, '0'), std::string(24, 'f')}, Env());
  ASSERT_OK(v);
  auto m = MoveSlots(v->catalog, {0, 0, 1, {"main.titledb"}, 900}, Env());
  ASSERT_OK(m);
  const Catalog& base = m->catalog;
  ASSERT_EQ(base.range_deletions.size(), 1u);
  // On disk: main renamed to main2 (collnum 0), old recreated as collnum 5, gone removed, new
  // database fresh.
  auto r = InitCatalog(
      &base,
      Request({Db("fresh", 3, {"doledb"}), Db("main2", 0, {"titledb"}), Db("old", 5, {"posdb"})}),
      Env(7));
  ASSERT_OK(r);
  ASSERT_TRUE(r->changed);
  const Catalog& c = r->catalog;
  ASSERT_OK(ValidateCatalog(c, "x"));
  EXPECT_EQ(c.version, base.version + 1);
  // rename: uuids kept, lastMod + 1, namespaces of collections, views and range deletions follow.
  const DatabaseEntry* main2 = c.FindDatabase("main2");
  ASSERT_NE(main2, nullptr);
  EXPECT_EQ(main2->uuid, base.FindDatabase("main")->uuid);
  EXPECT_EQ(main2->db_version->last_mod, base.FindDatabase("main")->db_version->last_mod + 1);
  EXPECT_EQ(c.FindDatabase("main"), nullptr);
  EXPECT_EQ(c.FindCollection("main2.titledb")->uuid, base.FindCollection("main.titledb")->uuid);
  EXPECT_EQ(c.FindCollection("main2.titledb")->chunks, base.FindCollection("main.titledb")->chunks);
  ASSERT_NE(c.FindView("main2.recent"), nullptr);
  EXPECT_EQ(c.FindView("main2.recent")->view_on, "main2.titledb");
  ASSERT_EQ(c.range_deletions.size(), 1u);
  EXPECT_EQ(c.range_deletions[0].ns, "main2.titledb");
  // recreate: all new uuids, lastMod back to 1.
  const DatabaseEntry* old = c.FindDatabase("old");
  EXPECT_EQ(old->collnum, 5);
  EXPECT_NE(old->uuid, base.FindDatabase("old")->uuid);
  EXPECT_NE(old->db_version->uuid, base.FindDatabase("old")->db_version->uuid);
  EXPECT_EQ(old->db_version->last_mod, 1u);
  EXPECT_NE(c.FindCollection("old.posdb")->uuid, base.FindCollection("old.posdb")->uuid);
  // removal and addition.
  EXPECT_EQ(c.FindDatabase("gone"), nullptr);
  EXPECT_EQ(c.FindCollection("gone.posdb"), nullptr);
  EXPECT_NE(c.FindCollection("fresh.doledb"), nullptr);
  std::vector<std::string> kinds;
  for (const ChangeNote& n : r->notes) kinds.push_back(n.kind + ":" + n.target);
  EXPECT_EQ(kinds, (std::vector<std::string>{"removeDatabase:gone", "renameDatabase:main2",
                                             "recreateDatabase:old", "addDatabase:old",
                                             "addCollection:old.posdb", "addDatabase:fresh",
                                             "addCollection:fresh.doledb"}));
}

TEST(InitCatalog, CollectionsWithoutFilesStayAndViewsBlockNewCollections) {
  const Catalog c1 = MustInit(nullptr, Request({Db("main", 0, {"posdb", "titledb"})}));
  auto v = CreateView(
      c1, {"main.doledb", "main.titledb", std::string(24, '0'), std::string(24, 'f')}, Env());
  ASSERT_OK(v);
  // posdb's files are gone (kept), doledb has files but is a view (skipped).
  auto r = InitCatalog(&v->catalog, Request({Db("main", 0, {"doledb", "titledb"})}), Env(7));
  ASSERT_OK(r);
  EXPECT_FALSE(r->changed);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_EQ(r->notes[0].kind, "skipCollection");
  EXPECT_NE(r->catalog.FindCollection("main.posdb"), nullptr);
}

TEST(InitCatalog, RefusalsAndRebuild) {
  const Catalog c1 = MustInit(nullptr, Request({Db("main", 0, {"titledb"})}));
  // numShards change: exit 3, use catalog reshard.
  auto shards = InitCatalog(&c1, Request({Db("main", 0, {"titledb"})}, 0, 6, 1), Env());
  EXPECT_EQ(shards.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(shards.status().exit_status(), 3);
  EXPECT_NE(shards.status().message().find("catalog reshard"), std::string::npos);
  // Host in another shard; host not in hosts.conf; duplicate dirs.
  EXPECT_EQ(InitCatalog(&c1, Request({Db("main", 0, {})}, 1), Env()).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(InitCatalog(&c1, Request({Db("main", 0, {})}, 4), Env()).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(
      InitCatalog(nullptr, Request({Db("main", 0, {}), Db("main", 1, {})}), Env()).status().code(),
      ErrorCode::kFailedPrecondition);
  EXPECT_EQ(InitCatalog(nullptr, Request({Db("a", 0, {}), Db("b", 0, {})}), Env()).status().code(),
            ErrorCode::kFailedPrecondition);
  // The mirror of host 0 (host 2, same shard) may take over.
  auto mirror = InitCatalog(&c1, Request({Db("main", 0, {"titledb"})}, 2), Env());
  ASSERT_OK(mirror);
  EXPECT_TRUE(mirror->changed);
  EXPECT_EQ(mirror->catalog.this_host, 2);
  // Rebuild: new epoch and uuids, version continues.
  InitRequest rb = Request({Db("main", 0, {"titledb"})});
  rb.rebuild = true;
  auto r = InitCatalog(&c1, rb, Env(5));
  ASSERT_OK(r);
  EXPECT_NE(r->catalog.epoch, c1.epoch);
  EXPECT_EQ(r->catalog.version, c1.version + 1);
  EXPECT_NE(r->catalog.collections[0].uuid, c1.collections[0].uuid);
}

// Fixture F's catalog without touching a file system: init of main with its three Rdbs.
Catalog FixtureCatalog() {
  return MustInit(nullptr, Request({Db("main", 0, {"doledb", "posdb", "titledb"})}));
}

TEST(MoveSlots, SR43_ExactChunksVersionsAndRangeDeletion) {
  const Catalog f = FixtureCatalog();
  const CollectionEntry& t0 = *f.FindCollection("main.titledb");
  auto r = MoveSlots(f, {0, 99, 1, {}, kDefaultOrphanDelaySeconds}, Env());
  ASSERT_OK(r);
  ASSERT_TRUE(r->changed);
  const Catalog& c = r->catalog;
  ASSERT_OK(ValidateCatalog(c, "x"));
  EXPECT_EQ(c.version, f.version + 1);
  for (const char* ns : {"main.titledb", "main.posdb"}) {
    const CollectionEntry& t = *c.FindCollection(ns);
    EXPECT_EQ(t.generation, f.FindCollection(ns)->generation);
    ASSERT_EQ(t.chunks[0].min, 0);
    EXPECT_EQ(t.chunks[0].max, 100);
    EXPECT_EQ(t.chunks[0].shard, 1);
    EXPECT_EQ(t.chunks[0].version, (ChunkVersion{2, 0}));
    ASSERT_EQ(t.chunks.size(), 1u + (8192u - 100u));
    for (size_t i = 1; i < t.chunks.size(); i++) {
      const Chunk& ch = t.chunks[i];
      ASSERT_EQ(ch.max, ch.min + 1);
      ASSERT_EQ(ch.shard, ch.min % 2);
      ASSERT_EQ(ch.version, ch.shard == 0 ? (ChunkVersion{1, 1}) : (ChunkVersion{1, 0})) << i;
    }
  }
  EXPECT_EQ(*c.FindCollection("main.doledb"), *f.FindCollection("main.doledb"));
  // Host 0 (shard 0) lost the even slots 0..98: one range deletion per collection.
  ASSERT_EQ(c.range_deletions.size(), 2u);
  const RangeDeletion& rd =
      c.range_deletions[1].ns == "main.titledb" ? c.range_deletions[1] : c.range_deletions[0];
  EXPECT_EQ(rd.ns, "main.titledb");
  EXPECT_EQ(rd.uuid, t0.uuid);
  ASSERT_EQ(rd.slots.size(), 50u);
  for (int i = 0; i < 50; i++) EXPECT_EQ(rd.slots[i], (SlotRange{2 * i, 2 * i + 1}));
  EXPECT_EQ(rd.orphaned_at.version, t0.generation->epoch + "/1/1|1");
  EXPECT_EQ(rd.orphaned_at.catalog_version, c.version);
  EXPECT_EQ(rd.orphaned_at.time, kNow);
  EXPECT_EQ(rd.ready_after, kNow + 900);
  // Running it again changes nothing.
  auto again = MoveSlots(c, {0, 99, 1, {}, 900}, Env());
  ASSERT_OK(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->catalog, c);
}

TEST(MoveSlots, SR9_SR10_SR39_VersionsAfterSmallAndTotalMoves) {
  const Catalog f = FixtureCatalog();
  const std::string epoch = f.FindCollection("main.titledb")->generation->epoch;
  // SR9/SR39: slot 0 to shard 1: shard 0 at 1|1, the new filter has owned(0) false.
  auto one = MoveSlots(f, {0, 0, 1, {"main.titledb"}, 0}, Env());
  ASSERT_OK(one);
  const CollectionEntry& t = *one->catalog.FindCollection("main.titledb");
  EXPECT_EQ(CurrentShardVersion(one->catalog, t).ToString(), epoch + "/1/1|1");
  EXPECT_EQ(ShardVersionOf(t, 1).ToString(), epoch + "/1/2|0");
  EXPECT_FALSE(OwnershipFilter(t, 0, GetRdb(RdbId::kTitledb)).Owned(0));
  EXPECT_EQ(one->catalog.range_deletions.size(), 1u);  // only the listed namespace moved
  EXPECT_EQ(one->catalog.range_deletions[0].ready_after, kNow);
  EXPECT_EQ(*one->catalog.FindCollection("main.posdb"), *f.FindCollection("main.posdb"));
  // SR10: everything to shard 1: shard 0 is UNTRACKED; the whole range is one chunk.
  auto all = MoveSlots(f, {0, 8191, 1, {}, 900}, Env());
  ASSERT_OK(all);
  const CollectionEntry& ta = *all->catalog.FindCollection("main.titledb");
  EXPECT_TRUE(CurrentShardVersion(all->catalog, ta).is_untracked());
  ASSERT_EQ(ta.chunks.size(), 1u);
  EXPECT_EQ(ta.chunks[0].version, (ChunkVersion{2, 0}));
  EXPECT_EQ(all->catalog.range_deletions[0].orphaned_at.version, "UNTRACKED");
  EXPECT_EQ(all->catalog.range_deletions[0].slots.size(), 4096u);
}

TEST(MoveSlots, RecipientDropsMovedSlotsFromItsRangeDeletions) {
  const Catalog f = FixtureCatalog();
  auto away = MoveSlots(f, {0, 9, 1, {"main.titledb"}, 900}, Env());
  ASSERT_OK(away);
  ASSERT_EQ(away->catalog.range_deletions[0].slots.size(), 5u);
  // Slots 0..3 come back to shard 0 (this host's): they leave its range deletion.
  auto back = MoveSlots(away->catalog, {0, 3, 0, {"main.titledb"}, 900}, Env());
  ASSERT_OK(back);
  ASSERT_TRUE(back->changed);
  const Catalog& c = back->catalog;
  ASSERT_OK(ValidateCatalog(c, "x"));
  ASSERT_EQ(c.range_deletions.size(), 1u);
  EXPECT_EQ(c.range_deletions[0].slots, (std::vector<SlotRange>{{4, 5}, {6, 7}, {8, 9}}));
  const CollectionEntry& t = *c.FindCollection("main.titledb");
  EXPECT_EQ(t.chunks[0].shard, 0);
  EXPECT_EQ(t.chunks[0].max, 4);
  EXPECT_EQ(t.chunks[0].version, (ChunkVersion{3, 0}));
  EXPECT_EQ(t.chunks[1].version, (ChunkVersion{2, 1}));  // donor shard 1's remaining chunks
  // All of them back: the entry goes.
  auto all = MoveSlots(c, {4, 9, 0, {"main.titledb"}, 900}, Env());
  ASSERT_OK(all);
  EXPECT_TRUE(all->catalog.range_deletions.empty());
}

TEST(MoveSlots, Refusals) {
  const Catalog f = FixtureCatalog();
  EXPECT_EQ(MoveSlots(f, {5, 4, 1, {}, 900}, Env()).status().code(), ErrorCode::kUsageError);
  EXPECT_EQ(MoveSlots(f, {0, 8192, 1, {}, 900}, Env()).status().code(), ErrorCode::kUsageError);
  EXPECT_EQ(MoveSlots(f, {0, 1, 2, {}, 900}, Env()).status().code(), ErrorCode::kUsageError);
  EXPECT_EQ(MoveSlots(f, {0, 1, 1, {}, -1}, Env()).status().code(), ErrorCode::kUsageError);
  EXPECT_EQ(MoveSlots(f, {0, 1, 1, {"ma in.titledb"}, 900}, Env()).status().code(),
            ErrorCode::kInvalidNamespace);
  EXPECT_EQ(MoveSlots(f, {0, 1, 1, {"main.nosuch"}, 900}, Env()).status().code(),
            ErrorCode::kNamespaceNotFound);
  EXPECT_EQ(MoveSlots(f, {0, 1, 1, {"main.doledb"}, 900}, Env()).status().code(),
            ErrorCode::kFailedPrecondition);
  Catalog unknown = f;
  unknown.FindCollection("main.titledb")->generation.reset();
  EXPECT_EQ(MoveSlots(unknown, {0, 1, 1, {"main.titledb"}, 900}, Env()).status().code(),
            ErrorCode::kFailedPrecondition);
  // Without --ns, unknown placement is skipped.
  auto r = MoveSlots(unknown, {0, 1, 1, {}, 900}, Env());
  ASSERT_OK(r);
  EXPECT_EQ(r->catalog.FindCollection("main.titledb")->chunks,
            unknown.FindCollection("main.titledb")->chunks);
}

TEST(Reshard, SR44_ThreeShards) {
  const Catalog f = FixtureCatalog();
  ReshardRequest req;
  req.hosts = testing::FixtureHostsConf("/c", 6, 1);
  auto r = Reshard(f, req, Env());
  ASSERT_OK(r);
  const Catalog& c = r->catalog;
  ASSERT_OK(ValidateCatalog(c, "x"));
  EXPECT_EQ(c.version, f.version + 1);
  EXPECT_EQ(c.epoch, f.epoch);
  EXPECT_EQ(c.cluster.num_shards, 3);
  EXPECT_EQ(c.cluster.hosts.size(), 6u);
  EXPECT_EQ(c.this_shard(), 0);
  for (const char* ns : {"main.titledb", "main.posdb"}) {
    const CollectionEntry& t = *c.FindCollection(ns);
    const CollectionEntry& old = *f.FindCollection(ns);
    EXPECT_EQ(t.uuid, old.uuid);
    EXPECT_NE(t.generation->epoch, old.generation->epoch);
    EXPECT_EQ(t.generation->timestamp, 2u);
    ASSERT_EQ(t.chunks.size(), 8192u);
    for (const Chunk& ch : t.chunks) {
      ASSERT_EQ(ch.shard, ch.min % 3);
      ASSERT_EQ(ch.version, (ChunkVersion{1, 0}));
    }
  }
  EXPECT_EQ(*c.FindCollection("main.doledb"), *f.FindCollection("main.doledb"));
  // Range deletions: the slots shard 0 owned (even) and no longer owns (not a multiple of 3).
  ASSERT_EQ(c.range_deletions.size(), 2u);
  for (const RangeDeletion& rd : c.range_deletions) {
    std::vector<SlotRange> want;
    for (int s = 0; s < 8192; s++) {
      if (s % 2 == 0 && s % 3 != 0) want.push_back({s, s + 1});
    }
    EXPECT_EQ(rd.slots, want) << rd.ns;
    const CollectionEntry& t = *c.FindCollection(rd.ns);
    EXPECT_EQ(rd.orphaned_at.version, t.generation->epoch + "/2/1|0");
    EXPECT_EQ(rd.orphaned_at.catalog_version, c.version);
  }
  // thisHost must remain.
  ReshardRequest small;
  small.hosts = testing::FixtureHostsConf("/c", 2, 0);
  Catalog far = f;
  far.this_host = 3;
  EXPECT_EQ(Reshard(far, small, Env()).status().code(), ErrorCode::kFailedPrecondition);
}

TEST(Reshard, TheSameHostsAgainIsNoChangeUnlessTheChunksMoved) {
  const Catalog f = FixtureCatalog();
  ReshardRequest req;
  req.hosts = testing::FixtureHostsConf("/c", 6, 1);
  auto first = Reshard(f, req, Env());
  ASSERT_OK(first);
  ASSERT_TRUE(first->changed);
  // The same hosts.conf again: already made, nothing changes (no new generation, no version).
  auto again = Reshard(first->catalog, req, Env());
  ASSERT_OK(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->catalog, first->catalog);
  // Slots moved since: the same hosts.conf restores the default chunks (a change).
  auto moved = MoveSlots(first->catalog, {0, 5, 1, {"main.titledb"}, 900}, Env());
  ASSERT_OK(moved);
  auto restore = Reshard(moved->catalog, req, Env());
  ASSERT_OK(restore);
  EXPECT_TRUE(restore->changed);
  EXPECT_EQ(restore->catalog.version, moved->catalog.version + 1);
  // Another host list of the same shard count is a change too.
  ReshardRequest other = req;
  other.hosts.hosts[5].ip1 = other.hosts.hosts[5].ip2 = "10.0.0.99";
  auto changed = Reshard(first->catalog, other, Env());
  ASSERT_OK(changed);
  EXPECT_TRUE(changed->changed);
}

TEST(Reshard, UnknownPlacementGetsTimestampOneAndOwnedSlotsLeaveRangeDeletions) {
  Catalog f = FixtureCatalog();
  f.FindCollection("main.posdb")->generation.reset();
  f.FindCollection("main.posdb")->chunks.clear();
  auto moved = MoveSlots(f, {0, 5, 1, {"main.titledb"}, 900}, Env());
  ASSERT_OK(moved);
  ReshardRequest req;
  req.hosts = testing::FixtureHostsConf("/c", 2, 1);  // 1 shard: this host owns everything
  auto r = Reshard(moved->catalog, req, Env());
  ASSERT_OK(r);
  const Catalog& c = r->catalog;
  ASSERT_OK(ValidateCatalog(c, "x"));
  EXPECT_EQ(c.FindCollection("main.posdb")->generation->timestamp, 1u);
  EXPECT_EQ(c.FindCollection("main.titledb")->generation->timestamp, 2u);
  EXPECT_TRUE(c.range_deletions.empty());
}

TEST(Views, CreateAndDrop) {
  const Catalog f = FixtureCatalog();
  CreateViewRequest v{"main.recent", "main.titledb", "0x" + std::string(24, 'A'),
                      std::string(24, 'f')};
  auto r = CreateView(f, v, Env());
  ASSERT_OK(r);
  EXPECT_EQ(r->catalog.version, f.version + 1);
  EXPECT_EQ(r->catalog.FindDatabase("main")->db_version->last_mod, 2u);
  EXPECT_EQ(r->catalog.FindView("main.recent")->key_min, std::string(24, 'a'));
  // The same again: no change; another definition: refused.
  auto same = CreateView(r->catalog, v, Env());
  ASSERT_OK(same);
  EXPECT_FALSE(same->changed);
  v.key_max = std::string(24, 'e');
  EXPECT_EQ(CreateView(r->catalog, v, Env()).status().code(), ErrorCode::kFailedPrecondition);
  auto refused = [&](CreateViewRequest req) { return CreateView(f, req, Env()).status().code(); };
  const std::string lo(24, '0'), hi(24, 'f');
  EXPECT_EQ(refused({"main.titledb", "main.posdb", lo, hi}), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused({"main.x", "main.nosuch", lo, hi}), ErrorCode::kNamespaceNotFound);
  EXPECT_EQ(refused({"nodb.x", "nodb.titledb", lo, hi}), ErrorCode::kNamespaceNotFound);
  EXPECT_EQ(refused({"ma in.x", "main.titledb", lo, hi}), ErrorCode::kInvalidNamespace);
  EXPECT_EQ(refused({"main.x", "main.titledb", hi, lo}), ErrorCode::kUsageError);
  EXPECT_EQ(refused({"main.x", "main.titledb", "00", hi}), ErrorCode::kUsageError);
  EXPECT_EQ(refused({"main.x", "main.posdb", lo, hi}), ErrorCode::kUsageError);  // 18-byte keys
  // drop-view.
  auto d = DropView(r->catalog, "main.recent", Env());
  ASSERT_OK(d);
  EXPECT_EQ(d->catalog.FindView("main.recent"), nullptr);
  EXPECT_EQ(d->catalog.FindDatabase("main")->db_version->last_mod, 3u);
  EXPECT_EQ(d->catalog.version, f.version + 2);
  EXPECT_EQ(DropView(f, "main.recent", Env()).status().code(), ErrorCode::kNamespaceNotFound);
  EXPECT_EQ(DropView(f, "main.titledb", Env()).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(DropView(f, "main", Env()).status().code(), ErrorCode::kInvalidNamespace);
}

}  // namespace
}  // namespace shardtool
