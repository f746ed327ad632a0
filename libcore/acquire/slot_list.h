// SlotList: the ownedSlots of a lease (SHARD-ROLE.md §6), sorted [min, max) slot runs with their
// JSON text, made once and shared. A lease of a default two-shard catalog owns 4096 runs (slot i
// -> shard i % 2), ~40 KB of JSON; every lease made from one cached catalog shares one list
// (CatalogSnapshot::OwnedSlots), so writing a lease copies that text instead of formatting it.
// Immutable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace shardtool {

class SlotList {
 public:
  explicit SlotList(std::vector<SlotRange> ranges);
  const std::vector<SlotRange>& ranges() const { return ranges_; }
  const std::string& json() const { return json_; }  // "[[0,1],[2,3]]"

 private:
  std::vector<SlotRange> ranges_;
  std::string json_;
};

using SlotListPtr = std::shared_ptr<const SlotList>;
inline SlotListPtr MakeSlotList(std::vector<SlotRange> ranges) {
  return std::make_shared<const SlotList>(std::move(ranges));
}

}  // namespace shardtool
