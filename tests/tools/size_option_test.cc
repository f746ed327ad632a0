// The one SIZE parser of the CLI (merge --max-extra-disk, import --memory and --commit-every).
#include "cli/size_option.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace shardtool {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

uint64_t Size(const std::string& text, uint64_t min_bytes = 0) {
  auto r = ParseSizeOption("--size", text, "20G, 512M", min_bytes);
  EXPECT_OK(r) << text;
  return r.ok() ? *r : 0;
}

std::string Error(const std::string& text, uint64_t min_bytes = 0) {
  auto r = ParseSizeOption("--size", text, "20G, 512M", min_bytes);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), ErrorCode::kUsageError) << text;
  return r.status().message();
}

TEST(SizeOption, PlainBytes) {
  EXPECT_EQ(Size("4096"), 4096u);
  EXPECT_EQ(Size("4096B"), 4096u);
}

TEST(SizeOption, BinaryUnitsInEitherCase) {
  EXPECT_EQ(Size("1K"), 1024u);
  EXPECT_EQ(Size("1k"), 1024u);
  EXPECT_EQ(Size("512M"), 512 * kMiB);
  EXPECT_EQ(Size("512m"), 512 * kMiB);
  EXPECT_EQ(Size("2G"), 2048 * kMiB);
  EXPECT_EQ(Size("2g"), 2048 * kMiB);
  EXPECT_EQ(Size("1T"), 1024 * 1024 * kMiB);
  EXPECT_EQ(Size("1t"), 1024 * 1024 * kMiB);
}

TEST(SizeOption, SuffixesOfBothFormerParsers) {
  // merge's: "GB", "GiB"; import's: "Gb", "Gib", "Gi".
  for (const char* text : {"2GB", "2GiB", "2Gb", "2Gib", "2Gi", "2gb", "2gib"}) {
    EXPECT_EQ(Size(text), 2048 * kMiB) << text;
  }
  EXPECT_EQ(Size("1.5GiB"), 1536 * kMiB);
  EXPECT_EQ(Size("1TiB"), 1024 * 1024 * kMiB);
  EXPECT_EQ(Size("4KiB"), 4096u);
}

TEST(SizeOption, Errors) {
  EXPECT_EQ(Error("lots"), "--size lots: not a size (e.g. 20G, 512M)");
  EXPECT_EQ(Error("10X"), "--size 10X: unknown unit 'X'");
  EXPECT_EQ(Error("10XB"), "--size 10XB: unknown unit 'X'");
  EXPECT_EQ(Error("10b"), "--size 10b: unknown unit 'b'");
  EXPECT_EQ(Error("10P"), "--size 10P: unknown unit 'P'");
  EXPECT_EQ(Error("0"), "--size 0: must be positive");
  EXPECT_EQ(Error("-1G"), "--size -1G: must be positive");
}

TEST(SizeOption, Minimum) {
  EXPECT_EQ(Size("1M", kMiB), kMiB);
  EXPECT_EQ(Size("1024K", kMiB), kMiB);
  EXPECT_EQ(Error("512K", kMiB), "--size 512K: at least 1M");
  EXPECT_EQ(Error("1000000", kMiB), "--size 1000000: at least 1M");
}

}  // namespace
}  // namespace shardtool
