// DirCache (listings validated by a stat of the directory, git's racy rule) and what acquisitions
// see through it: a file added in the same timestamp granule as a listing is never missed, a
// settled listing is reused until the directory changes, untrusted sizes are stat'ed again.
#include "acquire/dir_cache.h"

#include <gtest/gtest.h>

#include "acquire_env.h"
#include "format/file_name.h"
#include "testing/status_matchers.h"

namespace shardtool::testing {
namespace {

Status Put(FileSystem* fs, const std::string& path, const std::string& bytes) {
  ASSIGN_OR_RETURN(auto f, fs->OpenForWrite(path, WriteMode::kTruncate));
  RETURN_IF_ERROR(f->Append(bytes));
  return f->Close();
}

std::vector<std::string> Names(const DirCache::Listing& l) {
  std::vector<std::string> out;
  for (const DirEntry& e : l.entries) out.push_back(e.name);
  return out;
}

TEST(DirCache, AFileAddedInTheSameTickAsTheListingIsSeen) {
  MemFileSystem fs;  // its clock stands still: every change lands in one timestamp granule
  ASSERT_OK(fs.CreateDirs("/d"));
  ASSERT_OK(Put(&fs, "/d/a", "x"));
  DirCache cache;
  auto l1 = cache.List(&fs, "/d");
  ASSERT_OK(l1);
  EXPECT_EQ(Names(**l1), std::vector<std::string>{"a"});
  ASSERT_OK(Put(&fs, "/d/b", "x"));  // the directory's stamp does not move
  auto l2 = cache.List(&fs, "/d");
  ASSERT_OK(l2);
  EXPECT_EQ(Names(**l2), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cache.listings(), 2u);
}

TEST(DirCache, ASettledListingIsReusedUntilTheDirectoryChanges) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/d"));
  ASSERT_OK(Put(&fs, "/d/a", "x"));
  fs.AdvanceMicros(DirCache::kSettledMicros + 1000);
  DirCache cache;
  ASSERT_OK(cache.List(&fs, "/d"));
  auto again = cache.List(&fs, "/d");
  ASSERT_OK(again);
  EXPECT_EQ(cache.listings(), 1u);
  ASSERT_OK(Put(&fs, "/d/c", "x"));
  auto l = cache.List(&fs, "/d");
  ASSERT_OK(l);
  EXPECT_EQ(Names(**l), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(cache.listings(), 2u);
  EXPECT_EQ(cache.List(&fs, "/nope").status().code(), ErrorCode::kNotFound);
}

TEST(DirCache, ASimulatedCrashIsAnotherFileSystem) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/d"));
  ASSERT_OK(fs.SyncDir("/"));
  fs.AdvanceMicros(DirCache::kSettledMicros + 1000);
  ASSERT_OK(Put(&fs, "/d/a", "x"));  // not durable: its entry goes with the crash
  fs.AdvanceMicros(DirCache::kSettledMicros + 1000);
  DirCache cache;
  auto l1 = cache.List(&fs, "/d");
  ASSERT_OK(l1);
  EXPECT_EQ((*l1)->entries.size(), 1u);
  fs.SimulateCrash();
  auto l2 = cache.List(&fs, "/d");
  ASSERT_OK(l2);
  EXPECT_TRUE((*l2)->entries.empty());
}

class AcquireThroughDirCache : public ::testing::Test {
 protected:
  AcquireThroughDirCache() { env.p->options.dirs = &dirs; }

  std::vector<std::string> Files(bool lock_free, std::vector<uint64_t>* sizes = nullptr) {
    auto ctx = env.p->Context();
    auto a = AcquireOne(*ctx, AcquisitionRequest::Ns("main.titledb"), lock_free);
    EXPECT_OK(a);
    if (!a.ok()) return {};
    std::vector<std::string> out;
    for (const CommittedFile& f : (*a->snapshot())->files) {
      out.push_back(f.name);
      if (sizes) sizes->push_back(f.total_size);
    }
    return out;
  }
  std::string DataPath(int id) {
    return JoinPath(env.f.coll_dir, DataName("titledb", id, /*titledb_naming=*/true));
  }

  Env env;
  DirCache dirs;
};

TEST_F(AcquireThroughDirCache, AFileAddedInTheSameTickIsSeenByTheNextAcquisition) {
  for (bool lock_free : {false, true}) {
    SCOPED_TRACE(Mode(lock_free));
    const int id = lock_free ? 7 : 5;
    // Listed in the tick of the last change to the dir: the listing is not trusted later.
    ASSERT_OK(Put(&env.fs, DataPath(id), "x"));
    auto before = Files(lock_free);
    ASSERT_EQ(before.back(), DataName("titledb", id, true));
    ASSERT_OK(Put(&env.fs, DataPath(id + 1), "x"));  // same tick: same stamp
    auto after = Files(lock_free);
    EXPECT_EQ(after.size(), before.size() + 1);
    EXPECT_EQ(after.back(), DataName("titledb", id + 1, true));
  }
}

TEST_F(AcquireThroughDirCache, SettledListingsAreReusedAndChangesSeen) {
  env.fs.AdvanceMicros(DirCache::kSettledMicros + 1000);
  const auto first = Files(false);
  const uint64_t listed = dirs.listings();
  EXPECT_EQ(Files(false), first);
  EXPECT_EQ(Files(true), first);
  EXPECT_EQ(dirs.listings(), listed);  // the dir and journal/ were not listed again
  ASSERT_OK(Put(&env.fs, DataPath(9), "x"));
  auto after = Files(false);
  EXPECT_EQ(after.size(), first.size() + 1);
  EXPECT_GT(dirs.listings(), listed);
}

TEST_F(AcquireThroughDirCache, OnlySizesStatedUnderTheCollLockAreTrusted) {
  env.fs.AdvanceMicros(DirCache::kSettledMicros + 1000);
  // Lock-free listings trust no size: a file that grows in place (as an uncommitted merge target
  // does) is stat'ed every time.
  ASSERT_OK(Put(&env.fs, DataPath(5), "x"));
  env.fs.AdvanceMicros(DirCache::kSettledMicros + 1000);
  std::vector<uint64_t> s1, s2;
  Files(true, &s1);
  {
    auto f = env.fs.OpenForWrite(DataPath(5), WriteMode::kAppend);
    ASSERT_OK(f);
    ASSERT_OK((*f)->Append("yy"));
    ASSERT_OK((*f)->Close());
  }
  Files(true, &s2);
  ASSERT_EQ(s1.size(), s2.size());
  EXPECT_EQ(s1.back() + 2, s2.back());
}

}  // namespace
}  // namespace shardtool::testing
