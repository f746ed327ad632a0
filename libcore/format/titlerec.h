// Titlerecs (doc/format.md §6.1): the data part of a positive titledb record.
//
//   record = key[12] | i32 dataSize | data[dataSize]
//   data   = i32 ubufSize | zlib stream (dataSize - 4 bytes)
//
// The stream is zlib-wrapped deflate; GB inflates it with window bits 47 (zlib or gzip, detected
// from the header), and so do we. Rules: T1 (dataSize >= 4 and 0 < ubufSize <= 100 000 000), T2
// (deep check: the stream inflates completely to exactly ubufSize bytes), T3 (notice: key bits 9..1
// not zero, or bytes after the end of the stream). Inflating never allocates more than ubufSize
// bytes of output, and grows the output only as the stream produces it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/finding.h"

struct z_stream_s;

namespace shardtool {

constexpr int32_t kMaxTitlerecUbufSize = 100000000;
constexpr int kZlibDefaultLevel = -1;  // Z_DEFAULT_COMPRESSION

struct TitlerecHeader {
  int32_t data_size;  // the record's dataSize field
  int32_t ubuf_size;  // the first i32 of the data: the inflated size
};

// Reads the header of a data part of data_size bytes. Corruption naming T1 when dataSize < 4 or
// ubufSize is outside (0, 100 000 000].
Result<TitlerecHeader> ParseTitlerecHeader(const uint8_t* data, uint32_t data_size);

// T1 as a finding (error) at `offset` (the record's offset) in `file`; key is the 12-byte key.
// Returns true when the header passes.
bool CheckTitlerecT1(const uint8_t* data, uint32_t data_size, const std::string& file,
                     int64_t offset, const uint8_t* key, std::vector<Finding>* out);

// True when bits 9..1 of a titledb key are not all zero (T3).
bool TitledbReservedBitsSet(const uint8_t* key);
// T3 for the key as a finding (notice). Returns true when the bits are clear.
bool CheckTitledbKeyT3(const uint8_t* key, const std::string& file, int64_t offset,
                       std::vector<Finding>* out);

// Inflates titlerecs, reusing one z_stream (inflateReset between records). Not thread-safe; use
// one per thread.
class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates a data part (ubufSize | stream) into *out, which ends up exactly ubufSize bytes.
  // Corruption naming T1 for a bad header, T2 when the stream is damaged or truncated or inflates
  // to a size other than ubufSize. On success trailing_bytes() counts the bytes after the end of
  // the stream (T3 when nonzero). InternalError when zlib cannot allocate its state.
  Status Inflate(const uint8_t* data, uint32_t data_size, std::string* out);

  // Bytes left after the stream end by the last successful Inflate.
  uint32_t trailing_bytes() const { return trailing_; }

 private:
  std::unique_ptr<z_stream_s> zs_;
  bool initialized_ = false;
  uint32_t trailing_ = 0;
};

// All titlerec checks of one positive titledb record: T1 and T3 (key bits) always; T2 and T3
// (trailing bytes) when deep (they inflate the page). `inflater` is needed only when deep.
// Findings carry `file`, the record's `offset` and its key. Rule violations become findings; the
// Status fails only when zlib cannot work (InternalError).
Status CheckTitlerec(const uint8_t* key, const uint8_t* data, uint32_t data_size, bool deep,
                     Inflater* inflater, const std::string& file, int64_t offset,
                     std::vector<Finding>* out);

// The data part of a titlerec for `page`: i32 ubufSize | zlib stream at `level` (zlib wrapper,
// window 15, like GB's compress()). REQUIRES: 0 < page.size() <= 100 000 000. Returns an empty
// string only if zlib fails (out of memory).
std::string MakeTitlerecData(std::string_view page, int level = kZlibDefaultLevel);

}  // namespace shardtool
