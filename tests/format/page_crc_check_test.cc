#include "format/page_crc_check.h"

#include <gtest/gtest.h>

#include <string>

#include "io/mem_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

std::string Data(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>(i * 131 + i / 7);
  return s;
}

CrcSidecar SidecarOf(const std::string& data) {
  CrcSidecarBuilder b(512);
  b.Add(data);
  return b.Finish();
}

Status FeedChunks(PageCrcCheck& c, const std::string& data, uint64_t from, size_t chunk) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  for (uint64_t off = from; off < data.size(); off += chunk) {
    const size_t n = std::min<size_t>(chunk, data.size() - off);
    RETURN_IF_ERROR(c.Feed(off, p + off, n));
  }
  return Status::Ok();
}

TEST(PageCrcCheck, CleanDataPassesInAnyChunking) {
  const std::string data = Data(512 * 7 + 100);
  const CrcSidecar sc = SidecarOf(data);
  for (size_t chunk : {1, 100, 512, 1000, 4096}) {
    PageCrcCheck c(&sc, "f.dat");
    EXPECT_OK(FeedChunks(c, data, 0, chunk)) << chunk;
  }
}

TEST(PageCrcCheck, AFlippedBitIsFoundWithItsPageAndOffset) {
  const std::string good = Data(512 * 7 + 100);
  const CrcSidecar sc = SidecarOf(good);
  for (size_t at : {size_t{0}, size_t{1500}, good.size() - 1}) {
    std::string bad = good;
    bad[at] ^= 0x04;
    PageCrcCheck c(&sc, "f.dat");
    Status s = FeedChunks(c, bad, 0, 700);
    ASSERT_EQ(s.code(), ErrorCode::kCorruption) << at;
    const uint64_t page_start = at / 512 * 512;
    EXPECT_NE(s.message().find("f.dat: offset " + std::to_string(page_start)), std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("(C4)"), std::string::npos);
  }
}

TEST(PageCrcCheck, ReadsStartingInsideAPageSkipItAndRestartOnAJump) {
  const std::string good = Data(512 * 4);
  const CrcSidecar sc = SidecarOf(good);
  std::string bad = good;
  bad[10] ^= 1;  // page 0, before the start
  PageCrcCheck c(&sc, "f.dat");
  EXPECT_OK(FeedChunks(c, bad, 300, 512));
  // A feed that does not continue the last one starts over at its offset.
  const auto* p = reinterpret_cast<const uint8_t*>(bad.data());
  EXPECT_EQ(c.Feed(0, p, 512).code(), ErrorCode::kCorruption);
}

TEST(PageCrcCheck, AlignedEndAndInactive) {
  const std::string data = Data(2000);
  const CrcSidecar sc = SidecarOf(data);
  PageCrcCheck c(&sc, "f.dat");
  EXPECT_EQ(c.AlignedEnd(1500, 2000), 1024u);
  EXPECT_EQ(c.AlignedEnd(2100, 2000), 2000u);
  EXPECT_EQ(c.PageFloor(1023), 512u);
  PageCrcCheck off;
  EXPECT_FALSE(off.active());
  EXPECT_TRUE(off.Feed(0, reinterpret_cast<const uint8_t*>(data.data()), 10).ok());
}

TEST(PageCrcCheck, LoadUsableSidecarIgnoresMissingAndStaleAndRefusesBroken) {
  MemFileSystem fs;
  ASSERT_OK(fs.CreateDirs("/d"));
  const std::string data = Data(3000);
  auto none = LoadUsableSidecar(&fs, "/d", "posdb0001.crc", 3000);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  fs.WriteAll("/d/posdb0001.crc", SidecarOf(data).Serialize());
  auto got = LoadUsableSidecar(&fs, "/d", "posdb0001.crc", 3000);
  ASSERT_OK(got);
  EXPECT_TRUE(got->has_value());
  auto stale = LoadUsableSidecar(&fs, "/d", "posdb0001.crc", 3001);
  ASSERT_OK(stale);
  EXPECT_FALSE(stale->has_value());
  std::string broken = SidecarOf(data).Serialize();
  broken[5] ^= 1;
  fs.WriteAll("/d/posdb0001.crc", broken);
  EXPECT_EQ(LoadUsableSidecar(&fs, "/d", "posdb0001.crc", 3000).status().code(),
            ErrorCode::kCorruption);
}

}  // namespace
}  // namespace shardtool
