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
    case SlotKind::kTitledbDocId:
      return KeySlotT<SlotKind::kTitledbDocId>(key);
    case SlotKind::kPosdb:
      return KeySlotT<SlotKind::kPosdb>(key);
    case SlotKind::kIndexdbDocId:
      return KeySlotT<SlotKind::kIndexdbDocId>(key);
    case SlotKind::kClusterdbDocId:
      return KeySlotT<SlotKind::kClusterdbDocId>(key);
    case SlotKind::kTop13At26:
      return KeySlotT<SlotKind::kTop13At26>(key);
    case SlotKind::kTop13At10:
      return KeySlotT<SlotKind::kTop13At10>(key);
    case SlotKind::kNotShardable:
      return -1;
  }
  return -1;
}

}  // namespace shardtool
