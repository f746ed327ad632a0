// zstd codec: whole-frame helpers and a streaming frame writer over libzstd.
//
// Every frame written here carries a content checksum (XXH64, checked on decompression).
// ZstdCompressFrame also records the content size in the frame header; ZstdFrameWriter cannot know
// it in advance and leaves it out. ZstdDecompressFrame accepts exactly one frame: a bad frame, a
// checksum mismatch, trailing bytes, or content larger than max_size (declared or actual) is
// Corruption, so untrusted input cannot make it allocate more than max_size bytes of output.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "io/file_system.h"

namespace shardtool {

Result<std::string> ZstdCompressFrame(std::string_view data, int level = 3);
Result<std::string> ZstdDecompressFrame(std::string_view frame, uint64_t max_size);

// Compresses a stream of chunks into one frame, appended to a string or written to a file as it is
// produced. Errors are sticky: after one, every call returns it. Not thread-safe.
class ZstdFrameWriter {
 public:
  // REQUIRES: the sink outlives the writer.
  explicit ZstdFrameWriter(std::string* sink, int level = 3);
  explicit ZstdFrameWriter(WritableFile* sink, int level = 3);
  ~ZstdFrameWriter();
  ZstdFrameWriter(const ZstdFrameWriter&) = delete;
  ZstdFrameWriter& operator=(const ZstdFrameWriter&) = delete;

  Status Append(std::string_view chunk);
  // Ends the frame and flushes it to the sink. The writer is inert afterwards. Does not Sync or
  // Close a file sink.
  Status Finish();

  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }

 private:
  struct Ctx;
  Status Init(int level);
  // Runs the compressor over `in` with the given end directive, emitting output to the sink.
  Status Pump(std::string_view in, bool end);
  Status Emit(std::string_view bytes);

  std::string* string_sink_ = nullptr;
  WritableFile* file_sink_ = nullptr;
  std::unique_ptr<Ctx> ctx_;
  std::string out_buf_;
  Status status_;
  bool finished_ = false;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

// Many small frames with reused contexts (e.g. the blocks of an import's spill runs): no context
// allocation per frame, and decompression needs no window buffer beyond the output. Frames carry
// a content checksum and size. Not thread-safe.
class ZstdBlockCodec {
 public:
  explicit ZstdBlockCodec(int level = 1);
  ~ZstdBlockCodec();
  ZstdBlockCodec(const ZstdBlockCodec&) = delete;
  ZstdBlockCodec& operator=(const ZstdBlockCodec&) = delete;

  // Replaces *frame with one frame holding `raw`.
  Status Compress(std::string_view raw, std::string* frame);
  // Replaces *raw with the content of `frame`, which must be exactly one frame of raw_size bytes
  // (else Corruption).
  Status Decompress(std::string_view frame, size_t raw_size, std::string* raw);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  int level_;
};

}  // namespace shardtool
