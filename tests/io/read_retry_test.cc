#include "io/read_retry.h"

#include <gtest/gtest.h>

#include "io/fault_file_system.h"
#include "io/mem_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

class ReadRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string data;
    for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>('a' + i % 26));
    data_ = data;
    mem_.WriteAll("/db/posdb0001.dat", data_);
    mem_.SetNowMicros(0);
    auto f = fs_.OpenForRead("/db/posdb0001.dat");
    ASSERT_OK(f);
    file_ = std::move(f).value();
  }

  Status Read(uint64_t offset, size_t n, int max_attempts = 5) {
    buf_.assign(n, 0);
    ReadRetryPolicy policy;
    policy.max_attempts = max_attempts;
    return ReadWithRetry(&fs_, file_.get(), offset, n, buf_.data(), policy);
  }
  std::string Got() const { return std::string(buf_.begin(), buf_.end()); }

  MemFileSystem mem_;
  FaultFileSystem fs_{&mem_};
  std::unique_ptr<RandomAccessFile> file_;
  std::string data_;
  std::vector<uint8_t> buf_;
};

TEST_F(ReadRetryTest, BackoffSchedule) {
  EXPECT_EQ(ReadRetryBackoffMicros(1), 10'000);
  EXPECT_EQ(ReadRetryBackoffMicros(2), 400'000);
  EXPECT_EQ(ReadRetryBackoffMicros(3), 600'000);
  EXPECT_EQ(ReadRetryBackoffMicros(50), 10'000'000);
  EXPECT_EQ(ReadRetryBackoffMicros(1000), 10'000'000);
}

TEST_F(ReadRetryTest, PlainReadNeedsNoSleep) {
  ASSERT_OK(Read(10, 20));
  EXPECT_EQ(Got(), data_.substr(10, 20));
  EXPECT_EQ(mem_.NowMicros(), 0);
  EXPECT_EQ(fs_.calls(FsOp::kRead), 1u);
}

TEST_F(ReadRetryTest, TransientEioRecoversWithBackoff) {
  fs_.AddRule(FaultRule::Fail(FsOp::kRead, EIO).Times(2));
  Status s = Read(7, 50);
  ASSERT_OK(s);
  EXPECT_EQ(Got(), data_.substr(7, 50));
  EXPECT_EQ(fs_.calls(FsOp::kRead), 3u);
  EXPECT_EQ(mem_.NowMicros(), 10'000 + 400'000);
}

TEST_F(ReadRetryTest, PersistentEioFailsAfterMaxAttempts) {
  fs_.AddRule(FaultRule::Fail(FsOp::kRead, EIO).Always());
  Status s = Read(7, 50, 4);
  EXPECT_EQ(s.code(), ErrorCode::kIOError);
  EXPECT_NE(s.message().find("/db/posdb0001.dat"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("offset 7"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("50 bytes"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("4 attempts"), std::string::npos) << s.message();
  EXPECT_EQ(fs_.calls(FsOp::kRead), 4u);
  EXPECT_EQ(mem_.NowMicros(), 10'000 + 400'000 + 600'000);  // no sleep after the last attempt
  bool has_attempts = false;
  for (const ErrorInfo& i : s.info()) {
    if (i.name == "attempts") has_attempts = std::get<int64_t>(i.value) == 4;
  }
  EXPECT_TRUE(has_attempts);
}

TEST_F(ReadRetryTest, TruncatedReadIsCorruptionWithoutRetry) {
  Status s = Read(90, 20);
  EXPECT_EQ(s.code(), ErrorCode::kCorruption);
  EXPECT_NE(s.message().find("truncated"), std::string::npos);
  EXPECT_NE(s.message().find("/db/posdb0001.dat"), std::string::npos);
  EXPECT_NE(s.message().find("offset 90"), std::string::npos);
  EXPECT_EQ(mem_.NowMicros(), 0);
  EXPECT_EQ(fs_.calls(FsOp::kRead), 2u);  // 10 bytes, then end of file
}

TEST_F(ReadRetryTest, ReadWhollyPastTheEndIsCorruption) {
  EXPECT_EQ(Read(200, 1).code(), ErrorCode::kCorruption);
  EXPECT_EQ(mem_.NowMicros(), 0);
}

TEST_F(ReadRetryTest, NoProgressReadsAreRetried) {
  fs_.AddRule(FaultRule::ShortRead(0).Times(2));
  ASSERT_OK(Read(0, 100));
  EXPECT_EQ(Got(), data_);
  EXPECT_EQ(mem_.NowMicros(), 10'000 + 400'000);
}

TEST_F(ReadRetryTest, ShortReadsWithProgressLoopWithoutSleeping) {
  fs_.AddRule(FaultRule::ShortRead(7).Always());
  ASSERT_OK(Read(3, 90));
  EXPECT_EQ(Got(), data_.substr(3, 90));
  EXPECT_EQ(mem_.NowMicros(), 0);
  EXPECT_EQ(fs_.calls(FsOp::kRead), 13u);
}

TEST_F(ReadRetryTest, PermissionAndNotFoundAreNotRetried) {
  fs_.AddRule(FaultRule::Fail(FsOp::kRead, EACCES).Nth(1));
  fs_.AddRule(FaultRule::Fail(FsOp::kRead, ENOENT).Nth(2));
  Status s = Read(5, 5);
  EXPECT_EQ(s.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(s.message().find("offset 5"), std::string::npos);
  EXPECT_EQ(Read(5, 5).code(), ErrorCode::kNotFound);
  EXPECT_EQ(fs_.calls(FsOp::kRead), 2u);
  EXPECT_EQ(mem_.NowMicros(), 0);
}

TEST_F(ReadRetryTest, ZeroLengthReadIsOk) {
  EXPECT_OK(Read(1000, 0));
  EXPECT_EQ(fs_.calls(FsOp::kRead), 0u);
}

}  // namespace
}  // namespace shardtool
