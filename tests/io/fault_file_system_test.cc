#include "io/fault_file_system.h"

#include <gtest/gtest.h>

#include "io/mem_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

class FaultFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_.WriteAll("/db/posdb0001.dat", "0123456789");
    mem_.WriteAll("/db/titledb0001-000.dat", "abcdefghij");
  }

  // Reads 1 byte at offset 0 of an open file.
  static Status ReadOne(RandomAccessFile* f) {
    uint8_t b;
    size_t got = 0;
    return f->Read(0, 1, &b, &got);
  }

  std::unique_ptr<RandomAccessFile> Open(const std::string& path) {
    auto f = fs_.OpenForRead(path);
    EXPECT_OK(f);
    return f.ok() ? std::move(f).value() : nullptr;
  }

  MemFileSystem mem_;
  FaultFileSystem fs_{&mem_};
};

TEST_F(FaultFileSystemTest, FailsTheNthReadOnly) {
  fs_.AddRule(FaultRule::Fail(FsOp::kRead, EIO).Nth(3));
  auto f = Open("/db/posdb0001.dat");
  EXPECT_OK(ReadOne(f.get()));
  EXPECT_OK(ReadOne(f.get()));
  Status s = ReadOne(f.get());
  EXPECT_EQ(s.code(), ErrorCode::kIOError);
  EXPECT_NE(s.message().find("/db/posdb0001.dat"), std::string::npos);
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos);
  EXPECT_OK(ReadOne(f.get()));
  EXPECT_EQ(fs_.calls(FsOp::kRead), 4u);
  EXPECT_EQ(fs_.faults_injected(), 1u);
}

TEST_F(FaultFileSystemTest, FailsEveryCallFromTheNthOnAndFiltersByPath) {
  fs_.AddRule(FaultRule::Fail(FsOp::kRead, EIO).OnPath("titledb").Nth(2).Always());
  auto p = Open("/db/posdb0001.dat");
  auto t = Open("/db/titledb0001-000.dat");
  EXPECT_OK(ReadOne(t.get()));
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(ReadOne(t.get()).ok());
    EXPECT_OK(ReadOne(p.get()));
  }
  EXPECT_EQ(fs_.faults_injected(), 5u);
  fs_.ClearRules();
  EXPECT_OK(ReadOne(t.get()));
}

TEST_F(FaultFileSystemTest, TimesLimitsTheRun) {
  fs_.AddRule(FaultRule::Fail(FsOp::kStat, EIO).Nth(2).Times(2));
  std::vector<bool> ok;
  for (int i = 0; i < 5; ++i) ok.push_back(fs_.Stat("/db").ok());
  EXPECT_EQ(ok, std::vector<bool>({true, false, false, true, true}));
}

TEST_F(FaultFileSystemTest, ErrnoAndCodeChoice) {
  fs_.AddRule(FaultRule::Fail(FsOp::kOpen, EACCES).Nth(1));
  fs_.AddRule(FaultRule::Fail(FsOp::kOpen, ENOSPC).Nth(2));
  fs_.AddRule(FaultRule::Fail(FsOp::kOpen, EIO).Nth(3).WithCode(ErrorCode::kCorruption));
  EXPECT_EQ(fs_.OpenForRead("/db/posdb0001.dat").status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(fs_.OpenForWrite("/db/x", WriteMode::kTruncate).status().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(fs_.OpenForRead("/db/posdb0001.dat").status().code(), ErrorCode::kCorruption);
  EXPECT_OK(fs_.OpenForRead("/db/posdb0001.dat"));
  EXPECT_FALSE(mem_.Exists("/db/x"));  // the failed open touched nothing
}

TEST_F(FaultFileSystemTest, AppendBudgetRunsOutWithAShortWrite) {
  fs_.SetAppendBudget(10);
  auto w = fs_.OpenForWrite("/db/out", WriteMode::kTruncate);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Append("123456"));
  Status s = (*w)->Append("789abc");
  EXPECT_EQ(s.code(), ErrorCode::kNoSpace);
  EXPECT_NE(s.message().find("/db/out"), std::string::npos);
  EXPECT_EQ(mem_.ReadAll("/db/out"), "123456789a");
  EXPECT_EQ((*w)->Append("z").code(), ErrorCode::kNoSpace);
  EXPECT_EQ(mem_.ReadAll("/db/out"), "123456789a");
  EXPECT_EQ((*w)->Size(), 10u);
  fs_.ClearAppendBudget();
  EXPECT_OK((*w)->Append("z"));
}

TEST_F(FaultFileSystemTest, ShortWriteWritesAPrefixThenNoSpace) {
  fs_.AddRule(FaultRule::ShortWrite(3).OnPath("out").Nth(2));
  auto w = fs_.OpenForWrite("/db/out", WriteMode::kTruncate);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Append("AB"));
  Status s = (*w)->Append("abcdef");
  EXPECT_EQ(s.code(), ErrorCode::kNoSpace);
  EXPECT_EQ(mem_.ReadAll("/db/out"), "ABabc");
  EXPECT_EQ((*w)->Size(), 5u);
  ASSERT_OK((*w)->Append("Z"));  // only the 2nd append was short
  EXPECT_EQ(mem_.ReadAll("/db/out"), "ABabcZ");
}

TEST_F(FaultFileSystemTest, ShortReadsReturnFewerBytesWithoutError) {
  fs_.AddRule(FaultRule::ShortRead(3).Always());
  auto f = Open("/db/posdb0001.dat");
  uint8_t buf[10];
  size_t got = 0;
  ASSERT_OK(f->Read(0, 10, buf, &got));
  EXPECT_EQ(got, 3u);
  // A looping reader still gets everything.
  ASSERT_OK(ReadFully(f.get(), 0, 10, buf));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 10), "0123456789");
  EXPECT_EQ(fs_.calls(FsOp::kRead), 1u + 4u);
}

TEST_F(FaultFileSystemTest, FailingSyncLeavesDataUndurable) {
  fs_.AddRule(FaultRule::Fail(FsOp::kSync, EIO));
  ASSERT_OK(mem_.SyncDir("/db"));
  auto w = fs_.OpenForWrite("/db/posdb0001.dat", WriteMode::kAppend);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Append("XYZ"));
  EXPECT_EQ((*w)->Sync().code(), ErrorCode::kIOError);
  EXPECT_EQ(mem_.ReadAll("/db/posdb0001.dat"), "0123456789XYZ");
  ASSERT_OK(fs_.Crash());
  EXPECT_EQ(mem_.ReadAll("/db/posdb0001.dat"), "0123456789");
}

TEST_F(FaultFileSystemTest, RenameMatchesEitherPath) {
  fs_.AddRule(FaultRule::Fail(FsOp::kRename, EIO).OnPath("new").Always());
  EXPECT_FALSE(fs_.Rename("/db/posdb0001.dat", "/db/new").ok());
  EXPECT_TRUE(mem_.Exists("/db/posdb0001.dat"));
  EXPECT_OK(fs_.Rename("/db/posdb0001.dat", "/db/posdb0003.dat"));
  Status s = fs_.Rename("/db/new", "/db/x");
  EXPECT_NE(s.message().find("/db/new -> /db/x"), std::string::npos);
}

TEST_F(FaultFileSystemTest, CountsCallsPerKind) {
  ASSERT_OK(fs_.CreateDirs("/d"));
  auto w = fs_.OpenForWrite("/d/f", WriteMode::kTruncate);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Append("a"));
  ASSERT_OK((*w)->Append("b"));
  ASSERT_OK((*w)->Sync());
  ASSERT_OK((*w)->Close());
  ASSERT_OK(fs_.SyncDir("/d"));
  ASSERT_OK(fs_.Rename("/d/f", "/d/g"));
  ASSERT_OK(fs_.ListDir("/d"));
  ASSERT_OK(fs_.Stat("/d/g"));
  ASSERT_OK(fs_.Truncate("/d/g", 1));
  ASSERT_OK(fs_.Lock("/d/lock", LockMode::kShared, true));
  ASSERT_OK(fs_.RemoveFile("/d/g"));
  EXPECT_FALSE(fs_.RemoveFile("/d/g").ok());  // failures of the wrapped fs count too
  EXPECT_EQ(fs_.calls(FsOp::kCreateDirs), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kOpen), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kAppend), 2u);
  EXPECT_EQ(fs_.calls(FsOp::kSync), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kClose), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kSyncDir), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kRename), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kList), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kStat), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kTruncate), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kLock), 1u);
  EXPECT_EQ(fs_.calls(FsOp::kRemove), 2u);
  EXPECT_EQ(fs_.calls(FsOp::kRead), 0u);
  fs_.ResetCounters();
  EXPECT_EQ(fs_.calls(FsOp::kAppend), 0u);
}

TEST_F(FaultFileSystemTest, CrashAndFreezeNeedAMemFileSystem) {
  FaultFileSystem over_posix(PosixFS());
  EXPECT_EQ(over_posix.Crash().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(over_posix.Freeze().code(), ErrorCode::kFailedPrecondition);
  ASSERT_OK(fs_.Freeze());
  EXPECT_TRUE(mem_.frozen());
  EXPECT_FALSE(fs_.Stat("/db").ok());
  ASSERT_OK(fs_.Crash());
  EXPECT_FALSE(mem_.frozen());
}

TEST_F(FaultFileSystemTest, ClockIsForwarded) {
  mem_.SetNowMicros(5);
  fs_.SleepMicros(10);
  EXPECT_EQ(fs_.NowMicros(), 15);
  EXPECT_EQ(mem_.NowMicros(), 15);
}

}  // namespace
}  // namespace shardtool
