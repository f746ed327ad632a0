#include "format/rdb_registry.h"

#include "base/coding.h"

namespace shardtool {
namespace {

constexpr RdbInfo kRdbs[] = {
    {RdbId::kTitledb, "titledb", 12, -1, KeyCompression::kNone, 32768, SlotKind::kTitledbDocId,
     true},
    {RdbId::kPosdb, "posdb", 18, 0, KeyCompression::kPosdb, 32768, SlotKind::kPosdb, false},
    {RdbId::kIndexdb, "indexdb", 12, 0, KeyCompression::kHalf, 32768, SlotKind::kIndexdbDocId,
     false},
    {RdbId::kClusterdb, "clusterdb", 12, 0, KeyCompression::kHalf, 1024, SlotKind::kClusterdbDocId,
     false},
    {RdbId::kLinkdb, "linkdb", 28, 0, KeyCompression::kNone, 32768, SlotKind::kTop13At26, false},
    {RdbId::kTagdb, "tagdb", 16, -1, KeyCompression::kNone, 1024, SlotKind::kTop13At10, false},
    {RdbId::kSpiderdb, "spiderdb", 16, -1, KeyCompression::kNone, 32768, SlotKind::kNotShardable,
     false},
    {RdbId::kDoledb, "doledb", 12, -1, KeyCompression::kNone, 32768, SlotKind::kNotShardable,
     false},
};

}  // namespace

std::span<const RdbInfo> AllRdbs() { return kRdbs; }

const RdbInfo& GetRdb(RdbId id) { return kRdbs[static_cast<int>(id)]; }

const RdbInfo* FindRdb(std::string_view name) {
  for (const auto& r : kRdbs) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

int KeySlot(const RdbInfo& rdb, const uint8_t* key) {
  switch (rdb.slot_kind) {
    case SlotKind::kTitledbDocId: {
      uint64_t n0 = LoadLE64(key), n1 = LoadLE32(key + 8);
      return DocIdSlot(((n1 << 6) | (n0 >> 58)) & kDocIdMask);
    }
    case SlotKind::kPosdb:
      if (key[1] & 1) return LoadLE16(key + 16) >> 3;
      return DocIdSlot((LoadLEn(key + 7, 5) >> 2) & kDocIdMask);
    case SlotKind::kIndexdbDocId:
      return DocIdSlot((LoadLE64(key) >> 2) & kDocIdMask);
    case SlotKind::kClusterdbDocId: {
      uint64_t n0 = LoadLE64(key), n1 = LoadLE32(key + 8);
      return DocIdSlot(((n0 >> 35) | (n1 << 29)) & kDocIdMask);
    }
    case SlotKind::kTop13At26:
      return LoadLE16(key + 26) >> 3;
    case SlotKind::kTop13At10:
      return LoadLE16(key + 10) >> 3;
    case SlotKind::kNotShardable:
      return -1;
  }
  return -1;
}

}  // namespace shardtool
