// The Rdb registry (FORMAT.md §2): per record database its key size, data-size form, key
// compression, page size, slot function and data-file naming. Also the slot functions of §7.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

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

// The slot (0..8191) of a full key, or -1 for a not-shardable Rdb.
int KeySlot(const RdbInfo& rdb, const uint8_t* key);

}  // namespace shardtool
