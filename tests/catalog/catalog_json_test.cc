// catalog.json: parsing, every validation rule of doc/acquisition.md §2 (each breach CorruptCatalog
// with the info fields path and detail), unknown fields surviving rewrites, deterministic text.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "catalog/catalog_ops.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using Json = nlohmann::ordered_json;
constexpr char kPath[] = "/w/shardtool/catalog.json";
constexpr char kU1[] = "11111111-1111-4111-8111-111111111111";
constexpr char kU2[] = "22222222-2222-4222-8222-222222222222";
constexpr char kU3[] = "33333333-3333-4333-9333-333333333333";
constexpr char kU4[] = "44444444-4444-4444-a444-444444444444";
constexpr char kU5[] = "55555555-5555-4555-b555-555555555555";
constexpr char kU6[] = "66666666-6666-4666-8666-666666666666";

// A valid catalog: 2 shards x 1 mirror, database main with doledb (unsharded) and titledb
// (sharded: [0,4096) on shard 0 at 1|1, [4096,8192) on shard 1 at 2|0), the view main.recent,
// and a range deletion of titledb.
Json Base() {
  Json hosts = Json::array();
  for (int i = 0; i < 4; i++) {
    hosts.push_back({{"id", i},
                     {"shard", i % 2},
                     {"workdir", "/gb/host" + std::to_string(i)},
                     {"ip", "10.0.0." + std::to_string(i + 1)}});
  }
  return Json{
      {"schema_version", 1},
      {"catalogEpoch", kU1},
      {"catalogVersion", 7},
      {"cluster", {{"numShards", 2}, {"numMirrors", 1}, {"hosts", hosts}}},
      {"thisHost", 0},
      {"databases", Json::array({{{"name", "main"},
                                  {"collnum", 0},
                                  {"uuid", kU2},
                                  {"dbVersion", {{"uuid", kU3}, {"lastMod", 2}}}}})},
      {"collections",
       Json::array(
           {{{"ns", "main.doledb"},
             {"uuid", kU4},
             {"rdb", "doledb"},
             {"sharded", false},
             {"generation", nullptr},
             {"partSize", 2013265920},
             {"chunks", Json::array()}},
            {{"ns", "main.titledb"},
             {"uuid", kU5},
             {"rdb", "titledb"},
             {"sharded", true},
             {"generation", {{"epoch", kU6}, {"timestamp", 1}}},
             {"partSize", 2013265920},
             {"chunks",
              Json::array({{{"min", 0}, {"max", 4096}, {"shard", 0}, {"version", "1|1"}},
                           {{"min", 4096}, {"max", 8192}, {"shard", 1}, {"version", "2|0"}}})}}})},
      {"views", Json::array({{{"ns", "main.recent"},
                              {"viewOn", "main.titledb"},
                              {"keyRange",
                               {{"min", "000000000000000000000000"},
                                {"max", "7fffffffffffffffffffffff"}}}}})},
      {"rangeDeletions",
       Json::array({{{"ns", "main.titledb"},
                     {"uuid", kU5},
                     {"slots", Json::array({Json::array({4096, 4100}), Json::array({5000, 5001})})},
                     {"orphanedAt",
                      {{"version", std::string(kU6) + "/1/1|1"},
                       {"catalogVersion", 7},
                       {"time", 1700000000}}},
                     {"readyAfter", 1700000900}}})}};
}

std::string Detail(const Status& s) {
  for (const ErrorInfo& i : s.info()) {
    if (i.name == "detail") return std::get<std::string>(i.value);
  }
  return "";
}

std::string PathInfo(const Status& s) {
  for (const ErrorInfo& i : s.info()) {
    if (i.name == "path") return std::get<std::string>(i.value);
  }
  return "";
}

TEST(CatalogJson, BaseIsValidAndParsesToTheModel) {
  auto c = ParseCatalog(Base().dump(), kPath);
  ASSERT_OK(c);
  EXPECT_EQ(c->epoch, kU1);
  EXPECT_EQ(c->version, 7u);
  EXPECT_EQ(c->cluster.num_shards, 2);
  EXPECT_EQ(c->cluster.hosts[3].workdir, "/gb/host3");
  EXPECT_EQ(c->this_shard(), 0);
  ASSERT_EQ(c->collections.size(), 2u);
  const CollectionEntry* t = c->FindCollection("main.titledb");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->db(), "main");
  EXPECT_EQ(t->name(), "titledb");
  EXPECT_EQ(t->chunks[1].version, (ChunkVersion{2, 0}));
  EXPECT_EQ(ShardVersionOf(*t, 0).ToString(), std::string(kU6) + "/1/1|1");
  EXPECT_EQ(ShardVersionOf(*t, 1).ToString(), std::string(kU6) + "/1/2|0");
  EXPECT_EQ(*CollectionVersion(*t), (ChunkVersion{2, 0}));
  EXPECT_TRUE(ShardVersionOf(*c->FindCollection("main.doledb"), 0).is_untracked());
  EXPECT_EQ(c->range_deletions[0].slots[1], (SlotRange{5000, 5001}));
  EXPECT_EQ(c->FindView("main.recent")->view_on, "main.titledb");
  EXPECT_EQ(c->FindCollectionByUuid(kU4)->ns, "main.doledb");
  EXPECT_EQ(c->FindDatabase("main")->db_version->ToString(), std::string(kU3) + "/2");
}

TEST(CatalogJson, GarbageIsCorruptCatalogWithThePath) {
  for (const char* text :
       {"", "{", "not json", "[]", "null", "{\"schema_version\": 1}", "{\"schema_version\": 2}"}) {
    auto c = ParseCatalog(text, kPath);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), ErrorCode::kCorruptCatalog) << text;
    EXPECT_EQ(c.status().exit_status(), 8);
    EXPECT_EQ(PathInfo(c.status()), kPath);
    EXPECT_FALSE(Detail(c.status()).empty());
    EXPECT_NE(c.status().message().find(kPath), std::string::npos);
  }
}

struct Breach {
  const char* name;
  std::function<void(Json&)> mutate;
  const char* detail;  // a fragment of the expected detail
};

TEST(CatalogJson, EveryRuleBreachIsCorruptCatalog) {
  const std::vector<Breach> breaches = {
      {"missing member", [](Json& j) { j.erase("thisHost"); }, "thisHost: missing"},
      {"wrong type", [](Json& j) { j["catalogVersion"] = "7"; }, "catalogVersion"},
      {"float", [](Json& j) { j["catalogVersion"] = 7.5; }, "catalogVersion"},
      {"negative version", [](Json& j) { j["catalogVersion"] = -1; }, "catalogVersion"},
      {"version 0", [](Json& j) { j["catalogVersion"] = 0; }, "catalogVersion"},
      {"epoch not uuid", [](Json& j) { j["catalogEpoch"] = "abc"; }, "catalogEpoch"},
      {"epoch not v4", [](Json& j) { j["catalogEpoch"] = "11111111-1111-1111-8111-111111111111"; },
       "catalogEpoch"},
      {"numShards 0", [](Json& j) { j["cluster"]["numShards"] = 0; }, "numShards"},
      {"host count", [](Json& j) { j["cluster"]["hosts"].erase(3); }, "cluster.hosts"},
      {"host id", [](Json& j) { j["cluster"]["hosts"][2]["id"] = 5; }, "cluster.hosts[2].id"},
      {"host shard", [](Json& j) { j["cluster"]["hosts"][1]["shard"] = 0; },
       "cluster.hosts[1].shard"},
      {"thisHost", [](Json& j) { j["thisHost"] = 4; }, "thisHost"},
      {"db name", [](Json& j) { j["databases"][0]["name"] = "ma in"; }, "databases[0].name"},
      {"db unsorted",
       [](Json& j) {
         j["databases"].push_back(j["databases"][0]);
         j["databases"][1]["name"] = "aaa";
         j["databases"][1]["uuid"] = "77777777-7777-4777-8777-777777777777";
       },
       "databases[1].name"},
      {"db uuid duplicate",
       [](Json& j) {
         j["databases"].push_back(j["databases"][0]);
         j["databases"][1]["name"] = "zzz";
       },
       "duplicate uuid"},
      {"dbVersion uuid", [](Json& j) { j["databases"][0]["dbVersion"]["uuid"] = "x"; },
       "dbVersion.uuid"},
      {"ns syntax", [](Json& j) { j["collections"][1]["ns"] = "main.tit ledb"; },
       "collections[1].ns"},
      {"collections unsorted", [](Json& j) { std::swap(j["collections"][0], j["collections"][1]); },
       "sorted"},
      {"collection of unknown db", [](Json& j) { j["collections"][0]["ns"] = "aaa.doledb"; },
       "not in databases"},
      {"collection uuid dup", [](Json& j) { j["collections"][0]["uuid"] = kU5; }, "duplicate uuid"},
      {"unknown rdb", [](Json& j) { j["collections"][0]["rdb"] = "foodb"; }, "registry"},
      {"sharded doledb", [](Json& j) { j["collections"][0]["sharded"] = true; },
       "collections[0].sharded"},
      {"unsharded titledb", [](Json& j) { j["collections"][1]["sharded"] = false; },
       "collections[1].sharded"},
      {"unsharded with chunks",
       [](Json& j) { j["collections"][0]["chunks"] = j["collections"][1]["chunks"]; },
       "collections[0].chunks"},
      {"unsharded with generation",
       [](Json& j) { j["collections"][0]["generation"] = j["collections"][1]["generation"]; },
       "collections[0].generation"},
      {"partSize", [](Json& j) { j["collections"][1]["partSize"] = 1000; }, "partSize"},
      {"chunk gap", [](Json& j) { j["collections"][1]["chunks"][1]["min"] = 4097; },
       "chunks[1].min"},
      {"chunk overlap", [](Json& j) { j["collections"][1]["chunks"][1]["min"] = 4000; },
       "chunks[1].min"},
      {"chunks short", [](Json& j) { j["collections"][1]["chunks"][1]["max"] = 8191; }, "[0,8191)"},
      {"chunks from 1", [](Json& j) { j["collections"][1]["chunks"][0]["min"] = 1; },
       "chunks[0].min"},
      {"chunk empty",
       [](Json& j) {
         j["collections"][1]["chunks"][0]["max"] = 0;
         j["collections"][1]["chunks"][1]["min"] = 0;
       },
       "chunks[0].max"},
      {"chunks unsorted",
       [](Json& j) {
         std::swap(j["collections"][1]["chunks"][0], j["collections"][1]["chunks"][1]);
       },
       "chunks[0].min"},
      {"chunk shard", [](Json& j) { j["collections"][1]["chunks"][1]["shard"] = 2; },
       "chunks[1].shard"},
      {"chunk version", [](Json& j) { j["collections"][1]["chunks"][1]["version"] = "2.0"; },
       "chunks[1].version"},
      {"sharded without chunks, known placement",
       [](Json& j) { j["collections"][1]["chunks"] = Json::array(); }, "cover [0,0)"},
      {"generation epoch", [](Json& j) { j["collections"][1]["generation"]["epoch"] = "e"; },
       "generation.epoch"},
      {"view is a collection", [](Json& j) { j["views"][0]["ns"] = "main.titledb"; },
       "both a collection and a view"},
      {"viewOn missing", [](Json& j) { j["views"][0]["viewOn"] = "main.posdb"; }, "viewOn"},
      {"viewOn other db",
       [](Json& j) {
         j["databases"].push_back(
             {{"name", "other"}, {"collnum", 1}, {"uuid", kU6}, {"dbVersion", nullptr}});
         j["views"][0]["ns"] = "other.recent";
       },
       "viewOn"},
      {"viewOn a view",
       [](Json& j) {
         j["views"].push_back(j["views"][0]);
         j["views"][1]["ns"] = "main.recent2";
         j["views"][1]["viewOn"] = "main.recent";
       },
       "views[1].viewOn"},
      {"key length", [](Json& j) { j["views"][0]["keyRange"]["min"] = "00"; }, "keyRange.min"},
      {"key hex", [](Json& j) { j["views"][0]["keyRange"]["max"] = std::string(24, 'g'); },
       "keyRange.max"},
      {"key range empty",
       [](Json& j) { j["views"][0]["keyRange"]["min"] = j["views"][0]["keyRange"]["max"]; },
       "keyRange"},
      {"view ns", [](Json& j) { j["views"][0]["ns"] = "main"; }, "views[0].ns"},
      {"rd unknown uuid", [](Json& j) { j["rangeDeletions"][0]["uuid"] = kU6; },
       "rangeDeletions[0]"},
      {"rd ns mismatch", [](Json& j) { j["rangeDeletions"][0]["ns"] = "main.posdb"; },
       "rangeDeletions[0]"},
      {"rd unsharded",
       [](Json& j) {
         j["rangeDeletions"][0]["uuid"] = kU4;
         j["rangeDeletions"][0]["ns"] = "main.doledb";
       },
       "not sharded"},
      {"rd slots unsorted",
       [](Json& j) {
         std::swap(j["rangeDeletions"][0]["slots"][0], j["rangeDeletions"][0]["slots"][1]);
       },
       "slots[1]"},
      {"rd slots overlap", [](Json& j) { j["rangeDeletions"][0]["slots"][1][0] = 4099; },
       "slots[1]"},
      {"rd slot empty", [](Json& j) { j["rangeDeletions"][0]["slots"][0][1] = 4096; }, "slots[0]"},
      {"rd slot beyond", [](Json& j) { j["rangeDeletions"][0]["slots"][1][1] = 8193; }, "slots[1]"},
      {"rd slot pair", [](Json& j) { j["rangeDeletions"][0]["slots"][0] = Json::array({1}); },
       "slots[0]"},
      {"rd no slots", [](Json& j) { j["rangeDeletions"][0]["slots"] = Json::array(); },
       "slots: is empty"},
      {"rd version text", [](Json& j) { j["rangeDeletions"][0]["orphanedAt"]["version"] = "1|1"; },
       "orphanedAt.version"},
      {"rd catalogVersion ahead",
       [](Json& j) { j["rangeDeletions"][0]["orphanedAt"]["catalogVersion"] = 8; },
       "orphanedAt.catalogVersion"},
      {"rd readyAfter", [](Json& j) { j["rangeDeletions"][0]["readyAfter"] = "soon"; },
       "readyAfter"},
      {"collections not array", [](Json& j) { j["collections"] = Json::object(); }, "collections"},
  };
  for (const Breach& b : breaches) {
    Json j = Base();
    b.mutate(j);
    auto c = ParseCatalog(j.dump(), kPath);
    ASSERT_FALSE(c.ok()) << b.name;
    EXPECT_EQ(c.status().code(), ErrorCode::kCorruptCatalog) << b.name;
    EXPECT_EQ(PathInfo(c.status()), kPath) << b.name;
    EXPECT_NE(Detail(c.status()).find(b.detail), std::string::npos)
        << b.name << ": " << Detail(c.status());
  }
}

TEST(CatalogJson, LegalVariants) {
  // Placement unknown: generation null with chunks [] or with chunks.
  Json j = Base();
  j["collections"][1]["generation"] = nullptr;
  auto c = ParseCatalog(j.dump(), kPath);
  ASSERT_OK(c);
  EXPECT_TRUE(c->collections[1].placement_unknown());
  EXPECT_TRUE(ShardVersionOf(c->collections[1], 0).is_unknown());
  j["collections"][1]["chunks"] = Json::array();
  j["rangeDeletions"] = Json::array();
  EXPECT_OK(ParseCatalog(j.dump(), kPath));
  // dbVersion null; upper-case UUIDs and key hex are read and kept lower-case.
  j = Base();
  j["databases"][0]["dbVersion"] = nullptr;
  j["catalogEpoch"] = "AAAAAAAA-1111-4111-8111-111111111111";
  j["views"][0]["keyRange"]["max"] = "7FFFFFFFFFFFFFFFFFFFFFFF";
  c = ParseCatalog(j.dump(), kPath);
  ASSERT_OK(c);
  EXPECT_EQ(c->epoch, "aaaaaaaa-1111-4111-8111-111111111111");
  EXPECT_EQ(c->views[0].key_max, "7fffffffffffffffffffffff");
  EXPECT_FALSE(c->databases[0].db_version);
  // Touching slot ranges are disjoint.
  j = Base();
  j["rangeDeletions"][0]["slots"][1] = Json::array({4100, 4200});
  EXPECT_OK(ParseCatalog(j.dump(), kPath));
  // A shard that owns nothing: UNTRACKED.
  j = Base();
  j["collections"][1]["chunks"][0]["shard"] = 1;
  c = ParseCatalog(j.dump(), kPath);
  ASSERT_OK(c);
  EXPECT_TRUE(ShardVersionOf(c->collections[1], 0).is_untracked());
}

// Scalars are written as nlohmann writes them (no ASCII escaping; control characters, quotes and
// backslashes escaped; invalid UTF-8 replaced by U+FFFD), whichever path the writer takes.
TEST(CatalogJson, ScalarsAreWrittenAsNlohmannWritesThem) {
  const std::vector<std::string> strings = {"plain",
                                            "",
                                            "quote\"d",
                                            "back\\slash",
                                            "tab\there",
                                            "nl\nx",
                                            std::string("nul\0x", 5),
                                            "del\x7f",
                                            "caf\xc3\xa9",
                                            "bad\xff utf8",
                                            "ctl\x01"};
  Json j = Base();
  for (size_t i = 0; i < strings.size(); i++) {
    j["futureTop"]["s" + std::to_string(i)] = strings[i];
  }
  j["futureTop"]["neg"] = -42;
  j["futureTop"]["big"] = UINT64_MAX;
  j["futureTop"]["half"] = 0.5;
  j["futureTop"]["quote\"key"] = 1;
  auto c = ParseCatalog(j.dump(-1, ' ', false, Json::error_handler_t::replace), kPath);
  ASSERT_OK(c);
  const std::string text = SerializeCatalog(*c);
  auto dumped = [](const Json& v) {
    return v.dump(-1, ' ', false, Json::error_handler_t::replace);
  };
  for (size_t i = 0; i < strings.size(); i++) {
    const std::string member = "\"s" + std::to_string(i) + "\": " + dumped(Json(strings[i]));
    EXPECT_NE(text.find(member), std::string::npos) << member;
  }
  EXPECT_NE(text.find("\"neg\": -42"), std::string::npos);
  EXPECT_NE(text.find("\"big\": 18446744073709551615"), std::string::npos);
  EXPECT_NE(text.find("\"half\": 0.5"), std::string::npos);
  EXPECT_NE(text.find(dumped(Json("quote\"key")) + ": 1"), std::string::npos);
  auto again = ParseCatalog(text, kPath);
  ASSERT_OK(again);
  EXPECT_EQ(SerializeCatalog(*again), text);
}

TEST(CatalogJson, UnknownFieldsSurviveRewrites) {
  Json j = Base();
  j["futureTop"] = {{"a", 1}, {"b", Json::array({1, 2})}};
  j["cluster"]["zone"] = "eu";
  j["cluster"]["hosts"][1]["rack"] = 7;
  j["databases"][0]["comment"] = "x";
  j["databases"][0]["dbVersion"]["extra"] = true;
  j["collections"][1]["owner"] = nullptr;
  j["collections"][1]["generation"]["note"] = "g";
  j["collections"][1]["chunks"][0]["jumbo"] = true;
  j["views"][0]["pipeline"] = Json::array();
  j["views"][0]["keyRange"]["inclusive"] = false;
  j["rangeDeletions"][0]["processing"] = false;
  j["rangeDeletions"][0]["orphanedAt"]["by"] = "move";
  auto c = ParseCatalog(j.dump(), kPath);
  ASSERT_OK(c);
  const std::string text = SerializeCatalog(*c);
  Json back = Json::parse(text);
  EXPECT_EQ(back["futureTop"], j["futureTop"]);
  EXPECT_EQ(back["cluster"]["zone"], "eu");
  EXPECT_EQ(back["cluster"]["hosts"][1]["rack"], 7);
  EXPECT_EQ(back["databases"][0]["comment"], "x");
  EXPECT_EQ(back["databases"][0]["dbVersion"]["extra"], true);
  EXPECT_TRUE(back["collections"][1].contains("owner"));
  EXPECT_EQ(back["collections"][1]["generation"]["note"], "g");
  EXPECT_EQ(back["collections"][1]["chunks"][0]["jumbo"], true);
  EXPECT_EQ(back["views"][0]["pipeline"], Json::array());
  EXPECT_EQ(back["views"][0]["keyRange"]["inclusive"], false);
  EXPECT_EQ(back["rangeDeletions"][0]["processing"], false);
  EXPECT_EQ(back["rangeDeletions"][0]["orphanedAt"]["by"], "move");
  // ... and through an operation that rewrites the catalog.
  OpEnv env{CountingUuidGenerator(1), 1700000000};
  CreateViewRequest v{"main.old", "main.titledb", std::string(24, '0'), std::string(24, '1')};
  auto r = CreateView(*c, v, env);
  ASSERT_OK(r);
  Json after = Json::parse(SerializeCatalog(r->catalog));
  EXPECT_EQ(after["futureTop"], j["futureTop"]);
  EXPECT_EQ(after["collections"][1]["chunks"][0]["jumbo"], true);
  EXPECT_EQ(after["views"][1]["pipeline"], Json::array());  // main.recent sorts after main.old
}

TEST(CatalogJson, SerializationIsDeterministicAndRoundTrips) {
  auto c = ParseCatalog(Base().dump(), kPath);
  ASSERT_OK(c);
  const std::string text = SerializeCatalog(*c);
  auto again = ParseCatalog(text, kPath);
  ASSERT_OK(again);
  EXPECT_EQ(*again, *c);
  EXPECT_EQ(SerializeCatalog(*again), text);
  // Stable key order (that of §2), one chunk per line, lines within 100 columns.
  EXPECT_EQ(text.find("{\n  \"schema_version\": 1,\n  \"catalogEpoch\""), 0u) << text;
  EXPECT_NE(text.find("{\"min\": 0, \"max\": 4096, \"shard\": 0, \"version\": \"1|1\"},\n"),
            std::string::npos)
      << text;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    EXPECT_LE(end - start, 100u) << text.substr(start, end - start);
    start = end + 1;
  }
  EXPECT_EQ(text.back(), '\n');
}

TEST(CatalogJson, DefaultCatalogOfEightThousandChunksStaysSmall) {
  auto c = ParseCatalog(Base().dump(), kPath);
  ASSERT_OK(c);
  c->collections[1].chunks = DefaultChunks(2);
  c->range_deletions.clear();
  ASSERT_OK(ValidateCatalog(*c, kPath));
  const std::string text = SerializeCatalog(*c);
  EXPECT_LT(text.size(), 8192u * 70);
  auto back = ParseCatalog(text, kPath);
  ASSERT_OK(back);
  EXPECT_EQ(back->collections[1].chunks.size(), 8192u);
}

// ParseCatalog decodes chunk objects straight from the SAX events and falls back to the whole
// JSON document for anything unusual: whatever the text, it must give the slow path's result
// (the same catalog, or the same error).
TEST(CatalogJson, ChunkFastPathGivesTheSlowPathsResult) {
  auto chunk = [](Json& j) -> Json& { return j["collections"][1]["chunks"][0]; };
  std::vector<std::pair<std::string, std::string>> texts;
  auto add = [&](const std::string& name, const std::function<void(Json&)>& f) {
    Json j = Base();
    f(j);
    texts.emplace_back(name, j.dump());
  };
  add("base", [](Json&) {});
  add("members reordered", [&](Json& j) {
    chunk(j) = Json{{"version", "1|1"}, {"shard", 0}, {"max", 4096}, {"min", 0}};
  });
  add("unknown member", [&](Json& j) { chunk(j)["note"] = "kept"; });
  add("min a string", [&](Json& j) { chunk(j)["min"] = "0"; });
  add("min a float", [&](Json& j) { chunk(j)["min"] = 0.0; });
  add("min negative", [&](Json& j) { chunk(j)["min"] = -1; });
  add("max above int32", [&](Json& j) { chunk(j)["max"] = 2147483648LL; });
  add("shard null", [&](Json& j) { chunk(j)["shard"] = nullptr; });
  add("version garbage", [&](Json& j) { chunk(j)["version"] = "x"; });
  add("version a number", [&](Json& j) { chunk(j)["version"] = 3; });
  add("shard missing", [&](Json& j) { chunk(j).erase("shard"); });
  add("chunk a number", [&](Json& j) { chunk(j) = 5; });
  add("chunk an array", [&](Json& j) { chunk(j) = Json::array({1, 2}); });
  add("nested array", [&](Json& j) { chunk(j)["min"] = Json::array({0}); });
  add("chunks an object", [](Json& j) { j["collections"][1]["chunks"] = Json::object(); });
  add("chunks empty", [](Json& j) { j["collections"][1]["chunks"] = Json::array(); });
  add("collection a number", [](Json& j) { j["collections"].insert(j["collections"].begin(), 3); });
  add("collections an object", [](Json& j) { j["collections"] = Json::object({{"a", 1}}); });
  add("chunks elsewhere", [](Json& j) {
    j["views"][0]["chunks"] = Json::array({{{"min", 0}}});
    j["cluster"]["chunks"] = Json::array({1});
  });
  add("default chunks", [](Json& j) {
    Json cs = Json::array();
    for (const Chunk& c : DefaultChunks(2)) {
      cs.push_back({{"min", c.min}, {"max", c.max}, {"shard", c.shard}, {"version", "1|0"}});
    }
    j["collections"][1]["chunks"] = cs;
    j["rangeDeletions"] = Json::array();
  });
  // Duplicate members, which only the text can carry.
  const std::string base = Base().dump();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string t = base;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) t.replace(at, from.size(), to);
    return t;
  };
  texts.emplace_back("min twice", replaced("{\"min\":0,", "{\"min\":0,\"min\":1,"));
  texts.emplace_back("chunks twice", replaced("\"chunks\":[{", "\"chunks\":[],\"chunks\":[{"));
  texts.emplace_back("chunks twice, array last",
                     replaced("\"partSize\":2013265920,\"chunks\":[{",
                              "\"partSize\":2013265920,\"chunks\":5,\"chunks\":[{"));
  texts.emplace_back("collections twice",
                     replaced("\"collections\":[", "\"collections\":[],\"collections\":["));
  texts.emplace_back("truncated", base.substr(0, base.size() / 2));
  texts.emplace_back("root an array", "[" + base + "]");
  for (const auto& [name, text] : texts) {
    SCOPED_TRACE(name);
    auto fast = ParseCatalog(text, kPath);
    auto slow = ParseCatalogSlowForTest(text, kPath);
    ASSERT_EQ(fast.ok(), slow.ok()) << (fast.ok() ? slow.status() : fast.status()).ToString();
    if (!fast.ok()) {
      EXPECT_EQ(fast.status().ToString(), slow.status().ToString());
      continue;
    }
    EXPECT_EQ(SerializeCatalog(*fast), SerializeCatalog(*slow));
    for (size_t c = 0; c < fast->collections.size(); c++) {
      EXPECT_EQ(fast->collections[c].chunks, slow->collections[c].chunks);
    }
  }
}

}  // namespace
}  // namespace shardtool
