// SlotList: the ownedSlots of a lease (doc/acquisition.md §6), sorted [min, max) slot runs with
// their JSON text, made once and shared. A lease of a default two-shard catalog owns 4096 runs
// (slot i
// -> shard i % 2); every lease made from one cached catalog shares one list
// (CatalogSnapshot::OwnedSlots), so writing a lease copies that text instead of formatting it.
// Immutable.
//
// The text is the shortest exact form of (doc/format-notes.md "Compact ownedSlots"):
//   - the array of doc/acquisition.md §6: [[min,max],...];
//   - the periodic form {"from": S, "every": P, "runs": [[a,b],...], "to": E}: the runs [S+a+kP,
//     S+b+kP) for k = 0, 1, ... cut at E (0 <= a < b <= P, runs sorted and disjoint, S < E <=
//     8192), touching runs joined. "slot % 2 == 0" of 8192 slots is
//     {"from":0,"every":2,"runs":[[0,1]],"to":8191}: ~50 bytes instead of ~46 KiB.
// Readers take both (DecodeOwnedSlots).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace shardtool {

class SlotList {
 public:
  explicit SlotList(std::vector<SlotRange> ranges);
  const std::vector<SlotRange>& ranges() const { return ranges_; }
  const std::string& json() const { return json_; }  // "[[0,1],[2,3]]" or the periodic form

 private:
  std::vector<SlotRange> ranges_;
  std::string json_;
};

using SlotListPtr = std::shared_ptr<const SlotList>;
inline SlotListPtr MakeSlotList(std::vector<SlotRange> ranges) {
  return std::make_shared<const SlotList>(std::move(ranges));
}

// The ranges of the periodic form; nullopt when its fields break the rules above.
std::optional<std::vector<SlotRange>> ExpandPeriodicSlots(int64_t from, int64_t every,
                                                          const std::vector<SlotRange>& runs,
                                                          int64_t to);

// An ownedSlots JSON value other than "all" (an nlohmann::json or ordered_json): the array form or
// the periodic form. nullopt when it is neither.
template <typename JsonT>
std::optional<std::vector<SlotRange>> DecodeOwnedSlots(const JsonT& j) {
  auto pair = [](const JsonT& r, SlotRange* out) {
    if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer() || !r[1].is_number_integer()) {
      return false;
    }
    const int64_t a = r[0].template get<int64_t>(), b = r[1].template get<int64_t>();
    if (a < INT32_MIN || a > INT32_MAX || b < INT32_MIN || b > INT32_MAX) return false;
    *out = {static_cast<int32_t>(a), static_cast<int32_t>(b)};
    return true;
  };
  std::vector<SlotRange> ranges;
  if (j.is_array()) {
    ranges.reserve(j.size());
    for (const JsonT& r : j) {
      SlotRange s;
      if (!pair(r, &s)) return std::nullopt;
      ranges.push_back(s);
    }
    return ranges;
  }
  if (!j.is_object()) return std::nullopt;
  for (const char* k : {"from", "every", "to"}) {
    if (!j.contains(k) || !j[k].is_number_integer()) return std::nullopt;
  }
  if (!j.contains("runs") || !j["runs"].is_array()) return std::nullopt;
  for (const JsonT& r : j["runs"]) {
    SlotRange s;
    if (!pair(r, &s)) return std::nullopt;
    ranges.push_back(s);
  }
  return ExpandPeriodicSlots(j["from"].template get<int64_t>(), j["every"].template get<int64_t>(),
                             ranges, j["to"].template get<int64_t>());
}

}  // namespace shardtool
