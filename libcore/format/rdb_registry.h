// The Rdb registry (doc/format.md §2): per record database its key size, data-size form, key
// compression, page size, slot function and data-file naming. Also the slot functions of §7.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "base/coding.h"

namespace shardtool {

constexpr int kNumSlots = 8192;  // MAX_KSLOTS
constexpr uint64_t kDocIdMask = 0x3fffffffffULL;

enum class RdbId : uint8_t {
  kTitledb,
  kPosdb,
  kIndexdb,
  kClusterdb,
  kLinkdb,
  kTagdb,
  kSpiderdb,
  kDoledb
};

enum class KeyCompression : uint8_t {
  kNone,   // every key stored full
  kHalf,   // half keys: ks-6 bytes with 0x02 set when the top 6 bytes repeat
  kPosdb,  // posdb 6/12/18-byte forms
};

enum class SlotKind : uint8_t {
  kTitledbDocId,  // docId slot of the titledb docId
  kPosdb,         // termId slot when N is set, else docId slot
  kIndexdbDocId,  // docId slot of the indexdb docId [sd]
  kClusterdbDocId,
  kTop13At26,     // le16(key[26..27]) >> 3 (linkdb)
  kTop13At10,     // le16(key[10..11]) >> 3 (tagdb)
  kNotShardable,  // spiderdb, doledb
};

struct RdbInfo {
  RdbId id;
  std::string_view name;
  int key_size;
  int32_t fixed_data_size;  // 0 = key only, -1 = variable (i32 size field), N = N bytes
  KeyCompression compression;
  uint32_t page_size;
  SlotKind slot_kind;
  bool titledb_naming;  // data files are "<db>NNNN-DDD.dat"

  bool shardable() const { return slot_kind != SlotKind::kNotShardable; }
  bool variable_size() const { return fixed_data_size < 0; }
};

std::span<const RdbInfo> AllRdbs();
const RdbInfo& GetRdb(RdbId id);
// nullptr when the name is not a registry Rdb.
const RdbInfo* FindRdb(std::string_view name);

// docId slot: ((d >> 14) ^ (d >> 7)) & 8191.
inline int DocIdSlot(uint64_t docid) {
  return static_cast<int>(((docid >> 14) ^ (docid >> 7)) & 8191);
}

// The slot of a full key for a slot function known at compile time (hot loops), or -1 for a
// not-shardable Rdb.
template <SlotKind K>
inline int KeySlotT(const uint8_t* key) {
  if constexpr (K == SlotKind::kTitledbDocId) {
    const uint64_t n0 = LoadLE64(key), n1 = LoadLE32(key + 8);
    return DocIdSlot(((n1 << 6) | (n0 >> 58)) & kDocIdMask);
  } else if constexpr (K == SlotKind::kPosdb) {
    if (key[1] & 1) return LoadLE16(key + 16) >> 3;
    // docId = le40(key[7..11]) >> 2, loaded as the aligned word of bytes 8..15 and byte 7 of
    // the word at 0 (no partial loads that would miss store forwarding).
    return DocIdSlot((((LoadLE64(key + 8) << 8) | key[7]) >> 2) & kDocIdMask);
  } else if constexpr (K == SlotKind::kIndexdbDocId) {
    return DocIdSlot((LoadLE64(key) >> 2) & kDocIdMask);
  } else if constexpr (K == SlotKind::kClusterdbDocId) {
    const uint64_t n0 = LoadLE64(key), n1 = LoadLE32(key + 8);
    return DocIdSlot(((n0 >> 35) | (n1 << 29)) & kDocIdMask);
  } else if constexpr (K == SlotKind::kTop13At26) {
    return LoadLE16(key + 26) >> 3;
  } else if constexpr (K == SlotKind::kTop13At10) {
    return LoadLE16(key + 10) >> 3;
  } else {
    return -1;
  }
}

// The slot (0..8191) of a full key, or -1 for a not-shardable Rdb.
int KeySlot(const RdbInfo& rdb, const uint8_t* key);

// Calls fn(std::integral_constant<int, key size>, std::integral_constant<SlotKind, kind>) for the
// Rdb's key size and slot function, so that per-record loops are compiled for each shape (key
// copies, compares and slots inline and unroll).
template <typename Fn>
decltype(auto) VisitRdbShape(const RdbInfo& rdb, Fn&& fn) {
  using SK = SlotKind;
  switch (rdb.id) {
    case RdbId::kTitledb:
      return fn(std::integral_constant<int, 12>{}, std::integral_constant<SK, SK::kTitledbDocId>{});
    case RdbId::kPosdb:
      return fn(std::integral_constant<int, 18>{}, std::integral_constant<SK, SK::kPosdb>{});
    case RdbId::kIndexdb:
      return fn(std::integral_constant<int, 12>{}, std::integral_constant<SK, SK::kIndexdbDocId>{});
    case RdbId::kClusterdb:
      return fn(std::integral_constant<int, 12>{},
                std::integral_constant<SK, SK::kClusterdbDocId>{});
    case RdbId::kLinkdb:
      return fn(std::integral_constant<int, 28>{}, std::integral_constant<SK, SK::kTop13At26>{});
    case RdbId::kTagdb:
      return fn(std::integral_constant<int, 16>{}, std::integral_constant<SK, SK::kTop13At10>{});
    case RdbId::kSpiderdb:
      return fn(std::integral_constant<int, 16>{}, std::integral_constant<SK, SK::kNotShardable>{});
    case RdbId::kDoledb:
    default:
      return fn(std::integral_constant<int, 12>{}, std::integral_constant<SK, SK::kNotShardable>{});
  }
}

}  // namespace shardtool
