// Inline definitions of RecordDecoder::DecodeAs<C, D>, the decoder specialised per key
// compression and data-part form, for hot loops that know their Rdb's layout at compile time
// (RecordScanner::ScanAll). RecordDecoder::Decode dispatches to the same code at run time.
#pragma once

#include <cstring>

#include "base/coding.h"
#include "format/record_codec.h"

namespace shardtool {
namespace codec_detail {

// Data-part forms (template parameter D of RecordDecoder::DecodeAs).
inline constexpr int kDataNone = 0;      // fixed size 0: key only
inline constexpr int kDataVariable = 1;  // i32 dataSize then data (positive keys only)
inline constexpr int kDataFixed = 2;     // fixed N > 0 bytes (positive keys only)

// The posdb forms, indexed by (stored byte 0 >> 1) & 3: 0 = 18 bytes, 1 (0x02) = 12 bytes,
// 2 (0x04 alone, legal) and 3 (0x06) = 6 bytes. The masks select the stored bytes of a key held
// as the words (bytes 0..7, 8..15, 16..17); the other bytes come from the previous full key.
struct PosdbForm {
  uint64_t m0;
  uint64_t m1;
  uint16_t m2;
  uint32_t bytes;
};
inline constexpr PosdbForm kPosdbForms[4] = {
    {~0ULL, ~0ULL, 0xffff, 18},
    {~0ULL, 0xffffffffULL, 0, 12},
    {0xffffffffffffULL, 0, 0, 6},
    {0xffffffffffffULL, 0, 0, 6},
};

// Decodes the data part that follows `kb` stored key bytes at p. Fills rec's data fields and
// size; does not touch the decoder state.
template <int D>
inline DecodeStatus DecodeData(const uint8_t* p, const uint8_t* end, uint32_t kb, bool negative,
                               int32_t fixed, uint32_t max_data_size, Record* rec) {
  const size_t avail = static_cast<size_t>(end - p);
  if constexpr (D == kDataNone) {
    rec->data = nullptr;
    rec->data_size = 0;
    rec->size = kb;
    return DecodeStatus::kOk;
  } else {
    if (negative) {  // negatives carry no size field and no data, in every Rdb
      rec->data = nullptr;
      rec->data_size = 0;
      rec->size = kb;
      return DecodeStatus::kOk;
    }
    uint32_t size;
    size_t head = kb;
    if constexpr (D == kDataVariable) {
      if (avail < kb + 4) return DecodeStatus::kTruncated;
      const int32_t ds = LoadLEi32(p + kb);
      if (ds < 0 || static_cast<uint32_t>(ds) > max_data_size) return DecodeStatus::kBadDataSize;
      size = static_cast<uint32_t>(ds);
      head += 4;
    } else {
      size = static_cast<uint32_t>(fixed);
    }
    if (avail - head < size) return DecodeStatus::kTruncated;
    rec->data = p + head;
    rec->data_size = size;
    rec->size = static_cast<uint32_t>(head + size);
    return DecodeStatus::kOk;
  }
}

}  // namespace codec_detail

// Calls fn(key size, slot kind, key compression, data form) as integral constants for the Rdb
// (the registry's fixed layouts, doc/format.md §2), so that a per-record loop is compiled once per
// Rdb for its exact layout.
template <typename Fn>
decltype(auto) VisitRdbLayout(const RdbInfo& rdb, Fn&& fn) {
  using KC = KeyCompression;
  using SK = SlotKind;
  constexpr int kNone = codec_detail::kDataNone, kVar = codec_detail::kDataVariable;
  auto call = [&](auto ks, auto kind, auto comp, auto form) -> decltype(auto) {
    return fn(ks, kind, comp, form);
  };
#define ST_LAYOUT(KS, K, C, D)                                             \
  call(std::integral_constant<int, KS>{}, std::integral_constant<SK, K>{}, \
       std::integral_constant<KC, C>{}, std::integral_constant<int, D>{})
  switch (rdb.id) {
    case RdbId::kTitledb:
      return ST_LAYOUT(12, SK::kTitledbDocId, KC::kNone, kVar);
    case RdbId::kPosdb:
      return ST_LAYOUT(18, SK::kPosdb, KC::kPosdb, kNone);
    case RdbId::kIndexdb:
      return ST_LAYOUT(12, SK::kIndexdbDocId, KC::kHalf, kNone);
    case RdbId::kClusterdb:
      return ST_LAYOUT(12, SK::kClusterdbDocId, KC::kHalf, kNone);
    case RdbId::kLinkdb:
      return ST_LAYOUT(28, SK::kTop13At26, KC::kNone, kNone);
    case RdbId::kTagdb:
      return ST_LAYOUT(16, SK::kTop13At10, KC::kNone, kVar);
    case RdbId::kSpiderdb:
      return ST_LAYOUT(16, SK::kNotShardable, KC::kNone, kVar);
    case RdbId::kDoledb:
    default:
      return ST_LAYOUT(12, SK::kNotShardable, KC::kNone, kVar);
  }
#undef ST_LAYOUT
}

template <KeyCompression C, int D>
inline DecodeStatus RecordDecoder::DecodeAs(const uint8_t* p, const uint8_t* end, Record* rec) {
  if (p >= end) return DecodeStatus::kTruncated;
  const uint8_t b0 = p[0];
  const bool negative = (b0 & 1) == 0;
  if constexpr (C == KeyCompression::kPosdb) {
    // Posdb (ks 18): merge the stored bytes into the last full key word by word, without a
    // branch on the form. The 18-byte form needs no state, the others do.
    const codec_detail::PosdbForm& f = codec_detail::kPosdbForms[(b0 >> 1) & 3];
    if (!have_state_ && f.bytes != 18) return DecodeStatus::kNoState;  // predictable first
    if (static_cast<size_t>(end - p) < f.bytes) return DecodeStatus::kTruncated;
    uint64_t s0, s1 = 0;
    uint16_t s2 = 0;
    if (static_cast<size_t>(end - p) >= 18) {
      s0 = LoadLE64(p);
      s1 = LoadLE64(p + 8);
      s2 = LoadLE16(p + 16);
    } else {  // near the end: read only the stored bytes
      uint8_t tmp[18] = {};
      std::memcpy(tmp, p, f.bytes);
      s0 = LoadLE64(tmp);
      s1 = LoadLE64(tmp + 8);
      s2 = LoadLE16(tmp + 16);
    }
    const DecodeStatus ds = codec_detail::DecodeData<D>(p, end, f.bytes, negative,
                                                        rdb_->fixed_data_size, max_data_size_, rec);
    if (ds != DecodeStatus::kOk) return ds;
    const uint64_t k0 = ((s0 & f.m0) | (LoadLE64(key_) & ~f.m0)) & ~uint64_t{0x06};
    const uint64_t k1 = (s1 & f.m1) | (LoadLE64(key_ + 8) & ~f.m1);
    const uint16_t k2 = static_cast<uint16_t>((s2 & f.m2) | (LoadLE16(key_ + 16) & ~f.m2));
    StoreLE64(key_, k0);
    StoreLE64(key_ + 8, k1);
    StoreLE16(key_ + 16, k2);
    rec->key_bytes = f.bytes;
  } else {
    uint32_t kb = static_cast<uint32_t>(ks_);
    if constexpr (C == KeyCompression::kHalf) {
      if (b0 & 0x02) {
        if (!have_state_) return DecodeStatus::kNoState;
        kb -= 6;  // the top 6 bytes repeat those of the last full key
      }
    }
    if (static_cast<size_t>(end - p) < kb) return DecodeStatus::kTruncated;
    const DecodeStatus ds = codec_detail::DecodeData<D>(p, end, kb, negative, rdb_->fixed_data_size,
                                                        max_data_size_, rec);
    if (ds != DecodeStatus::kOk) return ds;
    std::memcpy(key_, p, kb);
    if constexpr (C == KeyCompression::kHalf) key_[0] &= static_cast<uint8_t>(~0x02);
    rec->key_bytes = kb;
  }
  have_state_ = true;
  rec->key = key_;
  rec->negative = negative;
  return DecodeStatus::kOk;
}

}  // namespace shardtool
