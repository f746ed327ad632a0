#include "io/zstd_codec.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>

#include "io/mem_file_system.h"
#include "testing/status_matchers.h"

namespace shardtool {
namespace {

std::string Sample(size_t n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    // Half compressible text, half noise.
    s.push_back(i % 2 == 0 ? static_cast<char>('a' + (i / 7) % 26) : static_cast<char>(rng()));
  }
  return s;
}

TEST(ZstdCodec, RoundTripsWithChecksumAndContentSize) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{300000}}) {
    SCOPED_TRACE(n);
    std::string in = Sample(n);
    auto frame = ZstdCompressFrame(in);
    ASSERT_OK(frame);
    EXPECT_EQ(ZSTD_getFrameContentSize(frame->data(), frame->size()), n);
    // Frame_Header_Descriptor (RFC 8878 3.1.1.1.1), after the 4-byte magic: bit 2 is the
    // Content_Checksum_flag.
    ASSERT_GT(frame->size(), 4u);
    EXPECT_EQ((static_cast<uint8_t>((*frame)[4]) >> 2) & 1, 1);
    auto out = ZstdDecompressFrame(*frame, n);
    ASSERT_OK(out);
    EXPECT_EQ(*out, in);
  }
}

TEST(ZstdCodec, CompressesRepetitiveInput) {
  std::string in(100000, 'x');
  auto frame = ZstdCompressFrame(in, 19);
  ASSERT_OK(frame);
  EXPECT_LT(frame->size(), 100u);
}

TEST(ZstdCodec, CorruptFramesAreCorruption) {
  std::string in = Sample(5000);
  auto frame = ZstdCompressFrame(in);
  ASSERT_OK(frame);
  // Garbage, a flipped checksum byte, a flipped payload byte, truncation, trailing bytes.
  EXPECT_EQ(ZstdDecompressFrame("not a frame at all", 1 << 20).status().code(),
            ErrorCode::kCorruption);
  EXPECT_EQ(ZstdDecompressFrame("", 1 << 20).status().code(), ErrorCode::kCorruption);
  std::string bad = *frame;
  bad.back() ^= 0x01;
  auto r1 = ZstdDecompressFrame(bad, 1 << 20);
  EXPECT_EQ(r1.status().code(), ErrorCode::kCorruption);
  bad = *frame;
  bad[bad.size() / 2] ^= 0x40;
  EXPECT_EQ(ZstdDecompressFrame(bad, 1 << 20).status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(ZstdDecompressFrame(frame->substr(0, frame->size() - 10), 1 << 20).status().code(),
            ErrorCode::kCorruption);
  EXPECT_EQ(ZstdDecompressFrame(*frame + "x", 1 << 20).status().code(), ErrorCode::kCorruption);
}

TEST(ZstdCodec, DeclaredSizeLimitIsEnforced) {
  std::string in = Sample(1000);
  auto frame = ZstdCompressFrame(in);
  ASSERT_OK(frame);
  auto small = ZstdDecompressFrame(*frame, 999);
  EXPECT_EQ(small.status().code(), ErrorCode::kCorruption);
  EXPECT_NE(small.status().message().find("1000"), std::string::npos);
  EXPECT_OK(ZstdDecompressFrame(*frame, 1000));
}

TEST(ZstdCodec, StreamedFrameRoundTripsAndActualSizeLimitIsEnforced) {
  std::string sink;
  std::string in = Sample(200000, 7);
  ZstdFrameWriter w(&sink);
  for (size_t i = 0; i < in.size(); i += 4096) ASSERT_OK(w.Append(in.substr(i, 4096)));
  ASSERT_OK(w.Finish());
  EXPECT_EQ(w.bytes_in(), in.size());
  EXPECT_EQ(w.bytes_out(), sink.size());
  // The streaming frame does not declare its size: only the actual size can be checked.
  EXPECT_EQ(ZSTD_getFrameContentSize(sink.data(), sink.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  auto out = ZstdDecompressFrame(sink, in.size());
  ASSERT_OK(out);
  EXPECT_EQ(*out, in);
  auto limited = ZstdDecompressFrame(sink, in.size() - 1);
  EXPECT_EQ(limited.status().code(), ErrorCode::kCorruption);
  EXPECT_EQ(w.Append("more").code(), ErrorCode::kInternalError);
  EXPECT_EQ(w.Finish().code(), ErrorCode::kInternalError);
}

TEST(ZstdCodec, WriterToAFile) {
  MemFileSystem fs;
  auto f = fs.OpenForWrite("/bundle.zst", WriteMode::kTruncate);
  ASSERT_OK(f);
  {
    ZstdFrameWriter w(f->get());
    ASSERT_OK(w.Append("hello "));
    ASSERT_OK(w.Append("world"));
    ASSERT_OK(w.Finish());
    EXPECT_EQ(w.bytes_out(), (*f)->Size());
  }
  auto out = ZstdDecompressFrame(fs.ReadAll("/bundle.zst"), 100);
  ASSERT_OK(out);
  EXPECT_EQ(*out, "hello world");
}

TEST(ZstdCodec, EmptyStreamedFrame) {
  std::string sink;
  ZstdFrameWriter w(&sink);
  ASSERT_OK(w.Finish());
  auto out = ZstdDecompressFrame(sink, 0);
  ASSERT_OK(out);
  EXPECT_EQ(*out, "");
}

}  // namespace
}  // namespace shardtool
