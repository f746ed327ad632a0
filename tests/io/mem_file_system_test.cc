#include "io/mem_file_system.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using Paths = std::vector<std::string>;

std::unique_ptr<WritableFile> MustOpen(FileSystem* fs, const std::string& path,
                                       WriteMode mode = WriteMode::kTruncate) {
  auto f = fs->OpenForWrite(path, mode);
  EXPECT_OK(f);
  return f.ok() ? std::move(f).value() : nullptr;
}

TEST(MemFileSystem, CrashDropsUnsyncedBytesAndKeepsSyncedOnes) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/d"));
  auto f = MustOpen(&fs, "/d/f");
  ASSERT_OK(fs.SyncDir("/d"));  // the entry is durable
  ASSERT_OK(f->Append("abc"));
  ASSERT_OK(f->Sync());
  ASSERT_OK(f->Append("def"));
  EXPECT_EQ(fs.ReadAll("/d/f"), "abcdef");
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/d/f"), "abc");
  auto st = fs.Stat("/d/f");
  ASSERT_OK(st);
  EXPECT_EQ(st->size, 3u);
}

TEST(MemFileSystem, SyncedFileVanishesWhenItsDirectoryWasNotSynced) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/d"));
  auto f = MustOpen(&fs, "/d/f");
  ASSERT_OK(f->Append("abc"));
  ASSERT_OK(f->Sync());
  EXPECT_TRUE(fs.Exists("/d/f"));
  fs.SimulateCrash();
  EXPECT_FALSE(fs.Exists("/d/f"));
  EXPECT_TRUE(fs.Exists("/d"));  // CreateDirs is durable at once
  EXPECT_EQ(fs.ListRecursive(), Paths({"/d/"}));
}

TEST(MemFileSystem, RenameWithoutSyncDirIsUndoneByCrash) {
  MemFileSystem fs;
  fs.WriteAll("/d/target", "old");
  auto f = MustOpen(&fs, "/d/tmp");
  ASSERT_OK(f->Append("new"));
  ASSERT_OK(f->Sync());
  ASSERT_OK(fs.SyncDir("/d"));
  ASSERT_OK(fs.Rename("/d/tmp", "/d/target"));
  EXPECT_EQ(fs.ReadAll("/d/target"), "new");
  EXPECT_FALSE(fs.Exists("/d/tmp"));
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/d/target"), "old");
  EXPECT_EQ(fs.ReadAll("/d/tmp"), "new");
}

TEST(MemFileSystem, RenameFollowedBySyncDirSurvivesCrash) {
  MemFileSystem fs;
  fs.WriteAll("/d/target", "old");
  auto f = MustOpen(&fs, "/d/tmp");
  ASSERT_OK(f->Append("new"));
  ASSERT_OK(f->Sync());
  ASSERT_OK(fs.Rename("/d/tmp", "/d/target"));
  ASSERT_OK(fs.SyncDir("/d"));
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/d/target"), "new");
  EXPECT_EQ(fs.ListRecursive(), Paths({"/d/", "/d/target"}));
}

TEST(MemFileSystem, RemovalNotDirSyncedComesBack) {
  MemFileSystem fs;
  fs.WriteAll("/d/a", "A");
  fs.WriteAll("/d/b", "B");
  ASSERT_OK(fs.RemoveFile("/d/a"));
  ASSERT_OK(fs.RemoveFile("/d/b"));
  ASSERT_OK(fs.SyncDir("/d"));
  fs.WriteAll("/d/c", "C");
  ASSERT_OK(fs.RemoveFile("/d/c"));
  fs.SimulateCrash();
  EXPECT_FALSE(fs.Exists("/d/a"));
  EXPECT_FALSE(fs.Exists("/d/b"));
  EXPECT_EQ(fs.ReadAll("/d/c"), "C");
}

TEST(MemFileSystem, RemovedDirectoryComesBackWithItsDurableEntries) {
  MemFileSystem fs;
  fs.WriteAll("/d/sub/f", "x");
  ASSERT_OK(fs.RemoveFile("/d/sub/f"));
  ASSERT_OK(fs.RemoveDir("/d/sub"));
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/d/sub/f"), "x");
}

TEST(MemFileSystem, TruncateIsDurableOnlyAfterSync) {
  MemFileSystem fs;
  fs.WriteAll("/f", "abcdef");
  ASSERT_OK(fs.Truncate("/f", 2));
  EXPECT_EQ(fs.ReadAll("/f"), "ab");
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/f"), "abcdef");
  ASSERT_OK(fs.Truncate("/f", 8));
  EXPECT_EQ(fs.ReadAll("/f"), std::string("abcdef\0\0", 8));
  auto f = MustOpen(&fs, "/f", WriteMode::kAppend);
  EXPECT_EQ(f->Size(), 8u);
  ASSERT_OK(f->Sync());
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/f").size(), 8u);
}

TEST(MemFileSystem, HandlesAreInvalidAfterCrash) {
  MemFileSystem fs;
  fs.WriteAll("/f", "abc");
  auto r = fs.OpenForRead("/f");
  ASSERT_OK(r);
  auto w = MustOpen(&fs, "/g");
  fs.SimulateCrash();
  uint8_t buf[4];
  size_t got = 0;
  Status s = (*r)->Read(0, 3, buf, &got);
  EXPECT_EQ(s.code(), ErrorCode::kIOError);
  EXPECT_NE(s.message().find("/f"), std::string::npos);
  EXPECT_EQ(w->Append("x").code(), ErrorCode::kIOError);
  EXPECT_EQ(w->Sync().code(), ErrorCode::kIOError);
  // New handles work.
  auto r2 = fs.OpenForRead("/f");
  ASSERT_OK(r2);
  ASSERT_OK((*r2)->Read(0, 3, buf, &got));
  EXPECT_EQ(got, 3u);
}

TEST(MemFileSystem, FreezeFailsEverythingUntilCrash) {
  MemFileSystem fs;
  fs.WriteAll("/f", "abc");
  auto r = fs.OpenForRead("/f");
  ASSERT_OK(r);
  auto w = MustOpen(&fs, "/g");
  ASSERT_OK(w->Append("1"));
  fs.Freeze();
  EXPECT_TRUE(fs.frozen());
  auto o = fs.OpenForRead("/f");
  EXPECT_EQ(o.status().code(), ErrorCode::kIOError);
  EXPECT_NE(o.status().message().find("crashed"), std::string::npos);
  EXPECT_EQ(w->Append("2").code(), ErrorCode::kIOError);
  EXPECT_EQ(w->Sync().code(), ErrorCode::kIOError);
  uint8_t buf[4];
  size_t got = 0;
  EXPECT_EQ((*r)->Read(0, 1, buf, &got).code(), ErrorCode::kIOError);
  EXPECT_FALSE(fs.Rename("/f", "/h").ok());
  EXPECT_FALSE(fs.RemoveFile("/f").ok());
  EXPECT_FALSE(fs.SyncDir("/").ok());
  EXPECT_FALSE(fs.CreateDirs("/x").ok());
  EXPECT_FALSE(fs.Lock("/lock", LockMode::kShared, true).ok());
  EXPECT_FALSE(fs.Exists("/f"));
  EXPECT_EQ(fs.ReadAll("/g"), "1");  // helpers still look
  fs.SimulateCrash();
  EXPECT_FALSE(fs.frozen());
  EXPECT_TRUE(fs.Exists("/f"));
  EXPECT_FALSE(fs.Exists("/g"));
  EXPECT_OK(fs.Rename("/f", "/h"));
}

TEST(MemFileSystem, BasicsAndErrors) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/a/b"));
  ASSERT_OK(fs.CreateDirs("/a/b"));
  fs.WriteAll("/a/z", "1");
  fs.WriteAll("a/c", "22");  // relative to the root
  auto list = fs.ListDir("/a");
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "b");
  EXPECT_TRUE((*list)[0].is_dir);
  EXPECT_EQ((*list)[1].name, "c");
  EXPECT_EQ((*list)[2].name, "z");
  EXPECT_EQ(fs.ListRecursive(), Paths({"/a/", "/a/b/", "/a/c", "/a/z"}));

  auto st = fs.Stat("/a/./b/../c");
  ASSERT_OK(st);
  EXPECT_EQ(st->size, 2u);
  EXPECT_FALSE(st->is_dir);
  auto st2 = fs.Stat("/a/z");
  ASSERT_OK(st2);
  EXPECT_NE(st->inode, st2->inode);

  auto missing = fs.OpenForRead("/a/nope");
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/a/nope"), std::string::npos);
  EXPECT_EQ(fs.OpenForWrite("/nodir/f", WriteMode::kTruncate).status().code(),
            ErrorCode::kNotFound);
  EXPECT_FALSE(fs.OpenForWrite("/a/z", WriteMode::kCreateExclusive).ok());
  EXPECT_FALSE(fs.OpenForRead("/a").ok());
  EXPECT_FALSE(fs.RemoveDir("/a").ok());       // not empty
  EXPECT_FALSE(fs.RemoveFile("/a/b").ok());    // a directory
  EXPECT_FALSE(fs.CreateDirs("/a/z/q").ok());  // through a file
  EXPECT_FALSE(fs.Rename("/a", "/a/b/a").ok());
  EXPECT_FALSE(fs.Rename("/a/z", "/a/b").ok());                         // file over directory
  EXPECT_EQ(fs.ListDir("/a/z").status().code(), ErrorCode::kNotFound);  // ENOTDIR
  ASSERT_OK(fs.RemoveDir("/a/b"));
  EXPECT_FALSE(fs.Exists("/a/b"));
}

TEST(MemFileSystem, ReaderKeepsRenamedOverFile) {
  MemFileSystem fs;
  fs.WriteAll("/old", "old bytes");
  fs.WriteAll("/new", "new");
  auto r = fs.OpenForRead("/old");
  ASSERT_OK(r);
  ASSERT_OK(fs.Rename("/new", "/old"));
  auto s = ReadFileToString(&fs, "/old");
  ASSERT_OK(s);
  EXPECT_EQ(*s, "new");
  uint8_t buf[9];
  ASSERT_OK(ReadFully(r->get(), 0, 9, buf));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 9), "old bytes");
}

TEST(MemFileSystem, LocksFollowFlockSemantics) {
  MemFileSystem fs;
  auto s1 = fs.Lock("/lock", LockMode::kShared, true);
  auto s2 = fs.Lock("/lock", LockMode::kShared, true);
  ASSERT_OK(s1);
  ASSERT_OK(s2);
  EXPECT_TRUE(fs.Exists("/lock"));
  auto x = fs.Lock("/lock", LockMode::kExclusive, true);
  EXPECT_EQ(x.status().code(), ErrorCode::kBusy);
  EXPECT_NE(x.status().message().find("/lock"), std::string::npos);
  s1->reset();
  EXPECT_EQ(fs.Lock("/lock", LockMode::kExclusive, true).status().code(), ErrorCode::kBusy);
  s2->reset();
  auto x2 = fs.Lock("/lock", LockMode::kExclusive, true);
  ASSERT_OK(x2);
  EXPECT_EQ(fs.Lock("/lock", LockMode::kShared, true).status().code(), ErrorCode::kBusy);
  EXPECT_OK(fs.Lock("/other", LockMode::kExclusive, true));
}

TEST(MemFileSystem, BlockingLockWaitsForRelease) {
  MemFileSystem fs;
  auto held = fs.Lock("/lock", LockMode::kExclusive, true);
  ASSERT_OK(held);
  std::atomic<bool> acquired{false};
  std::thread t([&] {
    auto l = fs.Lock("/lock", LockMode::kShared, false);
    acquired = l.ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(acquired.load());  // still waiting: we hold it
  held->reset();
  t.join();
  EXPECT_TRUE(acquired.load());
}

TEST(MemFileSystem, FreezeWakesABlockedLockWithAnError) {
  MemFileSystem fs;
  auto held = fs.Lock("/lock", LockMode::kExclusive, true);
  ASSERT_OK(held);
  Status result;
  std::thread t([&] { result = fs.Lock("/lock", LockMode::kExclusive, false).status(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fs.Freeze();
  t.join();
  EXPECT_EQ(result.code(), ErrorCode::kIOError);
}

TEST(MemFileSystem, CrashReleasesLocks) {
  MemFileSystem fs;
  fs.WriteAll("/lock", "");
  auto held = fs.Lock("/lock", LockMode::kExclusive, true);
  ASSERT_OK(held);
  fs.SimulateCrash();
  auto again = fs.Lock("/lock", LockMode::kExclusive, true);
  EXPECT_OK(again);
  held->reset();  // a stale handle must not release the new holder's lock
  EXPECT_EQ(fs.Lock("/lock", LockMode::kShared, true).status().code(), ErrorCode::kBusy);
}

TEST(MemFileSystem, FakeClock) {
  MemFileSystem fs;
  fs.SetNowMicros(1000);
  EXPECT_EQ(fs.NowMicros(), 1000);
  fs.SleepMicros(250);
  EXPECT_EQ(fs.NowMicros(), 1250);
  fs.AdvanceMicros(750);
  EXPECT_EQ(fs.NowMicros(), 2000);
  fs.WriteAll("/f", "x");
  auto st = fs.Stat("/f");
  ASSERT_OK(st);
  EXPECT_EQ(st->mtime_ns, 2000 * 1000);
}

TEST(MemFileSystem, HandlesOutliveTheFileSystem) {
  std::unique_ptr<RandomAccessFile> r;
  std::unique_ptr<FileLock> lock;
  {
    MemFileSystem fs;
    fs.WriteAll("/f", "abc");
    auto o = fs.OpenForRead("/f");
    ASSERT_OK(o);
    r = std::move(o).value();
    auto l = fs.Lock("/l", LockMode::kShared, true);
    ASSERT_OK(l);
    lock = std::move(l).value();
  }
  uint8_t buf[3];
  size_t got = 0;
  ASSERT_OK(r->Read(0, 3, buf, &got));
  EXPECT_EQ(got, 3u);
  lock.reset();
}

TEST(FileSystemUtil, PathHelpers) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
  EXPECT_EQ(JoinPath("a", "/b"), "/b");
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("/c"), "/");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(BaseName("a/b/c"), "c");
  EXPECT_EQ(BaseName("c"), "c");
}

TEST(FileSystemUtil, ReadFileToStringLimitsAndTruncation) {
  MemFileSystem fs;
  fs.WriteAll("/f", "0123456789");
  auto big = ReadFileToString(&fs, "/f", 5);
  EXPECT_EQ(big.status().code(), ErrorCode::kCorruption);
  auto r = fs.OpenForRead("/f");
  ASSERT_OK(r);
  uint8_t buf[20];
  Status s = ReadFully(r->get(), 5, 10, buf);
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace shardtool
