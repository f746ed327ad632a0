#include "base/status.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/hex.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

TEST(Status, OkIsCheapAndNamed) {
  Status s;
  EXPECT_OK(s);
  EXPECT_EQ(s.name(), "Ok");
  EXPECT_EQ(s.exit_status(), 0);
}

TEST(Status, ExitStatusesFollowDesign) {
  EXPECT_EQ(UsageErrorStatus("x").exit_status(), 2);
  EXPECT_EQ(InvalidNamespaceStatus("x").exit_status(), 2);
  EXPECT_EQ(NamespaceNotFoundStatus("x").exit_status(), 3);
  EXPECT_EQ(LockTimeoutStatus("x").exit_status(), 4);
  EXPECT_EQ(StaleConfigStatus("x").exit_status(), 5);
  EXPECT_EQ(QueryPlanKilledStatus("x").exit_status(), 6);
  EXPECT_EQ(NoSpaceStatus("x").exit_status(), 7);
  EXPECT_EQ(CorruptionStatus("x").exit_status(), 8);
  EXPECT_EQ(InterruptedStatus("x").exit_status(), 9);
  EXPECT_EQ(InternalErrorStatus("x").exit_status(), 70);
}

TEST(Status, TableNumbersAndNamesAreUnique) {
  std::set<int> numbers;
  std::set<std::string_view> names;
  for (ErrorCode c : AllErrorCodes()) {
    EXPECT_TRUE(numbers.insert(static_cast<int>(c)).second);
    EXPECT_TRUE(names.insert(ErrorCodeName(c)).second);
  }
}

TEST(Status, CopyInfoAndPrefix) {
  Status s = LockTimeoutStatus("coll lock busy");
  s.With("resource", "coll.x").With("waitedMs", int64_t{5});
  s.Prefix("merge");
  Status t = s;
  EXPECT_EQ(t.message(), "merge: coll lock busy");
  ASSERT_EQ(t.info().size(), 2u);
  EXPECT_EQ(std::get<int64_t>(t.info()[1].value), 5);
  EXPECT_EQ(t.ToString(), "LockTimeout: merge: coll lock busy");
}

TEST(Status, ErrnoMapping) {
  EXPECT_EQ(ErrnoStatus(ENOENT, "open", "a").code(), ErrorCode::kNotFound);
  EXPECT_EQ(ErrnoStatus(ENOSPC, "write", "a").code(), ErrorCode::kNoSpace);
  EXPECT_EQ(ErrnoStatus(EIO, "read", "a").code(), ErrorCode::kIOError);
  EXPECT_EQ(ErrnoStatus(EACCES, "open", "a").code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(ErrnoStatus(EIO, "read", "coll/x.dat").message().find("coll/x.dat"), std::string::npos);
}

Result<int> Half(int x) {
  if (x % 2) return UsageErrorStatus("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  ASSIGN_OR_RETURN(*out, Half(x));
  return Status::Ok();
}

TEST(Result, PropagatesWithMacros) {
  int v = 0;
  EXPECT_OK(UseHalf(8, &v));
  EXPECT_EQ(v, 4);
  Status s = UseHalf(7, &v);
  EXPECT_EQ(s.code(), ErrorCode::kUsageError);
}

TEST(Crc32c, CheckValueAndExtend) {
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32cExtendPortable(0, "123456789", 9), 0xe3069283u);
  std::string s(10000, 'x');
  for (size_t i = 0; i < s.size(); i++) s[i] = static_cast<char>(i * 31 + (i >> 3));
  uint32_t whole = Crc32c(s);
  EXPECT_EQ(Crc32cExtend(Crc32c(s.substr(0, 1234)), s.data() + 1234, s.size() - 1234), whole);
  EXPECT_EQ(Crc32cExtendPortable(0, s.data(), s.size()), whole);
  EXPECT_EQ(Crc32c(""), 0u);
}

// The crc32-instruction path cuts long inputs into three interleaved lanes of several sizes and
// joins them; every length around the lane boundaries, at every alignment, must give the portable
// CRC, through that path and through the dispatching Crc32cExtend (which folds with VPCLMULQDQ
// instead from 256 bytes on CPUs that have it).
TEST(Crc32c, InterleavedLanesAgreeWithPortable) {
  std::string s(3 * 4096 * 2 + 3 * 1024 + 3 * 256 + 64, '\0');
  uint32_t x = 12345;
  for (char& ch : s) {
    x = x * 1103515245u + 12345u;
    ch = static_cast<char>(x >> 24);
  }
  const size_t lens[] = {0,    1,    7,     255,   767,   768,   769,   3071,  3072,        3073,
                         3839, 3840, 12287, 12288, 12289, 16384, 24576, 24577, s.size() - 3};
  for (size_t off : {0, 1, 3}) {
    for (size_t n : lens) {
      EXPECT_EQ(Crc32cExtend(0x1234567u, s.data() + off, n),
                Crc32cExtendPortable(0x1234567u, s.data() + off, n))
          << "length " << n << " offset " << off;
      EXPECT_EQ(Crc32cExtendCrc32Lanes(0x1234567u, s.data() + off, n),
                Crc32cExtendPortable(0x1234567u, s.data() + off, n))
          << "lanes, length " << n << " offset " << off;
    }
  }
}

// The carry-less multiplication path folds 256 bytes per step, then 64, then finishes the rest with
// the crc32 instruction: every length around those steps, at several alignments and start values,
// must give what the crc32-instruction lanes and the portable table give.
TEST(Crc32c, ClmulFoldingAgreesWithLanesAndPortable) {
  if (!Crc32cClmulAvailable()) GTEST_SKIP() << "this CPU has no AVX-512 VPCLMULQDQ";
  std::string s(70000, '\0');
  uint32_t x = 777;
  for (char& ch : s) {
    x = x * 1103515245u + 12345u;
    ch = static_cast<char>(x >> 24);
  }
  std::vector<size_t> lens = {255, 256, 257,  319,  320,   321,         511,
                              512, 513, 4095, 4096, 65536, s.size() - 3};
  for (size_t n = 256; n < 1400; n += 61) lens.push_back(n);
  for (size_t n = 256; n <= 2048; n += 64) {
    lens.push_back(n - 1);
    lens.push_back(n + 1);
  }
  for (uint32_t start : {0u, 0xffffffffu, 0x9e3779b9u}) {
    for (size_t off : {0, 1, 3}) {
      for (size_t n : lens) {
        const uint32_t want = Crc32cExtendPortable(start, s.data() + off, n);
        EXPECT_EQ(Crc32cExtend(start, s.data() + off, n), want)
            << "length " << n << " offset " << off << " start " << start;
        EXPECT_EQ(Crc32cExtendCrc32Lanes(start, s.data() + off, n), want)
            << "length " << n << " offset " << off << " start " << start;
      }
    }
  }
  // All-zero and all-ones blocks (fold constants applied to degenerate registers).
  for (char fill : {'\0', '\xff'}) {
    std::string z(1000, fill);
    EXPECT_EQ(Crc32c(z), Crc32cExtendPortable(0, z.data(), z.size()));
  }
}

TEST(Hex, RoundTripAndReversed) {
  const uint8_t b[] = {0x01, 0xab, 0xff};
  EXPECT_EQ(HexBytes(b, 3), "01abff");
  EXPECT_EQ(HexReversed(b, 3), "ffab01");
  std::vector<uint8_t> out;
  EXPECT_TRUE(ParseHex("0x01ABff", &out));
  EXPECT_EQ(out, (std::vector<uint8_t>{0x01, 0xab, 0xff}));
  EXPECT_FALSE(ParseHex("abc", &out));
  EXPECT_FALSE(ParseHex("zz", &out));
}

TEST(Coding, LittleEndian) {
  uint8_t b[8];
  StoreLE32(b, 0x01020304);
  EXPECT_EQ(b[0], 0x04);
  EXPECT_EQ(LoadLE32(b), 0x01020304u);
  StoreLE64(b, 0x1122334455667788ULL);
  EXPECT_EQ(LoadLEn(b, 5), 0x4455667788ULL);
}

}  // namespace
}  // namespace shardtool
