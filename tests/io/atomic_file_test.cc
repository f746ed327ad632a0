#include "io/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "io/fault_file_system.h"
#include "io/mem_file_system.h"
#include "io/posix_file_system.h"
#include "io/test_point.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

using Paths = std::vector<std::string>;

// Installs a test point handler for the scope of a test and restores the previous one.
class ScopedHandler {
 public:
  explicit ScopedHandler(testpoint::Handler h) : old_(testpoint::SetHandler(std::move(h))) {}
  ~ScopedHandler() { testpoint::SetHandler(std::move(old_)); }

 private:
  testpoint::Handler old_;
};

TEST(AtomicFile, CommitIsVisibleAndDurable) {
  MemFileSystem fs;
  fs.WriteAll("/db/posdb0001.map", "old");
  AtomicFile f(&fs, "/db/posdb0001.map");
  EXPECT_EQ(f.temp_path(), "/db/posdb0001.map.tmp");
  ASSERT_OK(f.Open());
  ASSERT_OK(f.Append("ne"));
  ASSERT_OK(f.Append("w"));
  EXPECT_EQ(fs.ReadAll("/db/posdb0001.map"), "old");  // nothing visible before Commit
  ASSERT_OK(f.Commit());
  EXPECT_EQ(fs.ReadAll("/db/posdb0001.map"), "new");
  EXPECT_FALSE(fs.Exists("/db/posdb0001.map.tmp"));
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/db/posdb0001.map"), "new");
  EXPECT_EQ(fs.ListRecursive(), Paths({"/db/", "/db/posdb0001.map"}));
}

TEST(AtomicFile, CommitOfANewFileIsDurable) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/db"));
  ASSERT_OK(WriteFileAtomically(&fs, "/db/catalog.json", "{}", ".part"));
  fs.SimulateCrash();
  EXPECT_EQ(fs.ReadAll("/db/catalog.json"), "{}");
  EXPECT_EQ(fs.ListRecursive(), Paths({"/db/", "/db/catalog.json"}));
}

TEST(AtomicFile, DestructionWithoutCommitKeepsOldAndRemovesTemp) {
  MemFileSystem fs;
  fs.WriteAll("/db/f.map", "old");
  {
    AtomicFile f(&fs, "/db/f.map");
    ASSERT_OK(f.Open());
    ASSERT_OK(f.Append("half-written"));
    EXPECT_TRUE(fs.Exists("/db/f.map.tmp"));
  }
  EXPECT_EQ(fs.ReadAll("/db/f.map"), "old");
  EXPECT_EQ(fs.ListRecursive(), Paths({"/db/", "/db/f.map"}));
}

TEST(AtomicFile, RefusesTemporaryNamesContainingDat) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/db"));
  AtomicFile data(&fs, "/db/posdb0001.dat");
  Status s = data.Open();
  EXPECT_EQ(s.code(), ErrorCode::kInternalError);
  EXPECT_NE(s.message().find(".dat"), std::string::npos);
  AtomicFile suffix(&fs, "/db/x.map", ".dat.tmp");
  EXPECT_EQ(suffix.Open().code(), ErrorCode::kInternalError);
  EXPECT_EQ(fs.ListRecursive(), Paths({"/db/"}));
  // Only the base name matters: a ".dat" in a directory name is fine.
  ASSERT_OK(fs.CreateDirs("/x.dat"));
  EXPECT_OK(WriteFileAtomically(&fs, "/x.dat/y.map", "y"));
}

TEST(AtomicFile, MisuseIsAnInternalError) {
  MemFileSystem fs;
  AtomicFile f(&fs, "/a");
  EXPECT_EQ(f.Append("x").code(), ErrorCode::kInternalError);
  EXPECT_EQ(f.Commit().code(), ErrorCode::kInternalError);
  ASSERT_OK(f.Open());
  EXPECT_EQ(f.Open().code(), ErrorCode::kInternalError);
  ASSERT_OK(f.Commit());
  EXPECT_EQ(f.Commit().code(), ErrorCode::kInternalError);
  EXPECT_EQ(f.Append("x").code(), ErrorCode::kInternalError);
  EXPECT_TRUE(fs.Exists("/a"));
}

TEST(AtomicFile, CrashAtEachTestPointLeavesOldOrNew) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  const std::string points[] = {"atomic_file.before_rename", "atomic_file.after_rename"};
  for (const std::string& point : points) {
    SCOPED_TRACE(point);
    MemFileSystem fs;
    fs.WriteAll("/db/f.map", "old contents");
    std::vector<std::string> hits;
    {
      ScopedHandler handler([&](std::string_view name) {
        hits.emplace_back(name);
        if (name != point) return Status::Ok();
        fs.Freeze();
        return IOErrorStatus("simulated crash at " + std::string(name));
      });
      AtomicFile f(&fs, "/db/f.map");
      ASSERT_OK(f.Open());
      ASSERT_OK(f.Append("new contents, longer"));
      Status s = f.Commit();
      EXPECT_EQ(s.code(), ErrorCode::kIOError);
      EXPECT_NE(s.message().find(point), std::string::npos);
    }  // the destructor runs against the frozen file system
    EXPECT_EQ(hits.back(), point);
    fs.SimulateCrash();
    std::string got = fs.ReadAll("/db/f.map");
    EXPECT_TRUE(got == "old contents" || got == "new contents, longer") << got;
    // Neither point comes after the directory sync, so the old content must survive.
    EXPECT_EQ(got, "old contents");
    EXPECT_EQ(fs.ListRecursive(), Paths({"/db/", "/db/f.map"}));
  }
}

TEST(AtomicFile, CommitHitsBothTestPointsInOrder) {
  if (!testpoint::kEnabled) GTEST_SKIP() << "test points are compiled out";
  MemFileSystem fs;
  std::vector<std::string> hits;
  ScopedHandler handler([&](std::string_view name) {
    // Each point sees the state it names.
    hits.emplace_back(std::string(name) + (fs.Exists("/f") ? " target" : " no-target"));
    return Status::Ok();
  });
  ASSERT_OK(WriteFileAtomically(&fs, "/f", "x"));
  EXPECT_EQ(hits,
            Paths({"atomic_file.before_rename no-target", "atomic_file.after_rename target"}));
}

// A failure (and crash) at each file system step of Commit leaves the old or the new content.
TEST(AtomicFile, FailureAtEachStepThenCrashLeavesOldOrNew) {
  struct Step {
    FsOp op;
    const char* expect_after_crash;
  };
  const Step steps[] = {{FsOp::kOpen, "old"},  {FsOp::kAppend, "old"}, {FsOp::kSync, "old"},
                        {FsOp::kClose, "old"}, {FsOp::kRename, "old"}, {FsOp::kSyncDir, "old"}};
  for (const Step& step : steps) {
    SCOPED_TRACE(std::string(FsOpName(step.op)));
    MemFileSystem mem;
    mem.WriteAll("/db/f.map", "old");
    FaultFileSystem fs(&mem);
    fs.AddRule(FaultRule::Fail(step.op, EIO));
    Status s = WriteFileAtomically(&fs, "/db/f.map", "new");
    EXPECT_EQ(s.code(), ErrorCode::kIOError);
    EXPECT_EQ(fs.faults_injected(), 1u);
    if (step.op != FsOp::kSyncDir) {
      EXPECT_EQ(mem.ReadAll("/db/f.map"), "old");  // a failed commit changes nothing visible
      EXPECT_FALSE(mem.Exists("/db/f.map.tmp"));   // and leaves no temporary
    }
    ASSERT_OK(fs.Crash());
    EXPECT_EQ(mem.ReadAll("/db/f.map"), step.expect_after_crash);
    EXPECT_EQ(mem.ListRecursive(), Paths({"/db/", "/db/f.map"}));
  }
}

TEST(AtomicFile, FailedSyncFailsTheCommit) {
  MemFileSystem mem;
  mem.WriteAll("/f", "old");
  FaultFileSystem fs(&mem);
  fs.AddRule(FaultRule::Fail(FsOp::kSync, EIO).Always());
  AtomicFile f(&fs, "/f");
  ASSERT_OK(f.Open());
  ASSERT_OK(f.Append("new"));
  EXPECT_FALSE(f.Commit().ok());
  EXPECT_EQ(fs.calls(FsOp::kSync), 1u);  // never retried
  EXPECT_EQ(fs.calls(FsOp::kRename), 0u);
}

TEST(AtomicFile, WorksOnPosix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/shardtool_atomic_test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  FileSystem* fs = PosixFS();
  const std::string target = dir + "/catalog.json";
  ASSERT_OK(WriteFileAtomically(fs, target, "one"));
  ASSERT_OK(WriteFileAtomically(fs, target, "two"));
  auto got = ReadFileToString(fs, target);
  ASSERT_OK(got);
  EXPECT_EQ(*got, "two");
  {
    AtomicFile f(fs, target);
    ASSERT_OK(f.Open());
    ASSERT_OK(f.Append("three"));
  }
  auto list = fs->ListDir(dir);
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "catalog.json");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace shardtool
