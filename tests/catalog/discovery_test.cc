// Discovery of databases, their Rdbs, and committed file sets minus retired files
// (doc/acquisition.md §2, §4, §6).
#include "catalog/discovery.h"

#include <gtest/gtest.h>

#include "catalog/retired_files.h"
#include "catalog/state_paths.h"
#include "io/mem_file_system.h"
#include "testing/shard_fixture.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

TEST(Discovery, DatabasesAndTheirRdbs) {
  MemFileSystem fs;
  fs.WriteAll("/w/coll.main.0/titledb0001-000.dat", "x");
  fs.WriteAll("/w/coll.main.0/titledb0001.map", "m");
  fs.WriteAll("/w/coll.main.0/posdb0002.001.dat", "y");     // a merge file counts
  fs.WriteAll("/w/coll.main.0/doledb0003.dat.part1", "z");  // a headless file counts
  fs.WriteAll("/w/coll.main.0/clusterdb0001.map", "");      // a map alone does not
  fs.WriteAll("/w/coll.main.0/foodb0001.dat", "");          // not a registry Rdb
  fs.WriteAll("/w/coll.main.0/posdb0001.map.tmp", "");
  ASSERT_OK(fs.CreateDirs("/w/coll.b-2.7"));
  fs.WriteAll("/w/coll.a.b.1/posdb0001.dat", "");  // a dot in the name: ignored
  fs.WriteAll("/w/coll.x.01/posdb0001.dat", "");   // collnum with a leading zero: ignored
  fs.WriteAll("/w/coll.file.3", "");               // a file, not a dir: ignored
  fs.WriteAll("/w/hosts.conf", "");
  ASSERT_OK(fs.CreateDirs("/w/shardtool"));
  auto d = DiscoverDatabases(&fs, "/w");
  ASSERT_OK(d);
  ASSERT_EQ(d->databases.size(), 2u);
  EXPECT_EQ(d->databases[0], (DiscoveredDatabase{"b-2", 7, "coll.b-2.7", {}}));
  EXPECT_EQ(d->databases[1],
            (DiscoveredDatabase{"main", 0, "coll.main.0", {"doledb", "posdb", "titledb"}}));
  EXPECT_EQ(d->ignored, (std::vector<std::string>{"coll.a.b.1", "coll.file.3", "coll.x.01"}));
  EXPECT_EQ(DiscoverDatabases(&fs, "/nowhere").status().code(), ErrorCode::kNotFound);
}

TEST(Discovery, DataFilesWithPartsAndSizesSortedById) {
  MemFileSystem fs;
  const std::string dir = "/w/coll.main.0";
  fs.WriteAll(dir + "/posdb0003.dat", std::string(10, 'a'));
  fs.WriteAll(dir + "/posdb0001.dat", std::string(4, 'a'));
  fs.WriteAll(dir + "/posdb0001.dat.part1", std::string(3, 'a'));
  fs.WriteAll(dir + "/posdb0005.dat.part2", std::string(2, 'a'));  // headless
  fs.WriteAll(dir + "/posdb0004.002.dat", std::string(1, 'a'));    // merge target
  fs.WriteAll(dir + "/posdb0001.map", "m");
  fs.WriteAll(dir + "/posdb0001.crc", "c");
  fs.WriteAll(dir + "/titledb0001-000.dat", "t");
  auto files = ListDataFiles(&fs, dir, GetRdb(RdbId::kPosdb));
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ((*files)[0].name, "posdb0001.dat");
  EXPECT_EQ((*files)[0].parts,
            (std::vector<DataFilePart>{{0, "posdb0001.dat", 4}, {1, "posdb0001.dat.part1", 3}}));
  EXPECT_EQ((*files)[0].total_size, 7u);
  EXPECT_EQ((*files)[1].name, "posdb0003.dat");
  EXPECT_EQ((*files)[2].name, "posdb0004.002.dat");
  EXPECT_TRUE((*files)[2].merge);
  EXPECT_EQ((*files)[3].parts, (std::vector<DataFilePart>{{2, "posdb0005.dat.part2", 2}}));
  auto none = ListDataFiles(&fs, "/w/coll.other.1", GetRdb(RdbId::kPosdb));
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST(Discovery, CommittedFilesAreOnDiskMinusRetired) {
  MemFileSystem fs;
  auto f = testing::MakeFixtureF(&fs);
  ASSERT_OK(f);
  const CollectionEntry& t = f->titledb();
  auto before = ListCommittedFiles(&fs, f->workdir, f->catalog, t);
  ASSERT_OK(before);
  ASSERT_EQ(before->size(), 2u);
  EXPECT_EQ((*before)[0].id, 1);
  EXPECT_EQ((*before)[0].name, "titledb0001-000.dat");
  EXPECT_EQ((*before)[1].name, "titledb0003-000.dat");
  EXPECT_GT((*before)[0].total_size, 0u);
  // A merge of 0001+0003 commits: output present and inputs retired in one step.
  fs.WriteAll(f->coll_dir + "/titledb0000-000.002.dat", "merged");
  RetiredList retired{t.uuid,
                      {{"titledb0001-000.dat", {"titledb0001-000.dat"}, 1, 1, "merge"},
                       {"titledb0003-000.dat", {"titledb0003-000.dat"}, 1, 1, "merge"}}};
  ASSERT_OK(WriteRetiredList(&fs, f->workdir, retired));
  auto after = ListCommittedFiles(&fs, f->workdir, f->catalog, t);
  ASSERT_OK(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].name, "titledb0000-000.002.dat");
  EXPECT_NE(*after, *before);
  // Other collections are not affected by titledb's list.
  auto posdb = ListCommittedFiles(&fs, f->workdir, f->catalog, f->posdb());
  ASSERT_OK(posdb);
  EXPECT_EQ(posdb->size(), 1u);
  // The list round-trips; a broken one is CorruptCatalog naming its path.
  auto back = ReadRetiredList(&fs, f->workdir, t.uuid);
  ASSERT_OK(back);
  EXPECT_EQ(*back, retired);
  fs.WriteAll(RetiredListPath(f->workdir, t.uuid), "{broken");
  auto broken = ListCommittedFiles(&fs, f->workdir, f->catalog, t);
  EXPECT_EQ(broken.status().code(), ErrorCode::kCorruptCatalog);
  EXPECT_NE(broken.status().message().find("retired." + t.uuid + ".json"), std::string::npos);
}

// A merge target is committed only from the merge's commit on (doc/format.md §8.9, discovery.h).
TEST(Discovery, MergeTargetIsCommittedFromTheCommitOn) {
  MemFileSystem fs;
  auto f = testing::MakeFixtureF(&fs);
  ASSERT_OK(f);
  const CollectionEntry& t = f->titledb();
  const std::string journal = JournalDir(f->workdir) + "/" + MergeJournalFileName(t.uuid);
  auto names = [&]() {
    std::vector<std::string> out;
    auto files = ListCommittedFiles(&fs, f->workdir, f->catalog, t);
    EXPECT_OK(files);
    if (files.ok()) {
      for (const CommittedFile& c : *files) out.push_back(c.name);
    }
    return out;
  };
  auto write_journal = [&](const std::string& state, const std::string& phase) {
    fs.WriteAll(journal, R"({"schema_version": 1, "job": "merge", "state": ")" + state +
                             R"(", "phase": ")" + phase +
                             R"(", "inputs": [{"name": "titledb0001-000.dat", "id": 1},
                                             {"name": "titledb0003-000.dat", "id": 3}],
                     "target": {"data": "titledb0000-000.002.dat", "map": "titledb0000.map"},
                     "final": {"data": "titledb0001-000.dat", "map": "titledb0001.map"}})");
  };
  const std::vector<std::string> inputs = {"titledb0001-000.dat", "titledb0003-000.dat"};
  const std::vector<std::string> target = {"titledb0000-000.002.dat"};
  fs.WriteAll(f->coll_dir + "/titledb0000-000.002.dat", "partial");
  // Being written, or complete but not committed: the inputs only.
  write_journal("merging", "");
  EXPECT_EQ(names(), inputs);
  write_journal("incorporating", "");
  EXPECT_EQ(names(), inputs);
  // The commit retires the inputs: the target only (also while a lease pins the first input).
  RetiredList retired{t.uuid,
                      {{"titledb0001-000.dat", {"titledb0001-000.dat"}, 1, 1, "merge"},
                       {"titledb0003-000.dat", {"titledb0003-000.dat"}, 1, 1, "merge"}}};
  ASSERT_OK(WriteRetiredList(&fs, f->workdir, retired));
  EXPECT_EQ(names(), target);
  // One input removed and unlisted, the other still retired.
  ASSERT_OK(fs.RemoveFile(f->coll_dir + "/titledb0003-000.dat"));
  retired.files.pop_back();
  ASSERT_OK(WriteRetiredList(&fs, f->workdir, retired));
  EXPECT_EQ(names(), target);
  // Phase "rename": inputs gone, the target renamed to the first input's name.
  ASSERT_OK(fs.RemoveFile(f->coll_dir + "/titledb0001-000.dat"));
  ASSERT_OK(fs.RemoveFile(RetiredListPath(f->workdir, t.uuid)));
  write_journal("incorporating", "rename");
  EXPECT_EQ(names(), target);
  ASSERT_OK(
      fs.Rename(f->coll_dir + "/titledb0000-000.002.dat", f->coll_dir + "/titledb0001-000.dat"));
  EXPECT_EQ(names(), (std::vector<std::string>{"titledb0001-000.dat"}));
  // An unreadable journal: a merge file whose first input is listed stays out.
  fs.WriteAll(f->coll_dir + "/titledb0002-000.002.dat", "partial");
  fs.WriteAll(f->coll_dir + "/titledb0003-000.dat", "x");
  fs.WriteAll(journal, "{broken");
  EXPECT_EQ(names(), (std::vector<std::string>{"titledb0001-000.dat", "titledb0003-000.dat"}));
  fs.WriteAll(journal, R"({"state": "done", "inputs": [], "target": {"data": "x"}})");
  EXPECT_EQ(names(), (std::vector<std::string>{"titledb0001-000.dat", "titledb0003-000.dat"}));
  ASSERT_OK(fs.RemoveFile(f->coll_dir + "/titledb0003-000.dat"));
  EXPECT_EQ(names(), (std::vector<std::string>{"titledb0001-000.dat", "titledb0002-000.002.dat"}));
  // No journal: a merge file is listed (a Gigablast merge; the merge job resumes it).
  ASSERT_OK(fs.RemoveFile(journal));
  fs.WriteAll(f->coll_dir + "/titledb0003-000.dat", "x");
  EXPECT_EQ(names(), (std::vector<std::string>{"titledb0001-000.dat", "titledb0002-000.002.dat",
                                               "titledb0003-000.dat"}));
}

}  // namespace
}  // namespace shardtool
