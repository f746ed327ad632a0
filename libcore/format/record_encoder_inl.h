// Inline definition of RecordEncoder::EncodeAs<KS, C, D>: the canonical encoder (doc/format.md §3,
// GB addRecord) compiled for one Rdb layout, for hot loops (the merge's output). It produces
// exactly the bytes RecordEncoder::EncodeTo produces.
#pragma once

#include <cstring>

#include "base/coding.h"
#include "format/key.h"
#include "format/record_codec.h"
#include "format/record_decoder_inl.h"

namespace shardtool {

template <int KS, KeyCompression C, int D>
inline size_t RecordEncoder::EncodeAs(const uint8_t* full_key, const uint8_t* data,
                                      uint32_t data_size, uint8_t* dst) {
  constexpr uint8_t kBits = C == KeyCompression::kPosdb  ? 0x06
                            : C == KeyCompression::kHalf ? 0x02
                                                         : 0;
  const uint8_t b0 = static_cast<uint8_t>(full_key[0] & ~kBits);
  uint32_t kb = KS;
  uint8_t bits = 0;
  if constexpr (C == KeyCompression::kPosdb) {
    static_assert(KS == 18, "posdb keys are 18 bytes");
    // 6 bytes when bytes 6..17 repeat, 12 when bytes 12..17 do, else 18.
    if (!first_ && LoadLE16(prev_ + 16) == LoadLE16(full_key + 16) &&
        LoadLE32(prev_ + 12) == LoadLE32(full_key + 12)) {
      if (LoadLE32(prev_ + 6) == LoadLE32(full_key + 6) &&
          LoadLE16(prev_ + 10) == LoadLE16(full_key + 10)) {
        kb = 6;
        bits = 0x06;
      } else {
        kb = 12;
        bits = 0x02;
      }
    }
  } else if constexpr (C == KeyCompression::kHalf) {
    // ks-6 bytes when the top 6 bytes repeat.
    if (!first_ && LoadLE32(prev_ + KS - 6) == LoadLE32(full_key + KS - 6) &&
        LoadLE16(prev_ + KS - 2) == LoadLE16(full_key + KS - 2)) {
      kb = KS - 6;
      bits = 0x02;
    }
  }
  CopyKeyT<KS>(dst, full_key);  // the whole key; only kb bytes count
  dst[0] = b0 | bits;
  CopyKeyT<KS>(prev_, full_key);
  prev_[0] = b0;
  first_ = false;
  size_t n = kb;
  if ((b0 & 1) == 0) return n;  // negative: no size field, no data
  if constexpr (D == codec_detail::kDataVariable) {
    StoreLE32(dst + n, data_size);
    n += 4;
    if (data_size > 0) std::memcpy(dst + n, data, data_size);
    n += data_size;
  } else if constexpr (D == codec_detail::kDataFixed) {
    const size_t fixed = static_cast<size_t>(rdb_->fixed_data_size);
    if (data != nullptr) {
      std::memcpy(dst + n, data, fixed);
    } else {
      std::memset(dst + n, 0, fixed);
    }
    n += fixed;
  }
  return n;
}

}  // namespace shardtool
